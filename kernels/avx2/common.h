// File-local helpers for the AVX2 kernels. Everything here has internal linkage
// (anonymous namespace), so each AVX2 TU keeps its own copy and nothing built
// with AVX2 flags can be picked by the linker for generic code.
#pragma once
#include <immintrin.h>

#include <cstddef>
#include <cstdint>

namespace glint::kernels::avx2 {
namespace {

inline float hsum(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

inline float h2f(uint16_t h) { return _cvtsh_ss(h); }

// fma(a, b, c) rounded once (the K-quant float chain; no std::fma, see avx2.h).
inline float fma1(float a, float b, float c) {
    return _mm_cvtss_f32(_mm_fmadd_ss(_mm_set_ss(a), _mm_set_ss(b), _mm_set_ss(c)));
}

// Exact integer sum of 8 int32 lanes.
inline int32_t hsum_i32(__m256i v) {
    __m128i t = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    t = _mm_add_epi32(t, _mm_shuffle_epi32(t, 0x4E));
    t = _mm_add_epi32(t, _mm_shuffle_epi32(t, 0xB1));
    return _mm_cvtsi128_si32(t);
}

// Signed int8 x int8, adjacent products summed into 8 int32 lanes. maddubs
// needs an unsigned left side: move x's sign onto y. No saturation for
// |x|,|y| <= 127 or one side in [-8, 7].
inline __m256i dot_i8(__m256i x, __m256i y) {
    const __m256i p = _mm256_maddubs_epi16(_mm256_sign_epi8(x, x), _mm256_sign_epi8(y, x));
    return _mm256_madd_epi16(p, _mm256_set1_epi16(1));
}

// Unsigned (< 64) x signed int8, adjacent pairs summed into 16 int16 lanes.
inline __m256i dot_u8_i8_pairs(__m256i u, __m256i s) { return _mm256_maddubs_epi16(u, s); }

// GEMV as one dot per row (the AVX2 dots stream a row at memory speed; what a
// multi-row kernel would save is the activation loads, which stay in L1).
template <float (*Dot)(int64_t, const void*, const void*)>
void gemv_rows(int64_t K, const void* w, size_t w_stride, int64_t nrows, const void* a, float* y) {
    const auto* base = static_cast<const uint8_t*>(w);
    for (int64_t r = 0; r < nrows; ++r) y[r] = Dot(K, base + size_t(r) * w_stride, a);
}

inline __m256i load256(const void* p) { return _mm256_loadu_si256(static_cast<const __m256i*>(p)); }
inline __m128i load128(const void* p) { return _mm_loadu_si128(static_cast<const __m128i*>(p)); }

}  // namespace
}  // namespace glint::kernels::avx2
