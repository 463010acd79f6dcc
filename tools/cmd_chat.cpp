// `glint chat`: interactive turns through the model's chat template. The
// conversation stays in the KV cache: each turn decodes only the new text.
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <memory>

#include "glint.h"
#include "tools/cli.h"
#include "tools/common.h"
#include "tools/generate.h"

namespace glint::cli {
namespace {

const char* kUsage = R"(usage: glint chat [options]

Reads user turns from stdin (one line each), answers through the model's chat
template, keeps the conversation in the KV cache. Ctrl-C stops a reply; Ctrl-D
(end of input) exits. Works with piped input.

  -m, --model FILE        GGUF model (default: the bundled stories260K.gguf)
      --system TEXT       system message
  -n, --n-predict N       most tokens per reply (default -1: until end of turn)
  -c, --ctx-size N        context size (default: the model's, at most 4096)
  -t, --threads N         threads (default: all cores)
      --temp X, --top-k N, --top-p X, --min-p X, --repeat-penalty X,
      --repeat-last-n N, -s/--seed N       sampling, as for `glint run`
      --kv-type T         KV cache type: f16 (default), f32, q8_0
  -nr, --no-repack        generation reads the weights from the file, without the packed copies
                          made for the CPU kernels (less memory, slower on AVX-512 VNNI)
      --chat-template-file FILE   use this Jinja template instead of the model's
  -v, --verbose           print the rendered prompt of each turn to stderr
  -h, --help              this help

A model without a chat template uses ChatML (<|im_start|>role ... <|im_end|>).
)";

const char* const kKvNames[] = {"f16", "f32", "q8_0"};

struct ChatOptions {
    std::string model, system, template_file;
    int32_t n_predict = -1, n_ctx = 0, n_threads = 0;
    glint_kv_type kv_type = GLINT_KV_F16;
    bool verbose = false, no_repack = false;
    glint_sampler_params sp = glint_sampler_default_params();
};

ChatOptions parse(int argc, char** argv) {
    ChatOptions o;
    ArgReader a(argc, argv);
    std::string opt;
    while (a.next(opt)) {
        if (opt == "-m" || opt == "--model") o.model = a.str();
        else if (opt == "--system") o.system = a.str();
        else if (opt == "-n" || opt == "--n-predict") o.n_predict = int32_t(a.integer(-1, INT32_MAX));
        else if (opt == "-c" || opt == "--ctx-size") o.n_ctx = int32_t(a.integer(0, INT32_MAX));
        else if (opt == "-t" || opt == "--threads") o.n_threads = int32_t(a.integer(1, 1024));
        else if (opt == "--temp") o.sp.temp = float(a.real());
        else if (opt == "--top-k") o.sp.top_k = int32_t(a.integer(0, INT32_MAX));
        else if (opt == "--top-p") o.sp.top_p = float(a.real());
        else if (opt == "--min-p") o.sp.min_p = float(a.real());
        else if (opt == "--repeat-penalty") o.sp.repeat_penalty = float(a.real());
        else if (opt == "--repeat-last-n") o.sp.repeat_last_n = int32_t(a.integer(0, INT32_MAX));
        else if (opt == "-s" || opt == "--seed") o.sp.seed = uint32_t(a.integer(0, 0xFFFFFFFFll));
        else if (opt == "--chat-template-file") o.template_file = a.str();
        else if (opt == "--kv-type") {
            const std::string s = a.str();
            bool ok = false;
            for (int i = 0; i < 3; ++i)
                if (s == kKvNames[i]) o.kv_type = glint_kv_type(i), ok = true;
            if (!ok) throw UsageError("--kv-type must be f16, f32 or q8_0, got '" + s + "'");
        } else if (opt == "-v" || opt == "--verbose") o.verbose = true;
        else if (opt == "-nr" || opt == "--no-repack") o.no_repack = true;
        else throw UsageError("unknown option '" + opt + "'");
    }
    if (glint_sampler_params_check(&o.sp) != GLINT_OK) throw UsageError(glint_last_error());
    if (o.model.empty()) o.model = default_model_path();
    return o;
}

// Holds the conversation and what of its rendering the KV cache already holds.
class Conversation {
public:
    Conversation(glint_model* model, glint_context* ctx, std::string tmpl, bool verbose)
        : model_(model), ctx_(ctx), tmpl_(std::move(tmpl)), verbose_(verbose) {}

    void add(std::string role, std::string content) { messages_.push_back({std::move(role), std::move(content)}); }

    // Tokens of the text the cache does not hold yet, up to the assistant's turn.
    std::vector<int32_t> pending_prompt() { return tokens_since(render(true)); }

    // After a reply: record it, and decode what the template puts after it
    // (end-of-turn markers) so the next turn continues from the cache.
    void finish_reply(const std::string& reply, const std::string& rendered_before_reply) {
        add("assistant", reply);
        const std::string full = render(false);
        const std::string held = rendered_before_reply + reply;
        if (full.compare(0, held.size(), held) == 0) {
            held_ = held;
            const std::vector<int32_t> rest = tokens_since(full);
            if (!rest.empty()) check(glint_decode_sequence(ctx_, 0, rest.data(), int32_t(rest.size()),
                                                           glint_kv_seq_len(ctx_, 0), nullptr, nullptr));
        } else {
            held_.clear();  // the template rewrote history: re-read it next turn
            check(glint_kv_seq_remove(ctx_, 0));
        }
    }

