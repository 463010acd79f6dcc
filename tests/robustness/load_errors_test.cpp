// Library error paths through the C API: every bad model file, bad prompt
// and bad parameter gives its status and a message naming the problem.
#include <limits>

#include <gtest/gtest.h>

#include "engine/tokenizer/tokenizer.h"
#include "glint.h"
#include "tests/robustness/bad_models.h"

namespace glint::test {
namespace {

TEST(LoadErrors, EveryBadModelFileGivesItsStatusAndMessage) {
    ScratchDir dir;
    for (const BadModel& b : make_bad_models(dir.path)) {
        SCOPED_TRACE(b.what);
        glint_model* m = reinterpret_cast<glint_model*>(&dir);  // must be reset to NULL
        EXPECT_EQ(glint_model_load(b.path.c_str(), nullptr, &m), b.status) << glint_last_error();
        EXPECT_EQ(m, nullptr);
        EXPECT_EQ(std::string(glint_last_error()), b.message);
    }
}

class WithModel : public ::testing::Test {
protected:
    void SetUp() override {
        ASSERT_EQ(glint_model_load(bundled_model().c_str(), nullptr, &model), GLINT_OK) << glint_last_error();
    }
    void TearDown() override {
        glint_context_free(ctx);
        glint_model_free(model);
    }
    std::vector<int32_t> tokenize(const std::string& text) {
        std::vector<int32_t> ids(text.size() + 8);
        int32_t n = 0;
        EXPECT_EQ(glint_tokenize(model, text.data(), int64_t(text.size()), 1, 0, ids.data(), int32_t(ids.size()), &n),
                  GLINT_OK)
            << glint_last_error();
        ids.resize(size_t(n));
        return ids;
    }
    glint_model* model = nullptr;
    glint_context* ctx = nullptr;
};

TEST_F(WithModel, PromptLongerThanTheContextIsContextFullAndChangesNothing) {
    glint_context_params cp = glint_context_default_params();
    cp.n_ctx = 16;
    ASSERT_EQ(glint_context_create(model, &cp, &ctx), GLINT_OK) << glint_last_error();
    const std::vector<int32_t> ids = tokenize("Once upon a time there was a little girl named Lily who loved to play");
    ASSERT_GT(ids.size(), 16u);
    EXPECT_EQ(glint_decode_sequence(ctx, 0, ids.data(), int32_t(ids.size()), 0, nullptr, nullptr),
              GLINT_ERR_CONTEXT_FULL);
    EXPECT_EQ(std::string(glint_last_error()), "sequence 0 would hold " + std::to_string(ids.size()) +
                                                   " positions, more than the context size 16");
    EXPECT_EQ(glint_kv_seq_len(ctx, 0), 0);
    // the context still works
    EXPECT_EQ(glint_decode_sequence(ctx, 0, ids.data(), 16, 0, nullptr, nullptr), GLINT_OK) << glint_last_error();
}

// Defined behaviour: text is bytes. Invalid UTF-8 never fails; each bad byte
// becomes its SentencePiece byte token (<0xNN>), and decoding gives the bytes back.
TEST_F(WithModel, InvalidUtf8PromptTokenizesToByteTokens) {
    const std::string text = "ab\xff\xfe\xc3(\xed\xa0\x80";
    const std::vector<int32_t> ids = tokenize(text);
    ASSERT_FALSE(ids.empty());
    std::string back(64, '\0');
    size_t len = 0;
    ASSERT_EQ(glint_detokenize(model, ids.data(), int32_t(ids.size()), back.data(), back.size(), &len), GLINT_OK)
        << glint_last_error();
    back.resize(len);
    EXPECT_EQ(back, text);
    for (const char* byte_tok : {"<0xFF>", "<0xFE>", "<0xC3>", "<0xED>", "<0xA0>", "<0x80>"}) {
        bool found = false;
        for (int32_t id : ids) {
            char piece[16];
            int32_t n = 0;
            ASSERT_EQ(glint_token_to_piece(model, id, piece, sizeof piece, &n), GLINT_OK);
            found |= std::string(piece, size_t(n)) == std::string(1, char(std::stoi(byte_tok + 3, nullptr, 16)));
        }
        EXPECT_TRUE(found) << byte_tok;
    }
    // and it decodes and samples like any prompt
    glint_context_params cp = glint_context_default_params();
    cp.n_ctx = 64;
    ASSERT_EQ(glint_context_create(model, &cp, &ctx), GLINT_OK);
    glint_sampler* smp = nullptr;
    glint_sampler_params sp = glint_sampler_default_params();
    sp.seed = 1;
    ASSERT_EQ(glint_sampler_create(model, &sp, &smp), GLINT_OK);
    int32_t next = -1;
    EXPECT_EQ(glint_decode_sequence(ctx, 0, ids.data(), int32_t(ids.size()), 0, &next, smp), GLINT_OK)
        << glint_last_error();
    EXPECT_GE(next, 0);
    glint_sampler_free(smp);
}

TEST_F(WithModel, OutOfRangeTokenIdsAndPositionsAreRejected) {
    ASSERT_EQ(glint_context_create(model, nullptr, &ctx), GLINT_OK);
    const int32_t bad[] = {1, 512};
    EXPECT_EQ(glint_decode_sequence(ctx, 0, bad, 2, 0, nullptr, nullptr), GLINT_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(std::string(glint_last_error()), "decode: token id 512 out of range (vocabulary has 512)");
    const int32_t ok[] = {1};
    EXPECT_EQ(glint_decode_sequence(ctx, 0, ok, 1, 5, nullptr, nullptr), GLINT_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(std::string(glint_last_error()), "decode: sequence 0 expects position 0, got 5");
    EXPECT_EQ(glint_decode_sequence(ctx, 3, ok, 1, 0, nullptr, nullptr), GLINT_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(std::string(glint_last_error()), "decode: sequence id 3 out of range (context has 1 sequences)");
    EXPECT_EQ(glint_kv_seq_len(ctx, 0), 0);
}

TEST(SamplingErrors, OutOfRangeValuesAreNamed) {
    struct Case {
        void (*set)(glint_sampler_params&);
        const char* message;
    };
    const Case cases[] = {
        {[](glint_sampler_params& p) { p.temp = -0.5f; }, "temperature must be >= 0, got -0.500000"},
        {[](glint_sampler_params& p) { p.top_p = 1.5f; }, "top-p must be in (0, 1], got 1.500000"},
        {[](glint_sampler_params& p) { p.min_p = -1; }, "min-p must be in [0, 1], got -1.000000"},
        {[](glint_sampler_params& p) { p.top_k = -3; }, "top-k must be >= 0, got -3"},
        {[](glint_sampler_params& p) { p.repeat_penalty = 0; }, "repeat-penalty must be > 0, got 0.000000"},
        {[](glint_sampler_params& p) { p.repeat_last_n = -2; }, "repeat-last-n must be >= 0, got -2"},
        {[](glint_sampler_params& p) { p.temp = std::numeric_limits<float>::quiet_NaN(); }, "temperature must be >= 0, got nan"},
        {[](glint_sampler_params& p) { p.freq_penalty = std::numeric_limits<float>::infinity(); },
         "penalties must be finite"},
    };
    glint_model* model = nullptr;
    ASSERT_EQ(glint_model_load(bundled_model().c_str(), nullptr, &model), GLINT_OK);
    for (const Case& c : cases) {
        glint_sampler_params p = glint_sampler_default_params();
        c.set(p);
        EXPECT_EQ(glint_sampler_params_check(&p), GLINT_ERR_INVALID_ARGUMENT) << c.message;
        EXPECT_EQ(std::string(glint_last_error()), c.message);
        glint_sampler* s = reinterpret_cast<glint_sampler*>(model);
        EXPECT_EQ(glint_sampler_create(model, &p, &s), GLINT_ERR_INVALID_ARGUMENT) << c.message;
        EXPECT_EQ(s, nullptr);
    }
    glint_model_free(model);
}

}  // namespace
}  // namespace glint::test
