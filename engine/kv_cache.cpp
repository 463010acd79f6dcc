#include "engine/kv_cache.h"

#include <unistd.h>

#include <cstring>
#include <new>

#include "gguf/error.h"

namespace glint {

TensorType kv_tensor_type(KvType t) {
    switch (t) {
        case KvType::F32: return TensorType::F32;
        case KvType::Q8_0: return TensorType::Q8_0;
        case KvType::F16: break;
    }
    return TensorType::F16;
}

const char* kv_type_name(KvType t) {
    switch (t) {
        case KvType::F32: return "f32";
        case KvType::Q8_0: return "q8_0";
        case KvType::F16: break;
    }
    return "f16";
}

bool parse_kv_type(const std::string& s, KvType& out) {
    if (s == "f16" || s == "F16") out = KvType::F16;
    else if (s == "f32" || s == "F32") out = KvType::F32;
    else if (s == "q8_0" || s == "Q8_0") out = KvType::Q8_0;
    else return false;
    return true;
}

static std::string mib(uint64_t bytes) {
    return std::to_string((bytes + (1u << 20) - 1) >> 20) + " MiB";
}

KvCache::KvCache(const KvCacheParams& p) : p_(p) {
    if (p_.n_layer <= 0 || p_.n_embd_kv <= 0 || p_.n_ctx <= 0 || p_.n_seq_max <= 0 || p_.block_size <= 0)
        throw Error(ErrorCode::InvalidArgument, "KV cache: layers, context, sequences and block size must be positive");
    type_ = kv_tensor_type(p_.type);
    const TypeInfo& ti = type_info(type_);
    if (p_.head_dim % int32_t(ti.block_size) != 0)
        throw Error(ErrorCode::Unsupported, std::string("KV cache type ") + kv_type_name(p_.type) +
                                                " needs a head size that is a multiple of " +
                                                std::to_string(ti.block_size) + " (this model's is " +
                                                std::to_string(p_.head_dim) + ")");
    row_bytes_ = glint::row_bytes(type_, p_.n_embd_kv);
    const int64_t per_seq = (int64_t(p_.n_ctx) + p_.block_size - 1) / p_.block_size;
    const int64_t nb = p_.n_blocks > 0 ? p_.n_blocks : per_seq * p_.n_seq_max;
    // Size check before allocating: name the bytes so the user can pick a smaller -c.
    const long double want = (long double)nb * p_.block_size * row_bytes_ * 2.0L * p_.n_layer;
    const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGE_SIZE);
    const long double phys = (pages > 0 && page > 0) ? (long double)pages * page : 0;
    if (want > 1e18L || (phys > 0 && want > phys))
        throw Error(ErrorCode::OutOfMemory,
                    "KV cache needs " + mib(uint64_t(want > 1e18L ? 1e18L : want)) + " (" +
                        std::to_string(p_.n_ctx) + " positions x " + std::to_string(p_.n_seq_max) +
                        " sequences), more than this machine's " + mib(uint64_t(phys)) +
                        " of memory; use a smaller context");
    if (nb > INT32_MAX) throw Error(ErrorCode::InvalidArgument, "KV cache: too many blocks");
    p_.n_blocks = int32_t(nb);
    const size_t layer_bytes = size_t(p_.n_blocks) * size_t(p_.block_size) * row_bytes_;
    try {
        k_.resize(size_t(p_.n_layer));
        v_.resize(size_t(p_.n_layer));
        for (int32_t il = 0; il < p_.n_layer; ++il) {
            k_[size_t(il)].resize(layer_bytes);
            v_[size_t(il)].resize(layer_bytes);
        }
    } catch (const std::bad_alloc&) {
        k_.clear();
        v_.clear();
        throw Error(ErrorCode::OutOfMemory, "KV cache: cannot allocate " + mib(uint64_t(want)));
    }
    refs_.assign(size_t(p_.n_blocks), 0);
    free_.reserve(size_t(p_.n_blocks));
    for (int32_t b = p_.n_blocks - 1; b >= 0; --b) free_.push_back(b);  // pop lowest first
    seqs_.resize(size_t(p_.n_seq_max));
}

int32_t KvCache::seq_len(int32_t seq) const { return seqs_[size_t(seq)].len; }

int32_t KvCache::alloc_block() {
    const int32_t b = free_.back();
    free_.pop_back();
    refs_[size_t(b)] = 1;
    return b;
}

void KvCache::release_block(int32_t b) {
    if (--refs_[size_t(b)] == 0) free_.push_back(b);
}

void KvCache::copy_block(int32_t from, int32_t to) {
    const size_t n = size_t(p_.block_size) * row_bytes_;
    for (int32_t il = 0; il < p_.n_layer; ++il) {
        std::memcpy(k_[size_t(il)].data() + slot_offset(to, 0), k_[size_t(il)].data() + slot_offset(from, 0), n);
        std::memcpy(v_[size_t(il)].data() + slot_offset(to, 0), v_[size_t(il)].data() + slot_offset(from, 0), n);
    }
}

