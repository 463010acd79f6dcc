// The attention softmax: the scalar set against double precision, and every
// SIMD set against the scalar one bit for bit (one result on every CPU).
#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "kernels/quants.h"

using namespace glint::kernels;

namespace {

const KernelSet& scalar() { return *find_kernel_set("scalar"); }

double max_of(const std::vector<float>& x, float scale) {
    double mx = -INFINITY;
    for (float v : x) mx = std::max(mx, double(v * scale));
    return mx;
}

std::vector<double> softmax_double(const std::vector<float>& x, float scale) {
    std::vector<double> y(x.size());
    const double mx = max_of(x, scale);
    double sum = 0;
    for (size_t i = 0; i < x.size(); ++i) sum += y[i] = std::exp(double(x[i] * scale) - mx);
    for (double& v : y) v /= sum;
    return y;
}

// Score rows as attention makes them, plus the awkward ones: all equal, one
// far above the rest (most weights underflow), a wide spread.
std::vector<std::vector<float>> cases() {
    std::mt19937 rng(7);
    std::normal_distribution<float> nd(0.0f, 1.0f);
    std::vector<std::vector<float>> out;
    for (int64_t n : {1, 2, 7, 15, 16, 17, 31, 33, 100, 256, 1000, 2049}) {
        std::vector<float> v(static_cast<size_t>(n));
        for (float s : {3.0f, 40.0f}) {
            for (auto& x : v) x = s * nd(rng);
            out.push_back(v);
        }
        std::fill(v.begin(), v.end(), 1.5f);
        out.push_back(v);
        v[v.size() / 2] = 900.0f;
        out.push_back(v);
    }
    return out;
}

// The scalar definition against the exact softmax, relative to each weight:
// 2e-6 (the exp's few ulps, the float sum of up to 2049 terms) plus the half
// ulp the float subtraction x - max may lose (|x - max| * 2^-24, as in the
// reference engine). Weights under 1e-30 only need to be tiny.
TEST(kernels_softmax, ScalarMatchesDoublePrecision) {
    for (const auto& x : cases()) {
        for (float scale : {0.125f, 1.0f}) {
            std::vector<float> got = x;
            scalar().softmax(got.data(), int64_t(got.size()), scale);
            const auto want = softmax_double(x, scale);
            for (size_t i = 0; i < x.size(); ++i) {
                if (want[i] < 1e-30) {
                    EXPECT_LT(got[i], 1e-30f) << "n " << x.size() << " i " << i;
                } else {
                    const double tol = 2e-6 + std::fabs(double(x[i] * scale) - max_of(x, scale)) * 0x1p-24;
                    EXPECT_NEAR(got[i] / want[i], 1.0, tol) << "n " << x.size() << " i " << i << " scale " << scale;
                }
            }
        }
    }
    std::vector<float> one = {-3.0f};
    scalar().softmax(one.data(), 1, 0.5f);
    EXPECT_EQ(one[0], 1.0f);
}

TEST(kernels_softmax, EverySetMatchesScalarBitForBit) {
    int checked = 0;
    for (const KernelSet* ks : kernel_set_variants()) {
        ASSERT_NE(ks->softmax, nullptr) << ks->isa;
        if (std::string(ks->isa) == "scalar") continue;
        for (const auto& x : cases()) {
            for (float scale : {0.125f, 0.0883883f}) {
                std::vector<float> want = x, got = x;
                scalar().softmax(want.data(), int64_t(want.size()), scale);
                ks->softmax(got.data(), int64_t(got.size()), scale);
                ASSERT_EQ(std::memcmp(want.data(), got.data(), x.size() * sizeof(float)), 0)
                    << ks->isa << " n " << x.size() << " scale " << scale;
                ++checked;
            }
        }
    }
    if (checked == 0) GTEST_SKIP() << "no SIMD kernel set on this CPU";
}

}  // namespace
