// The public C API: status codes and messages, buffers, decode/sample, KV
// sequence operations, chat templates, metadata, callbacks.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "glint.h"
#include "kernels/cpu_features.h"
#include "kernels/quants.h"
#include "test_util.h"

namespace {

std::string bundled_model() { return std::string(GLINT_SOURCE_DIR) + "/tools/models/stories260K.gguf"; }

struct Loaded {
    glint_model* model = nullptr;
    glint_context* ctx = nullptr;
    glint_sampler* smp = nullptr;
    ~Loaded() {
        glint_sampler_free(smp);
        glint_context_free(ctx);
        glint_model_free(model);
    }
};

void load(Loaded& l, glint_context_params cp = glint_context_default_params()) {
    ASSERT_EQ(glint_model_load(bundled_model().c_str(), nullptr, &l.model), GLINT_OK) << glint_last_error();
    ASSERT_EQ(glint_context_create(l.model, &cp, &l.ctx), GLINT_OK) << glint_last_error();
    glint_sampler_params sp = glint_sampler_default_params();
    sp.temp = 0;
    ASSERT_EQ(glint_sampler_create(l.model, &sp, &l.smp), GLINT_OK) << glint_last_error();
}

std::vector<int32_t> tokenize(glint_model* m, const char* text) {
    std::vector<int32_t> t(64);
    int32_t n = 0;
    EXPECT_EQ(glint_tokenize(m, text, -1, 1, 0, t.data(), int32_t(t.size()), &n), GLINT_OK);
    t.resize(size_t(n));
    return t;
}

TEST(CApi, MissingFileIsAnIoErrorNamingThePath) {
    glint_model* m = reinterpret_cast<glint_model*>(0x1);
    EXPECT_EQ(glint_model_load("/nonexistent/x.gguf", nullptr, &m), GLINT_ERR_IO);
    EXPECT_EQ(m, nullptr);
    EXPECT_NE(std::string(glint_last_error()).find("/nonexistent/x.gguf"), std::string::npos);
    EXPECT_STREQ(glint_status_name(GLINT_ERR_IO), "GLINT_ERR_IO");
}

TEST(CApi, NullArgumentsAreRejectedNotCrashed) {
    EXPECT_EQ(glint_model_load(nullptr, nullptr, nullptr), GLINT_ERR_INVALID_ARGUMENT);
    glint_context* c = nullptr;
    EXPECT_EQ(glint_context_create(nullptr, nullptr, &c), GLINT_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(glint_decode(nullptr, nullptr), GLINT_ERR_INVALID_ARGUMENT);
    glint_model_free(nullptr);
    glint_context_free(nullptr);
    glint_sampler_free(nullptr);
}

TEST(CApi, ModelFacts) {
    Loaded l;
    load(l);
    EXPECT_EQ(glint_model_n_vocab(l.model), 512);
    EXPECT_EQ(glint_model_n_embd(l.model), 64);
    EXPECT_EQ(glint_model_n_layer(l.model), 5);
    EXPECT_GT(glint_model_size(l.model), 900000u);
    char buf[64];
    size_t len = 0;
    ASSERT_EQ(glint_model_meta(l.model, "general.architecture", buf, sizeof buf, &len), GLINT_OK);
    EXPECT_STREQ(buf, "llama");
    EXPECT_EQ(glint_model_meta(l.model, "no.such.key", buf, sizeof buf, &len), GLINT_ERR_INVALID_ARGUMENT);
    EXPECT_NE(std::string(glint_last_error()).find("no.such.key"), std::string::npos);
}

// The one-line report names the CPU, what of it glint uses and the kernels
// chosen, as detected (a user's bug report must say whether VNNI was on).
TEST(CApi, SystemInfoNamesTheCpuAndTheKernelsInUse) {
    const auto& f = glint::kernels::cpu_features();
    const auto& ks = glint::kernels::active_kernels();
    const std::string brand = glint_cpu_info(), info = glint_system_info();
    EXPECT_EQ(brand, f.brand);
#if defined(__x86_64__) || defined(__i386__)
    // Every x86-64 CPU has the brand leaves; the text comes trimmed.
    ASSERT_FALSE(brand.empty());
    EXPECT_NE(brand.front(), ' ');
    EXPECT_NE(brand.back(), ' ');
    for (char c : brand) EXPECT_TRUE(c >= 0x20 && c < 0x7f) << int(c);
#endif
    EXPECT_EQ(info.rfind("cpu: " + (brand.empty() ? std::string("unknown") : brand) + " | features: ", 0), 0u) << info;
    const std::string tail = std::string(" | kernels: ") + ks.isa + " | vnni gemm: " + (ks.vnni ? "yes" : "no");
    ASSERT_GE(info.size(), tail.size());
    EXPECT_EQ(info.substr(info.size() - tail.size()), tail) << info;
    auto listed = [&](const char* name) {
        const std::string feats = " " + info.substr(0, info.size() - tail.size()) + " ";
        return feats.find(std::string(" ") + name + " ") != std::string::npos;
    };
    EXPECT_EQ(listed("avx2"), f.avx2) << info;
    EXPECT_EQ(listed("avx512f"), f.avx512f) << info;
    EXPECT_EQ(listed("avx512_vnni"), f.avx512vnni) << info;
    EXPECT_EQ(listed("avx_vnni"), f.avxvnni) << info;
}

// Packed weight copies are reported where the kernels in use have a packed
// GEMV for the model's types (kernels/packed.h), and only there.
TEST(CApi, PackedBytesFollowTheKernels) {
    EXPECT_EQ(glint_context_packed_bytes(nullptr), 0u);
    Loaded f32;  // the bundled model is F32: nothing to pack
    load(f32);
    EXPECT_EQ(glint_context_packed_bytes(f32.ctx), 0u);
    GLINT_REQUIRE_SHARED();
    glint_model* model = nullptr;
    ASSERT_EQ(glint_model_load(glint::test::shared_path("models/mini-Q4_K_M.gguf").c_str(), nullptr, &model), GLINT_OK)
        << glint_last_error();
    glint_context_params cp = glint_context_default_params();
    glint_context* ctx = nullptr;
    ASSERT_EQ(glint_context_create(model, &cp, &ctx), GLINT_OK) << glint_last_error();
    const auto& ks = glint::kernels::active_kernels();
    const char* env = std::getenv("GLINT_PACK");
    const bool packs = ks.gemv_packed[static_cast<uint32_t>(glint::TensorType::Q4_K)] && !(env && std::string(env) == "0");
    EXPECT_EQ(glint_context_packed_bytes(ctx) > 0, packs) << ks.isa;
    EXPECT_EQ(glint_context_get_params(ctx).pack_weights, 1);
    glint_context_free(ctx);
    glint_model_free(model);
    // pack_weights = 0: no copies, on a fresh model (copies are kept per model)
    ASSERT_EQ(glint_model_load(glint::test::shared_path("models/mini-Q4_K_M.gguf").c_str(), nullptr, &model), GLINT_OK);
    cp.pack_weights = 0;
    ASSERT_EQ(glint_context_create(model, &cp, &ctx), GLINT_OK) << glint_last_error();
    EXPECT_EQ(glint_context_packed_bytes(ctx), 0u);
    EXPECT_EQ(glint_context_get_params(ctx).pack_weights, 0);
    glint_context_free(ctx);
    glint_model_free(model);
}

TEST(CApi, TokenizeReportsTheSizeNeeded) {
    Loaded l;
    load(l);
    int32_t small[2];
    int32_t n = 0;
    EXPECT_EQ(glint_tokenize(l.model, "Once upon a time", -1, 1, 0, small, 2, &n), GLINT_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(n, 5);  // BOS + 4, as the reference tokenizes it
    EXPECT_EQ(tokenize(l.model, "Once upon a time"), (std::vector<int32_t>{1, 403, 407, 261, 378}));
}

TEST(CApi, GreedyGenerationMatchesTheReferenceText) {
    Loaded l;
    load(l);
    auto toks = tokenize(l.model, "Once upon a time");
    int32_t next = 0, pos = 0;
    ASSERT_EQ(glint_decode_sequence(l.ctx, 0, toks.data(), int32_t(toks.size()), pos, &next, l.smp), GLINT_OK);
    pos += int32_t(toks.size());
    std::string text;
    for (int i = 0; i < 12; ++i) {
        char piece[32];
        int32_t len = 0;
        ASSERT_EQ(glint_token_to_piece(l.model, next, piece, sizeof piece, &len), GLINT_OK);
        text.append(piece, size_t(len));
        int32_t t = next;
        ASSERT_EQ(glint_decode_sequence(l.ctx, 0, &t, 1, pos++, &next, l.smp), GLINT_OK);
    }
    EXPECT_EQ(text, ", there was a little girl named Lily. She");  // the reference greedy text, 12 tokens
    glint_timings t = glint_get_timings(l.ctx);
    EXPECT_EQ(t.n_prompt, 5);
    EXPECT_EQ(t.n_gen, 12);
    EXPECT_GT(t.load_ms, 0.0);
}

TEST(CApi, DecodeErrorsLeaveTheCacheUnchanged) {
    Loaded l;
    glint_context_params cp = glint_context_default_params();
    cp.n_ctx = 32;
    cp.n_seq_max = 2;
    cp.kv_block_size = 16;
    cp.n_kv_blocks = 2;
    load(l, cp);
    std::vector<int32_t> toks(20, 5), pos(20), seq(20, 0);
    for (int i = 0; i < 20; ++i) pos[size_t(i)] = i;
    glint_batch b{20, toks.data(), pos.data(), seq.data(), nullptr};
    ASSERT_EQ(glint_decode(l.ctx, &b), GLINT_OK);
    EXPECT_EQ(glint_kv_free_blocks(l.ctx), 0);
    std::vector<int32_t> seq1(20, 1);
    glint_batch b1{20, toks.data(), pos.data(), seq1.data(), nullptr};
    EXPECT_EQ(glint_decode(l.ctx, &b1), GLINT_ERR_OUT_OF_MEMORY);  // recoverable
    EXPECT_NE(std::string(glint_last_error()).find("KV cache full"), std::string::npos);
    EXPECT_EQ(glint_kv_seq_len(l.ctx, 1), 0);
    EXPECT_EQ(glint_kv_seq_len(l.ctx, 0), 20);
    // Freeing sequence 0 makes room: the same call now succeeds.
    ASSERT_EQ(glint_kv_seq_remove(l.ctx, 0), GLINT_OK);
    EXPECT_EQ(glint_decode(l.ctx, &b1), GLINT_OK);

    int32_t bad_tok = 100000, p0 = 20, s1 = 1;
    glint_batch bad{1, &bad_tok, &p0, &s1, nullptr};
    EXPECT_EQ(glint_decode(l.ctx, &bad), GLINT_ERR_INVALID_ARGUMENT);
    EXPECT_NE(std::string(glint_last_error()).find("token id 100000"), std::string::npos);
    int32_t tok = 5, wrong_pos = 7;
    glint_batch gap{1, &tok, &wrong_pos, &s1, nullptr};
    EXPECT_EQ(glint_decode(l.ctx, &gap), GLINT_ERR_INVALID_ARGUMENT);
    // Sequence 1 holds 20 of 32 positions: fill it, then one more is past the context.
    std::vector<int32_t> fill(12, 5), fpos(12), fseq(12, 1);
    for (int i = 0; i < 12; ++i) fpos[size_t(i)] = 20 + i;
    glint_batch fb{12, fill.data(), fpos.data(), fseq.data(), nullptr};
    ASSERT_EQ(glint_decode(l.ctx, &fb), GLINT_OK);
    int32_t p32 = 32;
    glint_batch over{1, &tok, &p32, &s1, nullptr};
    EXPECT_EQ(glint_decode(l.ctx, &over), GLINT_ERR_CONTEXT_FULL);
}

TEST(CApi, ForkAndTruncate) {
    Loaded l;
    glint_context_params cp = glint_context_default_params();
    cp.n_ctx = 64;
    cp.n_seq_max = 2;
    load(l, cp);
    auto toks = tokenize(l.model, "Once upon a time");
    int32_t next = 0;
    ASSERT_EQ(glint_decode_sequence(l.ctx, 0, toks.data(), int32_t(toks.size()), 0, &next, nullptr), GLINT_OK);
    ASSERT_EQ(glint_kv_seq_fork(l.ctx, 0, 1), GLINT_OK);
    EXPECT_EQ(glint_kv_seq_len(l.ctx, 1), 5);
    int32_t t = 42;
    ASSERT_EQ(glint_decode_sequence(l.ctx, 1, &t, 1, 5, nullptr, nullptr), GLINT_OK);
    std::vector<float> forked(glint_get_logits(l.ctx, 0), glint_get_logits(l.ctx, 0) + 512);
    ASSERT_EQ(glint_kv_seq_truncate(l.ctx, 0, 5), GLINT_OK);
    ASSERT_EQ(glint_decode_sequence(l.ctx, 0, &t, 1, 5, nullptr, nullptr), GLINT_OK);
    std::vector<float> direct(glint_get_logits(l.ctx, 0), glint_get_logits(l.ctx, 0) + 512);
    EXPECT_EQ(forked, direct);
    EXPECT_EQ(glint_kv_seq_truncate(l.ctx, 7, 0), GLINT_ERR_INVALID_ARGUMENT);
}

TEST(CApi, ChatTemplateFallbackAndBufferSize) {
    Loaded l;
    load(l);
    glint_chat_message msgs[] = {{"system", "Be brief."}, {"user", "Hi"}};
    size_t len = 0;
    char tiny[8];
    EXPECT_EQ(glint_chat_apply_template(l.model, nullptr, msgs, 2, 1, tiny, sizeof tiny, &len),
              GLINT_ERR_INVALID_ARGUMENT);
    std::string out(len + 1, '\0');
    ASSERT_EQ(glint_chat_apply_template(l.model, nullptr, msgs, 2, 1, out.data(), out.size(), &len), GLINT_OK);
    out.resize(len);
    EXPECT_EQ(out, "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n");
    const char* bad = "{% if %}";
    EXPECT_NE(glint_chat_apply_template(l.model, bad, msgs, 2, 1, out.data(), out.size(), &len), GLINT_OK);
    EXPECT_STRNE(glint_last_error(), "");
}

TEST(CApi, SamplerParamsAreChecked) {
    glint_sampler_params sp = glint_sampler_default_params();
    EXPECT_EQ(glint_sampler_params_check(&sp), GLINT_OK);
    EXPECT_FLOAT_EQ(sp.temp, 0.8f);
    EXPECT_EQ(sp.top_k, 40);
    sp.top_p = 0;
    EXPECT_EQ(glint_sampler_params_check(&sp), GLINT_ERR_INVALID_ARGUMENT);
    EXPECT_NE(std::string(glint_last_error()).find("top-p"), std::string::npos);
}

TEST(CApi, ProgressCallbackCanCancel) {
    glint_model_params mp = glint_model_default_params();
    int calls = 0;
    mp.progress = [](float, void* u) -> int {
        ++*static_cast<int*>(u);
        return 0;
    };
    mp.progress_user = &calls;
    glint_model* m = nullptr;
    EXPECT_EQ(glint_model_load(bundled_model().c_str(), &mp, &m), GLINT_ERR_CANCELLED);
    EXPECT_EQ(m, nullptr);
    EXPECT_GE(calls, 1);
}

TEST(CApi, ErrorsAreKeptPerThread) {
    glint_model* m = nullptr;
    EXPECT_NE(glint_model_load("/nonexistent/a.gguf", nullptr, &m), GLINT_OK);
    std::string other;
    std::thread([&] { other = glint_last_error(); }).join();
    EXPECT_EQ(other, "");
    EXPECT_NE(std::string(glint_last_error()).find("/nonexistent/a.gguf"), std::string::npos);
}

}  // namespace
