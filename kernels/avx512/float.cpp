// F32 / F16 / BF16 dots, row-block GEMV and GEMM with AVX-512. One float order
// for all of them (and the AVX2 set): lane i of 16 accumulates elements
// i, i+16, i+32, ... by fma (the tail zero-padded), then reduce16().
#include "kernels/avx512/avx512.h"
#include "kernels/avx512/common.h"
#include "kernels/heads_lanes.h"
#include "kernels/softmax_lanes.h"

namespace glint::kernels::avx512 {
namespace {

struct F32 {
    using T = float;
    static __m512 load(const T* p) { return _mm512_loadu_ps(p); }
    static __m512 load_tail(const T* p, __mmask16 m) { return _mm512_maskz_loadu_ps(m, p); }
};
struct F16 {
    using T = uint16_t;
    static __m512 load(const T* p) { return _mm512_cvtph_ps(load256(p)); }
    static __m512 load_tail(const T* p, __mmask16 m) { return _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(m, p)); }
};
struct BF16 {
    using T = uint16_t;
    static __m512 widen(__m256i h) { return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16)); }
    static __m512 load(const T* p) { return widen(load256(p)); }
    static __m512 load_tail(const T* p, __mmask16 m) { return widen(_mm256_maskz_loadu_epi16(m, p)); }
};

inline __mmask16 tail_mask(int64_t rem) { return __mmask16((1u << rem) - 1u); }

template <class L>
float dot(int64_t n, const void* w, const void* a) {
    const auto* x = static_cast<const typename L::T*>(w);
    const auto* y = static_cast<const typename L::T*>(a);
    __m512 acc = _mm512_setzero_ps();
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) acc = _mm512_fmadd_ps(L::load(x + i), L::load(y + i), acc);
    if (i < n) {
        const __mmask16 m = tail_mask(n - i);
        acc = _mm512_fmadd_ps(L::load_tail(x + i, m), L::load_tail(y + i, m), acc);
    }
    return reduce16(acc);
}

// Four rows at a time share each activation load.
template <class L>
void gemv(int64_t K, const void* w, size_t w_stride, int64_t nrows, const void* a, float* out) {
    const auto* y = static_cast<const typename L::T*>(a);
    const auto* base = static_cast<const uint8_t*>(w);
    int64_t r = 0;
    for (; r + 4 <= nrows; r += 4) {
        const typename L::T* x[4];
        for (int j = 0; j < 4; ++j) x[j] = reinterpret_cast<const typename L::T*>(base + size_t(r + j) * w_stride);
        __m512 acc[4] = {_mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps()};
        int64_t i = 0;
        for (; i + 16 <= K; i += 16) {
            const __m512 av = L::load(y + i);
            for (int j = 0; j < 4; ++j) acc[j] = _mm512_fmadd_ps(L::load(x[j] + i), av, acc[j]);
        }
        if (i < K) {
            const __mmask16 m = tail_mask(K - i);
            const __m512 av = L::load_tail(y + i, m);
            for (int j = 0; j < 4; ++j) acc[j] = _mm512_fmadd_ps(L::load_tail(x[j] + i, m), av, acc[j]);
        }
        for (int j = 0; j < 4; ++j) out[r + j] = reduce16(acc[j]);
    }
    for (; r < nrows; ++r) out[r] = dot<L>(K, base + size_t(r) * w_stride, a);
}

inline int64_t pad16(int64_t K) { return (K + 15) & ~int64_t(15); }

// Row of K elements to K16 floats, zero-padded.
template <class L>
void widen_row(int64_t K, const typename L::T* x, float* out) {
    int64_t i = 0;
    for (; i + 16 <= K; i += 16) _mm512_storeu_ps(out + i, L::load(x + i));
    if (i < K) _mm512_storeu_ps(out + i, L::load_tail(x + i, tail_mask(K - i)));
}

template <class L>
size_t prep_bytes(int64_t K) { return size_t(pad16(K)) * sizeof(float); }

template <class L>
void prep(int64_t K, const void* a, size_t a_stride, int n, void* out) {
    (void)a_stride;
    (void)n;  // group of one row
    widen_row<L>(K, static_cast<const typename L::T*>(a), static_cast<float*>(out));
}

