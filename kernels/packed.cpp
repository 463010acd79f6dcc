#include "kernels/packed.h"

#include <cstring>

#include "kernels/blocks.h"

namespace glint::kernels {

namespace {

// A block is 4-byte pieces (from byte `start`) and, where `d_bytes`, a 2-byte
// scale d at `d_at` (before or after the pieces) kept apart (packed.h).
struct Layout {
    size_t bsz;         // bytes per block
    int per_tile;       // blocks per tile
    size_t start;       // first byte of the pieces
    size_t d_at;        // offset of d in the block (if d_bytes)
    size_t d_bytes;     // 0: no separate d
    uint8_t flip;       // XOR applied to piece bytes
    size_t (*order)(size_t j);  // piece j's place in the block's run of vectors
    size_t body() const { return (bsz - d_bytes) / 4 * 64; }  // one block's pieces, 16 rows
};

size_t same_order(size_t j) { return j; }

// Q6_K: the order the kernel reads: per half h and dword t, ql dword 16h + t,
// ql dword 16h + 8 + t, qh dword 8h + t; then the 4 scale dwords.
size_t q6_K_order(size_t j) {
    if (j < 32) return 3 * (8 * (j / 16) + j % 8) + (j % 16) / 8;
    if (j < 48) return 3 * (j - 32) + 2;
    return j;
}

const Layout* layout(TensorType t) {
    static const Layout q4_K{sizeof(block_q4_K), 1, 0, 0, 0, 0, same_order};
    static const Layout q5_K{sizeof(block_q5_K), 1, 0, 0, 0, 0, same_order};
    static const Layout q8_0{sizeof(block_q8_0), 2, 2, 0, 2, 0x80, same_order};
    static const Layout q6_K{sizeof(block_q6_K), 2, 0, offsetof(block_q6_K, d), 2, 0, q6_K_order};
    switch (t) {
        case TensorType::Q4_K: return &q4_K;
        case TensorType::Q5_K: return &q5_K;
        case TensorType::Q8_0: return &q8_0;
        case TensorType::Q6_K: return &q6_K;
        default: return nullptr;
    }
}

// Offset in the group of the 2 bytes at offset k (even) of row i's block b.
size_t group_offset(const Layout& L, int64_t nb, int i, int64_t b, size_t k) {
    const int64_t t0 = b / L.per_tile * L.per_tile;  // the tile's first block
    const int in_tile = int(nb - t0 < L.per_tile ? nb - t0 : L.per_tile);
    const int blk = int(b - t0);
    const size_t tile = size_t(t0) * kPackRows * L.bsz;
    const size_t ds = size_t(in_tile) * kPackRows * L.d_bytes;  // the tile's d values come first
    if (L.d_bytes && k >= L.d_at && k < L.d_at + L.d_bytes)
        return tile + size_t(blk) * kPackRows * L.d_bytes + L.d_bytes * size_t(i) + (k - L.d_at);
    const size_t j = k - L.start;  // byte among the pieces (d is first or last)
    return tile + ds + size_t(blk) * L.body() + 64 * L.order(j / 4) + 4 * size_t(i) + j % 4;
}

bool in_piece(const Layout& L, size_t k) { return !(L.d_bytes && k >= L.d_at && k < L.d_at + L.d_bytes); }

}  // namespace

bool packable(TensorType t) { return layout(t) != nullptr; }

void pack_rows(TensorType t, int64_t K, const void* w, size_t w_stride, int64_t nrows, void* out) {
    const Layout& L = *layout(t);
    const int64_t nb = K / type_info(t).block_size;
    const auto* src = static_cast<const uint8_t*>(w);
    auto* dst = static_cast<uint8_t*>(out);
    for (int64_t r0 = 0; r0 + kPackRows <= nrows; r0 += kPackRows) {
        uint8_t* group = dst + size_t(r0) * w_stride;
        for (int i = 0; i < kPackRows; ++i)
            for (int64_t b = 0; b < nb; ++b) {
                const uint8_t* blk = src + size_t(r0 + i) * w_stride + size_t(b) * L.bsz;
                for (size_t k = 0; k < L.bsz; k += 2) {
                    uint8_t two[2] = {blk[k], blk[k + 1]};
                    if (in_piece(L, k)) two[0] ^= L.flip, two[1] ^= L.flip;
                    std::memcpy(group + group_offset(L, nb, i, b, k), two, 2);
                }
            }
    }
}

void unpack_row(TensorType t, int64_t K, const void* packed, size_t w_stride, int64_t r, void* out) {
    const Layout& L = *layout(t);
    const int64_t nb = K / type_info(t).block_size;
    const auto* group = static_cast<const uint8_t*>(packed) + size_t(r / kPackRows * kPackRows) * w_stride;
    auto* dst = static_cast<uint8_t*>(out);
    const int i = int(r % kPackRows);
    for (int64_t b = 0; b < nb; ++b)
        for (size_t k = 0; k < L.bsz; k += 2) {
            uint8_t* two = dst + size_t(b) * L.bsz + k;
            std::memcpy(two, group + group_offset(L, nb, i, b, k), 2);
            if (in_piece(L, k)) two[0] ^= L.flip, two[1] ^= L.flip;
        }
}

}  // namespace glint::kernels
