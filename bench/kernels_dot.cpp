// Per-kernel micro-benchmarks on cache-resident data: vec_dot, GEMV (256 rows)
// and the GEMM kernel (64 rows x 128 tokens, one thread), for every type and
// kernel set; and a few tokens (batched decoding: 256 rows x 4 or 8 tokens, K 2048 or 5632)
// through each GEMM kernel and through one GEMV per token; attention over an F32/F16
// cache (8 query heads per KV head, head length 64, 512 keys): scores and V sums by the
// head-group kernels and by one single-head call per head. Counters: GB/s of weights
// (or keys / values) streamed, GOPS (2 ops per multiply-add).
#include <benchmark/benchmark.h>

#include <cstring>
#include <string>

#include "bench_util.h"
#include "kernels/packed.h"
#include "kernels/matmul_kernels_util.h"

namespace glint::bench {
namespace {

const TensorType kTypes[] = {TensorType::F32,  TensorType::F16,  TensorType::BF16, TensorType::Q4_0,
                             TensorType::Q8_0, TensorType::Q4_K, TensorType::Q5_K, TensorType::Q6_K};

std::vector<uint8_t> quantized_acts(const kernels::KernelSet& ks, TensorType wt, int64_t n_tok, int64_t K) {
    const TensorType at = kernels::vec_dot_type(wt);
    const size_t as = row_bytes(at, K);
    std::vector<uint8_t> a(as * size_t(n_tok));
    const auto x = make_activations(n_tok, K);
    for (int64_t t = 0; t < n_tok; ++t) {
        if (at == TensorType::F32)
            std::memcpy(a.data() + size_t(t) * as, x.data() + t * K, as);
        else
            ks.quantize_row[static_cast<uint32_t>(at)](x.data() + t * K, a.data() + size_t(t) * as, K);
    }
    return a;
}

void counters(benchmark::State& st, double weight_bytes, double macs) {
    st.counters["GB/s"] = benchmark::Counter(weight_bytes * 1e-9 * double(st.iterations()), benchmark::Counter::kIsRate);
    st.counters["GOPS"] = benchmark::Counter(2 * macs * 1e-9 * double(st.iterations()), benchmark::Counter::kIsRate);
}

void BM_VecDot(benchmark::State& st, const kernels::KernelSet* ks, TensorType t) {
    const int64_t K = 4096, rows = 16;
    const Matrix m = make_matrix(t, rows, K);
    const auto a = quantized_acts(*ks, t, 1, K);
    const auto dot = ks->vec_dot[static_cast<uint32_t>(t)];
    float sink = 0;
    for (auto _ : st) {
        for (int64_t r = 0; r < rows; ++r) sink += dot(K, m.w.row(r), a.data());
        benchmark::DoNotOptimize(sink);
    }
    counters(st, double(m.data.size()), double(rows * K));
}

void BM_Gemv(benchmark::State& st, const kernels::KernelSet* ks, TensorType t) {
    const int64_t K = 2048, rows = 256;
    const Matrix m = make_matrix(t, rows, K);
    const auto a = quantized_acts(*ks, t, 1, K);
    const auto gemv = ks->gemv[static_cast<uint32_t>(t)];
    std::vector<float> y(static_cast<size_t>(rows));
    for (auto _ : st) {
        gemv(K, m.w.data, m.w.row_stride, rows, a.data(), y.data());
        benchmark::ClobberMemory();
    }
    counters(st, double(m.data.size()), double(rows * K));
}

// Packed GEMV (kernels/packed.h) on the same cache-resident rows.
void BM_GemvPacked(benchmark::State& st, const kernels::KernelSet* ks, TensorType t) {
    const int64_t K = 2048, rows = 256;
    const Matrix m = make_matrix(t, rows, K);
    const auto a = quantized_acts(*ks, t, 1, K);
    const kernels::PackedGemvFn gemv = ks->gemv_packed[static_cast<uint32_t>(t)];
    std::vector<uint8_t> buf(m.data.size() + 64);
    uint8_t* packed = aligned64(buf);  // as the engine's packed copies
    kernels::pack_rows(t, K, m.w.data, m.w.row_stride, rows, packed);
    std::vector<float> y(static_cast<size_t>(rows));
    for (auto _ : st) {
        gemv(K, packed, m.w.row_stride, rows, a.data(), y.data());
        benchmark::ClobberMemory();
    }
    counters(st, double(m.data.size()), double(rows * K));
}

// A 512 MiB matrix (K 2048) from memory, rows split evenly over `threads`
// threads: in place (gemv) or packed.
void BM_GemvMemory(benchmark::State& st, const kernels::KernelSet* ks, TensorType t, bool packed) {
    const int64_t K = 2048, threads = st.range(0);
    const int64_t rows = int64_t((size_t(512) << 20) / row_bytes(t, K)) / 256 * 256;
    const Matrix m = make_matrix(t, rows, K);
    const auto a = quantized_acts(*ks, t, 1, K);
    const kernels::PackedGemvFn gemv_packed = ks->gemv_packed[static_cast<uint32_t>(t)];
    std::vector<uint8_t> buf;
    uint8_t* p = nullptr;
    if (packed) {
        buf.resize(m.data.size() + 64);
        p = aligned64(buf);
        kernels::pack_rows(t, K, m.w.data, m.w.row_stride, rows, p);
    }
    std::vector<float> y(static_cast<size_t>(rows));
    for (auto _ : st) {
#pragma omp parallel for num_threads(int(threads)) schedule(static)
        for (int64_t c = 0; c < threads; ++c) {
            const int64_t r0 = rows * c / threads / 16 * 16, r1 = rows * (c + 1) / threads / 16 * 16;
            if (packed)
                gemv_packed(K, p + size_t(r0) * m.w.row_stride, m.w.row_stride, r1 - r0, a.data(), y.data() + r0);
            else
                ks->gemv[static_cast<uint32_t>(t)](K, m.w.row(r0), m.w.row_stride, r1 - r0, a.data(), y.data() + r0);
        }
        benchmark::ClobberMemory();
    }
    counters(st, double(m.data.size()), double(rows * K));
}

void BM_GemmKernel(benchmark::State& st, const kernels::KernelSet* ks, TensorType t) {
    const int64_t K = st.range(0), rows = 64, n_tok = 128;
    const Matrix m = make_matrix(t, rows, K);
    const auto a = quantized_acts(*ks, t, n_tok, K);
    const size_t as = row_bytes(kernels::vec_dot_type(t), K);
    test::KernelMatmul mm(*ks->gemm[static_cast<uint32_t>(t)], K);
    mm.prepare(a.data(), as, n_tok);
    std::vector<float> y(size_t(rows * n_tok));
    for (auto _ : st) {
        mm.compute(m.w.data, m.w.row_stride, rows, n_tok, y.data(), rows);
        benchmark::ClobberMemory();
    }
    counters(st, double(m.data.size()), double(rows * K * n_tok));
}

// n_tok tokens through GEMM kernel `gk` (or, when null, one GEMV per token).
void BM_FewTokens(benchmark::State& st, const kernels::KernelSet* ks, TensorType t, const kernels::GemmKernel* gk) {
    const int64_t K = st.range(1), rows = 256, n_tok = st.range(0);
    const Matrix m = make_matrix(t, rows, K);
    const auto a = quantized_acts(*ks, t, n_tok, K);
    const size_t as = row_bytes(kernels::vec_dot_type(t), K);
    std::vector<float> y(size_t(rows * n_tok));
    if (gk) {
        test::KernelMatmul mm(*gk, K);
        mm.prepare(a.data(), as, n_tok);
        for (auto _ : st) {
            mm.compute(m.w.data, m.w.row_stride, rows, n_tok, y.data(), rows);
            benchmark::ClobberMemory();
        }
    } else {
        const auto gemv = ks->gemv[static_cast<uint32_t>(t)];
        for (auto _ : st) {
            for (int64_t i = 0; i < n_tok; ++i)
                gemv(K, m.w.data, m.w.row_stride, rows, a.data() + size_t(i) * as, y.data() + i * rows);
            benchmark::ClobberMemory();
        }
    }
    counters(st, double(m.data.size()), double(rows * K * n_tok));
}

// Attention for one KV head: nq heads' scores over n keys (gemv_heads, or one
// gemv per head when `single`), or their V sums (axpy_heads / axpy_rows).
void BM_Heads(benchmark::State& st, const kernels::KernelSet* ks, TensorType t, bool v_sums, bool single) {
    const int64_t hd = 64, n = 512;
    const int nq = 8;
    const auto id = static_cast<uint32_t>(t);
    const Matrix kv = make_matrix(t, n, hd);
    const auto q = quantized_acts(*ks, t, nq, hd);
    const size_t qs = row_bytes(t, hd);
    std::vector<float> w(size_t(nq * n)), y(size_t(nq) * size_t(v_sums ? hd : n));
    for (size_t i = 0; i < w.size(); ++i) w[i] = 1.0f / float(1 + i % 97);
    for (auto _ : st) {
        if (v_sums && single)
            for (int h = 0; h < nq; ++h) ks->axpy_rows[id](hd, n, w.data() + h * n, kv.w.data, kv.w.row_stride, y.data() + h * hd);
        else if (v_sums)
            ks->axpy_heads[id](hd, n, nq, w.data(), n, kv.w.data, kv.w.row_stride, y.data(), hd);
        else if (single)
            for (int h = 0; h < nq; ++h) ks->gemv[id](hd, kv.w.data, kv.w.row_stride, n, q.data() + h * qs, y.data() + h * n);
        else
            ks->gemv_heads[id](hd, kv.w.data, kv.w.row_stride, n, nq, q.data(), qs, y.data(), n);
        benchmark::ClobberMemory();
    }
    counters(st, double(kv.data.size()), double(nq * n * hd));
}

const bool registered = [] {
    for (const kernels::KernelSet* ks : bench_sets()) {
        for (TensorType t : {TensorType::F32, TensorType::F16, TensorType::Q8_0}) {  // the KV cache types
            if (!ks->gemv[static_cast<uint32_t>(t)]) continue;  // the scalar set has no GEMV
            const std::string suffix = std::string(ks->isa) + "/" + std::string(type_name(t));
            for (bool v : {false, true})
                for (bool single : {false, true})
                    benchmark::RegisterBenchmark(
                        (std::string(v ? "attn_v/" : "attn_scores/") + suffix + (single ? "/per_head" : "/heads")).c_str(),
                        BM_Heads, ks, t, v, single);
        }
        for (TensorType t : kTypes) {
            const auto id = static_cast<uint32_t>(t);
            const std::string suffix = std::string(ks->isa) + "/" + std::string(type_name(t));
            benchmark::RegisterBenchmark(("vec_dot/" + suffix).c_str(), BM_VecDot, ks, t);
            if (ks->gemv[id]) benchmark::RegisterBenchmark(("gemv_l2/" + suffix).c_str(), BM_Gemv, ks, t);
            if (ks->gemv_packed[id]) {
                benchmark::RegisterBenchmark(("gemv_packed_l2/" + suffix).c_str(), BM_GemvPacked, ks, t);
                for (bool packed : {false, true})
                    benchmark::RegisterBenchmark(((packed ? "gemv_memory_packed/" : "gemv_memory/") + suffix).c_str(),
                                                 BM_GemvMemory, ks, t, packed)
                        ->Arg(1)->Arg(2)->ArgName("threads")->UseRealTime();
            }
            if (ks->gemm[id]) benchmark::RegisterBenchmark(("gemm_kernel/" + suffix).c_str(), BM_GemmKernel, ks, t)
                    ->Arg(256)
                    ->Arg(2048)
                    ->ArgName("K");
            if (!ks->gemm_narrow[0][id] && !ks->gemm_narrow[1][id]) continue;
            benchmark::RegisterBenchmark(("few_gemv/" + suffix).c_str(), BM_FewTokens, ks, t, nullptr)
                ->ArgsProduct({{4, 8}, {2048, 5632}})->ArgNames({"tok", "K"});
            for (const kernels::GemmKernel* gk : kernels::gemm_kernels(*ks, t))
                benchmark::RegisterBenchmark(("few_gemm" + std::to_string(gk->group) + "/" + suffix).c_str(),
                                             BM_FewTokens, ks, t, gk)
                    ->ArgsProduct({{4, 8}, {2048, 5632}})->ArgNames({"tok", "K"});
        }
    }
    return true;
}();

}  // namespace
}  // namespace glint::bench
