// Q4_K / Q5_K / Q6_K weights against Q8_K activations with AVX-512: dots,
// GEMV and the token-lane GEMM. Order of float operations (all fast sets), per
// super-block b with exact integer sums:
//   Q4_K/Q5_K: acc  = fma(d_b * a.d, float(sum_j sc_j * dot_j), acc)
//              accm = fma(dmin_b * a.d, float(sum_j m_j * bsum32_j), accm); result acc - accm
//   Q6_K:      acc  = fma(d_b * a.d, float(sum_j sc_j * (dot_j - 32 * bsum16_j)), acc)
#include <cstring>

#include "kernels/avx512/avx512.h"
#include "kernels/avx512/common.h"
#include "kernels/blocks.h"
#include "kernels/gemv_chunks.h"
#include "kernels/k_scales.h"
#include "kernels/lane_gemm.h"

namespace glint::kernels::avx512 {
namespace {

using k_scales::bsum32;
using k_scales::scales_mins_k4;

// Activation vector pairing elements [lo, lo+32) and [hi, hi+32).
inline __m512i act2(const int8_t* q8, int lo, int hi) {
    return _mm512_inserti64x4(_mm512_castsi256_si512(load256(q8 + lo)), load256(q8 + hi), 1);
}

// int16 scale vectors for the (lo, hi) sub-block pairs of act2 layouts:
// [sc0|sc2], [sc1|sc3], [sc4|sc6], [sc5|sc7], from 8 scales as bytes 0-7.
inline void k4_scale_vectors(__m128i scm, __m512i S[4]) {
    const __m512i s16 = _mm512_broadcast_i32x4(_mm_cvtepu8_epi16(scm));
    auto ctl = [](int a, int b) {
        const __m128i ca = _mm_set1_epi16(int16_t((2 * a) | ((2 * a + 1) << 8)));
        const __m128i cb = _mm_set1_epi16(int16_t((2 * b) | ((2 * b + 1) << 8)));
        return _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_set_m128i(ca, ca)), _mm256_set_m128i(cb, cb), 1);
    };
    S[0] = _mm512_shuffle_epi8(s16, ctl(0, 2));
    S[1] = _mm512_shuffle_epi8(s16, ctl(1, 3));
    S[2] = _mm512_shuffle_epi8(s16, ctl(4, 6));
    S[3] = _mm512_shuffle_epi8(s16, ctl(5, 7));
}

// Values of one Q4_K / Q5_K super-block as 4 vectors in act2 order:
// v[0] = elements [0,32)+[64,96), v[1] = [32,64)+[96,128), v[2] = [128,160)+[192,224), v[3] = [160,192)+[224,256).
template <bool Q5>
inline void k45_values(const uint8_t* qs, const uint8_t* qh, __m512i v[4]) {
    const __m512i m4 = _mm512_set1_epi8(0x0F);
    const __m512i q0 = load512(qs), q1 = load512(qs + 64);
    v[0] = _mm512_and_si512(q0, m4);
    v[1] = _mm512_and_si512(_mm512_srli_epi16(q0, 4), m4);
    v[2] = _mm512_and_si512(q1, m4);
    v[3] = _mm512_and_si512(_mm512_srli_epi16(q1, 4), m4);
    if constexpr (Q5) {
        const __m512i h = _mm512_broadcast_i64x4(load256(qh));
        const __m512i sixteen = _mm512_set1_epi8(16);
        auto bits = [](int a, int b) {
            return _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_set1_epi8(char(1 << a))),
                                      _mm256_set1_epi8(char(1 << b)), 1);
        };
        v[0] = _mm512_or_si512(v[0], _mm512_maskz_mov_epi8(_mm512_test_epi8_mask(h, bits(0, 2)), sixteen));
        v[1] = _mm512_or_si512(v[1], _mm512_maskz_mov_epi8(_mm512_test_epi8_mask(h, bits(1, 3)), sixteen));
        v[2] = _mm512_or_si512(v[2], _mm512_maskz_mov_epi8(_mm512_test_epi8_mask(h, bits(4, 6)), sixteen));
        v[3] = _mm512_or_si512(v[3], _mm512_maskz_mov_epi8(_mm512_test_epi8_mask(h, bits(5, 7)), sixteen));
    }
}

