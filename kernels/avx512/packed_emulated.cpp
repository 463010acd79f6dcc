// The packed GEMVs of kernels/avx512vnni/packed.cpp with vpdpbusd emulated
// (Dot4Emulated): the avx512-vnni-emulated test set, so CPUs without VNNI test
// that code too.
#include "kernels/avx512/avx512.h"
#include "kernels/avx512/gemv_packed.h"

namespace glint::kernels::avx512 {

void gemv_packed_q4_K_dot4_emulated(int64_t K, const void* p, size_t s, int64_t n, const void* a, float* y) {
    packed::gemv_k45<Dot4Emulated, false>(K, p, s, n, a, y);
}
void gemv_packed_q5_K_dot4_emulated(int64_t K, const void* p, size_t s, int64_t n, const void* a, float* y) {
    packed::gemv_k45<Dot4Emulated, true>(K, p, s, n, a, y);
}
void gemv_packed_q6_K_dot4_emulated(int64_t K, const void* p, size_t s, int64_t n, const void* a, float* y) {
    packed::gemv_q6_K<Dot4Emulated>(K, p, s, n, a, y);
}
void gemv_packed_q4_0_dot4_emulated(int64_t K, const void* p, size_t s, int64_t n, const void* a, float* y) {
    packed::gemv_q8<Dot4Emulated, true>(K, p, s, n, a, y);
}
void gemv_packed_q8_0_dot4_emulated(int64_t K, const void* p, size_t s, int64_t n, const void* a, float* y) {
    packed::gemv_q8<Dot4Emulated, false>(K, p, s, n, a, y);
}

}  // namespace glint::kernels::avx512
