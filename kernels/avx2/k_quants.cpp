// Q4_K / Q5_K / Q6_K dots against Q8_K activations, and Q8_K quantization
// (bit-identical to the scalar reference). The dots follow the float order of
// kernels/avx512/k_quants.cpp (exact integer sums per super-block, then one fma
// chain), so the AVX2 GEMM (k_gemm.cpp) can match them bit for bit.
#include <cstring>

#include "kernels/avx2/avx2.h"
#include "kernels/avx2/common.h"
#include "kernels/blocks.h"
#include "kernels/gemv_chunks.h"
#include "kernels/k_scales.h"
#include "kernels/lane_gemm_q8_0.h"  // its AVX2-level helpers fma1, hsum8

namespace glint::kernels::avx2 {
namespace {

using lanes_q8::fma1;
using lanes_q8::hsum8;

using k_scales::bsum32;
using k_scales::scales_mins_k4;

// Integer sum over one Q4_K/Q5_K super-block, sum_j sc_j * dot_j, as 8 int32
// lanes (exact; lanes split differently from other sets, the total is the same).
// scm: scales_mins_k4 of the block.
template <bool Q5>
inline __m256i k45_sum(const uint8_t* blk, const int8_t* q8, __m128i scm) {
    const uint8_t* qs = blk + (Q5 ? 48 : 16);
    const __m256i m4 = _mm256_set1_epi8(0x0F);
    // Scale j as 16 int16 lanes: pick word j of the 8 widened scales.
    const __m256i s16 = _mm256_broadcastsi128_si256(_mm_cvtepu8_epi16(scm));
    auto scale = [&](int j) { return _mm256_shuffle_epi8(s16, _mm256_set1_epi16(int16_t((2 * j) | ((2 * j + 1) << 8)))); };
    __m256i qh = _mm256_setzero_si256();
    if constexpr (Q5) qh = load256(blk + 16);
    __m256i sum = _mm256_setzero_si256();
    for (int c = 0; c < 4; ++c) {  // 64 elements: the low nibbles (scale 2c), then the high ones (2c + 1)
        const __m256i q = load256(qs + 32 * c);
        __m256i lo = _mm256_and_si256(q, m4);
        __m256i hi = _mm256_and_si256(_mm256_srli_epi16(q, 4), m4);
        if constexpr (Q5) {  // 16 where the element's fifth bit is set
            const __m256i bl = _mm256_set1_epi8(char(1u << (2 * c))), bh = _mm256_set1_epi8(char(2u << (2 * c)));
            const __m256i sixteen = _mm256_set1_epi8(16);
            lo = _mm256_or_si256(lo, _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_and_si256(qh, bl), bl), sixteen));
            hi = _mm256_or_si256(hi, _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_and_si256(qh, bh), bh), sixteen));
        }
        sum = _mm256_add_epi32(sum, _mm256_madd_epi16(dot_u8_i8_pairs(lo, load256(q8 + 64 * c)), scale(2 * c)));
        sum = _mm256_add_epi32(sum, _mm256_madd_epi16(dot_u8_i8_pairs(hi, load256(q8 + 64 * c + 32)), scale(2 * c + 1)));
    }
    return sum;
}

// The min term's integer sum, sum_j m_j * bsum32_j, as 4 int32 lanes.
inline __m128i k45_min_sum(__m128i scm, const int16_t* bsums) {
    return _mm_madd_epi16(_mm_cvtepu8_epi16(_mm_srli_si128(scm, 8)), bsum32(bsums));
}

