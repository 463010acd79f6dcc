#include "engine/ops.h"

#include <algorithm>
#include <cmath>

#include "kernels/quants.h"

namespace glint::ops {

void rms_norm(const float* x, const float* w, float* y, int64_t n, float eps) {
    double sum = 0.0;  // double, as the reference accumulates, so long rows stay exact
    for (int64_t i = 0; i < n; ++i) sum += double(x[i]) * x[i];
    const float scale = 1.0f / std::sqrt(float(sum / double(n)) + eps);
    for (int64_t i = 0; i < n; ++i) y[i] = x[i] * scale * w[i];
}

void rope(float* x, int32_t n_heads, int32_t head_dim, int32_t n_rot, int32_t pos, float base,
          float freq_scale, const float* freq_factors, RopeStyle style) {
    const float theta_scale = std::pow(base, -2.0f / float(n_rot));
    for (int32_t h = 0; h < n_heads; ++h) {
        float* v = x + int64_t(h) * head_dim;
        float theta = float(pos) * freq_scale;
        for (int32_t i = 0; i < n_rot / 2; ++i) {
            const float t = freq_factors ? theta / freq_factors[i] : theta;
            const float c = std::cos(t), s = std::sin(t);
            const int32_t a = style == RopeStyle::Adjacent ? 2 * i : i;
            const int32_t b = style == RopeStyle::Adjacent ? 2 * i + 1 : i + n_rot / 2;
            const float x0 = v[a], x1 = v[b];
            v[a] = x0 * c - x1 * s;
            v[b] = x0 * s + x1 * c;
            theta *= theta_scale;
        }
    }
}

void add(float* y, const float* b, int64_t n) {
    for (int64_t i = 0; i < n; ++i) y[i] += b[i];
}

void dequantize_row(const Weight& w, int64_t r, float* out) {
    kernels::dequantize_row_ref(w.type, w.row(r), out, w.cols);
}

}  // namespace glint::ops
