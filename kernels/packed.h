// Row-interleaved ("packed") weight layouts for the packed GEMVs
// (KernelSet::gemv_packed). A packed group holds kPackRows consecutive rows
// rearranged so a kernel reads it as one sequential run and one 64-byte load
// feeds one 4-byte dot product per row (vpdpbusd with rows in the lanes): no
// per-row reductions, no transposes. A group takes exactly the bytes of the
// rows it packs, so the group of rows [r, r + 16) sits at r * row_stride.
//
// Within a group, a tile holds the 16 rows' blocks b (one block for Q4_K, a
// pair b, b + 1 for Q4_0, Q8_0 and Q6_K so tiles stay whole cache lines; an odd
// last block is a tile of its own), in the order the kernel reads them (the
// hardware prefetchers follow one forward stream; jumps inside a tile cost
// Q6_K two thirds of its speed from memory). "Vector of field F" means 64
// bytes: 4 bytes of F from each of the 16 rows, row i at byte 4i.
//   Q4_K (2304 bytes): d|dmin of the 16 rows (a dword each), the 12 scale
//     bytes as 3 vectors, qs as 32 vectors (qs dword 8g + t: low nibbles are
//     elements 64g + 4t.., high nibbles 64g + 32 + 4t..).
//   Q5_K (2816 bytes): as Q4_K with qh's 8 vectors between the scales and qs
//     (qh dword t: bit 2g of a byte is the fifth bit of its low nibble in
//     group g, bit 2g + 1 of its high nibble).
//   Q8_0: the tile's d values (16 fp16 per block), then per block qs as 8
//     vectors, each byte XOR 0x80 (q + 128, unsigned for vpdpbusd).
//   Q4_0: as Q8_0 with qs as 4 vectors, bytes as they are (qs dword t: low
//     nibbles elements 4t.., high nibbles 16 + 4t..).
//   Q6_K: the tile's d values (16 fp16 per block), then per block for half
//     h < 2 and dword t < 8 the vectors of ql dword 16h + t, ql dword
//     16h + 8 + t and qh dword 8h + t; then scales as 4 vectors.
#pragma once
#include <cstddef>
#include <cstdint>

#include "kernels/types.h"

namespace glint::kernels {

inline constexpr int kPackRows = 16;

// Whether `t` has a packed layout.
bool packable(TensorType t);

// Packs rows [0, nrows) (nrows a multiple of kPackRows) of a matrix of type t
// and K columns, row r at w + r * w_stride, into out (nrows * w_stride bytes).
void pack_rows(TensorType t, int64_t K, const void* w, size_t w_stride, int64_t nrows, void* out);

// Row r of a packed matrix back in block layout (row_bytes(t, K) bytes into out).
void unpack_row(TensorType t, int64_t K, const void* packed, size_t w_stride, int64_t r, void* out);

}  // namespace glint::kernels