constexpr int kRows = 4, kToks = 6;

size_t scratch_bytes(int64_t K) { return size_t(kRows) * size_t(pad16(K)) * sizeof(float); }

// R rows (widened, stride K16) x T prepared tokens (stride K16).
template <int R, int T>
void tile(int64_t K16, const float* w, const float* a, float* y, int64_t ldy) {
    __m512 acc[R][T];
    for (int r = 0; r < R; ++r)
        for (int t = 0; t < T; ++t) acc[r][t] = _mm512_setzero_ps();
    for (int64_t i = 0; i < K16; i += 16) {
        __m512 wv[R];
        for (int r = 0; r < R; ++r) wv[r] = _mm512_loadu_ps(w + r * K16 + i);
        for (int t = 0; t < T; ++t) {
            const __m512 av = _mm512_loadu_ps(a + t * K16 + i);
            for (int r = 0; r < R; ++r) acc[r][t] = _mm512_fmadd_ps(wv[r], av, acc[r][t]);
        }
    }
    for (int t = 0; t < T; ++t)
        for (int r = 0; r < R; ++r) y[t * ldy + r] = reduce16(acc[r][t]);
}

template <int R>
void tile_tokens(int T, int64_t K16, const float* w, const float* a, float* y, int64_t ldy) {
    switch (T) {
        case 1: tile<R, 1>(K16, w, a, y, ldy); break;
        case 2: tile<R, 2>(K16, w, a, y, ldy); break;
        case 3: tile<R, 3>(K16, w, a, y, ldy); break;
        case 4: tile<R, 4>(K16, w, a, y, ldy); break;
        case 5: tile<R, 5>(K16, w, a, y, ldy); break;
        default: tile<R, 6>(K16, w, a, y, ldy); break;
    }
}

template <class L>
void run(int64_t K, const void* w, size_t w_stride, int64_t nrows, const void* prepared, int64_t n_tok,
         float* y, int64_t ldy, void* scratch) {
    const int64_t K16 = pad16(K);
    const float* a = static_cast<const float*>(prepared);
    float* wf = static_cast<float*>(scratch);
    const auto* base = static_cast<const uint8_t*>(w);
    // Tokens in chunks whose activations stay in L2 while the rows go by.
    int64_t chunk = (int64_t(192) << 10) / (K16 * int64_t(sizeof(float)));
    chunk = chunk < kToks ? kToks : chunk / kToks * kToks;
    for (int64_t t0 = 0; t0 < n_tok; t0 += chunk) {
        const int64_t t1 = t0 + chunk < n_tok ? t0 + chunk : n_tok;
        for (int64_t r0 = 0; r0 < nrows; r0 += kRows) {
            const int R = int(nrows - r0 < kRows ? nrows - r0 : kRows);
            for (int r = 0; r < R; ++r)
                widen_row<L>(K, reinterpret_cast<const typename L::T*>(base + size_t(r0 + r) * w_stride), wf + r * K16);
            for (int64_t t = t0; t < t1; t += kToks) {
                const int T = int(t1 - t < kToks ? t1 - t : kToks);
                const float* at = a + t * K16;
                float* yt = y + t * ldy + r0;
                switch (R) {
                    case 1: tile_tokens<1>(T, K16, wf, at, yt, ldy); break;
                    case 2: tile_tokens<2>(T, K16, wf, at, yt, ldy); break;
                    case 3: tile_tokens<3>(T, K16, wf, at, yt, ldy); break;
                    default: tile_tokens<4>(T, K16, wf, at, yt, ldy); break;
                }
            }
        }
    }
}

}  // namespace

float vec_dot_f32(int64_t n, const void* w, const void* a) { return dot<F32>(n, w, a); }
float vec_dot_f16(int64_t n, const void* w, const void* a) { return dot<F16>(n, w, a); }
float vec_dot_bf16(int64_t n, const void* w, const void* a) { return dot<BF16>(n, w, a); }

