// The C API (include/glint.h) over the C++ engine: catches every exception at
// the boundary and turns it into a status code plus a per-thread message.
#include "glint.h"

#include <chrono>
#include <cstring>
#include <fstream>
#include <memory>
#include <new>
#include <string>
#include <utility>

#include "engine/chat/chat_template.h"
#include "engine/context.h"
#include "engine/model.h"
#include "engine/sampler.h"
#include "kernels/cpu_features.h"
#include "kernels/log.h"
#include "kernels/quants.h"

struct glint_model {
    std::unique_ptr<glint::Model> m;
    std::string desc;
    double load_ms = 0;
};

struct glint_context {
    const glint_model* model;
    std::unique_ptr<glint::Context> c;
    glint_timings t{};
};

struct glint_sampler {
    std::unique_ptr<glint::Sampler> s;
};

namespace {

thread_local std::string t_last_error;

glint_status fail(glint_status s, std::string msg) {
    t_last_error = std::move(msg);
    return s;
}

glint_status from_code(glint::ErrorCode c) {
    switch (c) {
        case glint::ErrorCode::InvalidArgument: return GLINT_ERR_INVALID_ARGUMENT;
        case glint::ErrorCode::Io: return GLINT_ERR_IO;
        case glint::ErrorCode::InvalidFile: return GLINT_ERR_INVALID_FILE;
        case glint::ErrorCode::Unsupported: return GLINT_ERR_UNSUPPORTED;
        case glint::ErrorCode::OutOfMemory: return GLINT_ERR_OUT_OF_MEMORY;
        case glint::ErrorCode::ContextFull: return GLINT_ERR_CONTEXT_FULL;
        case glint::ErrorCode::Cancelled: return GLINT_ERR_CANCELLED;
        case glint::ErrorCode::Internal: break;
    }
    return GLINT_ERR_INTERNAL;
}

// Runs f, mapping exceptions to statuses; f returns nothing on success.
template <class F>
glint_status guarded(F&& f) {
    try {
        f();
        return GLINT_OK;
    } catch (const glint::Error& e) {
        return fail(from_code(e.code()), e.what());
    } catch (const std::bad_alloc&) {
        return fail(GLINT_ERR_OUT_OF_MEMORY, "out of memory");
    } catch (const std::exception& e) {
        return fail(GLINT_ERR_INTERNAL, e.what());
    }
}

#define GLINT_REQUIRE(cond, msg) \
    if (!(cond)) return fail(GLINT_ERR_INVALID_ARGUMENT, msg)

double now_ms() {
    using namespace std::chrono;
    return duration<double, std::milli>(steady_clock::now().time_since_epoch()).count();
}

// Copies s into buf (NUL-terminated, truncated) and reports the full length.
template <class Len>
glint_status copy_out(const std::string& s, char* buf, size_t buf_size, Len* len) {
    if (len) *len = Len(s.size());
    if (buf && buf_size > 0) {
        const size_t n = std::min(s.size(), buf_size - 1);
        std::memcpy(buf, s.data(), n);
        buf[n] = '\0';
    }
    if (buf_size < s.size() + 1)
        return fail(GLINT_ERR_INVALID_ARGUMENT, "buffer of " + std::to_string(buf_size) + " bytes is too small, " +
                                                    std::to_string(s.size() + 1) + " needed");
    return GLINT_OK;
}

}  // namespace

