// The immutable model: hyper-parameters read from GGUF metadata, weight views
// into the memory-mapped file (nothing copied), and the tokenizer. One Model is
// shared read-only by any number of Contexts.
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "gguf/gguf.h"
#include "engine/tokenizer/tokenizer.h"

namespace glint {
namespace vk {
class ModelWeights;
}
namespace kernels {
struct KernelSet;
}

enum class Arch { Llama, Qwen2 };
enum class RopeStyle {
    Adjacent,  // rotate (x[2i], x[2i+1]): llama
    NeoX,      // rotate (x[i], x[i + n_rot/2]): qwen2
};

struct HParams {
    Arch arch = Arch::Llama;
    std::string arch_name;
    int32_t n_vocab = 0;
    int32_t n_ctx_train = 0;
    int32_t n_embd = 0;
    int32_t n_layer = 0;
    int32_t n_head = 0;
    int32_t n_head_kv = 0;
    int32_t head_dim = 0;  // per head, for Q, K and V
    int32_t n_ff = 0;
    int32_t n_rot = 0;     // leading dims of each head that RoPE rotates
    float rope_base = 10000.0f;
    float rope_freq_scale = 1.0f;  // 1/factor for linear RoPE scaling
    float rms_eps = 1e-5f;
    RopeStyle rope_style = RopeStyle::Adjacent;

    int32_t n_embd_kv() const { return n_head_kv * head_dim; }
};

// A 2-D weight as stored: `rows` output features, each a row of `cols` inputs in
// the file's type. Views the mapping.
struct Weight {
    std::string_view name;
    TensorType type = TensorType::F32;
    int64_t cols = 0;  // ne[0]
    int64_t rows = 0;  // ne[1]
    const uint8_t* data = nullptr;
    size_t row_stride = 0;  // bytes per row
    // A copy of the whole groups of 16 rows in the type's packed layout
    // (kernels/packed.h), same stride, for the packed GEMVs; else null.
    const uint8_t* packed = nullptr;

    explicit operator bool() const { return data != nullptr; }
    const uint8_t* row(int64_t r) const { return data + size_t(r) * row_stride; }
};

struct LayerWeights {
    Weight attn_norm;              // [n_embd] F32
    Weight wq, wk, wv, wo;         // [n_embd -> n_head*hd], [n_embd -> n_embd_kv] x2, [n_head*hd -> n_embd]
    Weight bq, bk, bv;             // qwen2 only: [n_head*hd], [n_embd_kv] x2
    Weight ffn_norm;               // [n_embd]
    Weight w_gate, w_up, w_down;   // [n_embd -> n_ff] x2, [n_ff -> n_embd]
};

// The CPU layers' weights and the output head with Weight::packed set for
// every tensor a kernel set has a packed GEMV for (see Model::packed_weights).
struct PackedWeights {
    std::vector<LayerWeights> layers;
    Weight output;
    std::shared_ptr<uint8_t> region;  // all the copies, 2 MiB aligned
    size_t bytes = 0;
};

struct ModelParams {
    bool use_mmap = true;  // reserved: the reader always maps today
    // Last N layers on the GPU (Vulkan); -1 or 999 = all, with the embedding
    // and output head. Without a Vulkan loader or device: a warning through
    // the log callback and the CPU.
    int32_t n_gpu_layers = 0;
};

class Model {
public:
    // Loads and validates the model; throws glint::Error naming the problem
    // (unknown architecture, missing tensor, wrong shape, unsupported type).
    static std::unique_ptr<Model> load(const std::string& path, const ModelParams& params = {});

    const HParams& hparams() const { return hp_; }
    const Tokenizer& tokenizer() const { return *tokenizer_; }
    const gguf::File& file() const { return file_; }

    const Weight& tok_embd() const { return tok_embd_; }
    const Weight& output_norm() const { return output_norm_; }
    const Weight& output() const { return output_; }  // tok_embd when tied
    const std::vector<LayerWeights>& layers() const { return layers_; }
    // Llama-3 style per-dimension RoPE divisors, n_rot/2 of them; empty if absent.
    const std::vector<float>& rope_freq_factors() const { return rope_freqs_; }

    // Layers [n_layer - n_gpu_layers(), n_layer) run on the GPU (0: none).
    int32_t n_gpu_layers() const { return n_gpu_layers_; }
    const std::shared_ptr<vk::ModelWeights>& gpu_weights() const { return gpu_; }

    // Packed copies (kernels/packed.h) of the CPU layers' weights (and output
    // head) that `ks` has a packed GEMV for, made on first use and kept for the
    // model's life, shared by every Context using ks; null where there is
    // nothing to pack or the copies would not fit in the available memory (a
    // warning through the log callback). They cost memory: the mapped file
    // stays for prompts and the other paths. The first call packs, on
    // n_threads threads (0: all cores), if the copies take under 80% of
    // mem_available bytes (0: the OS's MemAvailable).
    std::shared_ptr<const PackedWeights> packed_weights(const kernels::KernelSet& ks, int n_threads = 0,
                                                        uint64_t mem_available = 0) const;

    std::string description() const;  // "llama 5 layers, 64 embd, F32" style
    uint64_t weight_bytes() const;     // bytes of all tensor data

private:
    explicit Model(gguf::File f) : file_(std::move(f)) {}
    gguf::File file_;
    HParams hp_;
    std::optional<Tokenizer> tokenizer_;
    Weight tok_embd_, output_norm_, output_;
    std::vector<LayerWeights> layers_;
    std::vector<float> rope_freqs_;
    int32_t n_gpu_layers_ = 0;
    std::shared_ptr<vk::ModelWeights> gpu_;
    mutable std::mutex packed_mu_;
    mutable std::map<const kernels::KernelSet*, std::shared_ptr<const PackedWeights>> packed_;
};

}  // namespace glint
