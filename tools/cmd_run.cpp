// `glint run`: generate text from a prompt, streaming it to stdout.
#include <cstdio>
#include <fstream>
#include <memory>

#include "glint.h"
#include "tools/cli.h"
#include "tools/common.h"
#include "tools/generate.h"

namespace glint::cli {
namespace {

const char* kUsage = R"(usage: glint run [options]

Generates text from a prompt and streams it to stdout; timings go to stderr.

  -m, --model FILE        GGUF model (default: the bundled stories260K.gguf)
  -p, --prompt TEXT       prompt text (default: empty, generation starts from BOS)
  -f, --file FILE         read the prompt from a file
  -n, --n-predict N       tokens to generate (default 256; -1: until end of text or a full context)
  -c, --ctx-size N        context size in tokens (default: the model's, at most 4096)
  -b, --batch-size N      tokens per forward pass while reading the prompt (default 512)
  -t, --threads N         threads (default: all cores)
      --temp X            temperature (default 0.8; 0 = greedy)
      --top-k N           top-k (default 40; 0 = off)
      --top-p X           top-p (default 0.95; 1 = off)
      --min-p X           min-p (default 0.05; 0 = off)
      --repeat-penalty X  repetition penalty (default 1.0 = off)
      --repeat-last-n N   tokens the penalties look back over (default 64)
      --frequency-penalty X, --presence-penalty X   (default 0)
  -s, --seed N            sampler seed (default: random)
      --no-bos            do not add the BOS token
      --no-display-prompt print only the generated text
  -ngl, --n-gpu-layers N  run the last N layers on the GPU through Vulkan (999: all, and the output
                          head); GLINT_VK_DEVICE=<index> picks the device (see glint devices)
      --kv-type T         KV cache type: f16 (default), f32, q8_0
  -nr, --no-repack        generation reads the weights from the file, without the packed copies
                          made for the CPU kernels (less memory, slower on AVX-512 VNNI)
      --logits-out FILE   write raw float32 logits of every prompt position, [n_prompt][n_vocab]
  -v, --verbose           print model and run details to stderr
  -h, --help              this help
)";

const char* const kKvNames[] = {"f16", "f32", "q8_0"};

// --kv-type value -> API enum; false when unknown.
bool parse_kv(const std::string& s, glint_kv_type& out) {
    for (int i = 0; i < 3; ++i)
        if (s == kKvNames[i]) {
            out = glint_kv_type(i);
            return true;
        }
    return false;
}

struct RunOptions {
    std::string model, prompt, prompt_file, logits_out;
    bool have_prompt = false, no_bos = false, no_repack = false, display_prompt = true, verbose = false;
    int32_t n_predict = 256, n_ctx = 0, n_batch = 512, n_threads = 0, n_gpu_layers = 0;
    glint_kv_type kv_type = GLINT_KV_F16;
    glint_sampler_params sp = glint_sampler_default_params();
};

// Library messages on stderr: warnings (such as GPU offload falling back to
// the CPU) always, the rest (offload placement, GPU timings) with --verbose.
// Installed once and left in place (the library keeps replaced sinks alive).
bool g_log_verbose = false;
void log_to_stderr(glint_log_level level, const char* msg, void*) {
    if (level >= GLINT_LOG_WARN || g_log_verbose) std::fprintf(stderr, "glint: %s\n", msg);
}

RunOptions parse(int argc, char** argv) {
    RunOptions o;
    ArgReader a(argc, argv);
    std::string opt;
    while (a.next(opt)) {
        if (opt == "-m" || opt == "--model") o.model = a.str();
        else if (opt == "-p" || opt == "--prompt") { o.prompt = a.str(); o.have_prompt = true; }
        else if (opt == "-f" || opt == "--file") o.prompt_file = a.str();
        else if (opt == "-n" || opt == "--n-predict") o.n_predict = int32_t(a.integer(-1, INT32_MAX));
        else if (opt == "-c" || opt == "--ctx-size") o.n_ctx = int32_t(a.integer(0, INT32_MAX));
        else if (opt == "-b" || opt == "--batch-size") o.n_batch = int32_t(a.integer(1, INT32_MAX));
        else if (opt == "-t" || opt == "--threads") o.n_threads = int32_t(a.integer(1, 1024));
        else if (opt == "--temp") o.sp.temp = float(a.real());
        else if (opt == "--top-k") o.sp.top_k = int32_t(a.integer(0, INT32_MAX));
        else if (opt == "--top-p") o.sp.top_p = float(a.real());
        else if (opt == "--min-p") o.sp.min_p = float(a.real());
        else if (opt == "--repeat-penalty") o.sp.repeat_penalty = float(a.real());
        else if (opt == "--repeat-last-n") o.sp.repeat_last_n = int32_t(a.integer(0, INT32_MAX));
        else if (opt == "--frequency-penalty") o.sp.freq_penalty = float(a.real());
        else if (opt == "--presence-penalty") o.sp.presence_penalty = float(a.real());
        else if (opt == "-s" || opt == "--seed") o.sp.seed = uint32_t(a.integer(0, 0xFFFFFFFFll));
        else if (opt == "--no-bos") o.no_bos = true;
        else if (opt == "--no-display-prompt") o.display_prompt = false;
        else if (opt == "-ngl" || opt == "--n-gpu-layers") o.n_gpu_layers = int32_t(a.integer(0, INT32_MAX));
        else if (opt == "--kv-type") {
            const std::string s = a.str();
            if (!parse_kv(s, o.kv_type)) throw UsageError("--kv-type must be f16, f32 or q8_0, got '" + s + "'");
        } else if (opt == "--logits-out") o.logits_out = a.str();
        else if (opt == "-nr" || opt == "--no-repack") o.no_repack = true;
        else if (opt == "-v" || opt == "--verbose") o.verbose = true;
        else throw UsageError("unknown option '" + opt + "'");
    }
    if (o.have_prompt && !o.prompt_file.empty()) throw UsageError("give either -p or -f, not both");
    if (glint_sampler_params_check(&o.sp) != GLINT_OK) throw UsageError(glint_last_error());
    if (o.model.empty()) o.model = default_model_path();
    return o;
}

int run(int argc, char** argv) {
    RunOptions o;
    if (int rc; !parse_args("run", kUsage, argc, argv, parse, o, rc)) return rc;
    glint_model* model = nullptr;
    glint_context* ctx = nullptr;
    glint_sampler* smp = nullptr;
    int rc = 0;
    try {
        if (!o.prompt_file.empty()) o.prompt = read_file(o.prompt_file);
        const double t0 = now_ms();
        g_log_verbose = o.verbose;
        glint_set_log_callback(&log_to_stderr, nullptr);
        glint_model_params mp = glint_model_default_params();
        mp.n_gpu_layers = o.n_gpu_layers;
        check(glint_model_load(o.model.c_str(), &mp, &model));
        glint_context_params cp = glint_context_default_params();
        cp.n_ctx = o.n_ctx;
        cp.n_batch = o.n_batch;
        cp.n_threads = o.n_threads;
        cp.kv_type = o.kv_type;
        cp.pack_weights = !o.no_repack;
        check(glint_context_create(model, &cp, &ctx));
        const double load_ms = now_ms() - t0;
        const glint_context_params eff = glint_context_get_params(ctx);
        const int32_t n_ctx = eff.n_ctx;

        std::vector<int32_t> prompt = tokenize(model, o.prompt, !o.no_bos, false);
        if (prompt.empty() && glint_token_bos(model) >= 0) prompt.push_back(glint_token_bos(model));
        if (prompt.empty()) throw UsageError("the prompt is empty and the model has no BOS token to start from");
        if (int64_t(prompt.size()) > n_ctx)
            throw std::runtime_error("the prompt is " + std::to_string(prompt.size()) +
                                     " tokens, longer than the context of " + std::to_string(n_ctx) + " (raise -c)");
        if (o.n_predict >= 0 && int64_t(prompt.size()) + o.n_predict > n_ctx)
            throw std::runtime_error("the prompt (" + std::to_string(prompt.size()) + " tokens) plus -n " +
                                     std::to_string(o.n_predict) + " exceeds the context of " + std::to_string(n_ctx) +
                                     " (raise -c or lower -n)");
        check(glint_sampler_create(model, &o.sp, &smp));
        if (o.verbose) {
            std::fprintf(stderr, "model: %s (%s)\n%s\n", o.model.c_str(), glint_model_desc(model), glint_system_info());
            std::fprintf(stderr,
                         "context %d, batch %d, threads %d, kv %s, kernels %s, packed copies %.2f MiB, seed %u, "
                         "prompt %zu tokens\n",
                         n_ctx, eff.n_batch, eff.n_threads, kKvNames[o.kv_type], glint_cpu_kernels(),
                         double(glint_context_packed_bytes(ctx)) / (1 << 20), glint_sampler_seed(smp), prompt.size());
        }

        install_sigint_handler();
        if (o.display_prompt) {
            std::fputs(o.prompt.c_str(), stdout);
            std::fflush(stdout);
        }
        std::vector<float> logits;
        GenStats st = generate(ctx, model, smp, prompt, o.n_predict,
                               [](const std::string& s) {
                                   std::fputs(s.c_str(), stdout);
                                   std::fflush(stdout);
                               },
                               o.logits_out.empty() ? nullptr : &logits);
        if (!o.logits_out.empty()) {
            std::ofstream f(o.logits_out, std::ios::binary);
            f.write(reinterpret_cast<const char*>(logits.data()), std::streamsize(logits.size() * sizeof(float)));
            if (!f) throw std::runtime_error(o.logits_out + ": cannot write the logits");
        }
        std::fputs("\n", stdout);
        print_timings(st, load_ms);
        rc = st.interrupted ? 130 : 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "glint run: %s\n", e.what());
        rc = 1;
    }
    glint_sampler_free(smp);
    glint_context_free(ctx);
    glint_model_free(model);
    return rc;
}

const Registration reg("run", "generate text from a prompt", &run, [](int c, char** v) { (void)parse(c, v); });

}  // namespace
}  // namespace glint::cli