    const std::string& held() const { return held_; }

private:
    std::string render(bool add_generation_prompt) {
        std::vector<glint_chat_message> msgs;
        for (const auto& m : messages_) msgs.push_back({m.first.c_str(), m.second.c_str()});
        const char* t = tmpl_.empty() ? nullptr : tmpl_.c_str();
        size_t len = 0;
        std::string out(4096, '\0');
        glint_status st = glint_chat_apply_template(model_, t, msgs.data(), msgs.size(), add_generation_prompt,
                                                    out.data(), out.size(), &len);
        if (st != GLINT_OK && len + 1 > out.size()) {  // buffer too small: retry at the size needed
            out.resize(len + 1);
            st = glint_chat_apply_template(model_, t, msgs.data(), msgs.size(), add_generation_prompt, out.data(),
                                           out.size(), &len);
        }
        check(st);
        out.resize(len);
        return out;
    }

    std::vector<int32_t> tokens_since(const std::string& full) {
        if (full.compare(0, held_.size(), held_) != 0) {  // history changed: start over
            held_.clear();
            check(glint_kv_seq_remove(ctx_, 0));
        }
        const std::string add_text = full.substr(held_.size());
        const bool first = held_.empty();
        // Templates usually write BOS themselves: on the first turn ask for
        // BOS, then drop a doubled one.
        std::vector<int32_t> ids = tokenize(model_, add_text, first, true);
        const int32_t bos = glint_token_bos(model_);
        if (first && ids.size() >= 2 && ids[0] == bos && ids[1] == bos) ids.erase(ids.begin());
        if (verbose_) std::fprintf(stderr, "[prompt +%zu tokens]%s\n", ids.size(), add_text.c_str());
        held_ = full;
        return ids;
    }

    glint_model* model_;
    glint_context* ctx_;
    std::string tmpl_;
    bool verbose_;
    std::vector<std::pair<std::string, std::string>> messages_;
    std::string held_;  // rendered text whose tokens the cache holds
};

int chat(int argc, char** argv) {
    ChatOptions o;
    if (int rc; !parse_args("chat", kUsage, argc, argv, parse, o, rc)) return rc;
    glint_model* model = nullptr;
    glint_context* ctx = nullptr;
    glint_sampler* smp = nullptr;
    int rc = 0;
    try {
        const double t0 = now_ms();
        check(glint_model_load(o.model.c_str(), nullptr, &model));
        glint_context_params cp = glint_context_default_params();
        cp.n_ctx = o.n_ctx;
        cp.n_threads = o.n_threads;
        cp.kv_type = o.kv_type;
        cp.pack_weights = !o.no_repack;
        check(glint_context_create(model, &cp, &ctx));
        const double load_ms = now_ms() - t0;
        const int32_t n_ctx = glint_context_get_params(ctx).n_ctx;

        std::string tmpl = o.template_file.empty() ? "" : read_file(o.template_file);
        size_t tlen = 0;
        if (tmpl.empty() && glint_model_meta(model, "tokenizer.chat_template", nullptr, 0, &tlen) == GLINT_ERR_INVALID_ARGUMENT &&
            tlen == 0)
            std::fprintf(stderr, "note: %s has no chat template; using ChatML\n", o.model.c_str());
        Conversation conv(model, ctx, tmpl, o.verbose);
        if (!o.system.empty()) conv.add("system", o.system);
        check(glint_sampler_create(model, &o.sp, &smp));

        install_sigint_handler();
        const bool tty = isatty(STDIN_FILENO);
        GenStats total;
        std::string line;
        while (true) {
            if (tty) {
                std::fputs("> ", stdout);
                std::fflush(stdout);
            }
            if (!std::getline(std::cin, line)) break;  // Ctrl-D / end of input
            if (line.empty()) continue;
            conv.add("user", line);
            std::vector<int32_t> prompt = conv.pending_prompt();
            const std::string before_reply = conv.held();
            const int32_t used = glint_kv_seq_len(ctx, 0);
            if (used + int64_t(prompt.size()) >= n_ctx)
                throw std::runtime_error("the conversation no longer fits the context of " + std::to_string(n_ctx) +
                                         " tokens (raise -c or start a new chat)");
            int32_t budget = n_ctx - used - int32_t(prompt.size());
            if (o.n_predict >= 0) budget = std::min(budget, o.n_predict);
            std::string reply;
            g_interrupted.store(false);
            GenStats st = generate(ctx, model, smp, prompt, budget, [&](const std::string& s) {
                reply += s;
                std::fputs(s.c_str(), stdout);
                std::fflush(stdout);
            });
            std::fputs("\n", stdout);
            std::fflush(stdout);
            total.n_prompt += st.n_prompt;
            total.n_gen += st.n_gen;
            total.prompt_ms += st.prompt_ms;
            total.gen_ms += st.gen_ms;
            if (total.ttft_ms == 0) total.ttft_ms = st.ttft_ms;
            if (st.context_full && !st.hit_eog) {
                print_timings(total, load_ms);
                throw std::runtime_error("the context of " + std::to_string(n_ctx) + " tokens is full (raise -c)");
            }
            conv.finish_reply(reply, before_reply);
        }
        print_timings(total, load_ms);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "glint chat: %s\n", e.what());
        rc = 1;
    }
    glint_sampler_free(smp);
    glint_context_free(ctx);
    glint_model_free(model);
    return rc;
}

const Registration reg("chat", "chat through the model's chat template", &chat,
                       [](int c, char** v) { (void)parse(c, v); });

}  // namespace
}  // namespace glint::cli
