// Q4_0 / Q8_0 weights against Q8_0 activations with AVX-512: dots, 16-row GEMV
// and the token-lane GEMM. Order of float operations (all fast sets): per
// block the exact integer sum s_b, then acc = fma(d_w * d_a, float(s_b), acc)
// over blocks in order, acc starting at 0.
#include <cstring>

#include "kernels/avx512/avx512.h"
#include "kernels/avx512/common.h"
#include "kernels/blocks.h"

namespace glint::kernels::avx512 {
namespace {

inline float fma1(float a, float b, float c) {
    return _mm_cvtss_f32(_mm_fmadd_ss(_mm_set_ss(a), _mm_set_ss(b), _mm_set_ss(c)));
}
inline float mul1(float a, float b) { return _mm_cvtss_f32(_mm_mul_ss(_mm_set_ss(a), _mm_set_ss(b))); }

// Signed int8 x int8 over 32 elements, adjacent products summed to 8 int32.
inline __m256i dot_i8(__m256i x, __m256i y) {
    const __m256i p = _mm256_maddubs_epi16(_mm256_sign_epi8(x, x), _mm256_sign_epi8(y, x));
    return _mm256_madd_epi16(p, _mm256_set1_epi16(1));
}
inline int32_t hsum8(__m256i v) {
    __m128i t = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    t = _mm_add_epi32(t, _mm_shuffle_epi32(t, 0x4E));
    t = _mm_add_epi32(t, _mm_shuffle_epi32(t, 0xB1));
    return _mm_cvtsi128_si32(t);
}
// Q4_0 block as 32 signed values q - 8 in element order.
inline __m256i q4_0_values(const uint8_t* qs) {
    const __m128i q = load128(qs);
    const __m128i m4 = _mm_set1_epi8(0x0F);
    const __m256i v = _mm256_set_m128i(_mm_and_si128(_mm_srli_epi16(q, 4), m4), _mm_and_si128(q, m4));
    return _mm256_sub_epi8(v, _mm256_set1_epi8(8));
}

float dot_q4_0(int64_t n, const block_q4_0* x, const block_q8_0* y) {
    float acc = 0.0f;
    for (int64_t b = 0; b < n / QK8_0; ++b) {
        const int32_t s = hsum8(dot_i8(q4_0_values(x[b].qs), load256(y[b].qs)));
        acc = fma1(mul1(h2f(x[b].d), h2f(y[b].d)), float(s), acc);
    }
    return acc;
}

float dot_q8_0(int64_t n, const block_q8_0* x, const block_q8_0* y) {
    float acc = 0.0f;
    for (int64_t b = 0; b < n / QK8_0; ++b) {
        const int32_t s = hsum8(dot_i8(load256(x[b].qs), load256(y[b].qs)));
        acc = fma1(mul1(h2f(x[b].d), h2f(y[b].d)), float(s), acc);
    }
    return acc;
}

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
            // This row's next chunk is needed after the other 15 rows: fetch it now.
            if (b0 + kChunk < nb)
                for (size_t o = 0; o < kChunk * bsz; o += 64)
                    _mm_prefetch(reinterpret_cast<const char*>(row + kChunk * bsz + o), _MM_HINT_T0);
            for (int c = 0; c < nc; ++c) {
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

// ---- GEMM with token lanes: 16 activation rows per group, transposed so a
// 64-byte vector holds 4 consecutive elements of each token; each weight row
// is decoded once per pass and its 4-element pieces broadcast.
//
// Prepared group, per block of 32: Q4_0: int8 [8][16 tok][4], float d[16],
// int32 8*sum[16] (640 bytes). Q8_0: int16 [16][16 tok][2], float d[16]
// (1088 bytes).
constexpr int kGroup = 16;
template <bool Q4>
constexpr size_t kPrepBlock = Q4 ? 640 : 1088;
template <bool Q4>
constexpr size_t kRowBlock = Q4 ? 36 : 68;  // decoded weight block: values + float d
constexpr int kRows = 8;

template <bool Q4>
size_t prep_bytes(int64_t K) { return size_t(K / QK8_0) * kPrepBlock<Q4>; }

template <bool Q4>
void prep(int64_t K, const void* a, size_t a_stride, int n, void* out) {
    const int64_t nb = K / QK8_0;
    auto* o = static_cast<uint8_t*>(out);
    std::memset(o, 0, prep_bytes<Q4>(K));
    for (int t = 0; t < n; ++t) {
        const auto* y = reinterpret_cast<const block_q8_0*>(static_cast<const uint8_t*>(a) + size_t(t) * a_stride);
        for (int64_t b = 0; b < nb; ++b) {
            uint8_t* ob = o + size_t(b) * kPrepBlock<Q4>;
            if constexpr (Q4) {
                for (int q = 0; q < 8; ++q) std::memcpy(ob + (q * kGroup + t) * 4, y[b].qs + 4 * q, 4);
                float d = h2f(y[b].d);
                std::memcpy(ob + 512 + 4 * t, &d, 4);
                int32_t s = 0;
                for (int j = 0; j < QK8_0; ++j) s += y[b].qs[j];
                s *= 8;
                std::memcpy(ob + 576 + 4 * t, &s, 4);
            } else {
                for (int p = 0; p < 16; ++p) {
                    const int16_t v[2] = {y[b].qs[2 * p], y[b].qs[2 * p + 1]};
                    std::memcpy(ob + (p * kGroup + t) * 4, v, 4);
                }
                float d = h2f(y[b].d);
                std::memcpy(ob + 1024 + 4 * t, &d, 4);
            }
        }
    }
}

template <bool Q4>
size_t scratch_bytes(int64_t K) { return size_t(kRows) * size_t(K / QK8_0) * kRowBlock<Q4> + 64 * kGroup; }

// One weight row to decoded blocks: Q4_0: 32 uint8 q (0..15) + float d;
// Q8_0: 32 int16 + float d.
template <bool Q4>
void decode_row(int64_t nb, const uint8_t* row, uint8_t* out) {
    for (int64_t b = 0; b < nb; ++b, out += kRowBlock<Q4>) {
        float d;
        if constexpr (Q4) {
            const auto& blk = reinterpret_cast<const block_q4_0*>(row)[b];
            const __m128i q = load128(blk.qs);
            const __m128i m4 = _mm_set1_epi8(0x0F);
            _mm_storeu_si128(reinterpret_cast<__m128i*>(out), _mm_and_si128(q, m4));
            _mm_storeu_si128(reinterpret_cast<__m128i*>(out + 16), _mm_and_si128(_mm_srli_epi16(q, 4), m4));
            d = h2f(blk.d);
            std::memcpy(out + 32, &d, 4);
        } else {
            const auto& blk = reinterpret_cast<const block_q8_0*>(row)[b];
            _mm512_storeu_si512(out, _mm512_cvtepi8_epi16(load256(blk.qs)));
            d = h2f(blk.d);
            std::memcpy(out + 64, &d, 4);
        }
    }
}

inline __m512i bcast32(const uint8_t* p) {
    int32_t v;
    std::memcpy(&v, p, 4);
    return _mm512_set1_epi32(v);
}
inline __m512 bcastf(const uint8_t* p) {
    float v;
    std::memcpy(&v, p, 4);
    return _mm512_set1_ps(v);
}

// R decoded rows x one group of 16 tokens over all blocks.
template <bool Q4, int R>
void tile(int64_t nb, const uint8_t* wd, size_t wd_stride, const uint8_t* act, __m512 facc[R]) {
    for (int r = 0; r < R; ++r) facc[r] = _mm512_setzero_ps();
    for (int64_t b = 0; b < nb; ++b) {
        const uint8_t* ab = act + size_t(b) * kPrepBlock<Q4>;
        const uint8_t* wb = wd + size_t(b) * kRowBlock<Q4>;
        __m512i acc[R];
        if constexpr (Q4) {
            {
                const __m512i av = load512(ab);
                for (int r = 0; r < R; ++r) acc[r] = _mm512_maddubs_epi16(bcast32(wb + r * wd_stride), av);
            }
            for (int q = 1; q < 8; ++q) {
                const __m512i av = load512(ab + 64 * q);
                for (int r = 0; r < R; ++r)
                    acc[r] = _mm512_add_epi16(acc[r], _mm512_maddubs_epi16(bcast32(wb + r * wd_stride + 4 * q), av));
            }
            const __m512i s8 = load512(ab + 576);
            for (int r = 0; r < R; ++r) acc[r] = _mm512_sub_epi32(_mm512_madd_epi16(acc[r], _mm512_set1_epi16(1)), s8);
        } else {
            {
                const __m512i av = load512(ab);
                for (int r = 0; r < R; ++r) acc[r] = _mm512_madd_epi16(bcast32(wb + r * wd_stride), av);
            }
            for (int p = 1; p < 16; ++p) {
                const __m512i av = load512(ab + 64 * p);
                for (int r = 0; r < R; ++r)
                    acc[r] = _mm512_add_epi32(acc[r], _mm512_madd_epi16(bcast32(wb + r * wd_stride + 4 * p), av));
            }
        }
        const __m512 da = _mm512_loadu_ps(reinterpret_cast<const float*>(ab + (Q4 ? 512 : 1024)));
        for (int r = 0; r < R; ++r) {
            const __m512 dd = _mm512_mul_ps(bcastf(wb + r * wd_stride + (Q4 ? 32 : 64)), da);
            facc[r] = _mm512_fmadd_ps(dd, _mm512_cvtepi32_ps(acc[r]), facc[r]);
        }
    }
}

template <bool Q4, int R>
void tile_store(int64_t nb, const uint8_t* wd, size_t wd_stride, const uint8_t* act, int n, float* y, int64_t ldy,
                float* tmp) {
    __m512 facc[R];
    tile<Q4, R>(nb, wd, wd_stride, act, facc);
    for (int r = 0; r < R; ++r) {
        _mm512_storeu_ps(tmp, facc[r]);
        for (int t = 0; t < n; ++t) y[t * ldy + r] = tmp[t];
    }
}

template <bool Q4>
void run(int64_t K, const void* w, size_t w_stride, int64_t nrows, const void* prepared, int64_t n_tok, float* y,
         int64_t ldy, void* scratch) {
    const int64_t nb = K / QK8_0;
    const size_t wd_stride = size_t(nb) * kRowBlock<Q4>;
    auto* wd = static_cast<uint8_t*>(scratch);
    float* tmp = reinterpret_cast<float*>(wd + kRows * wd_stride);
    const auto* base = static_cast<const uint8_t*>(w);
    const auto* act = static_cast<const uint8_t*>(prepared);
    const size_t gbytes = prep_bytes<Q4>(K);
    const int64_t ngroups = (n_tok + kGroup - 1) / kGroup;
    // Groups in chunks that stay in L2 while the weight rows go by.
    int64_t chunk = int64_t(384 << 10) / int64_t(gbytes);
    if (chunk < 1) chunk = 1;
    for (int64_t g0 = 0; g0 < ngroups; g0 += chunk) {
        const int64_t g1 = g0 + chunk < ngroups ? g0 + chunk : ngroups;
        for (int64_t r0 = 0; r0 < nrows; r0 += kRows) {
            const int R = int(nrows - r0 < kRows ? nrows - r0 : kRows);
            for (int r = 0; r < R; ++r) decode_row<Q4>(nb, base + size_t(r0 + r) * w_stride, wd + r * wd_stride);
            for (int64_t g = g0; g < g1; ++g) {
                const int n = int(n_tok - g * kGroup < kGroup ? n_tok - g * kGroup : kGroup);
                const uint8_t* ag = act + size_t(g) * gbytes;
                float* yg = y + g * kGroup * ldy + r0;
                switch (R) {
                    case 8: tile_store<Q4, 8>(nb, wd, wd_stride, ag, n, yg, ldy, tmp); break;
                    case 7: tile_store<Q4, 7>(nb, wd, wd_stride, ag, n, yg, ldy, tmp); break;
                    case 6: tile_store<Q4, 6>(nb, wd, wd_stride, ag, n, yg, ldy, tmp); break;
                    case 5: tile_store<Q4, 5>(nb, wd, wd_stride, ag, n, yg, ldy, tmp); break;
                    case 4: tile_store<Q4, 4>(nb, wd, wd_stride, ag, n, yg, ldy, tmp); break;
                    case 3: tile_store<Q4, 3>(nb, wd, wd_stride, ag, n, yg, ldy, tmp); break;
                    case 2: tile_store<Q4, 2>(nb, wd, wd_stride, ag, n, yg, ldy, tmp); break;
                    default: tile_store<Q4, 1>(nb, wd, wd_stride, ag, n, yg, ldy, tmp); break;
                }
            }
        }
    }
}

}  // namespace

float vec_dot_q4_0_q8_0(int64_t n, const void* w, const void* a) {
    return dot_q4_0(n, static_cast<const block_q4_0*>(w), static_cast<const block_q8_0*>(a));
}
float vec_dot_q8_0_q8_0(int64_t n, const void* w, const void* a) {
    return dot_q8_0(n, static_cast<const block_q8_0*>(w), static_cast<const block_q8_0*>(a));
}
void gemv_q4_0(int64_t K, const void* w, size_t s, int64_t n, const void* a, float* y) { gemv<true>(K, w, s, n, a, y); }
void gemv_q8_0(int64_t K, const void* w, size_t s, int64_t n, const void* a, float* y) { gemv<false>(K, w, s, n, a, y); }

const GemmKernel gemm_q4_0 = {kGroup, prep_bytes<true>, prep<true>, scratch_bytes<true>, run<true>};
const GemmKernel gemm_q8_0 = {kGroup, prep_bytes<false>, prep<false>, scratch_bytes<false>, run<false>};

}  // namespace glint::kernels::avx512
