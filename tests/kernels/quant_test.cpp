// Scalar reference kernels: quantize -> dequantize error bounds, edge inputs,
// and vec_dot against the float dot it stands for.
#include <cmath>
#include <cstring>
#include <ostream>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "kernels/blocks.h"
#include "kernels/quants.h"

using namespace glint;
using namespace glint::kernels;

namespace {

// Relative RMSE, sqrt(sum (y-x)^2 / sum x^2), of a round trip on N(0,1) data,
// measured with these quantizers at ~0.0002 / 0.0017 / 0.0867 / 0.0054 /
// 0.0716 / 0.0358 / 0.0175 / 0.0072 and set with a little margin.
constexpr double kRmseF16 = 3e-4;
constexpr double kRmseBF16 = 2.2e-3;
constexpr double kRmseQ4_0 = 0.095;
constexpr double kRmseQ8_0 = 0.006;
constexpr double kRmseQ4_K = 0.078;
constexpr double kRmseQ5_K = 0.040;
constexpr double kRmseQ6_K = 0.019;
constexpr double kRmseQ8_K = 0.008;

// |vec_dot - dot(dequant(w), a)| / (|w| |a|): the activation quantization error
// projected on w, which is ~ its RMSE / sqrt(n) for random data; bounds generous.
constexpr double kDotTolQ8Act = 2e-3;    // Q8_0 / Q8_K activations
constexpr double kDotTolF16Act = 2e-4;
constexpr double kDotTolBF16Act = 2e-3;
constexpr double kDotTolF32 = 1e-6;
// vec_dot against the float dot of both sides dequantized: only rounding in the
// final scaling and float accumulation differ.
constexpr double kDotTolSameInputs = 2e-6;

struct Case {
    TensorType type;
    double rmse;
    double dot_tol;
};

const Case kCases[] = {
    {TensorType::F32, 0.0, kDotTolF32},
    {TensorType::F16, kRmseF16, kDotTolF16Act},
    {TensorType::BF16, kRmseBF16, kDotTolBF16Act},
    {TensorType::Q4_0, kRmseQ4_0, kDotTolQ8Act},
    {TensorType::Q8_0, kRmseQ8_0, kDotTolQ8Act},
    {TensorType::Q4_K, kRmseQ4_K, kDotTolQ8Act},
    {TensorType::Q5_K, kRmseQ5_K, kDotTolQ8Act},
    {TensorType::Q6_K, kRmseQ6_K, kDotTolQ8Act},
    {TensorType::Q8_K, kRmseQ8_K, 0.0},  // activation type: no dot of its own
};

void PrintTo(const Case& c, std::ostream* os) { *os << type_name(c.type); }

std::string case_name(const testing::TestParamInfo<Case>& info) {
    return std::string(type_name(info.param.type));
}

std::vector<float> gaussian(int64_t n, uint32_t seed, float scale = 1.0f) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> nd(0.0f, scale);
    std::vector<float> v(static_cast<size_t>(n));
    for (auto& x : v) x = nd(rng);
    return v;
}

int64_t block(TensorType t) { return type_info(t).block_size == 1 ? 32 : type_info(t).block_size; }

std::vector<float> round_trip(TensorType t, const std::vector<float>& x) {
    const int64_t n = int64_t(x.size());
    std::vector<uint8_t> q(row_bytes(t, n));
    quantize_row_ref(t, x.data(), q.data(), n);
    std::vector<float> y(x.size());
    dequantize_row_ref(t, q.data(), y.data(), n);
    return y;
}

double rel_rmse(const std::vector<float>& x, const std::vector<float>& y) {
    double e = 0, s = 0;
    for (size_t i = 0; i < x.size(); ++i) {
        e += (double(y[i]) - x[i]) * (double(y[i]) - x[i]);
        s += double(x[i]) * x[i];
    }
    return std::sqrt(e / s);
}

double norm(const std::vector<float>& v) {
    double s = 0;
    for (float x : v) s += double(x) * x;
    return std::sqrt(s);
}

double dot(const std::vector<float>& a, const std::vector<float>& b) {
    double s = 0;
    for (size_t i = 0; i < a.size(); ++i) s += double(a[i]) * b[i];
    return s;
}

