// Q4_K / Q5_K / Q6_K dots against Q8_K activations, and Q8_K quantization
// (bit-identical to the scalar reference). The dots follow the float order of
// kernels/avx512/k_quants.cpp (exact integer sums per super-block, then one fma
// chain), so the AVX2 GEMM (k_gemm.cpp) can match them bit for bit.
#include <cstring>

#include "kernels/avx2/avx2.h"
#include "kernels/avx2/common.h"
#include "kernels/blocks.h"
#include "kernels/lane_gemm_q8_0.h"  // its AVX2-level helpers fma1, hsum8

namespace glint::kernels::avx2 {
namespace {

using lanes_q8::fma1;
using lanes_q8::hsum8;

// Local copy of unpack_scale_min_k4 (see avx2.h on why not the shared one).
inline void scales_mins_k4(const uint8_t* q, uint8_t sc[8], uint8_t m[8]) {
    for (int j = 0; j < 4; ++j) {
        sc[j] = q[j] & 63;
        m[j] = q[j + 4] & 63;
        sc[j + 4] = uint8_t((q[j + 8] & 0xF) | ((q[j] >> 6) << 4));
        m[j + 4] = uint8_t((q[j + 8] >> 4) | ((q[j + 4] >> 6) << 4));
    }
}

inline int32_t min_term(const uint8_t m[8], const int16_t* bsums) {
    int32_t s = 0;
    for (int j = 0; j < 8; ++j) s += m[j] * (bsums[2 * j] + bsums[2 * j + 1]);
    return s;
}

// Integer dot of 4-bit (or 5-bit) q against Q8_K for one 64-element chunk:
// lo = first 32 elements (scale sc0), hi = next 32 (scale sc1).
inline __m256i chunk_dot(__m256i lo, __m256i hi, const int8_t* q8, int sc0, int sc1) {
    const __m256i plo = _mm256_madd_epi16(dot_u8_i8_pairs(lo, load256(q8)), _mm256_set1_epi16(int16_t(sc0)));
    const __m256i phi =
        _mm256_madd_epi16(dot_u8_i8_pairs(hi, load256(q8 + 32)), _mm256_set1_epi16(int16_t(sc1)));
    return _mm256_add_epi32(plo, phi);
}

}  // namespace

float vec_dot_q4_K_q8_K(int64_t n, const void* w, const void* a) {
    const block_q4_K* x = static_cast<const block_q4_K*>(w);
    const block_q8_K* y = static_cast<const block_q8_K*>(a);
    const __m256i m4 = _mm256_set1_epi8(0x0F);
    float acc = 0.0f, acc_m = 0.0f;
    for (int64_t b = 0; b < n / QK_K; ++b) {
        uint8_t sc[8], m[8];
        scales_mins_k4(x[b].scales, sc, m);
        __m256i sumi = _mm256_setzero_si256();
        for (int c = 0; c < 4; ++c) {
            const __m256i q = load256(x[b].qs + 32 * c);
            const __m256i lo = _mm256_and_si256(q, m4);
            const __m256i hi = _mm256_and_si256(_mm256_srli_epi16(q, 4), m4);
            sumi = _mm256_add_epi32(sumi, chunk_dot(lo, hi, y[b].qs + 64 * c, sc[2 * c], sc[2 * c + 1]));
        }
        acc = fma1(h2f(x[b].d) * y[b].d, float(hsum8(sumi)), acc);
        acc_m = fma1(h2f(x[b].dmin) * y[b].d, float(min_term(m, y[b].bsums)), acc_m);
    }
    return acc - acc_m;
}

float vec_dot_q5_K_q8_K(int64_t n, const void* w, const void* a) {
    const block_q5_K* x = static_cast<const block_q5_K*>(w);
    const block_q8_K* y = static_cast<const block_q8_K*>(a);
    const __m256i m4 = _mm256_set1_epi8(0x0F);
    const __m256i sixteen = _mm256_set1_epi8(16);
    float acc = 0.0f, acc_m = 0.0f;
    for (int64_t b = 0; b < n / QK_K; ++b) {
        uint8_t sc[8], m[8];
        scales_mins_k4(x[b].scales, sc, m);
        const __m256i qh = load256(x[b].qh);
        __m256i sumi = _mm256_setzero_si256();
        for (int c = 0; c < 4; ++c) {
            const __m256i q = load256(x[b].qs + 32 * c);
            const __m256i bl = _mm256_set1_epi8(char(1u << (2 * c)));
            const __m256i bh = _mm256_set1_epi8(char(2u << (2 * c)));
            // 16 where the element's fifth bit is set.
            const __m256i hl = _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_and_si256(qh, bl), bl), sixteen);
            const __m256i hh = _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_and_si256(qh, bh), bh), sixteen);
            const __m256i lo = _mm256_or_si256(_mm256_and_si256(q, m4), hl);
            const __m256i hi = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(q, 4), m4), hh);
            sumi = _mm256_add_epi32(sumi, chunk_dot(lo, hi, y[b].qs + 64 * c, sc[2 * c], sc[2 * c + 1]));
        }
        acc = fma1(h2f(x[b].d) * y[b].d, float(hsum8(sumi)), acc);
        acc_m = fma1(h2f(x[b].dmin) * y[b].d, float(min_term(m, y[b].bsums)), acc_m);
    }
    return acc - acc_m;
}

