// Q6_K: 256-element super-blocks of 16 sub-blocks, 6-bit q (offset 32) with
// an int8 scale per sub-block and one f16 super-block factor.
#include <algorithm>
#include <cmath>

#include "kernels/blocks.h"
#include "kernels/ref.h"

namespace glint::kernels::ref {

void quantize_row_q6_K(const float* x, void* y, int64_t n) {
    block_q6_K* out = static_cast<block_q6_K*>(y);
    for (int64_t b = 0; b < n / QK_K; ++b, x += QK_K) {
        float scales[16];
        float max_scale = 0.0f, amax = 0.0f;
        for (int j = 0; j < 16; ++j) {
            scales[j] = fit_scale_sym(x + 16 * j, 16, 32);
            if (std::fabs(scales[j]) > amax) {
                amax = std::fabs(scales[j]);
                max_scale = scales[j];
            }
        }
        block_q6_K& blk = out[b];
        uint8_t q[QK_K] = {};
        if (!(amax > 0.0f)) {
            std::fill(std::begin(blk.scales), std::end(blk.scales), int8_t(0));
            blk.d = fp32_to_fp16(0.0f);
            std::fill(std::begin(q), std::end(q), uint8_t(32));
        } else {
            // The largest scale maps to -128 so the int8 range is fully used.
            const float iscale = -128.0f / max_scale;
            for (int j = 0; j < 16; ++j)
                blk.scales[j] = int8_t(std::min(127, nearest_int(iscale * scales[j])));
            blk.d = fp32_to_fp16(1.0f / iscale);
            const float d = fp16_to_fp32(blk.d);
            for (int j = 0; j < 16; ++j) {
                const float dj = d * float(blk.scales[j]);
                for (int i = 0; i < 16; ++i) {
                    const int v = dj != 0.0f ? nearest_int(x[16 * j + i] / dj) : 0;
                    q[16 * j + i] = uint8_t(std::clamp(v, -32, 31) + 32);
                }
            }
        }
        for (int h = 0; h < 2; ++h) {
            const uint8_t* qq = q + 128 * h;
            uint8_t* ql = blk.ql + 64 * h;
            uint8_t* qh = blk.qh + 32 * h;
            for (int l = 0; l < 32; ++l) {
                ql[l] = uint8_t((qq[l] & 0xF) | ((qq[64 + l] & 0xF) << 4));
                ql[32 + l] = uint8_t((qq[32 + l] & 0xF) | ((qq[96 + l] & 0xF) << 4));
                qh[l] = uint8_t((qq[l] >> 4) | ((qq[32 + l] >> 4) << 2) |
                                ((qq[64 + l] >> 4) << 4) | ((qq[96 + l] >> 4) << 6));
            }
        }
    }
}

namespace {
// The four 6-bit values (offset removed) stored at position l of half h.
inline void q6_quad(const block_q6_K& blk, int h, int l, int q[4]) {
    const uint8_t* ql = blk.ql + 64 * h;
    const uint8_t hb = blk.qh[32 * h + l];
    q[0] = ((ql[l] & 0xF) | ((hb & 3) << 4)) - 32;
    q[1] = ((ql[32 + l] & 0xF) | (((hb >> 2) & 3) << 4)) - 32;
    q[2] = ((ql[l] >> 4) | (((hb >> 4) & 3) << 4)) - 32;
    q[3] = ((ql[32 + l] >> 4) | (((hb >> 6) & 3) << 4)) - 32;
}
}  // namespace

void dequantize_row_q6_K(const void* x, float* y, int64_t n) {
    const block_q6_K* in = static_cast<const block_q6_K*>(x);
    for (int64_t b = 0; b < n / QK_K; ++b, y += QK_K) {
        const float d = fp16_to_fp32(in[b].d);
        for (int h = 0; h < 2; ++h) {
            const int8_t* sc = in[b].scales + 8 * h;
            for (int l = 0; l < 32; ++l) {
                int q[4];
                q6_quad(in[b], h, l, q);
                const int is = l / 16;  // element 32k+l lies in sub-block 2k + l/16
                for (int k = 0; k < 4; ++k)
                    y[128 * h + 32 * k + l] = d * float(sc[is + 2 * k]) * float(q[k]);
            }
        }
    }
}

float vec_dot_q6_K_q8_K(int64_t n, const void* w, const void* a) {
    const block_q6_K* x = static_cast<const block_q6_K*>(w);
    const block_q8_K* y = static_cast<const block_q8_K*>(a);
    float sum = 0.0f;
    for (int64_t b = 0; b < n / QK_K; ++b) {
        int32_t sub[16] = {};  // integer dot per 16-element sub-block
        for (int h = 0; h < 2; ++h) {
            const int8_t* q8 = y[b].qs + 128 * h;
            for (int l = 0; l < 32; ++l) {
                int q[4];
                q6_quad(x[b], h, l, q);
                for (int k = 0; k < 4; ++k) sub[8 * h + 2 * k + l / 16] += q[k] * q8[32 * k + l];
            }
        }
        int32_t sumi = 0;
        for (int j = 0; j < 16; ++j) sumi += x[b].scales[j] * sub[j];
        sum += fp16_to_fp32(x[b].d) * y[b].d * float(sumi);
    }
    return sum;
}

}  // namespace glint::kernels::ref
