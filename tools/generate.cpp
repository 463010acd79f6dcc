#include "tools/generate.h"

#include <csignal>
#include <cstdio>

#include "tools/common.h"

namespace glint::cli {

std::atomic<bool> g_interrupted{false};

void install_sigint_handler() {
    std::signal(SIGINT, [](int) { g_interrupted.store(true); });
}

GenStats generate(Context& ctx, Sampler& sampler, const std::vector<int32_t>& prompt, int32_t n_predict,
                  const std::function<void(const std::string&)>& emit, std::vector<float>* all_logits,
                  std::vector<int32_t>* generated) {
    const Model& model = ctx.model();
    const Tokenizer& tok = model.tokenizer();
    const int32_t n_vocab = model.hparams().n_vocab;
    GenStats st;
    st.n_prompt = int32_t(prompt.size());
    const double t0 = now_ms();

    int32_t pos = ctx.kv().seq_len(0);
    std::vector<BatchToken> batch;
    for (size_t i = 0; i < prompt.size(); ++i)
        batch.push_back({prompt[i], pos++, 0, all_logits != nullptr || i + 1 == prompt.size()});
    for (int32_t t : prompt) sampler.accept(t);
    if (!batch.empty()) ctx.decode(batch);
    if (all_logits) {
        all_logits->resize(prompt.size() * size_t(n_vocab));
        for (size_t i = 0; i < prompt.size(); ++i)
            std::copy_n(ctx.logits(int32_t(i)), n_vocab, all_logits->data() + i * size_t(n_vocab));
    }
    const double t1 = now_ms();
    st.prompt_ms = t1 - t0;

    StreamDecoder dec(tok);
    const int32_t n_ctx = ctx.params().n_ctx;
    for (int32_t i = 0; n_predict < 0 || i < n_predict; ++i) {
        if (g_interrupted.load()) {
            st.interrupted = true;
            break;
        }
        if (ctx.n_logits() == 0) break;  // nothing decoded yet (empty prompt)
        const int32_t id = sampler.sample(ctx.logits(ctx.n_logits() - 1));
        sampler.accept(id);
        if (i == 0) st.ttft_ms = now_ms() - t0;
        if (generated) generated->push_back(id);
        if (tok.is_eog(id)) {
            st.hit_eog = true;
            break;
        }
        emit(dec.push(id));
        ++st.n_gen;
        if (pos >= n_ctx) {
            st.context_full = true;
            break;
        }
        ctx.decode({{id, pos++, 0, true}});
    }
    emit(dec.flush());
    st.gen_ms = now_ms() - t1;
    return st;
}

void print_timings(const GenStats& s, double load_ms) {
    std::fprintf(stderr, "\n\nload time       %10.2f ms\n", load_ms);
    std::fprintf(stderr, "prompt          %10.2f ms / %5d tokens (%8.2f tokens/s)\n", s.prompt_ms, s.n_prompt,
                 s.prompt_ms > 0 ? s.n_prompt * 1000.0 / s.prompt_ms : 0.0);
    std::fprintf(stderr, "generation      %10.2f ms / %5d tokens (%8.2f tokens/s)\n", s.gen_ms, s.n_gen,
                 s.gen_ms > 0 ? s.n_gen * 1000.0 / s.gen_ms : 0.0);
    std::fprintf(stderr, "first token     %10.2f ms\n", s.ttft_ms);
    if (s.context_full) std::fprintf(stderr, "stopped: the context is full\n");
    if (s.interrupted) std::fprintf(stderr, "stopped: interrupted\n");
}

}  // namespace glint::cli
