// The attention softmax and SwiGLU shared by the AVX2 and AVX-512 sets, written
// once over a traits type S whose vector S::F holds 16 float lanes (one __m512,
// or two __m256): set1, load/store of the first `valid` elements (the rest read
// as zeros), add, sub, mul, div, max(a, b) (a > b ? a : b per lane, as MAXPS),
// min(a, b) (a < b ? a : b, as MINPS), pow2(t)
// (2^n from the bits of t = n + kRound), keep(v, valid) (lanes past valid
// zeroed), keep_or(v, w, valid) (lanes past valid taken from w), hmax, and
// reduce16 (the canonical pairwise sum: l + 8, + 4, + 2, + 1).
// Equal bit for bit to ref::softmax_f32 and ref::swiglu_f32 (kernels/float.cpp),
// in the order the SoftmaxFn and SwigluFn comments in kernels/quants.h state.
//
// Included only by ISA translation units; internal linkage throughout (see the
// rule in kernels/avx2/avx2.h).
#pragma once
#include <cmath>
#include <cstdint>

#include "kernels/softmax.h"

namespace glint::kernels {
namespace {
namespace softmax_lanes {

template <class S>
inline typename S::F exp16(typename S::F x) {
    using namespace exp_poly;
    x = S::min(S::max(x, S::set1(kLo)), S::set1(kHi));
    const auto t = S::add(S::mul(x, S::set1(kLog2e)), S::set1(kRound));
    const auto n = S::sub(t, S::set1(kRound));
    auto r = S::sub(x, S::mul(n, S::set1(kLn2Hi)));
    r = S::sub(r, S::mul(n, S::set1(kLn2Lo)));
    auto p = S::set1(kC[kDegree]);
    for (int k = kDegree - 1; k >= 0; --k) p = S::add(S::mul(p, r), S::set1(kC[k]));
    return S::mul(p, S::pow2(t));
}

template <class S>
void softmax(float* x, int64_t n, float scale) {
    const auto sc = S::set1(scale);
    auto m = S::set1(-INFINITY);
    for (int64_t i = 0; i < n; i += 16) {
        const int64_t valid = n - i;
        const auto v = S::mul(S::load(x + i, valid), sc);
        S::store(x + i, v, valid);
        m = S::max(S::keep_or(v, m, valid), m);
    }
    const auto mx = S::set1(S::hmax(m));
    auto s = S::set1(0.0f);
    for (int64_t i = 0; i < n; i += 16) {
        const int64_t valid = n - i;
        const auto e = exp16<S>(S::sub(S::load(x + i, valid), mx));
        S::store(x + i, e, valid);
        s = S::add(s, S::keep(e, valid));
    }
    const auto inv = S::set1(1.0f / S::reduce16(s));
    for (int64_t i = 0; i < n; i += 16) {
        const int64_t valid = n - i;
        S::store(x + i, S::mul(S::load(x + i, valid), inv), valid);
    }
}

template <class S>
void swiglu(float* gate, const float* up, int64_t n) {
    const auto zero = S::set1(0.0f), one = S::set1(1.0f);
    for (int64_t i = 0; i < n; i += 16) {
        const int64_t valid = n - i;
        const auto g = S::load(gate + i, valid);
        const auto e = exp16<S>(S::sub(zero, g));
        S::store(gate + i, S::mul(S::div(g, S::add(one, e)), S::load(up + i, valid)), valid);
    }
}

}  // namespace softmax_lanes
}  // namespace
}  // namespace glint::kernels