void gemv_f32(int64_t K, const void* w, size_t s, int64_t n, const void* a, float* y) { gemv<F32>(K, w, s, n, a, y); }
void gemv_f16(int64_t K, const void* w, size_t s, int64_t n, const void* a, float* y) { gemv<F16>(K, w, s, n, a, y); }
void gemv_bf16(int64_t K, const void* w, size_t s, int64_t n, const void* a, float* y) { gemv<BF16>(K, w, s, n, a, y); }

const GemmKernel gemm_f32 = {1, prep_bytes<F32>, prep<F32>, scratch_bytes, run<F32>};
const GemmKernel gemm_f16 = {1, prep_bytes<F16>, prep<F16>, scratch_bytes, run<F16>};
const GemmKernel gemm_bf16 = {1, prep_bytes<BF16>, prep<BF16>, scratch_bytes, run<BF16>};

namespace {

// ---- Attention: the query heads that share one KV head, rows read once ----

// Sums of 16 accumulators at once, each by reduce16()'s pairing (lane i with
// i + 8, then i + 4, i + 2, i + 1; same operands, so the same bits); lane a
// of the result holds the sum of acc[a].
inline __m512 reduce16x16(const __m512 acc[16]) {
    __m512 c[8], e[4], g[2];
    for (int m = 0; m < 8; ++m)  // c[m]: low half from acc[2m], high half from acc[2m+1]
        c[m] = _mm512_add_ps(_mm512_shuffle_f32x4(acc[2 * m], acc[2 * m + 1], _MM_SHUFFLE(1, 0, 1, 0)),
                             _mm512_shuffle_f32x4(acc[2 * m], acc[2 * m + 1], _MM_SHUFFLE(3, 2, 3, 2)));
    for (int m = 0; m < 4; ++m)  // e[m]: 128-bit lane k from acc[4m + k]
        e[m] = _mm512_add_ps(_mm512_shuffle_f32x4(c[2 * m], c[2 * m + 1], _MM_SHUFFLE(2, 0, 2, 0)),
                             _mm512_shuffle_f32x4(c[2 * m], c[2 * m + 1], _MM_SHUFFLE(3, 1, 3, 1)));
    for (int m = 0; m < 2; ++m) {  // g[m]: lane k holds pairs from acc[8m + k], acc[8m + 4 + k]
        const __m512d a = _mm512_castps_pd(e[2 * m]), b = _mm512_castps_pd(e[2 * m + 1]);
        g[m] = _mm512_add_ps(_mm512_castpd_ps(_mm512_unpacklo_pd(a, b)), _mm512_castpd_ps(_mm512_unpackhi_pd(a, b)));
    }
    // Lane 4k + j now holds acc[4j + k]; the permutation puts acc[a] in lane a.
    const __m512 h = _mm512_add_ps(_mm512_shuffle_ps(g[0], g[1], _MM_SHUFFLE(2, 0, 2, 0)),
                                   _mm512_shuffle_ps(g[0], g[1], _MM_SHUFFLE(3, 1, 3, 1)));
    return _mm512_permutexvar_ps(_mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15), h);
}

// HT heads x 16 / HT rows of dots, in gemv()'s order per dot: lane i of an
// accumulator takes elements i, i + 16, ... by fma (tail zero), then
// reduce16. q: the HT queries as floats, K16 apart, zero-padded.
template <class L, int HT>
void heads_tile(int64_t K, const typename L::T* const rows[], const float* q, int64_t K16, float res[16]) {
    constexpr int RT = 16 / HT;
    __m512 acc[16];
    for (int i = 0; i < 16; ++i) acc[i] = _mm512_setzero_ps();
    auto step = [&](int64_t i, auto load) {  // elements [i, i + 16) of every dot
        __m512 w[RT];
        for (int r = 0; r < RT; ++r) w[r] = load(rows[r] + i);
        for (int h = 0; h < HT; ++h) {
            const __m512 qv = _mm512_load_ps(q + h * K16 + i);
            for (int r = 0; r < RT; ++r) acc[h * RT + r] = _mm512_fmadd_ps(w[r], qv, acc[h * RT + r]);
        }
    };
    int64_t i = 0;
    for (; i + 16 <= K; i += 16) step(i, [](const typename L::T* p) { return L::load(p); });
    if (i < K) step(i, [m = tail_mask(K - i)](const typename L::T* p) { return L::load_tail(p, m); });
    _mm512_storeu_ps(res, reduce16x16(acc));
}

