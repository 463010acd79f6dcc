// F32 / F16 / BF16 dots and f16 row conversion. Dots accumulate in float lanes
// (the scalar reference uses double), so results agree to float rounding.
#include <cstring>

#include "kernels/avx2/avx2.h"
#include "kernels/avx2/common.h"
#include "kernels/heads_lanes.h"
#include "kernels/softmax_lanes.h"

namespace glint::kernels::avx2 {
namespace {

inline __m256 load_f16x8(const uint16_t* p) { return _mm256_cvtph_ps(load128(p)); }
inline __m256 load_bf16x8(const uint16_t* p) {
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(load128(p)), 16));
}
inline float bf16_scalar(uint16_t h) {
    const uint32_t u = uint32_t(h) << 16;
    float f;
    std::memcpy(&f, &u, 4);
    return f;
}

// Four independent accumulators hide FMA latency; Load turns 8 elements into floats.
template <class T, class Load, class One>
float dot8(int64_t n, const T* x, const T* y, Load load, One one) {
    __m256 acc[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(),
                     _mm256_setzero_ps()};
    int64_t i = 0;
    for (; i + 32 <= n; i += 32)
        for (int k = 0; k < 4; ++k)
            acc[k] = _mm256_fmadd_ps(load(x + i + 8 * k), load(y + i + 8 * k), acc[k]);
    for (; i + 8 <= n; i += 8) acc[0] = _mm256_fmadd_ps(load(x + i), load(y + i), acc[0]);
    float sum = hsum(_mm256_add_ps(_mm256_add_ps(acc[0], acc[1]), _mm256_add_ps(acc[2], acc[3])));
    for (; i < n; ++i) sum += one(x[i]) * one(y[i]);
    return sum;
}

// y += a[r] * x_r over the rows in order, multiply then add (no FMA: the
// scalar reference rounds the product). 32 elements of y stay in registers
// while every row passes.
template <class T, class Load, class One>
void axpy8(int64_t n, int64_t nrows, const float* a, const void* x, size_t stride, float* y, Load load, One one) {
    auto row = [x, stride](int64_t r) {
        return reinterpret_cast<const T*>(static_cast<const uint8_t*>(x) + size_t(r) * stride);
    };
    int64_t i = 0;
    for (; i + 32 <= n; i += 32) {
        __m256 acc[4];
        for (int k = 0; k < 4; ++k) acc[k] = _mm256_loadu_ps(y + i + 8 * k);
        for (int64_t r = 0; r < nrows; ++r) {
            const __m256 va = _mm256_set1_ps(a[r]);
            const T* xr = row(r) + i;
            for (int k = 0; k < 4; ++k) acc[k] = _mm256_add_ps(acc[k], _mm256_mul_ps(va, load(xr + 8 * k)));
        }
        for (int k = 0; k < 4; ++k) _mm256_storeu_ps(y + i + 8 * k, acc[k]);
    }
    for (; i + 8 <= n; i += 8) {
        __m256 acc = _mm256_loadu_ps(y + i);
        for (int64_t r = 0; r < nrows; ++r) acc = _mm256_add_ps(acc, _mm256_mul_ps(_mm256_set1_ps(a[r]), load(row(r) + i)));
        _mm256_storeu_ps(y + i, acc);
    }
    for (; i < n; ++i) {
        float v = y[i];
        for (int64_t r = 0; r < nrows; ++r) v += a[r] * one(row(r)[i]);
        y[i] = v;
    }
}

}  // namespace

float vec_dot_f32(int64_t n, const void* w, const void* a) {
    return dot8(
        n, static_cast<const float*>(w), static_cast<const float*>(a),
        [](const float* p) { return _mm256_loadu_ps(p); }, [](float v) { return v; });
}

float vec_dot_f16(int64_t n, const void* w, const void* a) {
    return dot8(n, static_cast<const uint16_t*>(w), static_cast<const uint16_t*>(a),
                load_f16x8, h2f);
}