extern "C" {

const char* glint_last_error(void) { return t_last_error.c_str(); }

const char* glint_status_name(glint_status s) {
    switch (s) {
        case GLINT_OK: return "GLINT_OK";
        case GLINT_ERR_INVALID_ARGUMENT: return "GLINT_ERR_INVALID_ARGUMENT";
        case GLINT_ERR_IO: return "GLINT_ERR_IO";
        case GLINT_ERR_INVALID_FILE: return "GLINT_ERR_INVALID_FILE";
        case GLINT_ERR_UNSUPPORTED: return "GLINT_ERR_UNSUPPORTED";
        case GLINT_ERR_OUT_OF_MEMORY: return "GLINT_ERR_OUT_OF_MEMORY";
        case GLINT_ERR_CONTEXT_FULL: return "GLINT_ERR_CONTEXT_FULL";
        case GLINT_ERR_CANCELLED: return "GLINT_ERR_CANCELLED";
        case GLINT_ERR_INTERNAL: return "GLINT_ERR_INTERNAL";
    }
    return "GLINT_ERR_UNKNOWN";
}

const char* glint_version(void) { return GLINT_VERSION_STRING; }

void glint_set_log_callback(glint_log_callback cb, void* user) {
    // glint_log_level and glint::LogLevel share values.
    glint::set_log_callback(reinterpret_cast<glint::LogCallback>(cb), user);
}

glint_model_params glint_model_default_params(void) {
    glint_model_params p{};
    p.use_mmap = 1;
    return p;
}

glint_status glint_model_load(const char* path, const glint_model_params* params, glint_model** out) {
    GLINT_REQUIRE(out, "glint_model_load: out is NULL");
    *out = nullptr;
    GLINT_REQUIRE(path, "glint_model_load: path is NULL");
    const glint_model_params p = params ? *params : glint_model_default_params();
    return guarded([&] {
        const double t0 = now_ms();
        if (p.progress && !p.progress(0.0f, p.progress_user))
            throw glint::Error(glint::ErrorCode::Cancelled, "model load cancelled by the progress callback");
        glint::ModelParams mp;
        mp.use_mmap = p.use_mmap != 0;
        mp.n_gpu_layers = p.n_gpu_layers;  // checked against the layer count, uploaded, or the CPU with a warning
        auto m = std::make_unique<glint_model>();
        m->m = glint::Model::load(path, mp);
        if (p.progress && !p.progress(1.0f, p.progress_user))
            throw glint::Error(glint::ErrorCode::Cancelled, "model load cancelled by the progress callback");
        m->desc = m->m->description();
        m->load_ms = now_ms() - t0;
        *out = m.release();
    });
}

void glint_model_free(glint_model* model) { delete model; }

int32_t glint_model_n_vocab(const glint_model* m) { return m ? m->m->hparams().n_vocab : 0; }
int32_t glint_model_n_ctx_train(const glint_model* m) { return m ? m->m->hparams().n_ctx_train : 0; }
int32_t glint_model_n_embd(const glint_model* m) { return m ? m->m->hparams().n_embd : 0; }
int32_t glint_model_n_layer(const glint_model* m) { return m ? m->m->hparams().n_layer : 0; }
uint64_t glint_model_size(const glint_model* m) { return m ? m->m->weight_bytes() : 0; }
uint64_t glint_model_n_params(const glint_model* m) {
    uint64_t n = 0;
    if (m)
        for (const auto& t : m->m->file().tensors()) n += t.n_elements;
    return n;
}
uint64_t glint_model_bytes_per_token(const glint_model* m) {
    if (!m) return 0;
    const glint::Model& M = *m->m;
    const bool tied = M.output().data == M.tok_embd().data;
    uint64_t n = 0;
    for (const auto& t : M.file().tensors())
        if (tied || t.data != M.tok_embd().data) n += t.n_bytes;
    return n;
}
const char* glint_model_desc(const glint_model* m) { return m ? m->desc.c_str() : ""; }

glint_status glint_model_meta(const glint_model* model, const char* key, char* buf, size_t buf_size, size_t* len) {
    GLINT_REQUIRE(model && key, "glint_model_meta: model and key must not be NULL");
    const glint::gguf::Value* v = model->m->file().find(key);
    if (!v) return fail(GLINT_ERR_INVALID_ARGUMENT, std::string("metadata key '") + key + "' not found");
    const std::string s = v->type == glint::gguf::ValueType::STRING ? std::string(v->str) : v->to_display(16);
    return copy_out(s, buf, buf_size, len);
}

glint_status glint_tokenize(const glint_model* model, const char* text, int64_t text_len, int32_t add_special,
                            int32_t parse_special, int32_t* tokens, int32_t max_tokens, int32_t* n_tokens) {
    GLINT_REQUIRE(model && text && n_tokens, "glint_tokenize: model, text and n_tokens must not be NULL");
    GLINT_REQUIRE(max_tokens >= 0 && (tokens || max_tokens == 0), "glint_tokenize: bad token buffer");
    std::vector<int32_t> ids;
    glint_status st = guarded([&] {
        const std::string_view sv(text, text_len < 0 ? std::strlen(text) : size_t(text_len));
        ids = model->m->tokenizer().encode(sv, add_special != 0, parse_special != 0);
    });
    if (st != GLINT_OK) return st;
    *n_tokens = int32_t(ids.size());
    if (int64_t(ids.size()) > max_tokens)
        return fail(GLINT_ERR_INVALID_ARGUMENT, "token buffer holds " + std::to_string(max_tokens) + ", the text needs " +
                                                    std::to_string(ids.size()));
    std::copy(ids.begin(), ids.end(), tokens);
    return GLINT_OK;
}

glint_status glint_token_to_piece(const glint_model* model, int32_t token, char* buf, size_t buf_size, int32_t* len) {
    GLINT_REQUIRE(model, "glint_token_to_piece: model is NULL");
    GLINT_REQUIRE(token >= 0 && token < model->m->hparams().n_vocab,
                  "token id " + std::to_string(token) + " out of range");
    const std::string piece = model->m->tokenizer().token_to_piece(token, false);
    return copy_out(piece, buf, buf_size, len);
}

glint_status glint_detokenize(const glint_model* model, const int32_t* tokens, int32_t n_tokens, char* buf,
                              size_t buf_size, size_t* len) {
    GLINT_REQUIRE(model && (tokens || n_tokens == 0) && n_tokens >= 0, "glint_detokenize: bad arguments");
    for (int32_t i = 0; i < n_tokens; ++i)
        GLINT_REQUIRE(tokens[i] >= 0 && tokens[i] < model->m->hparams().n_vocab,
                      "token id " + std::to_string(tokens[i]) + " out of range");
    const std::string text = model->m->tokenizer().decode(std::vector<int32_t>(tokens, tokens + n_tokens));
    return copy_out(text, buf, buf_size, len);
}

int32_t glint_token_bos(const glint_model* m) { return m ? m->m->tokenizer().bos() : -1; }
int32_t glint_token_eos(const glint_model* m) { return m ? m->m->tokenizer().eos() : -1; }
int32_t glint_token_is_eog(const glint_model* m, int32_t token) { return m && m->m->tokenizer().is_eog(token) ? 1 : 0; }

glint_status glint_chat_apply_template(const glint_model* model, const char* tmpl, const glint_chat_message* msgs,
                                       size_t n_msgs, int32_t add_generation_prompt, char* buf, size_t buf_size,
                                       size_t* len) {
    GLINT_REQUIRE(model && (msgs || n_msgs == 0), "glint_chat_apply_template: bad arguments");
    std::string out;
    glint_status st = guarded([&] {
        std::vector<glint::ChatMessage> m;
        for (size_t i = 0; i < n_msgs; ++i) {
            if (!msgs[i].role || !msgs[i].content)
                throw glint::Error(glint::ErrorCode::InvalidArgument, "chat message " + std::to_string(i) + " has a NULL field");
            m.push_back({msgs[i].role, msgs[i].content});
        }
        std::string source = tmpl ? std::string(tmpl) : model->m->file().get_or<std::string>("tokenizer.chat_template", "");
        if (source.empty()) source = std::string(glint::default_chat_template());
        const glint::Tokenizer& tok = model->m->tokenizer();
        const std::string bos = tok.bos() >= 0 ? std::string(tok.token_text(tok.bos())) : "";
        const std::string eos = tok.eos() >= 0 ? std::string(tok.token_text(tok.eos())) : "";
        out = glint::ChatTemplate(source).render(m, add_generation_prompt != 0, bos, eos);
    });
    if (st != GLINT_OK) return st;
    return copy_out(out, buf, buf_size, len);
}

glint_context_params glint_context_default_params(void) {
    const glint::ContextParams d;
    glint_context_params p{};
    p.n_ctx = d.n_ctx;
    p.n_batch = d.n_batch;
    p.n_threads = d.n_threads;
    p.n_seq_max = d.n_seq_max;
    p.kv_type = GLINT_KV_F16;
    p.kv_block_size = d.kv_block_size;
    p.n_kv_blocks = d.n_kv_blocks;
    p.pack_weights = d.pack_weights ? 1 : 0;
    return p;
}

glint_status glint_context_create(const glint_model* model, const glint_context_params* params, glint_context** out) {
    GLINT_REQUIRE(out, "glint_context_create: out is NULL");
    *out = nullptr;
    GLINT_REQUIRE(model, "glint_context_create: model is NULL");
    const glint_context_params p = params ? *params : glint_context_default_params();
    GLINT_REQUIRE(p.kv_type >= GLINT_KV_F16 && p.kv_type <= GLINT_KV_Q8_0, "glint_context_create: unknown kv_type");
    return guarded([&] {
        glint::ContextParams cp;
        cp.n_ctx = p.n_ctx;
        cp.n_batch = p.n_batch;
        cp.n_threads = p.n_threads;
        cp.n_seq_max = p.n_seq_max;
        cp.kv_type = p.kv_type == GLINT_KV_F32 ? glint::KvType::F32
                     : p.kv_type == GLINT_KV_Q8_0 ? glint::KvType::Q8_0 : glint::KvType::F16;
        cp.kv_block_size = p.kv_block_size;
        cp.n_kv_blocks = p.n_kv_blocks;
        cp.pack_weights = p.pack_weights != 0;
        auto c = std::make_unique<glint_context>();
        c->model = model;
        c->c = std::make_unique<glint::Context>(*model->m, cp);
        c->t.load_ms = model->load_ms;
        *out = c.release();
    });
}

void glint_context_free(glint_context* ctx) { delete ctx; }

uint64_t glint_context_packed_bytes(const glint_context* ctx) { return ctx ? ctx->c->packed_bytes() : 0; }

glint_context_params glint_context_get_params(const glint_context* ctx) {
    glint_context_params p = glint_context_default_params();
    if (!ctx) return p;
    const glint::ContextParams& c = ctx->c->params();
    p.n_ctx = c.n_ctx;
    p.n_batch = c.n_batch;
    p.n_threads = c.n_threads;
    p.n_seq_max = c.n_seq_max;
    p.kv_type = c.kv_type == glint::KvType::F32 ? GLINT_KV_F32 : c.kv_type == glint::KvType::Q8_0 ? GLINT_KV_Q8_0 : GLINT_KV_F16;
    p.kv_block_size = c.kv_block_size;
    p.n_kv_blocks = ctx->c->kv().n_blocks();
    p.pack_weights = c.pack_weights ? 1 : 0;
    return p;
}

glint_status glint_decode(glint_context* ctx, const glint_batch* batch) {
    GLINT_REQUIRE(ctx && batch, "glint_decode: ctx and batch must not be NULL");
    GLINT_REQUIRE(batch->n_tokens > 0 && batch->tokens && batch->pos && batch->seq_id,
                  "glint_decode: a batch needs n_tokens > 0 and tokens, pos and seq_id arrays");
    std::vector<glint::BatchToken> b(size_t(batch->n_tokens));
    for (int32_t i = 0; i < batch->n_tokens; ++i)
        b[size_t(i)] = {batch->tokens[i], batch->pos[i], batch->seq_id[i],
                        batch->logits ? batch->logits[i] != 0 : i + 1 == batch->n_tokens};
    const double t0 = now_ms();
    glint_status st = guarded([&] { ctx->c->decode(b); });
    if (st == GLINT_OK) {
        const double ms = now_ms() - t0;
        if (batch->n_tokens > 1) {
            ctx->t.prompt_ms += ms;
            ctx->t.n_prompt += batch->n_tokens;
        } else {
            ctx->t.gen_ms += ms;
            ctx->t.n_gen += 1;
        }
    }
    return st;
}

const float* glint_get_logits(const glint_context* ctx, int32_t i) {
    if (!ctx || i < 0 || i >= ctx->c->n_logits()) return nullptr;
    return ctx->c->logits(i);
}

int32_t glint_n_logits(const glint_context* ctx) { return ctx ? ctx->c->n_logits() : 0; }

glint_status glint_decode_sequence(glint_context* ctx, int32_t seq, const int32_t* tokens, int32_t n, int32_t pos,
                                   int32_t* next, glint_sampler* smp) {
    GLINT_REQUIRE(ctx && tokens && n > 0, "glint_decode_sequence: ctx and n > 0 tokens are required");
    GLINT_REQUIRE(!smp || next, "glint_decode_sequence: next must not be NULL when sampling");
    std::vector<int32_t> p(static_cast<size_t>(n)), s(static_cast<size_t>(n), seq);
    for (int32_t i = 0; i < n; ++i) p[size_t(i)] = pos + i;
    const glint_batch b{n, tokens, p.data(), s.data(), nullptr};
    if (glint_status st = glint_decode(ctx, &b); st != GLINT_OK) return st;
    if (smp) {
        for (int32_t i = 0; i < n; ++i) smp->s->accept(tokens[i]);
        if (glint_status st = glint_sampler_sample(smp, ctx->c->logits(0), next); st != GLINT_OK) return st;
    }
    return GLINT_OK;
}

int32_t glint_kv_seq_len(const glint_context* ctx, int32_t seq) {
    return ctx && ctx->c->kv().seq_valid(seq) ? ctx->c->kv().seq_len(seq) : 0;
}
glint_status glint_kv_seq_remove(glint_context* ctx, int32_t seq) {
    GLINT_REQUIRE(ctx, "glint_kv_seq_remove: ctx is NULL");
    return guarded([&] { ctx->c->kv().remove(seq); });
}
glint_status glint_kv_seq_truncate(glint_context* ctx, int32_t seq, int32_t n) {
    GLINT_REQUIRE(ctx, "glint_kv_seq_truncate: ctx is NULL");
    return guarded([&] { ctx->c->kv().truncate(seq, n); });
}
glint_status glint_kv_seq_fork(glint_context* ctx, int32_t src, int32_t dst) {
    GLINT_REQUIRE(ctx, "glint_kv_seq_fork: ctx is NULL");
    return guarded([&] { ctx->c->kv().fork(src, dst); });
}
int32_t glint_kv_free_blocks(const glint_context* ctx) { return ctx ? ctx->c->kv().n_free_blocks() : 0; }

glint_sampler_params glint_sampler_default_params(void) {
    const glint::SamplerParams d;
    glint_sampler_params p{};
    p.temp = d.temp;
    p.top_k = d.top_k;
    p.top_p = d.top_p;
    p.min_p = d.min_p;
    p.repeat_penalty = d.repeat_penalty;
    p.freq_penalty = d.freq_penalty;
    p.presence_penalty = d.presence_penalty;
    p.repeat_last_n = d.repeat_last_n;
    p.seed = uint32_t(d.seed);
    return p;
}

static glint::SamplerParams to_internal(const glint_sampler_params& p) {
    glint::SamplerParams sp;
    sp.temp = p.temp;
    sp.top_k = p.top_k;
    sp.top_p = p.top_p;
    sp.min_p = p.min_p;
    sp.repeat_penalty = p.repeat_penalty;
    sp.freq_penalty = p.freq_penalty;
    sp.presence_penalty = p.presence_penalty;
    sp.repeat_last_n = p.repeat_last_n;
    sp.seed = p.seed;
    return sp;
}

glint_status glint_sampler_params_check(const glint_sampler_params* params) {
    GLINT_REQUIRE(params, "glint_sampler_params_check: params is NULL");
    const std::string err = glint::validate(to_internal(*params));
    return err.empty() ? GLINT_OK : fail(GLINT_ERR_INVALID_ARGUMENT, err);
}

glint_status glint_sampler_create(const glint_model* model, const glint_sampler_params* params, glint_sampler** out) {
    GLINT_REQUIRE(out, "glint_sampler_create: out is NULL");
    *out = nullptr;
    GLINT_REQUIRE(model, "glint_sampler_create: model is NULL");
    const glint_sampler_params p = params ? *params : glint_sampler_default_params();
    return guarded([&] {
        auto s = std::make_unique<glint_sampler>();
        s->s = std::make_unique<glint::Sampler>(to_internal(p), model->m->hparams().n_vocab);
        *out = s.release();
    });
}

void glint_sampler_free(glint_sampler* smp) { delete smp; }

glint_status glint_sampler_sample(glint_sampler* smp, const float* logits, int32_t* token) {
    GLINT_REQUIRE(smp && logits && token, "glint_sampler_sample: arguments must not be NULL");
    return guarded([&] { *token = smp->s->sample(logits); });
}

void glint_sampler_accept(glint_sampler* smp, int32_t token) {
    if (smp) smp->s->accept(token);
}
void glint_sampler_reset(glint_sampler* smp) {
    if (smp) smp->s->reset();
}
uint32_t glint_sampler_seed(const glint_sampler* smp) { return smp ? smp->s->seed() : 0; }

glint_timings glint_get_timings(const glint_context* ctx) { return ctx ? ctx->t : glint_timings{}; }
void glint_reset_timings(glint_context* ctx) {
    if (ctx) {
        const double load = ctx->t.load_ms;
        ctx->t = {};
        ctx->t.load_ms = load;
    }
}

const char* glint_cpu_kernels(void) { return glint::kernels::active_kernels().isa; }

const char* glint_cpu_info(void) { return glint::kernels::cpu_features().brand; }

const char* glint_system_info(void) {
    static const std::string info = [] {
        const auto& f = glint::kernels::cpu_features();
        const auto& ks = glint::kernels::active_kernels();
        std::string feats;
        const std::pair<bool, const char*> named[] = {
            {f.avx2, "avx2"},         {f.fma, "fma"},           {f.f16c, "f16c"},
            {f.avx512f, "avx512f"},   {f.avx512bw, "avx512bw"}, {f.avx512vl, "avx512vl"},
            {f.avx512vnni, "avx512_vnni"}, {f.avxvnni, "avx_vnni"}, {f.avx512bf16, "avx512_bf16"}};
        for (const auto& [has, name] : named)
            if (has) feats.append(feats.empty() ? "" : " ").append(name);
        return std::string("cpu: ") + (f.brand[0] ? f.brand : "unknown") + " | features: " +
               (feats.empty() ? "none" : feats) + " | kernels: " + ks.isa + " | vnni gemm: " + (ks.vnni ? "yes" : "no");
    }();
    return info.c_str();
}

}  // extern "C"