// Values (0..63, offset 32 kept) of one Q6_K super-block in element order, 64 per vector.
inline void k6_values(const block_q6_K& x, __m512i v[4]) {
    const __m512i m4 = _mm512_set1_epi8(0x0F), m30 = _mm512_set1_epi8(0x30);
    const __m512i sl = _mm512_inserti64x4(_mm512_set1_epi16(4), _mm256_set1_epi16(2), 1);
    const __m512i sr = _mm512_inserti64x4(_mm512_set1_epi16(0), _mm256_set1_epi16(2), 1);
    for (int h = 0; h < 2; ++h) {
        const __m512i ql = load512(x.ql + 64 * h);
        const __m512i qh = _mm512_broadcast_i64x4(load256(x.qh + 32 * h));
        v[2 * h] = _mm512_or_si512(_mm512_and_si512(ql, m4), _mm512_and_si512(_mm512_sllv_epi16(qh, sl), m30));
        v[2 * h + 1] = _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi16(ql, 4), m4),
                                       _mm512_and_si512(_mm512_srlv_epi16(qh, sr), m30));
    }
}

// Q6_K scale vector i: 128-bit lane L holds scale 4i+L as int16.
inline __m512i k6_scale_vector(__m256i sc_bytes2, int i) {
    const __m256i ctl = _mm256_setr_epi8(char(4 * i), char(4 * i), char(4 * i), char(4 * i), char(4 * i), char(4 * i),
                                         char(4 * i), char(4 * i), char(4 * i + 1), char(4 * i + 1), char(4 * i + 1),
                                         char(4 * i + 1), char(4 * i + 1), char(4 * i + 1), char(4 * i + 1),
                                         char(4 * i + 1), char(4 * i + 2), char(4 * i + 2), char(4 * i + 2),
                                         char(4 * i + 2), char(4 * i + 2), char(4 * i + 2), char(4 * i + 2),
                                         char(4 * i + 2), char(4 * i + 3), char(4 * i + 3), char(4 * i + 3),
                                         char(4 * i + 3), char(4 * i + 3), char(4 * i + 3), char(4 * i + 3),
                                         char(4 * i + 3));
    return _mm512_cvtepi8_epi16(_mm256_shuffle_epi8(sc_bytes2, ctl));
}

// Sum of the lanes of a (16 x int32) and of b (8 x int32), exactly: [sum a, sum b] as floats in lanes 0, 1.
inline __m128 two_sums(__m512i a, __m256i b) {
    const __m256i a8 = _mm256_add_epi32(_mm512_castsi512_si256(a), _mm512_extracti64x4_epi64(a, 1));
    __m256i t = _mm256_hadd_epi32(a8, b);  // per 128: a01 a23 b01 b23
    __m128i u = _mm_add_epi32(_mm256_castsi256_si128(t), _mm256_extracti128_si256(t, 1));
    u = _mm_hadd_epi32(u, u);  // A B A B
    return _mm_cvtepi32_ps(u);
}

// d (and dmin) of a block times the activation scale: lanes 0, 1.
inline __m128 scale_pair(const void* d_dmin, float ad) {
    uint32_t bits;
    std::memcpy(&bits, d_dmin, 4);
    return _mm_mul_ps(_mm_cvtph_ps(_mm_cvtsi32_si128(int(bits))), _mm_set1_ps(ad));
}

