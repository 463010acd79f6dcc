// The 8- and 16-row GEMVs read their group's rows chunk by chunk (a few blocks
// of one row, then of the next) and prefetch one block at a time about 8 KiB
// ahead in that order of reads, into L2 (prefetcht1). (Fetching a row's whole
// next chunk as the row started, about 9 KiB ahead in bursts, left memory
// idle on Skylake-SP. On Zen 4 fetching into L1 held the L1's miss buffers:
// 4 KiB ahead into L1 ran one token of a Q4_K_M model in about 61 ms, into L2
// 47, 8 KiB ahead into L2 42; see bench/RESULTS.md.)
// Included only by ISA translation units; internal linkage (see the rule in
// kernels/avx2/avx2.h).
#pragma once
#include <immintrin.h>

#include <cstddef>
#include <cstdint>

namespace glint::kernels {
namespace {

// For a group of Rows rows of `bsz`-byte blocks read chunk by chunk (Chunk
// blocks per row, row after row): fetches the block read about 8 KiB after
// row r's block c of the chunk at b0. It may lie chunks later or in the next
// group of rows, possibly past the matrix: prefetches never fault, and the
// address is formed as an integer.
template <int Rows, int Chunk>
struct ReadAhead {
    uintptr_t w;
    size_t stride, bsz;
    int64_t nb;
    int ahead;  // in row chunks
    static constexpr size_t kDistance = 8192;  // bytes

    ReadAhead(const void* base, size_t row_stride, size_t block_bytes, int64_t blocks_per_row)
        : w(reinterpret_cast<uintptr_t>(base)), stride(row_stride), bsz(block_bytes), nb(blocks_per_row) {
        const size_t per_row = size_t(Chunk) * bsz;
        ahead = int((kDistance + per_row - 1) / per_row);
    }

    // Always inlined: GCC 12's mod-ref analysis takes an out-of-line call whose
    // only effects are prefetches for one without effects, and deletes it.
    [[gnu::always_inline]] void fetch(int r, int64_t b0, int c) const {
        const int rr = r + ahead;
        const int64_t bb = b0 + int64_t(rr / Rows) * Chunk;
        const uintptr_t p = bb < nb ? w + size_t(rr % Rows) * stride + size_t(bb + c) * bsz
                                    : w + size_t(Rows + rr % Rows) * stride + size_t(c) * bsz;  // next group
        for (size_t o = 0; o < bsz; o += 64) _mm_prefetch(reinterpret_cast<const char*>(p + o), _MM_HINT_T1);
        _mm_prefetch(reinterpret_cast<const char*>(p + bsz - 1), _MM_HINT_T1);
    }
};

}  // namespace
}  // namespace glint::kernels
