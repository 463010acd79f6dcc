// Weight quantizers for `glint quantize` that follow the reference engine's
// (llama.cpp's) quantization algorithm without an importance matrix, step for
// step, so a file glint quantizes gives the same logits as the reference's own
// quantized file. (kernels/ has its own fits, tuned for RMSE, which pick
// different levels and would not reproduce those files.)
#pragma once
#include <cstdint>

namespace glint::cli {

// x: n floats, n a multiple of 256; y: n/256 blocks of the type.
void quantize_row_q4_K_compat(const float* x, void* y, int64_t n);
void quantize_row_q5_K_compat(const float* x, void* y, int64_t n);
void quantize_row_q6_K_compat(const float* x, void* y, int64_t n);

}  // namespace glint::cli
