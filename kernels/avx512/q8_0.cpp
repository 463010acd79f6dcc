// Q4_0 / Q8_0 weights against Q8_0 activations with AVX-512: the 16-row GEMV;
// the dots and the token-lane GEMM (16 tokens per vector) are those of
// kernels/lane_gemm_q8_0.h. Order of float operations (all fast sets): per
// block the exact integer sum s_b, then acc = fma(d_w * d_a, float(s_b), acc)
// over blocks in order, acc starting at 0.
#include <cstring>

#include "kernels/avx512/avx512.h"
#include "kernels/avx512/common.h"
#include "kernels/avx512/gemv_q8_dot4.h"
#include "kernels/blocks.h"
#include "kernels/gemv_chunks.h"
#include "kernels/heads_lanes.h"
#include "kernels/lane_gemm_q8_0.h"

namespace glint::kernels::avx512 {
namespace {

using lanes_q8::dot_q4_0;
using lanes_q8::dot_q8_0;
using lanes_q8::hsum8;

// ---- GEMV: 16 rows at once. Per block each row gives 16 int32 partial sums
// (int16 products), transpose_sum16 turns them into one lane per row, and the
// float chain runs with lanes = rows.

// Rows streamed one after the other over chunks of kChunk blocks (phase 1:
// integer partial sums parked in L1), then per block the 16 rows reduced and
// chained (phase 2).
constexpr int kChunk = 8;

template <bool Q4>
void gemv16(int64_t K, const uint8_t* w, size_t w_stride, const block_q8_0* y, float* out) {
    constexpr size_t bsz = Q4 ? sizeof(block_q4_0) : sizeof(block_q8_0);
    const int64_t nb = K / QK8_0;
    alignas(64) __m512i P[kChunk][16];
    alignas(64) __m512i AV[kChunk];
    alignas(64) uint16_t DB[kChunk][16];
    int32_t SA[kChunk] = {};
    __m512 acc = _mm512_setzero_ps();
    const ReadAhead<16, kChunk> ra(w, w_stride, bsz, nb);
    for (int64_t b0 = 0; b0 < nb; b0 += kChunk) {
        const int nc = int(nb - b0 < kChunk ? nb - b0 : kChunk);
        for (int c = 0; c < nc; ++c) {
            AV[c] = _mm512_cvtepi8_epi16(load256(y[b0 + c].qs));
            if constexpr (Q4) {
                // q - 8: subtract 8 * (sum of the activations).
                const __m256i sa = _mm256_madd_epi16(
                    _mm256_maddubs_epi16(_mm256_set1_epi8(1), load256(y[b0 + c].qs)), _mm256_set1_epi16(1));
                SA[c] = 8 * hsum8(sa);
            }
        }
        for (int r = 0; r < 16; ++r) {
            const uint8_t* row = w + size_t(r) * w_stride + size_t(b0) * bsz;
            for (int c = 0; c < nc; ++c) {
                ra.fetch(r, b0, c);
                const uint8_t* blk = row + size_t(c) * bsz;
                __m512i wv;
                if constexpr (Q4) {
                    const __m256i t = _mm256_cvtepu8_epi16(load128(blk + 2));
                    const __m256i m4 = _mm256_set1_epi16(0x0F);
                    wv = _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_and_si256(t, m4)), _mm256_srli_epi16(t, 4), 1);
                } else {
                    wv = _mm512_cvtepi8_epi16(load256(blk + 2));
                }
                P[c][r] = _mm512_madd_epi16(wv, AV[c]);
                std::memcpy(&DB[c][r], blk, 2);
            }
        }
        for (int c = 0; c < nc; ++c) {
            __m512i sum = transpose_sum16(P[c]);
            if constexpr (Q4) sum = _mm512_sub_epi32(sum, _mm512_set1_epi32(SA[c]));
            const __m512 dw = _mm512_cvtph_ps(_mm256_load_si256(reinterpret_cast<const __m256i*>(DB[c])));
            const __m512 dd = _mm512_mul_ps(dw, _mm512_set1_ps(h2f(y[b0 + c].d)));
            acc = _mm512_fmadd_ps(dd, _mm512_cvtepi32_ps(sum), acc);
        }
    }
    _mm512_storeu_ps(out, acc);
}

