// The matrix kernels (GEMV and GEMM) of every kernel-set variant against the
// same set's vec_dot, bit for bit, on odd row counts, token counts and sizes;
// and the dots themselves against the scalar reference within tolerance.
#include <cmath>
#include <cstddef>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "kernels/blocks.h"
#include "kernels/packed.h"
#include "kernels/quants.h"
#include "matmul_kernels_util.h"

using namespace glint;
using namespace glint::kernels;
using glint::test::KernelMatmul;

namespace {

const TensorType kWeightTypes[] = {TensorType::F32,  TensorType::F16,  TensorType::BF16,
                                   TensorType::Q4_0, TensorType::Q8_0, TensorType::Q4_K,
                                   TensorType::Q5_K, TensorType::Q6_K};

std::vector<float> gaussian(size_t n, uint32_t seed, float scale) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> nd(0.0f, scale);
    std::vector<float> v(n);
    for (auto& x : v) x = nd(rng);
    return v;
}

std::vector<int64_t> sizes(TensorType t) {
    const int64_t bs = type_info(t).block_size;
    if (bs == 1) return {7, 16, 33, 100, 256, 1000};
    if (bs == 32) return {32, 96, 352, 2048};
    return {256, 768, 2816};
}

class kernels_matmul : public testing::TestWithParam<std::tuple<const KernelSet*, TensorType>> {
protected:
    const KernelSet& ks() const { return *std::get<0>(GetParam()); }
    TensorType type() const { return std::get<1>(GetParam()); }
};

TEST_P(kernels_matmul, GemvAndGemmEqualVecDotBitForBit) {
    const uint32_t id = static_cast<uint32_t>(type());
    if (!ks().gemv[id]) GTEST_SKIP() << "no matrix kernels in " << ks().isa;
    const TensorType at = vec_dot_type(type());
    uint32_t seed = 1;
    for (int64_t K : sizes(type())) {
        for (int64_t rows : {1, 5, 16, 19, 37}) {
            const size_t ws = row_bytes(type(), K), as = row_bytes(at, K);
            // Weights of two scales (the K-quant fits take both paths), activations with outliers.
            std::vector<uint8_t> w(ws * size_t(rows));
            for (int64_t r = 0; r < rows; ++r) {
                const auto wf = gaussian(size_t(K), seed++, r % 3 == 0 ? 0.02f : 1.0f);
                quantize_row_ref(type(), wf.data(), w.data() + size_t(r) * ws, K);
            }
            const int64_t max_tok = 35;
            std::vector<uint8_t> a(as * size_t(max_tok));
            std::vector<float> af;
            for (int64_t t = 0; t < max_tok; ++t) {
                auto x = gaussian(size_t(K), seed++, 3.0f);
                x[size_t(t) % size_t(K)] = 40.0f;
                if (at == TensorType::F32)
                    std::memcpy(a.data() + size_t(t) * as, x.data(), as);
                else
                    ks().quantize_row[static_cast<uint32_t>(at)](x.data(), a.data() + size_t(t) * as, K);
            }
            std::vector<float> want(size_t(max_tok * rows));
            for (int64_t t = 0; t < max_tok; ++t)
                for (int64_t r = 0; r < rows; ++r)
                    want[size_t(t * rows + r)] =
                        ks().vec_dot[id](K, w.data() + size_t(r) * ws, a.data() + size_t(t) * as);
            // GEMV, one token at a time.
            for (int64_t t = 0; t < 3; ++t) {
                std::vector<float> y(size_t(rows), NAN);
                ks().gemv[id](K, w.data(), ws, rows, a.data() + size_t(t) * as, y.data());
                ASSERT_EQ(std::memcmp(y.data(), want.data() + t * rows, size_t(rows) * 4), 0)
                    << ks().isa << " gemv K " << K << " rows " << rows << " token " << t;
            }
            // GEMM, odd token counts.
            for (const GemmKernel* gk : gemm_kernels(ks(), type()))
            for (int64_t n_tok : {2, 3, 5, 15, 16, 17, 35}) {
                KernelMatmul mm(*gk, K);
                std::vector<float> y(size_t(n_tok * rows), NAN);
                mm.run(w.data(), ws, rows, a.data(), as, n_tok, y.data());
                for (int64_t t = 0; t < n_tok; ++t)
                    for (int64_t r = 0; r < rows; ++r)
                        ASSERT_EQ(std::memcmp(&y[size_t(t * rows + r)], &want[size_t(t * rows + r)], 4), 0)
                            << ks().isa << " gemm group " << gk->group << " K " << K << " rows " << rows << " n_tok " << n_tok << " t " << t
                            << " r " << r << " got " << y[size_t(t * rows + r)] << " want "
                            << want[size_t(t * rows + r)];
            }
        }
    }
}

