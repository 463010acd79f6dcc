// The matrix products of a whole TinyLlama-1.1B-shaped forward pass (22
// layers + output head) through engine/matmul, with the type mixes of the
// reference quantizer's Q4_K_M, Q5_K_M and Q8_0 files. Prompt n_tok tokens
// (output head for the last one), or one generated token (n_tok 1). Counters:
// tok/s (matmuls only: an upper bound for the engine), and for generation the
// weight GB/s and its ratio to the read bandwidth measured here ("roofline").
// Weights are packed (kernels/packed.h) where the kernel set has packed GEMVs,
// as the engine runs them.
#include <benchmark/benchmark.h>
#include <omp.h>

#include <array>
#include <chrono>
#include <map>
#include <memory>
#include <string>

#include "bench_util.h"
#include "engine/matmul.h"
#include "kernels/packed.h"

namespace glint::bench {
namespace {

constexpr int kLayers = 22;

// The reference quantizer's use_more_bits(): these layers get Q6_K attn_v/ffn_down in _M mixes.
bool more_bits(int i, int n) { return i < n / 8 || i >= 7 * n / 8 || (i - n / 8) % 3 == 2; }

struct Model {
    std::vector<std::array<std::unique_ptr<Matrix>, 7>> layers;  // q k v o gate up down
    std::unique_ptr<Matrix> output;
    size_t bytes = 0;
};

std::unique_ptr<Model> build(const std::string& mix) {
    auto m = std::make_unique<Model>();
    TensorType base = TensorType::Q8_0, more = TensorType::Q8_0, out = TensorType::Q8_0;
    if (mix == "Q4_K_M") base = TensorType::Q4_K, more = TensorType::Q6_K, out = TensorType::Q6_K;
    if (mix == "Q5_K_M") base = TensorType::Q5_K, more = TensorType::Q6_K, out = TensorType::Q6_K;
    uint32_t seed = 1;
    for (int il = 0; il < kLayers; ++il) {
        std::array<std::unique_ptr<Matrix>, 7> L;
        for (int j = 0; j < 7; ++j) {
            const Shape& s = kTinyLlama[j];
            const bool mb = (j == 2 || j == 6) && more_bits(il, kLayers);
            L[size_t(j)] = std::make_unique<Matrix>(make_matrix(mb ? more : base, s.rows, s.cols, seed++));
            m->bytes += L[size_t(j)]->data.size();
        }
        m->layers.push_back(std::move(L));
    }
    m->output = std::make_unique<Matrix>(make_matrix(out, kTinyLlama[7].rows, kTinyLlama[7].cols, seed++));
    m->bytes += m->output->data.size();
    return m;
}

const Model& model(const std::string& mix) {
    static std::map<std::string, std::unique_ptr<Model>> cache;
    auto& m = cache[mix];
    if (!m) m = build(mix);
    return *m;
}

// The weights as the engine runs them with kernel set ks: with packed copies
// (kernels/packed.h) where ks has a packed GEMV for their type.
struct Weights {
    std::vector<std::array<Weight, 7>> layers;
    Weight output;
    std::vector<std::vector<uint8_t>> copies;
};

const Weights& weights(const std::string& mix, const kernels::KernelSet* ks) {
    static std::map<std::pair<std::string, const kernels::KernelSet*>, std::unique_ptr<Weights>> cache;
    auto& w = cache[{mix, ks}];
    if (w) return *w;
    w = std::make_unique<Weights>();
    const Model& m = model(mix);
    auto take = [&](const Matrix& mat) {
        Weight out = mat.w;
        if (!ks->gemv_packed[static_cast<uint32_t>(out.type)] || !kernels::packable(out.type)) return out;
        auto& buf = w->copies.emplace_back(mat.data.size() + 64);
        uint8_t* p = aligned64(buf);
        kernels::pack_rows(out.type, out.cols, out.data, out.row_stride, out.rows / kernels::kPackRows * kernels::kPackRows, p);
        out.packed = p;
        return out;
    };
    for (const auto& L : m.layers) {
        std::array<Weight, 7> ws;
        for (size_t j = 0; j < 7; ++j) ws[j] = take(*L[j]);
        w->layers.push_back(ws);
    }
    w->output = take(*m.output);
    return *w;
}

}  // namespace

// Read bandwidth of this machine with `threads` threads (best of 5 passes over 1 GiB).
double read_bandwidth_gbs(int threads) {
    static std::map<int, double> cache;
    if (cache.count(threads)) return cache[threads];
    const size_t n = (size_t(1) << 30) / sizeof(uint64_t);
    std::vector<uint64_t> buf(n, 1);
    double best = 0;
    for (int pass = 0; pass < 5; ++pass) {
        uint64_t total = 0;
        const auto t0 = std::chrono::steady_clock::now();
#pragma omp parallel for num_threads(threads) reduction(+ : total) schedule(static)
        for (size_t i = 0; i < n; i += 8) {
            total += buf[i] + buf[i + 1] + buf[i + 2] + buf[i + 3] + buf[i + 4] + buf[i + 5] + buf[i + 6] + buf[i + 7];
        }
        const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        benchmark::DoNotOptimize(total);
        best = std::max(best, double(n * sizeof(uint64_t)) / s * 1e-9);
    }
    return cache[threads] = best;
}

namespace {

void BM_Model(benchmark::State& st, const kernels::KernelSet* ks, std::string mix) {
    const int64_t n_tok = st.range(0);
    const int threads = int(st.range(1));
    const Model& m = model(mix);
    const Weights& W = weights(mix, ks);
    const int64_t E = 2048, F = 5632, KV = 256, V = 32000;
    const auto x = make_activations(n_tok, F);
    std::vector<float> q(size_t(n_tok * E)), k(size_t(n_tok * KV)), v(size_t(n_tok * KV)), o(size_t(n_tok * E)),
        g(size_t(n_tok * F)), u(size_t(n_tok * F)), d(size_t(n_tok * E)), logits(static_cast<size_t>(V));
    std::vector<uint8_t> act(matmul_scratch_bytes(TensorType::Q8_0, F, n_tok) * 2);
    for (auto _ : st) {
        for (const auto& L : W.layers) {
            matmul(L[0], x.data(), n_tok, q.data(), act, *ks, threads);
            matmul(L[1], x.data(), n_tok, k.data(), act, *ks, threads);
            matmul(L[2], x.data(), n_tok, v.data(), act, *ks, threads);
            matmul(L[3], x.data(), n_tok, o.data(), act, *ks, threads);
            matmul(L[4], x.data(), n_tok, g.data(), act, *ks, threads);
            matmul(L[5], x.data(), n_tok, u.data(), act, *ks, threads);
            matmul(L[6], x.data(), n_tok, d.data(), act, *ks, threads);
        }
        matmul(W.output, x.data(), 1, logits.data(), act, *ks, threads);
        benchmark::ClobberMemory();
    }
    const double it = double(st.iterations());
    st.counters["tok/s"] = benchmark::Counter(double(n_tok) * it, benchmark::Counter::kIsRate);
    if (n_tok == 1) {
        st.counters["GB/s"] = benchmark::Counter(double(m.bytes) * 1e-9 * it, benchmark::Counter::kIsRate);
        st.counters["bw_GB/s"] = read_bandwidth_gbs(threads);
    }
    st.SetLabel(mix + " " + std::to_string(m.bytes >> 20) + " MiB");
}

void BM_ReadBandwidth(benchmark::State& st) {
    double gbs = 0;
    for (auto _ : st) gbs = read_bandwidth_gbs(int(st.range(0)));
    st.counters["GB/s"] = gbs;
}

const bool registered = [] {
    benchmark::RegisterBenchmark("read_bandwidth", BM_ReadBandwidth)->Arg(1)->Arg(2)->ArgName("threads")->Iterations(1);
    for (const kernels::KernelSet* ks : bench_sets()) {
        if (std::string(ks->isa) == "scalar") continue;
        for (const char* mix : {"Q4_K_M", "Q5_K_M", "Q8_0"}) {
            benchmark::RegisterBenchmark(("model/" + std::string(ks->isa) + "/" + mix).c_str(), BM_Model, ks,
                                         std::string(mix))
                ->ArgsProduct({{1, 128, 512}, {1, 2}})
                ->ArgNames({"n_tok", "threads"})
                ->UseRealTime()
                ->MinTime(2.0)
                ->Unit(benchmark::kMillisecond);
        }
    }
    return true;
}();

}  // namespace
}  // namespace glint::bench