float vec_dot_q6_K_q8_K(int64_t n, const void* w, const void* a) {
    const block_q6_K* x = static_cast<const block_q6_K*>(w);
    const block_q8_K* y = static_cast<const block_q8_K*>(a);
    const __m256i m4 = _mm256_set1_epi8(0x0F);
    const __m256i m3 = _mm256_set1_epi8(0x03);
    float acc = 0.0f;
    for (int64_t b = 0; b < n / QK_K; ++b) {
        const int8_t* sc = x[b].scales;
        __m256i sumi = _mm256_setzero_si256();
        for (int h = 0; h < 2; ++h) {
            const __m256i ql0 = load256(x[b].ql + 64 * h);
            const __m256i ql1 = load256(x[b].ql + 64 * h + 32);
            const __m256i qh = load256(x[b].qh + 32 * h);
            // Unsigned 6-bit q (offset 32 still in): 2-bit fields of qh go to bits 4-5.
            __m256i q[4];
            q[0] = _mm256_or_si256(_mm256_and_si256(ql0, m4),
                                   _mm256_slli_epi16(_mm256_and_si256(qh, m3), 4));
            q[1] = _mm256_or_si256(_mm256_and_si256(ql1, m4),
                                   _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 2), m3), 4));
            q[2] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(ql0, 4), m4),
                                   _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 4), m3), 4));
            q[3] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(ql1, 4), m4),
                                   _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 6), m3), 4));
            for (int k = 0; k < 4; ++k) {
                // Low 128 bits hold elements 0..15 of this 32 (sub-block 8h+2k), high 16..31.
                const int j = 8 * h + 2 * k;
                const __m256i s = _mm256_set_m128i(_mm_set1_epi16(sc[j + 1]), _mm_set1_epi16(sc[j]));
                const __m256i p = dot_u8_i8_pairs(q[k], load256(y[b].qs + 128 * h + 32 * k));
                sumi = _mm256_add_epi32(sumi, _mm256_madd_epi16(p, s));
            }
        }
        // The -32 offset, applied once per sub-block through the activation sums.
        int32_t off = 0;
        for (int j = 0; j < 16; ++j) off += sc[j] * y[b].bsums[j];
        acc = fma1(h2f(x[b].d) * y[b].d, float(hsum8(sumi) - 32 * off), acc);
    }
    return acc;
}

void quantize_row_q8_K(const float* x, void* y, int64_t n) {
    block_q8_K* out = static_cast<block_q8_K*>(y);
    const __m256 abs_mask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));
    for (int64_t b = 0; b < n / QK_K; ++b, x += QK_K) {
        __m256 amax8 = _mm256_setzero_ps();
        for (int j = 0; j < QK_K; j += 8)
            // Accumulator second: max_ps returns it when x is NaN, skipping NaN as the scalar does.
            amax8 = _mm256_max_ps(_mm256_and_ps(_mm256_loadu_ps(x + j), abs_mask), amax8);
        __m128 m = _mm_max_ps(_mm256_castps256_ps128(amax8), _mm256_extractf128_ps(amax8, 1));
        m = _mm_max_ps(m, _mm_movehl_ps(m, m));
        m = _mm_max_ss(m, _mm_movehdup_ps(m));
        const float amax = _mm_cvtss_f32(m);
        block_q8_K& blk = out[b];
        if (amax == 0.0f) {
            std::memset(&blk, 0, sizeof blk);
            continue;
        }
        // The first element of largest magnitude, with its sign (as the scalar).
        float max = 0.0f;
        for (int j = 0; j < QK_K; ++j) {
            if (x[j] == amax || x[j] == -amax) {
                max = x[j];
                break;
            }
        }
        const float iscale = -127.0f / max;
        const __m256 vs = _mm256_set1_ps(iscale);
        for (int j = 0; j < QK_K; j += 32) {
            __m256i qi[4];
            for (int k = 0; k < 4; ++k) {
                __m256 v = _mm256_round_ps(_mm256_mul_ps(_mm256_loadu_ps(x + j + 8 * k), vs),
                                           _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
                v = _mm256_min_ps(_mm256_max_ps(v, _mm256_set1_ps(-127.0f)), _mm256_set1_ps(127.0f));
                qi[k] = _mm256_cvtps_epi32(v);
            }
            const __m256i p = _mm256_packs_epi16(_mm256_packs_epi32(qi[0], qi[1]),
                                                 _mm256_packs_epi32(qi[2], qi[3]));
            _mm256_storeu_si256(reinterpret_cast<__m256i*>(blk.qs + j),
                                _mm256_permutevar8x32_epi32(p, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7)));
        }
        // Sums of 16, two groups per 256 bits: bytes to int16 pairs to int32, then
        // fold the 4 int32 of each 128-bit half (one group each).
        for (int g = 0; g < QK_K / 16; g += 2) {
            const __m256i s16 = _mm256_maddubs_epi16(_mm256_set1_epi8(1), load256(blk.qs + 16 * g));
            const __m256i s32 = _mm256_madd_epi16(s16, _mm256_set1_epi16(1));
            __m256i t = _mm256_hadd_epi32(s32, s32);
            t = _mm256_hadd_epi32(t, t);
            blk.bsums[g] = int16_t(_mm256_extract_epi32(t, 0));
            blk.bsums[g + 1] = int16_t(_mm256_extract_epi32(t, 4));
        }
        blk.d = 1.0f / iscale;
    }
}

void gemv_q4_K(int64_t K, const void* w, size_t s, int64_t n, const void* a, float* y) {
    gemv_rows<vec_dot_q4_K_q8_K>(K, w, s, n, a, y);
}
void gemv_q5_K(int64_t K, const void* w, size_t s, int64_t n, const void* a, float* y) {
    gemv_rows<vec_dot_q5_K_q8_K>(K, w, s, n, a, y);
}
void gemv_q6_K(int64_t K, const void* w, size_t s, int64_t n, const void* a, float* y) {
    gemv_rows<vec_dot_q6_K_q8_K>(K, w, s, n, a, y);
}

}  // namespace glint::kernels::avx2