// Weights and activations at the ends of their ranges, where a narrow
// intermediate would overflow: every quant at its largest magnitude (Q4_K
// nibbles 15, Q5_K values 31, scales and mins 63; Q6_K values 63, scales -128; Q8_0 -128,
// Q4_0 -8),
// Q8_K activations -128, Q8_0 ones 127 (a -128 by -128 product is outside
// what the sets' Q8_0 dot promises, as in the reference: quantizers give +-127).
// Bytes [from, to) of every B block in v set to `value`.
template <class B>
void fill_blocks(std::vector<uint8_t>& v, size_t from, size_t to, uint8_t value) {
    for (size_t i = 0; i + sizeof(B) <= v.size(); i += sizeof(B)) std::memset(v.data() + i + from, value, to - from);
}

void extremes(TensorType t, std::vector<uint8_t>& w, std::vector<uint8_t>& a) {
    if (t == TensorType::Q4_K) fill_blocks<block_q4_K>(w, offsetof(block_q4_K, scales), sizeof(block_q4_K), 0xFF);
    if (t == TensorType::Q5_K) fill_blocks<block_q5_K>(w, offsetof(block_q5_K, scales), sizeof(block_q5_K), 0xFF);
    if (t == TensorType::Q6_K) {
        fill_blocks<block_q6_K>(w, 0, offsetof(block_q6_K, scales), 0xFF);  // ql, qh
        fill_blocks<block_q6_K>(w, offsetof(block_q6_K, scales), offsetof(block_q6_K, d), 0x80);
    }
    if (t == TensorType::Q8_0) fill_blocks<block_q8_0>(w, offsetof(block_q8_0, qs), sizeof(block_q8_0), 0x80);
    if (t == TensorType::Q4_0) fill_blocks<block_q4_0>(w, offsetof(block_q4_0, qs), sizeof(block_q4_0), 0x00);
    if (vec_dot_type(t) == TensorType::Q8_K) {
        fill_blocks<block_q8_K>(a, offsetof(block_q8_K, qs), offsetof(block_q8_K, bsums), 0x80);
        for (size_t i = 0; i < a.size(); i += sizeof(block_q8_K))
            for (int16_t& s : reinterpret_cast<block_q8_K*>(a.data() + i)->bsums) s = -128 * 16;
    } else {
        fill_blocks<block_q8_0>(a, offsetof(block_q8_0, qs), sizeof(block_q8_0), 0x7F);
    }
}

