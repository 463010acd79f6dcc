// `glint run`: generate text from a prompt, streaming it to stdout.
#include <cstdio>
#include <fstream>
#include <memory>

#include "engine/context.h"
#include "engine/model.h"
#include "engine/sampler.h"
#include "kernels/quants.h"
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
  -ngl, --n-gpu-layers N  layers to offload to the GPU (accepted; this build runs on the CPU)
      --kv-type T         KV cache type: f16 (default), f32, q8_0
      --logits-out FILE   write raw float32 logits of every prompt position, [n_prompt][n_vocab]
  -v, --verbose           print model and run details to stderr
  -h, --help              this help
)";

struct RunOptions {
    std::string model, prompt, prompt_file, logits_out;
    bool have_prompt = false, no_bos = false, display_prompt = true, verbose = false;
    int32_t n_predict = 256, n_ctx = 0, n_batch = 512, n_threads = 0, n_gpu_layers = 0;
    KvType kv_type = KvType::F16;
    SamplerParams sp;
};

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
        else if (opt == "-s" || opt == "--seed") o.sp.seed = uint64_t(a.integer(0, 0xFFFFFFFFll));
        else if (opt == "--no-bos") o.no_bos = true;
        else if (opt == "--no-display-prompt") o.display_prompt = false;
        else if (opt == "-ngl" || opt == "--n-gpu-layers") o.n_gpu_layers = int32_t(a.integer(0, INT32_MAX));
        else if (opt == "--kv-type") {
            const std::string s = a.str();
            if (!parse_kv_type(s, o.kv_type)) throw UsageError("--kv-type must be f16, f32 or q8_0, got '" + s + "'");
        } else if (opt == "--logits-out") o.logits_out = a.str();
        else if (opt == "-v" || opt == "--verbose") o.verbose = true;
        else throw UsageError("unknown option '" + opt + "'");
    }
    if (o.have_prompt && !o.prompt_file.empty()) throw UsageError("give either -p or -f, not both");
    const std::string err = validate(o.sp);
    if (!err.empty()) throw UsageError(err);
    if (o.model.empty()) o.model = default_model_path();
    return o;
}

int run(int argc, char** argv) {
    for (int i = 1; i < argc; ++i)
        if (std::string(argv[i]) == "-h" || std::string(argv[i]) == "--help") {
            std::fputs(kUsage, stdout);
            return 0;
        }
    RunOptions o;
    try {
        o = parse(argc, argv);
    } catch (const UsageError& e) {
        std::fprintf(stderr, "glint run: %s\nRun 'glint run --help' for the options.\n", e.what());
        return 2;
    }
    try {
        if (!o.prompt_file.empty()) o.prompt = read_file(o.prompt_file);
        const double t0 = now_ms();
        std::unique_ptr<Model> model = Model::load(o.model);
        ContextParams cp;
        cp.n_ctx = o.n_ctx;
        cp.n_batch = o.n_batch;
        cp.n_threads = o.n_threads;
        cp.kv_type = o.kv_type;
        Context ctx(*model, cp);
        const double load_ms = now_ms() - t0;
        const int32_t n_ctx = ctx.params().n_ctx;

        const Tokenizer& tok = model->tokenizer();
        std::vector<int32_t> prompt = tok.encode(o.prompt, !o.no_bos, false);
        if (prompt.empty() && tok.bos() >= 0) prompt.push_back(tok.bos());
        if (prompt.empty())
            throw Error(ErrorCode::InvalidArgument, "the prompt is empty and the model has no BOS token to start from");
        if (int64_t(prompt.size()) > n_ctx)
            throw Error(ErrorCode::ContextFull, "the prompt is " + std::to_string(prompt.size()) +
                                                    " tokens, longer than the context of " + std::to_string(n_ctx) +
                                                    " (raise -c)");
        if (o.n_predict >= 0 && int64_t(prompt.size()) + o.n_predict > n_ctx)
            throw Error(ErrorCode::ContextFull, "the prompt (" + std::to_string(prompt.size()) + " tokens) plus -n " +
                                                    std::to_string(o.n_predict) + " exceeds the context of " +
                                                    std::to_string(n_ctx) + " (raise -c or lower -n)");
        if (o.n_gpu_layers > 0 && o.verbose)
            std::fprintf(stderr, "note: -ngl %d requested; this build has no GPU backend, running on the CPU\n",
                         o.n_gpu_layers);
        Sampler sampler(o.sp, model->hparams().n_vocab);
        if (o.verbose) {
            std::fprintf(stderr, "model: %s (%s)\n", o.model.c_str(), model->description().c_str());
            std::fprintf(stderr, "context %d, batch %d, threads %d, kv %s, kernels %s, seed %u, prompt %zu tokens\n",
                         n_ctx, ctx.params().n_batch, ctx.params().n_threads, kv_type_name(o.kv_type),
                         kernels::active_kernels().isa, sampler.seed(), prompt.size());
        }

        install_sigint_handler();
        if (o.display_prompt) {
            std::fputs(o.prompt.c_str(), stdout);
            std::fflush(stdout);
        }
        std::vector<float> logits;
        GenStats st = generate(ctx, sampler, prompt, o.n_predict,
                               [](const std::string& s) {
                                   std::fputs(s.c_str(), stdout);
                                   std::fflush(stdout);
                               },
                               o.logits_out.empty() ? nullptr : &logits);
        if (!o.logits_out.empty()) {
            std::ofstream f(o.logits_out, std::ios::binary);
            f.write(reinterpret_cast<const char*>(logits.data()), std::streamsize(logits.size() * sizeof(float)));
            if (!f) throw Error(ErrorCode::Io, o.logits_out + ": cannot write the logits");
        }
        std::fputs("\n", stdout);
        print_timings(st, load_ms);
        return st.interrupted ? 130 : 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "glint run: %s\n", e.what());
        return 1;
    }
}

const Registration reg("run", "generate text from a prompt", &run);

}  // namespace
}  // namespace glint::cli
