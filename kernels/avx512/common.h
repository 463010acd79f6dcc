// File-local helpers for the AVX-512 kernels (F + BW + VL, with AVX2/FMA/F16C).
// Everything has internal linkage, so no AVX-512 code can be chosen by the
// linker for a generic caller (see the rule in kernels/avx2/avx2.h).
#pragma once
#include <immintrin.h>

#include <cstdint>
#include <cstring>

namespace glint::kernels::avx512 {
namespace {

inline float h2f(uint16_t h) { return _cvtsh_ss(h); }

inline __m512i load512(const void* p) { return _mm512_loadu_si512(p); }
inline __m256i load256(const void* p) { return _mm256_loadu_si256(static_cast<const __m256i*>(p)); }
inline __m128i load128(const void* p) { return _mm_loadu_si128(static_cast<const __m128i*>(p)); }

// The canonical reduction of 16 float lanes shared by every fast kernel set:
// r8[i] = v[i] + v[i+8], r4[i] = r8[i] + r8[i+4], r2[i] = r4[i] + r4[i+2], r2[0] + r2[1].
inline float reduce16(__m512 v) {
    const __m256 lo = _mm512_castps512_ps256(v);
    const __m256 hi = _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1));
    const __m256 r8 = _mm256_add_ps(lo, hi);
    const __m128 r4 = _mm_add_ps(_mm256_castps256_ps128(r8), _mm256_extractf128_ps(r8, 1));
    const __m128 r2 = _mm_add_ps(r4, _mm_movehl_ps(r4, r4));
    return _mm_cvtss_f32(_mm_add_ss(r2, _mm_movehdup_ps(r2)));
}

// Exact integer sum of 16 int32 lanes.
inline int32_t hsum_i32(__m512i v) {
    __m256i s = _mm256_add_epi32(_mm512_castsi512_si256(v), _mm512_extracti64x4_epi64(v, 1));
    __m128i t = _mm_add_epi32(_mm256_castsi256_si128(s), _mm256_extracti128_si256(s, 1));
    t = _mm_add_epi32(t, _mm_shuffle_epi32(t, 0x4E));
    t = _mm_add_epi32(t, _mm_shuffle_epi32(t, 0xB1));
    return _mm_cvtsi128_si32(t);
}

// The last two levels of transpose_sum16: l2[i] (i < 4) holds, in its four
// 128-bit lanes, four int32 partial sums of rows i, i+4, i+8 and i+12.
inline __m512i transpose_sum_groups4(const __m512i l2[4]) {
    const __m512i i3lo = _mm512_setr_epi32(0, 1, 16, 17, 4, 5, 20, 21, 8, 9, 24, 25, 12, 13, 28, 29);
    const __m512i i3hi = _mm512_setr_epi32(2, 3, 18, 19, 6, 7, 22, 23, 10, 11, 26, 27, 14, 15, 30, 31);
    __m512i l3[2];
    for (int i = 0; i < 2; ++i)
        l3[i] = _mm512_add_epi32(_mm512_permutex2var_epi32(l2[i], i3lo, l2[i + 2]),
                                 _mm512_permutex2var_epi32(l2[i], i3hi, l2[i + 2]));
    // l3[i]: pairs of lanes: rows i, i+2, i+4, ..., i+14.
    const __m512i i4lo = _mm512_setr_epi32(0, 16, 2, 18, 4, 20, 6, 22, 8, 24, 10, 26, 12, 28, 14, 30);
    const __m512i i4hi = _mm512_setr_epi32(1, 17, 3, 19, 5, 21, 7, 23, 9, 25, 11, 27, 13, 29, 15, 31);
    return _mm512_add_epi32(_mm512_permutex2var_epi32(l3[0], i4lo, l3[1]),
                            _mm512_permutex2var_epi32(l3[0], i4hi, l3[1]));
}

// The levels of transpose_sum16 after the first: l1[i] (i < 8) holds in lanes
// 0-7 eight int32 partial sums of row i and in lanes 8-15 eight of row i+8.
inline __m512i transpose_sum_l1(const __m512i l1[8]) {
    // Level 2: 4 partials per row, rows i, i+4 (and +8).
    const __m512i i2lo = _mm512_setr_epi32(0, 1, 2, 3, 16, 17, 18, 19, 8, 9, 10, 11, 24, 25, 26, 27);
    const __m512i i2hi = _mm512_setr_epi32(4, 5, 6, 7, 20, 21, 22, 23, 12, 13, 14, 15, 28, 29, 30, 31);
    __m512i l2[4];
    for (int i = 0; i < 4; ++i)
        l2[i] = _mm512_add_epi32(_mm512_permutex2var_epi32(l1[i], i2lo, l1[i + 4]),
                                 _mm512_permutex2var_epi32(l1[i], i2hi, l1[i + 4]));
    return transpose_sum_groups4(l2);
}

