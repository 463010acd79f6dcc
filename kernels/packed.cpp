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
    static const Layout q4_0{sizeof(block_q4_0), 2, 2, 0, 2, 0, same_order};
    static const Layout q8_0{sizeof(block_q8_0), 2, 2, 0, 2, 0x80, same_order};
    static const Layout q6_K{sizeof(block_q6_K), 2, 0, offsetof(block_q6_K, d), 2, 0, q6_K_order};
    switch (t) {
        case TensorType::Q4_0: return &q4_0;
        case TensorType::Q4_K: return &q4_K;
        case TensorType::Q5_K: return &q5_K;
        case TensorType::Q8_0: return &q8_0;
        case TensorType::Q6_K: return &q6_K;
        default: return nullptr;
    }
}

// Where each part of row i's block goes, relative to its tile, for a block
// at place `blk` of a tile of `in_tile` blocks: the d value, then the pieces.
struct Moves {
    size_t d_dst = 0;
    size_t piece_dst[64] = {};  // pieces of a block: at most 52
    int n_pieces = 0;
};

Moves moves(const Layout& L, int in_tile, int blk, int i) {
    Moves m;
    const size_t ds = size_t(in_tile) * kPackRows * L.d_bytes;  // the tile's d values come first
    m.d_dst = size_t(blk) * kPackRows * L.d_bytes + L.d_bytes * size_t(i);
    m.n_pieces = int((L.bsz - L.d_bytes) / 4);
    for (int j = 0; j < m.n_pieces; ++j)
        m.piece_dst[j] = ds + size_t(blk) * L.body() + 64 * L.order(size_t(j)) + 4 * size_t(i);
    return m;
}

// One block of row i: Pack copies from the block into the tile, else back.
template <bool Pack>
void move_block(const Layout& L, const Moves& m, const uint8_t* from, uint8_t* to) {
    auto at = [&](size_t in_block, size_t in_tile, bool source) { return (Pack == source) ? in_block : in_tile; };
    if (L.d_bytes) std::memcpy(to + at(L.d_at, m.d_dst, false), from + at(L.d_at, m.d_dst, true), L.d_bytes);
    const uint32_t flip = 0x01010101u * L.flip;
    for (int j = 0; j < m.n_pieces; ++j) {
        const size_t b = L.start + 4 * size_t(j), t = m.piece_dst[j];
        uint32_t v;
        std::memcpy(&v, from + at(b, t, true), 4);
        v ^= flip;
        std::memcpy(to + at(b, t, false), &v, 4);
    }
}

}  // namespace

bool packable(TensorType t) { return layout(t) != nullptr; }

void pack_rows(TensorType t, int64_t K, const void* w, size_t w_stride, int64_t nrows, void* out) {
    const Layout& L = *layout(t);
    const int64_t nb = K / type_info(t).block_size;
    const auto* src = static_cast<const uint8_t*>(w);
    auto* dst = static_cast<uint8_t*>(out);
    Moves full[kPackRows][2], last[kPackRows];  // last: an odd last block alone in its tile
    for (int i = 0; i < kPackRows; ++i) {
        full[i][0] = moves(L, L.per_tile, 0, i);
        full[i][1] = moves(L, L.per_tile, 1, i);
        last[i] = moves(L, 1, 0, i);
    }
    for (int64_t r0 = 0; r0 + kPackRows <= nrows; r0 += kPackRows)  // a group at a time: it stays in cache
        for (int i = 0; i < kPackRows; ++i)
            for (int64_t b = 0; b < nb; ++b) {
                const int64_t t0 = b / L.per_tile * L.per_tile;
                const Moves& m = nb - t0 < L.per_tile ? last[i] : full[i][b - t0];
                uint8_t* tile = dst + size_t(r0) * w_stride + size_t(t0) * kPackRows * L.bsz;
                move_block<true>(L, m, src + size_t(r0 + i) * w_stride + size_t(b) * L.bsz, tile);
            }
}

void unpack_row(TensorType t, int64_t K, const void* packed, size_t w_stride, int64_t r, void* out) {
    const Layout& L = *layout(t);
    const int64_t nb = K / type_info(t).block_size;
    const auto* group = static_cast<const uint8_t*>(packed) + size_t(r / kPackRows * kPackRows) * w_stride;
    const int i = int(r % kPackRows);
    const Moves full[2] = {moves(L, L.per_tile, 0, i), moves(L, L.per_tile, 1, i)};
    const Moves last = moves(L, 1, 0, i);
    for (int64_t b = 0; b < nb; ++b) {
        const int64_t t0 = b / L.per_tile * L.per_tile;
        const Moves& m = nb - t0 < L.per_tile ? last : full[b - t0];
        move_block<false>(L, m, group + size_t(t0) * kPackRows * L.bsz, static_cast<uint8_t*>(out) + size_t(b) * L.bsz);
    }
}

}  // namespace glint::kernels
