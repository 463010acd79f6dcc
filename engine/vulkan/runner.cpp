#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>

#include "engine/context.h"
#include "engine/vulkan/weights.h"
#include "kernels/log.h"

namespace glint::vk {
namespace {

class VkRunner final : public Runner {
public:
    VkRunner(const Model& m, const RunnerParams& p);
    ~VkRunner() override;
    void run(const BatchToken* toks, int32_t n, const KvCache& kv, float* x, float* logits) override;
    void copy_kv_blocks(const std::vector<std::pair<int32_t, int32_t>>& from_to) override;

private:
    struct Recorded {
        VkCommandBuffer cb = VK_NULL_HANDLE;
        VkQueryPool queries = VK_NULL_HANDLE;
        uint64_t last_use = 0;
    };
    Recorded& recorded(int32_t n, int32_t n_want);  // cached, or recorded now
    void record(Recorded& slot, int32_t n, int32_t n_want);
    void record_layer(Recorder& rec, size_t l, uint32_t n);
    void drop_recorded();
    void grow_logits(int32_t rows);
    void read_timestamps(const Recorded& r);

    const Model& model_;
    std::shared_ptr<ModelWeights> w_;
    const Device& dev_;
    RunnerParams p_;
    HParams hp_;
    uint32_t E_, Q_, KV_, F_, V_;
    size_t kv_row_bytes_ = 0;
    int32_t max_table_ = 0;  // block-table entries one sequence can have

    DescriptorCache ds_;
    VkCommandPool pool_ = VK_NULL_HANDLE;
    VkFence fence_ = VK_NULL_HANDLE;
    std::map<std::pair<int32_t, int32_t>, Recorded> recorded_;
    uint64_t use_clock_ = 0;

    // activations in device memory, [n_batch][features]
    std::unique_ptr<Buffer> x_, xn_, q_, k_, v_, att_, gate_, up_, xo_, logits_, rope_;
    std::vector<std::unique_ptr<Buffer>> kc_, vc_;  // per GPU layer
    // host-visible per-step inputs and outputs
    std::unique_ptr<Buffer> in_x_, out_x_, ids_, pos_, rows_, info_, tables_, out_rows_, out_logits_;
    int32_t logits_rows_ = 0;