TEST_P(kernels_matmul, PackedGemvEqualsVecDotBitForBit) {
    // Rows packed in groups of 16 (kernels/packed.h) must unpack to the same
    // bytes and give, through the packed GEMV, each row's vec_dot exactly, on
    // random rows and on extreme ones (see extremes()).
    const uint32_t id = static_cast<uint32_t>(type());
    const PackedGemvFn gemv_packed = ks().gemv_packed[id];
    if (!gemv_packed) GTEST_SKIP() << "no packed GEMV for " << type_name(type()) << " in " << ks().isa;
    const TensorType at = vec_dot_type(type());
    uint32_t seed = 5;
    for (int64_t K : sizes(type())) {
        for (int64_t rows : {16, 48}) {
            for (bool extreme : {false, true}) {
                const size_t ws = row_bytes(type(), K), as = row_bytes(at, K);
                std::vector<uint8_t> w(ws * size_t(rows)), packed(w.size()), back(ws);
                for (int64_t r = 0; r < rows; ++r) {
                    const auto wf = gaussian(size_t(K), seed++, r % 3 == 0 ? 0.02f : 1.0f);
                    quantize_row_ref(type(), wf.data(), w.data() + size_t(r) * ws, K);
                }
                std::vector<uint8_t> a(as);
                ks().quantize_row[static_cast<uint32_t>(at)](gaussian(size_t(K), seed++, 3.0f).data(), a.data(), K);
                if (extreme) extremes(type(), w, a);
                pack_rows(type(), K, w.data(), ws, rows, packed.data());
                for (int64_t r = 0; r < rows; ++r) {
                    unpack_row(type(), K, packed.data(), ws, r, back.data());
                    ASSERT_EQ(std::memcmp(back.data(), w.data() + size_t(r) * ws, ws), 0) << "unpacked row " << r;
                }
                std::vector<float> y(size_t(rows), NAN);
                gemv_packed(K, packed.data(), ws, rows, a.data(), y.data());
                for (int64_t r = 0; r < rows; ++r) {
                    const float want = ks().vec_dot[id](K, w.data() + size_t(r) * ws, a.data());
                    ASSERT_EQ(std::memcmp(&y[size_t(r)], &want, 4), 0)
                        << ks().isa << " packed gemv K " << K << " rows " << rows << " row " << r
                        << (extreme ? " extreme" : "") << ": " << y[size_t(r)] << " vs " << want;
                }
            }
        }
    }
}

class kernels_matmul_bytes : public kernels_matmul {};

TEST_P(kernels_matmul_bytes, ExtremeValuesGiveTheExactSum) {
    // Q4_0 / Q8_0 weights at the ends of their range (-128 and 127, nibbles 0 and
    // 15) against activations of +-127, scales 1: every product at its largest,
    // where a 16-bit intermediate or an unsigned-byte offset would go wrong.
    // Sums stay below 2^24, so the exact integer sum is the only right answer.
    const uint32_t id = static_cast<uint32_t>(type());
    if (!ks().gemv[id]) GTEST_SKIP() << "no matrix kernels in " << ks().isa;
    const bool q4 = type() == TensorType::Q4_0;
    constexpr int64_t K = 1024, rows = 19, n_tok = 21;
    constexpr uint16_t kOne = 0x3C00;  // fp16 1.0
    const int64_t nb = K / 32;
    std::mt19937 rng(11);
    std::vector<int> wv(size_t(rows * K)), av(size_t(n_tok * K));
    std::vector<block_q4_0> w4(size_t(rows * nb));
    std::vector<block_q8_0> w8(size_t(rows * nb)), a8(size_t(n_tok * nb));
    for (int64_t r = 0; r < rows; ++r)
        for (int64_t i = 0; i < K; ++i) {
            // Row 0: all at the negative end; others: either end at random.
            const bool lo = r == 0 || (rng() & 1);
            const int q = q4 ? (lo ? 0 : 15) : (lo ? -128 : 127);
            wv[size_t(r * K + i)] = q4 ? q - 8 : q;
            const int64_t b = r * nb + i / 32, j = i % 32;
            if (q4) {
                auto& blk = w4[size_t(b)];
                blk.d = kOne;
                auto& byte = blk.qs[j % 16];
                byte = uint8_t(j < 16 ? (byte & 0xF0) | q : (byte & 0x0F) | (q << 4));
            } else {
                w8[size_t(b)].d = kOne;
                w8[size_t(b)].qs[j] = int8_t(q);
            }
        }
    for (int64_t t = 0; t < n_tok; ++t)
        for (int64_t i = 0; i < K; ++i) {
            // Token 0: the sign of row 0's weights (the largest sum); others: random signs.
            const int v = (t == 0 ? wv[size_t(i)] < 0 : (rng() & 1)) ? -127 : 127;
            av[size_t(t * K + i)] = v;
            a8[size_t(t * nb + i / 32)].d = kOne;
            a8[size_t(t * nb + i / 32)].qs[i % 32] = int8_t(v);
        }
    const void* w = q4 ? static_cast<const void*>(w4.data()) : static_cast<const void*>(w8.data());
    const size_t ws = row_bytes(type(), K), as = row_bytes(TensorType::Q8_0, K);
    std::vector<float> want(size_t(n_tok * rows));
    for (int64_t t = 0; t < n_tok; ++t)
        for (int64_t r = 0; r < rows; ++r) {
            int64_t s = 0;
            for (int64_t i = 0; i < K; ++i) s += int64_t(wv[size_t(r * K + i)]) * av[size_t(t * K + i)];
            want[size_t(t * rows + r)] = float(s);
            ASSERT_EQ(ks().vec_dot[id](K, static_cast<const uint8_t*>(w) + size_t(r) * ws, a8.data() + t * nb),
                      float(s))
                << ks().isa << " vec_dot r " << r << " t " << t;
        }
    for (const GemmKernel* gk : gemm_kernels(ks(), type())) {
        KernelMatmul mm(*gk, K);
        std::vector<float> y(size_t(n_tok * rows), NAN);
        mm.run(w, ws, rows, a8.data(), as, n_tok, y.data());
        for (size_t i = 0; i < y.size(); ++i)
            ASSERT_EQ(y[i], want[i]) << ks().isa << " gemm group " << gk->group << " t " << i / rows << " r "
                                     << i % rows;
    }
}

