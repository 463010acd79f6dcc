// The attention softmax and SwiGLU: the scalar set against double precision,
// and every SIMD set against the scalar one bit for bit (one result on every CPU).
#include <cmath>
#include <cstring>
#include <iterator>
#include <utility>
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

// SwiGLU inputs as the feed-forward makes them (gate pre-activations of a few
// units, some tens), plus the edges of the exp's range and beyond it, zeros
// and subnormals; lengths with every tail.
std::vector<std::pair<std::vector<float>, std::vector<float>>> swiglu_cases() {
    std::mt19937 rng(11);
    std::normal_distribution<float> nd(0.0f, 1.0f);
    const float edges[] = {0.0f,  -0.0f, 1e-40f, -1e-40f, 86.9f, -86.9f, 87.5f, -87.5f,
                           88.0f, -88.0f, 89.0f, -89.0f,  200.0f, -200.0f, 1e30f, -1e30f};
    std::vector<std::pair<std::vector<float>, std::vector<float>>> out;
    for (int64_t n : {1, 2, 15, 16, 17, 33, 100, 1000, 5632}) {
        for (float s : {2.0f, 30.0f}) {
            std::vector<float> g(static_cast<size_t>(n)), u(static_cast<size_t>(n));
            for (size_t i = 0; i < g.size(); ++i) {
                g[i] = s * nd(rng);
                u[i] = nd(rng);
            }
            for (size_t i = 0; i < g.size() && i < std::size(edges); i += 2) g[i] = edges[i];
            out.emplace_back(g, u);
        }
    }
    return out;
}

// Against g / (1 + e^-g) * u in double: 1e-6 of the result (the exp's few
// ulps, one division, one product), plus 1e-35 * |u| for gates below -88,
// where the exact result is under 6e-37 * |u| and the exp's input is held.
TEST(kernels_swiglu, ScalarMatchesDoublePrecision) {
    for (const auto& [g, u] : swiglu_cases()) {
        std::vector<float> got = g;
        scalar().swiglu(got.data(), u.data(), int64_t(g.size()));
        for (size_t i = 0; i < g.size(); ++i) {
            const double gd = g[i], want = gd / (1.0 + std::exp(-gd)) * double(u[i]);
            EXPECT_NEAR(got[i], want, 1e-6 * std::fabs(want) + 1e-35 * std::fabs(double(u[i])))
                << "n " << g.size() << " i " << i << " gate " << g[i] << " up " << u[i];
        }
    }
    std::vector<float> g = {0.0f, 1.0f}, u = {5.0f, 2.0f};
    scalar().swiglu(g.data(), u.data(), 2);
    EXPECT_EQ(g[0], 0.0f);
    EXPECT_NEAR(g[1], 2.0 / (1.0 + std::exp(-1.0)), 2e-7);
}

TEST(kernels_swiglu, EverySetMatchesScalarBitForBit) {
    int checked = 0;
    for (const KernelSet* ks : kernel_set_variants()) {
        ASSERT_NE(ks->swiglu, nullptr) << ks->isa;
        if (std::string(ks->isa) == "scalar") continue;
        for (const auto& [g, u] : swiglu_cases()) {
            std::vector<float> want = g, got = g;
            scalar().swiglu(want.data(), u.data(), int64_t(g.size()));
            ks->swiglu(got.data(), u.data(), int64_t(g.size()));
            ASSERT_EQ(std::memcmp(want.data(), got.data(), g.size() * sizeof(float)), 0)
                << ks->isa << " n " << g.size();
            ++checked;
        }
    }
    if (checked == 0) GTEST_SKIP() << "no SIMD kernel set on this CPU";
}

}  // namespace
