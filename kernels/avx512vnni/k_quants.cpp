// Q4_K weights in packed groups (kernels/packed.h) against Q8_K activations by
// vpdpbusd: kernels/avx512/gemv_packed_q4_k.h. The emulated twin is in
// kernels/avx512/k_quants.cpp.
#include "kernels/avx512/gemv_packed_q4_k.h"
#include "kernels/avx512vnni/avx512vnni.h"

namespace glint::kernels::avx512vnni {
namespace {

struct Dot4Vnni {
    static __m512i dot4(__m512i acc, __m512i u, __m512i s) { return _mm512_dpbusd_epi32(acc, u, s); }
};

void gemv_packed_q4_K_run(int64_t K, const void* p, size_t s, int64_t n, const void* a, float* y) {
    avx512::packed_q4_k::gemv<Dot4Vnni>(K, p, s, n, a, y);
}

}  // namespace

const PackedGemv gemv_packed_q4_K = {pack_q4_K, gemv_packed_q4_K_run};

}  // namespace glint::kernels::avx512vnni