    // profiling (timestamps): whole steps and the per-layer part
    uint64_t steps_ = 0;
    double gpu_ms_ = 0, layers_ms_ = 0;
};

VkRunner::VkRunner(const Model& m, const RunnerParams& p)
    : model_(m), w_(m.gpu_weights()), dev_(*w_->dev), p_(p), hp_(m.hparams()), ds_(*w_->dev) {
    E_ = uint32_t(hp_.n_embd);
    Q_ = uint32_t(hp_.n_head * hp_.head_dim);
    KV_ = uint32_t(hp_.n_embd_kv());
    F_ = uint32_t(hp_.n_ff);
    V_ = uint32_t(hp_.n_vocab);
    if (p_.n_batch > 65535)
        throw Error(ErrorCode::Unsupported, "vulkan: batches are limited to 65535 tokens, got " + std::to_string(p_.n_batch));
    if (hp_.head_dim > int32_t(kMaxHeadDim))
        throw Error(ErrorCode::Unsupported, "vulkan: head size " + std::to_string(hp_.head_dim) +
                                                " is over the GPU attention kernel's " + std::to_string(kMaxHeadDim));
    const VkDeviceSize B = VkDeviceSize(p_.n_batch), f4 = sizeof(float);
    x_ = dev_.buffer(B * E_ * f4, Mem::Device, "hidden state");
    xn_ = dev_.buffer(B * E_ * f4, Mem::Device, "normed hidden state");
    q_ = dev_.buffer(B * Q_ * f4, Mem::Device, "queries");
    k_ = dev_.buffer(B * KV_ * f4, Mem::Device, "keys");
    v_ = dev_.buffer(B * KV_ * f4, Mem::Device, "values");
    att_ = dev_.buffer(B * Q_ * f4, Mem::Device, "attention output");
    gate_ = dev_.buffer(B * F_ * f4, Mem::Device, "feed-forward gate");
    up_ = dev_.buffer(B * F_ * f4, Mem::Device, "feed-forward up");
    if (w_->head) xo_ = dev_.buffer(B * E_ * f4, Mem::Device, "output rows");

    const TensorType kt = kv_tensor_type(p_.kv_type);
    kv_row_bytes_ = row_bytes(kt, KV_);
    const VkDeviceSize cache_bytes = VkDeviceSize(p_.n_kv_blocks) * VkDeviceSize(p_.kv_block_size) * kv_row_bytes_;
    for (size_t l = 0; l < w_->layers.size(); ++l) {
        kc_.push_back(dev_.buffer(cache_bytes, Mem::Device, "KV cache (keys of one layer)"));
        vc_.push_back(dev_.buffer(cache_bytes, Mem::Device, "KV cache (values of one layer)"));
    }
    const std::vector<float> table = rope_table(p_.n_ctx, hp_.n_rot, hp_.rope_base, hp_.rope_freq_scale,
                                                model_.rope_freq_factors().empty() ? nullptr
                                                                                   : model_.rope_freq_factors().data());
    rope_ = dev_.buffer(table.size() * sizeof(float), Mem::Device, "RoPE table");
    dev_.upload(*rope_, 0, table.data(), table.size() * sizeof(float));

    in_x_ = dev_.buffer(B * E_ * f4, Mem::Upload, "hidden state upload", true);
    out_x_ = dev_.buffer(B * E_ * f4, Mem::Readback, "hidden state readback", true);
    ids_ = dev_.buffer(B * 4, Mem::Upload, "token ids");
    pos_ = dev_.buffer(B * 4, Mem::Upload, "positions");
    rows_ = dev_.buffer(B * 4, Mem::Upload, "KV rows");
    info_ = dev_.buffer(B * 8, Mem::Upload, "attention spans");
    out_rows_ = dev_.buffer(B * 4, Mem::Upload, "logit rows");
    max_table_ = (p_.n_ctx + p_.kv_block_size - 1) / p_.kv_block_size;
    tables_ = dev_.buffer(VkDeviceSize(p_.n_seq_max) * VkDeviceSize(max_table_) * 4, Mem::Upload, "block tables");

    auto pci = vk_struct<VkCommandPoolCreateInfo>(VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO);
    pci.queueFamilyIndex = dev_.queue_family();
    check(dev_.vkCreateCommandPool(dev_.handle(), &pci, nullptr, &pool_), "vkCreateCommandPool");
    auto fci = vk_struct<VkFenceCreateInfo>(VK_STRUCTURE_TYPE_FENCE_CREATE_INFO);
    check(dev_.vkCreateFence(dev_.handle(), &fci, nullptr, &fence_), "vkCreateFence");
}

// Every submit is waited for before run() returns, so nothing of this runner
// is in flight here (and vkDeviceWaitIdle would race other contexts' submits).
VkRunner::~VkRunner() {
    if (steps_ > 0 && dev_.has_timestamps()) {
        const double per_layer = layers_ms_ / double(steps_) / double(std::max<size_t>(1, w_->layers.size()));
        char buf[256];
        std::snprintf(buf, sizeof buf,
                      "vulkan: %llu steps on %s, %.2f ms GPU time (%.3f ms per step; %.3f ms per layer per step)",
                      static_cast<unsigned long long>(steps_), dev_.name().c_str(), gpu_ms_, gpu_ms_ / double(steps_),
                      per_layer);
        log(LogLevel::Info, buf);
    }
    drop_recorded();
    if (fence_) dev_.vkDestroyFence(dev_.handle(), fence_, nullptr);
    if (pool_) dev_.vkDestroyCommandPool(dev_.handle(), pool_, nullptr);
}

void VkRunner::drop_recorded() {
    for (auto& [key, r] : recorded_) {
        dev_.vkFreeCommandBuffers(dev_.handle(), pool_, 1, &r.cb);
        if (r.queries) dev_.vkDestroyQueryPool(dev_.handle(), r.queries, nullptr);
    }
    recorded_.clear();
}

void VkRunner::grow_logits(int32_t rows) {
    // Command buffers and descriptor sets name the old buffers (none in flight): drop them.
    drop_recorded();
    ds_.clear();
    logits_.reset();
    out_logits_.reset();
    const int32_t cap = std::min(p_.n_batch, std::max(rows, std::max(1, logits_rows_ * 2)));
    logits_ = dev_.buffer(VkDeviceSize(cap) * V_ * sizeof(float), Mem::Device, "logits");
    out_logits_ = dev_.buffer(VkDeviceSize(cap) * V_ * sizeof(float), Mem::Readback, "logits readback", true);
    logits_rows_ = cap;
}

void VkRunner::record_layer(Recorder& rec, size_t l, uint32_t n) {
    const GpuLayer& L = w_->layers[l];
    const float eps = hp_.rms_eps;
    rms_norm(rec, *x_, L.attn_norm.whole(), *xn_, nullptr, n, E_, eps);
    rec.barrier();
    matmul(rec, L.wq, *xn_, *q_, n);
    matmul(rec, L.wk, *xn_, *k_, n);
    matmul(rec, L.wv, *xn_, *v_, n);
    rec.barrier();
    if (L.bq) {
        add(rec, *q_, L.bq.whole(), n * Q_, Q_);
        add(rec, *k_, L.bk.whole(), n * KV_, KV_);
        add(rec, *v_, L.bv.whole(), n * KV_, KV_);
        rec.barrier();
    }
    const uint32_t hd = uint32_t(hp_.head_dim), nr = uint32_t(hp_.n_rot);
    rope(rec, *q_, *pos_, *rope_, n, uint32_t(hp_.n_head), hd, nr, Q_, hp_.rope_style);
    rope(rec, *k_, *pos_, *rope_, n, uint32_t(hp_.n_head_kv), hd, nr, KV_, hp_.rope_style);
    rec.barrier();
    kv_store(rec, p_.kv_type, *k_, *kc_[l], *rows_, n, KV_);
    kv_store(rec, p_.kv_type, *v_, *vc_[l], *rows_, n, KV_);
    rec.barrier();
    AttnShape s;
    s.n_tok = n;
    s.n_head = uint32_t(hp_.n_head);
    s.n_head_kv = uint32_t(hp_.n_head_kv);
    s.head_dim = hd;
    s.block_size = uint32_t(p_.kv_block_size);
    s.scale = 1.0f / std::sqrt(float(hd));
    attention(rec, p_.kv_type, *q_, *kc_[l], *vc_[l], *info_, *tables_, *att_, s);
    rec.barrier();
    matmul(rec, L.wo, *att_, *xn_, n);
    rec.barrier();
    add(rec, *x_, *xn_, n * E_, n * E_);
    rec.barrier();
    rms_norm(rec, *x_, L.ffn_norm.whole(), *xn_, nullptr, n, E_, eps);
    rec.barrier();
    matmul(rec, L.w_gate, *xn_, *gate_, n);
    matmul(rec, L.w_up, *xn_, *up_, n);
    rec.barrier();
    swiglu(rec, *gate_, *up_, n * F_);
    rec.barrier();
    matmul(rec, L.w_down, *gate_, *xn_, n);
    rec.barrier();
    add(rec, *x_, *xn_, n * E_, n * E_);
    rec.barrier();
}

VkRunner::Recorded& VkRunner::recorded(int32_t n, int32_t n_want) {
    const auto key = std::make_pair(n, n_want);
    auto it = recorded_.find(key);
    if (it != recorded_.end()) {
        it->second.last_use = ++use_clock_;
        return it->second;
    }
    constexpr size_t kMaxRecorded = 16;  // prompt lengths vary; generation reuses one
    if (recorded_.size() >= kMaxRecorded) {
        auto old = std::min_element(recorded_.begin(), recorded_.end(),
                                    [](const auto& a, const auto& b) { return a.second.last_use < b.second.last_use; });
        dev_.vkFreeCommandBuffers(dev_.handle(), pool_, 1, &old->second.cb);
        if (old->second.queries) dev_.vkDestroyQueryPool(dev_.handle(), old->second.queries, nullptr);
        recorded_.erase(old);
    }
    Recorded r;
    r.last_use = ++use_clock_;
    auto ai = vk_struct<VkCommandBufferAllocateInfo>(VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO);
    ai.commandPool = pool_;
    ai.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY;
    ai.commandBufferCount = 1;
    check(dev_.vkAllocateCommandBuffers(dev_.handle(), &ai, &r.cb), "vkAllocateCommandBuffers");
    Recorded& slot = recorded_[key] = r;
    try {
        record(slot, n, n_want);
    } catch (...) {  // never keep a half-recorded command buffer
        dev_.vkFreeCommandBuffers(dev_.handle(), pool_, 1, &slot.cb);
        if (slot.queries) dev_.vkDestroyQueryPool(dev_.handle(), slot.queries, nullptr);
        recorded_.erase(key);
        throw;
    }
    return slot;
}

void VkRunner::record(Recorded& slot, int32_t n, int32_t n_want) {
    const uint32_t n_queries = uint32_t(w_->layers.size()) + 2;
    if (dev_.has_timestamps()) {
        auto qi = vk_struct<VkQueryPoolCreateInfo>(VK_STRUCTURE_TYPE_QUERY_POOL_CREATE_INFO);
        qi.queryType = VK_QUERY_TYPE_TIMESTAMP;
        qi.queryCount = n_queries;
        check(dev_.vkCreateQueryPool(dev_.handle(), &qi, nullptr, &slot.queries), "vkCreateQueryPool");
    }
    auto bi = vk_struct<VkCommandBufferBeginInfo>(VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO);
    check(dev_.vkBeginCommandBuffer(slot.cb, &bi), "vkBeginCommandBuffer");
    Recorder rec(dev_, ds_, slot.cb);
    auto stamp = [&](uint32_t q) {
        if (slot.queries)
            dev_.vkCmdWriteTimestamp(slot.cb, VK_PIPELINE_STAGE_ALL_COMMANDS_BIT, slot.queries, q);
    };
    if (slot.queries) dev_.vkCmdResetQueryPool(slot.cb, slot.queries, 0, n_queries);
    stamp(0);
    const uint32_t un = uint32_t(n);
    if (w_->head) {
        get_rows(rec, w_->tok_embd, *ids_, *x_, un);
    } else {
        rec.copy(in_x_->buf, 0, x_->buf, 0, VkDeviceSize(n) * E_ * sizeof(float));
    }
    rec.barrier();
    for (size_t l = 0; l < w_->layers.size(); ++l) {
        record_layer(rec, l, un);
        stamp(uint32_t(l) + 1);
    }
    if (w_->head) {
        if (n_want > 0) {
            const BufRef rows = *out_rows_;
            rms_norm(rec, *x_, w_->output_norm.whole(), *xo_, &rows, uint32_t(n_want), E_, hp_.rms_eps);
            rec.barrier();
            matmul(rec, *w_->output, *xo_, *logits_, uint32_t(n_want));
            rec.barrier();
            rec.copy(logits_->buf, 0, out_logits_->buf, 0, VkDeviceSize(n_want) * V_ * sizeof(float));
        }
    } else {
        rec.copy(x_->buf, 0, out_x_->buf, 0, VkDeviceSize(n) * E_ * sizeof(float));
    }
    rec.host_barrier();
    stamp(n_queries - 1);
    check(dev_.vkEndCommandBuffer(slot.cb), "vkEndCommandBuffer");
}

void VkRunner::read_timestamps(const Recorded& r) {
    if (!r.queries) return;
    const uint32_t nq = uint32_t(w_->layers.size()) + 2;
    std::vector<uint64_t> t(nq);
    if (dev_.vkGetQueryPoolResults(dev_.handle(), r.queries, 0, nq, nq * sizeof(uint64_t), t.data(), sizeof(uint64_t),
                                   VK_QUERY_RESULT_64_BIT) != VK_SUCCESS)
        return;
    const double ns = dev_.timestamp_period_ns() * 1e-6;  // ticks -> ms
    gpu_ms_ += double(t[nq - 1] - t[0]) * ns;
    layers_ms_ += double(t[nq - 2] - t[0]) * ns;
}

void VkRunner::run(const BatchToken* toks, int32_t n, const KvCache& kv, float* x, float* logits) {
    if (n <= 0 || n > p_.n_batch) throw Error(ErrorCode::Internal, "vulkan: batch size out of range");
    int32_t n_want = 0;
    for (int32_t t = 0; t < n; ++t) n_want += toks[t].logits ? 1 : 0;
    if (w_->head && n_want > logits_rows_) grow_logits(n_want);

    const int32_t bs = p_.kv_block_size;
    auto* ids = static_cast<uint32_t*>(ids_->map);
    auto* pos = static_cast<uint32_t*>(pos_->map);
    auto* rows = static_cast<uint32_t*>(rows_->map);
    auto* info = static_cast<uint32_t*>(info_->map);
    auto* tables = static_cast<uint32_t*>(tables_->map);
    auto* out_rows = static_cast<uint32_t*>(out_rows_->map);
    std::map<int32_t, uint32_t> table_of;  // seq -> offset in tables
    uint32_t used = 0;
    for (int32_t t = 0, o = 0; t < n; ++t) {
        const BatchToken& b = toks[t];
        const std::vector<int32_t>& blocks = kv.block_table(b.seq);
        auto [it, fresh] = table_of.try_emplace(b.seq, used);
        if (fresh) {
            if (blocks.size() > size_t(max_table_)) throw Error(ErrorCode::Internal, "vulkan: block table too long");
            for (int32_t blk : blocks) tables[used++] = uint32_t(blk);
        }
        ids[t] = uint32_t(b.token);
        pos[t] = uint32_t(b.pos);
        rows[t] = uint32_t(blocks[size_t(b.pos / bs)] * bs + b.pos % bs);
        info[2 * t] = it->second;
        info[2 * t + 1] = uint32_t(b.pos + 1);
        if (b.logits) out_rows[o++] = uint32_t(t);
    }
    if (!w_->head) std::memcpy(in_x_->map, x, size_t(n) * E_ * sizeof(float));

    const Recorded& r = recorded(n, w_->head ? n_want : 0);
    dev_.submit_and_wait(r.cb, fence_);
    ++steps_;
    read_timestamps(r);
    if (w_->head) {
        if (n_want > 0) std::memcpy(logits, out_logits_->map, size_t(n_want) * V_ * sizeof(float));
    } else {
        std::memcpy(x, out_x_->map, size_t(n) * E_ * sizeof(float));
    }
}

void VkRunner::copy_kv_blocks(const std::vector<std::pair<int32_t, int32_t>>& from_to) {
    if (from_to.empty()) return;
    const VkDeviceSize block = VkDeviceSize(p_.kv_block_size) * kv_row_bytes_;
    dev_.run_once([&](VkCommandBuffer cb) {
        std::vector<VkBufferCopy> regions;
        for (const auto& [from, to] : from_to) regions.push_back({VkDeviceSize(from) * block, VkDeviceSize(to) * block, block});
        for (size_t l = 0; l < kc_.size(); ++l) {
            dev_.vkCmdCopyBuffer(cb, kc_[l]->buf, kc_[l]->buf, uint32_t(regions.size()), regions.data());
            dev_.vkCmdCopyBuffer(cb, vc_[l]->buf, vc_[l]->buf, uint32_t(regions.size()), regions.data());
        }
    });
}

}  // namespace

std::unique_ptr<Runner> make_runner(const Model& model, const RunnerParams& params) {
    if (!model.gpu_weights()) throw Error(ErrorCode::Internal, "vulkan: the model has no layers on the GPU");
    return std::make_unique<VkRunner>(model, params);
}

}  // namespace glint::vk
