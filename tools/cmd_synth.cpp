// `glint synth`: writes a llama model of a real shape with deterministic random
// weights, so benchmarks run on realistic sizes without downloading a model.
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "gguf/gguf.h"
#include "kernels/fp16.h"
#include "kernels/types.h"
#include "tools/cli.h"
#include "tools/common.h"
#include "tools/generate.h"

namespace glint::cli {
namespace {

const char* kUsage = R"(usage: glint synth -o out.gguf [--preset NAME] [options]

Writes a llama-architecture GGUF with deterministic random weights (normal, std 0.02;
norm weights 1 + N(0, 0.02)) and the tokenizer copied from another GGUF. The same
options and seed give a byte-identical file. Written through a temporary file, one
tensor at a time, so a 2 GB model needs only one tensor's worth of memory.

  -o, --output FILE     the file to write (required)
      --preset NAME     tinyllama-1.1b  n_embd 2048, 22 layers, 32 heads, 4 KV heads, n_ff 5632,
                                        vocab 32000, rope base 10000, separate output
                        llama-3.2-1b    n_embd 2048, 16 layers, 32 heads, 8 KV heads, n_ff 8192,
                                        vocab 128256, rope base 500000, tied embeddings
                        custom          (default) n_embd 256, 2 layers, 4 heads, 2 KV heads, n_ff 768,
                                        the tokenizer's vocab
      --type T          f16 (default) or f32 for the matrices (norms are always f32)
  -s, --seed N          weight seed (default 42)
      --tokenizer FILE  GGUF whose tokenizer.* metadata is copied (default: the bundled
                        stories260K.gguf, a 512-token SentencePiece vocabulary)
      --n-vocab N       vocabulary size (default: the preset's; 0 = the tokenizer's). When larger
                        than the tokenizer, the vocabulary is padded with unused tokens
                        '<unused_N>' that text never maps to, so embedding and output have the
                        real shape; smaller is an error.
      --n-embd N, --n-layer N, --n-head N, --n-head-kv N, --n-ff N
                        override the preset's dimensions
      --ctx N           llama.context_length (default: the preset's)
      --rope-base X     rope frequency base
      --tied | --untied output shares token_embd (tied) or has its own output.weight
      --name TEXT       general.name
  -t, --threads N       threads generating weights (default: all cores)
      --dry-run         print the shape, tensor count and file size; write nothing
  -h, --help            this help
)";

struct Shape {
    std::string preset = "custom";
    int64_t n_embd = 256, n_layer = 2, n_head = 4, n_head_kv = 2, n_ff = 768;
    int64_t n_vocab = 0;  // 0 = the tokenizer's
    int64_t n_ctx = 2048;
    double rope_base = 10000.0, rms_eps = 1e-5;
    bool tied = false;
};

bool apply_preset(const std::string& name, Shape& s) {
    if (name == "tinyllama-1.1b") {
        s = {name, 2048, 22, 32, 4, 5632, 32000, 2048, 10000.0, 1e-5, false};
    } else if (name == "llama-3.2-1b") {
        s = {name, 2048, 16, 32, 8, 8192, 128256, 131072, 500000.0, 1e-5, true};
    } else if (name == "custom") {
        s = Shape{};
    } else {
        return false;
    }
    return true;
}

struct Options {
    std::string out, tokenizer, name;
    Shape shape;
    bool f32 = false, dry_run = false;
    uint64_t seed = 42;
    int threads = 0;
};

Options parse(int argc, char** argv) {
    Options o;
    // Dimension flags may come before or after --preset: collect, then apply over it.
    std::optional<int64_t> n_embd, n_layer, n_head, n_head_kv, n_ff, n_vocab, n_ctx;
    std::optional<double> rope_base;
    std::optional<bool> tied;
    std::string preset = "custom";
    ArgReader a(argc, argv);
    std::string opt;
    const int64_t kBig = int64_t(1) << 24;
    while (a.next(opt)) {
        if (opt == "-o" || opt == "--output") o.out = a.str();
        else if (opt == "--preset") preset = a.str();
        else if (opt == "--type") {
            const std::string t = a.str();
            if (t == "f16" || t == "F16") o.f32 = false;
            else if (t == "f32" || t == "F32") o.f32 = true;
            else throw UsageError("--type must be f16 or f32, got '" + t + "'");
        } else if (opt == "-s" || opt == "--seed") o.seed = uint64_t(a.integer(0, INT64_MAX));
        else if (opt == "--tokenizer") o.tokenizer = a.str();
        else if (opt == "--n-vocab") n_vocab = a.integer(0, INT32_MAX);
        else if (opt == "--n-embd") n_embd = a.integer(1, kBig);
        else if (opt == "--n-layer") n_layer = a.integer(1, 4096);
        else if (opt == "--n-head") n_head = a.integer(1, 4096);
        else if (opt == "--n-head-kv") n_head_kv = a.integer(1, 4096);
        else if (opt == "--n-ff") n_ff = a.integer(1, kBig);
        else if (opt == "--ctx") n_ctx = a.integer(1, INT32_MAX);
        else if (opt == "--rope-base") {
            rope_base = a.real();
            if (*rope_base <= 0) throw UsageError("--rope-base must be positive");
        } else if (opt == "--tied") tied = true;
        else if (opt == "--untied") tied = false;
        else if (opt == "--name") o.name = a.str();
        else if (opt == "-t" || opt == "--threads") o.threads = int(a.integer(1, 1024));
        else if (opt == "--dry-run") o.dry_run = true;
        else throw UsageError("unknown option '" + opt + "'");
    }
    if (!apply_preset(preset, o.shape))
        throw UsageError("unknown preset '" + preset + "' (tinyllama-1.1b, llama-3.2-1b or custom)");
    Shape& s = o.shape;
    if (n_embd) s.n_embd = *n_embd;
    if (n_layer) s.n_layer = *n_layer;
    if (n_head) s.n_head = *n_head;
    if (n_head_kv) s.n_head_kv = *n_head_kv;
    if (n_ff) s.n_ff = *n_ff;
    if (n_vocab) s.n_vocab = *n_vocab;
    if (n_ctx) s.n_ctx = *n_ctx;
    if (rope_base) s.rope_base = *rope_base;
    if (tied) s.tied = *tied;
    if (s.n_embd % s.n_head != 0)
        throw UsageError("n_embd " + std::to_string(s.n_embd) + " is not a multiple of n_head " +
                         std::to_string(s.n_head));
    if ((s.n_embd / s.n_head) % 2 != 0) throw UsageError("the head size n_embd/n_head must be even (RoPE rotates pairs)");
    if (s.n_head % s.n_head_kv != 0)
        throw UsageError("n_head " + std::to_string(s.n_head) + " is not a multiple of n_head_kv " +
                         std::to_string(s.n_head_kv));
    if (o.out.empty() && !o.dry_run) throw UsageError("give the output file with -o");
    if (o.tokenizer.empty()) o.tokenizer = default_model_path();
    return o;
}

// splitmix64: seeds each row's generator from (seed, tensor, row), so the
// weights do not depend on the thread count.
uint64_t mix(uint64_t x) {
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

uint64_t hash_name(const std::string& s) {
    uint64_t h = 0xcbf29ce484222325ull;  // FNV-1a
    for (unsigned char c : s) h = (h ^ c) * 0x100000001b3ull;
    return h;
}

// Standard normal deviates by Box-Muller from a splitmix64 stream.
class Normal {
public:
    explicit Normal(uint64_t seed) : state_(seed) {}
    float next() {
        if (have_spare_) {
            have_spare_ = false;
            return spare_;
        }
        const float u1 = (float((mix(state_++) >> 40) + 1)) * 0x1p-24f;  // (0, 1]
        const float u2 = float(mix(state_++) >> 40) * 0x1p-24f;          // [0, 1)
        const float r = std::sqrt(-2.0f * std::log(u1));
        spare_ = r * std::sin(6.28318530718f * u2);
        have_spare_ = true;
        return r * std::cos(6.28318530718f * u2);
    }

private:
    uint64_t state_;
    float spare_ = 0;
    bool have_spare_ = false;
};

struct TensorPlan {
    std::string name;
    std::vector<int64_t> dims;  // ne[0] first
    bool is_norm = false;
    TensorType type = TensorType::F16;
    int64_t rows() const { return dims.size() > 1 ? dims[1] : 1; }
    size_t bytes() const { return row_bytes(type, dims[0]) * size_t(rows()); }
};

std::vector<TensorPlan> plan_tensors(const Shape& s, int64_t n_vocab, TensorType mat) {
    const int64_t hd = s.n_embd / s.n_head, q = s.n_head * hd, kv = s.n_head_kv * hd;
    std::vector<TensorPlan> t;
    auto add = [&](std::string name, std::vector<int64_t> dims, bool norm) {
        t.push_back({std::move(name), std::move(dims), norm, norm ? TensorType::F32 : mat});
    };
    add("token_embd.weight", {s.n_embd, n_vocab}, false);
    for (int64_t i = 0; i < s.n_layer; ++i) {
        const std::string p = "blk." + std::to_string(i) + ".";
        add(p + "attn_norm.weight", {s.n_embd}, true);
        add(p + "attn_q.weight", {s.n_embd, q}, false);
        add(p + "attn_k.weight", {s.n_embd, kv}, false);
        add(p + "attn_v.weight", {s.n_embd, kv}, false);
        add(p + "attn_output.weight", {q, s.n_embd}, false);
        add(p + "ffn_norm.weight", {s.n_embd}, true);
        add(p + "ffn_gate.weight", {s.n_embd, s.n_ff}, false);
        add(p + "ffn_up.weight", {s.n_embd, s.n_ff}, false);
        add(p + "ffn_down.weight", {s.n_ff, s.n_embd}, false);
    }
    add("output_norm.weight", {s.n_embd}, true);
    if (!s.tied) add("output.weight", {s.n_embd, n_vocab}, false);
    return t;
}

// Fills a tensor's rows in parallel; each row's values depend only on (seed, name, row).
void fill_tensor(const TensorPlan& t, uint64_t seed, int threads, uint8_t* dst) {
    const int64_t rows = t.rows(), cols = t.dims[0];
    const size_t rb = row_bytes(t.type, cols);
    const uint64_t base = mix(seed ^ hash_name(t.name));
    auto work = [&](int64_t r0, int64_t r1) {
        std::vector<float> row(static_cast<size_t>(cols));
        for (int64_t r = r0; r < r1; ++r) {
            if (g_interrupted.load(std::memory_order_relaxed)) return;
            Normal rng(mix(base + uint64_t(r) * 0xD1B54A32D192ED03ull));
            for (auto& v : row) v = (t.is_norm ? 1.0f : 0.0f) + 0.02f * rng.next();
            uint8_t* out = dst + size_t(r) * rb;
            if (t.type == TensorType::F32) {
                std::memcpy(out, row.data(), rb);
            } else {
                auto* h = reinterpret_cast<kernels::fp16_t*>(out);
                for (int64_t c = 0; c < cols; ++c) h[c] = kernels::fp32_to_fp16(row[size_t(c)]);
            }
        }
    };
    const int n = int(std::min<int64_t>(threads, std::max<int64_t>(1, rows / 16)));
    if (n <= 1) {
        work(0, rows);
    } else {
        std::vector<std::thread> pool;
        for (int i = 0; i < n; ++i) pool.emplace_back(work, rows * i / n, rows * (i + 1) / n);
        for (auto& th : pool) th.join();
    }
    if (g_interrupted.load()) throw Error(ErrorCode::Cancelled, "interrupted");
}

std::string human_bytes(double b) {
    char buf[32];
    if (b >= double(1ull << 30)) std::snprintf(buf, sizeof buf, "%.2f GiB", b / double(1ull << 30));
    else if (b >= double(1ull << 20)) std::snprintf(buf, sizeof buf, "%.2f MiB", b / double(1ull << 20));
    else std::snprintf(buf, sizeof buf, "%.1f KiB", b / 1024.0);
    return buf;
}

int run(int argc, char** argv) {
    Options o;
    if (int rc; !parse_args("synth", kUsage, argc, argv, parse, o, rc)) return rc;
    try {
        const gguf::File tok = gguf::File::open(o.tokenizer);
        const gguf::Value* tokens = tok.find("tokenizer.ggml.tokens");
        if (!tokens || tokens->type != gguf::ValueType::ARRAY || tokens->elem_type != gguf::ValueType::STRING ||
            tokens->array.empty())
            throw Error(ErrorCode::InvalidFile, o.tokenizer + ": no tokenizer.ggml.tokens array to copy the tokenizer from");
        const int64_t n_tok = int64_t(tokens->array.size());
        Shape& s = o.shape;
        const int64_t n_vocab = s.n_vocab == 0 ? n_tok : s.n_vocab;
        if (n_vocab < n_tok) {
            std::fprintf(stderr,
                         "glint synth: --n-vocab %lld is smaller than the tokenizer's %lld tokens in %s "
                         "(token ids would fall outside the embedding)\n",
                         (long long)n_vocab, (long long)n_tok, o.tokenizer.c_str());
            return 2;
        }
        const TensorType mat = o.f32 ? TensorType::F32 : TensorType::F16;
        std::vector<TensorPlan> plan = plan_tensors(s, n_vocab, mat);
        uint64_t params = 0, total = 0;
        for (const auto& t : plan) {
            params += uint64_t(t.dims[0]) * uint64_t(t.rows());
            total += t.bytes();
        }
        std::fprintf(stderr,
                     "synth %s: n_embd %lld, %lld layers, %lld heads, %lld KV heads, n_ff %lld, vocab %lld "
                     "(tokenizer %lld), %s, %s, %zu tensors, %.3f B params, %s of tensor data\n",
                     s.preset.c_str(), (long long)s.n_embd, (long long)s.n_layer, (long long)s.n_head,
                     (long long)s.n_head_kv, (long long)s.n_ff, (long long)n_vocab, (long long)n_tok,
                     s.tied ? "tied embeddings" : "separate output", o.f32 ? "F32" : "F16", plan.size(),
                     double(params) / 1e9, human_bytes(double(total)).c_str());
        if (o.dry_run) return 0;

        gguf::Writer w;
        const std::string a = "llama.";
        const int64_t hd = s.n_embd / s.n_head;
        w.set("general.architecture", gguf::Value::make_string("llama"));
        w.set("general.name", gguf::Value::make_string(
                                  o.name.empty() ? "glint-synth " + s.preset + " seed " + std::to_string(o.seed) : o.name));
        w.set("general.file_type", gguf::Value::make_u32(o.f32 ? 0 : 1));  // ALL_F32 / MOSTLY_F16
        w.set(a + "vocab_size", gguf::Value::make_u32(uint32_t(n_vocab)));
        w.set(a + "context_length", gguf::Value::make_u32(uint32_t(s.n_ctx)));
        w.set(a + "embedding_length", gguf::Value::make_u32(uint32_t(s.n_embd)));
        w.set(a + "block_count", gguf::Value::make_u32(uint32_t(s.n_layer)));
        w.set(a + "feed_forward_length", gguf::Value::make_u32(uint32_t(s.n_ff)));
        w.set(a + "attention.head_count", gguf::Value::make_u32(uint32_t(s.n_head)));
        w.set(a + "attention.head_count_kv", gguf::Value::make_u32(uint32_t(s.n_head_kv)));
        w.set(a + "rope.dimension_count", gguf::Value::make_u32(uint32_t(hd)));
        w.set(a + "rope.freq_base", gguf::Value::make_f32(float(s.rope_base)));
        w.set(a + "attention.layer_norm_rms_epsilon", gguf::Value::make_f32(float(s.rms_eps)));

        // The tokenizer keys, per-token arrays padded with unused tokens up to n_vocab.
        for (const auto& kv : tok.metadata()) {
            if (kv.key.rfind("tokenizer.", 0) != 0) continue;
            gguf::Value v = kv.value;
            const bool per_token = v.type == gguf::ValueType::ARRAY && int64_t(v.array.size()) == n_tok &&
                                   (kv.key == "tokenizer.ggml.tokens" || kv.key == "tokenizer.ggml.scores" ||
                                    kv.key == "tokenizer.ggml.token_type");
            if (per_token && n_vocab > n_tok) {
                std::vector<gguf::Value> elems = v.array;
                for (int64_t i = n_tok; i < n_vocab; ++i) {
                    if (kv.key == "tokenizer.ggml.tokens") {
                        elems.push_back(gguf::Value::make_string("<unused_" + std::to_string(i) + ">"));
                        continue;
                    }
                    gguf::Value e = v.array.back();  // same element type as the file's
                    if (e.is_float()) e.scalar.f = -1e9;  // scores: never preferred
                    else e.scalar.u = 5;                  // token type UNUSED
                    elems.push_back(std::move(e));
                }
                v = gguf::Value::make_array(v.elem_type, std::move(elems));
            }
            w.set(std::string(kv.key), std::move(v));
        }

        const int threads = o.threads > 0 ? o.threads : int(std::max(1u, std::thread::hardware_concurrency()));
        const bool tty = isatty(STDERR_FILENO);
        size_t done = 0;
        uint64_t written = 0;
        for (const auto& t : plan) {
            w.add_tensor_deferred(t.name, t.type, t.dims, t.bytes(), [&, t](uint8_t* dst) {
                fill_tensor(t, o.seed, threads, dst);
                written += t.bytes();
                ++done;
                if (tty)
                    std::fprintf(stderr, "\r[%3d%%] %zu/%zu tensors, %s   ", int(100.0 * double(written) / double(total)),
                                 done, plan.size(), human_bytes(double(written)).c_str());
            });
        }
        const double t0 = now_ms();
        // Ctrl-C or SIGTERM stops between rows; the writer then removes its temporary file.
        install_sigint_handler();
        std::signal(SIGTERM, [](int) { g_interrupted.store(true); });
        w.write(o.out);
        if (tty) std::fputs("\n", stderr);
        std::fprintf(stderr, "wrote %s (%s) in %.1f s\n", o.out.c_str(), human_bytes(double(total)).c_str(),
                     (now_ms() - t0) / 1000.0);
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "%sglint synth: %s\n", isatty(STDERR_FILENO) ? "\n" : "", e.what());
        if (g_interrupted.load()) {
            std::fprintf(stderr, "glint synth: %s was not written\n", o.out.c_str());
            return 130;
        }
        return 1;
    }
}

const Registration reg("synth", "write a random-weight llama model of a real shape (benchmarks)", &run);

}  // namespace
}  // namespace glint::cli