TEST_P(kernels_matmul, RowsSplitAnywhereGiveTheSameResult) {
    // matmul hands threads row ranges starting anywhere a tile starts: a range
    // must not depend on where it sits in the matrix.
    const uint32_t id = static_cast<uint32_t>(type());
    if (!ks().gemv[id]) GTEST_SKIP() << "no matrix kernels in " << ks().isa;
    const TensorType at = vec_dot_type(type());
    const int64_t K = sizes(type())[1], rows = 48, n_tok = 20;
    const size_t ws = row_bytes(type(), K), as = row_bytes(at, K);
    std::vector<uint8_t> w(ws * rows), a(as * n_tok);
    for (int64_t r = 0; r < rows; ++r) {
        const auto wf = gaussian(size_t(K), 900 + uint32_t(r), 1.0f);
        quantize_row_ref(type(), wf.data(), w.data() + size_t(r) * ws, K);
    }
    for (int64_t t = 0; t < n_tok; ++t) {
        const auto x = gaussian(size_t(K), 5000 + uint32_t(t), 1.0f);
        if (at == TensorType::F32)
            std::memcpy(a.data() + size_t(t) * as, x.data(), as);
        else
            ks().quantize_row[static_cast<uint32_t>(at)](x.data(), a.data() + size_t(t) * as, K);
    }
    std::vector<float> whole(size_t(rows * n_tok)), parts(size_t(rows * n_tok));
    for (const GemmKernel* gk : gemm_kernels(ks(), type())) {
        KernelMatmul mm(*gk, K);
        mm.run(w.data(), ws, rows, a.data(), as, n_tok, whole.data());
        for (int64_t r0 : {0, 16, 32}) mm.run(w.data() + size_t(r0) * ws, ws, 16, a.data(), as, n_tok, parts.data() + r0, rows);
        EXPECT_EQ(std::memcmp(whole.data(), parts.data(), whole.size() * 4), 0) << "group " << gk->group;
    }
}

std::vector<const KernelSet*> fast_variants() {
    std::vector<const KernelSet*> out;
    for (const KernelSet* ks : kernel_set_variants())
        if (std::string(ks->isa) != "scalar") out.push_back(ks);
    return out;
}

std::string param_name(const testing::TestParamInfo<std::tuple<const KernelSet*, TensorType>>& info) {
    std::string s = std::string(std::get<0>(info.param)->isa) + "_" + std::string(type_name(std::get<1>(info.param)));
    for (char& c : s)
        if (!isalnum(static_cast<unsigned char>(c))) c = '_';
    return s;
}

INSTANTIATE_TEST_SUITE_P(Sets, kernels_matmul,
                         testing::Combine(testing::ValuesIn(fast_variants()), testing::ValuesIn(kWeightTypes)),
                         param_name);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(kernels_matmul);
INSTANTIATE_TEST_SUITE_P(Sets, kernels_matmul_bytes,
                         testing::Combine(testing::ValuesIn(fast_variants()),
                                          testing::Values(TensorType::Q4_0, TensorType::Q8_0)),
                         param_name);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(kernels_matmul_bytes);

}  // namespace
