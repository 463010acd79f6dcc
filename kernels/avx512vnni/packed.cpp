// The packed GEMVs (kernels/avx512/gemv_packed.h) by vpdpbusd. Their emulated
// twins are in kernels/avx512/packed_emulated.cpp.
#include "kernels/avx512/gemv_packed.h"
#include "kernels/avx512vnni/avx512vnni.h"

namespace glint::kernels::avx512vnni {
namespace {

struct Dot4Vnni {
    static __m512i dot4(__m512i acc, __m512i u, __m512i s) { return _mm512_dpbusd_epi32(acc, u, s); }
};

}  // namespace

void gemv_packed_q4_K(int64_t K, const void* p, size_t s, int64_t n, const void* a, float* y) {
    avx512::packed::gemv_k45<Dot4Vnni, false>(K, p, s, n, a, y);
}
void gemv_packed_q5_K(int64_t K, const void* p, size_t s, int64_t n, const void* a, float* y) {
    avx512::packed::gemv_k45<Dot4Vnni, true>(K, p, s, n, a, y);
}
void gemv_packed_q6_K(int64_t K, const void* p, size_t s, int64_t n, const void* a, float* y) {
    avx512::packed::gemv_q6_K<Dot4Vnni>(K, p, s, n, a, y);
}
void gemv_packed_q4_0(int64_t K, const void* p, size_t s, int64_t n, const void* a, float* y) {
    avx512::packed::gemv_q8<Dot4Vnni, true>(K, p, s, n, a, y);
}
void gemv_packed_q8_0(int64_t K, const void* p, size_t s, int64_t n, const void* a, float* y) {
    avx512::packed::gemv_q8<Dot4Vnni, false>(K, p, s, n, a, y);
}

}  // namespace glint::kernels::avx512vnni
