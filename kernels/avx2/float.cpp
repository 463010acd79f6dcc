// F32 / F16 / BF16 dots and f16 row conversion. Dots accumulate in float lanes
// (the scalar reference uses double), so results agree to float rounding.
#include <cstring>

#include "kernels/avx2/avx2.h"
#include "kernels/avx2/common.h"
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
