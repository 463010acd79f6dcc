// AVX-512 VNNI kernels (with F/BW/VL): compiled with -mavx512vnni, so they run
// only when cpu_features().avx512vnni (dispatch.cpp puts them in the "avx512"
// set then). The rule of kernels/avx2/avx2.h applies.
#pragma once
#include "kernels/quants.h"

namespace glint::kernels::avx512vnni {

// Q4_0 / Q8_0 token-lane GEMM (kernels/lane_gemm_q8_0.h) by vpdpbusd: one
// instruction per 64 byte products where AVX-512 BW needs two to four.
extern const GemmKernel gemm_q4_0, gemm_q8_0;

// 16-row GEMVs (kernels/avx512/gemv_q8_dot4.h): two blocks of a row per vpdpbusd.
void gemv_q4_0(int64_t K, const void* w, size_t w_stride, int64_t nrows, const void* a, float* y);
void gemv_q8_0(int64_t K, const void* w, size_t w_stride, int64_t nrows, const void* a, float* y);

// GEMVs over packed groups of 16 rows (kernels/packed.h), rows in lanes
// (kernels/avx512/gemv_packed.h).
void gemv_packed_q4_K(int64_t K, const void* packed, size_t w_stride, int64_t nrows, const void* a, float* y);
void gemv_packed_q5_K(int64_t K, const void* packed, size_t w_stride, int64_t nrows, const void* a, float* y);
void gemv_packed_q6_K(int64_t K, const void* packed, size_t w_stride, int64_t nrows, const void* a, float* y);
void gemv_packed_q4_0(int64_t K, const void* packed, size_t w_stride, int64_t nrows, const void* a, float* y);
void gemv_packed_q8_0(int64_t K, const void* packed, size_t w_stride, int64_t nrows, const void* a, float* y);

}  // namespace glint::kernels::avx512vnni
