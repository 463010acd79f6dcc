// Q4_0 / Q8_0 against Q8_0 activations for AVX2: the dots and token-lane GEMM
// (8 tokens per vector) of kernels/lane_gemm_q8_0.h, GEMVs, and Q8_0
// activation quantization (bit-identical to the scalar reference).
#include <cstring>

#include "kernels/avx2/avx2.h"
#include "kernels/avx2/common.h"
#include "kernels/blocks.h"
#include "kernels/gemv_chunks.h"
#include "kernels/heads_lanes.h"
#include "kernels/lane_gemm_q8_0.h"

namespace glint::kernels::avx2 {
namespace {

// Emulates roundf (ties away from zero), which the reference quantizer uses;
// the SIMD nearest mode would round ties to even.
inline __m256 round_half_away(__m256 v) {
    const __m256 t = _mm256_round_ps(v, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
    const __m256 sign = _mm256_and_ps(v, _mm256_set1_ps(-0.0f));
    const __m256 frac = _mm256_andnot_ps(_mm256_set1_ps(-0.0f), _mm256_sub_ps(v, t));
    const __m256 up = _mm256_cmp_ps(frac, _mm256_set1_ps(0.5f), _CMP_GE_OQ);
    return _mm256_add_ps(t, _mm256_and_ps(up, _mm256_or_ps(sign, _mm256_set1_ps(1.0f))));
}

// 32 int32 lanes (already integral, in [-127, 127]) to 32 int8 in order.
inline __m256i pack_i32x32_to_i8(__m256i i0, __m256i i1, __m256i i2, __m256i i3) {
    const __m256i b = _mm256_packs_epi16(_mm256_packs_epi32(i0, i1), _mm256_packs_epi32(i2, i3));
    return _mm256_permutevar8x32_epi32(b, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
}

// GEMV, 8 rows at once: each row's integer dot per block stays in 8 int32
// lanes, one transpose-and-add gives a lane per row, and the float chain runs
// with lanes = rows, the same operations per row as the dots (one horizontal
// sum per row and block made the dot alone slower than memory).
template <bool Q4>
void gemv8(int64_t K, const uint8_t* w, size_t w_stride, const block_q8_0* y, float* out) {
    constexpr size_t bsz = Q4 ? sizeof(block_q4_0) : sizeof(block_q8_0);
    __m256 acc = _mm256_setzero_ps();
    const ReadAhead<8, 1> ra(w, w_stride, bsz, K / QK8_0);
    for (int64_t b = 0; b < K / QK8_0; ++b) {
        const __m256i av = load256(y[b].qs);
        __m256i p[8];
        alignas(16) uint16_t dw[8];
        for (int r = 0; r < 8; ++r) {
            ra.fetch(r, b, 0);
            const uint8_t* blk = w + size_t(r) * w_stride + size_t(b) * bsz;
            p[r] = lanes_q8::dot_i8(Q4 ? lanes_q8::q4_0_values(blk + 2) : load256(blk + 2), av);
            std::memcpy(&dw[r], blk, 2);
        }
        const __m256 dd = _mm256_mul_ps(_mm256_cvtph_ps(_mm_load_si128(reinterpret_cast<const __m128i*>(dw))),
                                        _mm256_set1_ps(h2f(y[b].d)));
        acc = _mm256_fmadd_ps(dd, _mm256_cvtepi32_ps(transpose_sum8(p)), acc);
    }
    _mm256_storeu_ps(out, acc);
}

template <bool Q4>
void gemv(int64_t K, const void* w, size_t w_stride, int64_t nrows, const void* a, float* out) {
    const auto* base = static_cast<const uint8_t*>(w);
    const auto* y = static_cast<const block_q8_0*>(a);
    int64_t r = 0;
    for (; r + 8 <= nrows; r += 8) gemv8<Q4>(K, base + size_t(r) * w_stride, w_stride, y, out + r);
    for (; r < nrows; ++r) {
        const uint8_t* row = base + size_t(r) * w_stride;
        out[r] = Q4 ? lanes_q8::dot_q4_0(K, reinterpret_cast<const block_q4_0*>(row), y)
                    : lanes_q8::dot_q8_0(K, reinterpret_cast<const block_q8_0*>(row), y);
    }
}

}  // namespace

float vec_dot_q4_0_q8_0(int64_t n, const void* w, const void* a) {
    return lanes_q8::dot_q4_0(n, static_cast<const block_q4_0*>(w), static_cast<const block_q8_0*>(a));
}
float vec_dot_q8_0_q8_0(int64_t n, const void* w, const void* a) {
    return lanes_q8::dot_q8_0(n, static_cast<const block_q8_0*>(w), static_cast<const block_q8_0*>(a));
}

void quantize_row_q8_0(const float* x, void* y, int64_t n) {
    block_q8_0* out = static_cast<block_q8_0*>(y);
    const __m256 abs_mask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));
    for (int64_t b = 0; b < n / QK8_0; ++b, x += QK8_0) {
        __m256 v[4];
        __m256 amax = _mm256_setzero_ps();
        for (int k = 0; k < 4; ++k) {
            v[k] = _mm256_loadu_ps(x + 8 * k);
            amax = _mm256_max_ps(_mm256_and_ps(v[k], abs_mask), amax);  // NaN skipped, as fmax
        }
        __m128 m = _mm_max_ps(_mm256_castps256_ps128(amax), _mm256_extractf128_ps(amax, 1));
        m = _mm_max_ps(m, _mm_movehl_ps(m, m));
        m = _mm_max_ss(m, _mm_movehdup_ps(m));
        // Same float operations as the scalar reference, so the same bits.
        const float d = _mm_cvtss_f32(m) / 127.0f;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        out[b].d = _cvtss_sh(d, _MM_FROUND_TO_NEAREST_INT);
        __m256i qi[4];
        for (int k = 0; k < 4; ++k) {
            __m256 q = round_half_away(_mm256_mul_ps(v[k], _mm256_set1_ps(id)));
            // max_ps returns its second operand for NaN: NaN -> -127, as the scalar fmax.
            q = _mm256_min_ps(_mm256_max_ps(q, _mm256_set1_ps(-127.0f)), _mm256_set1_ps(127.0f));
            qi[k] = _mm256_cvtps_epi32(q);
        }
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(out[b].qs),
                            pack_i32x32_to_i8(qi[0], qi[1], qi[2], qi[3]));
    }
}