class kernels_quant : public testing::TestWithParam<Case> {};

TEST_P(kernels_quant, HasReference) {
    EXPECT_TRUE(has_reference(GetParam().type));
    EXPECT_TRUE(type_info(GetParam().type).computable);
}

TEST_P(kernels_quant, RoundTripWithinBound) {
    const Case c = GetParam();
    const auto x = gaussian(block(c.type) * 64, 1);
    const double r = rel_rmse(x, round_trip(c.type, x));
    RecordProperty("rel_rmse", std::to_string(r));
    EXPECT_LE(r, c.rmse) << type_name(c.type);
    if (c.type == TensorType::F32) {
        EXPECT_EQ(r, 0.0);
    }
}

TEST_P(kernels_quant, OtherSeedsAndScales) {
    const Case c = GetParam();
    // Relative error should not depend on the overall scale (within f16 range
    // of the block factors): large and small magnitudes alike.
    for (float scale : {1.0f, 0.02f, 30.0f, 1000.0f}) {
        for (uint32_t seed : {2u, 3u}) {
            const auto x = gaussian(block(c.type) * 32, seed, scale);
            EXPECT_LE(rel_rmse(x, round_trip(c.type, x)), c.rmse)
                << type_name(c.type) << " scale " << scale << " seed " << seed;
        }
    }
}

// Odd numbers of blocks: each block is independent, so a row of k blocks must
// encode exactly as the blocks encoded one by one (catches stride/offset bugs).
TEST_P(kernels_quant, OddSizesMatchPerBlockEncoding) {
    const Case c = GetParam();
    const int64_t bs = block(c.type);
    for (int64_t nb : {1, 3, 7}) {
        const auto x = gaussian(bs * nb, uint32_t(10 + nb));
        const size_t bb = row_bytes(c.type, bs);
        std::vector<uint8_t> whole(row_bytes(c.type, bs * nb)), part(bb);
        quantize_row_ref(c.type, x.data(), whole.data(), bs * nb);
        for (int64_t b = 0; b < nb; ++b) {
            quantize_row_ref(c.type, x.data() + b * bs, part.data(), bs);
            ASSERT_EQ(std::memcmp(part.data(), whole.data() + b * bb, bb), 0)
                << type_name(c.type) << " block " << b << " of " << nb;
        }
        std::vector<float> y(x.size());
        dequantize_row_ref(c.type, whole.data(), y.data(), bs * nb);
        // Few blocks give a noisier estimate: allow half again the bound.
        EXPECT_LE(rel_rmse(x, y), c.rmse * 1.5) << type_name(c.type) << " blocks " << nb;
    }
}

TEST_P(kernels_quant, ZerosStayZero) {
    const Case c = GetParam();
    const std::vector<float> x(size_t(block(c.type) * 3), 0.0f);
    for (float v : round_trip(c.type, x)) ASSERT_EQ(v, 0.0f) << type_name(c.type);
}

TEST_P(kernels_quant, ConstantRowsAreNearExact) {
    const Case c = GetParam();
    // Only the f16 block factors round (bf16 itself: half an ulp, 2^-9).
    const double tol = c.type == TensorType::BF16 ? 4e-3 : 2e-3;
    for (float v : {1.0f, -1.0f, 0.37f, -250.0f}) {
        const std::vector<float> x(size_t(block(c.type) * 2), v);
        for (float y : round_trip(c.type, x))
            ASSERT_NEAR(y, v, std::fabs(v) * tol) << type_name(c.type) << " value " << v;
    }
}

TEST_P(kernels_quant, OutlierKeepsItsValue) {
    const Case c = GetParam();
    // One large value per block among small ones: the block scale follows it, so
    // it must come back accurately (the small ones may round to zero).
    auto x = gaussian(block(c.type) * 4, 7, 0.01f);
    for (size_t i = 0; i < x.size(); i += size_t(block(c.type))) x[i + 5] = -4.0f;
    const auto y = round_trip(c.type, x);
    for (size_t i = 0; i < x.size(); i += size_t(block(c.type)))
        EXPECT_NEAR(y[i + 5], -4.0f, 4.0f * 4e-3) << type_name(c.type);
}