// Integer sum over one Q6_K super-block, sum_j sc_j * (dot_j - 32 * bsum16_j),
// as 8 int32 lanes (exact; the total is what matters).
inline __m256i k6_sum(const block_q6_K& x, const block_q8_K& y) {
    const __m256i m4 = _mm256_set1_epi8(0x0F), m3 = _mm256_set1_epi8(0x03);
    // The 16 scales as int16, sub-blocks 0-7 in both halves (h = 0), then 8-15 (h = 1).
    const __m128i sc8 = load128(x.scales);
    const __m256i s16[2] = {_mm256_broadcastsi128_si256(_mm_cvtepi8_epi16(sc8)),
                            _mm256_broadcastsi128_si256(_mm_cvtepi8_epi16(_mm_srli_si128(sc8, 8)))};
    __m256i sum = _mm256_setzero_si256();
    for (int h = 0; h < 2; ++h) {
        const __m256i ql0 = load256(x.ql + 64 * h);
        const __m256i ql1 = load256(x.ql + 64 * h + 32);
        const __m256i qh = load256(x.qh + 32 * h);
        // Unsigned 6-bit q (offset 32 still in): 2-bit fields of qh go to bits 4-5.
        __m256i q[4];
        q[0] = _mm256_or_si256(_mm256_and_si256(ql0, m4), _mm256_slli_epi16(_mm256_and_si256(qh, m3), 4));
        q[1] = _mm256_or_si256(_mm256_and_si256(ql1, m4),
                               _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 2), m3), 4));
        q[2] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(ql0, 4), m4),
                               _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 4), m3), 4));
        q[3] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(ql1, 4), m4),
                               _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 6), m3), 4));
        for (int k = 0; k < 4; ++k) {
            // Low 128 bits hold elements 0..15 of this 32 (sub-block 8h+2k), high 16..31:
            // words 2k and 2k + 1 of s16[h], one per half.
            const __m128i lo = _mm_set1_epi16(int16_t((4 * k) | ((4 * k + 1) << 8)));
            const __m128i hi = _mm_set1_epi16(int16_t((4 * k + 2) | ((4 * k + 3) << 8)));
            const __m256i s = _mm256_shuffle_epi8(s16[h], _mm256_set_m128i(hi, lo));
            const __m256i p = dot_u8_i8_pairs(q[k], load256(y.qs + 128 * h + 32 * k));
            sum = _mm256_add_epi32(sum, _mm256_madd_epi16(p, s));
        }
    }
    // The -32 offset, applied once per sub-block through the activation sums.
    const __m256i off = _mm256_madd_epi16(_mm256_cvtepi8_epi16(sc8), load256(y.bsums));
    return _mm256_sub_epi32(sum, _mm256_slli_epi32(off, 5));
}

inline int32_t hsum4(__m128i t) {
    t = _mm_add_epi32(t, _mm_shuffle_epi32(t, 0x4E));
    return _mm_cvtsi128_si32(_mm_add_epi32(t, _mm_shuffle_epi32(t, 0xB1)));
}

template <bool Q5>
float dot_k45(int64_t n, const uint8_t* row, const block_q8_K* y) {
    constexpr size_t bsz = Q5 ? sizeof(block_q5_K) : sizeof(block_q4_K);
    float acc = 0.0f, acc_m = 0.0f;
    for (int64_t b = 0; b < n / QK_K; ++b) {
        const uint8_t* blk = row + size_t(b) * bsz;
        const __m128i scm = scales_mins_k4(blk + 4);
        uint16_t d, dmin;
        std::memcpy(&d, blk, 2);
        std::memcpy(&dmin, blk + 2, 2);
        acc = fma1(h2f(d) * y[b].d, float(hsum8(k45_sum<Q5>(blk, y[b].qs, scm))), acc);
        acc_m = fma1(h2f(dmin) * y[b].d, float(hsum4(k45_min_sum(scm, y[b].bsums))), acc_m);
    }
    return acc - acc_m;
}

// Lane r of the result: the 4 lanes of m[r] summed.
inline __m256i transpose_sum4x8(const __m128i m[8]) {
    __m256i v[4];
    for (int i = 0; i < 4; ++i) v[i] = _mm256_set_m128i(m[i + 4], m[i]);
    return _mm256_hadd_epi32(_mm256_hadd_epi32(v[0], v[1]), _mm256_hadd_epi32(v[2], v[3]));
}

// GEMV, 8 rows at once: per super-block each row's sums stay in lanes until
// one transpose-and-add gives a lane per row, and the float chains run with
// lanes = rows: the same operations per row as the dots. Rows are streamed one
// after the other over chunks of kChunk super-blocks (integer sums parked in
// L1), then each super-block's 8 rows are reduced and chained: long runs per
// row for the hardware prefetchers, not 8 interleaved 144-byte steps (28%
// slower from memory), as in the AVX-512 GEMV.
constexpr int kChunk = 8;

