// File-local helpers for the AVX2 kernels. Everything here has internal linkage
// (anonymous namespace), so each AVX2 TU keeps its own copy and nothing built
// with AVX2 flags can be picked by the linker for generic code.
#pragma once
#include <immintrin.h>

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace glint::kernels::avx2 {
namespace {

inline float hsum(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

inline float h2f(uint16_t h) { return _cvtsh_ss(h); }

// Unsigned (< 64) x signed int8, adjacent pairs summed into 16 int16 lanes.
inline __m256i dot_u8_i8_pairs(__m256i u, __m256i s) { return _mm256_maddubs_epi16(u, s); }

// GEMV as one dot per row, for the types whose dot is fast enough alone (F32,
// F16, BF16: one horizontal sum per row); the quantized types reduce 8 rows at
// once instead (q8_0.cpp, k_quants.cpp).
template <float (*Dot)(int64_t, const void*, const void*)>
void gemv_rows(int64_t K, const void* w, size_t w_stride, int64_t nrows, const void* a, float* y) {
    const auto* base = static_cast<const uint8_t*>(w);
    for (int64_t r = 0; r < nrows; ++r) y[r] = Dot(K, base + size_t(r) * w_stride, a);
}

inline __m256i load256(const void* p) { return _mm256_loadu_si256(static_cast<const __m256i*>(p)); }
inline __m128i load128(const void* p) { return _mm_loadu_si128(static_cast<const __m128i*>(p)); }

// Lane r of the result: the 8 lanes of p[r] summed (the GEMVs' rows-in-lanes step).
inline __m256i transpose_sum8(const __m256i p[8]) {
    const __m256i a = _mm256_hadd_epi32(_mm256_hadd_epi32(p[0], p[1]), _mm256_hadd_epi32(p[2], p[3]));
    const __m256i b = _mm256_hadd_epi32(_mm256_hadd_epi32(p[4], p[5]), _mm256_hadd_epi32(p[6], p[7]));
    // a: rows 0-3 from the low 128 bits | rows 0-3 from the high; b likewise for rows 4-7.
    return _mm256_add_epi32(_mm256_permute2x128_si256(a, b, 0x20), _mm256_permute2x128_si256(a, b, 0x31));
}

// Vector traits of the shared token-lane GEMMs (kernels/lane_gemm.h,
// kernels/lane_gemm_q8_0.h) for 256-bit vectors.
struct V256 {
    using I = __m256i;
    using F = __m256;
    static constexpr int kLanes = 8;
    static constexpr int kQ8Rows = 4;  // Q4_0/Q8_0 rows per tile (16 registers)
    static constexpr bool kDot4 = false;  // no 4-byte dot (lanes_q8::WithDot4 adds one)
    static I load(const void* p) { return load256(p); }
    static I maddubs(I w, I a) { return _mm256_maddubs_epi16(w, a); }
    static I add16(I a, I b) { return _mm256_add_epi16(a, b); }
    static I madd(I a, I b) { return _mm256_madd_epi16(a, b); }
    static I add32(I a, I b) { return _mm256_add_epi32(a, b); }
    static I sub32(I a, I b) { return _mm256_sub_epi32(a, b); }
    static I ones16() { return _mm256_set1_epi16(1); }
    static I shl5(I a) { return _mm256_slli_epi32(a, 5); }
    // Keeps a loaded vector in a register (one load for all rows of the tile).
    static I in_reg(I v) {
        __asm__("" : "+x"(v));
        return v;
    }
    static F zero() { return _mm256_setzero_ps(); }
    static F load_f(const void* p) { return _mm256_loadu_ps(static_cast<const float*>(p)); }
    static void store_f(float* p, F v) { _mm256_storeu_ps(p, v); }
    static F cvt(I v) { return _mm256_cvtepi32_ps(v); }
    static F cast_f(I v) { return _mm256_castsi256_ps(v); }
    static F mul(F a, F b) { return _mm256_mul_ps(a, b); }
    static F fmadd(F a, F b, F c) { return _mm256_fmadd_ps(a, b, c); }
    static F sub(F a, F b) { return _mm256_sub_ps(a, b); }
    template <int RP>  // 1 or 2 words
    static I bcast(const uint8_t* p) {
        if constexpr (RP == 1) {
            int32_t v;
            std::memcpy(&v, p, 4);
            return _mm256_set1_epi32(v);
        } else {
            long long v;
            std::memcpy(&v, p, 8);
            return _mm256_set1_epi64x(v);
        }
    }
};

// vpdpbusd (AVX-VNNI, kernels/avxvnni/) for lanes_q8::WithDot4 on CPUs without
// it, so every AVX2 machine tests the Dot4 kernels: even and odd bytes widened to int16 (u zero-, s
// sign-extended), two pairwise multiply-adds: the same int32 sums.
struct Dot4Emulated {
    static __m256i dot4(__m256i acc, __m256i u, __m256i s) {
        const __m256i u_even = _mm256_and_si256(u, _mm256_set1_epi16(0x00FF));
        const __m256i u_odd = _mm256_srli_epi16(u, 8);
        const __m256i s_even = _mm256_srai_epi16(_mm256_slli_epi16(s, 8), 8);
        const __m256i s_odd = _mm256_srai_epi16(s, 8);
        return _mm256_add_epi32(acc, _mm256_add_epi32(_mm256_madd_epi16(u_even, s_even), _mm256_madd_epi16(u_odd, s_odd)));
    }
};

}  // namespace
}  // namespace glint::kernels::avx2
