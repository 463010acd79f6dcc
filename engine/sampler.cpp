#include "engine/sampler.h"

#include <algorithm>
#include <cmath>
#include <unordered_map>

#include "gguf/error.h"

namespace glint {

std::string validate(const SamplerParams& p) {
    if (!(p.temp >= 0.0f) || !std::isfinite(p.temp)) return "temperature must be >= 0, got " + std::to_string(p.temp);
    if (p.top_k < 0) return "top-k must be >= 0, got " + std::to_string(p.top_k);
    if (!(p.top_p > 0.0f && p.top_p <= 1.0f)) return "top-p must be in (0, 1], got " + std::to_string(p.top_p);
    if (!(p.min_p >= 0.0f && p.min_p <= 1.0f)) return "min-p must be in [0, 1], got " + std::to_string(p.min_p);
    if (!(p.repeat_penalty > 0.0f) || !std::isfinite(p.repeat_penalty))
        return "repeat-penalty must be > 0, got " + std::to_string(p.repeat_penalty);
    if (!std::isfinite(p.freq_penalty) || !std::isfinite(p.presence_penalty)) return "penalties must be finite";
    if (p.repeat_last_n < 0) return "repeat-last-n must be >= 0, got " + std::to_string(p.repeat_last_n);
    return "";
}

namespace sampling {

void penalties(std::vector<Candidate>& c, const std::vector<int32_t>& recent, float repeat, float freq,
               float presence) {
    if (recent.empty() || (repeat == 1.0f && freq == 0.0f && presence == 0.0f)) return;
    std::unordered_map<int32_t, int32_t> count;
    for (int32_t t : recent) ++count[t];
    for (Candidate& x : c) {
        auto it = count.find(x.id);
        if (it == count.end()) continue;
        // Dividing a positive logit and multiplying a negative one both make it less likely.
        x.logit = x.logit > 0 ? x.logit / repeat : x.logit * repeat;
        x.logit -= float(it->second) * freq + presence;
    }
}

void softmax(std::vector<Candidate>& c) {
    std::sort(c.begin(), c.end(), [](const Candidate& a, const Candidate& b) { return a.logit > b.logit; });
    const float mx = c.front().logit;
    double sum = 0;
    for (Candidate& x : c) sum += (x.p = std::exp(x.logit - mx));
    for (Candidate& x : c) x.p = float(x.p / sum);
}

void top_k(std::vector<Candidate>& c, int32_t k) {
    if (k <= 0 || size_t(k) >= c.size()) return;
    std::partial_sort(c.begin(), c.begin() + k, c.end(),
                      [](const Candidate& a, const Candidate& b) { return a.logit > b.logit; });
    c.resize(size_t(k));
}

void top_p(std::vector<Candidate>& c, float p) {
    if (p >= 1.0f || c.size() <= 1) return;
    softmax(c);
    double cum = 0;
    size_t keep = c.size();
    for (size_t i = 0; i < c.size(); ++i) {
        cum += c[i].p;
        if (cum >= p) {
            keep = i + 1;
            break;
        }
    }
    c.resize(keep);
}

void min_p(std::vector<Candidate>& c, float p) {
    if (p <= 0.0f || c.size() <= 1) return;
    float mx = -INFINITY;
    for (const Candidate& x : c) mx = std::max(mx, x.logit);
    const float floor = mx + std::log(p);  // p_i >= p * p_max  <=>  logit_i >= logit_max + log p
    std::erase_if(c, [&](const Candidate& x) { return x.logit < floor; });
}

void temperature(std::vector<Candidate>& c, float t) {
    for (Candidate& x : c) x.logit /= t;
}

int32_t greedy(const std::vector<Candidate>& c) {
    return std::max_element(c.begin(), c.end(), [](const Candidate& a, const Candidate& b) {
               return a.logit < b.logit || (a.logit == b.logit && a.id > b.id);  // lowest id wins ties
           })->id;
}

int32_t draw(std::vector<Candidate>& c, std::mt19937& rng) {
    softmax(c);
    std::uniform_real_distribution<double> u(0.0, 1.0);
    double r = u(rng), cum = 0;
    for (const Candidate& x : c) {
        cum += x.p;
        if (r < cum) return x.id;
    }
    return c.back().id;
}

}  // namespace sampling

Sampler::Sampler(const SamplerParams& p, int32_t n_vocab) : p_(p), n_vocab_(n_vocab) {
    const std::string err = validate(p);
    if (!err.empty()) throw Error(ErrorCode::InvalidArgument, err);
    cands_.reserve(size_t(n_vocab));
    reset();
}

void Sampler::reset() {
    seed_ = p_.seed == 0xFFFFFFFFu ? std::random_device{}() : uint32_t(p_.seed);
    rng_.seed(seed_);
    recent_.clear();
}

void Sampler::accept(int32_t token) {
    if (p_.repeat_last_n <= 0) return;
    recent_.push_back(token);
    while (recent_.size() > size_t(p_.repeat_last_n)) recent_.pop_front();
}

int32_t Sampler::sample(const float* logits) {
    cands_.clear();
    for (int32_t i = 0; i < n_vocab_; ++i) cands_.push_back({i, logits[i], 0.0f});
    recent_vec_.assign(recent_.begin(), recent_.end());
    sampling::penalties(cands_, recent_vec_, p_.repeat_penalty, p_.freq_penalty, p_.presence_penalty);
    if (p_.temp <= 0.0f) return sampling::greedy(cands_);
    sampling::top_k(cands_, p_.top_k);
    sampling::top_p(cands_, p_.top_p);
    sampling::min_p(cands_, p_.min_p);
    sampling::temperature(cands_, p_.temp);
    return sampling::draw(cands_, rng_);
}

}  // namespace glint
