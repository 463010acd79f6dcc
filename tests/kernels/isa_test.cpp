// Every kernel of every available ISA set against the scalar reference:
// quantizers, dequantizers and row axpys bit for bit, dots to float rounding.
#include <cmath>
#include <cstring>
#include <ostream>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>

#include "kernels/quants.h"

// Readable parameters in test output (found by argument-dependent lookup).
namespace glint {
void PrintTo(TensorType t, std::ostream* os) { *os << type_name(t); }
namespace kernels {
void PrintTo(const KernelSet* ks, std::ostream* os) { *os << ks->isa; }
}  // namespace kernels
}  // namespace glint

using namespace glint;
using namespace glint::kernels;

namespace {

const TensorType kTypes[] = {TensorType::F32,  TensorType::F16,  TensorType::BF16,
                             TensorType::Q4_0, TensorType::Q8_0, TensorType::Q4_K,
                             TensorType::Q5_K, TensorType::Q6_K, TensorType::Q8_K};

// A dot may sum in another order (and in float where scalar uses double):
// allow this much of sum |w_i a_i|.
constexpr double kDotRelTol = 1e-5;

std::vector<const KernelSet*> simd_sets() {
    std::vector<const KernelSet*> out;
    for (const KernelSet* ks : kernel_set_variants())
        if (std::string(ks->isa) != "scalar") out.push_back(ks);
    return out;
}

std::vector<float> gaussian(int64_t n, uint32_t seed, float scale = 1.0f) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> nd(0.0f, scale);
    std::vector<float> v(static_cast<size_t>(n));
    for (auto& x : v) x = nd(rng);
    return v;
}

// Row lengths: several blocks, plus ragged tails for the float types.
std::vector<int64_t> sizes(TensorType t) {
    const int64_t bs = type_info(t).block_size;
    if (bs == 1) return {1, 7, 8, 33, 100, 256, 4099};
    return {bs, 3 * bs, 17 * bs};
}

using Param = std::tuple<const KernelSet*, TensorType>;

class kernels_isa : public testing::TestWithParam<Param> {
protected:
    const KernelSet& ks() const { return *std::get<0>(GetParam()); }
    const KernelSet& ref() const { return *find_kernel_set("scalar"); }
    TensorType type() const { return std::get<1>(GetParam()); }
    uint32_t id() const { return static_cast<uint32_t>(type()); }
};

TEST_P(kernels_isa, EntriesPresentWhereScalarHasThem) {
    EXPECT_EQ(ks().quantize_row[id()] != nullptr, ref().quantize_row[id()] != nullptr);
    EXPECT_EQ(ks().dequantize_row[id()] != nullptr, ref().dequantize_row[id()] != nullptr);
    EXPECT_EQ(ks().vec_dot[id()] != nullptr, ref().vec_dot[id()] != nullptr);
    EXPECT_EQ(ks().axpy_rows[id()] != nullptr, ref().axpy_rows[id()] != nullptr);
    EXPECT_EQ(ks().axpy_heads[id()] != nullptr, ref().axpy_rows[id()] != nullptr);
    // Matrix kernels: attention scores of several heads wherever there is a KV cache type's GEMV.
    if (ref().axpy_rows[id()]) {
        EXPECT_EQ(ks().gemv_heads[id()] != nullptr, ks().gemv[id()] != nullptr);
    }
}

TEST_P(kernels_isa, QuantizeMatchesScalarBitForBit) {
    if (ks().quantize_row[id()] == ref().quantize_row[id()]) GTEST_SKIP() << "scalar kernel";
    uint32_t seed = 1;
    for (int64_t n : sizes(type())) {
        std::vector<std::vector<float>> inputs = {gaussian(n, seed++), gaussian(n, seed++, 1e-3f),
                                                  std::vector<float>(size_t(n), 0.0f),
                                                  std::vector<float>(size_t(n), -2.5f)};
        // Exact rounding ties: with the largest |x| = 127 the Q8_0 scale is 1,
        // so x.5 values sit on ties (which roundf and round-even treat apart).
        std::vector<float> ties(static_cast<size_t>(n));
        for (int64_t i = 0; i < n; ++i) ties[size_t(i)] = i % 32 == 0 ? 127.0f : float(i % 64) - 31.5f;
        inputs.push_back(ties);
        for (const auto& x : inputs) {
            const size_t bytes = row_bytes(type(), n);
            std::vector<uint8_t> want(bytes), got(bytes, 0xAB);
            ref().quantize_row[id()](x.data(), want.data(), n);
            ks().quantize_row[id()](x.data(), got.data(), n);
            ASSERT_EQ(std::memcmp(want.data(), got.data(), bytes), 0)
                << ks().isa << " " << type_name(type()) << " n " << n;
        }
    }
}

