// Q4_K: 256-element super-blocks of 8 sub-blocks, 4-bit q with a 6-bit scale
// and 6-bit min per sub-block, both scaled by f16 super-block factors.
#include <algorithm>
#include <cmath>

#include "kernels/blocks.h"
#include "kernels/ref.h"

namespace glint::kernels::ref {

void quantize_row_q4_K(const float* x, void* y, int64_t n) {
    block_q4_K* out = static_cast<block_q4_K*>(y);
    for (int64_t b = 0; b < n / QK_K; ++b, x += QK_K) {
        float scales[8], mins[8];
        float max_scale = 0.0f, max_min = 0.0f;
        for (int j = 0; j < 8; ++j) {
            scales[j] = fit_scale_min(x + 32 * j, 32, 15, &mins[j]);
            max_scale = std::max(max_scale, scales[j]);
            max_min = std::max(max_min, mins[j]);
        }
        const float inv_s = max_scale > 0 ? 63.0f / max_scale : 0.0f;
        const float inv_m = max_min > 0 ? 63.0f / max_min : 0.0f;
        uint8_t ls[8], lm[8];
        for (int j = 0; j < 8; ++j) {
            ls[j] = uint8_t(std::min(63, nearest_int(inv_s * scales[j])));
            lm[j] = uint8_t(std::min(63, nearest_int(inv_m * mins[j])));
        }
        block_q4_K& blk = out[b];
        pack_scales_mins_k4(ls, lm, blk.scales);
        blk.d = fp32_to_fp16(max_scale / 63.0f);
        blk.dmin = fp32_to_fp16(max_min / 63.0f);
        // Requantize against the scales as stored, so rounding of the 6-bit
        // and f16 factors is absorbed into q.
        const float d = fp16_to_fp32(blk.d), dmin = fp16_to_fp32(blk.dmin);
        uint8_t q[QK_K];
        for (int j = 0; j < 8; ++j) {
            const float dj = d * ls[j], mj = dmin * lm[j];
            for (int i = 0; i < 32; ++i) {
                const float v = dj > 0 ? (x[32 * j + i] + mj) / dj : 0.0f;
                q[32 * j + i] = uint8_t(std::clamp(nearest_int(v), 0, 15));
            }
        }
        for (int c = 0; c < 4; ++c)
            for (int l = 0; l < 32; ++l)
                blk.qs[32 * c + l] = uint8_t(q[64 * c + l] | (q[64 * c + 32 + l] << 4));
    }
}

void dequantize_row_q4_K(const void* x, float* y, int64_t n) {
    const block_q4_K* in = static_cast<const block_q4_K*>(x);
    for (int64_t b = 0; b < n / QK_K; ++b) {
        const float d = fp16_to_fp32(in[b].d), dmin = fp16_to_fp32(in[b].dmin);
        const uint8_t* qs = in[b].qs;
        for (int c = 0; c < 4; ++c, qs += 32) {
            uint8_t sc, m;
            unpack_scale_min_k4(2 * c, in[b].scales, sc, m);
            const float d1 = d * sc, m1 = dmin * m;
            unpack_scale_min_k4(2 * c + 1, in[b].scales, sc, m);
            const float d2 = d * sc, m2 = dmin * m;
            for (int l = 0; l < 32; ++l) *y++ = d1 * float(qs[l] & 0xF) - m1;
            for (int l = 0; l < 32; ++l) *y++ = d2 * float(qs[l] >> 4) - m2;
        }
    }
}

float vec_dot_q4_K_q8_K(int64_t n, const void* w, const void* a) {
    const block_q4_K* x = static_cast<const block_q4_K*>(w);
    const block_q8_K* y = static_cast<const block_q8_K*>(a);
    float sum = 0.0f;
    for (int64_t b = 0; b < n / QK_K; ++b) {
        int32_t sumi = 0, summ = 0;
        const uint8_t* qs = x[b].qs;
        const int8_t* q8 = y[b].qs;
        for (int c = 0; c < 4; ++c, qs += 32, q8 += 64) {
            uint8_t sc0, m0, sc1, m1;
            unpack_scale_min_k4(2 * c, x[b].scales, sc0, m0);
            unpack_scale_min_k4(2 * c + 1, x[b].scales, sc1, m1);
            int32_t lo = 0, hi = 0;
            for (int l = 0; l < 32; ++l) {
                lo += (qs[l] & 0xF) * int32_t(q8[l]);
                hi += (qs[l] >> 4) * int32_t(q8[32 + l]);
            }
            sumi += sc0 * lo + sc1 * hi;
            // The min term needs only the activation sums of each sub-block.
            summ += m0 * (y[b].bsums[4 * c] + y[b].bsums[4 * c + 1]) +
                    m1 * (y[b].bsums[4 * c + 2] + y[b].bsums[4 * c + 3]);
        }
        sum += fp16_to_fp32(x[b].d) * y[b].d * float(sumi) -
               fp16_to_fp32(x[b].dmin) * y[b].d * float(summ);
    }
    return sum;
}

}  // namespace glint::kernels::ref