template <bool Q5>
float dot_k45(int64_t n, const uint8_t* row, const block_q8_K* y) {
    __m128 acc = _mm_setzero_ps();  // lane 0: acc, lane 1: accm
    constexpr size_t bsz = Q5 ? sizeof(block_q5_K) : sizeof(block_q4_K);
    for (int64_t b = 0; b < n / QK_K; ++b) {
        const uint8_t* blk = row + size_t(b) * bsz;
        const uint8_t* scales = blk + 4;
        const uint8_t* qh = blk + 16;
        const uint8_t* qs = blk + (Q5 ? 48 : 16);
        const __m128i scm = scales_mins_k4(scales);
        __m512i v[4], S[4];
        k45_values<Q5>(qs, qh, v);
        k4_scale_vectors(scm, S);
        const int8_t* q8 = y[b].qs;
        __m512i p = _mm512_madd_epi16(_mm512_maddubs_epi16(v[0], act2(q8, 0, 64)), S[0]);
        p = _mm512_add_epi32(p, _mm512_madd_epi16(_mm512_maddubs_epi16(v[1], act2(q8, 32, 96)), S[1]));
        p = _mm512_add_epi32(p, _mm512_madd_epi16(_mm512_maddubs_epi16(v[2], act2(q8, 128, 192)), S[2]));
        p = _mm512_add_epi32(p, _mm512_madd_epi16(_mm512_maddubs_epi16(v[3], act2(q8, 160, 224)), S[3]));
        const __m128i m16 = _mm_cvtepu8_epi16(_mm_srli_si128(scm, 8));
        const __m256i mm = _mm256_castsi128_si256(_mm_madd_epi16(m16, bsum32(y[b].bsums)));
        const __m256i mm8 = _mm256_inserti128_si256(mm, _mm_setzero_si128(), 1);
        acc = _mm_fmadd_ps(scale_pair(blk, y[b].d), two_sums(p, mm8), acc);
    }
    return _mm_cvtss_f32(_mm_sub_ss(acc, _mm_movehdup_ps(acc)));
}

float dot_k6(int64_t n, const block_q6_K* x, const block_q8_K* y) {
    float acc = 0.0f;
    for (int64_t b = 0; b < n / QK_K; ++b) {
        __m512i v[4];
        k6_values(x[b], v);
        const __m128i scb = load128(x[b].scales);
        const __m256i sc2 = _mm256_set_m128i(scb, scb);
        const int8_t* q8 = y[b].qs;
        __m512i p = _mm512_setzero_si512();
        for (int i = 0; i < 4; ++i)
            p = _mm512_add_epi32(p, _mm512_madd_epi16(_mm512_maddubs_epi16(v[i], load512(q8 + 64 * i)),
                                                      k6_scale_vector(sc2, i)));
        const __m256i off = _mm256_madd_epi16(_mm256_cvtepi8_epi16(scb), load256(y[b].bsums));
        const __m256i p8 = _mm256_add_epi32(_mm512_castsi512_si256(p), _mm512_extracti64x4_epi64(p, 1));
        const __m256i s8 = _mm256_sub_epi32(p8, _mm256_slli_epi32(off, 5));
        __m128i t = _mm_add_epi32(_mm256_castsi256_si128(s8), _mm256_extracti128_si256(s8, 1));
        t = _mm_add_epi32(t, _mm_shuffle_epi32(t, 0x4E));
        t = _mm_add_epi32(t, _mm_shuffle_epi32(t, 0xB1));
        const float dd = _mm_cvtss_f32(_mm_mul_ss(_mm_set_ss(h2f(x[b].d)), _mm_set_ss(y[b].d)));
        acc = _mm_cvtss_f32(_mm_fmadd_ss(_mm_set_ss(dd), _mm_set_ss(float(_mm_cvtsi128_si32(t))), _mm_set_ss(acc)));
    }
    return acc;
}

// ---- GEMV: 16 rows per pass over the activation. Each row leaves 16 int32
// partial sums (and 4 for the min term); transposed sums give one lane per row
// and the float chain runs with lanes = rows, exactly as the dots above.

// Rows are streamed one after the other over a chunk of kChunk super-blocks
// (phase 1, integer work, partial sums parked in L1), then each super-block's
// 16 rows are reduced and chained (phase 2): long sequential runs per row for
// the hardware prefetchers instead of 16 interleaved 144-byte steps.
constexpr int kChunk = 8;

