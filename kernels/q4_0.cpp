// Q4_0: 32 4-bit values per block, x = d * (q - 8), one f16 scale.
#include <cmath>

#include "kernels/blocks.h"
#include "kernels/ref.h"

namespace glint::kernels::ref {
namespace {
// Clamped before the cast so NaN or overflowed products stay defined.
int to_q4(float v) { return int(std::fmin(15.0f, std::fmax(0.0f, v))); }
}  // namespace

void quantize_row_q4_0(const float* x, void* y, int64_t n) {
    block_q4_0* out = static_cast<block_q4_0*>(y);
    for (int64_t b = 0; b < n / QK4_0; ++b, x += QK4_0) {
        // The extreme value (with its sign) maps to q = 0, i.e. -8 * d, which
        // uses the asymmetric range's extra level on the larger side.
        float amax = 0.0f, max = 0.0f;
        for (int j = 0; j < QK4_0; ++j) {
            if (std::fabs(x[j]) > amax) {
                amax = std::fabs(x[j]);
                max = x[j];
            }
        }
        const float d = max / -8.0f;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        out[b].d = fp32_to_fp16(d);
        for (int j = 0; j < QK4_0 / 2; ++j) {
            // x*id + 8 lies in [0, 16]; +0.5 and truncation rounds half up.
            const int q0 = to_q4(x[j] * id + 8.5f);
            const int q1 = to_q4(x[j + QK4_0 / 2] * id + 8.5f);
            out[b].qs[j] = uint8_t(q0 | (q1 << 4));
        }
    }
}

void dequantize_row_q4_0(const void* x, float* y, int64_t n) {
    const block_q4_0* in = static_cast<const block_q4_0*>(x);
    for (int64_t b = 0; b < n / QK4_0; ++b, y += QK4_0) {
        const float d = fp16_to_fp32(in[b].d);
        for (int j = 0; j < QK4_0 / 2; ++j) {
            y[j] = d * float((in[b].qs[j] & 0xF) - 8);
            y[j + QK4_0 / 2] = d * float((in[b].qs[j] >> 4) - 8);
        }
    }
}

float vec_dot_q4_0_q8_0(int64_t n, const void* w, const void* a) {
    static_assert(QK4_0 == QK8_0);
    const block_q4_0* x = static_cast<const block_q4_0*>(w);
    const block_q8_0* y = static_cast<const block_q8_0*>(a);
    float sum = 0.0f;
    for (int64_t b = 0; b < n / QK4_0; ++b) {
        int32_t isum = 0;
        for (int j = 0; j < QK4_0 / 2; ++j) {
            isum += ((x[b].qs[j] & 0xF) - 8) * int32_t(y[b].qs[j]);
            isum += ((x[b].qs[j] >> 4) - 8) * int32_t(y[b].qs[j + QK4_0 / 2]);
        }
        sum += float(isum) * (fp16_to_fp32(x[b].d) * fp16_to_fp32(y[b].d));
    }
    return sum;
}

}  // namespace glint::kernels::ref
