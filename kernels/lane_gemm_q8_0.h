// Q4_0 / Q8_0 weights against Q8_0 activations, shared by the AVX2 and AVX-512
// sets: the dots (AVX2 instructions, which both sets have) and the token-lane
// GEMM over the vector traits V of kernels/lane_gemm.h (plus V::ones16).
// Order of float operations: per block the exact integer sum s_b, then
// acc = fma(d_w * d_a, float(s_b), acc) over blocks in order, acc starting at 0.
//
// GEMM: V::kLanes activation rows per group, transposed so a vector holds 4
// consecutive elements (int8) or 2 (int16) of each token; each weight row is
// decoded once per pass and its pieces broadcast. Weights go as unsigned bytes
// u = q + bias (Q4_0: the 4-bit q, bias 8) against int8 activations, less
// bias * sum(a); Q8_0 does so (u = q + 128) only where V::kDot4 (VNNI: 4 byte
// products per int32 lane, no 16-bit saturation), else as int16 pairs.
// Prepared group, per block of 32 (L = kLanes): bytes: int8 [8][L][4], float
// d[L], int32 bias * sum[L] (40 L bytes); int16: int16 [16][L][2], float d[L] (68 L).
//
// Included only by ISA translation units, after V is defined; everything has
// internal linkage (see the rule in kernels/avx2/avx2.h).
#pragma once
#include <immintrin.h>

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "kernels/blocks.h"
#include "kernels/quants.h"

