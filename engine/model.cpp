#include "engine/model.h"

#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>

#include <omp.h>
#include <sys/mman.h>

#include "engine/vulkan/backend.h"
#include "kernels/log.h"
#include "kernels/packed.h"
#include "kernels/quants.h"

namespace glint {
namespace {

Error model_error(ErrorCode code, const gguf::File& f, const std::string& msg) {
    return Error(code, f.path() + ": " + msg);
}

std::string shape_str(int64_t a, int64_t b) {
    return "[" + std::to_string(a) + ", " + std::to_string(b) + "]";
}

bool kernel_supported(TensorType t) {
    switch (t) {
        case TensorType::F32: case TensorType::F16: case TensorType::BF16:
        case TensorType::Q4_0: case TensorType::Q8_0:
        case TensorType::Q4_K: case TensorType::Q5_K: case TensorType::Q6_K:
            return true;
        default:
            return false;
    }
}

// Looks up a tensor and checks its shape (ne[0] = cols, ne[1] = rows) and type.
// `required` false returns an empty Weight when the tensor is absent.
Weight take(const gguf::File& f, const std::string& name, int64_t cols, int64_t rows,
            bool required, bool f32_only) {
    const gguf::TensorInfo* t = f.find_tensor(name);
    if (!t) {
        if (required)
            throw model_error(ErrorCode::InvalidFile, f, "required tensor '" + name + "' is missing");
        return {};
    }
    const int64_t want_rows = rows;
    bool ok = t->ne[0] == cols && (t->n_dims == 1 ? want_rows == 1 : t->ne[1] == want_rows) &&
              t->ne[2] == 1 && t->ne[3] == 1;
    if (!ok)
        throw model_error(ErrorCode::InvalidFile, f,
                          "tensor '" + name + "' has shape " + shape_str(t->ne[0], t->ne[1]) +
                              ", expected " + shape_str(cols, rows));
    if (f32_only ? t->type != TensorType::F32 : !kernel_supported(t->type))
        throw model_error(ErrorCode::Unsupported, f,
                          "tensor '" + name + "' has type " + std::string(type_name(t->type)) +
                              (f32_only ? ", expected F32"
                                        : ", which glint cannot compute with (supported: F32, F16, "
                                          "BF16, Q4_0, Q8_0, Q4_K, Q5_K, Q6_K)"));
    Weight w;
    w.name = t->name;
    w.type = t->type;
    w.cols = t->ne[0];
    w.rows = t->n_dims == 1 ? 1 : t->ne[1];
    w.data = t->data;
    w.row_stride = row_bytes(t->type, w.cols);
    return w;
}

template <class T>
T positive(const gguf::File& f, const std::string& key, T v) {
    if (v <= 0)
        throw model_error(ErrorCode::InvalidFile, f,
                          "metadata '" + key + "' must be positive, got " + std::to_string(v));
    return v;
}

}  // namespace

std::unique_ptr<Model> Model::load(const std::string& path, const ModelParams& params) {
    std::unique_ptr<Model> m(new Model(gguf::File::open(path)));
    const gguf::File& f = m->file_;
    HParams& hp = m->hp_;

    hp.arch_name = f.get<std::string>("general.architecture");
    if (hp.arch_name == "llama") {
        hp.arch = Arch::Llama;
        hp.rope_style = RopeStyle::Adjacent;
    } else if (hp.arch_name == "qwen2") {
        hp.arch = Arch::Qwen2;
        hp.rope_style = RopeStyle::NeoX;
    } else {
        throw model_error(ErrorCode::Unsupported, f,
                          "unknown architecture '" + hp.arch_name + "' (supported: llama, qwen2)");
    }
    const std::string a = hp.arch_name + ".";
    hp.n_embd = positive(f, a + "embedding_length", f.get<int32_t>(a + "embedding_length"));
    hp.n_layer = positive(f, a + "block_count", f.get<int32_t>(a + "block_count"));
    hp.n_ff = positive(f, a + "feed_forward_length", f.get<int32_t>(a + "feed_forward_length"));
    hp.n_head = positive(f, a + "attention.head_count", f.get<int32_t>(a + "attention.head_count"));
    hp.n_head_kv = positive(f, a + "attention.head_count_kv",
                            f.get_or<int32_t>(a + "attention.head_count_kv", hp.n_head));
    hp.n_ctx_train = positive(f, a + "context_length", f.get_or<int32_t>(a + "context_length", 2048));
    if (hp.n_embd % hp.n_head != 0)
        throw model_error(ErrorCode::InvalidFile, f, "embedding_length " + std::to_string(hp.n_embd) +
                                                         " is not a multiple of head_count " +
                                                         std::to_string(hp.n_head));
    if (hp.n_head % hp.n_head_kv != 0)
        throw model_error(ErrorCode::InvalidFile, f, "head_count " + std::to_string(hp.n_head) +
                                                         " is not a multiple of head_count_kv " +
                                                         std::to_string(hp.n_head_kv));
    hp.head_dim = positive(f, a + "attention.key_length",
                           f.get_or<int32_t>(a + "attention.key_length", hp.n_embd / hp.n_head));
    int32_t v_len = f.get_or<int32_t>(a + "attention.value_length", hp.head_dim);
    if (v_len != hp.head_dim)
        throw model_error(ErrorCode::Unsupported, f, "attention.value_length != key_length is not supported");
    hp.n_rot = positive(f, a + "rope.dimension_count", f.get_or<int32_t>(a + "rope.dimension_count", hp.head_dim));
    if (hp.n_rot > hp.head_dim || hp.n_rot % 2 != 0)
        throw model_error(ErrorCode::InvalidFile, f, "rope.dimension_count " + std::to_string(hp.n_rot) +
                                                         " must be even and at most the head size " +
                                                         std::to_string(hp.head_dim));
    hp.rope_base = f.get_or<float>(a + "rope.freq_base", 10000.0f);
    hp.rms_eps = f.get_or<float>(a + "attention.layer_norm_rms_epsilon", 1e-5f);
    if (!(hp.rope_base > 0) || !(hp.rms_eps > 0) || !std::isfinite(hp.rope_base))
        throw model_error(ErrorCode::InvalidFile, f, "rope.freq_base and layer_norm_rms_epsilon must be positive");
    const std::string scaling = f.get_or<std::string>(a + "rope.scaling.type", "none");
    if (scaling == "linear") {
        float factor = f.get_or<float>(a + "rope.scaling.factor", 1.0f);
        if (!(factor > 0) || !std::isfinite(factor))
            throw model_error(ErrorCode::InvalidFile, f, "rope.scaling.factor must be positive");
        hp.rope_freq_scale = 1.0f / factor;
    } else if (scaling != "none") {
        throw model_error(ErrorCode::Unsupported, f, "rope scaling type '" + scaling + "' is not supported");
    }

    m->tokenizer_.emplace(Tokenizer::from_gguf(f));

    const gguf::TensorInfo* emb = f.find_tensor("token_embd.weight");
    if (!emb) throw model_error(ErrorCode::InvalidFile, f, "required tensor 'token_embd.weight' is missing");
    hp.n_vocab = int32_t(emb->ne[1]);
    if (hp.n_vocab != m->tokenizer_->n_vocab())
        throw model_error(ErrorCode::InvalidFile, f,
                          "token_embd.weight has " + std::to_string(hp.n_vocab) +
                              " rows but the tokenizer has " + std::to_string(m->tokenizer_->n_vocab()) +
                              " tokens");

    const int64_t E = hp.n_embd, Q = int64_t(hp.n_head) * hp.head_dim, KV = hp.n_embd_kv();
    m->tok_embd_ = take(f, "token_embd.weight", E, hp.n_vocab, true, false);
    m->output_norm_ = take(f, "output_norm.weight", E, 1, true, true);
    m->output_ = take(f, "output.weight", E, hp.n_vocab, false, false);
    if (!m->output_) m->output_ = m->tok_embd_;  // tied embeddings

    const bool biases = hp.arch == Arch::Qwen2;
    m->layers_.resize(size_t(hp.n_layer));
    for (int32_t il = 0; il < hp.n_layer; ++il) {
        const std::string p = "blk." + std::to_string(il) + ".";
        LayerWeights& L = m->layers_[size_t(il)];
        L.attn_norm = take(f, p + "attn_norm.weight", E, 1, true, true);
        L.wq = take(f, p + "attn_q.weight", E, Q, true, false);
        L.wk = take(f, p + "attn_k.weight", E, KV, true, false);
        L.wv = take(f, p + "attn_v.weight", E, KV, true, false);
        L.wo = take(f, p + "attn_output.weight", Q, E, true, false);
        L.bq = take(f, p + "attn_q.bias", Q, 1, biases, true);
        L.bk = take(f, p + "attn_k.bias", KV, 1, biases, true);
        L.bv = take(f, p + "attn_v.bias", KV, 1, biases, true);
        L.ffn_norm = take(f, p + "ffn_norm.weight", E, 1, true, true);
        L.w_gate = take(f, p + "ffn_gate.weight", E, hp.n_ff, true, false);
        L.w_up = take(f, p + "ffn_up.weight", E, hp.n_ff, true, false);
        L.w_down = take(f, p + "ffn_down.weight", hp.n_ff, E, true, false);
    }

    if (Weight rf = take(f, "rope_freqs.weight", hp.n_rot / 2, 1, false, true)) {
        const float* p = reinterpret_cast<const float*>(rf.data);
        m->rope_freqs_.assign(p, p + hp.n_rot / 2);
    }

    // Placement: the last n_gpu_layers layers on the GPU.
    int32_t n_gpu = params.n_gpu_layers;
    if (n_gpu == -1 || n_gpu == 999) n_gpu = hp.n_layer;
    if (n_gpu < 0 || n_gpu > hp.n_layer)
        throw Error(ErrorCode::InvalidArgument, "n_gpu_layers " + std::to_string(params.n_gpu_layers) +
                                                    (n_gpu < 0 ? " is negative" : " is more than the model's " +
                                                                                      std::to_string(hp.n_layer) + " layers") +
                                                    " (use -1 or 999 for all)");
    if (n_gpu > 0) {
        try {
            m->gpu_ = vk::upload_model(*m, hp.n_layer - n_gpu);
            m->n_gpu_layers_ = n_gpu;
        } catch (const vk::Unavailable& e) {
            log(LogLevel::Warn, std::string("GPU offload unavailable, running on the CPU: ") + e.what());
        }
    }
    return m;
}

namespace {

// MemAvailable from /proc/meminfo (what the kernel could hand out without
// swapping, page cache included); unknown: no limit.
uint64_t available_memory_bytes() {
    std::FILE* f = std::fopen("/proc/meminfo", "r");
    if (!f) return UINT64_MAX;
    char line[256];
    uint64_t kb = 0;
    bool found = false;
    while (!found && std::fgets(line, sizeof line, f))
        found = std::sscanf(line, "MemAvailable: %" SCNu64 " kB", &kb) == 1;
    std::fclose(f);
    return found ? kb * 1024 : UINT64_MAX;
}

}  // namespace

std::shared_ptr<const PackedWeights> Model::packed_weights(const kernels::KernelSet& ks, int n_threads,
                                                           uint64_t mem_available) const {
    std::lock_guard<std::mutex> lock(packed_mu_);
    if (auto it = packed_.find(&ks); it != packed_.end()) return it->second;
    auto pw = std::make_shared<PackedWeights>();
    const int32_t n_cpu = hp_.n_layer - n_gpu_layers_;
    pw->layers.assign(layers_.begin(), layers_.begin() + n_cpu);
    pw->output = output_;
    std::vector<Weight*> todo;
    auto want = [&](Weight& w) {
        if (w && w.rows >= kernels::kPackRows && kernels::packable(w.type) && ks.gemv_packed[static_cast<uint32_t>(w.type)])
            todo.push_back(&w);
    };
    for (LayerWeights& L : pw->layers)
        for (Weight* w : {&L.wq, &L.wk, &L.wv, &L.wo, &L.w_gate, &L.w_up, &L.w_down}) want(*w);
    if (n_cpu > 0) want(pw->output);  // else the head runs on the GPU
    if (todo.empty()) return packed_[&ks] = nullptr;
    // One region for all, in 2 MiB pages where the kernel gives them: fewer
    // faults while packing and fewer TLB misses while streaming.
    constexpr size_t kHuge = size_t(2) << 20;
    std::vector<size_t> at;
    size_t total = 0;
    for (const Weight* w : todo) {
        at.push_back(total);
        total += (size_t(w->rows / kernels::kPackRows * kernels::kPackRows) * w->row_stride + 63) / 64 * 64;
    }
    // Packing is an optimisation: where the copies would not fit in the memory
    // available, generation reads the mapped file as it would without them.
    const uint64_t avail = mem_available ? mem_available : available_memory_bytes();
    const int nt = n_threads > 0 ? n_threads : omp_get_num_procs();
    void* region = total < avail / 10 * 8 ? std::aligned_alloc(kHuge, (total + kHuge - 1) / kHuge * kHuge) : nullptr;
    if (!region) {
        log(LogLevel::Warn, "not packing weights for generation: " + std::to_string(total >> 20) + " MiB needed, " +
                                std::to_string(avail >> 20) + " MiB available; generation reads the mapped file");
        return packed_[&ks] = nullptr;
    }
#ifdef MADV_HUGEPAGE
    madvise(region, (total + kHuge - 1) / kHuge * kHuge, MADV_HUGEPAGE);  // advice only: failure is harmless
#endif
    pw->region.reset(static_cast<uint8_t*>(region), [](uint8_t* q) { std::free(q); });
    pw->bytes = total;
    for (size_t k = 0; k < todo.size(); ++k) {
        Weight* w = todo[k];
        uint8_t* dst = static_cast<uint8_t*>(region) + at[k];
        const int64_t groups = w->rows / kernels::kPackRows;
        const size_t group_bytes = size_t(kernels::kPackRows) * w->row_stride;
#pragma omp parallel for num_threads(nt) schedule(static) if (nt > 1)
        for (int64_t g = 0; g < groups; ++g)
            kernels::pack_rows(w->type, w->cols, w->data + size_t(g) * group_bytes, w->row_stride, kernels::kPackRows,
                               dst + size_t(g) * group_bytes);
        w->packed = dst;
    }
    return packed_[&ks] = pw;
}

std::string Model::description() const {
    return hp_.arch_name + ", " + std::to_string(hp_.n_layer) + " layers, n_embd " +
           std::to_string(hp_.n_embd) + ", " + std::to_string(hp_.n_head) + " heads (" +
           std::to_string(hp_.n_head_kv) + " KV), n_ff " + std::to_string(hp_.n_ff) + ", vocab " +
           std::to_string(hp_.n_vocab) + ", weights " + std::string(type_name(layers_.front().wq.type));
}

uint64_t Model::weight_bytes() const {
    uint64_t total = 0;
    for (const auto& t : file_.tensors()) total += t.n_bytes;
    return total;
}

}  // namespace glint
