// AVX-512 (F + BW + VL, with AVX2/FMA/F16C) kernels. Their .cpp files are
// compiled with those flags, so they must run only when
// cpu_features().has_avx512_set(); dispatch.cpp builds the "avx512" KernelSet
// from these pointers. The rule of kernels/avx2/avx2.h applies: no inline or
// template function from a shared header may be called from these files.
#pragma once
#include <cstddef>
#include <cstdint>

#include "kernels/quants.h"

namespace glint::kernels::avx512 {

float vec_dot_f32(int64_t n, const void* w, const void* a);
float vec_dot_f16(int64_t n, const void* w, const void* a);
float vec_dot_bf16(int64_t n, const void* w, const void* a);
float vec_dot_q4_0_q8_0(int64_t n, const void* w, const void* a);
float vec_dot_q8_0_q8_0(int64_t n, const void* w, const void* a);
float vec_dot_q4_K_q8_K(int64_t n, const void* w, const void* a);
float vec_dot_q5_K_q8_K(int64_t n, const void* w, const void* a);
float vec_dot_q6_K_q8_K(int64_t n, const void* w, const void* a);

void gemv_f32(int64_t K, const void* w, size_t w_stride, int64_t nrows, const void* a, float* y);
void gemv_f16(int64_t K, const void* w, size_t w_stride, int64_t nrows, const void* a, float* y);
void gemv_bf16(int64_t K, const void* w, size_t w_stride, int64_t nrows, const void* a, float* y);
void gemv_q4_0(int64_t K, const void* w, size_t w_stride, int64_t nrows, const void* a, float* y);
void gemv_q8_0(int64_t K, const void* w, size_t w_stride, int64_t nrows, const void* a, float* y);
void axpy_heads_q8_0(int64_t n, int64_t nrows, int nq, const float* a, int64_t lda, const void* x, size_t x_stride,
                     float* y, int64_t ldy);
void gemv_q4_K(int64_t K, const void* w, size_t w_stride, int64_t nrows, const void* a, float* y);
void gemv_q5_K(int64_t K, const void* w, size_t w_stride, int64_t nrows, const void* a, float* y);
void gemv_q6_K(int64_t K, const void* w, size_t w_stride, int64_t nrows, const void* a, float* y);

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

extern const GemmKernel gemm_f32, gemm_f16, gemm_bf16;
extern const GemmKernel gemm_q4_0, gemm_q8_0, gemm_q4_K, gemm_q5_K, gemm_q6_K;
// Narrow token groups (8 tokens x 2 rows, 4 tokens x 4 rows per vector).
extern const GemmKernel gemm8_q4_K, gemm8_q5_K, gemm8_q6_K;
extern const GemmKernel gemm4_q4_K, gemm4_q5_K, gemm4_q6_K;
// The Q4_0/Q8_0 GEMM of kernels/avx512vnni/ with its vpdpbusd emulated: lets
// CPUs without VNNI test that code (same bits as every set's GEMM).
extern const GemmKernel gemm_q4_0_dot4_emulated, gemm_q8_0_dot4_emulated;
void gemv_q4_0_dot4_emulated(int64_t K, const void* w, size_t w_stride, int64_t nrows, const void* a, float* y);
void gemv_q8_0_dot4_emulated(int64_t K, const void* w, size_t w_stride, int64_t nrows, const void* a, float* y);

// The packed GEMVs of kernels/avx512vnni/ with vpdpbusd emulated (packed_emulated.cpp).
void gemv_packed_q4_K_dot4_emulated(int64_t K, const void* packed, size_t w_stride, int64_t nrows, const void* a,
                                    float* y);
void gemv_packed_q5_K_dot4_emulated(int64_t K, const void* packed, size_t w_stride, int64_t nrows, const void* a,
                                    float* y);
void gemv_packed_q6_K_dot4_emulated(int64_t K, const void* packed, size_t w_stride, int64_t nrows, const void* a,
                                    float* y);
void gemv_packed_q4_0_dot4_emulated(int64_t K, const void* packed, size_t w_stride, int64_t nrows, const void* a,
                                    float* y);
void gemv_packed_q8_0_dot4_emulated(int64_t K, const void* packed, size_t w_stride, int64_t nrows, const void* a,
                                    float* y);

}  // namespace glint::kernels::avx512