template <int Kind>  // 4, 5, 6
void gemv8(int64_t K, const uint8_t* w, size_t w_stride, const block_q8_K* y, float* out) {
    constexpr size_t bsz = Kind == 6 ? sizeof(block_q6_K) : Kind == 5 ? sizeof(block_q5_K) : sizeof(block_q4_K);
    __m256 acc = _mm256_setzero_ps(), acc_m = _mm256_setzero_ps();
    alignas(32) __m256i p[kChunk][8];
    alignas(16) __m128i mm[kChunk][8];
    alignas(16) uint16_t d[kChunk][8], dmin[kChunk][8];
    const int64_t nsb = K / QK_K;
    const ReadAhead<8, kChunk> ra(w, w_stride, bsz, nsb);
    for (int64_t b0 = 0; b0 < nsb; b0 += kChunk) {
        const int nc = int(nsb - b0 < kChunk ? nsb - b0 : kChunk);
        for (int r = 0; r < 8; ++r) {
            const uint8_t* row = w + size_t(r) * w_stride + size_t(b0) * bsz;
            for (int c = 0; c < nc; ++c) {
                ra.fetch(r, b0, c);
                const uint8_t* blk = row + size_t(c) * bsz;
                if constexpr (Kind == 6) {
                    const auto& x = *reinterpret_cast<const block_q6_K*>(blk);
                    p[c][r] = k6_sum(x, y[b0 + c]);
                    d[c][r] = x.d;
                } else {
                    const __m128i scm = scales_mins_k4(blk + 4);
                    p[c][r] = k45_sum<Kind == 5>(blk, y[b0 + c].qs, scm);
                    mm[c][r] = k45_min_sum(scm, y[b0 + c].bsums);
                    std::memcpy(&d[c][r], blk, 2);
                    std::memcpy(&dmin[c][r], blk + 2, 2);
                }
            }
        }
        for (int c = 0; c < nc; ++c) {
            const __m256 ad = _mm256_set1_ps(y[b0 + c].d);
            const __m256 vd = _mm256_cvtph_ps(_mm_load_si128(reinterpret_cast<const __m128i*>(d[c])));
            acc = _mm256_fmadd_ps(_mm256_mul_ps(vd, ad), _mm256_cvtepi32_ps(transpose_sum8(p[c])), acc);
            if constexpr (Kind != 6) {
                const __m256 vm = _mm256_cvtph_ps(_mm_load_si128(reinterpret_cast<const __m128i*>(dmin[c])));
                acc_m = _mm256_fmadd_ps(_mm256_mul_ps(vm, ad), _mm256_cvtepi32_ps(transpose_sum4x8(mm[c])), acc_m);
            }
        }
    }
    _mm256_storeu_ps(out, Kind == 6 ? acc : _mm256_sub_ps(acc, acc_m));
}

template <int Kind, float (*Dot)(int64_t, const void*, const void*)>
void gemv(int64_t K, const void* w, size_t w_stride, int64_t nrows, const void* a, float* out) {
    const auto* base = static_cast<const uint8_t*>(w);
    int64_t r = 0;
    for (; r + 8 <= nrows; r += 8)
        gemv8<Kind>(K, base + size_t(r) * w_stride, w_stride, static_cast<const block_q8_K*>(a), out + r);
    for (; r < nrows; ++r) out[r] = Dot(K, base + size_t(r) * w_stride, a);
}

}  // namespace

float vec_dot_q4_K_q8_K(int64_t n, const void* w, const void* a) {
    return dot_k45<false>(n, static_cast<const uint8_t*>(w), static_cast<const block_q8_K*>(a));
}
float vec_dot_q5_K_q8_K(int64_t n, const void* w, const void* a) {
    return dot_k45<true>(n, static_cast<const uint8_t*>(w), static_cast<const block_q8_K*>(a));
}

float vec_dot_q6_K_q8_K(int64_t n, const void* w, const void* a) {
    const auto* x = static_cast<const block_q6_K*>(w);
    const auto* y = static_cast<const block_q8_K*>(a);
    float acc = 0.0f;
    for (int64_t b = 0; b < n / QK_K; ++b)
        acc = fma1(h2f(x[b].d) * y[b].d, float(hsum8(k6_sum(x[b], y[b]))), acc);
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
    gemv<4, vec_dot_q4_K_q8_K>(K, w, s, n, a, y);
}
void gemv_q5_K(int64_t K, const void* w, size_t s, int64_t n, const void* a, float* y) {
    gemv<5, vec_dot_q5_K_q8_K>(K, w, s, n, a, y);
}
void gemv_q6_K(int64_t K, const void* w, size_t s, int64_t n, const void* a, float* y) {
    gemv<6, vec_dot_q6_K_q8_K>(K, w, s, n, a, y);
}

}  // namespace glint::kernels::avx2
