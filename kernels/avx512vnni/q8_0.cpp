// Q4_0 / Q8_0 weights against Q8_0 activations with AVX-512 VNNI: the
// token-lane GEMM of kernels/lane_gemm_q8_0.h with vpdpbusd. The same code
// runs on every AVX-512 CPU with the instruction emulated (kernels/avx512/q8_0.cpp),
// which is how CPUs without VNNI test it.
#include "kernels/avx512vnni/avx512vnni.h"

#include "kernels/avx512/common.h"
#include "kernels/lane_gemm_q8_0.h"

namespace glint::kernels::avx512vnni {
namespace {

struct Dot4Vnni {
    static __m512i dot4(__m512i acc, __m512i u, __m512i s) { return _mm512_dpbusd_epi32(acc, u, s); }
};
using V = lanes_q8::WithDot4<avx512::V512, Dot4Vnni>;

}  // namespace

const GemmKernel gemm_q4_0 = lanes_q8::kernel<V, true>();
const GemmKernel gemm_q8_0 = lanes_q8::kernel<V, false>();

}  // namespace glint::kernels::avx512vnni
