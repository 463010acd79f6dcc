// engine/matmul on every kernel-set variant: whatever the thread count and
// whichever path it takes (GEMV per thread, GEMM split by rows or by token
// groups), every output equals the set's vec_dot of the quantized activation
// row with the weight row, bit for bit (also with packed copies of the
// weights, kernels/packed.h); matmul_shared equals separate matmuls.
#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "engine/matmul.h"
#include "kernels/packed.h"
#include "kernels/quants.h"

using namespace glint;
using namespace glint::kernels;

namespace {

Weight random_weight(TensorType t, int64_t rows, int64_t cols, std::vector<uint8_t>& data, std::mt19937& rng) {
    std::normal_distribution<float> nd(0.0f, 1.0f);
    const size_t ws = row_bytes(t, cols);
    data.resize(ws * size_t(rows));
    std::vector<float> tmp(static_cast<size_t>(cols));
    for (int64_t r = 0; r < rows; ++r) {
        for (auto& v : tmp) v = nd(rng);
        quantize_row_ref(t, tmp.data(), data.data() + size_t(r) * ws, cols);
    }
    Weight W;
    W.type = t;
    W.rows = rows;
    W.cols = cols;
    W.data = data.data();
    W.row_stride = ws;
    return W;
}

class engine_matmul : public testing::TestWithParam<std::tuple<const KernelSet*, TensorType>> {};

TEST_P(engine_matmul, EqualsVecDotForAnyThreadsAndTokens) {
    const KernelSet& ks = *std::get<0>(GetParam());
    const TensorType t = std::get<1>(GetParam());
    const TensorType at = vec_dot_type(t);
    const int64_t bs = type_info(t).block_size;
    const int64_t cols = bs == 1 ? 200 : (bs == 32 ? 320 : 512);
    std::mt19937 rng(3);
    std::normal_distribution<float> nd(0.0f, 1.0f);
    // 1999 rows: several L2-sized row blocks for the few-token GEMV path, and
    // for one token many claimed chunks of rows, the last one short.
    for (int64_t rows : {37, 160, 1999}) {
        const size_t as = row_bytes(at, cols);
        std::vector<uint8_t> wdata, pdata;
        const Weight W = random_weight(t, rows, cols, wdata, rng);
        // And with a packed copy of its whole groups of 16 rows where the set
        // reads one (kernels/packed.h): the GEMV paths take it, the rest not.
        Weight Wp = W;
        if (ks.gemv_packed[static_cast<uint32_t>(t)] && packable(t)) {
            pdata.resize(wdata.size());
            pack_rows(t, cols, W.data, W.row_stride, rows / kPackRows * kPackRows, pdata.data());
            Wp.packed = pdata.data();
        }
        const std::vector<int64_t> toks = rows > 1000 ? std::vector<int64_t>{1, 3, 7} : std::vector<int64_t>{1, 2, 5, 17, 64, 100};
        for (int64_t n_tok : toks) {
            std::vector<float> x(static_cast<size_t>(n_tok * cols));
            for (auto& v : x) v = nd(rng);
            std::vector<uint8_t> aq(as * size_t(n_tok));
            for (int64_t i = 0; i < n_tok; ++i) {
                if (at == TensorType::F32)
                    std::memcpy(aq.data() + size_t(i) * as, x.data() + i * cols, as);
                else
                    ks.quantize_row[static_cast<uint32_t>(at)](x.data() + i * cols, aq.data() + size_t(i) * as, cols);
            }
            for (int threads : {1, 2, 3})
            for (const Weight* w : {&W, static_cast<const Weight*>(&Wp)}) {
                if (w == &Wp && !Wp.packed) continue;
                std::vector<float> y(static_cast<size_t>(n_tok * rows), NAN);
                std::vector<uint8_t> act;
                matmul(*w, x.data(), n_tok, y.data(), act, ks, threads);
                for (int64_t i = 0; i < n_tok; ++i)
                    for (int64_t r = 0; r < rows; ++r) {
                        const float want = ks.vec_dot[static_cast<uint32_t>(t)](cols, W.row(r), aq.data() + size_t(i) * as);
                        const float got = y[size_t(i * rows + r)];
                        ASSERT_EQ(std::memcmp(&want, &got, 4), 0)
                            << ks.isa << " " << type_name(t) << (w->packed ? " packed" : "") << " rows " << rows
                            << " n_tok " << n_tok << " threads " << threads << " at (" << i << ", " << r << "): " << got
                            << " vs " << want;
                    }
            }
        }
    }
}

// matmul_shared against one matmul per weight: the same bits, whether the
// weights share an activation layout (Q/K/V of a K-quant mix, gate/up) or not
// (then each runs on its own).
TEST(engine_matmul_shared, EqualsSeparateProducts) {
    const std::vector<std::vector<TensorType>> mixes = {
        {TensorType::Q4_K, TensorType::Q4_K, TensorType::Q6_K},  // Q4_K_M's attention
        {TensorType::Q5_K, TensorType::Q5_K},
        {TensorType::Q8_0, TensorType::Q4_0, TensorType::Q8_0},
        {TensorType::Q4_K, TensorType::Q8_0, TensorType::Q6_K},  // the Q8_0 one on its own
        {TensorType::F16, TensorType::F32},
    };
    const int64_t cols = 512, rows[] = {96, 32, 160};
    std::mt19937 rng(5);
    std::normal_distribution<float> nd(0.0f, 1.0f);
    for (const KernelSet* ks : kernel_set_variants()) {
        for (const auto& mix : mixes) {
            std::vector<std::vector<uint8_t>> data(mix.size());
            std::vector<Weight> ws;
            for (size_t i = 0; i < mix.size(); ++i) ws.push_back(random_weight(mix[i], rows[i], cols, data[i], rng));
            // GEMV, a few tokens, GEMM with rows split, GEMM with token groups split (2 threads)
            for (int64_t n_tok : {1, 3, 17, 64}) {
                std::vector<float> x(static_cast<size_t>(n_tok * cols));
                for (auto& v : x) v = nd(rng);
                for (int threads : {1, 2, 3}) {
                    std::vector<std::vector<float>> want(mix.size()), got(mix.size());
                    std::vector<uint8_t> act;
                    for (size_t i = 0; i < mix.size(); ++i) {
                        want[i].assign(size_t(n_tok * ws[i].rows), NAN);
                        got[i] = want[i];
                        matmul(ws[i], x.data(), n_tok, want[i].data(), act, *ks, threads);
                    }
                    if (mix.size() == 3)
                        matmul_shared({{&ws[0], got[0].data()}, {&ws[1], got[1].data()}, {&ws[2], got[2].data()}},
                                      x.data(), n_tok, act, *ks, threads);
                    else
                        matmul_shared({{&ws[0], got[0].data()}, {&ws[1], got[1].data()}}, x.data(), n_tok, act, *ks,
                                      threads);
                    for (size_t i = 0; i < mix.size(); ++i)
                        ASSERT_EQ(std::memcmp(want[i].data(), got[i].data(), want[i].size() * sizeof(float)), 0)
                            << ks->isa << " product " << i << " (" << type_name(mix[i]) << ") n_tok " << n_tok
                            << " threads " << threads;
                }
            }
        }
    }
}

std::string param_name(const testing::TestParamInfo<std::tuple<const KernelSet*, TensorType>>& info) {
    std::string s = std::string(std::get<0>(info.param)->isa) + "_" + std::string(type_name(std::get<1>(info.param)));
    for (char& c : s)
        if (!isalnum(static_cast<unsigned char>(c))) c = '_';
    return s;
}

INSTANTIATE_TEST_SUITE_P(
    Sets, engine_matmul,
    testing::Combine(testing::ValuesIn(kernel_set_variants()),
                     testing::Values(TensorType::F32, TensorType::F16, TensorType::BF16, TensorType::Q4_0,
                                     TensorType::Q8_0, TensorType::Q4_K, TensorType::Q5_K, TensorType::Q6_K)),
    param_name);

}  // namespace
