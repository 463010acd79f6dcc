// GEMVs over packed groups of 16 rows (kernels/packed.h), rows in the 16
// lanes: 4-byte dots (Dot4: vpdpbusd or its emulation) of 16 rows' weights
// against 4 activation bytes broadcast, exact integer sums per block, then
// the float chain each type's dot runs, with lanes = rows (same bits):
//   Q4_K, Q5_K: acc  = fma(d_b * a.d, float(sum_j sc_j * dot_j), acc)
//         accm = fma(dmin_b * a.d, float(sum_j m_j * bsum32_j), accm); result acc - accm
//   Q6_K: acc  = fma(d_b * a.d, float(sum_j sc_j * (dot_j - 32 * bsum16_j)), acc)
//   Q4_0, Q8_0: acc  = fma(d_b * a.d, float(dot_b), acc)
// Included only by ISA translation units (internal linkage; see
// kernels/avx2/avx2.h).
#pragma once
#include <immintrin.h>

#include <vector>

#include "kernels/avx512/common.h"
#include "kernels/avx512/gemv_q8_dot4.h"
#include "kernels/blocks.h"
#include "kernels/k_scales.h"
#include "kernels/packed.h"

namespace glint::kernels::avx512 {
namespace {
namespace packed {

// 4 activation bytes broadcast to every lane.
inline __m512i bcast4(const int8_t* p) { return V512::bcast<1>(reinterpret_cast<const uint8_t*>(p)); }

// Byte j of every dword, zero-extended (vpshufb within 128-bit lanes).
inline __m512i byte_ctl(int j) {
    const int z = int(0x80808000u + unsigned(j));  // byte j of the dword, then three zeros
    return _mm512_setr_epi32(z, z + 4, z + 8, z + 12, z, z + 4, z + 8, z + 12, z, z + 4, z + 8, z + 12, z, z + 4,
                             z + 8, z + 12);
}

// Q4_K, and Q5_K with its fifth bits (qh dword t of the 16 rows, bit 2g for
// the low nibbles of group g, 2g + 1 for the high) ahead of qs.
template <class Dot4, bool Q5>
void gemv16_k45(int64_t nb, const uint8_t* tile, const block_q8_K* y, float* out) {
    constexpr size_t kTile = kPackRows * (Q5 ? sizeof(block_q5_K) : sizeof(block_q4_K));
    const __m512i m4 = _mm512_set1_epi8(0x0F), mhi = _mm512_set1_epi8(char(0xF0));
    const __m512i m6 = _mm512_set1_epi32(0x3f3f3f3f), m30 = _mm512_set1_epi32(0x30303030);
    const __m512i mlo = _mm512_set1_epi32(0x0f0f0f0f), m16 = _mm512_set1_epi32(0x00FF00FF);
    const __m512i c0 = byte_ctl(0), c1 = byte_ctl(1), c2 = byte_ctl(2), c3 = byte_ctl(3);
    // bsum32 pairs as int16: (0, 2), (1, 3), (4, 6), (5, 7) for the even/odd min bytes.
    const __m128i pair_ctl = _mm_setr_epi8(0, 1, 4, 5, 2, 3, 6, 7, 8, 9, 12, 13, 10, 11, 14, 15);
    __m512 acc = _mm512_setzero_ps(), accm = _mm512_setzero_ps();
    const __m512i bit4 = _mm512_set1_epi8(0x10);
    for (int64_t b = 0; b < nb; ++b, tile += kTile) {
        const int8_t* q8 = y[b].qs;
        const uint8_t* qs = tile + (Q5 ? 256 + 512 : 256);
        __m512i dot[8];
        // Only t is unrolled: unrolling g too ran Q5_K 2.6x slower from
        // memory (faster in L2), its qh rereads spread over many loads.
        for (int g = 0; g < 4; ++g) {
            __m512i lo = _mm512_setzero_si512(), hi = _mm512_setzero_si512();
            // Rotations bring bit 2g (2g + 1) of each qh byte to bit 4 with
            // no branch on g; bits rotated in from other bytes are masked off.
            const __m512i rl = _mm512_set1_epi32((4 - 2 * g) & 31), rh = _mm512_set1_epi32((3 - 2 * g) & 31);
#pragma GCC unroll 8
            for (int t = 0; t < 8; ++t) {
                const __m512i v = load512(qs + 64 * (8 * g + t));
                if constexpr (Q5) {
                    // Bit 2g of each qh byte to bit 4 for the low nibbles, bit 2g + 1 for the high.
                    const __m512i h = load512(tile + 256 + 64 * t);
                    const __m512i hl = _mm512_rolv_epi32(h, rl), hh = _mm512_rolv_epi32(h, rh);
                    const __m512i l5 = _mm512_ternarylogic_epi32(_mm512_and_si512(v, m4), hl, bit4, 0xF8);
                    const __m512i h5 = _mm512_ternarylogic_epi32(_mm512_and_si512(_mm512_srli_epi32(v, 4), m4), hh, bit4, 0xF8);
                    lo = Dot4::dot4(lo, l5, bcast4(q8 + 64 * g + 4 * t));
                    hi = Dot4::dot4(hi, h5, bcast4(q8 + 64 * g + 32 + 4 * t));
                } else {
                    lo = Dot4::dot4(lo, _mm512_and_si512(v, m4), bcast4(q8 + 64 * g + 4 * t));
                    hi = Dot4::dot4(hi, _mm512_and_si512(v, mhi), bcast4(q8 + 64 * g + 32 + 4 * t));
                }
            }
            dot[2 * g] = lo;
            dot[2 * g + 1] = Q5 ? hi : _mm512_srai_epi32(hi, 4);  // Q4_K's high nibbles were read as 16 q
        }
        const __m512i u0 = load512(tile + 64), u1 = load512(tile + 128), u2 = load512(tile + 192);
        const __m512i sc03 = _mm512_and_si512(u0, m6);
        const __m512i sc47 = _mm512_or_si512(_mm512_and_si512(u2, mlo), _mm512_and_si512(_mm512_srli_epi32(u0, 2), m30));
        const __m512i mn03 = _mm512_and_si512(u1, m6);
        const __m512i mn47 =
            _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi32(u2, 4), mlo), _mm512_and_si512(_mm512_srli_epi32(u1, 2), m30));
        __m512i sumi = _mm512_mullo_epi32(dot[0], _mm512_shuffle_epi8(sc03, c0));
        sumi = _mm512_add_epi32(sumi, _mm512_mullo_epi32(dot[1], _mm512_shuffle_epi8(sc03, c1)));
        sumi = _mm512_add_epi32(sumi, _mm512_mullo_epi32(dot[2], _mm512_shuffle_epi8(sc03, c2)));
        sumi = _mm512_add_epi32(sumi, _mm512_mullo_epi32(dot[3], _mm512_shuffle_epi8(sc03, c3)));
        sumi = _mm512_add_epi32(sumi, _mm512_mullo_epi32(dot[4], _mm512_shuffle_epi8(sc47, c0)));
        sumi = _mm512_add_epi32(sumi, _mm512_mullo_epi32(dot[5], _mm512_shuffle_epi8(sc47, c1)));
        sumi = _mm512_add_epi32(sumi, _mm512_mullo_epi32(dot[6], _mm512_shuffle_epi8(sc47, c2)));
        sumi = _mm512_add_epi32(sumi, _mm512_mullo_epi32(dot[7], _mm512_shuffle_epi8(sc47, c3)));
        // Mins: int16 pairs (m_j, m_j+2) against (bsum_j, bsum_j+2).
        const __m128i bp = _mm_shuffle_epi8(k_scales::bsum32(y[b].bsums), pair_ctl);
        __m512i summ = _mm512_madd_epi16(_mm512_and_si512(mn03, m16), _mm512_broadcastd_epi32(bp));
        summ = _mm512_add_epi32(summ, _mm512_madd_epi16(_mm512_and_si512(_mm512_srli_epi32(mn03, 8), m16),
                                                        _mm512_broadcastd_epi32(_mm_srli_si128(bp, 4))));
        summ = _mm512_add_epi32(summ, _mm512_madd_epi16(_mm512_and_si512(mn47, m16),
                                                        _mm512_broadcastd_epi32(_mm_srli_si128(bp, 8))));
        summ = _mm512_add_epi32(summ, _mm512_madd_epi16(_mm512_and_si512(_mm512_srli_epi32(mn47, 8), m16),
                                                        _mm512_broadcastd_epi32(_mm_srli_si128(bp, 12))));
        const __m512i g = load512(tile);  // d | dmin << 16
        const __m512 da = _mm512_set1_ps(y[b].d);
        const __m512 d = _mm512_cvtph_ps(_mm512_cvtepi32_epi16(g));
        const __m512 dmin = _mm512_cvtph_ps(_mm512_cvtepi32_epi16(_mm512_srli_epi32(g, 16)));
        acc = _mm512_fmadd_ps(_mm512_mul_ps(d, da), _mm512_cvtepi32_ps(sumi), acc);
        accm = _mm512_fmadd_ps(_mm512_mul_ps(dmin, da), _mm512_cvtepi32_ps(summ), accm);
    }
    _mm512_storeu_ps(out, _mm512_sub_ps(acc, accm));
}

// Sign-extended byte p of every dword.
inline __m512i sbyte(__m512i v, int p) {
    switch (p) {
        case 0: return _mm512_srai_epi32(_mm512_slli_epi32(v, 24), 24);
        case 1: return _mm512_srai_epi32(_mm512_slli_epi32(v, 16), 24);
        case 2: return _mm512_srai_epi32(_mm512_slli_epi32(v, 8), 24);
        default: return _mm512_srai_epi32(v, 24);
    }
}

template <class Dot4>
void gemv16_q6_K(int64_t nb, const uint8_t* group, const block_q8_K* y, float* out) {
    constexpr size_t kBody = 52 * 64;  // ql, qh, scales of one block's 16 rows
    const __m512i m4 = _mm512_set1_epi8(0x0F), m30 = _mm512_set1_epi8(0x30);
    // bsums reordered per 4 as (0, 2, 1, 3): dword 2k = (b4k, b4k+2), 2k + 1 = (b4k+1, b4k+3).
    const __m256i pair_ctl = _mm256_setr_epi8(0, 1, 4, 5, 2, 3, 6, 7, 8, 9, 12, 13, 10, 11, 14, 15, 0, 1, 4, 5, 2, 3, 6,
                                              7, 8, 9, 12, 13, 10, 11, 14, 15);
    __m512 acc = _mm512_setzero_ps();
    for (int64_t t0 = 0; t0 < nb; t0 += 2) {
        const int in_tile = nb - t0 < 2 ? 1 : 2;
        const uint8_t* tile = group + size_t(t0) * kPackRows * sizeof(block_q6_K);
        for (int blk = 0; blk < in_tile; ++blk) {
            const block_q8_K& a = y[t0 + blk];
            const uint8_t* body = tile + size_t(in_tile) * 32 + size_t(blk) * kBody;  // after the d values
            __m512i dot[16];
            // Unrolled so the 16 accumulators are registers, not stack slots.
#pragma GCC unroll 2
            for (int h = 0; h < 2; ++h) {
                __m512i* d = dot + 8 * h;
#pragma GCC unroll 8
                for (int k = 0; k < 8; ++k) d[k] = _mm512_setzero_si512();
                const int8_t* q8 = a.qs + 128 * h;
#pragma GCC unroll 8
                for (int t = 0; t < 8; ++t) {
                    const uint8_t* v = body + 3 * 64 * (8 * h + t);
                    const __m512i A = load512(v), B = load512(v + 64), H = load512(v + 128);
                    const __m512i q0 = _mm512_ternarylogic_epi32(_mm512_and_si512(A, m4), _mm512_slli_epi32(H, 4), m30, 0xF8);
                    const __m512i q1 = _mm512_ternarylogic_epi32(_mm512_and_si512(B, m4), _mm512_slli_epi32(H, 2), m30, 0xF8);
                    const __m512i q2 =
                        _mm512_ternarylogic_epi32(_mm512_and_si512(_mm512_srli_epi32(A, 4), m4), H, m30, 0xF8);
                    const __m512i q3 = _mm512_ternarylogic_epi32(_mm512_and_si512(_mm512_srli_epi32(B, 4), m4),
                                                                 _mm512_srli_epi32(H, 2), m30, 0xF8);
                    const int s = t / 4;
                    d[s] = Dot4::dot4(d[s], q0, bcast4(q8 + 4 * t));
                    d[2 + s] = Dot4::dot4(d[2 + s], q1, bcast4(q8 + 32 + 4 * t));
                    d[4 + s] = Dot4::dot4(d[4 + s], q2, bcast4(q8 + 64 + 4 * t));
                    d[6 + s] = Dot4::dot4(d[6 + s], q3, bcast4(q8 + 96 + 4 * t));
                }
            }
            alignas(32) int32_t bp[8];
            _mm256_store_si256(reinterpret_cast<__m256i*>(bp), _mm256_shuffle_epi8(load256(a.bsums), pair_ctl));
            __m512i sumi = _mm512_setzero_si512(), off = _mm512_setzero_si512();
            for (int k = 0; k < 4; ++k) {
                const __m512i sc = load512(body + 64 * (48 + k));  // scales 4k..4k+3 of each row
                for (int p = 0; p < 4; ++p) sumi = _mm512_add_epi32(sumi, _mm512_mullo_epi32(dot[4 * k + p], sbyte(sc, p)));
                const __m512i even = _mm512_srai_epi16(_mm512_slli_epi16(sc, 8), 8), odd = _mm512_srai_epi16(sc, 8);
                off = _mm512_add_epi32(off, _mm512_madd_epi16(even, _mm512_set1_epi32(bp[2 * k])));
                off = _mm512_add_epi32(off, _mm512_madd_epi16(odd, _mm512_set1_epi32(bp[2 * k + 1])));
            }
            sumi = _mm512_sub_epi32(sumi, _mm512_slli_epi32(off, 5));
            const __m512 dw = _mm512_cvtph_ps(load256(tile + 32 * size_t(blk)));
            acc = _mm512_fmadd_ps(_mm512_mul_ps(dw, _mm512_set1_ps(a.d)), _mm512_cvtepi32_ps(sumi), acc);
        }
    }
    _mm512_storeu_ps(out, acc);
}

// Q8_0 (weights read as q + 128) or Q4_0 (nibbles q, value q - 8; qs dword t:
// low nibbles elements 4t.., high 16 + 4t..). sa[b]: 128 (Q8_0) or 8 (Q4_0)
// times the sum of block b's activations.
template <class Dot4, bool Q4>
void gemv16_q8(int64_t nb, const uint8_t* group, const block_q8_0* y, const int32_t* sa, float* out) {
    constexpr size_t kBsz = Q4 ? sizeof(block_q4_0) : sizeof(block_q8_0);
    constexpr size_t kBody = (kBsz - 2) / 4 * 64;
    const __m512i m4 = _mm512_set1_epi8(0x0F), mhi = _mm512_set1_epi8(char(0xF0));
    __m512 acc = _mm512_setzero_ps();
    for (int64_t t0 = 0; t0 < nb; t0 += 2) {
        const int in_tile = nb - t0 < 2 ? 1 : 2;
        const uint8_t* tile = group + size_t(t0) * kPackRows * kBsz;
        for (int blk = 0; blk < in_tile; ++blk) {
            const int64_t b = t0 + blk;
            const uint8_t* body = tile + size_t(in_tile) * 32 + size_t(blk) * kBody;  // after the d values
            const int8_t* q8 = y[b].qs;
            __m512i s0 = _mm512_setzero_si512(), s1 = _mm512_setzero_si512();
            if constexpr (Q4) {
                for (int t = 0; t < 4; ++t) {
                    const __m512i v = load512(body + 64 * t);
                    s0 = Dot4::dot4(s0, _mm512_and_si512(v, m4), bcast4(q8 + 4 * t));
                    s1 = Dot4::dot4(s1, _mm512_and_si512(v, mhi), bcast4(q8 + 16 + 4 * t));
                }
                s1 = _mm512_srai_epi32(s1, 4);  // high nibbles were read as 16 q
            } else {
                for (int t = 0; t < 8; t += 2) {
                    s0 = Dot4::dot4(s0, load512(body + 64 * t), bcast4(q8 + 4 * t));
                    s1 = Dot4::dot4(s1, load512(body + 64 * (t + 1)), bcast4(q8 + 4 * (t + 1)));
                }
            }
            const __m512i sum = _mm512_sub_epi32(_mm512_add_epi32(s0, s1), _mm512_set1_epi32(sa[b]));
            const __m512 dw = _mm512_cvtph_ps(load256(tile + 32 * size_t(blk)));
            acc = _mm512_fmadd_ps(_mm512_mul_ps(dw, _mm512_set1_ps(h2f(y[b].d))), _mm512_cvtepi32_ps(sum), acc);
        }
    }
    _mm512_storeu_ps(out, acc);
}

// nrows (a multiple of kPackRows) packed rows, groups at 16 * w_stride.
template <class Dot4, bool Q5>
void gemv_k45(int64_t K, const void* packed, size_t w_stride, int64_t nrows, const void* a, float* y) {
    const auto* base = static_cast<const uint8_t*>(packed);
    const auto* act = static_cast<const block_q8_K*>(a);
    for (int64_t r = 0; r < nrows; r += kPackRows)
        gemv16_k45<Dot4, Q5>(K / QK_K, base + size_t(r) * w_stride, act, y + r);
}

template <class Dot4>
void gemv_q6_K(int64_t K, const void* packed, size_t w_stride, int64_t nrows, const void* a, float* y) {
    const auto* base = static_cast<const uint8_t*>(packed);
    const auto* act = static_cast<const block_q8_K*>(a);
    for (int64_t r = 0; r < nrows; r += kPackRows) gemv16_q6_K<Dot4>(K / QK_K, base + size_t(r) * w_stride, act, y + r);
}

template <class Dot4, bool Q4>
void gemv_q8(int64_t K, const void* packed, size_t w_stride, int64_t nrows, const void* a, float* y) {
    const auto* base = static_cast<const uint8_t*>(packed);
    const auto* act = static_cast<const block_q8_0*>(a);
    const int64_t nb = K / QK8_0;
    thread_local std::vector<int32_t> sa;
    if (sa.size() < size_t(nb)) sa.resize(size_t(nb));
    for (int64_t b = 0; b < nb; ++b) sa[size_t(b)] = gemv_dot4::bias_sum<Q4>(act[b].qs);
    for (int64_t r = 0; r < nrows; r += kPackRows)
        gemv16_q8<Dot4, Q4>(nb, base + size_t(r) * w_stride, act, sa.data(), y + r);
}

}  // namespace packed
}  // namespace
}  // namespace glint::kernels::avx512
