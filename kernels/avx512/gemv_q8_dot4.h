// The 16-row Q4_0 / Q8_0 GEMV by a 4-byte dot product (vpdpbusd in
// kernels/avx512vnni/, its exact emulation in kernels/avx512/ for tests):
// one instruction per two blocks of a row where the AVX-512 BW GEMV widens
// each block to int16 and multiplies it alone. Weights go as unsigned bytes u =
// q + bias (Q4_0: the nibble, bias 8; Q8_0: q ^ 0x80, bias 128) against the
// int8 activations, less bias * sum(a) per block. Same order of float
// operations as every fast set (kernels/avx512/q8_0.cpp), so the same bits.
//
// Included only by AVX-512 translation units, after common.h; internal linkage.
#pragma once
#include <immintrin.h>

#include <cstdint>
#include <cstring>

#include "kernels/blocks.h"
#include "kernels/gemv_chunks.h"
#include "kernels/lane_gemm_q8_0.h"

namespace glint::kernels::avx512 {
namespace {
namespace gemv_dot4 {

constexpr int kChunk = 8;  // blocks per row before the next row (as kernels/avx512/q8_0.cpp)

// bias * (sum of a block's 32 activations).
template <bool Q4>
inline int32_t bias_sum(const int8_t* qs) {
    const __m256i s = _mm256_madd_epi16(_mm256_maddubs_epi16(_mm256_set1_epi8(1), load256(qs)), _mm256_set1_epi16(1));
    return (Q4 ? 8 : 128) * lanes_q8::hsum8(s);
}

// Blocks c and c + 1 of a row (c + 1 only if `two`) as 64 unsigned bytes.
// Q8_0: 256-bit halves = blocks c, c + 1. Q4_0: 128-bit lanes = c[0,16),
// c+1[0,16), c[16,32), c+1[16,32) (low nibbles, then high). A missing second
// block is all zeros (Q4_0) or 0x80 (Q8_0), against zero activations.
template <bool Q4>
inline __m512i weights2(const uint8_t* blk, size_t bsz, bool two) {
    if constexpr (Q4) {
        const __m128i a = load128(blk + 2);
        const __m256i t = two ? _mm256_inserti128_si256(_mm256_castsi128_si256(a), load128(blk + bsz + 2), 1)
                              : _mm256_zextsi128_si256(a);
        const __m256i m4 = _mm256_set1_epi8(0x0F);
        return _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_and_si256(t, m4)),
                                  _mm256_and_si256(_mm256_srli_epi16(t, 4), m4), 1);
    } else {
        const __m256i a = load256(blk + 2);
        const __m512i t = two ? _mm512_inserti64x4(_mm512_castsi256_si512(a), load256(blk + bsz + 2), 1)
                              : _mm512_zextsi256_si512(a);
        return _mm512_xor_si512(t, _mm512_set1_epi8(char(0x80)));
    }
}

// Activations of blocks c and c + 1 (c + 1 zero unless `two`) in weights2's order.
template <bool Q4>
inline __m512i acts2(const block_q8_0* y, bool two) {
    const __m256i a = load256(y[0].qs);
    const __m256i b = two ? load256(y[1].qs) : _mm256_setzero_si256();
    if constexpr (Q4) {
        const __m256i lo = _mm256_permute2x128_si256(a, b, 0x20), hi = _mm256_permute2x128_si256(a, b, 0x31);
        return _mm512_inserti64x4(_mm512_castsi256_si512(lo), hi, 1);
    } else {
        return _mm512_inserti64x4(_mm512_castsi256_si512(a), b, 1);
    }
}

template <class Dot4, bool Q4>
void gemv16(int64_t K, const uint8_t* w, size_t w_stride, const block_q8_0* y, float* out) {
    constexpr size_t bsz = Q4 ? sizeof(block_q4_0) : sizeof(block_q8_0);
    // Which 128-bit lanes of a pair's sums belong to its first and second block.
    constexpr int kFirst = Q4 ? 0x88 : 0x44, kSecond = Q4 ? 0xDD : 0xEE;
    const int64_t nb = K / QK8_0;
    alignas(64) __m512i P[kChunk / 2][16];
    alignas(64) __m512i AV[kChunk / 2];
    alignas(64) uint16_t DB[kChunk][16];
    int32_t SA[kChunk];
    __m512 acc = _mm512_setzero_ps();
    const ReadAhead<16, kChunk> ra(w, w_stride, bsz, nb);
    for (int64_t b0 = 0; b0 < nb; b0 += kChunk) {
        const int nc = int(nb - b0 < kChunk ? nb - b0 : kChunk);
        for (int c = 0; c < nc; c += 2) AV[c / 2] = acts2<Q4>(y + b0 + c, c + 1 < nc);
        for (int c = 0; c < nc; ++c) SA[c] = bias_sum<Q4>(y[b0 + c].qs);
        for (int r = 0; r < 16; ++r) {
            const uint8_t* row = w + size_t(r) * w_stride + size_t(b0) * bsz;
            for (int c = 0; c < nc; c += 2) {
                const bool two = c + 1 < nc;
                ra.fetch(r, b0, c);
                if (two) ra.fetch(r, b0, c + 1);
                const uint8_t* blk = row + size_t(c) * bsz;
                P[c / 2][r] = Dot4::dot4(_mm512_setzero_si512(), weights2<Q4>(blk, bsz, two), AV[c / 2]);
                std::memcpy(&DB[c][r], blk, 2);
                if (two) std::memcpy(&DB[c + 1][r], blk + bsz, 2);
            }
        }
        for (int c = 0; c < nc; ++c) {
            const __m512i* p = P[c / 2];
            __m512i l1[8];
            for (int i = 0; i < 8; ++i)
                l1[i] = (c & 1) ? _mm512_shuffle_i64x2(p[i], p[i + 8], kSecond)
                                : _mm512_shuffle_i64x2(p[i], p[i + 8], kFirst);
            const __m512i sum = _mm512_sub_epi32(transpose_sum_l1(l1), _mm512_set1_epi32(SA[c]));
            const __m512 dw = _mm512_cvtph_ps(_mm256_load_si256(reinterpret_cast<const __m256i*>(DB[c])));
            const __m512 dd = _mm512_mul_ps(dw, _mm512_set1_ps(h2f(y[b0 + c].d)));
            acc = _mm512_fmadd_ps(dd, _mm512_cvtepi32_ps(sum), acc);
        }
    }
    _mm512_storeu_ps(out, acc);
}

// Rows in groups of 16, the rest by the sets' dot (same bits).
template <class Dot4, bool Q4>
void gemv(int64_t K, const void* w, size_t w_stride, int64_t nrows, const void* a, float* out) {
    const auto* base = static_cast<const uint8_t*>(w);
    const auto* y = static_cast<const block_q8_0*>(a);
    int64_t r = 0;
    for (; r + 16 <= nrows; r += 16) gemv16<Dot4, Q4>(K, base + size_t(r) * w_stride, w_stride, y, out + r);
    for (; r < nrows; ++r) {
        const uint8_t* row = base + size_t(r) * w_stride;
        out[r] = Q4 ? lanes_q8::dot_q4_0(K, reinterpret_cast<const block_q4_0*>(row), y)
                    : lanes_q8::dot_q8_0(K, reinterpret_cast<const block_q8_0*>(row), y);
    }
}

}  // namespace gemv_dot4
}  // namespace
}  // namespace glint::kernels::avx512