float vec_dot_bf16(int64_t n, const void* w, const void* a) {
    return dot8(n, static_cast<const uint16_t*>(w), static_cast<const uint16_t*>(a),
                load_bf16x8, bf16_scalar);
}

void quantize_row_f16(const float* x, void* y, int64_t n) {
    uint16_t* out = static_cast<uint16_t*>(y);
    int64_t i = 0;
    // F16C rounds to nearest even, exactly as the scalar fp32_to_fp16.
    for (; i + 8 <= n; i += 8)
        _mm_storeu_si128(reinterpret_cast<__m128i*>(out + i),
                         _mm256_cvtps_ph(_mm256_loadu_ps(x + i), _MM_FROUND_TO_NEAREST_INT));
    for (; i < n; ++i) out[i] = _cvtss_sh(x[i], _MM_FROUND_TO_NEAREST_INT);
}

void dequantize_row_f16(const void* x, float* y, int64_t n) {
    const uint16_t* in = static_cast<const uint16_t*>(x);
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, load_f16x8(in + i));
    for (; i < n; ++i) y[i] = h2f(in[i]);
}

void axpy_rows_f32(int64_t n, int64_t nrows, const float* a, const void* x, size_t x_stride, float* y) {
    axpy8<float>(n, nrows, a, x, x_stride, y, [](const float* p) { return _mm256_loadu_ps(p); },
                 [](float v) { return v; });
}

void axpy_rows_f16(int64_t n, int64_t nrows, const float* a, const void* x, size_t x_stride, float* y) {
    axpy8<uint16_t>(n, nrows, a, x, x_stride, y, load_f16x8, h2f);
}

void gemv_f32(int64_t K, const void* w, size_t s, int64_t n, const void* a, float* y) {
    gemv_rows<vec_dot_f32>(K, w, s, n, a, y);
}
void gemv_f16(int64_t K, const void* w, size_t s, int64_t n, const void* a, float* y) {
    gemv_rows<vec_dot_f16>(K, w, s, n, a, y);
}
void gemv_bf16(int64_t K, const void* w, size_t s, int64_t n, const void* a, float* y) {
    gemv_rows<vec_dot_bf16>(K, w, s, n, a, y);
}

namespace {

// ---- Attention: the query heads that share one KV head, rows read once ----

// KV row element types (8 per vector) and their scalar conversion.
struct F32x8 {
    using T = float;
    static __m256 load(const float* p) { return _mm256_loadu_ps(p); }
    static float one(float v) { return v; }
};
struct F16x8 {
    using T = uint16_t;
    static __m256 load(const uint16_t* p) { return load_f16x8(p); }
    static float one(uint16_t v) { return h2f(v); }
};

// hsum() of 8 vectors at once, each by hsum()'s own pairing (lane i with
// i + 4, then j with j + 2, then 0 with 1: the same operands, so the same
// bits): out[d] = hsum(v[d]).
inline void hsum8x8(const __m256 v[8], float out[8]) {
    __m256 w[4], y[2];
    for (int m = 0; m < 4; ++m)  // w[m]: 128-bit lane L from v[2m + L]
        w[m] = _mm256_add_ps(_mm256_permute2f128_ps(v[2 * m], v[2 * m + 1], 0x20),
                             _mm256_permute2f128_ps(v[2 * m], v[2 * m + 1], 0x31));
    for (int m = 0; m < 2; ++m)  // y[m], lane L: pairs of v[4m + L], then of v[4m + 2 + L]
        y[m] = _mm256_add_ps(_mm256_shuffle_ps(w[2 * m], w[2 * m + 1], _MM_SHUFFLE(1, 0, 1, 0)),
                             _mm256_shuffle_ps(w[2 * m], w[2 * m + 1], _MM_SHUFFLE(3, 2, 3, 2)));
    // Lane 4L + j holds the sum of v[2j + L]; the permutation puts v[d]'s in lane d.
    const __m256 z = _mm256_add_ps(_mm256_shuffle_ps(y[0], y[1], _MM_SHUFFLE(2, 0, 2, 0)),
                                   _mm256_shuffle_ps(y[0], y[1], _MM_SHUFFLE(3, 1, 3, 1)));
    _mm256_storeu_ps(out, _mm256_permutevar8x32_ps(z, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7)));
}

