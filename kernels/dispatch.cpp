// Kernel sets: the scalar reference set (always present) and, as they are
// added, per-ISA sets compiled in kernels/<isa>/ and offered only when
// cpu_features() says this CPU and OS can run them.
#include <cstdlib>
#include <string>

#include "kernels/cpu_features.h"
#include "kernels/log.h"
#include "kernels/quants.h"
#include "kernels/ref.h"
#ifdef GLINT_HAVE_AVX2
#include "kernels/avx2/avx2.h"
#endif
#ifdef GLINT_HAVE_AVXVNNI
#include "kernels/avxvnni/avxvnni.h"
#endif
#ifdef GLINT_HAVE_AVX512
#include "kernels/avx512/avx512.h"
#endif
#ifdef GLINT_HAVE_AVX512VNNI
#include "kernels/avx512vnni/avx512vnni.h"
#endif

namespace glint::kernels {
namespace {

// The per-head forms where a set has no kernel reading the rows once for all
// heads: one call of the single-head kernel per head (same bits by definition).
template <AxpyRowsFn F>
void axpy_heads_loop(int64_t n, int64_t nrows, int nq, const float* a, int64_t lda, const void* x, size_t x_stride,
                     float* y, int64_t ldy) {
    for (int h = 0; h < nq; ++h) F(n, nrows, a + h * lda, x, x_stride, y + h * ldy);
}
template <GemvFn F>
void gemv_heads_loop(int64_t K, const void* w, size_t w_stride, int64_t nrows, int nq, const void* a,
                     size_t a_stride, float* y, int64_t ldy) {
    const auto* q = static_cast<const uint8_t*>(a);
    for (int h = 0; h < nq; ++h) F(K, w, w_stride, nrows, q + size_t(h) * a_stride, y + h * ldy);
}

}  // namespace

namespace ref {
namespace {

KernelSet make_scalar_set() {
    KernelSet ks;
    ks.isa = "scalar";
    auto put = [&ks](TensorType t, QuantizeRowFn q, DequantizeRowFn dq, VecDotFn dot) {
        const auto i = static_cast<uint32_t>(t);
        ks.quantize_row[i] = q;
        ks.dequantize_row[i] = dq;
        ks.vec_dot[i] = dot;
    };
    put(TensorType::F32, quantize_row_f32, dequantize_row_f32, vec_dot_f32);
    put(TensorType::F16, quantize_row_f16, dequantize_row_f16, vec_dot_f16);
    put(TensorType::BF16, quantize_row_bf16, dequantize_row_bf16, vec_dot_bf16);
    put(TensorType::Q4_0, quantize_row_q4_0, dequantize_row_q4_0, vec_dot_q4_0_q8_0);
    put(TensorType::Q8_0, quantize_row_q8_0, dequantize_row_q8_0, vec_dot_q8_0_q8_0);
    put(TensorType::Q4_K, quantize_row_q4_K, dequantize_row_q4_K, vec_dot_q4_K_q8_K);
    put(TensorType::Q5_K, quantize_row_q5_K, dequantize_row_q5_K, vec_dot_q5_K_q8_K);
    put(TensorType::Q6_K, quantize_row_q6_K, dequantize_row_q6_K, vec_dot_q6_K_q8_K);
    put(TensorType::Q8_K, quantize_row_q8_K, dequantize_row_q8_K, nullptr);  // activation only
    ks.axpy_rows[static_cast<uint32_t>(TensorType::F32)] = axpy_rows_f32;
    ks.axpy_rows[static_cast<uint32_t>(TensorType::F16)] = axpy_rows_f16;
    ks.axpy_rows[static_cast<uint32_t>(TensorType::Q8_0)] = axpy_rows_q8_0;
    ks.axpy_heads[static_cast<uint32_t>(TensorType::F32)] = axpy_heads_loop<axpy_rows_f32>;
    ks.axpy_heads[static_cast<uint32_t>(TensorType::F16)] = axpy_heads_loop<axpy_rows_f16>;
    ks.axpy_heads[static_cast<uint32_t>(TensorType::Q8_0)] = axpy_heads_loop<axpy_rows_q8_0>;
    ks.softmax = softmax_f32;
    ks.swiglu = swiglu_f32;
    return ks;
}

}  // namespace

const KernelSet& scalar_kernel_set() {
    static const KernelSet ks = make_scalar_set();
    return ks;
}

}  // namespace ref

namespace {

#ifdef GLINT_HAVE_AVX2
#ifdef GLINT_HAVE_AVXVNNI
constexpr bool kAvxVnniCompiled = true;
#else
constexpr bool kAvxVnniCompiled = false;
#endif

// Built here, in generic code: the AVX2 TUs only provide the functions. Every
// set starts as a copy of the scalar one, so callers never meet a null entry.
// `vnni`: the Q4_0/Q8_0 GEMM by AVX-VNNI (where compiled in).
KernelSet make_avx2_set(bool vnni) {
    KernelSet ks = ref::scalar_kernel_set();
    vnni = vnni && kAvxVnniCompiled;
    ks.isa = vnni ? "avx2" : (cpu_features().avxvnni && kAvxVnniCompiled ? "avx2-novnni" : "avx2");
    ks.vnni = vnni;
    auto id = [](TensorType t) { return static_cast<uint32_t>(t); };
    ks.vec_dot[id(TensorType::F32)] = avx2::vec_dot_f32;
    ks.vec_dot[id(TensorType::F16)] = avx2::vec_dot_f16;
    ks.vec_dot[id(TensorType::BF16)] = avx2::vec_dot_bf16;
    ks.quantize_row[id(TensorType::F16)] = avx2::quantize_row_f16;
    ks.dequantize_row[id(TensorType::F16)] = avx2::dequantize_row_f16;
    ks.axpy_rows[id(TensorType::F32)] = avx2::axpy_rows_f32;
    ks.axpy_rows[id(TensorType::F16)] = avx2::axpy_rows_f16;
    ks.axpy_rows[id(TensorType::Q8_0)] = avx2::axpy_rows_q8_0;
    ks.axpy_heads[id(TensorType::F32)] = avx2::axpy_heads_f32;
    ks.axpy_heads[id(TensorType::F16)] = avx2::axpy_heads_f16;
    ks.axpy_heads[id(TensorType::Q8_0)] = avx2::axpy_heads_q8_0;
    ks.softmax = avx2::softmax;
    ks.swiglu = avx2::swiglu;
    ks.vec_dot[id(TensorType::Q4_0)] = avx2::vec_dot_q4_0_q8_0;
    ks.vec_dot[id(TensorType::Q8_0)] = avx2::vec_dot_q8_0_q8_0;
    ks.quantize_row[id(TensorType::Q8_0)] = avx2::quantize_row_q8_0;
    ks.vec_dot[id(TensorType::Q4_K)] = avx2::vec_dot_q4_K_q8_K;
    ks.vec_dot[id(TensorType::Q5_K)] = avx2::vec_dot_q5_K_q8_K;
    ks.vec_dot[id(TensorType::Q6_K)] = avx2::vec_dot_q6_K_q8_K;
    ks.quantize_row[id(TensorType::Q8_K)] = avx2::quantize_row_q8_K;
    ks.gemv[id(TensorType::F32)] = avx2::gemv_f32;
    ks.gemv[id(TensorType::F16)] = avx2::gemv_f16;
    ks.gemv[id(TensorType::BF16)] = avx2::gemv_bf16;
    ks.gemv[id(TensorType::Q4_0)] = avx2::gemv_q4_0;
    ks.gemv[id(TensorType::Q8_0)] = avx2::gemv_q8_0;
    ks.gemv[id(TensorType::Q4_K)] = avx2::gemv_q4_K;
    ks.gemv[id(TensorType::Q5_K)] = avx2::gemv_q5_K;
    ks.gemv[id(TensorType::Q6_K)] = avx2::gemv_q6_K;
    ks.gemv_heads[id(TensorType::F32)] = avx2::gemv_heads_f32;
    ks.gemv_heads[id(TensorType::F16)] = avx2::gemv_heads_f16;
    ks.gemv_heads[id(TensorType::Q8_0)] = gemv_heads_loop<avx2::gemv_q8_0>;
    ks.gemm[id(TensorType::Q4_0)] = &avx2::gemm_q4_0;
    ks.gemm[id(TensorType::Q8_0)] = &avx2::gemm_q8_0;
    ks.gemm[id(TensorType::Q4_K)] = &avx2::gemm_q4_K;
    ks.gemm[id(TensorType::Q5_K)] = &avx2::gemm_q5_K;
    ks.gemm[id(TensorType::Q6_K)] = &avx2::gemm_q6_K;
    ks.gemm_narrow[0][id(TensorType::Q4_K)] = &avx2::gemm4_q4_K;
    ks.gemm_narrow[0][id(TensorType::Q5_K)] = &avx2::gemm4_q5_K;
    ks.gemm_narrow[0][id(TensorType::Q6_K)] = &avx2::gemm4_q6_K;
#ifdef GLINT_HAVE_AVXVNNI
    if (vnni) {
        ks.gemm[id(TensorType::Q4_0)] = &avxvnni::gemm_q4_0;
        ks.gemm[id(TensorType::Q8_0)] = &avxvnni::gemm_q8_0;
    }
#endif
    return ks;
}

// For tests: the AVX2 set with the AVX-VNNI GEMM code running on emulated vpdpbusd.
KernelSet make_avx2_vnni_emulated_set() {
    KernelSet ks = make_avx2_set(false);
    ks.isa = "avx2-vnni-emulated";
    ks.gemm[static_cast<uint32_t>(TensorType::Q4_0)] = &avx2::gemm_q4_0_dot4_emulated;
    ks.gemm[static_cast<uint32_t>(TensorType::Q8_0)] = &avx2::gemm_q8_0_dot4_emulated;
    return ks;
}
#endif

#ifdef GLINT_HAVE_AVX512
#ifdef GLINT_HAVE_AVX512VNNI
constexpr bool kVnniCompiled = true;
#else
constexpr bool kVnniCompiled = false;
#endif

// The AVX2 set's quantizers (bit-exact already) plus AVX-512 dots and matrix
// kernels. `vnni`: use the VNNI variants (where compiled in).
KernelSet make_avx512_set(bool vnni) {
    KernelSet ks = make_avx2_set(false);  // its Q4_0/Q8_0 GEMMs are replaced below
    vnni = vnni && kVnniCompiled;
    ks.isa = vnni ? "avx512" : (cpu_features().avx512vnni ? "avx512-novnni" : "avx512");
    ks.vnni = vnni;
    auto put = [&ks](TensorType t, VecDotFn dot, GemvFn gemv, const GemmKernel* gemm) {
        const auto i = static_cast<uint32_t>(t);
        ks.vec_dot[i] = dot;
        ks.gemv[i] = gemv;
        ks.gemm[i] = gemm;
    };
    put(TensorType::F32, avx512::vec_dot_f32, avx512::gemv_f32, &avx512::gemm_f32);
    put(TensorType::F16, avx512::vec_dot_f16, avx512::gemv_f16, &avx512::gemm_f16);
    put(TensorType::BF16, avx512::vec_dot_bf16, avx512::gemv_bf16, &avx512::gemm_bf16);
    put(TensorType::Q4_0, avx512::vec_dot_q4_0_q8_0, avx512::gemv_q4_0, &avx512::gemm_q4_0);
    put(TensorType::Q8_0, avx512::vec_dot_q8_0_q8_0, avx512::gemv_q8_0, &avx512::gemm_q8_0);
    put(TensorType::Q4_K, avx512::vec_dot_q4_K_q8_K, avx512::gemv_q4_K, &avx512::gemm_q4_K);
    put(TensorType::Q5_K, avx512::vec_dot_q5_K_q8_K, avx512::gemv_q5_K, &avx512::gemm_q5_K);
    put(TensorType::Q6_K, avx512::vec_dot_q6_K_q8_K, avx512::gemv_q6_K, &avx512::gemm_q6_K);
    auto narrow = [&ks](TensorType t, const GemmKernel* g4, const GemmKernel* g8) {
        ks.gemm_narrow[0][static_cast<uint32_t>(t)] = g4;
        ks.gemm_narrow[1][static_cast<uint32_t>(t)] = g8;
    };
    ks.softmax = avx512::softmax;
    ks.swiglu = avx512::swiglu;
    ks.gemv_heads[static_cast<uint32_t>(TensorType::F32)] = avx512::gemv_heads_f32;
    ks.gemv_heads[static_cast<uint32_t>(TensorType::F16)] = avx512::gemv_heads_f16;
    ks.gemv_heads[static_cast<uint32_t>(TensorType::Q8_0)] = gemv_heads_loop<avx512::gemv_q8_0>;
    ks.axpy_heads[static_cast<uint32_t>(TensorType::F32)] = avx512::axpy_heads_f32;
    ks.axpy_heads[static_cast<uint32_t>(TensorType::F16)] = avx512::axpy_heads_f16;
    ks.axpy_heads[static_cast<uint32_t>(TensorType::Q8_0)] = avx512::axpy_heads_q8_0;
    narrow(TensorType::Q4_K, &avx512::gemm4_q4_K, &avx512::gemm8_q4_K);
    narrow(TensorType::Q5_K, &avx512::gemm4_q5_K, &avx512::gemm8_q5_K);
    narrow(TensorType::Q6_K, &avx512::gemm4_q6_K, &avx512::gemm8_q6_K);
#ifdef GLINT_HAVE_AVX512VNNI
    if (vnni) {
        ks.gemm[static_cast<uint32_t>(TensorType::Q4_0)] = &avx512vnni::gemm_q4_0;
        ks.gemm[static_cast<uint32_t>(TensorType::Q8_0)] = &avx512vnni::gemm_q8_0;
        ks.gemv[static_cast<uint32_t>(TensorType::Q4_0)] = avx512vnni::gemv_q4_0;
        ks.gemv[static_cast<uint32_t>(TensorType::Q8_0)] = avx512vnni::gemv_q8_0;
        ks.gemv_heads[static_cast<uint32_t>(TensorType::Q8_0)] = gemv_heads_loop<avx512vnni::gemv_q8_0>;
        ks.gemv_packed[static_cast<uint32_t>(TensorType::Q4_K)] = avx512vnni::gemv_packed_q4_K;
        ks.gemv_packed[static_cast<uint32_t>(TensorType::Q5_K)] = avx512vnni::gemv_packed_q5_K;
        ks.gemv_packed[static_cast<uint32_t>(TensorType::Q6_K)] = avx512vnni::gemv_packed_q6_K;
        ks.gemv_packed[static_cast<uint32_t>(TensorType::Q4_0)] = avx512vnni::gemv_packed_q4_0;
        ks.gemv_packed[static_cast<uint32_t>(TensorType::Q8_0)] = avx512vnni::gemv_packed_q8_0;
    }
#endif
    return ks;
}

// For tests: the AVX-512 set with the VNNI GEMM code running on emulated vpdpbusd.
KernelSet make_avx512_vnni_emulated_set() {
    KernelSet ks = make_avx512_set(false);
    ks.isa = "avx512-vnni-emulated";
    ks.gemm[static_cast<uint32_t>(TensorType::Q4_0)] = &avx512::gemm_q4_0_dot4_emulated;
    ks.gemm[static_cast<uint32_t>(TensorType::Q8_0)] = &avx512::gemm_q8_0_dot4_emulated;
    ks.gemv[static_cast<uint32_t>(TensorType::Q4_0)] = avx512::gemv_q4_0_dot4_emulated;
    ks.gemv[static_cast<uint32_t>(TensorType::Q8_0)] = avx512::gemv_q8_0_dot4_emulated;
    ks.gemv_heads[static_cast<uint32_t>(TensorType::Q8_0)] = gemv_heads_loop<avx512::gemv_q8_0_dot4_emulated>;
    ks.gemv_packed[static_cast<uint32_t>(TensorType::Q4_K)] = avx512::gemv_packed_q4_K_dot4_emulated;
    ks.gemv_packed[static_cast<uint32_t>(TensorType::Q5_K)] = avx512::gemv_packed_q5_K_dot4_emulated;
    ks.gemv_packed[static_cast<uint32_t>(TensorType::Q6_K)] = avx512::gemv_packed_q6_K_dot4_emulated;
    ks.gemv_packed[static_cast<uint32_t>(TensorType::Q4_0)] = avx512::gemv_packed_q4_0_dot4_emulated;
    ks.gemv_packed[static_cast<uint32_t>(TensorType::Q8_0)] = avx512::gemv_packed_q8_0_dot4_emulated;
    return ks;
}
#endif

// Best last; each ISA set only behind its cpu_features() check.
std::vector<const KernelSet*> detect_sets() {
    std::vector<const KernelSet*> sets{&ref::scalar_kernel_set()};
#ifdef GLINT_HAVE_AVX2
    if (cpu_features().has_avx2_set()) {
        static const KernelSet avx2_set = make_avx2_set(cpu_features().avxvnni);
        sets.push_back(&avx2_set);
    }
#endif
#ifdef GLINT_HAVE_AVX512
    if (cpu_features().has_avx512_set()) {
        static const KernelSet avx512_set = make_avx512_set(cpu_features().avx512vnni);
        sets.push_back(&avx512_set);
    }
#endif
    return sets;
}

std::vector<const KernelSet*> detect_variants() {
    std::vector<const KernelSet*> v = available_kernel_sets();
#ifdef GLINT_HAVE_AVX2
    if (cpu_features().has_avx2_set() && cpu_features().avxvnni && kAvxVnniCompiled) {
        static const KernelSet plain = make_avx2_set(false);
        v.push_back(&plain);
    }
    if (cpu_features().has_avx2_set()) {
        static const KernelSet emulated = make_avx2_vnni_emulated_set();
        v.push_back(&emulated);
    }
#endif
#ifdef GLINT_HAVE_AVX512
    if (cpu_features().has_avx512_set() && cpu_features().avx512vnni && kVnniCompiled) {
        static const KernelSet plain = make_avx512_set(false);
        v.push_back(&plain);
    }
    if (cpu_features().has_avx512_set()) {
        static const KernelSet emulated = make_avx512_vnni_emulated_set();
        v.push_back(&emulated);
    }
#endif
    return v;
}

}  // namespace

std::vector<const GemmKernel*> gemm_kernels(const KernelSet& ks, TensorType t) {
    const auto i = static_cast<uint32_t>(t);
    std::vector<const GemmKernel*> out;
    for (const GemmKernel* g : {ks.gemm[i], ks.gemm_narrow[1][i], ks.gemm_narrow[0][i]})
        if (g) out.push_back(g);
    return out;
}

const KernelSet& select_kernel_set(const char* isa) {
    const auto sets = available_kernel_sets();
    const KernelSet* best = sets.back();
    if (!isa || !*isa) return *best;
    if (const KernelSet* ks = find_kernel_set(isa)) return *ks;
    std::string have;
    for (const KernelSet* ks : sets) have += std::string(have.empty() ? "" : ", ") + ks->isa;
    log(LogLevel::Warn, std::string("GLINT_ISA=") + isa +
                            " is unknown or not supported on this CPU (available: " + have +
                            "); using " + best->isa);
    return *best;
}

std::vector<const KernelSet*> available_kernel_sets() {
    static const std::vector<const KernelSet*> sets = detect_sets();
    return sets;
}

std::vector<const KernelSet*> kernel_set_variants() {
    static const std::vector<const KernelSet*> v = detect_variants();
    return v;
}

const KernelSet* find_kernel_set(std::string_view isa) {
    for (const KernelSet* ks : available_kernel_sets())
        if (isa == ks->isa) return ks;
    return nullptr;
}

const KernelSet& active_kernels() {
    static const KernelSet& ks = select_kernel_set(std::getenv("GLINT_ISA"));
    return ks;
}

}  // namespace glint::kernels
