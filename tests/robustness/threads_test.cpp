// One model shared by contexts on several threads at once (the C API's
// promise): each generation must equal, token for token and logit for logit,
// what the same work gives alone. Contexts use 2 OpenMP threads each, so the
// threaded kernels run inside concurrent host threads. Also run under
// ThreadSanitizer (tests/FUZZING.md, .ci/run).
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "glint.h"
#include "tests/robustness/tiny_model.h"

namespace glint::test {
namespace {

struct Job {
    std::string prompt;
    uint32_t seed;
    int32_t n_seq = 1;  // >1: the job also forks and decodes a batch over several sequences
};

struct Result {
    std::vector<int32_t> tokens;
    std::vector<float> last_logits;
    std::string error;
};

constexpr int32_t kGenerate = 40;

Result run_job(const glint_model* model, const Job& job) {
    Result r;
    glint_context* ctx = nullptr;
    glint_sampler* smp = nullptr;
    auto fail = [&](const char* what) {
        r.error = std::string(what) + ": " + glint_last_error();
        return r;
    };
    glint_context_params cp = glint_context_default_params();
    cp.n_ctx = 128;
    cp.n_threads = 2;
    cp.n_seq_max = job.n_seq;
    if (glint_context_create(model, &cp, &ctx) != GLINT_OK) return fail("context");
    glint_sampler_params sp = glint_sampler_default_params();
    sp.seed = job.seed;
    sp.repeat_penalty = 1.1f;
    if (glint_sampler_create(model, &sp, &smp) != GLINT_OK) return fail("sampler");

    std::vector<int32_t> ids(256);
    int32_t n = 0;
    if (glint_tokenize(model, job.prompt.c_str(), -1, 1, 0, ids.data(), 256, &n) != GLINT_OK) return fail("tokenize");
    ids.resize(size_t(n));
    int32_t next = 0, pos = n;
    if (glint_decode_sequence(ctx, 0, ids.data(), n, 0, &next, smp) != GLINT_OK) return fail("prompt");
    for (int32_t i = 0; i < kGenerate && pos < cp.n_ctx; ++i) {
        r.tokens.push_back(next);
        if (glint_decode_sequence(ctx, 0, &next, 1, pos++, &next, smp) != GLINT_OK) return fail("generate");
    }
    if (job.n_seq > 1) {
        // fork the conversation into the other sequences and step them all in one batch
        std::vector<int32_t> tok, p, s;
        for (int32_t q = 1; q < job.n_seq; ++q) {
            if (glint_kv_seq_fork(ctx, 0, q) != GLINT_OK) return fail("fork");
            tok.push_back((next + q * 37) % glint_model_n_vocab(model));
            p.push_back(pos);
            s.push_back(q);
        }
        std::vector<int8_t> want(tok.size(), 1);
        const glint_batch b{int32_t(tok.size()), tok.data(), p.data(), s.data(), want.data()};
        if (glint_decode(ctx, &b) != GLINT_OK) return fail("batch");
        for (int32_t i = 0; i < glint_n_logits(ctx); ++i) {
            const float* l = glint_get_logits(ctx, i);
            r.last_logits.insert(r.last_logits.end(), l, l + glint_model_n_vocab(model));
        }
    } else {
        const float* l = glint_get_logits(ctx, 0);
        r.last_logits.assign(l, l + glint_model_n_vocab(model));
    }
    glint_sampler_free(smp);
    glint_context_free(ctx);
    return r;
}

void expect_same(const Result& alone, const Result& together, const std::string& what) {
    ASSERT_EQ(together.error, "") << what;
    EXPECT_EQ(together.tokens, alone.tokens) << what;
    ASSERT_EQ(together.last_logits.size(), alone.last_logits.size()) << what;
    EXPECT_EQ(std::memcmp(together.last_logits.data(), alone.last_logits.data(), alone.last_logits.size() * 4), 0)
        << what << ": logits differ from the single-threaded run";
}

TEST(Threads, ContextsOnOneSharedModelGiveTheirSingleThreadedResults) {
    glint_model* model = nullptr;
    ASSERT_EQ(glint_model_load(bundled_model().c_str(), nullptr, &model), GLINT_OK) << glint_last_error();
    const std::vector<Job> jobs = {
        {"Once upon a time, there was a little dog named Max who liked to run in the park", 11},
        {"The sun was shining and the birds were singing when Lily found a shiny red ball", 22, 3},
        {"Tom had a big box of toys", 33},
    };
    std::vector<Result> alone;
    for (const Job& j : jobs) {
        alone.push_back(run_job(model, j));
        ASSERT_EQ(alone.back().error, "");
        ASSERT_EQ(alone.back().tokens.size(), size_t(kGenerate));
    }
    // different jobs must differ, or equality below would prove nothing
    EXPECT_NE(alone[0].tokens, alone[1].tokens);

    for (int round = 0; round < 3; ++round) {
        // two threads at once, then all three
        for (size_t n_threads : {size_t(2), jobs.size()}) {
            std::vector<Result> together(n_threads);
            std::vector<std::thread> th;
            for (size_t i = 0; i < n_threads; ++i)
                th.emplace_back([&, i] { together[i] = run_job(model, jobs[i]); });
            for (auto& t : th) t.join();
            for (size_t i = 0; i < n_threads; ++i)
                expect_same(alone[i], together[i],
                            "round " + std::to_string(round) + ", job " + std::to_string(i) + " of " +
                                std::to_string(n_threads));
        }
    }
    glint_model_free(model);
}

TEST(Threads, LastErrorIsPerThread) {
    glint_model* m = nullptr;
    std::string other;
    std::thread t([&] {
        glint_model* mm = nullptr;
        EXPECT_NE(glint_model_load("/nonexistent-thread.gguf", nullptr, &mm), GLINT_OK);
        other = glint_last_error();
    });
    t.join();
    EXPECT_NE(glint_model_load("/nonexistent-main.gguf", nullptr, &m), GLINT_OK);
    EXPECT_EQ(std::string(glint_last_error()), "/nonexistent-main.gguf: cannot open: No such file or directory");
    EXPECT_EQ(other, "/nonexistent-thread.gguf: cannot open: No such file or directory");
}

}  // namespace
}  // namespace glint::test