template <bool Q4>
void gemv(int64_t K, const void* w, size_t w_stride, int64_t nrows, const void* a, float* out) {
    const auto* base = static_cast<const uint8_t*>(w);
    const auto* y = static_cast<const block_q8_0*>(a);
    int64_t r = 0;
    for (; r + 16 <= nrows; r += 16) gemv16<Q4>(K, base + size_t(r) * w_stride, w_stride, y, out + r);
    for (; r < nrows; ++r) {
        const uint8_t* row = base + size_t(r) * w_stride;
        out[r] = Q4 ? dot_q4_0(K, reinterpret_cast<const block_q4_0*>(row), y)
                    : dot_q8_0(K, reinterpret_cast<const block_q8_0*>(row), y);
    }
}

// A whole block per slice: 8 heads x 2 vectors of sums in registers.
struct Q8Cols32 {
    using F = __m512;
    static constexpr int kCols = 32, kNV = 2;
    static void widen(const int8_t* qs, uint16_t d, F v[2]) {
        const __m512 vd = _mm512_set1_ps(h2f(d));
        v[0] = _mm512_mul_ps(vd, _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(load128(qs))));
        v[1] = _mm512_mul_ps(vd, _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(load128(qs + 16))));
    }
    static F load(const float* p) { return _mm512_loadu_ps(p); }
    static void store(float* p, F v) { _mm512_storeu_ps(p, v); }
    static F set1(float v) { return _mm512_set1_ps(v); }
    static F mul(F a, F b) { return _mm512_mul_ps(a, b); }
    static F add(F a, F b) { return _mm512_add_ps(a, b); }
};

}  // namespace

void axpy_heads_q8_0(int64_t n, int64_t nrows, int nq, const float* a, int64_t lda, const void* x, size_t x_stride,
                     float* y, int64_t ldy) {
    heads_lanes::axpy_q8_0<Q8Cols32, 8>(n, nrows, nq, a, lda, x, x_stride, y, ldy);
}

float vec_dot_q4_0_q8_0(int64_t n, const void* w, const void* a) {
    return dot_q4_0(n, static_cast<const block_q4_0*>(w), static_cast<const block_q8_0*>(a));
}
float vec_dot_q8_0_q8_0(int64_t n, const void* w, const void* a) {
    return dot_q8_0(n, static_cast<const block_q8_0*>(w), static_cast<const block_q8_0*>(a));
}
void gemv_q4_0(int64_t K, const void* w, size_t s, int64_t n, const void* a, float* y) { gemv<true>(K, w, s, n, a, y); }
void gemv_q8_0(int64_t K, const void* w, size_t s, int64_t n, const void* a, float* y) { gemv<false>(K, w, s, n, a, y); }

const GemmKernel gemm_q4_0 = lanes_q8::kernel<V512, true>();
const GemmKernel gemm_q8_0 = lanes_q8::kernel<V512, false>();
// The VNNI kernels' code with vpdpbusd emulated (kernels/avx512/common.h):
// slower than the two above, offered to tests only (kernel_set_variants).
void gemv_q4_0_dot4_emulated(int64_t K, const void* w, size_t s, int64_t n, const void* a, float* y) {
    gemv_dot4::gemv<Dot4Emulated, true>(K, w, s, n, a, y);
}
void gemv_q8_0_dot4_emulated(int64_t K, const void* w, size_t s, int64_t n, const void* a, float* y) {
    gemv_dot4::gemv<Dot4Emulated, false>(K, w, s, n, a, y);
}
const GemmKernel gemm_q4_0_dot4_emulated = lanes_q8::kernel<lanes_q8::WithDot4<V512, Dot4Emulated>, true>();
const GemmKernel gemm_q8_0_dot4_emulated = lanes_q8::kernel<lanes_q8::WithDot4<V512, Dot4Emulated>, false>();

}  // namespace glint::kernels::avx512
