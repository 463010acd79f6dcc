// AVX-VNNI kernels (VEX-encoded vpdpbusd, with AVX2/FMA/F16C): compiled with
// -mavxvnni, so they run only when cpu_features().avxvnni (dispatch.cpp puts
// them in the "avx2" set then: CPUs with AVX-VNNI but no AVX-512). The rule of
// kernels/avx2/avx2.h applies.
#pragma once
#include "kernels/quants.h"

namespace glint::kernels::avxvnni {

// Q4_0 / Q8_0 token-lane GEMM (kernels/lane_gemm_q8_0.h) by vpdpbusd.
extern const GemmKernel gemm_q4_0, gemm_q8_0;

}  // namespace glint::kernels::avxvnni
