#include "kernels/packed.h"

#include <cstring>

#include "kernels/blocks.h"

namespace glint::kernels {

namespace {

constexpr size_t kTileQ4K = kPackRows * sizeof(block_q4_K);

// Offset in a Q4_K tile (packed.h) of the 4 bytes at offset k (a multiple of
// 4) of row i's block: d|dmin, then 3 scale dwords, then 32 qs dwords, each
// kind as vectors of 16 rows.
size_t tile_offset_q4_K(int i, size_t k) {
    if (k < 4) return size_t(4 * i);
    if (k < 16) return 64 + 64 * ((k - 4) / 4) + size_t(4 * i);
    return 256 + 64 * ((k - 16) / 4) + size_t(4 * i);
}

}  // namespace

void pack_q4_K(int64_t K, const void* w, size_t w_stride, int64_t nrows, void* out) {
    const int64_t nb = K / QK_K;
    const auto* src = static_cast<const uint8_t*>(w);
    auto* dst = static_cast<uint8_t*>(out);
    for (int64_t r0 = 0; r0 + kPackRows <= nrows; r0 += kPackRows)
        for (int64_t b = 0; b < nb; ++b) {
            uint8_t* tile = dst + size_t(r0) * w_stride + size_t(b) * kTileQ4K;
            for (int i = 0; i < kPackRows; ++i) {
                const uint8_t* blk = src + size_t(r0 + i) * w_stride + size_t(b) * sizeof(block_q4_K);
                for (size_t k = 0; k < sizeof(block_q4_K); k += 4) std::memcpy(tile + tile_offset_q4_K(i, k), blk + k, 4);
            }
        }
}

void unpack_row_q4_K(int64_t K, const void* packed, size_t w_stride, int64_t r, void* out) {
    const int64_t nb = K / QK_K;
    const auto* group = static_cast<const uint8_t*>(packed) + size_t(r / kPackRows * kPackRows) * w_stride;
    auto* dst = static_cast<uint8_t*>(out);
    const int i = int(r % kPackRows);
    for (int64_t b = 0; b < nb; ++b) {
        const uint8_t* tile = group + size_t(b) * kTileQ4K;
        uint8_t* blk = dst + size_t(b) * sizeof(block_q4_K);
        for (size_t k = 0; k < sizeof(block_q4_K); k += 4) std::memcpy(blk + k, tile + tile_offset_q4_K(i, k), 4);
    }
}

}  // namespace glint::kernels
