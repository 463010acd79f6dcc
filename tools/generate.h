// The prompt -> tokens -> text loop shared by `run` and `chat`, on the public C API.
#pragma once
#include <atomic>
#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "glint.h"

namespace glint::cli {

// A failed API call, carrying glint_last_error().
struct ApiError : std::runtime_error {
    glint_status status;
    ApiError(glint_status s, const std::string& msg) : std::runtime_error(msg), status(s) {}
};
inline void check(glint_status s) {
    if (s != GLINT_OK) throw ApiError(s, glint_last_error());
}

std::vector<int32_t> tokenize(const glint_model* model, const std::string& text, bool add_special, bool parse_special);

// Holds back bytes of an incomplete UTF-8 sequence until it completes, so a
// token that ends mid-character prints nothing yet.
class Utf8Stream {
public:
    std::string push(const std::string& bytes);
    std::string flush();  // whatever is left, incomplete or not
private:
    std::string pending_;
};

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
// context), passing text to `emit` as soon as it is complete UTF-8. Fills
// `all_logits` with every prompt position's logits when non-null.
GenStats generate(glint_context* ctx, const glint_model* model, glint_sampler* smp, const std::vector<int32_t>& prompt,
                  int32_t n_predict, const std::function<void(const std::string&)>& emit,
                  std::vector<float>* all_logits = nullptr);

void print_timings(const GenStats& s, double load_ms);

}  // namespace glint::cli
