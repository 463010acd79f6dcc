// F32 / F16 / BF16 rows. Dots accumulate in double, as the reference engine's
// scalar path does, so long rows lose nothing to summation order.
#include <cmath>
#include <cstring>

#include "kernels/fp16.h"
#include "kernels/ref.h"
#include "kernels/softmax.h"

namespace glint::kernels::ref {

void quantize_row_f32(const float* x, void* y, int64_t n) {
    std::memcpy(y, x, size_t(n) * sizeof(float));
}
void dequantize_row_f32(const void* x, float* y, int64_t n) {
    std::memcpy(y, x, size_t(n) * sizeof(float));
}
float vec_dot_f32(int64_t n, const void* w, const void* a) {
    const float* x = static_cast<const float*>(w);
    const float* y = static_cast<const float*>(a);
    double sum = 0.0;
    for (int64_t i = 0; i < n; ++i) sum += double(x[i]) * double(y[i]);
    return float(sum);
}

void quantize_row_f16(const float* x, void* y, int64_t n) {
    fp16_t* out = static_cast<fp16_t*>(y);
    for (int64_t i = 0; i < n; ++i) out[i] = fp32_to_fp16(x[i]);
}
void dequantize_row_f16(const void* x, float* y, int64_t n) {
    const fp16_t* in = static_cast<const fp16_t*>(x);
    for (int64_t i = 0; i < n; ++i) y[i] = fp16_to_fp32(in[i]);
}
float vec_dot_f16(int64_t n, const void* w, const void* a) {
    const fp16_t* x = static_cast<const fp16_t*>(w);
    const fp16_t* y = static_cast<const fp16_t*>(a);
    double sum = 0.0;
    for (int64_t i = 0; i < n; ++i) sum += double(fp16_to_fp32(x[i])) * double(fp16_to_fp32(y[i]));
    return float(sum);
}

void axpy_rows_f32(int64_t n, int64_t nrows, const float* a, const void* x, size_t x_stride, float* y) {
    for (int64_t r = 0; r < nrows; ++r) {
        const auto* in = reinterpret_cast<const float*>(static_cast<const uint8_t*>(x) + size_t(r) * x_stride);
        for (int64_t i = 0; i < n; ++i) y[i] += a[r] * in[i];
    }
}
void axpy_rows_f16(int64_t n, int64_t nrows, const float* a, const void* x, size_t x_stride, float* y) {
    for (int64_t r = 0; r < nrows; ++r) {
        const auto* in = reinterpret_cast<const fp16_t*>(static_cast<const uint8_t*>(x) + size_t(r) * x_stride);
        for (int64_t i = 0; i < n; ++i) y[i] += a[r] * fp16_to_fp32(in[i]);
    }
}

namespace {

// The exp of the softmax and SwiGLU (kernels/softmax.h).
float exp_f32(float x) {
    using namespace exp_poly;
    x = x > kLo ? x : kLo;
    x = x < kHi ? x : kHi;
    const float t = x * kLog2e + kRound;  // no contraction (-ffp-contract=off)
    const float n = t - kRound;
    float r = x - n * kLn2Hi;
    r = r - n * kLn2Lo;
    float p = kC[kDegree];
    for (int k = kDegree - 1; k >= 0; --k) p = p * r + kC[k];
    uint32_t bits;
    std::memcpy(&bits, &t, 4);
    bits = (bits - kRoundBits + 127u) << 23;  // 2^n
    float pow2;
    std::memcpy(&pow2, &bits, 4);
    return p * pow2;
}

}  // namespace

void softmax_f32(float* x, int64_t n, float scale) {
    float m = -INFINITY;
    for (int64_t i = 0; i < n; ++i) {
        x[i] = x[i] * scale;
        m = x[i] > m ? x[i] : m;
    }
    float lane[16] = {};
    for (int64_t i = 0; i < n; ++i) {
        x[i] = exp_f32(x[i] - m);
        lane[i % 16] += x[i];
    }
    for (int w = 8; w >= 1; w /= 2)
        for (int l = 0; l < w; ++l) lane[l] += lane[l + w];
    const float inv = 1.0f / lane[0];
    for (int64_t i = 0; i < n; ++i) x[i] = x[i] * inv;
}

void swiglu_f32(float* gate, const float* up, int64_t n) {
    for (int64_t i = 0; i < n; ++i) {
        const float g = gate[i];
        gate[i] = g / (1.0f + exp_f32(0.0f - g)) * up[i];
    }
}

void quantize_row_bf16(const float* x, void* y, int64_t n) {
    bf16_t* out = static_cast<bf16_t*>(y);
    for (int64_t i = 0; i < n; ++i) out[i] = fp32_to_bf16(x[i]);
}
void dequantize_row_bf16(const void* x, float* y, int64_t n) {
    const bf16_t* in = static_cast<const bf16_t*>(x);
    for (int64_t i = 0; i < n; ++i) y[i] = bf16_to_fp32(in[i]);
}
float vec_dot_bf16(int64_t n, const void* w, const void* a) {
    const bf16_t* x = static_cast<const bf16_t*>(w);
    const bf16_t* y = static_cast<const bf16_t*>(a);
    double sum = 0.0;
    for (int64_t i = 0; i < n; ++i) sum += double(bf16_to_fp32(x[i])) * double(bf16_to_fp32(y[i]));
    return float(sum);
}

}  // namespace glint::kernels::ref
