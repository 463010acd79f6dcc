// Q4_K / Q5_K / Q6_K GEMM with token lanes for AVX2: kernels/lane_gemm.h over
// 256-bit vectors, 8 tokens x 1 row per vector for prompts and 4 tokens x 2
// rows for a few sequences decoding together. This file holds the AVX2 weight
// decoder; each lane equals vec_dot_q*_K_q8_K of this set bit for bit.
#include <cstring>

#include "kernels/avx2/avx2.h"
#include "kernels/avx2/common.h"
#include "kernels/blocks.h"
#include "kernels/lane_gemm.h"

namespace glint::kernels::avx2 {
namespace {

using lanes::kRowSB;

// One super-block of one row: values 0..15 / 0..31 / 0..63 (Q6_K's offset 32
// kept) in element order, 32 per vector, and the scale words of the layout.
struct Decoded {
    __m256i q[8];
    uint32_t sc[16], m[8];
    float d, dmin;
};

inline uint32_t pair16(int lo, int hi) { return uint32_t(uint16_t(lo)) | uint32_t(uint16_t(hi)) << 16; }

template <int Kind>  // 4, 5, 6
inline void decode_block(const uint8_t* row, int64_t b, Decoded& o) {
    const __m256i m4 = _mm256_set1_epi8(0x0F);
    if constexpr (Kind == 6) {
        const auto& x = reinterpret_cast<const block_q6_K*>(row)[b];
        const __m256i m3 = _mm256_set1_epi8(0x03);
        for (int h = 0; h < 2; ++h) {
            const __m256i ql0 = load256(x.ql + 64 * h), ql1 = load256(x.ql + 64 * h + 32);
            const __m256i qh = load256(x.qh + 32 * h);
            // Element 128h + 32k + i: low nibble from ql (k even: ql0/ql1 low, odd: high), 2 bits of qh at 2k.
            o.q[4 * h + 0] = _mm256_or_si256(_mm256_and_si256(ql0, m4), _mm256_slli_epi16(_mm256_and_si256(qh, m3), 4));
            o.q[4 * h + 1] = _mm256_or_si256(_mm256_and_si256(ql1, m4),
                                             _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 2), m3), 4));
            o.q[4 * h + 2] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(ql0, 4), m4),
                                             _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 4), m3), 4));
            o.q[4 * h + 3] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(ql1, 4), m4),
                                             _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 6), m3), 4));
        }
        for (int j = 0; j < 16; ++j) o.sc[j] = pair16(x.scales[j], x.scales[j]);
        for (int i = 0; i < 8; ++i) o.m[i] = pair16(x.scales[2 * i], x.scales[2 * i + 1]);
        o.d = h2f(x.d);
        o.dmin = 0.0f;
    } else {
        constexpr size_t bsz = Kind == 5 ? sizeof(block_q5_K) : sizeof(block_q4_K);
        const uint8_t* blk = row + size_t(b) * bsz;
        const uint8_t* qs = blk + (Kind == 5 ? 48 : 16);
        for (int c = 0; c < 4; ++c) {
            const __m256i q = load256(qs + 32 * c);
            o.q[2 * c] = _mm256_and_si256(q, m4);
            o.q[2 * c + 1] = _mm256_and_si256(_mm256_srli_epi16(q, 4), m4);
        }
        if constexpr (Kind == 5) {
            const __m256i qh = load256(blk + 16);
            const __m256i sixteen = _mm256_set1_epi8(16);
            for (int i = 0; i < 8; ++i) {  // bit i of qh: fifth bit of elements 32i..32i+31
                const __m256i bit = _mm256_set1_epi8(char(1u << i));
                o.q[i] = _mm256_or_si256(o.q[i], _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_and_si256(qh, bit), bit), sixteen));
            }
        }
        // 6-bit scales and mins, 12 packed bytes (see unpack_scale_min_k4 in blocks.h).
        const uint8_t* q = blk + 4;
        int sc[8], mn[8];
        for (int j = 0; j < 4; ++j) {
            sc[j] = q[j] & 63;
            mn[j] = q[j + 4] & 63;
            sc[j + 4] = (q[j + 8] & 0xF) | ((q[j] >> 6) << 4);
            mn[j + 4] = (q[j + 8] >> 4) | ((q[j + 4] >> 6) << 4);
        }
        for (int j = 0; j < 16; ++j) o.sc[j] = j < 8 ? pair16(sc[j], sc[j]) : 0;
        for (int i = 0; i < 8; ++i) o.m[i] = i < 4 ? pair16(mn[2 * i], mn[2 * i + 1]) : 0;
        uint16_t h[2];
        std::memcpy(h, blk, 4);
        o.d = h2f(h[0]);
        o.dmin = h2f(h[1]);
    }
}

// nr (1..RP) rows into one interleaved row group, all super-blocks; absent rows are zeros.
template <int Kind, int RP>
void decode_rows(int64_t nsb, const uint8_t* const* rows, int nr, uint8_t* out) {
    for (int64_t b = 0; b < nsb; ++b, out += RP * kRowSB) {
        Decoded x[RP];
        for (int rr = 0; rr < RP; ++rr) {
            if (rr < nr) {
                decode_block<Kind>(rows[rr], b, x[rr]);
            } else {
                std::memset(&x[rr], 0, sizeof x[rr]);
            }
        }
        auto* o = reinterpret_cast<__m256i*>(out);
        for (int m = 0; m < 8; ++m) {
            if constexpr (RP == 1) {
                _mm256_storeu_si256(o + m, x[0].q[m]);
            } else {  // 32-bit units of the two rows alternately
                const __m256i lo = _mm256_unpacklo_epi32(x[0].q[m], x[1].q[m]);
                const __m256i hi = _mm256_unpackhi_epi32(x[0].q[m], x[1].q[m]);
                _mm256_storeu_si256(o + 2 * m, _mm256_permute2x128_si256(lo, hi, 0x20));
                _mm256_storeu_si256(o + 2 * m + 1, _mm256_permute2x128_si256(lo, hi, 0x31));
            }
        }
        auto* w = reinterpret_cast<uint32_t*>(out + 256 * RP);
        for (int j = 0; j < 16; ++j)
            for (int rr = 0; rr < RP; ++rr) w[j * RP + rr] = x[rr].sc[j];
        w = reinterpret_cast<uint32_t*>(out + 320 * RP);
        for (int i = 0; i < 8; ++i)
            for (int rr = 0; rr < RP; ++rr) w[i * RP + rr] = x[rr].m[i];
        auto* od = reinterpret_cast<float*>(out + 352 * RP);
        for (int rr = 0; rr < RP; ++rr) {
            od[rr] = x[rr].d;
            od[RP + rr] = x[rr].dmin;
        }
    }
}

// The lane GEMM's vector traits plus this file's weight decoder.
struct VK : V256 {
    template <int Kind, int RP>
    static void decode_rows(int64_t nsb, const uint8_t* const* rows, int nr, uint8_t* out) {
        avx2::decode_rows<Kind, RP>(nsb, rows, nr, out);
    }
};

}  // namespace

const GemmKernel gemm_q4_K = lanes::kernel<VK, 4, 8>();
const GemmKernel gemm_q5_K = lanes::kernel<VK, 5, 8>();
const GemmKernel gemm_q6_K = lanes::kernel<VK, 6, 8>();
const GemmKernel gemm4_q4_K = lanes::kernel<VK, 4, 4>();
const GemmKernel gemm4_q5_K = lanes::kernel<VK, 5, 4>();
const GemmKernel gemm4_q6_K = lanes::kernel<VK, 6, 4>();

}  // namespace glint::kernels::avx2