constexpr int64_t kMaxHeadK = 512;  // queries converted on the stack up to this length

template <class L>
void gemv_heads(int64_t K, const void* w, size_t w_stride, int64_t nrows, int nq, const void* a, size_t a_stride,
                float* y, int64_t ldy) {
    const auto* qa = static_cast<const uint8_t*>(a);
    const int64_t K16 = pad16(K);
    if (K16 > kMaxHeadK) {
        for (int h = 0; h < nq; ++h) gemv<L>(K, w, w_stride, nrows, qa + size_t(h) * a_stride, y + h * ldy);
        return;
    }
    alignas(64) float q[8 * kMaxHeadK];
    const auto* wb = static_cast<const uint8_t*>(w);
    heads_lanes::head_groups<8>(nq, [&]<int HT>(int h0) {
        for (int h = 0; h < HT; ++h)
            widen_row<L>(K, reinterpret_cast<const typename L::T*>(qa + size_t(h0 + h) * a_stride), q + h * K16);
        heads_lanes::score_rows<16, HT, typename L::T>(
            [&]<int H>(const typename L::T* const* rows, float* res) { heads_tile<L, H>(K, rows, q, K16, res); }, wb,
            w_stride, nrows, y + h0 * ldy, ldy);
    });
}

// HT heads x NV vectors of y (the last one masked) over all rows: y += a * x
// per row in order, multiply then add, as every set's axpy_rows.
template <class L, int NV, int HT>
void axpy_tile(int64_t nrows, const float* a, int64_t lda, const uint8_t* x, size_t x_stride, float* y, int64_t ldy,
               __mmask16 last) {
    __m512 acc[HT][NV];
    for (int h = 0; h < HT; ++h)
        for (int k = 0; k < NV; ++k)
            acc[h][k] = k < NV - 1 ? _mm512_loadu_ps(y + h * ldy + 16 * k)
                                   : _mm512_maskz_loadu_ps(last, y + h * ldy + 16 * k);
    for (int64_t r = 0; r < nrows; ++r) {
        const auto* xr = reinterpret_cast<const typename L::T*>(x + size_t(r) * x_stride);
        __m512 v[NV];
        for (int k = 0; k < NV; ++k) v[k] = k < NV - 1 ? L::load(xr + 16 * k) : L::load_tail(xr + 16 * k, last);
        for (int h = 0; h < HT; ++h) {
            const __m512 va = _mm512_set1_ps(a[h * lda + r]);
            for (int k = 0; k < NV; ++k) acc[h][k] = _mm512_add_ps(acc[h][k], _mm512_mul_ps(va, v[k]));
        }
    }
    for (int h = 0; h < HT; ++h)
        for (int k = 0; k < NV; ++k) {
            if (k < NV - 1)
                _mm512_storeu_ps(y + h * ldy + 16 * k, acc[h][k]);
            else
                _mm512_mask_storeu_ps(y + h * ldy + 16 * k, last, acc[h][k]);
        }
}

template <class L, int NV>
void axpy_cols(int64_t nrows, int nq, const float* a, int64_t lda, const uint8_t* x, size_t x_stride, float* y,
               int64_t ldy, __mmask16 last) {
    heads_lanes::head_groups<4>(nq, [&]<int HT>(int h0) {
        axpy_tile<L, NV, HT>(nrows, a + h0 * lda, lda, x, x_stride, y + h0 * ldy, ldy, last);
    });
}

