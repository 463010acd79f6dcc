// engine/matmul (quantization, threads and kernels together) on TinyLlama-1.1B
// shapes: matvec (n_tok 1) over enough copies of the matrix to miss every cache,
// and 128/512-token products. Args: n_tok, threads.
#include <benchmark/benchmark.h>
#include <omp.h>

#include <memory>
#include <string>

#include "bench_util.h"
#include "engine/matmul.h"

namespace glint::bench {
namespace {

const TensorType kTypes[] = {TensorType::Q4_K, TensorType::Q5_K, TensorType::Q6_K,
                             TensorType::Q8_0, TensorType::Q4_0, TensorType::F16};

void BM_Matmul(benchmark::State& st, const kernels::KernelSet* ks, TensorType t, Shape s) {
    const int64_t n_tok = st.range(0);
    const int threads = int(st.range(1));
    // Matvec must stream from memory: cycle through >= 256 MiB of copies.
    const size_t bytes = row_bytes(t, s.cols) * size_t(s.rows);
    const size_t copies = n_tok == 1 ? std::max<size_t>(1, (size_t(256) << 20) / bytes + 1) : 1;
    std::vector<std::unique_ptr<Matrix>> ms;
    const Matrix first = make_matrix(t, s.rows, s.cols);
    for (size_t i = 0; i < copies; ++i) ms.push_back(std::make_unique<Matrix>(first));
    for (auto& m : ms) m->w.data = m->data.data();
    const auto x = make_activations(n_tok, s.cols);
    std::vector<float> y(size_t(n_tok * s.rows));
    std::vector<uint8_t> act(matmul_scratch_bytes(t, s.cols, n_tok));
    size_t i = 0;
    for (auto _ : st) {
        matmul(ms[i]->w, x.data(), n_tok, y.data(), act, *ks, threads);
        i = (i + 1) % copies;
        benchmark::ClobberMemory();
    }
    const double it = double(st.iterations());
    st.counters["GB/s"] = benchmark::Counter(double(bytes) * 1e-9 * it, benchmark::Counter::kIsRate);
    st.counters["GOPS"] = benchmark::Counter(2e-9 * double(s.rows * s.cols * n_tok) * it, benchmark::Counter::kIsRate);
    st.counters["tok/s"] = benchmark::Counter(double(n_tok) * it, benchmark::Counter::kIsRate);
}

const bool registered = [] {
    const auto sets = bench_sets();
    for (const kernels::KernelSet* ks : sets) {
        if (std::string(ks->isa) == "scalar") continue;
        for (TensorType t : kTypes) {
            for (const Shape& s : kTinyLlama) {
                const std::string name = "matmul/" + std::string(ks->isa) + "/" + std::string(type_name(t)) + "/" +
                                         s.name + "_" + std::to_string(s.rows) + "x" + std::to_string(s.cols);
                benchmark::RegisterBenchmark(name.c_str(), BM_Matmul, ks, t, s)
                    ->ArgsProduct({{1, 128, 512}, {1, 2}})
                    ->ArgNames({"n_tok", "threads"})
                    ->UseRealTime()
                    ->Unit(benchmark::kMicrosecond);
            }
        }
    }
    return true;
}();

}  // namespace
}  // namespace glint::bench