TEST_P(kernels_isa, DequantizeMatchesScalarBitForBit) {
    if (ks().dequantize_row[id()] == ref().dequantize_row[id()]) GTEST_SKIP() << "scalar kernel";
    for (int64_t n : sizes(type())) {
        const auto x = gaussian(n, 77);
        std::vector<uint8_t> q(row_bytes(type(), n));
        ref().quantize_row[id()](x.data(), q.data(), n);
        std::vector<float> want(static_cast<size_t>(n)), got(static_cast<size_t>(n));
        ref().dequantize_row[id()](q.data(), want.data(), n);
        ks().dequantize_row[id()](q.data(), got.data(), n);
        ASSERT_EQ(std::memcmp(want.data(), got.data(), size_t(n) * sizeof(float)), 0)
            << ks().isa << " " << type_name(type()) << " n " << n;
    }
}

TEST_P(kernels_isa, VecDotMatchesScalar) {
    if (!ks().vec_dot[id()]) GTEST_SKIP() << "no dot for an activation type";
    if (ks().vec_dot[id()] == ref().vec_dot[id()]) GTEST_SKIP() << "scalar kernel";
    const TensorType at = vec_dot_type(type());
    const auto aid = static_cast<uint32_t>(at);
    uint32_t seed = 100;
    for (int64_t n : sizes(type())) {
        for (float wscale : {1.0f, 0.02f}) {
            const auto w = gaussian(n, seed++, wscale), a = gaussian(n, seed++, 4.0f);
            std::vector<uint8_t> wq(row_bytes(type(), n)), aq(row_bytes(at, n));
            ref().quantize_row[id()](w.data(), wq.data(), n);
            ref().quantize_row[aid](a.data(), aq.data(), n);
            std::vector<float> wf(static_cast<size_t>(n)), af(static_cast<size_t>(n));
            ref().dequantize_row[id()](wq.data(), wf.data(), n);
            ref().dequantize_row[aid](aq.data(), af.data(), n);
            double abs_sum = 0;
            for (int64_t i = 0; i < n; ++i) abs_sum += std::fabs(double(wf[size_t(i)]) * af[size_t(i)]);
            const double want = ref().vec_dot[id()](n, wq.data(), aq.data());
            const double got = ks().vec_dot[id()](n, wq.data(), aq.data());
            EXPECT_LE(std::fabs(got - want), kDotRelTol * abs_sum)
                << ks().isa << " " << type_name(type()) << " n " << n << " want " << want
                << " got " << got;
        }
    }
}

TEST_P(kernels_isa, AxpyMatchesScalarBitForBit) {
    if (!ref().axpy_rows[id()]) GTEST_SKIP() << "not a KV cache type";
    if (ks().axpy_rows[id()] == ref().axpy_rows[id()]) GTEST_SKIP() << "scalar kernel";
    uint32_t seed = 300;
    for (int64_t n : sizes(type())) {
        const size_t rb = row_bytes(type(), n);
        for (int64_t nrows : {1, 3, 16}) {
            for (size_t stride : {rb, rb + 68}) {  // contiguous rows, and rows with gaps (KV heads)
                std::vector<uint8_t> xq(stride * size_t(nrows));
                for (int64_t r = 0; r < nrows; ++r)
                    ref().quantize_row[id()](gaussian(n, seed++).data(), xq.data() + size_t(r) * stride, n);
                const auto y0 = gaussian(n, seed++, 3.0f);
                std::vector<float> a = gaussian(nrows, seed++);
                a[0] = 0.3371f;
                if (nrows > 2) a[2] = 1e-4f;
                std::vector<float> want = y0, got = y0;
                // Two passes, as attention accumulates block after block.
                for (int rep = 0; rep < 2; ++rep) {
                    ref().axpy_rows[id()](n, nrows, a.data(), xq.data(), stride, want.data());
                    ks().axpy_rows[id()](n, nrows, a.data(), xq.data(), stride, got.data());
                }
                ASSERT_EQ(std::memcmp(want.data(), got.data(), size_t(n) * sizeof(float)), 0)
                    << ks().isa << " " << type_name(type()) << " n " << n << " rows " << nrows << " stride " << stride;
            }
        }
    }
}