void KvCache::reserve(const std::vector<std::pair<int32_t, int32_t>>& seq_and_count) {
    const int32_t bs = p_.block_size;
    int64_t need = 0;
    for (const auto& [seq, n] : seq_and_count) {
        if (!seq_valid(seq))
            throw Error(ErrorCode::InvalidArgument, "sequence id " + std::to_string(seq) +
                                                        " is out of range (0.." + std::to_string(p_.n_seq_max - 1) + ")");
        const Seq& s = seqs_[size_t(seq)];
        const int64_t new_len = int64_t(s.len) + n;
        if (new_len > p_.n_ctx)
            throw Error(ErrorCode::ContextFull, "sequence " + std::to_string(seq) + " would hold " +
                                                    std::to_string(new_len) + " positions, more than the context size " +
                                                    std::to_string(p_.n_ctx));
        need += (new_len + bs - 1) / bs - int64_t(s.blocks.size());
        if (n > 0 && s.len % bs != 0 && refs_[size_t(s.blocks.back())] > 1) need += 1;  // copy on write
    }
    if (need > int64_t(free_.size()))
        throw Error(ErrorCode::OutOfMemory, "KV cache full: this batch needs " + std::to_string(need) +
                                                " more blocks of " + std::to_string(bs) + " tokens, " +
                                                std::to_string(free_.size()) + " are free");
    for (const auto& [seq, n] : seq_and_count) {
        Seq& s = seqs_[size_t(seq)];
        if (n > 0 && s.len % bs != 0 && refs_[size_t(s.blocks.back())] > 1) {
            const int32_t nb = alloc_block();
            copy_block(s.blocks.back(), nb);
            release_block(s.blocks.back());
            s.blocks.back() = nb;
        }
        const int64_t want = (int64_t(s.len) + n + bs - 1) / bs;
        while (int64_t(s.blocks.size()) < want) s.blocks.push_back(alloc_block());
    }
}

void KvCache::advance(int32_t seq, int32_t n) { seqs_[size_t(seq)].len += n; }

const uint8_t* KvCache::row_ptr(const std::vector<std::vector<uint8_t>>& pool, int32_t il, int32_t seq,
                                int32_t pos) const {
    const Seq& s = seqs_[size_t(seq)];
    return pool[size_t(il)].data() + slot_offset(s.blocks[size_t(pos / p_.block_size)], pos % p_.block_size);
}

const uint8_t* KvCache::k_row(int32_t il, int32_t seq, int32_t pos) const { return row_ptr(k_, il, seq, pos); }
const uint8_t* KvCache::v_row(int32_t il, int32_t seq, int32_t pos) const { return row_ptr(v_, il, seq, pos); }
uint8_t* KvCache::k_row(int32_t il, int32_t seq, int32_t pos) {
    return const_cast<uint8_t*>(row_ptr(k_, il, seq, pos));
}
uint8_t* KvCache::v_row(int32_t il, int32_t seq, int32_t pos) {
    return const_cast<uint8_t*>(row_ptr(v_, il, seq, pos));
}

void KvCache::remove(int32_t seq) { truncate(seq, 0); }

void KvCache::truncate(int32_t seq, int32_t n) {
    if (!seq_valid(seq)) throw Error(ErrorCode::InvalidArgument, "sequence id " + std::to_string(seq) + " is out of range");
    if (n < 0) throw Error(ErrorCode::InvalidArgument, "cannot truncate to a negative length");
    Seq& s = seqs_[size_t(seq)];
    if (n >= s.len) return;
    const size_t keep = size_t((int64_t(n) + p_.block_size - 1) / p_.block_size);
    while (s.blocks.size() > keep) {
        release_block(s.blocks.back());
        s.blocks.pop_back();
    }
    s.len = n;
}

void KvCache::fork(int32_t src, int32_t dst) {
    if (!seq_valid(src) || !seq_valid(dst))
        throw Error(ErrorCode::InvalidArgument, "fork: sequence id out of range");
    if (src == dst) return;
    remove(dst);
    Seq& d = seqs_[size_t(dst)];
    d = seqs_[size_t(src)];
    for (int32_t b : d.blocks) ++refs_[size_t(b)];
}

void KvCache::clear() {
    for (int32_t s = 0; s < p_.n_seq_max; ++s) remove(s);
}

size_t KvCache::bytes_allocated() const {
    return size_t(p_.n_blocks) * size_t(p_.block_size) * row_bytes_ * 2 * size_t(p_.n_layer);
}

size_t KvCache::bytes_per_token() const { return row_bytes_ * 2 * size_t(p_.n_layer); }

std::string KvCache::check_accounting() const {
    std::vector<int32_t> counted(size_t(p_.n_blocks), 0);
    for (size_t s = 0; s < seqs_.size(); ++s) {
        const Seq& q = seqs_[s];
        const size_t want = size_t((int64_t(q.len) + p_.block_size - 1) / p_.block_size);
        if (q.blocks.size() != want)
            return "sequence " + std::to_string(s) + " holds " + std::to_string(q.blocks.size()) +
                   " blocks for " + std::to_string(q.len) + " positions";
        for (int32_t b : q.blocks) ++counted[size_t(b)];
    }
    std::vector<bool> is_free(size_t(p_.n_blocks), false);
    for (int32_t b : free_) {
        if (is_free[size_t(b)]) return "block " + std::to_string(b) + " is on the free list twice";
        is_free[size_t(b)] = true;
    }
    for (int32_t b = 0; b < p_.n_blocks; ++b) {
        if (counted[size_t(b)] != refs_[size_t(b)])
            return "block " + std::to_string(b) + " has refcount " + std::to_string(refs_[size_t(b)]) +
                   " but " + std::to_string(counted[size_t(b)]) + " owners";
        if ((refs_[size_t(b)] == 0) != is_free[size_t(b)])
            return "block " + std::to_string(b) + (is_free[size_t(b)] ? " is free but referenced" : " is leaked");
    }
    return "";
}

}  // namespace glint
