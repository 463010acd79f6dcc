// Q4_0 / Q8_0 weights against Q8_0 activations with AVX-VNNI: the AVX2
// token-lane GEMM of kernels/lane_gemm_q8_0.h with vpdpbusd. The same code runs
// on every AVX2 CPU with the instruction emulated (kernels/avx2/q8_0.cpp),
// which is how CPUs without AVX-VNNI test it.
#include "kernels/avxvnni/avxvnni.h"

#include "kernels/avx2/common.h"
#include "kernels/lane_gemm_q8_0.h"

namespace glint::kernels::avxvnni {
namespace {

struct Dot4Vnni {
    static __m256i dot4(__m256i acc, __m256i u, __m256i s) { return _mm256_dpbusd_avx_epi32(acc, u, s); }
};
using V = lanes_q8::WithDot4<avx2::V256, Dot4Vnni>;

}  // namespace

const GemmKernel gemm_q4_0 = lanes_q8::kernel<V, true>();
const GemmKernel gemm_q8_0 = lanes_q8::kernel<V, false>();

}  // namespace glint::kernels::avxvnni
