// Internal: the per-format scalar reference kernels, with the KernelSet
// signatures so the scalar set can point straight at them.
#pragma once
#include <cstdint>

#include "kernels/quants.h"

namespace glint::kernels::ref {

// Round to nearest, ties to even (the default FP environment), as an int.
int nearest_int(float x);

// K-quant sub-block fits (k_fit.cpp). Both search a small grid of candidate
// scales around the range-filling one and keep the least-squares best.
// fit_scale_min: x ~ scale*q - min with q in [0,nmax], scale >= 0, min >= 0.
float fit_scale_min(const float* x, int n, int nmax, float* min);
// fit_scale_sym: x ~ scale*q with q in [-nmax, nmax-1]; the sign of scale is
// chosen so the largest-magnitude element can use the extra level -nmax.
float fit_scale_sym(const float* x, int n, int nmax);

void quantize_row_f32(const float* x, void* y, int64_t n);
void dequantize_row_f32(const void* x, float* y, int64_t n);
float vec_dot_f32(int64_t n, const void* w, const void* a);

void quantize_row_f16(const float* x, void* y, int64_t n);
void dequantize_row_f16(const void* x, float* y, int64_t n);
float vec_dot_f16(int64_t n, const void* w, const void* a);
void axpy_rows_f32(int64_t n, int64_t nrows, const float* a, const void* x, size_t x_stride, float* y);
void axpy_rows_f16(int64_t n, int64_t nrows, const float* a, const void* x, size_t x_stride, float* y);
void softmax_f32(float* x, int64_t n, float scale);
void swiglu_f32(float* gate, const float* up, int64_t n);

void quantize_row_bf16(const float* x, void* y, int64_t n);
void dequantize_row_bf16(const void* x, float* y, int64_t n);
float vec_dot_bf16(int64_t n, const void* w, const void* a);

void quantize_row_q4_0(const float* x, void* y, int64_t n);
void dequantize_row_q4_0(const void* x, float* y, int64_t n);
float vec_dot_q4_0_q8_0(int64_t n, const void* w, const void* a);

void quantize_row_q8_0(const float* x, void* y, int64_t n);
void dequantize_row_q8_0(const void* x, float* y, int64_t n);
float vec_dot_q8_0_q8_0(int64_t n, const void* w, const void* a);
void axpy_rows_q8_0(int64_t n, int64_t nrows, const float* a, const void* x, size_t x_stride, float* y);

void quantize_row_q4_K(const float* x, void* y, int64_t n);
void dequantize_row_q4_K(const void* x, float* y, int64_t n);
float vec_dot_q4_K_q8_K(int64_t n, const void* w, const void* a);

void quantize_row_q5_K(const float* x, void* y, int64_t n);
void dequantize_row_q5_K(const void* x, float* y, int64_t n);
float vec_dot_q5_K_q8_K(int64_t n, const void* w, const void* a);

void quantize_row_q6_K(const float* x, void* y, int64_t n);
void dequantize_row_q6_K(const void* x, float* y, int64_t n);
float vec_dot_q6_K_q8_K(int64_t n, const void* w, const void* a);

void quantize_row_q8_K(const float* x, void* y, int64_t n);
void dequantize_row_q8_K(const void* x, float* y, int64_t n);

// The "scalar" kernel set, filled from the functions above.
const KernelSet& scalar_kernel_set();

}  // namespace glint::kernels::ref
