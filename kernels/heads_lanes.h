// The loops around the attention kernels for the query heads that share one
// KV head (KernelSet::gemv_heads / axpy_heads), shared by the AVX2 and AVX-512
// sets; each ISA supplies only its tiles:
//   score_rows<kDots, HT>(tile, ...): all rows through tile.template operator()<HT>
//     (rows, res), which gives kDots dots of HT heads x kDots / HT rows in res
//     (res[h * RT + r]); past the last row the last row is repeated, result unused.
//   head_groups<Max>(nq, f): f.template operator()<HT>(h0) for the heads
//     [h0, h0 + HT), in groups of Max (8 or 4), then 4, 2, 1.
//   axpy_q8_0<Ops, Max>(...): the V sums over a Q8_0 cache (Ops below).
// Included only by ISA translation units; internal linkage throughout (see the
// rule in kernels/avx2/avx2.h).
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "kernels/blocks.h"

namespace glint::kernels {
namespace {
namespace heads_lanes {

template <int Max, class F>
void head_groups(int nq, F&& f) {
    static_assert(Max == 8 || Max == 4);
    for (int h0 = 0; h0 < nq;) {
        const int left = nq - h0;
        if (Max == 8 && left >= 8) {
            f.template operator()<Max>(h0);
            h0 += Max;
        } else if (left >= 4) {
            f.template operator()<4>(h0);
            h0 += 4;
        } else if (left >= 2) {
            f.template operator()<2>(h0);
            h0 += 2;
        } else {
            f.template operator()<1>(h0);
            h0 += 1;
        }
    }
}

// Scores y[h * ldy + r] of HT heads against nrows rows of element type T.
template <int kDots, int HT, class T, class Tile>
void score_rows(Tile&& tile, const uint8_t* w, size_t w_stride, int64_t nrows, float* y, int64_t ldy) {
    constexpr int RT = kDots / HT;
    alignas(64) float res[kDots];
    for (int64_t r0 = 0; r0 < nrows; r0 += RT) {
        const int nr = int(nrows - r0 < RT ? nrows - r0 : RT);
        const T* rows[RT];
        for (int r = 0; r < RT; ++r) rows[r] = reinterpret_cast<const T*>(w + size_t(r0 + (r < nr ? r : nr - 1)) * w_stride);
        tile.template operator()<HT>(rows, res);
        if (nr == RT) {  // a fixed-size copy: a variable one cost a quarter of the kernel's time
            for (int h = 0; h < HT; ++h) std::memcpy(y + h * ldy + r0, res + h * RT, RT * sizeof(float));
        } else {
            for (int h = 0; h < HT; ++h)
                for (int r = 0; r < nr; ++r) y[h * ldy + r0 + r] = res[h * RT + r];
        }
    }
}

// V sums over Q8_0 rows: y_h += a_h[r] * (d_r * q_r) for each row in order,
// multiply then add, exactly as every set's single-head axpy_rows_q8_0, but a
// row's slice of Ops::kCols columns (a divisor of QK8_0) is widened once for HT
// heads. Ops: F (float vector of kCols / kNV lanes), widen(qs, d, v) giving
// v[k] = d * float(qs[k * lanes ...]), load, store, set1, mul, add.
template <class Ops, int HT>
void axpy_q8_0_tile(int64_t nrows, const float* a, int64_t lda, const uint8_t* x, size_t x_stride, size_t off,
                    float* y, int64_t ldy) {
    using F = typename Ops::F;
    constexpr int NV = Ops::kNV, L = Ops::kCols / NV;
    F acc[HT][NV];
    for (int h = 0; h < HT; ++h)
        for (int k = 0; k < NV; ++k) acc[h][k] = Ops::load(y + h * ldy + L * k);
    // off: the slice's first column; its block and place in the block.
    const size_t blk = off / QK8_0 * sizeof(block_q8_0);
    const size_t q0 = off % QK8_0;
    for (int64_t r = 0; r < nrows; ++r) {
        const auto& b = *reinterpret_cast<const block_q8_0*>(x + size_t(r) * x_stride + blk);
        F v[NV];
        Ops::widen(b.qs + q0, b.d, v);
        for (int h = 0; h < HT; ++h) {
            const F va = Ops::set1(a[h * lda + r]);
            for (int k = 0; k < NV; ++k) acc[h][k] = Ops::add(acc[h][k], Ops::mul(va, v[k]));
        }
    }
    for (int h = 0; h < HT; ++h)
        for (int k = 0; k < NV; ++k) Ops::store(y + h * ldy + L * k, acc[h][k]);
}

template <class Ops, int Max>
void axpy_q8_0(int64_t n, int64_t nrows, int nq, const float* a, int64_t lda, const void* x, size_t x_stride,
               float* y, int64_t ldy) {
    static_assert(QK8_0 % Ops::kCols == 0);
    const auto* xb = static_cast<const uint8_t*>(x);
    for (int64_t c = 0; c + Ops::kCols <= n; c += Ops::kCols)
        head_groups<Max>(nq, [&]<int HT>(int h0) {
            axpy_q8_0_tile<Ops, HT>(nrows, a + h0 * lda, lda, xb, x_stride, size_t(c), y + h0 * ldy + c, ldy);
        });
}

}  // namespace heads_lanes
}  // namespace
}  // namespace glint::kernels