// 8 dots (HT heads x 8 / HT rows) in dot8()'s order each: accumulator k takes
// elements 32c + 8k + [0, 8) by fma (and acc 0 the 8-element steps after the
// last 32), then (acc0 + acc1) + (acc2 + acc3), hsum, then the scalar tail.
// The accumulators run one k at a time so 8 dots fit the 16 registers.
// q: the HT queries as floats, ldq floats apart.
template <class L, int HT>
void heads_tile(int64_t K, const typename L::T* const rows[], const float* q, int64_t ldq, float res[8]) {
    constexpr int RT = 8 / HT;
    const int64_t K32 = K & ~int64_t(31), K8 = K & ~int64_t(7);
    auto pass = [&](int k, __m256 acc[8]) {  // accumulator k of every dot
        for (int d = 0; d < 8; ++d) acc[d] = _mm256_setzero_ps();
        auto step = [&](int64_t i) {
            for (int r = 0; r < RT; ++r) {
                const __m256 w = L::load(rows[r] + i);
                for (int h = 0; h < HT; ++h)
                    acc[h * RT + r] = _mm256_fmadd_ps(w, _mm256_loadu_ps(q + h * ldq + i), acc[h * RT + r]);
            }
        };
        for (int64_t i = 8 * k; i < K32; i += 32) step(i);
        if (k == 0)
            for (int64_t i = K32; i < K8; i += 8) step(i);
    };
    __m256 a[8], b[8], s01[8], part[8];
    pass(0, a);
    pass(1, b);
    for (int d = 0; d < 8; ++d) s01[d] = _mm256_add_ps(a[d], b[d]);
    pass(2, a);
    pass(3, b);
    for (int d = 0; d < 8; ++d) part[d] = _mm256_add_ps(s01[d], _mm256_add_ps(a[d], b[d]));
    hsum8x8(part, res);
    for (int64_t i = K8; i < K; ++i)
        for (int h = 0; h < HT; ++h)
            for (int r = 0; r < RT; ++r) res[h * RT + r] += L::one(rows[r][i]) * q[h * ldq + i];
}

constexpr int64_t kMaxHeadK = 512;  // queries widened on the stack up to this length

template <class L, GemvFn Single>
void gemv_heads(int64_t K, const void* w, size_t w_stride, int64_t nrows, int nq, const void* a, size_t a_stride,
                float* y, int64_t ldy) {
    const auto* qa = static_cast<const uint8_t*>(a);
    if (K > kMaxHeadK) {
        for (int h = 0; h < nq; ++h) Single(K, w, w_stride, nrows, qa + size_t(h) * a_stride, y + h * ldy);
        return;
    }
    float buf[8 * kMaxHeadK];
    const auto* wb = static_cast<const uint8_t*>(w);
    // F32 queries are used in place; F16 ones widened once per call.
    constexpr bool kInPlace = sizeof(typename L::T) == 4;
    const bool in_place = kInPlace && a_stride % 4 == 0;
    heads_lanes::head_groups<8>(nq, [&]<int HT>(int h0) {
        const float* q = buf;
        int64_t ldq = K;
        if (in_place) {
            q = reinterpret_cast<const float*>(qa + size_t(h0) * a_stride);
            ldq = int64_t(a_stride / 4);
        } else {
            for (int h = 0; h < HT; ++h) {
                const auto* src = reinterpret_cast<const typename L::T*>(qa + size_t(h0 + h) * a_stride);
                int64_t i = 0;
                for (; i + 8 <= K; i += 8) _mm256_storeu_ps(buf + h * K + i, L::load(src + i));
                for (; i < K; ++i) buf[h * K + i] = L::one(src[i]);
            }
        }
        heads_lanes::score_rows<8, HT, typename L::T>(
            [&]<int H>(const typename L::T* const* rows, float* res) { heads_tile<L, H>(K, rows, q, ldq, res); }, wb,
            w_stride, nrows, y + h0 * ldy, ldy);
    });
}