// Head lengths of real models (64, 128, ...) and ragged ones; query heads per
// KV head 1..8 (several kernel widths and their remainders); row counts around
// the kernels' tiles.
struct HeadsCase {
    int64_t K;
    int nq;
    int64_t nrows;
};
std::vector<HeadsCase> heads_cases(TensorType t) {
    const int64_t bs = type_info(t).block_size;
    const std::vector<int64_t> ks =
        bs == 1 ? std::vector<int64_t>{64, 128, 8, 40, 80, 100} : std::vector<int64_t>{64, 128, 96};
    std::vector<HeadsCase> out;
    for (int64_t K : ks)
        for (int nq : {1, 2, 3, 4, 5, 7, 8})
            for (int64_t nrows : {1, 2, 5, 16, 17, 37}) out.push_back({K, nq, nrows});
    return out;
}

TEST_P(kernels_isa, GemvHeadsMatchesGemvPerHeadBitForBit) {
    if (!ks().gemv_heads[id()]) GTEST_SKIP() << "no attention GEMV for this type";
    uint32_t seed = 700;
    const TensorType at = vec_dot_type(type());
    for (const HeadsCase& c : heads_cases(type())) {
        const size_t rb = row_bytes(type(), c.K), ab = row_bytes(at, c.K);
        const size_t stride = rb * 3 + 16;  // rows of one KV head inside wider cache rows
        std::vector<uint8_t> w(stride * size_t(c.nrows)), a(ab * size_t(c.nq) + 8);
        for (int64_t r = 0; r < c.nrows; ++r)
            ref().quantize_row[id()](gaussian(c.K, seed++).data(), w.data() + size_t(r) * stride, c.K);
        for (int h = 0; h < c.nq; ++h)
            ref().quantize_row[static_cast<uint32_t>(at)](gaussian(c.K, seed++).data(), a.data() + size_t(h) * ab, c.K);
        const int64_t ldy = c.nrows + 3;
        std::vector<float> want(size_t(ldy) * size_t(c.nq), -7.0f), got = want;
        for (int h = 0; h < c.nq; ++h)
            ks().gemv[id()](c.K, w.data(), stride, c.nrows, a.data() + size_t(h) * ab, want.data() + h * ldy);
        ks().gemv_heads[id()](c.K, w.data(), stride, c.nrows, c.nq, a.data(), ab, got.data(), ldy);
        ASSERT_EQ(std::memcmp(want.data(), got.data(), want.size() * sizeof(float)), 0)
            << ks().isa << " " << type_name(type()) << " K " << c.K << " heads " << c.nq << " rows " << c.nrows;
    }
}

TEST_P(kernels_isa, AxpyHeadsMatchesScalarPerHeadBitForBit) {
    if (!ref().axpy_rows[id()]) GTEST_SKIP() << "not a KV cache type";
    uint32_t seed = 900;
    for (const HeadsCase& c : heads_cases(type())) {
        const size_t rb = row_bytes(type(), c.K), stride = rb * 3 + 16;
        std::vector<uint8_t> x(stride * size_t(c.nrows));
        for (int64_t r = 0; r < c.nrows; ++r)
            ref().quantize_row[id()](gaussian(c.K, seed++).data(), x.data() + size_t(r) * stride, c.K);
        const int64_t lda = c.nrows + 5, ldy = c.K + 9;
        const auto a = gaussian(lda * c.nq, seed++);
        const auto y0 = gaussian(ldy * c.nq, seed++, 3.0f);
        std::vector<float> want = y0, got = y0;
        for (int rep = 0; rep < 2; ++rep) {  // attention accumulates block after block
            for (int h = 0; h < c.nq; ++h)
                ref().axpy_rows[id()](c.K, c.nrows, a.data() + h * lda, x.data(), stride, want.data() + h * ldy);
            ks().axpy_heads[id()](c.K, c.nrows, c.nq, a.data(), lda, x.data(), stride, got.data(), ldy);
        }
        ASSERT_EQ(std::memcmp(want.data(), got.data(), want.size() * sizeof(float)), 0)
            << ks().isa << " " << type_name(type()) << " K " << c.K << " heads " << c.nq << " rows " << c.nrows;
    }
}

std::string param_name(const testing::TestParamInfo<Param>& info) {
    std::string s = std::string(std::get<0>(info.param)->isa) + "_" + std::string(type_name(std::get<1>(info.param)));
    for (char& c : s)
        if (!isalnum(static_cast<unsigned char>(c))) c = '_';
    return s;
}

INSTANTIATE_TEST_SUITE_P(Sets, kernels_isa,
                         testing::Combine(testing::ValuesIn(simd_sets()), testing::ValuesIn(kTypes)),
                         param_name);
// No SIMD set on this CPU/build is fine: the scalar set is all there is.
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(kernels_isa);

}  // namespace

