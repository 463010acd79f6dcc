// Per-user mutable state: KV cache, scratch buffers, thread count. A Context
// borrows an immutable Model (which must outlive it). Everything decode needs
// is allocated when the context is created; decode allocates only when asked
// for more logits rows than ever before.
#pragma once
#include <cstdint>
#include <memory>
#include <vector>

#include "engine/kv_cache.h"
#include "engine/model.h"
#include "engine/vulkan/backend.h"
#include "kernels/quants.h"

namespace glint {

struct ContextParams {
    int32_t n_ctx = 0;      // positions per sequence; 0 = the model's training context
    int32_t n_batch = 512;  // most tokens one forward pass processes (larger batches are split)
    int32_t n_threads = 0;  // 0 = all cores
    int32_t n_seq_max = 1;  // sequences that can be alive at once
    KvType kv_type = KvType::F16;
    int32_t kv_block_size = 16;  // tokens per KV block
    int32_t n_kv_blocks = 0;     // 0 = enough for n_seq_max full sequences
    std::string isa;             // kernel set: "" = the process default (GLINT_ISA or best)
    // Generation reads weights from packed copies where the kernel set has a
    // packed GEMV for their type (kernels/packed.h; more memory, faster
    // tokens). GLINT_PACK=0 in the environment turns it off for every context.
    bool pack_weights = true;
};

// One token of a decode batch.
struct BatchToken {
    int32_t token = 0;
    int32_t pos = 0;
    int32_t seq = 0;
    bool logits = false;  // return this token's logits
};

class Context {
public:
    // Throws glint::Error(InvalidArgument | OutOfMemory) naming the problem.
    Context(const Model& model, const ContextParams& params);

    // Runs the forward pass over the batch and keeps the logits of the tokens
    // that asked for them (in batch order). Each sequence's tokens must continue
    // it: positions n, n+1, ... where n is the sequence's current length. On an
    // error (bad token id, position, context or KV exhausted) nothing changes.
    void decode(const std::vector<BatchToken>& batch);

    // Logits of the i-th token that asked for them in the last decode.
    const float* logits(int32_t i) const;
    int32_t n_logits() const { return n_out_; }

    const Model& model() const { return model_; }
    const ContextParams& params() const { return params_; }
    const kernels::KernelSet& kernels() const { return *ks_; }
    // Bytes of packed weight copies generation reads (Model::packed_weights; 0 if none).
    uint64_t packed_bytes() const { return packed_ ? packed_->bytes : 0; }
    KvCache& kv() { return kv_; }
    const KvCache& kv() const { return kv_; }

private:
    void forward(const BatchToken* toks, int32_t n);  // n <= n_batch, validated
    void attention(int32_t il, const BatchToken* toks, int32_t n);

    const LayerWeights& layer(int32_t il) const { return packed_ ? packed_->layers[size_t(il)] : model_.layers()[size_t(il)]; }
    const Weight& output() const { return packed_ ? packed_->output : model_.output(); }

    const Model& model_;
    std::shared_ptr<const PackedWeights> packed_;  // the model's weights for ks_'s packed GEMVs, if any
    ContextParams params_;
    const kernels::KernelSet* ks_ = nullptr;
    KvCache kv_;

    // Scratch, shapes in tokens x features for the current ubatch (n <= n_batch).
    std::vector<float> x_;     // [n][n_embd] residual stream
    std::vector<float> xn_;    // [n][n_embd] normed input of a block
    std::vector<float> q_;     // [n][n_head*head_dim]
    std::vector<float> k_;     // [n][n_embd_kv]
    std::vector<float> v_;     // [n][n_embd_kv]
    std::vector<float> att_;   // [n][n_head*head_dim] attention output
    std::vector<float> gate_;  // [n][n_ff]
    std::vector<float> up_;    // [n][n_ff]
    std::vector<float> scores_;  // [n_threads][heads per KV head][n_ctx] attention weights, then queries
    std::vector<float> out_rows_;  // [n][n_embd] normed rows that want logits
    std::vector<uint8_t> act_;   // quantized activations for matmul
    std::vector<float> logits_;  // [n_out][n_vocab]
    int32_t n_out_ = 0;

    // GPU offload: layers [n_cpu_layers_, n_layer) run in gpu_, whose KV
    // blocks live on the device (kv_ holds only the CPU layers' data, and the
    // block tables of all).
    int32_t n_cpu_layers_ = 0;
    std::unique_ptr<vk::Runner> gpu_;
};

}  // namespace glint
