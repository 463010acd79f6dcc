// Sampler stages on hand-made logits, each alone and chained.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "engine/sampler.h"
#include "gguf/error.h"

namespace glint {
namespace {

std::vector<Candidate> cands(std::vector<float> logits) {
    std::vector<Candidate> c;
    for (size_t i = 0; i < logits.size(); ++i) c.push_back({int32_t(i), logits[i], 0});
    return c;
}

std::vector<int32_t> ids(std::vector<Candidate> c) {
    std::vector<int32_t> out;
    for (auto& x : c) out.push_back(x.id);
    std::sort(out.begin(), out.end());
    return out;
}

TEST(Sampler, TopKKeepsTheKLargest) {
    auto c = cands({1, 5, 3, 4, 2});
    sampling::top_k(c, 2);
    EXPECT_EQ(ids(c), (std::vector<int32_t>{1, 3}));
    auto all = cands({1, 2});
    sampling::top_k(all, 0);  // off
    EXPECT_EQ(all.size(), 2u);
}

TEST(Sampler, TopPKeepsSmallestSetReachingP) {
    // probabilities 0.5, 0.25, 0.125, 0.125 (logits as log of those)
    auto c = cands({std::log(0.5f), std::log(0.25f), std::log(0.125f), std::log(0.125f)});
    sampling::top_p(c, 0.7f);
    EXPECT_EQ(ids(c), (std::vector<int32_t>{0, 1}));
    auto d = cands({std::log(0.5f), std::log(0.25f), std::log(0.125f), std::log(0.125f)});
    sampling::top_p(d, 0.5f);
    EXPECT_EQ(ids(d), (std::vector<int32_t>{0}));
}

TEST(Sampler, MinPDropsTokensBelowFractionOfBest) {
    auto c = cands({std::log(0.6f), std::log(0.3f), std::log(0.05f), std::log(0.05f)});
    sampling::min_p(c, 0.1f);  // floor: 0.06
    EXPECT_EQ(ids(c), (std::vector<int32_t>{0, 1}));
}

TEST(Sampler, TemperatureScalesLogits) {
    auto c = cands({2, -4});
    sampling::temperature(c, 2.0f);
    EXPECT_FLOAT_EQ(c[0].logit, 1.0f);
    EXPECT_FLOAT_EQ(c[1].logit, -2.0f);
}

TEST(Sampler, PenaltiesPushRecentTokensDown) {
    auto c = cands({2, -2, 1});
    sampling::penalties(c, {0, 1, 0}, 2.0f, 0.5f, 0.25f);
    EXPECT_FLOAT_EQ(c[0].logit, 2.0f / 2 - 2 * 0.5f - 0.25f);  // seen twice
    EXPECT_FLOAT_EQ(c[1].logit, -2.0f * 2 - 0.5f - 0.25f);     // negative: multiplied
    EXPECT_FLOAT_EQ(c[2].logit, 1.0f);                         // unseen
}

TEST(Sampler, ZeroTemperatureIsGreedyAfterPenalties) {
    SamplerParams p;
    p.temp = 0;
    p.repeat_penalty = 4.0f;
    Sampler s(p, 3);
    const float logits[3] = {3.0f, 2.0f, 0.5f};
    EXPECT_EQ(s.sample(logits), 0);
    s.accept(0);
    EXPECT_EQ(s.sample(logits), 1);  // 3/4 < 2
}

TEST(Sampler, SameSeedSameTokens) {
    SamplerParams p;
    p.seed = 1234;
    p.top_k = 0;
    p.top_p = 1.0f;
    p.min_p = 0.0f;
    p.temp = 1.0f;
    std::vector<float> logits(64);
    for (size_t i = 0; i < logits.size(); ++i) logits[i] = std::sin(float(i));
    auto run = [&](uint64_t seed) {
        SamplerParams q = p;
        q.seed = seed;
        Sampler s(q, 64);
        std::vector<int32_t> out;
        for (int i = 0; i < 50; ++i) out.push_back(s.sample(logits.data()));
        return out;
    };
    EXPECT_EQ(run(1234), run(1234));
    EXPECT_NE(run(1234), run(99));
}

TEST(Sampler, DrawFollowsTheDistribution) {
    SamplerParams p;
    p.seed = 7;
    p.top_k = 0;
    p.top_p = 1.0f;
    p.min_p = 0.0f;
    p.temp = 1.0f;
    Sampler s(p, 2);
    const float logits[2] = {std::log(0.8f), std::log(0.2f)};
    int zeros = 0;
    for (int i = 0; i < 10000; ++i) zeros += s.sample(logits) == 0;
    EXPECT_NEAR(zeros / 10000.0, 0.8, 0.02);
}

TEST(Sampler, ChainAppliesTopKBeforeDraw) {
    SamplerParams p;
    p.seed = 3;
    p.top_k = 1;
    Sampler s(p, 4);
    const float logits[4] = {0.1f, 0.3f, 0.2f, 0.25f};
    for (int i = 0; i < 20; ++i) EXPECT_EQ(s.sample(logits), 1);
}

TEST(Sampler, DefaultsMatchTheReferenceEngine) {
    SamplerParams p;
    EXPECT_EQ(p.top_k, 40);
    EXPECT_FLOAT_EQ(p.top_p, 0.95f);
    EXPECT_FLOAT_EQ(p.min_p, 0.05f);
    EXPECT_FLOAT_EQ(p.temp, 0.8f);
    EXPECT_FLOAT_EQ(p.repeat_penalty, 1.0f);
    EXPECT_EQ(p.repeat_last_n, 64);
}

TEST(Sampler, InvalidParametersAreNamed) {
    SamplerParams p;
    p.top_p = 1.5f;
    EXPECT_NE(validate(p).find("top-p"), std::string::npos);
    p = {};
    p.temp = -1;
    EXPECT_NE(validate(p).find("temperature"), std::string::npos);
    p = {};
    p.min_p = -0.1f;
    EXPECT_THROW(Sampler(p, 10), Error);
}

}  // namespace
}  // namespace glint
