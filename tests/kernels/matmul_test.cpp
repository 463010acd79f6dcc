// engine/matmul on every kernel-set variant: whatever the thread count and
// whichever path it takes (GEMV per thread, GEMM split by rows or by token
// groups), every output equals the set's vec_dot of the quantized activation
// row with the weight row, bit for bit.
#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "engine/matmul.h"
#include "kernels/quants.h"

using namespace glint;
using namespace glint::kernels;

namespace {

class engine_matmul : public testing::TestWithParam<std::tuple<const KernelSet*, TensorType>> {};

TEST_P(engine_matmul, EqualsVecDotForAnyThreadsAndTokens) {
    const KernelSet& ks = *std::get<0>(GetParam());
    const TensorType t = std::get<1>(GetParam());
    const TensorType at = vec_dot_type(t);
    const int64_t bs = type_info(t).block_size;
    const int64_t cols = bs == 1 ? 200 : (bs == 32 ? 320 : 512);
    std::mt19937 rng(3);
    std::normal_distribution<float> nd(0.0f, 1.0f);
    // 2000 rows: several L2-sized row blocks for the few-token GEMV path.
    for (int64_t rows : {37, 160, 2000}) {
        const size_t ws = row_bytes(t, cols), as = row_bytes(at, cols);
        std::vector<uint8_t> wdata(ws * size_t(rows));
        std::vector<float> tmp(static_cast<size_t>(cols));
        for (int64_t r = 0; r < rows; ++r) {
            for (auto& v : tmp) v = nd(rng);
            quantize_row_ref(t, tmp.data(), wdata.data() + size_t(r) * ws, cols);
        }
        Weight W;
        W.type = t;
        W.rows = rows;
        W.cols = cols;
        W.data = wdata.data();
        W.row_stride = ws;
        const std::vector<int64_t> toks = rows > 1000 ? std::vector<int64_t>{3, 7} : std::vector<int64_t>{1, 2, 5, 17, 64, 100};
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
            for (int threads : {1, 2, 3}) {
                std::vector<float> y(static_cast<size_t>(n_tok * rows), NAN);
                std::vector<uint8_t> act;
                matmul(W, x.data(), n_tok, y.data(), act, ks, threads);
                for (int64_t i = 0; i < n_tok; ++i)
                    for (int64_t r = 0; r < rows; ++r) {
                        const float want = ks.vec_dot[static_cast<uint32_t>(t)](cols, W.row(r), aq.data() + size_t(i) * as);
                        const float got = y[size_t(i * rows + r)];
                        ASSERT_EQ(std::memcmp(&want, &got, 4), 0)
                            << ks.isa << " " << type_name(t) << " rows " << rows << " n_tok " << n_tok << " threads "
                            << threads << " at (" << i << ", " << r << "): " << got << " vs " << want;
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
