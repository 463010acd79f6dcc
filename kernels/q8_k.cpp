// Q8_K: the activation format for K-quant dots: a float scale, 256 int8 and
// per-16 sums (bsums) so min terms cost one multiply per sub-block.
#include <cmath>
#include <cstring>

#include "kernels/blocks.h"
#include "kernels/ref.h"

namespace glint::kernels::ref {

void quantize_row_q8_K(const float* x, void* y, int64_t n) {
    block_q8_K* out = static_cast<block_q8_K*>(y);
    for (int64_t b = 0; b < n / QK_K; ++b, x += QK_K) {
        float amax = 0.0f, max = 0.0f;
        for (int j = 0; j < QK_K; ++j) {
            if (std::fabs(x[j]) > amax) {
                amax = std::fabs(x[j]);
                max = x[j];
            }
        }
        block_q8_K& blk = out[b];
        if (amax == 0.0f) {
            std::memset(&blk, 0, sizeof blk);
            continue;
        }
        const float iscale = -127.0f / max;
        for (int j = 0; j < QK_K; ++j) {
            const int v = nearest_int(iscale * x[j]);
            blk.qs[j] = int8_t(v > 127 ? 127 : (v < -127 ? -127 : v));
        }
        for (int g = 0; g < QK_K / 16; ++g) {
            int s = 0;
            for (int j = 0; j < 16; ++j) s += blk.qs[16 * g + j];
            blk.bsums[g] = int16_t(s);
        }
        blk.d = 1.0f / iscale;
    }
}

void dequantize_row_q8_K(const void* x, float* y, int64_t n) {
    const block_q8_K* in = static_cast<const block_q8_K*>(x);
    for (int64_t b = 0; b < n / QK_K; ++b)
        for (int j = 0; j < QK_K; ++j) *y++ = in[b].d * float(in[b].qs[j]);
}

}  // namespace glint::kernels::ref
