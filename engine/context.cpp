#include "engine/context.h"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <string>
#include <map>

#include "engine/matmul.h"
#include "engine/ops.h"
#include "kernels/fp16.h"
#include "kernels/quants.h"

namespace glint {

namespace {
// Below this many tokens the per-token row work stays on the calling thread:
// waking the others costs more than it saves.
constexpr int32_t kMinThreadedTokens = 4;
}  // namespace

Context::Context(const Model& model, const ContextParams& params) : model_(model), params_(params) {
    const HParams& hp = model.hparams();
    if (params_.n_ctx < 0 || params_.n_batch < 0 || params_.n_threads < 0 || params_.n_seq_max < 1)
        throw Error(ErrorCode::InvalidArgument, "context: sizes and thread count must not be negative");
    if (params_.n_ctx == 0) params_.n_ctx = std::min(hp.n_ctx_train, 4096);
    if (params_.n_batch == 0) params_.n_batch = 512;
    // in 64 bits: a huge context times many sequences overflows int32
    params_.n_batch = int32_t(std::min<int64_t>(params_.n_batch, int64_t(params_.n_ctx) * params_.n_seq_max));
    if (params_.n_threads == 0) params_.n_threads = std::max(1, omp_get_num_procs());
    ks_ = params_.isa.empty() ? &kernels::active_kernels() : kernels::find_kernel_set(params_.isa);
    if (!ks_) throw Error(ErrorCode::Unsupported, "kernel set '" + params_.isa + "' is not available on this CPU");
    const char* pack_env = std::getenv("GLINT_PACK");
    if (params_.pack_weights && !(pack_env && std::string(pack_env) == "0")) packed_ = model.packed_weights(*ks_, params_.n_threads);

    n_cpu_layers_ = hp.n_layer - model.n_gpu_layers();
    KvCacheParams kp;
    kp.n_layer = std::max(1, n_cpu_layers_);  // the GPU layers' KV blocks live on the device
    kp.n_embd_kv = hp.n_embd_kv();
    kp.head_dim = hp.head_dim;
    kp.n_ctx = params_.n_ctx;
    kp.n_seq_max = params_.n_seq_max;
    kp.block_size = params_.kv_block_size;
    kp.n_blocks = params_.n_kv_blocks;
    kp.type = params_.kv_type;
    kv_ = KvCache(kp);

    const size_t B = size_t(params_.n_batch), Q = size_t(hp.n_head) * size_t(hp.head_dim);
    x_.resize(B * size_t(hp.n_embd));
    xn_.resize(B * size_t(hp.n_embd));
    q_.resize(B * Q);
    k_.resize(B * size_t(hp.n_embd_kv()));
    v_.resize(B * size_t(hp.n_embd_kv()));
    att_.resize(B * Q);
    gate_.resize(B * size_t(hp.n_ff));
    up_.resize(B * size_t(hp.n_ff));
    out_rows_.resize(B * size_t(hp.n_embd));
    // Per thread: scores of the query heads sharing a KV head, then their
    // queries in the cache's dot type (at most 4 bytes an element).
    const size_t group = size_t(hp.n_head / hp.n_head_kv);
    scores_.resize(size_t(params_.n_threads) * (group * (size_t(params_.n_ctx) + size_t(hp.head_dim)) + 64));
    size_t act = 0;
    for (const LayerWeights& L : model.layers())
        for (const Weight* w : {&L.wq, &L.wo, &L.w_gate, &L.w_down})
            act = std::max(act, matmul_scratch_bytes(w->type, w->cols, params_.n_batch));
    act = std::max(act, matmul_scratch_bytes(model.output().type, model.output().cols, params_.n_batch));
    act_.resize(act);
    logits_.resize(size_t(hp.n_vocab));
    if (model.n_gpu_layers() > 0) {
        vk::RunnerParams rp;
        rp.n_batch = params_.n_batch;
        rp.n_ctx = params_.n_ctx;
        rp.n_seq_max = params_.n_seq_max;
        rp.kv_block_size = params_.kv_block_size;
        rp.n_kv_blocks = kv_.n_blocks();
        rp.kv_type = params_.kv_type;
        gpu_ = vk::make_runner(model, rp);
    }
}

const float* Context::logits(int32_t i) const {
    if (i < 0 || i >= n_out_)
        throw Error(ErrorCode::InvalidArgument, "logits index " + std::to_string(i) + " out of range (" +
                                                    std::to_string(n_out_) + " rows from the last decode)");
    return logits_.data() + size_t(i) * size_t(model_.hparams().n_vocab);
}

void Context::decode(const std::vector<BatchToken>& batch) {
    const HParams& hp = model_.hparams();
    if (batch.empty()) throw Error(ErrorCode::InvalidArgument, "decode: empty batch");
    std::map<int32_t, int32_t> next;  // seq -> next expected position
    int32_t n_out = 0;
    for (size_t i = 0; i < batch.size(); ++i) {
        const BatchToken& t = batch[i];
        if (t.token < 0 || t.token >= hp.n_vocab)
            throw Error(ErrorCode::InvalidArgument, "decode: token id " + std::to_string(t.token) +
                                                        " out of range (vocabulary has " +
                                                        std::to_string(hp.n_vocab) + ")");
        if (!kv_.seq_valid(t.seq))
            throw Error(ErrorCode::InvalidArgument, "decode: sequence id " + std::to_string(t.seq) +
                                                        " out of range (context has " +
                                                        std::to_string(params_.n_seq_max) + " sequences)");
        auto it = next.find(t.seq);
        const int32_t want = it == next.end() ? kv_.seq_len(t.seq) : it->second;
        if (t.pos != want)
            throw Error(ErrorCode::InvalidArgument, "decode: sequence " + std::to_string(t.seq) +
                                                        " expects position " + std::to_string(want) +
                                                        ", got " + std::to_string(t.pos));
        next[t.seq] = want + 1;
        n_out += t.logits ? 1 : 0;
    }
    std::vector<std::pair<int32_t, int32_t>> grow;
    for (const auto& [seq, end] : next) grow.emplace_back(seq, end - kv_.seq_len(seq));
    // A shared, partly filled last block is copied on write by reserve; the
    // GPU layers' copy of it must follow.
    struct Partial {
        int32_t seq, index, block;
    };
    std::vector<Partial> partial;
    if (gpu_)
        for (const auto& [seq, n] : grow)
            if (const int32_t len = kv_.seq_len(seq); n > 0 && len % params_.kv_block_size != 0)
                partial.push_back({seq, len / params_.kv_block_size, kv_.block_table(seq).back()});
    kv_.reserve(grow);  // throws, changing nothing, when the cache or a context is full
    if (gpu_) {
        std::vector<std::pair<int32_t, int32_t>> copies;
        for (const Partial& p : partial)
            if (const int32_t now = kv_.block_table(p.seq)[size_t(p.index)]; now != p.block)
                copies.emplace_back(p.block, now);
        gpu_->copy_kv_blocks(copies);
    }

    if (logits_.size() < size_t(n_out) * size_t(hp.n_vocab)) logits_.resize(size_t(n_out) * size_t(hp.n_vocab));
    n_out_ = 0;
    for (size_t i = 0; i < batch.size(); i += size_t(params_.n_batch)) {
        const int32_t n = int32_t(std::min(batch.size() - i, size_t(params_.n_batch)));
        forward(batch.data() + i, n);
    }
    for (const auto& [seq, n] : grow) kv_.advance(seq, n);
}

// Converts one K or V row (n_embd_kv floats) to the cache type.
static void store_row(const kernels::KernelSet& ks, TensorType type, const float* src, uint8_t* dst, int64_t n) {
    if (type == TensorType::F32) {
        std::memcpy(dst, src, size_t(n) * sizeof(float));
        return;
    }
    ks.quantize_row[static_cast<uint32_t>(type)](src, dst, n);
}

void Context::forward(const BatchToken* toks, int32_t n) {
    const HParams& hp = model_.hparams();
    const int nt = params_.n_threads;
    const int64_t E = hp.n_embd, Q = int64_t(hp.n_head) * hp.head_dim, KV = hp.n_embd_kv(), F = hp.n_ff;
    const float* rope_ff = model_.rope_freq_factors().empty() ? nullptr : model_.rope_freq_factors().data();

    // x[t] = embedding of token t (on the GPU when every layer is)
    if (n_cpu_layers_ > 0)
        for (int32_t t = 0; t < n; ++t) ops::dequantize_row(model_.tok_embd(), toks[t].token, x_.data() + t * E);

    // Per-token row work (norms, RoPE, cache stores, residuals, SwiGLU) on all
    // threads for prompts: run on one, it held the two-thread speed-up of
    // prompt processing near 1.75x. Tokens are independent, so the bits do
    // not depend on the thread count.
    auto per_token = [&](auto&& fn) {
#pragma omp parallel for num_threads(nt) schedule(static) if (nt > 1 && n >= kMinThreadedTokens)
        for (int32_t t = 0; t < n; ++t) fn(t);
    };

    for (int32_t il = 0; il < n_cpu_layers_; ++il) {
        const LayerWeights& L = layer(il);
        const float* attn_norm = reinterpret_cast<const float*>(L.attn_norm.data);
        const float* ffn_norm = reinterpret_cast<const float*>(L.ffn_norm.data);
        per_token([&](int32_t t) { ops::rms_norm(x_.data() + t * E, attn_norm, xn_.data() + t * E, E, hp.rms_eps); });

        // q_ [n][Q], k_ and v_ [n][KV]
        matmul_shared({{&L.wq, q_.data()}, {&L.wk, k_.data()}, {&L.wv, v_.data()}}, xn_.data(), n, act_, *ks_, nt);
        per_token([&](int32_t t) {
            if (L.bq) ops::add(q_.data() + t * Q, reinterpret_cast<const float*>(L.bq.data), Q);
            if (L.bk) ops::add(k_.data() + t * KV, reinterpret_cast<const float*>(L.bk.data), KV);
            if (L.bv) ops::add(v_.data() + t * KV, reinterpret_cast<const float*>(L.bv.data), KV);
            ops::rope(q_.data() + t * Q, hp.n_head, hp.head_dim, hp.n_rot, toks[t].pos, hp.rope_base,
                      hp.rope_freq_scale, rope_ff, hp.rope_style);
            ops::rope(k_.data() + t * KV, hp.n_head_kv, hp.head_dim, hp.n_rot, toks[t].pos, hp.rope_base,
                      hp.rope_freq_scale, rope_ff, hp.rope_style);
            store_row(*ks_, kv_.type(), k_.data() + t * KV, kv_.k_row(il, toks[t].seq, toks[t].pos), KV);
            store_row(*ks_, kv_.type(), v_.data() + t * KV, kv_.v_row(il, toks[t].seq, toks[t].pos), KV);
        });
        attention(il, toks, n);  // att_[n][Q]

        matmul(L.wo, att_.data(), n, xn_.data(), act_, *ks_, nt);  // [n][E]
        per_token([&](int32_t t) {
            float* x = x_.data() + t * E;
            float* xn = xn_.data() + t * E;
            ops::add(x, xn, E);
            ops::rms_norm(x, ffn_norm, xn, E, hp.rms_eps);
        });
        matmul_shared({{&L.w_gate, gate_.data()}, {&L.w_up, up_.data()}}, xn_.data(), n, act_, *ks_, nt);  // [n][F]
        per_token([&](int32_t t) { ks_->swiglu(gate_.data() + t * F, up_.data() + t * F, F); });
        matmul(L.w_down, gate_.data(), n, xn_.data(), act_, *ks_, nt);  // [n][E]
        per_token([&](int32_t t) { ops::add(x_.data() + t * E, xn_.data() + t * E, E); });
    }

    if (gpu_) {  // one copy of x each way at the boundary, or logits back when the head is there too
        float* out = logits_.data() + size_t(n_out_) * size_t(hp.n_vocab);
        gpu_->run(toks, n, kv_, x_.data(), out);
        if (n_cpu_layers_ == 0) {
            for (int32_t t = 0; t < n; ++t) n_out_ += toks[t].logits ? 1 : 0;
            return;
        }
    }

    // Output head only for the rows that asked for logits.
    const float* out_norm = reinterpret_cast<const float*>(model_.output_norm().data);
    int32_t n_want = 0;
    for (int32_t t = 0; t < n; ++t)
        if (toks[t].logits)
            ops::rms_norm(x_.data() + t * E, out_norm, out_rows_.data() + (n_want++) * E, E, hp.rms_eps);
    if (n_want > 0) {
        matmul(output(), out_rows_.data(), n_want, logits_.data() + size_t(n_out_) * size_t(hp.n_vocab),
               act_, *ks_, nt);
        n_out_ += n_want;
    }
}

// Causal attention of each batch token over its own sequence's cached
// positions 0..pos. Q is converted to the cache's dot type and the weights to
// F16 before the V sum when the cache is F16, as the reference engine does.
// The query heads that share a KV head run together, so each K and V row is
// read once for all of them (the same bits as one head at a time).
void Context::attention(int32_t il, const BatchToken* toks, int32_t n) {
    const HParams& hp = model_.hparams();
    const int32_t hd = hp.head_dim, n_head = hp.n_head, n_kv = hp.n_head_kv, group = hp.n_head / hp.n_head_kv;
    const int64_t Q = int64_t(n_head) * hd;
    const float scale = 1.0f / std::sqrt(float(hd));
    const TensorType kt = kv_.type();
    const kernels::KernelSet& ks = *ks_;
    const TensorType qt = kernels::vec_dot_type(kt);
    kernels::VecDotFn dot = ks.vec_dot[static_cast<uint32_t>(kt)];
    kernels::QuantizeRowFn quant_q = ks.quantize_row[static_cast<uint32_t>(qt)];
    kernels::AxpyHeadsFn axpy_v = ks.axpy_heads[static_cast<uint32_t>(kt)];
    kernels::SoftmaxFn softmax = ks.softmax;
    kernels::GemvHeadsFn gemv_k = ks.gemv_heads[static_cast<uint32_t>(kt)];  // null in the scalar set
    const int32_t bs = kv_.params().block_size;
    kernels::QuantizeRowFn to_f16 = ks.quantize_row[static_cast<uint32_t>(TensorType::F16)];
    kernels::DequantizeRowFn from_f16 = ks.dequantize_row[static_cast<uint32_t>(TensorType::F16)];
    const int nt = params_.n_threads;
    const size_t per_thread = scores_.size() / size_t(nt);
    const int64_t n_ctx = params_.n_ctx;
    const size_t q_stride = qt == TensorType::F32 ? size_t(hd) * sizeof(float) : row_bytes(qt, hd);

    // A group is split into chunks of heads only when there would otherwise
    // be too few jobs to keep every thread busy (one token, few KV heads).
    int32_t chunks = group;
    for (int32_t c = 1; c <= group; ++c)
        if (group % c == 0 && int64_t(n) * n_kv * c >= 2 * int64_t(nt)) {
            chunks = c;
            break;
        }
    const int32_t hc = group / chunks;  // heads per job

    int64_t work = 0;  // score dot products in this call
    for (int32_t t = 0; t < n; ++t) work += int64_t(toks[t].pos + 1) * n_head * hd;
#pragma omp parallel num_threads(nt) if (nt > 1 && work >= (1 << 15))
    {
        float* scores = scores_.data() + size_t(omp_get_thread_num()) * per_thread;  // [hc][n_ctx]
        uint8_t* qconv = reinterpret_cast<uint8_t*>(scores + hc * n_ctx);             // [hc] rows in qt
#pragma omp for schedule(dynamic)
        for (int64_t job = 0; job < int64_t(n) * n_kv * chunks; ++job) {
            const int32_t t = int32_t(job / (int64_t(n_kv) * chunks));
            const int32_t rest = int32_t(job % (int64_t(n_kv) * chunks)), g = rest / chunks;
            const int32_t h0 = g * group + (rest % chunks) * hc;
            const int32_t seq = toks[t].seq, pos = toks[t].pos;
            const float* q = q_.data() + t * Q + int64_t(h0) * hd;  // hc heads, hd apart
            const uint8_t* qa = reinterpret_cast<const uint8_t*>(q);
            if (qt != TensorType::F32) {
                for (int32_t h = 0; h < hc; ++h) quant_q(q + int64_t(h) * hd, qconv + size_t(h) * q_stride, hd);
                qa = qconv;
            }
            const size_t head_off = row_bytes(kt, int64_t(g) * hd);
            if (gemv_k) {
                // A block's positions are consecutive rows: one call per block
                // (each score equal to the dot bit for bit).
                for (int32_t j0 = 0; j0 <= pos; j0 += bs) {
                    const int32_t nr = std::min(bs, pos + 1 - j0);
                    gemv_k(hd, kv_.k_row(il, seq, j0) + head_off, kv_.row_bytes(), nr, hc, qa, q_stride, scores + j0,
                           n_ctx);
                }
            } else {
                for (int32_t h = 0; h < hc; ++h)
                    for (int32_t j = 0; j <= pos; ++j)
                        scores[h * n_ctx + j] = dot(hd, kv_.k_row(il, seq, j) + head_off, qa + size_t(h) * q_stride);
            }
            for (int32_t h = 0; h < hc; ++h) {
                float* s = scores + h * n_ctx;
                softmax(s, pos + 1, scale);  // scaled first, then the softmax
                if (kt == TensorType::F16) {  // the set's converters: same rounding, vectorized
                    uint16_t half[256];
                    for (int32_t j0 = 0; j0 <= pos; j0 += 256) {
                        const int32_t m = std::min(256, pos + 1 - j0);
                        to_f16(s + j0, half, m);
                        from_f16(half, s + j0, m);
                    }
                }
            }
            float* out = att_.data() + t * Q + int64_t(h0) * hd;
            std::fill(out, out + int64_t(hc) * hd, 0.0f);
            // V rows of a block are consecutive too: one call per block.
            for (int32_t j0 = 0; j0 <= pos; j0 += bs)
                axpy_v(hd, std::min(bs, pos + 1 - j0), hc, scores + j0, n_ctx, kv_.v_row(il, seq, j0) + head_off,
                       kv_.row_bytes(), out, hd);
        }
    }
}

}  // namespace glint
