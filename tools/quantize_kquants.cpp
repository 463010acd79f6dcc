// The reference engine's K-quant weight quantizers (no importance matrix),
// re-implemented from its documented algorithm: weighted least-squares scale
// searches over a fixed grid, then 6-bit (Q4_K/Q5_K) or 8-bit (Q6_K) super-
// block scales. All arithmetic is float, in the same order, so the chosen
// levels match the reference's (ties aside).
#include "tools/quantize_kquants.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "kernels/blocks.h"
#include "kernels/fp16.h"

namespace glint::cli {
namespace {

using kernels::fp16_to_fp32;
using kernels::fp32_to_fp16;
using kernels::QK_K;

constexpr float kGroupMaxEps = 1e-15f;  // below this a group counts as all zero

// Round half to even, as the reference's nearest_int does for |x| < 2^22.
int nearest(float x) { return int(std::nearbyint(x)); }

// Fits x ~ scale * L - min with L in [0, nmax] (asymmetric, the Q4_K/Q5_K
// sub-block fit): starts from the range-filling scale, then tries nstep+1
// inverse scales (nmax + rmin + rdelta*k)/(max - min), solving the weighted
// least-squares scale and offset for each level assignment and keeping the
// lowest weighted squared error. Returns the scale; *neg_min gets -offset.
float fit_asym(int n, int nmax, const float* x, const float* w, uint8_t* L, float* neg_min, float rmin, float rdelta,
               int nstep) {
    float lo = x[0], hi = x[0];
    float sum_w = w[0], sum_x = sum_w * x[0];
    for (int i = 1; i < n; ++i) {
        lo = std::min(lo, x[i]);
        hi = std::max(hi, x[i]);
        sum_w += w[i];
        sum_x += w[i] * x[i];
    }
    if (lo > 0) lo = 0;
    if (hi == lo) {
        std::fill(L, L + n, uint8_t(0));
        *neg_min = -lo;
        return 0.0f;
    }
    float iscale = float(nmax) / (hi - lo);
    float scale = 1.0f / iscale;
    float best_err = 0;
    for (int i = 0; i < n; ++i) {
        L[i] = uint8_t(std::clamp(nearest(iscale * (x[i] - lo)), 0, nmax));
        const float d = scale * float(L[i]) + lo - x[i];
        best_err += w[i] * (d * d);
    }
    uint8_t trial[32];
    for (int k = 0; k <= nstep; ++k) {
        iscale = (rmin + rdelta * float(k) + float(nmax)) / (hi - lo);
        float sl = 0, sl2 = 0, sxl = 0;
        for (int i = 0; i < n; ++i) {
            const int l = std::clamp(nearest(iscale * (x[i] - lo)), 0, nmax);
            trial[i] = uint8_t(l);
            const float fl = float(l);
            sl += w[i] * fl;
            sl2 += w[i] * fl * fl;
            sxl += w[i] * fl * x[i];
        }
        const float det = sum_w * sl2 - sl * sl;
        if (!(det > 0)) continue;
        float s = (sum_w * sxl - sum_x * sl) / det;
        float m = (sl2 * sum_x - sl * sxl) / det;
        if (m > 0) {  // the offset only ever moves values down
            m = 0;
            s = sxl / sl2;
        }
        float err = 0;
        for (int i = 0; i < n; ++i) {
            const float d = s * float(trial[i]) + m - x[i];
            err += w[i] * (d * d);
        }
        if (err < best_err) {
            std::memcpy(L, trial, size_t(n));
            best_err = err;
            scale = s;
            lo = m;
        }
    }
    *neg_min = -lo;
    return scale;
}

// Fits x ~ scale * l with l in [-nmax, nmax-1] (symmetric, the Q6_K
// sub-block fit), weights x^2: the largest-magnitude value sets the sign so it
// can use level -nmax, then 18 nearby inverse scales are tried and the one
// maximising (sum w x l)^2 / sum w l^2 kept. L gets l + nmax.
float fit_sym(int n, int nmax, const float* x, int8_t* L) {
    float amax = 0, max = 0;
    for (int i = 0; i < n; ++i) {
        const float ax = std::fabs(x[i]);
        if (ax > amax) {
            amax = ax;
            max = x[i];
        }
    }
    if (amax < kGroupMaxEps) {
        std::fill(L, L + n, int8_t(0));
        return 0.0f;
    }
    float iscale = -float(nmax) / max;
    float sumlx = 0, suml2 = 0;
    for (int i = 0; i < n; ++i) {
        const int l = std::clamp(nearest(iscale * x[i]), -nmax, nmax - 1);
        L[i] = int8_t(l + nmax);
        const float w = x[i] * x[i];
        sumlx += w * x[i] * float(l);
        suml2 += w * float(l) * float(l);
    }
    float scale = suml2 != 0 ? sumlx / suml2 : 0.0f;
    float best = scale * sumlx;
    for (int k = -9; k <= 9; ++k) {
        if (k == 0) continue;
        iscale = -(float(nmax) + 0.1f * float(k)) / max;
        sumlx = suml2 = 0;
        for (int i = 0; i < n; ++i) {
            const int l = std::clamp(nearest(iscale * x[i]), -nmax, nmax - 1);
            const float w = x[i] * x[i];
            sumlx += w * x[i] * float(l);
            suml2 += w * float(l) * float(l);
        }
        if (suml2 > 0 && sumlx * sumlx > best * suml2) {
            for (int i = 0; i < n; ++i) L[i] = int8_t(nmax + std::clamp(nearest(iscale * x[i]), -nmax, nmax - 1));
            scale = sumlx / suml2;
            best = scale * sumlx;
        }
    }
    return scale;
}

// Shared by Q4_K and Q5_K: per 32-element sub-block an asymmetric fit with
// weights rms(sub-block) + |x|, then the 8 scales and 8 mins quantized to 6
// bits against the largest of each, and levels recomputed from the stored
// (rounded) scales. Returns the levels in L[256].
void fit_k_superblock(const float* x, int nmax, float rmin, int nstep, uint8_t* scales12, kernels::fp16_t* d_out,
                      kernels::fp16_t* dmin_out, uint8_t* L) {
    float sc[8], mn[8], w[32];
    float max_scale = 0, max_min = 0;
    for (int j = 0; j < 8; ++j) {
        const float* xs = x + 32 * j;
        float sum_x2 = 0;
        for (int l = 0; l < 32; ++l) sum_x2 += xs[l] * xs[l];
        const float av = std::sqrt(sum_x2 / 32);
        for (int l = 0; l < 32; ++l) w[l] = av + std::fabs(xs[l]);
        sc[j] = fit_asym(32, nmax, xs, w, L + 32 * j, &mn[j], rmin, 0.1f, nstep);
        max_scale = std::max(max_scale, sc[j]);
        max_min = std::max(max_min, mn[j]);
    }
    const float inv_scale = max_scale > 0 ? 63.0f / max_scale : 0.0f;
    const float inv_min = max_min > 0 ? 63.0f / max_min : 0.0f;
    uint8_t ls[8], lm[8];
    for (int j = 0; j < 8; ++j) {
        ls[j] = uint8_t(std::min(63, nearest(inv_scale * sc[j])));
        lm[j] = uint8_t(std::min(63, nearest(inv_min * mn[j])));
    }
    kernels::pack_scales_mins_k4(ls, lm, scales12);
    *d_out = fp32_to_fp16(max_scale / 63.0f);
    *dmin_out = fp32_to_fp16(max_min / 63.0f);
    const float d = fp16_to_fp32(*d_out), dmin = fp16_to_fp32(*dmin_out);
    for (int j = 0; j < 8; ++j) {
        uint8_t s, m;
        kernels::unpack_scale_min_k4(j, scales12, s, m);
        const float ds = d * float(s);
        if (ds == 0) continue;  // keep the fit's levels
        const float dm = dmin * float(m);
        for (int l = 0; l < 32; ++l) L[32 * j + l] = uint8_t(std::clamp(nearest((x[32 * j + l] + dm) / ds), 0, nmax));
    }
}

}  // namespace

void quantize_row_q4_K_compat(const float* x, void* y, int64_t n) {
    auto* out = static_cast<kernels::block_q4_K*>(y);
    uint8_t L[QK_K];
    for (int64_t b = 0; b < n / QK_K; ++b, x += QK_K) {
        kernels::block_q4_K& B = out[b];
        std::memset(B.scales, 0, sizeof B.scales);
        fit_k_superblock(x, 15, -1.0f, 20, B.scales, &B.d, &B.dmin, L);
        // Each 64-element chunk: low nibbles the first 32, high nibbles the next 32.
        for (int c = 0; c < QK_K / 64; ++c)
            for (int l = 0; l < 32; ++l) B.qs[32 * c + l] = uint8_t(L[64 * c + l] | (L[64 * c + 32 + l] << 4));
    }
}

void quantize_row_q5_K_compat(const float* x, void* y, int64_t n) {
    auto* out = static_cast<kernels::block_q5_K*>(y);
    uint8_t L[QK_K];
    for (int64_t b = 0; b < n / QK_K; ++b, x += QK_K) {
        kernels::block_q5_K& B = out[b];
        std::memset(B.scales, 0, sizeof B.scales);
        std::memset(B.qh, 0, sizeof B.qh);
        fit_k_superblock(x, 31, -0.5f, 15, B.scales, &B.d, &B.dmin, L);
        for (int c = 0; c < QK_K / 64; ++c)
            for (int l = 0; l < 32; ++l) {
                const int lo = L[64 * c + l], hi = L[64 * c + 32 + l];
                B.qs[32 * c + l] = uint8_t((lo & 15) | ((hi & 15) << 4));
                B.qh[l] |= uint8_t(((lo >> 4) << (2 * c)) | ((hi >> 4) << (2 * c + 1)));
            }
    }
}

void quantize_row_q6_K_compat(const float* x, void* y, int64_t n) {
    auto* out = static_cast<kernels::block_q6_K*>(y);
    int8_t L[QK_K];
    float sc[QK_K / 16];
    for (int64_t b = 0; b < n / QK_K; ++b, x += QK_K) {
        kernels::block_q6_K& B = out[b];
        float max_scale = 0, max_abs = 0;
        for (int j = 0; j < QK_K / 16; ++j) {
            sc[j] = fit_sym(16, 32, x + 16 * j, L + 16 * j);
            if (std::fabs(sc[j]) > max_abs) {
                max_abs = std::fabs(sc[j]);
                max_scale = sc[j];
            }
        }
        if (max_abs < kGroupMaxEps) {
            std::memset(&B, 0, sizeof B);
            continue;
        }
        const float iscale = -128.0f / max_scale;
        B.d = fp32_to_fp16(1.0f / iscale);
        for (int j = 0; j < QK_K / 16; ++j) B.scales[j] = int8_t(std::min(127, nearest(iscale * sc[j])));
        const float d = fp16_to_fp32(B.d);
        for (int j = 0; j < QK_K / 16; ++j) {
            const float ds = d * float(B.scales[j]);
            if (ds == 0) continue;
            for (int l = 0; l < 16; ++l)
                L[16 * j + l] = int8_t(std::clamp(nearest(x[16 * j + l] / ds), -32, 31) + 32);
        }
        // Per 128-element half: ql holds low nibbles of elements l, 32+l (low)
        // and 64+l, 96+l (high); qh their top two bits.
        for (int h = 0; h < 2; ++h) {
            const int8_t* q = L + 128 * h;
            uint8_t* ql = B.ql + 64 * h;
            uint8_t* qh = B.qh + 32 * h;
            for (int l = 0; l < 32; ++l) {
                ql[l] = uint8_t((q[l] & 15) | ((q[l + 64] & 15) << 4));
                ql[l + 32] = uint8_t((q[l + 32] & 15) | ((q[l + 96] & 15) << 4));
                qh[l] = uint8_t((q[l] >> 4) | ((q[l + 32] >> 4) << 2) | ((q[l + 64] >> 4) << 4) | ((q[l + 96] >> 4) << 6));
            }
        }
    }
}

}  // namespace glint::cli
