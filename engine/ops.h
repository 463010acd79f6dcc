// Element-wise and row operations of the forward pass (CPU). Matrix products
// are in engine/matmul.h.
#pragma once
#include <cstdint>

#include "engine/model.h"

namespace glint::ops {

// y = x / sqrt(mean(x^2) + eps) * w, for one row of n. y may alias x.
void rms_norm(const float* x, const float* w, float* y, int64_t n, float eps);

// Rotates the first n_rot dims of each of n_heads heads (head_dim apart) of one
// token at position pos. freq_factors (n_rot/2 divisors) may be null.
void rope(float* x, int32_t n_heads, int32_t head_dim, int32_t n_rot, int32_t pos, float base,
          float freq_scale, const float* freq_factors, RopeStyle style);

// y += b
void add(float* y, const float* b, int64_t n);

// The row `r` of a weight of any computable type, as floats.
void dequantize_row(const Weight& w, int64_t r, float* out);

}  // namespace glint::ops
