// fp16 / bf16 conversions: exhaustive round trips and the rounding edge cases.
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>

#include <gtest/gtest.h>

#include "kernels/fp16.h"

using namespace glint::kernels;

namespace {

bool is_nan_half(uint16_t h) { return (h & 0x7c00) == 0x7c00 && (h & 0x3ff) != 0; }
float bits_f(uint32_t u) { return std::bit_cast<float>(u); }

}  // namespace

TEST(kernels_fp16, EveryHalfRoundTrips) {
    for (uint32_t h = 0; h < 65536; ++h) {
        const float f = fp16_to_fp32(uint16_t(h));
        if (is_nan_half(uint16_t(h))) {
            ASSERT_TRUE(std::isnan(f)) << std::hex << h;
            // Quiet NaNs keep sign and payload; signalling ones come back quiet.
            ASSERT_EQ(fp32_to_fp16(f), uint16_t(h | 0x200)) << std::hex << h;
        } else {
            ASSERT_EQ(fp32_to_fp16(f), h) << std::hex << h;
        }
    }
}

TEST(kernels_fp16, DecodesKnownValues) {
    EXPECT_EQ(fp16_to_fp32(0x3c00), 1.0f);
    EXPECT_EQ(fp16_to_fp32(0xc000), -2.0f);
    EXPECT_EQ(fp16_to_fp32(0x7bff), 65504.0f);
    EXPECT_EQ(fp16_to_fp32(0x0400), 0x1p-14f);  // smallest normal
    EXPECT_EQ(fp16_to_fp32(0x0001), 0x1p-24f);  // smallest subnormal
    EXPECT_EQ(fp16_to_fp32(0x03ff), 1023 * 0x1p-24f);
    EXPECT_EQ(std::bit_cast<uint32_t>(fp16_to_fp32(0x8000)), 0x80000000u);
    EXPECT_EQ(fp16_to_fp32(0x7c00), std::numeric_limits<float>::infinity());
    EXPECT_EQ(fp16_to_fp32(0xfc00), -std::numeric_limits<float>::infinity());
}

// Between every pair of adjacent finite halves, the float just below the midpoint
// rounds down, just above rounds up, and the midpoint itself goes to the even one.
TEST(kernels_fp16, RoundsToNearestEvenEverywhere) {
    for (uint32_t h = 0; h < 0x7bff; ++h) {
        for (uint32_t sign : {0u, 0x8000u}) {
            const uint16_t lo = uint16_t(h | sign), hi = uint16_t((h + 1) | sign);
            const float mid = (fp16_to_fp32(lo) + fp16_to_fp32(hi)) / 2;  // exact in float
            const float toward0 = std::nextafter(mid, 0.0f);
            const float away = std::nextafter(mid, sign ? -INFINITY : INFINITY);
            ASSERT_EQ(fp32_to_fp16(toward0), lo) << std::hex << h;
            ASSERT_EQ(fp32_to_fp16(away), hi) << std::hex << h;
            ASSERT_EQ(fp32_to_fp16(mid), (h & 1) ? hi : lo) << std::hex << h;
        }
    }
}

