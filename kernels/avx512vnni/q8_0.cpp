// Q4_0 / Q8_0 weights against Q8_0 activations with AVX-512 VNNI: the
// token-lane GEMM of kernels/lane_gemm_q8_0.h and the GEMV of
// kernels/avx512/gemv_q8_dot4.h with vpdpbusd. The same code runs on every
// AVX-512 CPU with the instruction emulated (kernels/avx512/q8_0.cpp), which
// is how CPUs without VNNI test it.
#include "kernels/avx512vnni/avx512vnni.h"

#include "kernels/avx512/common.h"
#include "kernels/avx512/gemv_q8_dot4.h"
#include "kernels/lane_gemm_q8_0.h"

namespace glint::kernels::avx512vnni {
namespace {

struct Dot4Vnni {
    static __m512i dot4(__m512i acc, __m512i u, __m512i s) { return _mm512_dpbusd_epi32(acc, u, s); }
};
using V = lanes_q8::WithDot4<avx512::V512, Dot4Vnni>;

}  // namespace

void gemv_q4_0(int64_t K, const void* w, size_t s, int64_t n, const void* a, float* y) {
    avx512::gemv_dot4::gemv<Dot4Vnni, true>(K, w, s, n, a, y);
}
void gemv_q8_0(int64_t K, const void* w, size_t s, int64_t n, const void* a, float* y) {
    avx512::gemv_dot4::gemv<Dot4Vnni, false>(K, w, s, n, a, y);
}

const GemmKernel gemm_q4_0 = lanes_q8::kernel<V, true>();
const GemmKernel gemm_q8_0 = lanes_q8::kernel<V, false>();

}  // namespace glint::kernels::avx512vnni
