// Sampler chain, in the order users of llama.cpp know: penalties over the last
// N tokens -> top-k -> top-p -> min-p -> temperature -> seeded draw.
// Temperature 0 means greedy (argmax after penalties).
#pragma once
#include <cstdint>
#include <deque>
#include <random>
#include <string>
#include <vector>

namespace glint {

struct SamplerParams {
    float temp = 0.8f;
    int32_t top_k = 40;        // <= 0: off
    float top_p = 0.95f;       // 1: off
    float min_p = 0.05f;       // 0: off
    float repeat_penalty = 1.0f;  // 1: off
    float freq_penalty = 0.0f;
    float presence_penalty = 0.0f;
    int32_t repeat_last_n = 64;   // 0: off
    uint64_t seed = 0xFFFFFFFFu;  // 0xFFFFFFFF: a random seed
};

// Returns "" when valid, else a message naming the bad value.
std::string validate(const SamplerParams& p);

struct Candidate {
    int32_t id;
    float logit;
    float p;  // filled by softmax
};

namespace sampling {
// Each stage alone, on a candidate list (tests use them one by one).
void penalties(std::vector<Candidate>& c, const std::vector<int32_t>& recent, float repeat, float freq,
               float presence);
void top_k(std::vector<Candidate>& c, int32_t k);
void top_p(std::vector<Candidate>& c, float p);
void min_p(std::vector<Candidate>& c, float p);
void temperature(std::vector<Candidate>& c, float t);
void softmax(std::vector<Candidate>& c);  // sorts by logit, descending, and fills p
int32_t greedy(const std::vector<Candidate>& c);
int32_t draw(std::vector<Candidate>& c, std::mt19937& rng);
}  // namespace sampling

class Sampler {
public:
    Sampler(const SamplerParams& p, int32_t n_vocab);  // throws glint::Error on invalid params
    int32_t sample(const float* logits);  // does not record the token: call accept()
    void accept(int32_t token);
    void reset();  // forgets recent tokens, reseeds
    uint32_t seed() const { return seed_; }
    const SamplerParams& params() const { return p_; }

private:
    SamplerParams p_;
    int32_t n_vocab_;
    uint32_t seed_;
    std::mt19937 rng_;
    std::deque<int32_t> recent_;
    std::vector<Candidate> cands_;
    std::vector<int32_t> recent_vec_;
};

}  // namespace glint