// HT heads x NV vectors of y over all rows: y += a * x per row in order,
// multiply then add, as axpy8(); each row's vectors converted once for all heads.
template <class L, int NV, int HT>
void axpy_tile(int64_t nrows, const float* a, int64_t lda, const uint8_t* x, size_t x_stride, float* y, int64_t ldy) {
    __m256 acc[HT][NV];
    for (int h = 0; h < HT; ++h)
        for (int k = 0; k < NV; ++k) acc[h][k] = _mm256_loadu_ps(y + h * ldy + 8 * k);
    for (int64_t r = 0; r < nrows; ++r) {
        const auto* xr = reinterpret_cast<const typename L::T*>(x + size_t(r) * x_stride);
        __m256 v[NV];
        for (int k = 0; k < NV; ++k) v[k] = L::load(xr + 8 * k);
        for (int h = 0; h < HT; ++h) {
            const __m256 va = _mm256_set1_ps(a[h * lda + r]);
            for (int k = 0; k < NV; ++k) acc[h][k] = _mm256_add_ps(acc[h][k], _mm256_mul_ps(va, v[k]));
        }
    }
    for (int h = 0; h < HT; ++h)
        for (int k = 0; k < NV; ++k) _mm256_storeu_ps(y + h * ldy + 8 * k, acc[h][k]);
}

template <class L, int NV>
void axpy_cols(int64_t nrows, int nq, const float* a, int64_t lda, const uint8_t* x, size_t x_stride, float* y,
               int64_t ldy) {
    heads_lanes::head_groups<4>(nq, [&]<int HT>(int h0) {
        axpy_tile<L, NV, HT>(nrows, a + h0 * lda, lda, x, x_stride, y + h0 * ldy, ldy);
    });
}

template <class L>
void axpy_heads(int64_t n, int64_t nrows, int nq, const float* a, int64_t lda, const void* x, size_t x_stride,
                float* y, int64_t ldy) {
    const auto* xb = static_cast<const uint8_t*>(x);
    constexpr size_t kT = sizeof(typename L::T);
    int64_t c = 0;
    for (; c + 16 <= n; c += 16) axpy_cols<L, 2>(nrows, nq, a, lda, xb + c * kT, x_stride, y + c, ldy);
    if (c + 8 <= n) {
        axpy_cols<L, 1>(nrows, nq, a, lda, xb + c * kT, x_stride, y + c, ldy);
        c += 8;
    }
    for (; c < n; ++c)  // axpy8()'s scalar tail
        for (int h = 0; h < nq; ++h) {
            float v = y[h * ldy + c];
            for (int64_t r = 0; r < nrows; ++r)
                v += a[h * lda + r] * L::one(reinterpret_cast<const typename L::T*>(xb + size_t(r) * x_stride)[c]);
            y[h * ldy + c] = v;
        }
}

}  // namespace

void gemv_heads_f32(int64_t K, const void* w, size_t s, int64_t n, int nq, const void* a, size_t as, float* y,
                    int64_t ldy) {
    gemv_heads<F32x8, gemv_f32>(K, w, s, n, nq, a, as, y, ldy);
}
void gemv_heads_f16(int64_t K, const void* w, size_t s, int64_t n, int nq, const void* a, size_t as, float* y,
                    int64_t ldy) {
    gemv_heads<F16x8, gemv_f16>(K, w, s, n, nq, a, as, y, ldy);
}
void axpy_heads_f32(int64_t n, int64_t nrows, int nq, const float* a, int64_t lda, const void* x, size_t s, float* y,
                    int64_t ldy) {
    axpy_heads<F32x8>(n, nrows, nq, a, lda, x, s, y, ldy);
}
void axpy_heads_f16(int64_t n, int64_t nrows, int nq, const float* a, int64_t lda, const void* x, size_t s, float* y,
                    int64_t ldy) {
    axpy_heads<F16x8>(n, nrows, nq, a, lda, x, s, y, ldy);
}