TEST_P(kernels_quant, VecDotMatchesFloatDot) {
    const Case c = GetParam();
    if (c.type == TensorType::Q8_K) {
        GTEST_SKIP() << "Q8_K is an activation type only";
    }
    const TensorType at = vec_dot_type(c.type);
    for (int64_t nb : {1, 5, 16}) {
        const int64_t n = 256 * nb;  // a multiple of every block size
        const auto w = gaussian(n, uint32_t(100 + nb));
        const auto a = gaussian(n, uint32_t(200 + nb), 3.0f);
        std::vector<uint8_t> wq(row_bytes(c.type, n)), aq(row_bytes(at, n));
        quantize_row_ref(c.type, w.data(), wq.data(), n);
        quantize_row_ref(at, a.data(), aq.data(), n);
        std::vector<float> wf(static_cast<size_t>(n)), af(static_cast<size_t>(n));
        dequantize_row_ref(c.type, wq.data(), wf.data(), n);
        dequantize_row_ref(at, aq.data(), af.data(), n);
        const double got = vec_dot_ref(c.type, n, wq.data(), aq.data());
        const double scale = norm(wf) * norm(a);
        EXPECT_LE(std::fabs(got - dot(wf, a)) / scale, c.dot_tol)
            << type_name(c.type) << " n " << n << " got " << got << " want " << dot(wf, a);
        EXPECT_LE(std::fabs(got - dot(wf, af)) / scale, kDotTolSameInputs)
            << type_name(c.type) << " n " << n;
    }
}

INSTANTIATE_TEST_SUITE_P(AllTypes, kernels_quant, testing::ValuesIn(kCases), case_name);

TEST(kernels_quant_types, VecDotTypes) {
    EXPECT_EQ(vec_dot_type(TensorType::Q4_0), TensorType::Q8_0);
    EXPECT_EQ(vec_dot_type(TensorType::Q8_0), TensorType::Q8_0);
    EXPECT_EQ(vec_dot_type(TensorType::Q4_K), TensorType::Q8_K);
    EXPECT_EQ(vec_dot_type(TensorType::Q5_K), TensorType::Q8_K);
    EXPECT_EQ(vec_dot_type(TensorType::Q6_K), TensorType::Q8_K);
    EXPECT_EQ(vec_dot_type(TensorType::F16), TensorType::F16);
    EXPECT_EQ(vec_dot_type(TensorType::BF16), TensorType::BF16);
    EXPECT_EQ(vec_dot_type(TensorType::F32), TensorType::F32);
}

// The type table's "computable" flag and the reference kernels must agree.
TEST(kernels_quant_types, ReferenceMatchesTypeTable) {
    for (uint32_t id = 0; id < uint32_t(kMaxTypeId); ++id) {
        const TypeInfo* ti = type_info(id);
        if (!ti) continue;
        EXPECT_EQ(has_reference(TensorType(id)), ti->computable) << ti->name;
    }
    EXPECT_FALSE(has_reference(TensorType::Q2_K));
    EXPECT_THROW(quantize_row_ref(TensorType::Q2_K, nullptr, nullptr, 0), std::invalid_argument);
    EXPECT_THROW(vec_dot_ref(TensorType::Q8_K, 0, nullptr, nullptr), std::invalid_argument);
}

TEST(kernels_quant_types, BlockSizesMatchTypeTable) {
    EXPECT_EQ(sizeof(block_q4_0), type_info(TensorType::Q4_0).type_size);
    EXPECT_EQ(sizeof(block_q8_0), type_info(TensorType::Q8_0).type_size);
    EXPECT_EQ(sizeof(block_q4_K), type_info(TensorType::Q4_K).type_size);
    EXPECT_EQ(sizeof(block_q5_K), type_info(TensorType::Q5_K).type_size);
    EXPECT_EQ(sizeof(block_q6_K), type_info(TensorType::Q6_K).type_size);
    EXPECT_EQ(sizeof(block_q8_K), type_info(TensorType::Q8_K).type_size);
    EXPECT_EQ(uint32_t(QK4_0), type_info(TensorType::Q4_0).block_size);
    EXPECT_EQ(uint32_t(QK_K), type_info(TensorType::Q6_K).block_size);
}

