// Constants of the exp of the attention softmax and of SwiGLU, shared by the
// scalar reference (kernels/float.cpp) and the vector kernels
// (kernels/softmax_lanes.h): every set evaluates the same multiplies and adds
// in the same order (no fma, no libm), so all of them give the same bits.
#pragma once

namespace glint::kernels::exp_poly {

// Inputs below kLo are raised to it: e^-87 ~ 1.6e-38 weighs nothing next to
// the maximum's 1, and 2^n stays a normal number.
constexpr float kLo = -87.0f;
// Inputs above kHi are lowered to it: e^88 ~ 1.7e38 is still finite (SwiGLU's
// exp(-x) of a very negative x; the softmax never exceeds 0).
constexpr float kHi = 88.0f;
constexpr float kLog2e = 1.44269504088896f;
// Adding 1.5 * 2^23 rounds to an integer n, left in the low mantissa bits.
constexpr float kRound = 12582912.0f;
constexpr unsigned kRoundBits = 0x4B400000u;
// ln 2 split so that n * kLn2Hi is exact for |n| < 2^15.
constexpr float kLn2Hi = 0.693359375f;
constexpr float kLn2Lo = -2.12194440e-4f;
// Taylor coefficients of e^r, |r| <= ln2 / 2: the truncation error of degree 7
// is below 6e-9 relative, under the float rounding of the result.
constexpr int kDegree = 7;
constexpr float kC[kDegree + 1] = {1.0f, 1.0f, 1.0f / 2, 1.0f / 6, 1.0f / 24, 1.0f / 120, 1.0f / 720, 1.0f / 5040};

}  // namespace glint::kernels::exp_poly