namespace glint::kernels {
namespace {
namespace lanes_q8 {

inline float fma1(float a, float b, float c) {
    return _mm_cvtss_f32(_mm_fmadd_ss(_mm_set_ss(a), _mm_set_ss(b), _mm_set_ss(c)));
}
inline float mul1(float a, float b) { return _mm_cvtss_f32(_mm_mul_ss(_mm_set_ss(a), _mm_set_ss(b))); }
inline float half(uint16_t h) { return _cvtsh_ss(h); }

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
inline __m256i ld256(const void* p) { return _mm256_loadu_si256(static_cast<const __m256i*>(p)); }
inline __m128i ld128(const void* p) { return _mm_loadu_si128(static_cast<const __m128i*>(p)); }

// Q4_0 block as 32 signed values q - 8 in element order.
inline __m256i q4_0_values(const uint8_t* qs) {
    const __m128i q = ld128(qs);
    const __m128i m4 = _mm_set1_epi8(0x0F);
    const __m256i v = _mm256_set_m128i(_mm_and_si128(_mm_srli_epi16(q, 4), m4), _mm_and_si128(q, m4));
    return _mm256_sub_epi8(v, _mm256_set1_epi8(8));
}

inline float dot_q4_0(int64_t n, const block_q4_0* x, const block_q8_0* y) {
    float acc = 0.0f;
    for (int64_t b = 0; b < n / QK8_0; ++b) {
        const int32_t s = hsum8(dot_i8(q4_0_values(x[b].qs), ld256(y[b].qs)));
        acc = fma1(mul1(half(x[b].d), half(y[b].d)), float(s), acc);
    }
    return acc;
}

inline float dot_q8_0(int64_t n, const block_q8_0* x, const block_q8_0* y) {
    float acc = 0.0f;
    for (int64_t b = 0; b < n / QK8_0; ++b) {
        const int32_t s = hsum8(dot_i8(ld256(x[b].qs), ld256(y[b].qs)));
        acc = fma1(mul1(half(x[b].d), half(y[b].d)), float(s), acc);
    }
    return acc;
}

// Traits V plus a 4-byte dot product: Dot4::dot4(acc, u, s) adds to each int32
// lane of acc the 4 products of unsigned bytes of u and signed bytes of s,
// exactly (vpdpbusd: no 16-bit saturation), from VNNI or an exact emulation.
template <class V, class Dot4>
struct WithDot4 : V {
    static constexpr bool kDot4 = true;
    static typename V::I dot4(typename V::I acc, typename V::I u, typename V::I s) { return Dot4::dot4(acc, u, s); }
};

template <class V, bool Q4>
constexpr bool kBytes = Q4 || V::kDot4;  // weights as bytes, activations int8
template <bool Q4>
constexpr int32_t kBias = Q4 ? 8 : 128;
template <class V, bool Q4>
constexpr size_t kPrepBlock = (kBytes<V, Q4> ? 40 : 68) * size_t(V::kLanes);
template <class V, bool Q4>
constexpr size_t kRowBlock = kBytes<V, Q4> ? 36 : 68;  // decoded weight block: values + float d
constexpr int kMaxRows = 8;                 // rows decoded per pass (at most; V::kQ8Rows)

template <class V, bool Q4>
size_t prep_bytes(int64_t K) {
    return size_t(K / QK8_0) * kPrepBlock<V, Q4>;
}

template <class V, bool Q4>
void prep(int64_t K, const void* a, size_t a_stride, int n, void* out) {
    constexpr int L = V::kLanes;
    const int64_t nb = K / QK8_0;
    auto* o = static_cast<uint8_t*>(out);
    std::memset(o, 0, prep_bytes<V, Q4>(K));
    for (int t = 0; t < n; ++t) {
        const auto* y = reinterpret_cast<const block_q8_0*>(static_cast<const uint8_t*>(a) + size_t(t) * a_stride);
        for (int64_t b = 0; b < nb; ++b) {
            uint8_t* ob = o + size_t(b) * kPrepBlock<V, Q4>;
            const float d = half(y[b].d);
            if constexpr (kBytes<V, Q4>) {
                for (int q = 0; q < 8; ++q) std::memcpy(ob + (q * L + t) * 4, y[b].qs + 4 * q, 4);
                std::memcpy(ob + 32 * L + 4 * t, &d, 4);
                int32_t s = 0;
                for (int j = 0; j < QK8_0; ++j) s += y[b].qs[j];
                s *= kBias<Q4>;
                std::memcpy(ob + 36 * L + 4 * t, &s, 4);
            } else {
                for (int p = 0; p < 16; ++p) {
                    const int16_t v[2] = {y[b].qs[2 * p], y[b].qs[2 * p + 1]};
                    std::memcpy(ob + (p * L + t) * 4, v, 4);
                }
                std::memcpy(ob + 64 * L + 4 * t, &d, 4);
            }
        }
    }
}

template <class V, bool Q4>
size_t scratch_bytes(int64_t K) {
    return size_t(V::kQ8Rows) * size_t(K / QK8_0) * kRowBlock<V, Q4> + 4 * V::kLanes;
}

// One weight row to decoded blocks: Q4_0: 32 uint8 q (0..15) + float d;
// Q8_0: 32 uint8 q + 128 (kDot4) or 32 int16, + float d.
template <class V, bool Q4>
void decode_row(int64_t nb, const uint8_t* row, uint8_t* out) {
    for (int64_t b = 0; b < nb; ++b, out += kRowBlock<V, Q4>) {
        float d;
        if constexpr (Q4) {
            const auto& blk = reinterpret_cast<const block_q4_0*>(row)[b];
            const __m128i q = ld128(blk.qs);
            const __m128i m4 = _mm_set1_epi8(0x0F);
            _mm_storeu_si128(reinterpret_cast<__m128i*>(out), _mm_and_si128(q, m4));
            _mm_storeu_si128(reinterpret_cast<__m128i*>(out + 16), _mm_and_si128(_mm_srli_epi16(q, 4), m4));
            d = half(blk.d);
            std::memcpy(out + 32, &d, 4);
        } else if constexpr (V::kDot4) {
            const auto& blk = reinterpret_cast<const block_q8_0*>(row)[b];
            _mm256_storeu_si256(reinterpret_cast<__m256i*>(out),
                                _mm256_xor_si256(ld256(blk.qs), _mm256_set1_epi8(char(0x80))));
            d = half(blk.d);
            std::memcpy(out + 32, &d, 4);
        } else {
            const auto& blk = reinterpret_cast<const block_q8_0*>(row)[b];
            _mm256_storeu_si256(reinterpret_cast<__m256i*>(out), _mm256_cvtepi8_epi16(ld128(blk.qs)));
            _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + 32), _mm256_cvtepi8_epi16(ld128(blk.qs + 16)));
            d = half(blk.d);
            std::memcpy(out + 64, &d, 4);
        }
    }
}

// R decoded rows x one group of kLanes tokens over all blocks.
template <class V, bool Q4, int R>
void tile(int64_t nb, const uint8_t* wd, size_t wd_stride, const uint8_t* act, typename V::F facc[R]) {
    using I = typename V::I;
    constexpr int L = V::kLanes;
    for (int r = 0; r < R; ++r) facc[r] = V::zero();
    for (int64_t b = 0; b < nb; ++b) {
        const uint8_t* ab = act + size_t(b) * kPrepBlock<V, Q4>;
        const uint8_t* wb = wd + size_t(b) * kRowBlock<V, Q4>;
        I acc[R];
        if constexpr (V::kDot4) {
            const I bias = V::sub32(I{}, V::load(ab + 36 * L));  // I{}: zeros
            for (int r = 0; r < R; ++r) acc[r] = bias;
            for (int q = 0; q < 8; ++q) {
                const I av = V::load(ab + 4 * L * q);
                for (int r = 0; r < R; ++r)
                    acc[r] = V::dot4(acc[r], V::template bcast<1>(wb + r * wd_stride + 4 * q), av);
            }
        } else if constexpr (Q4) {
            {
                const I av = V::load(ab);
                for (int r = 0; r < R; ++r) acc[r] = V::maddubs(V::template bcast<1>(wb + r * wd_stride), av);
            }
            for (int q = 1; q < 8; ++q) {
                const I av = V::load(ab + 4 * L * q);
                for (int r = 0; r < R; ++r)
                    acc[r] = V::add16(acc[r], V::maddubs(V::template bcast<1>(wb + r * wd_stride + 4 * q), av));
            }
            const I s8 = V::load(ab + 36 * L);
            for (int r = 0; r < R; ++r) acc[r] = V::sub32(V::madd(acc[r], V::ones16()), s8);
        } else {
            {
                const I av = V::load(ab);
                for (int r = 0; r < R; ++r) acc[r] = V::madd(V::template bcast<1>(wb + r * wd_stride), av);
            }
            for (int p = 1; p < 16; ++p) {
                const I av = V::load(ab + 4 * L * p);
                for (int r = 0; r < R; ++r)
                    acc[r] = V::add32(acc[r], V::madd(V::template bcast<1>(wb + r * wd_stride + 4 * p), av));
            }
        }
        constexpr int kD = kBytes<V, Q4> ? 32 : 64;
        const typename V::F da = V::load_f(ab + kD * L);
        for (int r = 0; r < R; ++r) {
            const auto dd = V::mul(V::cast_f(V::template bcast<1>(wb + r * wd_stride + kD)), da);
            facc[r] = V::fmadd(dd, V::cvt(acc[r]), facc[r]);
        }
    }
}

template <class V, bool Q4, int R>
void tile_store(int64_t nb, const uint8_t* wd, size_t wd_stride, const uint8_t* act, int n, float* y, int64_t ldy,
                float* tmp) {
    typename V::F facc[R];
    tile<V, Q4, R>(nb, wd, wd_stride, act, facc);
    for (int r = 0; r < R; ++r) {
        V::store_f(tmp, facc[r]);
        for (int t = 0; t < n; ++t) y[t * ldy + r] = tmp[t];
    }
}

template <class V, bool Q4>
void run(int64_t K, const void* w, size_t w_stride, int64_t nrows, const void* prepared, int64_t n_tok, float* y,
         int64_t ldy, void* scratch) {
    constexpr int G = V::kLanes, kRows = V::kQ8Rows;
    static_assert(kRows >= 1 && kRows <= kMaxRows);
    const int64_t nb = K / QK8_0;
    const size_t wd_stride = size_t(nb) * kRowBlock<V, Q4>;
    auto* wd = static_cast<uint8_t*>(scratch);
    float* tmp = reinterpret_cast<float*>(wd + kRows * wd_stride);
    const auto* base = static_cast<const uint8_t*>(w);
    const auto* act = static_cast<const uint8_t*>(prepared);
    const size_t gbytes = prep_bytes<V, Q4>(K);
    const int64_t ngroups = (n_tok + G - 1) / G;
    // Groups in chunks that stay in L2 while the weight rows go by.
    int64_t chunk = int64_t(384 << 10) / int64_t(gbytes);
    if (chunk < 1) chunk = 1;
    for (int64_t g0 = 0; g0 < ngroups; g0 += chunk) {
        const int64_t g1 = g0 + chunk < ngroups ? g0 + chunk : ngroups;
        for (int64_t r0 = 0; r0 < nrows; r0 += kRows) {
            const int R = int(nrows - r0 < kRows ? nrows - r0 : kRows);
            for (int r = 0; r < R; ++r) decode_row<V, Q4>(nb, base + size_t(r0 + r) * w_stride, wd + r * wd_stride);
            for (int64_t g = g0; g < g1; ++g) {
                const int n = int(n_tok - g * G < G ? n_tok - g * G : G);
                const uint8_t* ag = act + size_t(g) * gbytes;
                float* yg = y + g * G * ldy + r0;
                switch (R) {
                    case 8: tile_store<V, Q4, 8>(nb, wd, wd_stride, ag, n, yg, ldy, tmp); break;
                    case 7: tile_store<V, Q4, 7>(nb, wd, wd_stride, ag, n, yg, ldy, tmp); break;
                    case 6: tile_store<V, Q4, 6>(nb, wd, wd_stride, ag, n, yg, ldy, tmp); break;
                    case 5: tile_store<V, Q4, 5>(nb, wd, wd_stride, ag, n, yg, ldy, tmp); break;
                    case 4: tile_store<V, Q4, 4>(nb, wd, wd_stride, ag, n, yg, ldy, tmp); break;
                    case 3: tile_store<V, Q4, 3>(nb, wd, wd_stride, ag, n, yg, ldy, tmp); break;
                    case 2: tile_store<V, Q4, 2>(nb, wd, wd_stride, ag, n, yg, ldy, tmp); break;
                    default: tile_store<V, Q4, 1>(nb, wd, wd_stride, ag, n, yg, ldy, tmp); break;
                }
            }
        }
    }
}

template <class V, bool Q4>
constexpr GemmKernel kernel() {
    return {V::kLanes, prep_bytes<V, Q4>, prep<V, Q4>, scratch_bytes<V, Q4>, run<V, Q4>};
}

}  // namespace lanes_q8
}  // namespace
}  // namespace glint::kernels
