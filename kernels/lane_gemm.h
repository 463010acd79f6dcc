// The token-lane K-quant GEMM (Q4_K / Q5_K / Q6_K against Q8_K) shared by the
// AVX2 and AVX-512 sets, written once over a vector traits type V:
//   V::kLanes (8 or 16 int32 lanes), V::I / V::F (integer / float vector),
//   integer ops load, maddubs, add16, madd, add32, sub32, shl5, in_reg; float
//   ops zero, load_f, store_f, cvt, cast_f, mul, fmadd, sub; V::bcast<RP>(p): the RP
//   32-bit words at p repeated; V::decode_rows<Kind, RP>: the ISA's weight
//   decoder into the layout below.
// A vector holds T tokens x RP = kLanes / T rows: lane l is token l / RP of the
// group against row l % RP of a row group. Per (row, token) lane: exact integer
// sums per super-block, then acc = fma(d * a.d, sum, acc) (and the min term
// likewise), the float order of the sets' own K-quant dots.
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
namespace lanes {

// Prepared group of T tokens, per super-block (L = kLanes):
//   int8 [64 quads][L lanes][4]         256 L bytes at 0
//   float d[L]                          at kActD
//   int32 (bsum32 pair) [4][L]          at kActM (Q4_K/Q5_K: sub-block sums 2i, 2i+1 as int16)
//   int32 (bsums pair) [8][L]           at kActB (Q6_K: bsums 2i, 2i+1 as int16)
// Decoded row group (RP rows interleaved), per super-block, offsets times RP:
//   uint8 q [64 quads][RP][4] at 0; int32 sc pairs [16][RP] (sc|sc<<16; Q4/Q5 use 8) at 256;
//   int32 m or sc pairs [8][RP] (Q4/Q5: m_{2i}|m_{2i+1}<<16, 4 used; Q6: sc_{2i}|sc_{2i+1}<<16) at 320;
//   float d[RP] at 352, dmin[RP] after them.
template <class V>
struct Act {
    static constexpr size_t kD = 256 * V::kLanes, kM = kD + 4 * V::kLanes, kB = kM + 16 * V::kLanes;
    static constexpr size_t kSB = kB + 32 * V::kLanes;
};
constexpr size_t kRowSB = 384;
constexpr int kRows = 4;  // row groups decoded per pass

template <class V>
size_t prep_bytes(int64_t K) {
    return size_t(K / QK_K) * Act<V>::kSB;
}

template <class V, int T>
void prep(int64_t K, const void* a, size_t a_stride, int n, void* out) {
    constexpr int L = V::kLanes, RP = L / T;
    using A = Act<V>;
    const int64_t nsb = K / QK_K;
    auto* o = static_cast<uint8_t*>(out);
    std::memset(o, 0, prep_bytes<V>(K));
    for (int t = 0; t < n; ++t) {
        const auto* y = reinterpret_cast<const block_q8_K*>(static_cast<const uint8_t*>(a) + size_t(t) * a_stride);
        for (int64_t b = 0; b < nsb; ++b) {
            uint8_t* ob = o + size_t(b) * A::kSB;
            int32_t s32[4], s16[8];
            for (int i = 0; i < 4; ++i) {
                const int16_t v[2] = {int16_t(y[b].bsums[4 * i] + y[b].bsums[4 * i + 1]),
                                      int16_t(y[b].bsums[4 * i + 2] + y[b].bsums[4 * i + 3])};
                std::memcpy(&s32[i], v, 4);
            }
            std::memcpy(s16, y[b].bsums, sizeof s16);
            for (int rr = 0; rr < RP; ++rr) {
                const int l = t * RP + rr;
                for (int q = 0; q < 64; ++q) std::memcpy(ob + (q * L + l) * 4, y[b].qs + 4 * q, 4);
                std::memcpy(ob + A::kD + 4 * l, &y[b].d, 4);
                for (int i = 0; i < 4; ++i) std::memcpy(ob + A::kM + (i * L + l) * 4, &s32[i], 4);
                for (int i = 0; i < 8; ++i) std::memcpy(ob + A::kB + (i * L + l) * 4, &s16[i], 4);
            }
        }
    }
}

template <class V, int T>
size_t scratch_bytes(int64_t K) {
    constexpr int RP = V::kLanes / T;
    return size_t(kRows) * RP * size_t(K / QK_K) * kRowSB + 4 * V::kLanes;
}

// R decoded row groups x one group of T tokens, all super-blocks. pf: raw
// weights of the next rows, pf_step bytes per super-block, prefetched so their
// memory reads overlap this arithmetic instead of stalling the next decode.
template <class V, int Kind, int T, int R>
void tile(int64_t nsb, const uint8_t* wd, size_t wd_stride, const uint8_t* act, typename V::F out[R],
          const uint8_t* pf, size_t pf_step) {
    using I = typename V::I;
    using F = typename V::F;
    using A = Act<V>;
    constexpr int RP = V::kLanes / T;
    constexpr size_t kStep = 4 * V::kLanes;  // bytes of activations per quad step
    // Sub-block length and steps (of 4 elements) per int16 accumulator: the
    // most that cannot overflow (15 x 127 x 2 x 8, 31 x 127 x 2 x 4, 63 x 127 x 2 x 2).
    constexpr int kSub = Kind == 6 ? 16 : 32;
    constexpr int kSteps = Kind == 4 ? 8 : (Kind == 5 ? 4 : 2);
    constexpr int kNSub = QK_K / kSub;
    constexpr size_t kSB = RP * kRowSB;
    F facc[R], faccm[R];
    for (int r = 0; r < R; ++r) facc[r] = faccm[r] = V::zero();
    for (int64_t b = 0; b < nsb; ++b) {
        const uint8_t* ab = act + size_t(b) * A::kSB;
        const uint8_t* wb = wd + size_t(b) * kSB;
        if (pf)
            for (size_t o = 0; o < pf_step; o += 64)
                _mm_prefetch(reinterpret_cast<const char*>(pf + size_t(b) * pf_step + o), _MM_HINT_T1);
        I acc32[R];
        for (int j = 0; j < kNSub; ++j) {
            for (int h = 0; h < kSub / 4 / kSteps; ++h) {
                I acc16[R];
                const int s0 = j * (kSub / 4) + h * kSteps;
                {
                    const I av = V::in_reg(V::load(ab + kStep * s0));
                    for (int r = 0; r < R; ++r)
                        acc16[r] = V::maddubs(V::template bcast<RP>(wb + r * wd_stride + 4 * RP * s0), av);
                }
                for (int s = 1; s < kSteps; ++s) {
                    const I av = V::in_reg(V::load(ab + kStep * (s0 + s)));
                    for (int r = 0; r < R; ++r)
                        acc16[r] = V::add16(
                            acc16[r], V::maddubs(V::template bcast<RP>(wb + r * wd_stride + 4 * RP * (s0 + s)), av));
                }
                for (int r = 0; r < R; ++r) {
                    const I p = V::madd(acc16[r], V::template bcast<RP>(wb + r * wd_stride + RP * (256 + 4 * j)));
                    acc32[r] = (j == 0 && h == 0) ? p : V::add32(acc32[r], p);
                }
            }
        }
        const F da = V::load_f(ab + A::kD);
        auto dscale = [&](int r, int at) {
            return V::mul(V::cast_f(V::template bcast<RP>(wb + r * wd_stride + at * RP)), da);
        };
        if constexpr (Kind == 6) {
            I off[R];
            for (int i = 0; i < 8; ++i) {
                const I bv = V::load(ab + A::kB + kStep * i);
                for (int r = 0; r < R; ++r) {
                    const I p = V::madd(bv, V::template bcast<RP>(wb + r * wd_stride + RP * (320 + 4 * i)));
                    off[r] = i == 0 ? p : V::add32(off[r], p);
                }
            }
            for (int r = 0; r < R; ++r)
                facc[r] = V::fmadd(dscale(r, 352), V::cvt(V::sub32(acc32[r], V::shl5(off[r]))), facc[r]);
        } else {
            I mm[R];
            for (int i = 0; i < 4; ++i) {
                const I bv = V::load(ab + A::kM + kStep * i);
                for (int r = 0; r < R; ++r) {
                    const I p = V::madd(bv, V::template bcast<RP>(wb + r * wd_stride + RP * (320 + 4 * i)));
                    mm[r] = i == 0 ? p : V::add32(mm[r], p);
                }
            }
            for (int r = 0; r < R; ++r) {
                facc[r] = V::fmadd(dscale(r, 352), V::cvt(acc32[r]), facc[r]);
                faccm[r] = V::fmadd(dscale(r, 356), V::cvt(mm[r]), faccm[r]);
            }
        }
    }
    for (int r = 0; r < R; ++r) out[r] = Kind == 6 ? facc[r] : V::sub(facc[r], faccm[r]);
}

// Stores lanes of tokens < n and rows < nrows (rows of the tile's first group start at y).
template <class V, int Kind, int T, int R>
void tile_store(int64_t nsb, const uint8_t* wd, size_t wd_stride, const uint8_t* act, int n, int nrows, float* y,
                int64_t ldy, float* tmp, const uint8_t* pf, size_t pf_step) {
    constexpr int RP = V::kLanes / T;
    typename V::F res[R];
    tile<V, Kind, T, R>(nsb, wd, wd_stride, act, res, pf, pf_step);
    for (int r = 0; r < R; ++r) {
        V::store_f(tmp, res[r]);
        for (int l = 0; l < V::kLanes; ++l) {
            const int t = l / RP, row = r * RP + l % RP;
            if (t < n && row < nrows) y[t * ldy + row] = tmp[l];
        }
    }
}

template <class V, int Kind, int T>
void run(int64_t K, const void* w, size_t w_stride, int64_t nrows, const void* prepared, int64_t n_tok, float* y,
         int64_t ldy, void* scratch) {
    constexpr int RP = V::kLanes / T;
    const int64_t nsb = K / QK_K;
    const size_t wd_stride = size_t(nsb) * RP * kRowSB;
    auto* wd = static_cast<uint8_t*>(scratch);
    float* tmp = reinterpret_cast<float*>(wd + kRows * wd_stride);
    const auto* base = static_cast<const uint8_t*>(w);
    const auto* act = static_cast<const uint8_t*>(prepared);
    const size_t gbytes = prep_bytes<V>(K);
    const int64_t ngroups = (n_tok + T - 1) / T;
    // Token groups per pass over the rows: as many as stay in L2 with the decoded rows.
    int64_t chunk = int64_t(384 << 10) / int64_t(gbytes);
    if (chunk < 1) chunk = 1;
    for (int64_t g0 = 0; g0 < ngroups; g0 += chunk) {
        const int64_t g1 = g0 + chunk < ngroups ? g0 + chunk : ngroups;
        for (int64_t r0 = 0; r0 < nrows; r0 += kRows * RP) {
            const int rows_here = int(nrows - r0 < kRows * RP ? nrows - r0 : kRows * RP);
            const int R = (rows_here + RP - 1) / RP;
            for (int r = 0; r < R; ++r) {
                const uint8_t* rows[RP];
                const int nr = rows_here - r * RP < RP ? rows_here - r * RP : RP;
                for (int i = 0; i < nr; ++i) rows[i] = base + size_t(r0 + r * RP + i) * w_stride;
                V::template decode_rows<Kind, RP>(nsb, rows, nr, wd + r * wd_stride);
            }
            // Next pass's rows, prefetched during the first group's tile.
            const int64_t r_next = r0 + kRows * RP;
            const uint8_t* pf_rows = nullptr;
            size_t pf_step = 0;
            if (r_next < nrows) {
                const int64_t n_next = nrows - r_next < kRows * RP ? nrows - r_next : kRows * RP;
                pf_rows = base + size_t(r_next) * w_stride;
                pf_step = (size_t(n_next) * w_stride / size_t(nsb) + 63) & ~size_t(63);
            }
            for (int64_t g = g0; g < g1; ++g) {
                const int n = int(n_tok - g * T < T ? n_tok - g * T : T);
                const uint8_t* pf = g == g0 ? pf_rows : nullptr;
                const uint8_t* ag = act + size_t(g) * gbytes;
                float* yg = y + g * T * ldy + r0;
                switch (R) {
                    case 4: tile_store<V, Kind, T, 4>(nsb, wd, wd_stride, ag, n, rows_here, yg, ldy, tmp, pf, pf_step); break;
                    case 3: tile_store<V, Kind, T, 3>(nsb, wd, wd_stride, ag, n, rows_here, yg, ldy, tmp, pf, pf_step); break;
                    case 2: tile_store<V, Kind, T, 2>(nsb, wd, wd_stride, ag, n, rows_here, yg, ldy, tmp, pf, pf_step); break;
                    default: tile_store<V, Kind, T, 1>(nsb, wd, wd_stride, ag, n, rows_here, yg, ldy, tmp, pf, pf_step); break;
                }
            }
        }
    }
}

// The GemmKernel of weight kind 4/5/6 with groups of T tokens.
template <class V, int Kind, int T>
constexpr GemmKernel kernel() {
    return {T, prep_bytes<V>, prep<V, T>, scratch_bytes<V, T>, run<V, Kind, T>};
}

}  // namespace lanes
}  // namespace
}  // namespace glint::kernels