// Hand-built blocks pin the bit layouts independent of our quantizers.
TEST(kernels_quant_layout, Q4_0NibbleOrder) {
    block_q4_0 b{};
    b.d = fp32_to_fp16(0.5f);
    for (int j = 0; j < 16; ++j) b.qs[j] = uint8_t(j | ((15 - j) << 4));
    float y[32];
    dequantize_row_ref(TensorType::Q4_0, &b, y, 32);
    for (int j = 0; j < 16; ++j) {
        EXPECT_EQ(y[j], 0.5f * float(j - 8));
        EXPECT_EQ(y[j + 16], 0.5f * float(7 - j));
    }
}

TEST(kernels_quant_layout, Q4_KScalesAndNibbles) {
    block_q4_K b{};
    b.d = fp32_to_fp16(1.0f);
    b.dmin = fp32_to_fp16(0.25f);
    const uint8_t sc[8] = {1, 2, 3, 4, 33, 47, 60, 63}, m[8] = {5, 6, 7, 8, 17, 40, 0, 63};
    pack_scales_mins_k4(sc, m, b.scales);
    for (int j = 0; j < 8; ++j) {
        uint8_t s2, m2;
        unpack_scale_min_k4(j, b.scales, s2, m2);
        EXPECT_EQ(s2, sc[j]);
        EXPECT_EQ(m2, m[j]);
    }
    for (int i = 0; i < 128; ++i) b.qs[i] = uint8_t((i % 16) | ((15 - i % 16) << 4));
    std::vector<float> y(256);
    dequantize_row_ref(TensorType::Q4_K, &b, y.data(), 256);
    for (int c = 0; c < 4; ++c)
        for (int l = 0; l < 32; ++l) {
            const int lo = (32 * c + l) % 16, hi = 15 - lo;
            EXPECT_EQ(y[64 * c + l], float(sc[2 * c] * lo) - 0.25f * m[2 * c]);
            EXPECT_EQ(y[64 * c + 32 + l], float(sc[2 * c + 1] * hi) - 0.25f * m[2 * c + 1]);
        }
}

TEST(kernels_quant_layout, Q6_KInterleave) {
    // Distinct values everywhere: any misplaced element misses by far more than
    // half its sub-block's step.
    std::vector<float> x(256);
    for (int e = 0; e < 256; ++e) x[e] = float((e * 37) % 64 - 32) + 0.01f * float(e % 7);
    block_q6_K b{};
    quantize_row_ref(TensorType::Q6_K, x.data(), &b, 256);
    std::vector<float> y(256);
    dequantize_row_ref(TensorType::Q6_K, &b, y.data(), 256);
    const float d = fp16_to_fp32(b.d);
    for (int e = 0; e < 256; ++e) {
        const float step = std::fabs(d * float(b.scales[e / 16]));
        EXPECT_NEAR(y[e], x[e], 0.5f * step + 1e-4f) << "element " << e;
    }
}

TEST(kernels_quant_layout, Q8_KBsums) {
    const auto x = gaussian(512, 9);
    block_q8_K b[2];
    quantize_row_ref(TensorType::Q8_K, x.data(), b, 512);
    for (const auto& blk : b)
        for (int g = 0; g < 16; ++g) {
            int s = 0;
            for (int j = 0; j < 16; ++j) s += blk.qs[16 * g + j];
            EXPECT_EQ(blk.bsums[g], s);
        }
}

TEST(kernels_quant_layout, Q8_KHugeActivations) {
    // Q8_K keeps a float scale, so activations far outside f16 range are fine.
    const auto x = gaussian(256, 4, 1e6f);
    std::vector<float> y(256);
    block_q8_K b;
    quantize_row_ref(TensorType::Q8_K, x.data(), &b, 256);
    dequantize_row_ref(TensorType::Q8_K, &b, y.data(), 256);
    EXPECT_LE(rel_rmse(x, y), kRmseQ8_K * 1.5);
}

}  // namespace