// Transpose-and-add: given 16 vectors v[r] of 16 int32, returns the vector
// whose lane r is the sum of v[r]'s lanes (integer, so any order is exact).
inline __m512i transpose_sum16(const __m512i v[16]) {
    // Level 1: pairs (a, b) -> lanes 0-7 from a, 8-15 from b, each the sum of a lane i and i+8.
    const __m512i i1lo = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23);
    const __m512i i1hi = _mm512_setr_epi32(8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26, 27, 28, 29, 30, 31);
    __m512i l1[8];
    for (int i = 0; i < 8; ++i)
        l1[i] = _mm512_add_epi32(_mm512_permutex2var_epi32(v[i], i1lo, v[i + 8]),
                                 _mm512_permutex2var_epi32(v[i], i1hi, v[i + 8]));
    return transpose_sum_l1(l1);
}

// Vector traits of the shared token-lane GEMMs (kernels/lane_gemm.h,
// kernels/lane_gemm_q8_0.h) for 512-bit vectors.
struct V512 {
    using I = __m512i;
    using F = __m512;
    static constexpr int kLanes = 16;
    static constexpr int kQ8Rows = 8;  // Q4_0/Q8_0 rows per tile
    static constexpr bool kDot4 = false;  // no 4-byte dot (lanes_q8::WithDot4 adds one)
    static I load(const void* p) { return load512(p); }
    static I maddubs(I w, I a) { return _mm512_maddubs_epi16(w, a); }
    static I add16(I a, I b) { return _mm512_add_epi16(a, b); }
    static I madd(I a, I b) { return _mm512_madd_epi16(a, b); }
    static I add32(I a, I b) { return _mm512_add_epi32(a, b); }
    static I sub32(I a, I b) { return _mm512_sub_epi32(a, b); }
    static I ones16() { return _mm512_set1_epi16(1); }
    static I shl5(I a) { return _mm512_slli_epi32(a, 5); }
    // Keeps a loaded vector in a register: without this the compiler folds the
    // load into every instruction that uses it, one load per row.
    static I in_reg(I v) {
        __asm__("" : "+v"(v));
        return v;
    }
    static F zero() { return _mm512_setzero_ps(); }
    static F load_f(const void* p) { return _mm512_loadu_ps(p); }
    static void store_f(float* p, F v) { _mm512_storeu_ps(p, v); }
    static F cvt(I v) { return _mm512_cvtepi32_ps(v); }
    static F cast_f(I v) { return _mm512_castsi512_ps(v); }
    static F mul(F a, F b) { return _mm512_mul_ps(a, b); }
    static F fmadd(F a, F b, F c) { return _mm512_fmadd_ps(a, b, c); }
    static F sub(F a, F b) { return _mm512_sub_ps(a, b); }
    template <int RP>  // 1, 2 or 4 words
    static I bcast(const uint8_t* p) {
        if constexpr (RP == 1) {
            int32_t v;
            std::memcpy(&v, p, 4);
            return _mm512_set1_epi32(v);
        } else if constexpr (RP == 2) {
            long long v;
            std::memcpy(&v, p, 8);
            return _mm512_set1_epi64(v);
        } else {
            return _mm512_broadcast_i32x4(load128(p));
        }
    }
};

// vpdpbusd (AVX-512 VNNI, kernels/avx512vnni/) for lanes_q8::WithDot4 on CPUs
// without it, so every AVX-512 machine tests the Dot4 kernels: even and odd bytes widened to int16 (u zero-,
// s sign-extended), two pairwise multiply-adds: the same int32 sums.
struct Dot4Emulated {
    static __m512i dot4(__m512i acc, __m512i u, __m512i s) {
        const __m512i u_even = _mm512_and_si512(u, _mm512_set1_epi16(0x00FF));
        const __m512i u_odd = _mm512_srli_epi16(u, 8);
        const __m512i s_even = _mm512_srai_epi16(_mm512_slli_epi16(s, 8), 8);
        const __m512i s_odd = _mm512_srai_epi16(s, 8);
        return _mm512_add_epi32(acc, _mm512_add_epi32(_mm512_madd_epi16(u_even, s_even), _mm512_madd_epi16(u_odd, s_odd)));
    }
};

}  // namespace
}  // namespace glint::kernels::avx512
