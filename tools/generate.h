// The prompt -> tokens -> text loop shared by `run` and `chat`.
#pragma once
#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "engine/context.h"
#include "engine/sampler.h"

namespace glint::cli {

struct GenStats {
    int32_t n_prompt = 0, n_gen = 0;
    double prompt_ms = 0, gen_ms = 0, ttft_ms = 0;
    bool hit_eog = false, context_full = false, interrupted = false;
};

// Set by the SIGINT handler: generation stops after the current token.
extern std::atomic<bool> g_interrupted;
void install_sigint_handler();

// Decodes `prompt` on sequence 0 (continuing what the cache holds), then
// samples up to n_predict tokens (-1: until end of generation or a full
// context), passing each piece of text to `emit` as soon as it is complete.
// Fills `all_logits` with every prompt position's logits when non-null.
GenStats generate(Context& ctx, Sampler& sampler, const std::vector<int32_t>& prompt, int32_t n_predict,
                  const std::function<void(const std::string&)>& emit, std::vector<float>* all_logits = nullptr,
                  std::vector<int32_t>* generated = nullptr);

void print_timings(const GenStats& s, double load_ms);

}  // namespace glint::cli
