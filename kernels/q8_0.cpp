// Q8_0: 32 int8 per block with one f16 scale; also the activation format for
// Q4_0 and Q8_0 weights.
#include <cmath>

#include "kernels/blocks.h"
#include "kernels/ref.h"

namespace glint::kernels::ref {

void quantize_row_q8_0(const float* x, void* y, int64_t n) {
    block_q8_0* out = static_cast<block_q8_0*>(y);
    for (int64_t b = 0; b < n / QK8_0; ++b, x += QK8_0) {
        float amax = 0.0f;
        for (int j = 0; j < QK8_0; ++j) amax = std::fmax(amax, std::fabs(x[j]));
        const float d = amax / 127.0f;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        out[b].d = fp32_to_fp16(d);
        // roundf (half away from zero) matches the reference quantizer; the
        // clamp only guards non-finite products (NaN input, id overflow).
        for (int j = 0; j < QK8_0; ++j)
            out[b].qs[j] = int8_t(std::fmin(127.0f, std::fmax(-127.0f, std::roundf(x[j] * id))));
    }
}

void dequantize_row_q8_0(const void* x, float* y, int64_t n) {
    const block_q8_0* in = static_cast<const block_q8_0*>(x);
    for (int64_t b = 0; b < n / QK8_0; ++b) {
        const float d = fp16_to_fp32(in[b].d);
        for (int j = 0; j < QK8_0; ++j) *y++ = d * float(in[b].qs[j]);
    }
}

void axpy_rows_q8_0(int64_t n, int64_t nrows, const float* a, const void* x, size_t x_stride, float* y) {
    for (int64_t r = 0; r < nrows; ++r) {
        const auto* in = reinterpret_cast<const block_q8_0*>(static_cast<const uint8_t*>(x) + size_t(r) * x_stride);
        float* out = y;
        for (int64_t b = 0; b < n / QK8_0; ++b) {
            const float d = fp16_to_fp32(in[b].d);
            for (int j = 0; j < QK8_0; ++j) *out++ += a[r] * (d * float(in[b].qs[j]));
        }
    }
}

float vec_dot_q8_0_q8_0(int64_t n, const void* w, const void* a) {
    const block_q8_0* x = static_cast<const block_q8_0*>(w);
    const block_q8_0* y = static_cast<const block_q8_0*>(a);
    float sum = 0.0f;
    for (int64_t b = 0; b < n / QK8_0; ++b) {
        int32_t isum = 0;
        for (int j = 0; j < QK8_0; ++j) isum += int32_t(x[b].qs[j]) * int32_t(y[b].qs[j]);
        sum += float(isum) * (fp16_to_fp32(x[b].d) * fp16_to_fp32(y[b].d));
    }
    return sum;
}

}  // namespace glint::kernels::ref