template <class L>
void axpy_heads(int64_t n, int64_t nrows, int nq, const float* a, int64_t lda, const void* x, size_t x_stride,
                float* y, int64_t ldy) {
    const auto* xb = static_cast<const uint8_t*>(x);
    for (int64_t c0 = 0; c0 < n; c0 += 64) {  // 64 columns (4 vectors) of every head at a time
        const int64_t nc = n - c0 < 64 ? n - c0 : 64;
        const int NV = int((nc + 15) / 16);
        const int64_t rem = nc - 16 * (NV - 1);
        const __mmask16 last = rem == 16 ? __mmask16(0xFFFF) : tail_mask(rem);
        const uint8_t* xc = xb + size_t(c0) * sizeof(typename L::T);
        switch (NV) {
            case 4: axpy_cols<L, 4>(nrows, nq, a, lda, xc, x_stride, y + c0, ldy, last); break;
            case 3: axpy_cols<L, 3>(nrows, nq, a, lda, xc, x_stride, y + c0, ldy, last); break;
            case 2: axpy_cols<L, 2>(nrows, nq, a, lda, xc, x_stride, y + c0, ldy, last); break;
            default: axpy_cols<L, 1>(nrows, nq, a, lda, xc, x_stride, y + c0, ldy, last); break;
        }
    }
}

}  // namespace

void gemv_heads_f32(int64_t K, const void* w, size_t s, int64_t n, int nq, const void* a, size_t as, float* y,
                    int64_t ldy) {
    gemv_heads<F32>(K, w, s, n, nq, a, as, y, ldy);
}
void gemv_heads_f16(int64_t K, const void* w, size_t s, int64_t n, int nq, const void* a, size_t as, float* y,
                    int64_t ldy) {
    gemv_heads<F16>(K, w, s, n, nq, a, as, y, ldy);
}
void axpy_heads_f32(int64_t n, int64_t nrows, int nq, const float* a, int64_t lda, const void* x, size_t s, float* y,
                    int64_t ldy) {
    axpy_heads<F32>(n, nrows, nq, a, lda, x, s, y, ldy);
}
void axpy_heads_f16(int64_t n, int64_t nrows, int nq, const float* a, int64_t lda, const void* x, size_t s, float* y,
                    int64_t ldy) {
    axpy_heads<F16>(n, nrows, nq, a, lda, x, s, y, ldy);
}

namespace {

// 16 softmax lanes in one vector (kernels/softmax_lanes.h).
struct Lanes16 {
    using F = __m512;
    static __mmask16 mask(int64_t valid) { return __mmask16((1u << valid) - 1); }  // valid < 16
    static F set1(float v) { return _mm512_set1_ps(v); }
    static F load(const float* p, int64_t valid) {
        return valid >= 16 ? _mm512_loadu_ps(p) : _mm512_maskz_loadu_ps(mask(valid), p);
    }
    static void store(float* p, F v, int64_t valid) {
        if (valid >= 16)
            _mm512_storeu_ps(p, v);
        else
            _mm512_mask_storeu_ps(p, mask(valid), v);
    }
    static F add(F a, F b) { return _mm512_add_ps(a, b); }
    static F sub(F a, F b) { return _mm512_sub_ps(a, b); }
    static F mul(F a, F b) { return _mm512_mul_ps(a, b); }
    static F div(F a, F b) { return _mm512_div_ps(a, b); }
    static F max(F a, F b) { return _mm512_max_ps(a, b); }
    static F min(F a, F b) { return _mm512_min_ps(a, b); }
    static F pow2(F t) {
        const __m512i e = _mm512_add_epi32(_mm512_castps_si512(t), _mm512_set1_epi32(127 - int32_t(exp_poly::kRoundBits)));
        return _mm512_castsi512_ps(_mm512_slli_epi32(e, 23));
    }
    static F keep(F v, int64_t valid) { return valid >= 16 ? v : _mm512_maskz_mov_ps(mask(valid), v); }
    static F keep_or(F v, F w, int64_t valid) { return valid >= 16 ? v : _mm512_mask_mov_ps(w, mask(valid), v); }
    static float hmax(F v) { return _mm512_reduce_max_ps(v); }
    static float reduce16(F v) { return avx512::reduce16(v); }
};

}  // namespace

void softmax(float* x, int64_t n, float scale) { softmax_lanes::softmax<Lanes16>(x, n, scale); }
void swiglu(float* gate, const float* up, int64_t n) { softmax_lanes::swiglu<Lanes16>(gate, up, n); }

}  // namespace glint::kernels::avx512