template <bool Q5>
void gemv16_k45(int64_t K, const uint8_t* w, size_t w_stride, const block_q8_K* y, float* out) {
    constexpr size_t bsz = Q5 ? sizeof(block_q5_K) : sizeof(block_q4_K);
    alignas(64) __m512i A[kChunk][4];
    alignas(64) __m512i P[kChunk][16];
    alignas(64) __m128i MM[kChunk][16];
    alignas(64) uint32_t DB[kChunk][16];
    __m512 acc = _mm512_setzero_ps(), accm = _mm512_setzero_ps();
    const int64_t nsb = K / QK_K;
    const ReadAhead<16, kChunk> ra(w, w_stride, bsz, nsb);
    for (int64_t b0 = 0; b0 < nsb; b0 += kChunk) {
        const int nc = int(nsb - b0 < kChunk ? nsb - b0 : kChunk);
        __m128i bs[kChunk];
        for (int c = 0; c < nc; ++c) {
            const int8_t* q8 = y[b0 + c].qs;
            A[c][0] = act2(q8, 0, 64);
            A[c][1] = act2(q8, 32, 96);
            A[c][2] = act2(q8, 128, 192);
            A[c][3] = act2(q8, 160, 224);
            bs[c] = bsum32(y[b0 + c].bsums);
        }
        for (int r = 0; r < 16; ++r) {
            const uint8_t* row = w + size_t(r) * w_stride + size_t(b0) * bsz;
            for (int c = 0; c < nc; ++c) {
                ra.fetch(r, b0, c);
                const uint8_t* blk = row + size_t(c) * bsz;
                const __m128i scm = scales_mins_k4(blk + 4);
                __m512i v[4], S[4];
                k45_values<Q5>(blk + (Q5 ? 48 : 16), blk + 16, v);
                k4_scale_vectors(scm, S);
                __m512i t = _mm512_madd_epi16(_mm512_maddubs_epi16(v[0], A[c][0]), S[0]);
                t = _mm512_add_epi32(t, _mm512_madd_epi16(_mm512_maddubs_epi16(v[1], A[c][1]), S[1]));
                t = _mm512_add_epi32(t, _mm512_madd_epi16(_mm512_maddubs_epi16(v[2], A[c][2]), S[2]));
                P[c][r] = _mm512_add_epi32(t, _mm512_madd_epi16(_mm512_maddubs_epi16(v[3], A[c][3]), S[3]));
                MM[c][r] = _mm_madd_epi16(_mm_cvtepu8_epi16(_mm_srli_si128(scm, 8)), bs[c]);
                std::memcpy(&DB[c][r], blk, 4);
            }
        }
        for (int c = 0; c < nc; ++c) {
            const __m512i sumi = transpose_sum16(P[c]);
            __m512i M[4];
            for (int i = 0; i < 4; ++i) {
                const __m256i lo = _mm256_inserti128_si256(_mm256_castsi128_si256(MM[c][i]), MM[c][i + 4], 1);
                const __m256i hi = _mm256_inserti128_si256(_mm256_castsi128_si256(MM[c][i + 8]), MM[c][i + 12], 1);
                M[i] = _mm512_inserti64x4(_mm512_castsi256_si512(lo), hi, 1);
            }
            const __m512i summ = transpose_sum_groups4(M);
            const __m512i g = _mm512_load_si512(DB[c]);  // d | dmin << 16
            const __m512 da = _mm512_set1_ps(y[b0 + c].d);
            const __m512 d = _mm512_cvtph_ps(_mm512_cvtepi32_epi16(g));
            const __m512 dmin = _mm512_cvtph_ps(_mm512_cvtepi32_epi16(_mm512_srli_epi32(g, 16)));
            acc = _mm512_fmadd_ps(_mm512_mul_ps(d, da), _mm512_cvtepi32_ps(sumi), acc);
            accm = _mm512_fmadd_ps(_mm512_mul_ps(dmin, da), _mm512_cvtepi32_ps(summ), accm);
        }
    }
    _mm512_storeu_ps(out, _mm512_sub_ps(acc, accm));
}

