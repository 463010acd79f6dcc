#include "tools/generate.h"

#include <csignal>
#include <cstdio>

#include "tools/common.h"

namespace glint::cli {

std::atomic<bool> g_interrupted{false};

void install_sigint_handler() {
    std::signal(SIGINT, [](int) { g_interrupted.store(true); });
}

std::vector<int32_t> tokenize(const glint_model* model, const std::string& text, bool add_special, bool parse_special) {
    std::vector<int32_t> ids(text.size() + 4);
    int32_t n = 0;
    glint_status st = glint_tokenize(model, text.data(), int64_t(text.size()), add_special, parse_special, ids.data(),
                                     int32_t(ids.size()), &n);
    if (st == GLINT_ERR_INVALID_ARGUMENT && n > int32_t(ids.size())) {  // buffer too small: retry at the size needed
        ids.resize(size_t(n));
        st = glint_tokenize(model, text.data(), int64_t(text.size()), add_special, parse_special, ids.data(), n, &n);
    }
    check(st);
    ids.resize(size_t(n));
    return ids;
}

std::string Utf8Stream::push(const std::string& bytes) {
    pending_ += bytes;
    // Find where the last (possibly incomplete) sequence starts.
    size_t cut = pending_.size();
    for (size_t back = 1; back <= 4 && back <= pending_.size(); ++back) {
        const unsigned char c = static_cast<unsigned char>(pending_[pending_.size() - back]);
        if ((c & 0xC0) == 0x80) continue;  // continuation byte
        const size_t need = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
        if (need > back) cut = pending_.size() - back;  // incomplete: hold it back
        break;
    }
    std::string out = pending_.substr(0, cut);
    pending_.erase(0, cut);
    return out;
}

std::string Utf8Stream::flush() {
    std::string out;
    out.swap(pending_);
    return out;
}

GenStats generate(glint_context* ctx, const glint_model* model, glint_sampler* smp, const std::vector<int32_t>& prompt,
                  int32_t n_predict, const std::function<void(const std::string&)>& emit,
                  std::vector<float>* all_logits) {
    const int32_t n_vocab = glint_model_n_vocab(model);
    const int32_t n_ctx = glint_context_get_params(ctx).n_ctx;
    GenStats st;
    st.n_prompt = int32_t(prompt.size());
    const double t0 = now_ms();

    int32_t pos = glint_kv_seq_len(ctx, 0);
    if (!prompt.empty()) {
        std::vector<int32_t> p(prompt.size()), seq(prompt.size(), 0);
        std::vector<int8_t> want(prompt.size(), all_logits ? 1 : 0);
        want.back() = 1;
        for (size_t i = 0; i < prompt.size(); ++i) p[i] = pos + int32_t(i);
        const glint_batch b{int32_t(prompt.size()), prompt.data(), p.data(), seq.data(), want.data()};
        check(glint_decode(ctx, &b));
        pos += int32_t(prompt.size());
        for (int32_t t : prompt) glint_sampler_accept(smp, t);
    }
    if (all_logits) {
        all_logits->resize(prompt.size() * size_t(n_vocab));
        for (size_t i = 0; i < prompt.size(); ++i)
            std::copy_n(glint_get_logits(ctx, int32_t(i)), n_vocab, all_logits->data() + i * size_t(n_vocab));
    }
    const double t1 = now_ms();
    st.prompt_ms = t1 - t0;

    Utf8Stream text;
    std::string piece(64, '\0');
    for (int32_t i = 0; n_predict < 0 || i < n_predict; ++i) {
        if (g_interrupted.load()) {
            st.interrupted = true;
            break;
        }
        const int32_t n_out = glint_n_logits(ctx);
        if (n_out == 0) break;
        int32_t id = 0;
        check(glint_sampler_sample(smp, glint_get_logits(ctx, n_out - 1), &id));
        glint_sampler_accept(smp, id);
        if (i == 0) st.ttft_ms = now_ms() - t0;
        if (glint_token_is_eog(model, id)) {
            st.hit_eog = true;
            break;
        }
        int32_t len = 0;
        if (glint_token_to_piece(model, id, piece.data(), piece.size(), &len) != GLINT_OK) {
            piece.resize(size_t(len) + 1);
            check(glint_token_to_piece(model, id, piece.data(), piece.size(), &len));
        }
        emit(text.push(piece.substr(0, size_t(len))));
        ++st.n_gen;
        if (pos >= n_ctx) {
            st.context_full = true;
            break;
        }
        check(glint_decode_sequence(ctx, 0, &id, 1, pos++, nullptr, nullptr));
    }
    emit(text.flush());
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
