// Row-interleaved ("packed") weight layouts for the packed GEMVs
// (KernelSet::gemv_packed). A packed group holds `kPackRows` consecutive rows
// rearranged so a kernel reads it as one sequential run and one 64-byte load
// feeds one 4-byte dot product per row (vpdpbusd with rows in the lanes): no
// per-row reductions, no transposes. A group takes exactly the bytes of the
// rows it packs, so the group of rows [r, r + 16) sits at r * row_stride.
//
// Q4_K, per super-block b, the 16 rows' blocks b as one 2304-byte tile:
//   [   0,   64) dword per row: d | dmin << 16
//   [  64,  256) the 12 scale bytes as 3 vectors of 16 dwords: bytes 0-3 of
//                every row, then bytes 4-7, then 8-11
//   [ 256, 2304) qs: for group g < 4 (64 elements: low nibbles elements
//                64g + i, high nibbles 64g + 32 + i) and dword t < 8, one
//                64-byte vector of the 16 rows' qs[32g + 4t .. 32g + 4t + 3]
#pragma once
#include <cstddef>
#include <cstdint>

namespace glint::kernels {

inline constexpr int kPackRows = 16;

// Packs rows [0, nrows) (nrows a multiple of kPackRows) of a Q4_K matrix of K
// columns, row r at w + r * w_stride, into out (nrows * w_stride bytes,
// groups back to back at 16 * w_stride).
void pack_q4_K(int64_t K, const void* w, size_t w_stride, int64_t nrows, void* out);

// Row r of a packed Q4_K matrix back in block layout (row_bytes(Q4_K, K) bytes
// into out): for tests, and for the paths that do not read packed groups.
void unpack_row_q4_K(int64_t K, const void* packed, size_t w_stride, int64_t r, void* out);

}  // namespace glint::kernels