void gemv16_k6(int64_t K, const uint8_t* w, size_t w_stride, const block_q8_K* y, float* out) {
    alignas(64) __m512i P[kChunk][16];
    alignas(64) uint16_t DB[kChunk][16];
    __m512 acc = _mm512_setzero_ps();
    const int64_t nsb = K / QK_K;
    const ReadAhead<16, kChunk> ra(w, w_stride, sizeof(block_q6_K), nsb);
    for (int64_t b0 = 0; b0 < nsb; b0 += kChunk) {
        const int nc = int(nsb - b0 < kChunk ? nsb - b0 : kChunk);
        for (int r = 0; r < 16; ++r) {
            const auto* row = reinterpret_cast<const block_q6_K*>(w + size_t(r) * w_stride) + b0;
            for (int c = 0; c < nc; ++c) {
                ra.fetch(r, b0, c);
                const block_q6_K& x = row[c];
                const int8_t* q8 = y[b0 + c].qs;
                __m512i v[4];
                k6_values(x, v);
                const __m128i scb = load128(x.scales);
                const __m256i sc2 = _mm256_set_m128i(scb, scb);
                __m512i t = _mm512_madd_epi16(_mm512_maddubs_epi16(v[0], load512(q8)), k6_scale_vector(sc2, 0));
                t = _mm512_add_epi32(
                    t, _mm512_madd_epi16(_mm512_maddubs_epi16(v[1], load512(q8 + 64)), k6_scale_vector(sc2, 1)));
                t = _mm512_add_epi32(
                    t, _mm512_madd_epi16(_mm512_maddubs_epi16(v[2], load512(q8 + 128)), k6_scale_vector(sc2, 2)));
                t = _mm512_add_epi32(
                    t, _mm512_madd_epi16(_mm512_maddubs_epi16(v[3], load512(q8 + 192)), k6_scale_vector(sc2, 3)));
                const __m256i off = _mm256_madd_epi16(_mm256_cvtepi8_epi16(scb), load256(y[b0 + c].bsums));
                P[c][r] = _mm512_sub_epi32(t, _mm512_zextsi256_si512(_mm256_slli_epi32(off, 5)));
                DB[c][r] = x.d;
            }
        }
        for (int c = 0; c < nc; ++c) {
            const __m512i sumi = transpose_sum16(P[c]);
            const __m512 d = _mm512_cvtph_ps(_mm256_load_si256(reinterpret_cast<const __m256i*>(DB[c])));
            acc = _mm512_fmadd_ps(_mm512_mul_ps(d, _mm512_set1_ps(y[b0 + c].d)), _mm512_cvtepi32_ps(sumi), acc);
        }
    }
    _mm512_storeu_ps(out, acc);
}

// ---------------------------------------------------------------------------
// GEMM with token lanes (kernels/lane_gemm.h over 512-bit vectors): 16 tokens x
// 1 row per vector for prompts, 8 x 2 and 4 x 4 for a few sequences decoding
// together, so every lane is a real (row, token) product. This file holds the
// AVX-512 weight decoder into the layout that header describes.
using lanes::kRowSB;

// One super-block of one row, decoded in registers: q = values in element
// order (64 per vector), sc = 16 int32 scale pairs (sc|sc<<16), m = 8 int32
// pairs (upper half zero), d and dmin.
struct Decoded {
    __m512i q[4], sc, m;
    float d, dmin;
};