TEST(kernels_fp16, EdgeCases) {
    EXPECT_EQ(fp32_to_fp16(1.0f + 0x1p-11f), 0x3c00);      // tie -> even (down)
    EXPECT_EQ(fp32_to_fp16(1.0f + 3 * 0x1p-11f), 0x3c02);  // tie -> even (up)
    EXPECT_EQ(fp32_to_fp16(65504.0f), 0x7bff);
    EXPECT_EQ(fp32_to_fp16(65519.996f), 0x7bff);  // just under the overflow tie
    EXPECT_EQ(fp32_to_fp16(65520.0f), 0x7c00);    // tie with odd max -> inf
    EXPECT_EQ(fp32_to_fp16(1e10f), 0x7c00);
    EXPECT_EQ(fp32_to_fp16(-1e10f), 0xfc00);
    EXPECT_EQ(fp32_to_fp16(INFINITY), 0x7c00);
    EXPECT_EQ(fp32_to_fp16(-INFINITY), 0xfc00);
    EXPECT_EQ(fp32_to_fp16(0x1p-24f), 0x0001);
    EXPECT_EQ(fp32_to_fp16(0x1p-25f), 0x0000);               // tie -> even (zero)
    EXPECT_EQ(fp32_to_fp16(std::nextafter(0x1p-25f, 1.0f)), 0x0001);
    EXPECT_EQ(fp32_to_fp16(3 * 0x1p-25f), 0x0002);           // tie -> even (up)
    EXPECT_EQ(fp32_to_fp16(1023.5f * 0x1p-24f), 0x0400);     // carries into normal
    EXPECT_EQ(fp32_to_fp16(1e-30f), 0x0000);
    EXPECT_EQ(fp32_to_fp16(-1e-30f), 0x8000);
    EXPECT_EQ(fp32_to_fp16(bits_f(0x00000001)), 0x0000);    // float subnormal
    EXPECT_EQ(fp32_to_fp16(-0.0f), 0x8000);
    EXPECT_TRUE(is_nan_half(fp32_to_fp16(std::numeric_limits<float>::quiet_NaN())));
    EXPECT_TRUE(is_nan_half(fp32_to_fp16(bits_f(0x7f800001))));  // payload only in low bits
    EXPECT_TRUE(is_nan_half(fp32_to_fp16(bits_f(0xffc00000))));
    EXPECT_EQ(fp32_to_fp16(bits_f(0xffc00000)) & 0x8000, 0x8000);
}

TEST(kernels_bf16, EveryBf16RoundTrips) {
    for (uint32_t h = 0; h < 65536; ++h) {
        const float f = bf16_to_fp32(uint16_t(h));
        ASSERT_EQ(std::bit_cast<uint32_t>(f), h << 16);
        const bool nan = (h & 0x7f80) == 0x7f80 && (h & 0x7f) != 0;
        const uint16_t want = nan ? uint16_t(h | 0x40) : uint16_t(h);
        ASSERT_EQ(fp32_to_bf16(f), want) << std::hex << h;
    }
}

TEST(kernels_bf16, RoundsToNearestEven) {
    EXPECT_EQ(fp32_to_bf16(1.0f), 0x3f80);
    EXPECT_EQ(fp32_to_bf16(1.0f + 0x1p-8f), 0x3f80);       // tie -> even (down)
    EXPECT_EQ(fp32_to_bf16(1.0f + 3 * 0x1p-8f), 0x3f82);   // tie -> even (up)
    EXPECT_EQ(fp32_to_bf16(1.0f + 0x1p-8f + 0x1p-20f), 0x3f81);
    EXPECT_EQ(fp32_to_bf16(bits_f(0x7f7fffff)), 0x7f80);   // FLT_MAX rounds to inf
    EXPECT_EQ(fp32_to_bf16(INFINITY), 0x7f80);
    EXPECT_EQ(fp32_to_bf16(-0.0f), 0x8000);
    // A NaN whose payload sits in the dropped bits must stay NaN, not become inf.
    const uint16_t n = fp32_to_bf16(bits_f(0x7f800001));
    EXPECT_EQ(n & 0x7f80, 0x7f80);
    EXPECT_NE(n & 0x7f, 0);
    // Random floats: result is one of the two neighbours, the nearer one.
    uint32_t s = 12345;
    for (int i = 0; i < 100000; ++i) {
        s = s * 1664525u + 1013904223u;
        const float f = bits_f(s & 0xbf7fffffu);  // finite, moderate exponents
        const uint16_t r = fp32_to_bf16(f);
        const float down = bits_f(s & 0xbf7f0000u);
        const float up = bits_f((s & 0xbf7f0000u) + 0x10000u);
        const double dd = std::fabs(double(f) - down), du = std::fabs(double(up) - f);
        const float got = bf16_to_fp32(r);
        ASSERT_TRUE(got == down || got == up);
        if (dd != du) {
            ASSERT_EQ(got, dd < du ? down : up) << std::hex << s;
        }
    }
}
