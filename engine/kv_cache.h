// Paged KV cache: a pool of fixed-size blocks (block_size token slots each,
// the same block id in every layer), and per sequence a block table mapping
// positions to blocks. Blocks are reference counted so a forked sequence
// shares its parent's blocks and copies one only when it writes into it.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "kernels/types.h"

namespace glint {

enum class KvType { F16, F32, Q8_0 };
TensorType kv_tensor_type(KvType t);
const char* kv_type_name(KvType t);
bool parse_kv_type(const std::string& s, KvType& out);

struct KvCacheParams {
    int32_t n_layer = 0;
    int32_t n_embd_kv = 0;   // floats per K (and per V) row
    int32_t head_dim = 0;
    int32_t n_ctx = 0;       // most positions per sequence
    int32_t n_seq_max = 1;
    int32_t block_size = 16;
    int32_t n_blocks = 0;    // 0 = n_seq_max * ceil(n_ctx / block_size)
    KvType type = KvType::F16;
};

class KvCache {
public:
    KvCache() = default;
    explicit KvCache(const KvCacheParams& p);  // throws glint::Error naming the bytes needed

    const KvCacheParams& params() const { return p_; }
    TensorType type() const { return type_; }
    size_t row_bytes() const { return row_bytes_; }

    int32_t seq_len(int32_t seq) const;  // positions held by a sequence
    bool seq_valid(int32_t seq) const { return seq >= 0 && seq < p_.n_seq_max; }

    // Makes room for positions [seq_len, seq_len + n) in each listed sequence
    // (copying shared blocks that will be written). All or nothing: throws
    // glint::Error(OutOfMemory / ContextFull) and changes nothing on failure.
    void reserve(const std::vector<std::pair<int32_t, int32_t>>& seq_and_count);
    // Records that the reserved positions now hold data.
    void advance(int32_t seq, int32_t n);

    // Row addresses (inside a reserved block) for layer il, sequence, position.
    uint8_t* k_row(int32_t il, int32_t seq, int32_t pos);
    uint8_t* v_row(int32_t il, int32_t seq, int32_t pos);
    const uint8_t* k_row(int32_t il, int32_t seq, int32_t pos) const;
    const uint8_t* v_row(int32_t il, int32_t seq, int32_t pos) const;

    // Sequence operations.
    void remove(int32_t seq);                       // frees all its blocks
    void truncate(int32_t seq, int32_t n);          // keeps positions < n
    void fork(int32_t src, int32_t dst);            // dst (emptied first) shares src's blocks
    void clear();

    // Accounting (for tests and the memory benchmark).
    int32_t n_blocks() const { return p_.n_blocks; }
    int32_t n_free_blocks() const { return int32_t(free_.size()); }
    int32_t block_refcount(int32_t block) const { return refs_[size_t(block)]; }
    const std::vector<int32_t>& block_table(int32_t seq) const { return seqs_[size_t(seq)].blocks; }
    size_t bytes_allocated() const;  // pool bytes, all layers, K and V
    size_t bytes_per_token() const;  // K+V bytes one position costs over all layers
    // Checks refcounts against block tables and the free list; returns "" when
    // consistent, else a description of the first inconsistency.
    std::string check_accounting() const;

private:
    struct Seq {
        std::vector<int32_t> blocks;
        int32_t len = 0;
    };
    int32_t alloc_block();
    void release_block(int32_t b);
    void copy_block(int32_t from, int32_t to);
    size_t slot_offset(int32_t block, int32_t slot) const {
        return (size_t(block) * size_t(p_.block_size) + size_t(slot)) * row_bytes_;
    }
    const uint8_t* row_ptr(const std::vector<std::vector<uint8_t>>& pool, int32_t il, int32_t seq,
                           int32_t pos) const;

    KvCacheParams p_;
    TensorType type_ = TensorType::F16;
    size_t row_bytes_ = 0;
    std::vector<std::vector<uint8_t>> k_, v_;  // [layer] -> n_blocks * block_size rows
    std::vector<int32_t> refs_;                // per block
    std::vector<int32_t> free_;                // stack of free block ids
    std::vector<Seq> seqs_;
};

}  // namespace glint
