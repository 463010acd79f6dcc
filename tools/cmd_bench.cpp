// `glint bench`: prompt-processing and generation throughput in the style of
// the reference's llama-bench, batched generation over several sequences (its
// batched-bench), and the paged KV cache's memory use. Public C API only.
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <limits>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "glint.h"
#include "tools/bench_bandwidth.h"
#include "tools/cli.h"
#include "tools/common.h"
#include "tools/generate.h"

namespace glint::cli {
namespace {

const char* kUsage = R"(usage: glint bench [options]

Measures prompt processing (ppN: N prompt tokens in one decode) and generation (tgN:
N tokens decoded one at a time, each the argmax of the previous logits) in tokens/s,
mean and standard deviation over the repetitions, for every combination of the lists.
Generation also gets GB/s (weight bytes one token reads x tokens/s) and its roofline
ratio against a memory read bandwidth measured at start with the same thread count.
Prompts are seeded random tokens, so the logits hash is comparable between runs,
thread counts and builds (equal hashes: the same logits, bit for bit).

  -m, --model FILE        GGUF model (default: the bundled stories260K.gguf)
  -p, --n-prompt N,...    prompt lengths (default 512; 0 skips prompt tests)
  -n, --n-gen N,...       generation lengths (default 128; 0 skips generation tests)
  -t, --threads N,...     thread counts (default: all cores)
  -r, --repetitions N     timed runs per test (default 5), after one warm-up run
  -o, --output FMT        md (default), json (an array of records with llama-bench's
                          field names where they mean the same), csv
  -b, --batch-size N      most tokens per forward pass (default 512)
      --kv-type T         KV cache type: f16 (default), f32, q8_0
  -nr, --no-repack        no packed weight copies for generation (the footer names them
                          when made; see glint run --help)
      --parallel N,...    batched generation instead: N sequences, each with its own
                          -p-token prompt, then -n steps that each decode one token of
                          every sequence in one batch; avg_ts is the generation tokens/s
                          summed over the sequences (the reference's batched-bench S_TG)
      --pps               with --parallel: one shared prompt, forked to every sequence
      --kv-memory         instead: fill a paged KV cache with --kv-seqs sequences of
                          seeded random lengths in [--kv-min, --kv-max] (continuous
                          batching, 64-token chunks) and report allocated KV memory
                          (blocks in use x block size) over the memory the tokens need
      --kv-seqs N         (default 64)   --kv-min N (default 50)   --kv-max N (default 2000)
      --block-size N      KV block size in tokens (default 16)
      --seed N            seed of the random prompts and lengths (default 1234)
      --no-warmup         skip the warm-up run
  -h, --help              this help
)";

struct Options {
    std::string model, output = "md";
    std::vector<int> n_prompt, n_gen, threads, parallel;
    int reps = 5, n_batch = 512, block = 16;
    int kv_seqs = 64, kv_min = 50, kv_max = 2000;
    glint_kv_type kv = GLINT_KV_F16;
    bool warmup = true, pps = false, kv_memory = false, no_repack = false;
    uint32_t seed = 1234;
};

const char* kv_name(glint_kv_type t) { return t == GLINT_KV_F32 ? "f32" : t == GLINT_KV_Q8_0 ? "q8_0" : "f16"; }

// "128,512" -> {128, 512}; each value within [lo, hi].
std::vector<int> int_list(const std::string& opt, const std::string& s, int lo, int hi) {
    std::vector<int> out;
    size_t i = 0;
    while (i <= s.size()) {
        const size_t j = std::min(s.find(',', i), s.size());
        const std::string item = s.substr(i, j - i);
        char* end = nullptr;
        errno = 0;
        const long v = std::strtol(item.c_str(), &end, 10);
        if (item.empty() || *end || errno == ERANGE)
            throw UsageError("option " + opt + " expects a comma-separated list of integers, got '" + s + "'");
        if (v < lo || v > hi)
            throw UsageError("option " + opt + " values must be between " + std::to_string(lo) + " and " +
                             std::to_string(hi) + ", got " + item);
        out.push_back(int(v));
        i = j + 1;
    }
    return out;
}

Options parse(int argc, char** argv) {
    Options o;
    ArgReader a(argc, argv);
    std::string opt;
    auto append = [](std::vector<int>& dst, const std::vector<int>& v) { dst.insert(dst.end(), v.begin(), v.end()); };
    while (a.next(opt)) {
        if (opt == "-m" || opt == "--model") o.model = a.str();
        else if (opt == "-p" || opt == "--n-prompt") append(o.n_prompt, int_list(opt, a.str(), 0, 1 << 20));
        else if (opt == "-n" || opt == "--n-gen") append(o.n_gen, int_list(opt, a.str(), 0, 1 << 20));
        else if (opt == "-t" || opt == "--threads") append(o.threads, int_list(opt, a.str(), 1, 1024));
        else if (opt == "--parallel") append(o.parallel, int_list(opt, a.str(), 1, 4096));
        else if (opt == "-r" || opt == "--repetitions") o.reps = int(a.integer(1, 100000));
        else if (opt == "-b" || opt == "--batch-size") o.n_batch = int(a.integer(1, 1 << 20));
        else if (opt == "-o" || opt == "--output") {
            o.output = a.str();
            if (o.output != "md" && o.output != "json" && o.output != "csv")
                throw UsageError("-o must be md, json or csv, got '" + o.output + "'");
        } else if (opt == "--kv-type") {
            const std::string s = a.str();
            if (s == "f16") o.kv = GLINT_KV_F16;
            else if (s == "f32") o.kv = GLINT_KV_F32;
            else if (s == "q8_0") o.kv = GLINT_KV_Q8_0;
            else throw UsageError("--kv-type must be f16, f32 or q8_0, got '" + s + "'");
        } else if (opt == "--pps") o.pps = true;
        else if (opt == "--kv-memory") o.kv_memory = true;
        else if (opt == "--kv-seqs") o.kv_seqs = int(a.integer(1, 4096));
        else if (opt == "--kv-min") o.kv_min = int(a.integer(1, 1 << 20));
        else if (opt == "--kv-max") o.kv_max = int(a.integer(1, 1 << 20));
        else if (opt == "--block-size") o.block = int(a.integer(1, 1 << 16));
        else if (opt == "--seed") o.seed = uint32_t(a.integer(0, 0xFFFFFFFFll));
        else if (opt == "--no-warmup") o.warmup = false;
        else if (opt == "-nr" || opt == "--no-repack") o.no_repack = true;
        else throw UsageError("unknown option '" + opt + "'");
    }
    if (o.n_prompt.empty()) o.n_prompt = {512};
    if (o.n_gen.empty()) o.n_gen = {128};
    if (o.threads.empty()) o.threads = {int(std::max(1u, std::thread::hardware_concurrency()))};
    if (o.kv_min > o.kv_max) throw UsageError("--kv-min must not exceed --kv-max");
    if (o.pps && o.parallel.empty()) throw UsageError("--pps needs --parallel");
    if (o.kv_memory && !o.parallel.empty()) throw UsageError("give either --kv-memory or --parallel, not both");
    const bool any_p = std::any_of(o.n_prompt.begin(), o.n_prompt.end(), [](int v) { return v > 0; });
    const bool any_n = std::any_of(o.n_gen.begin(), o.n_gen.end(), [](int v) { return v > 0; });
    if (!o.kv_memory && !any_n && (!any_p || !o.parallel.empty()))
        throw UsageError("nothing to measure: every -n value is 0" + std::string(o.parallel.empty() ? " and so is every -p" : ""));
    if (o.model.empty()) o.model = default_model_path();
    return o;
}

// ---- model facts for the records ----

std::string meta(const glint_model* m, const char* key) {
    char buf[256];
    size_t len = 0;
    if (glint_model_meta(m, key, buf, sizeof buf, &len) != GLINT_OK) return "";
    return std::string(buf, std::min(len, sizeof buf - 1));
}

// The reference's names for general.file_type (llama_ftype), as llama-bench prints them.
std::string ftype_name(const std::string& v) {
    static const std::map<int, const char*> kNames = {
        {0, "all F32"},        {1, "F16"},           {2, "Q4_0"},          {3, "Q4_1"},          {7, "Q8_0"},
        {8, "Q5_0"},           {9, "Q5_1"},          {10, "Q2_K - Medium"}, {11, "Q3_K - Small"}, {12, "Q3_K - Medium"},
        {13, "Q3_K - Large"},  {14, "Q4_K - Small"}, {15, "Q4_K - Medium"}, {16, "Q5_K - Small"}, {17, "Q5_K - Medium"},
        {18, "Q6_K"},          {32, "BF16"},
    };
    auto it = kNames.find(std::atoi(v.c_str()));
    return it != kNames.end() ? it->second : "ftype " + v;
}

// The file's type as the reference names it; without general.file_type (older
// converters), guessed from the first layer's weights, as the reference does.
std::string file_type_label(const glint_model* m) {
    const std::string v = meta(m, "general.file_type");
    if (!v.empty()) return ftype_name(v);
    const std::string desc = glint_model_desc(m);
    const size_t at = desc.rfind("weights ");
    if (at == std::string::npos) return "unknown type";
    std::string label = desc.substr(at + 8);
    if (label == "F32") label = "all F32";
    label += " (guessed)";
    return label;
}

std::string params_label(uint64_t n) {
    char buf[32];
    if (n >= 1000000000ull) std::snprintf(buf, sizeof buf, "%.1fB", double(n) / 1e9);
    else if (n >= 1000000ull) std::snprintf(buf, sizeof buf, "%.0fM", double(n) / 1e6);
    else std::snprintf(buf, sizeof buf, "%.0fK", double(n) / 1e3);
    return buf;
}

struct ModelInfo {
    std::string path, type;
    uint64_t size = 0, n_params = 0, bytes_per_token = 0;
    uint64_t packed_bytes = 0;  // packed weight copies the contexts read (0: none)
    int32_t n_vocab = 0, bos = -1;
};

// ---- measurement helpers ----

uint64_t fnv(uint64_t h, const void* p, size_t n) {
    const auto* c = static_cast<const unsigned char*>(p);
    for (size_t i = 0; i < n; ++i) h = (h ^ c[i]) * 0x100000001b3ull;
    return h;
}
constexpr uint64_t kFnvInit = 0xcbf29ce484222325ull;

int32_t argmax(const float* x, int32_t n) {
    return int32_t(std::max_element(x, x + n) - x);
}

std::vector<int32_t> random_tokens(int n, uint32_t seed, const ModelInfo& m) {
    std::mt19937 rng(seed);
    std::uniform_int_distribution<int32_t> dist(0, m.n_vocab - 1);
    std::vector<int32_t> t(size_t(std::max(n, 0)));
    for (auto& x : t) x = dist(rng);
    if (!t.empty() && m.bos >= 0) t[0] = m.bos;
    return t;
}

const float* logits_or_throw(const glint_context* ctx, int32_t i) {
    const float* l = glint_get_logits(ctx, i);
    if (!l) throw std::runtime_error("no logits returned for output " + std::to_string(i));
    return l;
}

struct Record {
    std::string test;
    int n_prompt = 0, n_gen = 0, n_threads = 0, n_parallel = 1;
    std::vector<double> samples_ns, samples_ts;
    double pp_ts = NAN;            // --parallel: prompt tokens/s summed over sequences
    double kv_alloc_ratio = NAN;   // --parallel: KV slots in use / positions held
    double bandwidth = NAN, gbps = NAN, roofline = NAN;
    std::string hash;
    bool stable = true;  // every repetition gave the same hash
    std::string time;

