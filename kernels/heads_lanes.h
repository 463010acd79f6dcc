// The loops around the attention kernels for the query heads that share one
// KV head (KernelSet::gemv_heads / axpy_heads), shared by the AVX2 and AVX-512
// sets; each ISA supplies only its tiles:
//   score_rows<kDots, HT>(tile, ...): all rows through tile.template operator()<HT>
//     (rows, res), which gives kDots dots of HT heads x kDots / HT rows in res
//     (res[h * RT + r]); past the last row the last row is repeated, result unused.
//   head_groups<Max>(nq, f): f.template operator()<HT>(h0) for the heads
//     [h0, h0 + HT), in groups of Max (8 or 4), then 4, 2, 1.
// Included only by ISA translation units; internal linkage throughout (see the
// rule in kernels/avx2/avx2.h).
#pragma once
#include <cstddef>
#include <cstdint>

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
        for (int h = 0; h < HT; ++h)
            for (int r = 0; r < nr; ++r) y[h * ldy + r0 + r] = res[h * RT + r];
    }
}

}  // namespace heads_lanes
}  // namespace
}  // namespace glint::kernels