template <int Kind>  // 4, 5, 6
inline void decode_block(const uint8_t* row, int64_t b, Decoded& o) {
    if constexpr (Kind == 6) {
        const auto& x = reinterpret_cast<const block_q6_K*>(row)[b];
        k6_values(x, o.q);
        const __m128i scb = load128(x.scales);
        const __m512i s = _mm512_cvtepi8_epi32(scb);
        o.sc = _mm512_or_si512(_mm512_and_si512(s, _mm512_set1_epi32(0xFFFF)), _mm512_slli_epi32(s, 16));
        o.m = _mm512_zextsi256_si512(_mm256_cvtepi8_epi16(scb));
        o.d = h2f(x.d);
        o.dmin = 0.0f;
    } else {
        constexpr size_t bsz = Kind == 5 ? sizeof(block_q5_K) : sizeof(block_q4_K);
        const uint8_t* blk = row + size_t(b) * bsz;
        __m512i v[4];
        k45_values<Kind == 5>(blk + (Kind == 5 ? 48 : 16), blk + 16, v);
        // act2 order back to element order (128-bit lanes).
        o.q[0] = _mm512_shuffle_i64x2(v[0], v[1], 0x44);
        o.q[1] = _mm512_shuffle_i64x2(v[0], v[1], 0xEE);
        o.q[2] = _mm512_shuffle_i64x2(v[2], v[3], 0x44);
        o.q[3] = _mm512_shuffle_i64x2(v[2], v[3], 0xEE);
        const __m128i scm = scales_mins_k4(blk + 4);
        const __m512i s = _mm512_cvtepu8_epi32(scm);  // lanes 8-15 (the mins) are never read
        o.sc = _mm512_or_si512(s, _mm512_slli_epi32(s, 16));
        o.m = _mm512_zextsi128_si512(_mm_cvtepu8_epi16(_mm_srli_si128(scm, 8)));
        uint16_t h[2];
        std::memcpy(h, blk, 4);
        o.d = h2f(h[0]);
        o.dmin = h2f(h[1]);
    }
}

// Interleaves 32-bit (W = 32) or 64-bit (W = 64) units of a and b: the low
// half's units of a and b alternately (hi: the high half's).
template <int W>
inline __m512i interleave(__m512i a, __m512i b, bool hi) {
    if constexpr (W == 32) {
        const __m512i lo = _mm512_setr_epi32(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
        return _mm512_permutex2var_epi32(a, hi ? _mm512_add_epi32(lo, _mm512_set1_epi32(8)) : lo, b);
    } else {
        const __m512i lo = _mm512_setr_epi64(0, 8, 1, 9, 2, 10, 3, 11);
        return _mm512_permutex2var_epi64(a, hi ? _mm512_add_epi64(lo, _mm512_set1_epi64(4)) : lo, b);
    }
}

// Stores the 32-bit units of RP vectors interleaved (unit i of vector r at
// position i * RP + r), the first `units` units of each (8 or 16).
template <int RP>
inline void store_interleaved(uint8_t* out, const __m512i* v, int units) {
    if constexpr (RP == 1) {
        if (units == 16)
            _mm512_storeu_si512(out, v[0]);
        else
            _mm256_storeu_si256(reinterpret_cast<__m256i*>(out), _mm512_castsi512_si256(v[0]));
    } else if constexpr (RP == 2) {
        _mm512_storeu_si512(out, interleave<32>(v[0], v[1], false));
        if (units == 16) _mm512_storeu_si512(out + 64, interleave<32>(v[0], v[1], true));
    } else {
        const __m512i ab = interleave<32>(v[0], v[1], false), cd = interleave<32>(v[2], v[3], false);
        _mm512_storeu_si512(out, interleave<64>(ab, cd, false));
        _mm512_storeu_si512(out + 64, interleave<64>(ab, cd, true));
        if (units == 16) {
            const __m512i ab2 = interleave<32>(v[0], v[1], true), cd2 = interleave<32>(v[2], v[3], true);
            _mm512_storeu_si512(out + 128, interleave<64>(ab2, cd2, false));
            _mm512_storeu_si512(out + 192, interleave<64>(ab2, cd2, true));
        }
    }
}

// nr (1..RP) rows into one interleaved row group, all super-blocks; absent
// rows are zeros.
template <int Kind, int RP>
void decode_rows(int64_t nsb, const uint8_t* const* rows, int nr, uint8_t* out) {
    for (int64_t b = 0; b < nsb; ++b, out += RP * kRowSB) {
        Decoded x[RP];
        for (int rr = 0; rr < RP; ++rr) {
            if (rr < nr) {
                decode_block<Kind>(rows[rr], b, x[rr]);
            } else {
                for (auto& q : x[rr].q) q = _mm512_setzero_si512();
                x[rr].sc = x[rr].m = _mm512_setzero_si512();
                x[rr].d = x[rr].dmin = 0.0f;
            }
        }
        __m512i v[RP];
        for (int m = 0; m < 4; ++m) {
            for (int rr = 0; rr < RP; ++rr) v[rr] = x[rr].q[m];
            store_interleaved<RP>(out + 64 * RP * m, v, 16);
        }
        for (int rr = 0; rr < RP; ++rr) v[rr] = x[rr].sc;
        store_interleaved<RP>(out + 256 * RP, v, 16);
        for (int rr = 0; rr < RP; ++rr) v[rr] = x[rr].m;
        store_interleaved<RP>(out + 320 * RP, v, 8);
        auto* od = reinterpret_cast<float*>(out + 352 * RP);
        for (int rr = 0; rr < RP; ++rr) {
            od[rr] = x[rr].d;
            od[RP + rr] = x[rr].dmin;
        }
    }
}

// The lane GEMM's vector traits plus this file's weight decoder.
struct VK : V512 {
    template <int Kind, int RP>
    static void decode_rows(int64_t nsb, const uint8_t* const* rows, int nr, uint8_t* out) {
        avx512::decode_rows<Kind, RP>(nsb, rows, nr, out);
    }
};

}  // namespace