    double avg(const std::vector<double>& v) const {
        double s = 0;
        for (double x : v) s += x;
        return v.empty() ? NAN : s / double(v.size());
    }
    double stdev(const std::vector<double>& v) const {
        if (v.size() < 2) return 0;
        const double m = avg(v);
        double s = 0;
        for (double x : v) s += (x - m) * (x - m);
        return std::sqrt(s / double(v.size() - 1));
    }
    double avg_ts() const { return avg(samples_ts); }
    double stddev_ts() const { return stdev(samples_ts); }
};

std::string hex(uint64_t h) {
    char buf[20];
    std::snprintf(buf, sizeof buf, "%016llx", (unsigned long long)h);
    return buf;
}

std::string now_iso() {
    const std::time_t t = std::time(nullptr);
    char buf[32];
    std::tm tm{};
    gmtime_r(&t, &tm);
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

// Adds one timed sample and its hash to r.
void add_sample(Record& r, double ms, double tokens, uint64_t h) {
    r.samples_ns.push_back(ms * 1e6);
    r.samples_ts.push_back(ms > 0 ? tokens * 1000.0 / ms : 0);
    const std::string hs = hex(h);
    if (r.hash.empty()) r.hash = hs;
    else if (r.hash != hs) r.stable = false;
}

glint_context* make_context(const glint_model* model, const Options& o, int threads, int n_ctx, int n_seq) {
    glint_context_params cp = glint_context_default_params();
    cp.n_ctx = std::max(1, n_ctx);
    cp.n_batch = o.n_batch;
    cp.n_threads = threads;
    cp.n_seq_max = n_seq;
    cp.kv_type = o.kv;
    cp.kv_block_size = o.block;
    cp.pack_weights = !o.no_repack;
    glint_context* ctx = nullptr;
    check(glint_context_create(model, &cp, &ctx));
    return ctx;
}

Record bench_prompt(glint_context* ctx, const ModelInfo& m, const Options& o, int p, int threads) {
    Record r;
    r.test = "pp" + std::to_string(p);
    r.n_prompt = p;
    r.n_threads = threads;
    const std::vector<int32_t> toks = random_tokens(p, o.seed ^ uint32_t(p), m);
    std::vector<int32_t> pos(toks.size()), seq(toks.size(), 0);
    for (size_t i = 0; i < pos.size(); ++i) pos[i] = int32_t(i);
    const glint_batch b{int32_t(toks.size()), toks.data(), pos.data(), seq.data(), nullptr};
    for (int rep = o.warmup ? -1 : 0; rep < o.reps; ++rep) {
        check(glint_kv_seq_remove(ctx, 0));
        const double t0 = now_ms();
        check(glint_decode(ctx, &b));
        const double ms = now_ms() - t0;
        if (rep >= 0) add_sample(r, ms, p, fnv(kFnvInit, logits_or_throw(ctx, 0), size_t(m.n_vocab) * sizeof(float)));
    }
    return r;
}

Record bench_gen(glint_context* ctx, const ModelInfo& m, const Options& o, int n, int threads) {
    Record r;
    r.test = "tg" + std::to_string(n);
    r.n_gen = n;
    r.n_threads = threads;
    const int32_t first = random_tokens(1, o.seed ^ 0x7467u, m)[0];
    for (int rep = o.warmup ? -1 : 0; rep < o.reps; ++rep) {
        check(glint_kv_seq_remove(ctx, 0));
        int32_t tok = first, seq = 0;
        uint64_t h = kFnvInit;
        const float* last = nullptr;
        const double t0 = now_ms();
        for (int32_t i = 0; i < n; ++i) {
            const glint_batch b{1, &tok, &i, &seq, nullptr};
            check(glint_decode(ctx, &b));
            last = logits_or_throw(ctx, 0);
            tok = argmax(last, m.n_vocab);
            h = fnv(h, &tok, sizeof tok);
        }
        const double ms = now_ms() - t0;
        if (rep >= 0) add_sample(r, ms, n, fnv(h, last, size_t(m.n_vocab) * sizeof(float)));
    }
    return r;
}

// N sequences: prompts (one batch, or one shared prompt forked), then n steps
// each decoding one token of every sequence in a single batch.
Record bench_parallel(glint_context* ctx, const ModelInfo& m, const Options& o, int n_par, int p, int n,
                      int threads) {
    Record r;
    const int pl = std::max(p, 1);  // every sequence starts with at least its first token
    r.test = "pp" + std::to_string(pl) + "+tg" + std::to_string(n) + " x" + std::to_string(n_par);
    r.n_prompt = pl;
    r.n_gen = n;
    r.n_threads = threads;
    r.n_parallel = n_par;
    std::vector<std::vector<int32_t>> prompts(static_cast<size_t>(n_par));
    for (int s = 0; s < n_par; ++s)
        prompts[size_t(s)] = random_tokens(pl, o.seed ^ uint32_t(pl) ^ (o.pps ? 0u : uint32_t(s) * 0x9E3779B9u), m);
    std::vector<double> pp_ts;
    for (int rep = o.warmup ? -1 : 0; rep < o.reps; ++rep) {
        for (int s = 0; s < n_par; ++s) check(glint_kv_seq_remove(ctx, s));
        std::vector<int32_t> next(static_cast<size_t>(n_par));
        const double t0 = now_ms();
        if (o.pps) {
            check(glint_decode_sequence(ctx, 0, prompts[0].data(), pl, 0, nullptr, nullptr));
            const int32_t t = argmax(logits_or_throw(ctx, 0), m.n_vocab);
            for (int s = 1; s < n_par; ++s) check(glint_kv_seq_fork(ctx, 0, s));
            std::fill(next.begin(), next.end(), t);
        } else {
            std::vector<int32_t> tok, pos, seq;
            std::vector<int8_t> want;
            for (int s = 0; s < n_par; ++s)
                for (int i = 0; i < pl; ++i) {
                    tok.push_back(prompts[size_t(s)][size_t(i)]);
                    pos.push_back(i);
                    seq.push_back(s);
                    want.push_back(i + 1 == pl);
                }
            const glint_batch b{int32_t(tok.size()), tok.data(), pos.data(), seq.data(), want.data()};
            check(glint_decode(ctx, &b));
            for (int s = 0; s < n_par; ++s) next[size_t(s)] = argmax(logits_or_throw(ctx, s), m.n_vocab);
        }
        const double t1 = now_ms();
        uint64_t h = kFnvInit;
        std::vector<int32_t> pos(static_cast<size_t>(n_par)), seq(static_cast<size_t>(n_par));
        std::vector<int8_t> want(static_cast<size_t>(n_par), 1);
        for (int s = 0; s < n_par; ++s) seq[size_t(s)] = s;
        for (int i = 0; i < n; ++i) {
            std::fill(pos.begin(), pos.end(), pl + i);
            const glint_batch b{n_par, next.data(), pos.data(), seq.data(), want.data()};
            check(glint_decode(ctx, &b));
            for (int s = 0; s < n_par; ++s) {
                const float* l = logits_or_throw(ctx, s);
                next[size_t(s)] = argmax(l, m.n_vocab);
                if (i + 1 == n) h = fnv(h, l, size_t(m.n_vocab) * sizeof(float));
            }
            h = fnv(h, next.data(), next.size() * sizeof(int32_t));
        }
        const double t2 = now_ms();
        if (rep < 0) continue;
        add_sample(r, t2 - t1, double(n_par) * n, h);
        pp_ts.push_back((t1 - t0) > 0 ? double(o.pps ? 1 : n_par) * pl * 1000.0 / (t1 - t0) : 0);
        const glint_context_params cp = glint_context_get_params(ctx);
        int64_t held = 0;
        for (int s = 0; s < n_par; ++s) held += glint_kv_seq_len(ctx, s);
        const int64_t slots = int64_t(cp.n_kv_blocks - glint_kv_free_blocks(ctx)) * cp.kv_block_size;
        r.kv_alloc_ratio = held > 0 ? double(slots) / double(held) : NAN;
    }
    r.pp_ts = r.avg(pp_ts);
    return r;
}

// ---- output ----

std::string mib_text(uint64_t b) {
    char buf[32];
    if (b >= (1ull << 30)) std::snprintf(buf, sizeof buf, "%.2f GiB", double(b) / double(1ull << 30));
    else std::snprintf(buf, sizeof buf, "%.2f MiB", double(b) / double(1ull << 20));
    return buf;
}

std::string fmt(const char* f, double v) {
    if (std::isnan(v)) return "";
    char buf[64];
    std::snprintf(buf, sizeof buf, f, v);
    return buf;
}

nlohmann::ordered_json to_json(const Record& r, const ModelInfo& m, const Options& o) {
    nlohmann::ordered_json j;
    auto num = [](double v) { return std::isnan(v) ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(v); };
    j["build_version"] = glint_version();
    j["cpu_kernels"] = glint_cpu_kernels();
    j["model_filename"] = m.path;
    j["model_type"] = m.type;
    j["model_size"] = m.size;
    j["model_n_params"] = m.n_params;
    j["n_batch"] = o.n_batch;
    j["n_threads"] = r.n_threads;
    j["type_k"] = kv_name(o.kv);
    j["type_v"] = kv_name(o.kv);
    j["n_prompt"] = r.n_prompt;
    j["n_gen"] = r.n_gen;
    j["n_parallel"] = r.n_parallel;
    j["test"] = r.test;
    j["test_time"] = r.time;
    j["avg_ns"] = uint64_t(std::llround(r.avg(r.samples_ns)));
    j["stddev_ns"] = uint64_t(std::llround(r.stdev(r.samples_ns)));
    j["avg_ts"] = r.avg_ts();
    j["stddev_ts"] = r.stddev_ts();
    j["samples_ns"] = r.samples_ns;
    j["samples_ts"] = r.samples_ts;
    j["bytes_per_token"] = m.bytes_per_token;
    j["gbps"] = num(r.gbps);
    j["bandwidth_gbps"] = num(r.bandwidth);
    j["roofline"] = num(r.roofline);
    j["logits_hash"] = r.hash;
    j["logits_stable"] = r.stable;
    j["cpu_info"] = glint_cpu_info();  // the reference's field
    j["system_info"] = glint_system_info();
    if (r.n_parallel > 1 || !o.parallel.empty()) {
        j["pp_avg_ts"] = num(r.pp_ts);
        j["kv_alloc_ratio"] = num(r.kv_alloc_ratio);
        j["prompt_shared"] = o.pps;
    }
    return j;
}

std::string csv_cell(const nlohmann::ordered_json& v) {
    std::string s;
    if (v.is_null()) return "";
    if (v.is_string()) s = v.get<std::string>();
    else if (v.is_array()) {
        for (size_t i = 0; i < v.size(); ++i) {
            if (i) s += ' ';
            s += v[i].dump();
        }
    } else s = v.dump();
    if (s.find_first_of(",\"\n ") == std::string::npos) return s;
    std::string q = "\"";
    for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
    return q + "\"";
}

void print_records(const std::vector<nlohmann::ordered_json>& recs, const std::string& format) {
    if (format == "json") {
        std::printf("%s\n", nlohmann::ordered_json(recs).dump(2).c_str());
        return;
    }
    if (recs.empty()) return;
    std::string line;
    for (auto it = recs[0].begin(); it != recs[0].end(); ++it) {
        if (!line.empty()) line += ',';
        line += it.key();
    }
    std::printf("%s\n", line.c_str());
    for (const auto& r : recs) {
        line.clear();
        bool first = true;
        for (auto it = recs[0].begin(); it != recs[0].end(); ++it) {
            if (!first) line += ',';
            line += csv_cell(r.contains(it.key()) ? r[it.key()] : nullptr);
            first = false;
        }
        std::printf("%s\n", line.c_str());
    }
}

void print_markdown(const std::vector<Record>& recs, const ModelInfo& m, const Options& o,
                    const std::map<int, Bandwidth>& bw) {
    const bool par = !o.parallel.empty();
    std::printf("| model | size | params | threads |%s test | t/s |%s GB/s | roofline | logits hash |\n",
                par ? " seqs |" : "", par ? " pp t/s | kv alloc/used |" : "");
    std::printf("| --- | ---: | ---: | ---: |%s --- | ---: |%s ---: | ---: | --- |\n", par ? " ---: |" : "",
                par ? " ---: | ---: |" : "");
    for (const Record& r : recs) {
        // built with append: GCC 12 warns falsely (-Wrestrict) on operator+ starting with a literal
        std::string ts = fmt("%.2f", r.avg_ts()), seqs, extra;
        ts.append(" ± ").append(fmt("%.2f", r.stddev_ts()));
        if (par) {
            seqs.append(" ").append(std::to_string(r.n_parallel)).append(" |");
            extra.append(" ").append(fmt("%.2f", r.pp_ts)).append(" | ").append(fmt("%.3f", r.kv_alloc_ratio)).append(" |");
        }
        std::printf("| %s | %s | %s | %d |%s %s | %s |%s %s | %s | %s%s |\n", m.type.c_str(), mib_text(m.size).c_str(),
                    params_label(m.n_params).c_str(), r.n_threads, seqs.c_str(), r.test.c_str(), ts.c_str(), extra.c_str(),
                    fmt("%.2f", r.gbps).c_str(), fmt("%.3f", r.roofline).c_str(), r.hash.c_str(),
                    r.stable ? "" : " (varies)");
    }
    std::printf("\nmemory read bandwidth (measured):");
    for (const auto& [t, b] : bw) std::printf(" %d thread%s %.1f GB/s;", t, t == 1 ? "" : "s", b.gbps);
    std::printf(" weights read per generated token %s; kernels %s", mib_text(m.bytes_per_token).c_str(), glint_cpu_kernels());
    if (m.packed_bytes) std::printf(" (packed copies %s)", mib_text(m.packed_bytes).c_str());
    std::printf("; glint %s\n%s\n", glint_version(), glint_system_info());
}

// ---- KV memory ----

int run_kv_memory(glint_model* model, const ModelInfo& m, const Options& o) {
    const int threads = o.threads[0];
    std::unique_ptr<glint_context, void (*)(glint_context*)> owned(
        make_context(model, o, threads, o.kv_max, o.kv_seqs), glint_context_free);
    glint_context* ctx = owned.get();
    std::mt19937 rng(o.seed);
    std::uniform_int_distribution<int> len_dist(o.kv_min, o.kv_max);
    std::uniform_int_distribution<int32_t> tok_dist(0, m.n_vocab - 1);
    std::vector<int> want(static_cast<size_t>(o.kv_seqs)), have(static_cast<size_t>(o.kv_seqs), 0);
    for (auto& l : want) l = len_dist(rng);
    const int chunk = 64;  // a prompt arrives in chunks, interleaved with other sequences
    const double t0 = now_ms();
    int start = 0;
    std::vector<int32_t> tok, pos, seq;
    for (;;) {
        tok.clear();
        pos.clear();
        seq.clear();
        for (int k = 0; k < o.kv_seqs && int(tok.size()) < o.n_batch; ++k) {
            const int s = (start + k) % o.kv_seqs;
            const int c = std::min({chunk, want[size_t(s)] - have[size_t(s)], o.n_batch - int(tok.size())});
            for (int i = 0; i < c; ++i) {
                tok.push_back(tok_dist(rng));
                pos.push_back(have[size_t(s)] + i);
                seq.push_back(s);
            }
            have[size_t(s)] += c;
        }
        if (tok.empty()) break;
        start = (start + 1) % o.kv_seqs;
        const glint_batch b{int32_t(tok.size()), tok.data(), pos.data(), seq.data(), nullptr};
        check(glint_decode(ctx, &b));
    }
    const double ms = now_ms() - t0;
    const glint_context_params cp = glint_context_get_params(ctx);
    int64_t held = 0;
    for (int s = 0; s < o.kv_seqs; ++s) held += glint_kv_seq_len(ctx, s);
    const int64_t used_blocks = cp.n_kv_blocks - glint_kv_free_blocks(ctx);
    const double ratio = double(used_blocks) * cp.kv_block_size / double(held);
    const double contiguous = double(o.kv_seqs) * o.kv_max / double(held);
    for (int s = 0; s < o.kv_seqs; ++s) check(glint_kv_seq_remove(ctx, s));
    const bool all_freed = glint_kv_free_blocks(ctx) == cp.n_kv_blocks;
    owned.reset();

    nlohmann::ordered_json j;
    j["build_version"] = glint_version();
    j["model_filename"] = m.path;
    j["model_type"] = m.type;
    j["test"] = "kv_memory";
    j["type_k"] = kv_name(o.kv);
    j["n_seqs"] = o.kv_seqs;
    j["len_min"] = o.kv_min;
    j["len_max"] = o.kv_max;
    j["block_size"] = cp.kv_block_size;
    j["n_threads"] = threads;
    j["tokens_held"] = held;
    j["blocks_used"] = used_blocks;
    j["blocks_total"] = cp.n_kv_blocks;
    j["kv_alloc_ratio"] = ratio;
    j["contiguous_ratio"] = contiguous;
    j["all_blocks_freed"] = all_freed;
    j["fill_ms"] = ms;
    if (o.output == "md") {
        std::printf("| model | seqs | lengths | block | tokens held | blocks used | allocated / used | contiguous / used |\n");
        std::printf("| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: |\n");
        std::printf("| %s | %d | %d..%d | %d | %lld | %lld | %.4f | %.3f |\n", m.type.c_str(), o.kv_seqs, o.kv_min,
                    o.kv_max, cp.kv_block_size, (long long)held, (long long)used_blocks, ratio, contiguous);
        std::printf("\nallocated = KV blocks in use x block size; used = positions the sequences hold (each costs the\n"
                    "same bytes, so the ratio is that of bytes); contiguous = one %d-position buffer per sequence.\n"
                    "Filled through decode in %.1f s; after removing every sequence all blocks were %s.\n",
                    o.kv_max, ms / 1000.0, all_freed ? "free again" : "NOT free (leak)");
    } else {
        print_records({j}, o.output);
    }
    return all_freed ? 0 : 1;
}

int run(int argc, char** argv) {
    Options o;
    if (int rc; !parse_args("bench", kUsage, argc, argv, parse, o, rc)) return rc;
    glint_model* model = nullptr;
    glint_context* ctx = nullptr;
    int rc = 0;
    try {
        glint_model_params mp = glint_model_default_params();
        check(glint_model_load(o.model.c_str(), &mp, &model));
        ModelInfo m;
        m.path = o.model;
        m.size = glint_model_size(model);
        m.n_params = glint_model_n_params(model);
        m.bytes_per_token = glint_model_bytes_per_token(model);
        m.n_vocab = glint_model_n_vocab(model);
        m.bos = glint_token_bos(model);
        m.type = meta(model, "general.architecture") + " " + params_label(m.n_params) + " " +
                 file_type_label(model);
        if (o.kv_memory) {
            rc = run_kv_memory(model, m, o);
            glint_model_free(model);
            return rc;
        }

        std::map<int, Bandwidth> bw;
        for (int t : o.threads)
            if (!bw.count(t)) {
                std::fprintf(stderr, "measuring memory read bandwidth with %d thread%s...\n", t, t == 1 ? "" : "s");
                bw[t] = measure_read_bandwidth(t);
            }

        std::vector<Record> recs;
        auto finish = [&](Record r) {
            r.time = now_iso();
            const double bws = bw[r.n_threads].gbps;
            r.bandwidth = bws;
            if (r.n_gen > 0) {
                // Weights are read once per decode step, whatever the number of sequences in it.
                const double steps_per_s = r.avg_ts() / r.n_parallel;
                r.gbps = double(m.bytes_per_token) * steps_per_s / 1e9;
                r.roofline = bws > 0 ? r.gbps / bws : NAN;
            }
            std::fprintf(stderr, "  %-22s threads %2d: %9.2f ± %.2f tokens/s%s\n", r.test.c_str(), r.n_threads,
                         r.avg_ts(), r.stddev_ts(), r.stable ? "" : " (logits differ between repetitions)");
            recs.push_back(std::move(r));
        };
        const int max_p = *std::max_element(o.n_prompt.begin(), o.n_prompt.end());
        const int max_n = *std::max_element(o.n_gen.begin(), o.n_gen.end());
        for (int t : o.threads) {
            if (o.parallel.empty()) {
                ctx = make_context(model, o, t, max_p + max_n, 1);
                m.packed_bytes = glint_context_packed_bytes(ctx);
                for (int p : o.n_prompt)
                    if (p > 0) finish(bench_prompt(ctx, m, o, p, t));
                for (int n : o.n_gen)
                    if (n > 0) finish(bench_gen(ctx, m, o, n, t));
                glint_context_free(ctx);
                ctx = nullptr;
                continue;
            }
            for (int np : o.parallel)
                for (int p : o.n_prompt)
                    for (int n : o.n_gen) {
                        if (n <= 0) continue;
                        ctx = make_context(model, o, t, std::max(p, 1) + n, np);
                        m.packed_bytes = glint_context_packed_bytes(ctx);
                        finish(bench_parallel(ctx, m, o, np, p, n, t));
                        glint_context_free(ctx);
                        ctx = nullptr;
                    }
        }
        if (o.output == "md") {
            print_markdown(recs, m, o, bw);
        } else {
            std::vector<nlohmann::ordered_json> js;
            for (const auto& r : recs) js.push_back(to_json(r, m, o));
            print_records(js, o.output);
        }
    } catch (const UsageError& e) {
        std::fprintf(stderr, "glint bench: %s\n", e.what());
        rc = 2;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "glint bench: %s\n", e.what());
        rc = 1;
    }
    glint_context_free(ctx);
    glint_model_free(model);
    return rc;
}

const Registration reg("bench", "measure prompt/generation speed, batched generation and KV memory", &run);

}  // namespace
}  // namespace glint::cli
