// GEMV over packed Q4_K groups (kernels/packed.h) against Q8_K activations,
// rows in the 16 lanes: per super-block, for each of its 8 sub-blocks, 8
// 4-byte dots (Dot4: vpdpbusd or its emulation) of 16 rows' weights against 4
// activation bytes broadcast; then scales, mins and the float chain with
// lanes = rows, the same per-super-block order as dot_k45 (same bits):
//   acc  = fma(d_b * a.d, float(sum_j sc_j * dot_j), acc)
//   accm = fma(dmin_b * a.d, float(sum_j m_j * bsum32_j), accm); result acc - accm
// Included only by ISA translation units (internal linkage; see
// kernels/avx2/avx2.h).
#pragma once
#include <immintrin.h>

#include <cstring>

#include "kernels/avx512/common.h"
#include "kernels/blocks.h"
#include "kernels/k_scales.h"
#include "kernels/packed.h"

namespace glint::kernels::avx512 {
namespace {
namespace packed_q4_k {

inline __m512i bcast4(const void* p) {
    int32_t v;
    std::memcpy(&v, p, 4);
    return _mm512_set1_epi32(v);
}

// Byte j of every dword, zero-extended (vpshufb within 128-bit lanes).
inline __m512i byte_ctl(int j) {
    const int z = int(0x80808000u + unsigned(j));  // byte j of the dword, then three zeros
    return _mm512_setr_epi32(z, z + 4, z + 8, z + 12, z, z + 4, z + 8, z + 12, z, z + 4, z + 8, z + 12, z, z + 4,
                             z + 8, z + 12);
}

template <class Dot4>
void gemv16(int64_t nb, const uint8_t* tile, const block_q8_K* y, float* out) {
    const __m512i m4 = _mm512_set1_epi8(0x0F), mhi = _mm512_set1_epi8(char(0xF0));
    const __m512i m6 = _mm512_set1_epi32(0x3f3f3f3f), m30 = _mm512_set1_epi32(0x30303030);
    const __m512i mlo = _mm512_set1_epi32(0x0f0f0f0f), m16 = _mm512_set1_epi32(0x00FF00FF);
    const __m512i c0 = byte_ctl(0), c1 = byte_ctl(1), c2 = byte_ctl(2), c3 = byte_ctl(3);
    // bsum32 pairs as int16: (0, 2), (1, 3), (4, 6), (5, 7) for the even/odd min bytes.
    const __m128i pair_ctl = _mm_setr_epi8(0, 1, 4, 5, 2, 3, 6, 7, 8, 9, 12, 13, 10, 11, 14, 15);
    __m512 acc = _mm512_setzero_ps(), accm = _mm512_setzero_ps();
    for (int64_t b = 0; b < nb; ++b, tile += kPackRows * sizeof(block_q4_K)) {
        const int8_t* q8 = y[b].qs;
        const uint8_t* qs = tile + 256;
        __m512i dot[8];
        for (int g = 0; g < 4; ++g) {
            __m512i lo = _mm512_setzero_si512(), hi = _mm512_setzero_si512();
            for (int t = 0; t < 8; ++t) {
                const __m512i v = load512(qs + 64 * (8 * g + t));
                lo = Dot4::dot4(lo, _mm512_and_si512(v, m4), bcast4(q8 + 64 * g + 4 * t));
                hi = Dot4::dot4(hi, _mm512_and_si512(v, mhi), bcast4(q8 + 64 * g + 32 + 4 * t));
            }
            dot[2 * g] = lo;
            dot[2 * g + 1] = _mm512_srai_epi32(hi, 4);  // high nibbles were read as 16 q
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

// nrows (a multiple of kPackRows) packed rows, groups at 16 * w_stride.
template <class Dot4>
void gemv(int64_t K, const void* packed, size_t w_stride, int64_t nrows, const void* a, float* y) {
    const auto* base = static_cast<const uint8_t*>(packed);
    const auto* act = static_cast<const block_q8_K*>(a);
    for (int64_t r = 0; r < nrows; r += kPackRows) gemv16<Dot4>(K / QK_K, base + size_t(r) * w_stride, act, y + r);
}

}  // namespace packed_q4_k
}  // namespace
}  // namespace glint::kernels::avx512