namespace {

// 16 softmax lanes as two 256-bit halves (kernels/softmax_lanes.h).
struct Lanes16 {
    struct F {
        __m256 lo, hi;
    };
    template <class Op>
    static F each(F a, F b, Op op) {
        return {op(a.lo, b.lo), op(a.hi, b.hi)};
    }
    static __m256i mask(int64_t valid) {  // lanes below valid
        return _mm256_cmpgt_epi32(_mm256_set1_epi32(int(valid)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
    }
    static F set1(float v) { return {_mm256_set1_ps(v), _mm256_set1_ps(v)}; }
    static F load(const float* p, int64_t valid) {
        if (valid >= 16) return {_mm256_loadu_ps(p), _mm256_loadu_ps(p + 8)};
        return {_mm256_maskload_ps(p, mask(valid)), _mm256_maskload_ps(p + 8, mask(valid - 8))};
    }
    static void store(float* p, F v, int64_t valid) {
        if (valid >= 16) {
            _mm256_storeu_ps(p, v.lo);
            _mm256_storeu_ps(p + 8, v.hi);
        } else {
            _mm256_maskstore_ps(p, mask(valid), v.lo);
            _mm256_maskstore_ps(p + 8, mask(valid - 8), v.hi);
        }
    }
    static F add(F a, F b) { return each(a, b, [](__m256 x, __m256 y) { return _mm256_add_ps(x, y); }); }
    static F sub(F a, F b) { return each(a, b, [](__m256 x, __m256 y) { return _mm256_sub_ps(x, y); }); }
    static F mul(F a, F b) { return each(a, b, [](__m256 x, __m256 y) { return _mm256_mul_ps(x, y); }); }
    static F div(F a, F b) { return each(a, b, [](__m256 x, __m256 y) { return _mm256_div_ps(x, y); }); }
    static F max(F a, F b) { return each(a, b, [](__m256 x, __m256 y) { return _mm256_max_ps(x, y); }); }
    static F min(F a, F b) { return each(a, b, [](__m256 x, __m256 y) { return _mm256_min_ps(x, y); }); }
    static F pow2(F t) {
        auto half = [](__m256 h) {
            const __m256i e = _mm256_add_epi32(_mm256_castps_si256(h),
                                               _mm256_set1_epi32(127 - int32_t(exp_poly::kRoundBits)));
            return _mm256_castsi256_ps(_mm256_slli_epi32(e, 23));
        };
        return {half(t.lo), half(t.hi)};
    }
    static F keep(F v, int64_t valid) {
        if (valid >= 16) return v;
        return {_mm256_and_ps(v.lo, _mm256_castsi256_ps(mask(valid))),
                _mm256_and_ps(v.hi, _mm256_castsi256_ps(mask(valid - 8)))};
    }
    static F keep_or(F v, F w, int64_t valid) {
        if (valid >= 16) return v;
        return {_mm256_blendv_ps(w.lo, v.lo, _mm256_castsi256_ps(mask(valid))),
                _mm256_blendv_ps(w.hi, v.hi, _mm256_castsi256_ps(mask(valid - 8)))};
    }
    static float hmax(F v) {
        const __m256 m8 = _mm256_max_ps(v.lo, v.hi);
        __m128 m = _mm_max_ps(_mm256_castps256_ps128(m8), _mm256_extractf128_ps(m8, 1));
        m = _mm_max_ps(m, _mm_movehl_ps(m, m));
        return _mm_cvtss_f32(_mm_max_ss(m, _mm_movehdup_ps(m)));
    }
    static float reduce16(F v) { return hsum(_mm256_add_ps(v.lo, v.hi)); }
};

}  // namespace

void softmax(float* x, int64_t n, float scale) { softmax_lanes::softmax<Lanes16>(x, n, scale); }
void swiglu(float* gate, const float* up, int64_t n) { softmax_lanes::swiglu<Lanes16>(gate, up, n); }

}  // namespace glint::kernels::avx2