void gemv_q4_0(int64_t K, const void* w, size_t s, int64_t n, const void* a, float* y) { gemv<true>(K, w, s, n, a, y); }
void gemv_q8_0(int64_t K, const void* w, size_t s, int64_t n, const void* a, float* y) { gemv<false>(K, w, s, n, a, y); }

// y += a[r] * (d * q) over the rows in order, each product rounded as in the
// scalar kernel; a block's 32 outputs stay in registers while the rows pass.
void axpy_rows_q8_0(int64_t n, int64_t nrows, const float* a, const void* x, size_t x_stride, float* y) {
    for (int64_t b = 0; b < n / QK8_0; ++b, y += QK8_0) {
        __m256 acc[4];
        for (int k = 0; k < 4; ++k) acc[k] = _mm256_loadu_ps(y + 8 * k);
        for (int64_t r = 0; r < nrows; ++r) {
            const auto& blk = reinterpret_cast<const block_q8_0*>(static_cast<const uint8_t*>(x) + size_t(r) * x_stride)[b];
            const __m256 vd = _mm256_set1_ps(h2f(blk.d)), va = _mm256_set1_ps(a[r]);
            for (int k = 0; k < 4; ++k) {
                const __m128i q8 = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(blk.qs + 8 * k));
                const __m256 q = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(q8));
                acc[k] = _mm256_add_ps(acc[k], _mm256_mul_ps(va, _mm256_mul_ps(vd, q)));
            }
        }
        for (int k = 0; k < 4; ++k) _mm256_storeu_ps(y + 8 * k, acc[k]);
    }
}

namespace {
// 16 columns (half a block) per slice: 4 heads x 2 vectors of sums in registers.
struct Q8Cols16 {
    using F = __m256;
    static constexpr int kCols = 16, kNV = 2;
    static void widen(const int8_t* qs, uint16_t d, F v[2]) {
        const __m128i q = load128(qs);
        const __m256 vd = _mm256_set1_ps(h2f(d));
        v[0] = _mm256_mul_ps(vd, _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(q)));
        v[1] = _mm256_mul_ps(vd, _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_unpackhi_epi64(q, q))));
    }
    static F load(const float* p) { return _mm256_loadu_ps(p); }
    static void store(float* p, F v) { _mm256_storeu_ps(p, v); }
    static F set1(float v) { return _mm256_set1_ps(v); }
    static F mul(F a, F b) { return _mm256_mul_ps(a, b); }
    static F add(F a, F b) { return _mm256_add_ps(a, b); }
};
}  // namespace

void axpy_heads_q8_0(int64_t n, int64_t nrows, int nq, const float* a, int64_t lda, const void* x, size_t x_stride,
                     float* y, int64_t ldy) {
    heads_lanes::axpy_q8_0<Q8Cols16, 4>(n, nrows, nq, a, lda, x, x_stride, y, ldy);
}

const GemmKernel gemm_q4_0 = lanes_q8::kernel<V256, true>();
const GemmKernel gemm_q8_0 = lanes_q8::kernel<V256, false>();
// The AVX-VNNI kernels' code with vpdpbusd emulated (kernels/avx2/common.h):
// offered to tests only (kernel_set_variants).
const GemmKernel gemm_q4_0_dot4_emulated = lanes_q8::kernel<lanes_q8::WithDot4<V256, Dot4Emulated>, true>();
const GemmKernel gemm_q8_0_dot4_emulated = lanes_q8::kernel<lanes_q8::WithDot4<V256, Dot4Emulated>, false>();

}  // namespace glint::kernels::avx2
