// K-quant scale helpers at the AVX2 level (128-bit lanes), shared by the AVX2
// and AVX-512 sets' GEMVs. Included only by ISA translation units; internal
// linkage throughout (see the rule in kernels/avx2/avx2.h).
#pragma once
#include <immintrin.h>

#include <cstdint>

namespace glint::kernels {
namespace {
namespace k_scales {

// 12 packed bytes of a Q4_K/Q5_K super-block (at q; 16 bytes are read) ->
// bytes 0-7: the 8 scales, bytes 8-15: the 8 mins (see unpack_scale_min_k4 in blocks.h).
inline __m128i scales_mins_k4(const uint8_t* q) {
    const __m128i u = _mm_loadu_si128(reinterpret_cast<const __m128i*>(q));
    const __m128i a = _mm_shuffle_epi32(u, _MM_SHUFFLE(2, 1, 2, 0));  // U0 U2 U1 U2
    const __m128i b = _mm_shuffle_epi32(u, _MM_SHUFFLE(1, 1, 0, 0));  // U0 U0 U1 U1
    const __m128i lo = _mm_and_si128(_mm_srlv_epi32(a, _mm_setr_epi32(0, 0, 0, 4)),
                                     _mm_setr_epi32(0x3f3f3f3f, 0x0f0f0f0f, 0x3f3f3f3f, 0x0f0f0f0f));
    const __m128i hi = _mm_and_si128(_mm_srli_epi32(b, 2), _mm_setr_epi32(0, 0x30303030, 0, 0x30303030));
    return _mm_or_si128(lo, hi);
}

// Sums of bsums pairs: the 8 sub-block (32-element) activation sums as int16.
inline __m128i bsum32(const int16_t* bsums) {
    const __m256i b = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(bsums));
    const __m256i s = _mm256_madd_epi16(b, _mm256_set1_epi16(1));  // 8 int32, small
    return _mm_packs_epi32(_mm256_castsi256_si128(s), _mm256_extracti128_si256(s, 1));
}

}  // namespace k_scales
}  // namespace
}  // namespace glint::kernels