float vec_dot_q4_K_q8_K(int64_t n, const void* w, const void* a) {
    return dot_k45<false>(n, static_cast<const uint8_t*>(w), static_cast<const block_q8_K*>(a));
}
float vec_dot_q5_K_q8_K(int64_t n, const void* w, const void* a) {
    return dot_k45<true>(n, static_cast<const uint8_t*>(w), static_cast<const block_q8_K*>(a));
}
float vec_dot_q6_K_q8_K(int64_t n, const void* w, const void* a) {
    return dot_k6(n, static_cast<const block_q6_K*>(w), static_cast<const block_q8_K*>(a));
}

void gemv_q4_K(int64_t K, const void* w, size_t s, int64_t n, const void* a, float* y) {
    const auto* base = static_cast<const uint8_t*>(w);
    const auto* act = static_cast<const block_q8_K*>(a);
    int64_t r = 0;
    for (; r + 16 <= n; r += 16) gemv16_k45<false>(K, base + size_t(r) * s, s, act, y + r);
    for (; r < n; ++r) y[r] = dot_k45<false>(K, base + size_t(r) * s, act);
}
void gemv_q5_K(int64_t K, const void* w, size_t s, int64_t n, const void* a, float* y) {
    const auto* base = static_cast<const uint8_t*>(w);
    const auto* act = static_cast<const block_q8_K*>(a);
    int64_t r = 0;
    for (; r + 16 <= n; r += 16) gemv16_k45<true>(K, base + size_t(r) * s, s, act, y + r);
    for (; r < n; ++r) y[r] = dot_k45<true>(K, base + size_t(r) * s, act);
}
void gemv_q6_K(int64_t K, const void* w, size_t s, int64_t n, const void* a, float* y) {
    const auto* base = static_cast<const uint8_t*>(w);
    const auto* act = static_cast<const block_q8_K*>(a);
    int64_t r = 0;
    for (; r + 16 <= n; r += 16) gemv16_k6(K, base + size_t(r) * s, s, act, y + r);
    for (; r < n; ++r) y[r] = dot_k6(K, reinterpret_cast<const block_q6_K*>(base + size_t(r) * s), act);
}

const GemmKernel gemm_q4_K = lanes::kernel<VK, 4, 16>();
const GemmKernel gemm_q5_K = lanes::kernel<VK, 5, 16>();
const GemmKernel gemm_q6_K = lanes::kernel<VK, 6, 16>();
const GemmKernel gemm8_q4_K = lanes::kernel<VK, 4, 8>();
const GemmKernel gemm8_q5_K = lanes::kernel<VK, 5, 8>();
const GemmKernel gemm8_q6_K = lanes::kernel<VK, 6, 8>();
const GemmKernel gemm4_q4_K = lanes::kernel<VK, 4, 4>();
const GemmKernel gemm4_q5_K = lanes::kernel<VK, 5, 4>();
const GemmKernel gemm4_q6_K = lanes::kernel<VK, 6, 4>();

}  // namespace glint::kernels::avx512
