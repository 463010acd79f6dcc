// The yardstick for the int8 GEMM: OpenBLAS sgemm on dequantized weights, same
// TinyLlama shapes and token counts as matmul/. Two variants:
//   openblas_sgemm: weights dequantized to F32 beforehand (not timed), an upper
//                   bound for any dequantize-then-sgemm scheme;
//   openblas_tiles: 256-row tiles dequantized on the fly (this set's
//                   dequantize_row), then sgemm per tile: the realistic scheme.
// Activations are F32 (no activation quantization), threads via openblas_set_num_threads.
#include <benchmark/benchmark.h>
#include <cblas.h>

#include <string>

#include "bench_util.h"

extern "C" void openblas_set_num_threads(int);

namespace glint::bench {
namespace {

const TensorType kTypes[] = {TensorType::Q4_K, TensorType::Q6_K, TensorType::Q8_0, TensorType::F16};

void BM_Sgemm(benchmark::State& st, TensorType t, Shape s, bool tiles) {
    const int64_t n_tok = st.range(0);
    openblas_set_num_threads(int(st.range(1)));
    const Matrix m = make_matrix(t, s.rows, s.cols);
    const auto x = make_activations(n_tok, s.cols);
    std::vector<float> y(static_cast<size_t>(n_tok * s.rows));
    const auto& ks = kernels::active_kernels();
    const auto deq = ks.dequantize_row[static_cast<uint32_t>(t)];
    constexpr int64_t kTile = 256;
    std::vector<float> wf(static_cast<size_t>((tiles ? kTile : s.rows) * s.cols));
    if (!tiles)
        for (int64_t r = 0; r < s.rows; ++r) deq(m.w.row(r), wf.data() + r * s.cols, s.cols);
    for (auto _ : st) {
        if (!tiles) {
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, int(n_tok), int(s.rows), int(s.cols), 1.0f, x.data(),
                        int(s.cols), wf.data(), int(s.cols), 0.0f, y.data(), int(s.rows));
        } else {
            for (int64_t r0 = 0; r0 < s.rows; r0 += kTile) {
                const int64_t nr = std::min(kTile, s.rows - r0);
                for (int64_t r = 0; r < nr; ++r) deq(m.w.row(r0 + r), wf.data() + r * s.cols, s.cols);
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, int(n_tok), int(nr), int(s.cols), 1.0f,
                            x.data(), int(s.cols), wf.data(), int(s.cols), 0.0f, y.data() + r0, int(s.rows));
            }
        }
        benchmark::ClobberMemory();
    }
    const double it = double(st.iterations());
    st.counters["GOPS"] = benchmark::Counter(2e-9 * double(s.rows * s.cols * n_tok) * it, benchmark::Counter::kIsRate);
    st.counters["tok/s"] = benchmark::Counter(double(n_tok) * it, benchmark::Counter::kIsRate);
}

const bool registered = [] {
    for (TensorType t : kTypes) {
        for (const Shape& s : kTinyLlama) {
            if (std::string(s.name) == "attn_v" || std::string(s.name) == "ffn_up") continue;  // same shapes as k / gate
            for (bool tiles : {false, true}) {
                const std::string name = std::string(tiles ? "openblas_tiles/" : "openblas_sgemm/") +
                                         std::string(type_name(t)) + "/" + s.name + "_" + std::to_string(s.rows) +
                                         "x" + std::to_string(s.cols);
                benchmark::RegisterBenchmark(name.c_str(), BM_Sgemm, t, s, tiles)
                    ->ArgsProduct({{128, 512}, {1, 2}})
                    ->ArgNames({"n_tok", "threads"})
                    ->UseRealTime()
                    ->Unit(benchmark::kMillisecond);
            }
        }
    }
    return true;
}();

}  // namespace
}  // namespace glint::bench
