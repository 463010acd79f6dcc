// Writes small, valid llama-style GGUF models for the robustness tests: the
// bundled stories260K tokenizer with synthetic weights, plus knobs to make one
// thing wrong (architecture name, one tensor's type) or huge (n_ff, patched
// in place and extended sparsely).
#pragma once
#include <fcntl.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "gguf/gguf.h"
#include "kernels/types.h"

namespace glint::test {

inline std::string bundled_model() { return std::string(GLINT_SOURCE_DIR) + "/tools/models/stories260K.gguf"; }

struct TinySpec {
    std::string arch = "llama";
    int32_t n_embd = 64, n_head = 8, n_head_kv = 4, n_layer = 2, n_ff = 128, n_ctx = 256;
    // One tensor written in another type (its bytes zero), e.g. to test a type glint cannot compute with.
    std::string odd_tensor;
    TensorType odd_type = TensorType::F32;
};

// Tensor names of layer il in the order they are written; FFN weights last,
// so a test can grow them without moving any other tensor's data.
inline std::vector<std::string> ffn_names(int32_t n_layer) {
    std::vector<std::string> v;
    for (int32_t il = 0; il < n_layer; ++il)
        for (const char* t : {"ffn_gate", "ffn_up", "ffn_down"})
            v.push_back("blk." + std::to_string(il) + "." + t + ".weight");
    return v;
}

inline void write_tiny_model(const std::string& path, const TinySpec& s) {
    const gguf::File tok = gguf::File::open(bundled_model());
    gguf::Writer w;
    w.set("general.architecture", gguf::Value::make_string(s.arch));
    const std::string a = s.arch + ".";
    w.set(a + "embedding_length", gguf::Value::make_i32(s.n_embd));
    w.set(a + "block_count", gguf::Value::make_i32(s.n_layer));
    w.set(a + "feed_forward_length", gguf::Value::make_i32(s.n_ff));
    w.set(a + "attention.head_count", gguf::Value::make_i32(s.n_head));
    w.set(a + "attention.head_count_kv", gguf::Value::make_i32(s.n_head_kv));
    w.set(a + "context_length", gguf::Value::make_i32(s.n_ctx));
    w.set(a + "attention.layer_norm_rms_epsilon", gguf::Value::make_f32(1e-5f));
    for (const auto& kv : tok.metadata())
        if (kv.key.substr(0, 10) == "tokenizer.") w.set(std::string(kv.key), kv.value);
    const int64_t n_vocab = int64_t(tok.get_string_array("tokenizer.ggml.tokens").size());

    std::mt19937 rng(7);
    std::normal_distribution<float> nd(0.0f, 0.02f);
    auto add = [&](const std::string& name, std::vector<int64_t> dims, bool norm) {
        const TensorType t = name == s.odd_tensor ? s.odd_type : TensorType::F32;
        const int64_t rows = dims.size() > 1 ? dims[1] : 1;
        std::vector<uint8_t> bytes(row_bytes(t, dims[0]) * size_t(rows));
        if (t == TensorType::F32) {
            std::vector<float> f(bytes.size() / 4);
            for (float& x : f) x = norm ? 1.0f : nd(rng);
            std::memcpy(bytes.data(), f.data(), bytes.size());
        }
        w.add_tensor(name, t, std::move(dims), bytes.data(), bytes.size());
    };
    const int64_t E = s.n_embd, hd = s.n_embd / s.n_head, KV = int64_t(s.n_head_kv) * hd;
    add("token_embd.weight", {E, n_vocab}, false);
    add("output_norm.weight", {E}, true);
    add("output.weight", {E, n_vocab}, false);
    for (int32_t il = 0; il < s.n_layer; ++il) {
        const std::string p = "blk." + std::to_string(il) + ".";
        add(p + "attn_norm.weight", {E}, true);
        add(p + "attn_q.weight", {E, E}, false);
        add(p + "attn_k.weight", {E, KV}, false);
        add(p + "attn_v.weight", {E, KV}, false);
        add(p + "attn_output.weight", {E, E}, false);
        add(p + "ffn_norm.weight", {E}, true);
    }
    const auto ffn = ffn_names(s.n_layer);
    for (size_t i = 0; i < ffn.size(); ++i)
        add(ffn[i], i % 3 == 2 ? std::vector<int64_t>{s.n_ff, E} : std::vector<int64_t>{E, s.n_ff}, false);
    w.write(path);
}

// Grows every FFN weight of a tiny model to n_ff rows (columns for ffn_down)
// by patching the tensor infos and n_ff in place, then extends the file
// sparsely: the new data is a hole that reads as zeros and takes no disk.
// Returns the new file size.
inline uint64_t grow_ffn_sparse(const std::string& path, const TinySpec& s, int64_t n_ff) {
    uint64_t kv_at = 0, data_offset = 0, first = 0;
    std::vector<uint64_t> infos;
    {
        const gguf::File f = gguf::File::open(path);
        for (const auto& kv : f.metadata())
            if (kv.key == s.arch + ".feed_forward_length") kv_at = kv.offset + 8 + kv.key.size() + 4;
        for (const auto& n : ffn_names(s.n_layer)) infos.push_back(f.tensor(n).info_offset);
        data_offset = f.data_offset();
        first = f.tensor(ffn_names(s.n_layer)[0]).offset;
    }
    const int fd = ::open(path.c_str(), O_RDWR);
    if (fd < 0) throw std::runtime_error("cannot open " + path);
    auto put = [&](uint64_t at, const void* p, size_t n) {
        if (::pwrite(fd, p, n, off_t(at)) != ssize_t(n)) throw std::runtime_error("pwrite failed");
    };
    const int32_t n_ff32 = int32_t(n_ff);
    put(kv_at, &n_ff32, 4);
    const uint64_t bytes = uint64_t(n_ff) * uint64_t(s.n_embd) * 4, stride = (bytes + 31) / 32 * 32;
    const auto names = ffn_names(s.n_layer);
    for (size_t i = 0; i < infos.size(); ++i) {
        // info: u64 name length, name, u32 n_dims, u64 ne[2], u32 type, u64 offset
        const uint64_t dims_at = infos[i] + 8 + names[i].size() + 4;
        const uint64_t ne[2] = {i % 3 == 2 ? uint64_t(n_ff) : uint64_t(s.n_embd),
                                i % 3 == 2 ? uint64_t(s.n_embd) : uint64_t(n_ff)};
        put(dims_at, ne, 16);
        const uint64_t off = first + i * stride;
        put(dims_at + 16 + 4, &off, 8);
    }
    const uint64_t size = data_offset + first + infos.size() * stride;
    if (::ftruncate(fd, off_t(size)) != 0) throw std::runtime_error("ftruncate failed");
    ::close(fd);
    return size;
}

}  // namespace glint::test
