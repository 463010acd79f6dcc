// AVX2 + FMA + F16C kernels. Their .cpp files are compiled with those flags, so
// they must be called only when cpu_features().has_avx2_set(); dispatch.cpp
// builds the "avx2" KernelSet from these pointers (in generic code).
//
// Rule for kernels/avx2/*.cpp: call no inline or template function from a
// shared header (fp16.h, blocks.h helpers, <algorithm>...). The linker keeps one
// copy of such a function for the whole program, and it could be this TU's AVX2
// build, which would then run on CPUs without AVX2. Use intrinsics and
// file-local helpers instead.
#pragma once
#include <cstddef>
#include <cstdint>

#include "kernels/quants.h"

namespace glint::kernels::avx2 {

float vec_dot_f32(int64_t n, const void* w, const void* a);
float vec_dot_f16(int64_t n, const void* w, const void* a);
float vec_dot_bf16(int64_t n, const void* w, const void* a);
void quantize_row_f16(const float* x, void* y, int64_t n);
void dequantize_row_f16(const void* x, float* y, int64_t n);
void axpy_rows_f32(int64_t n, int64_t nrows, const float* a, const void* x, size_t x_stride, float* y);
void axpy_rows_f16(int64_t n, int64_t nrows, const float* a, const void* x, size_t x_stride, float* y);
void softmax(float* x, int64_t n, float scale);  // kernels/softmax_lanes.h
void swiglu(float* gate, const float* up, int64_t n);
// Attention rows read once for the query heads sharing a KV head (quants.h).
void gemv_heads_f32(int64_t K, const void* w, size_t w_stride, int64_t nrows, int nq, const void* a, size_t a_stride,
                    float* y, int64_t ldy);
void gemv_heads_f16(int64_t K, const void* w, size_t w_stride, int64_t nrows, int nq, const void* a, size_t a_stride,
                    float* y, int64_t ldy);
void axpy_heads_f32(int64_t n, int64_t nrows, int nq, const float* a, int64_t lda, const void* x, size_t x_stride,
                    float* y, int64_t ldy);
void axpy_heads_f16(int64_t n, int64_t nrows, int nq, const float* a, int64_t lda, const void* x, size_t x_stride,
                    float* y, int64_t ldy);

float vec_dot_q4_0_q8_0(int64_t n, const void* w, const void* a);
float vec_dot_q8_0_q8_0(int64_t n, const void* w, const void* a);
void quantize_row_q8_0(const float* x, void* y, int64_t n);
void axpy_rows_q8_0(int64_t n, int64_t nrows, const float* a, const void* x, size_t x_stride, float* y);
void axpy_heads_q8_0(int64_t n, int64_t nrows, int nq, const float* a, int64_t lda, const void* x, size_t x_stride,
                     float* y, int64_t ldy);

float vec_dot_q4_K_q8_K(int64_t n, const void* w, const void* a);
float vec_dot_q5_K_q8_K(int64_t n, const void* w, const void* a);
float vec_dot_q6_K_q8_K(int64_t n, const void* w, const void* a);
void quantize_row_q8_K(const float* x, void* y, int64_t n);

// GEMVs (one dot per row) for every type with an AVX2 dot.
void gemv_f32(int64_t K, const void* w, size_t w_stride, int64_t nrows, const void* a, float* y);
void gemv_f16(int64_t K, const void* w, size_t w_stride, int64_t nrows, const void* a, float* y);
void gemv_bf16(int64_t K, const void* w, size_t w_stride, int64_t nrows, const void* a, float* y);
void gemv_q4_0(int64_t K, const void* w, size_t w_stride, int64_t nrows, const void* a, float* y);
void gemv_q8_0(int64_t K, const void* w, size_t w_stride, int64_t nrows, const void* a, float* y);
void gemv_q4_K(int64_t K, const void* w, size_t w_stride, int64_t nrows, const void* a, float* y);
void gemv_q5_K(int64_t K, const void* w, size_t w_stride, int64_t nrows, const void* a, float* y);
void gemv_q6_K(int64_t K, const void* w, size_t w_stride, int64_t nrows, const void* a, float* y);

// Token-lane GEMMs: 8 tokens x 1 row per vector, and (K-quants) 4 tokens x 2
// rows for a few sequences decoding together.
extern const GemmKernel gemm_q4_0, gemm_q8_0, gemm_q4_K, gemm_q5_K, gemm_q6_K;
extern const GemmKernel gemm4_q4_K, gemm4_q5_K, gemm4_q6_K;
// The Q4_0/Q8_0 GEMM of kernels/avxvnni/ with its vpdpbusd emulated, for tests.
extern const GemmKernel gemm_q4_0_dot4_emulated, gemm_q8_0_dot4_emulated;

}  // namespace glint::kernels::avx2
