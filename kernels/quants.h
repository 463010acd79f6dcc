// Kernel interface: scalar reference (de)quantization and dot products, plus the
// per-ISA kernel sets chosen once at start-up.
//
// Weights of type W are multiplied against activations quantized to
// vec_dot_type(W) (Q8_0 for Q4_0/Q8_0, Q8_K for the K-quants, F16 for F16,
// BF16 for BF16, F32 for F32), as the reference engine does, then integer dots.
#pragma once
#include <cstdint>
#include <string_view>
#include <vector>

#include "kernels/types.h"

namespace glint::kernels {

TensorType vec_dot_type(TensorType weight_type);

// Scalar reference implementations: the specification every fast path is tested
// against. n must be a multiple of the type's block size. Types without a
// reference return false / are rejected by has_reference().
bool has_reference(TensorType t);
void quantize_row_ref(TensorType t, const float* x, void* y, int64_t n);
void dequantize_row_ref(TensorType t, const void* x, float* y, int64_t n);
// Dot product of n weights (type t) with n activations (type vec_dot_type(t)).
float vec_dot_ref(TensorType t, int64_t n, const void* w, const void* a);

// One implementation per ISA. Every set offered is complete: where an ISA has
// no faster kernel its entry is the scalar one (null only where scalar is too).
using VecDotFn = float (*)(int64_t n, const void* w, const void* a);
using QuantizeRowFn = void (*)(const float* x, void* y, int64_t n);
using DequantizeRowFn = void (*)(const void* x, float* y, int64_t n);
// y[i] += a[r] * x_r[i] for nrows rows x_r of n elements (dequantized
// exactly), x_stride bytes apart, in row order: each product is rounded, then
// the sum, so every set gives the same bits.
using AxpyRowsFn = void (*)(int64_t n, int64_t nrows, const float* a, const void* x, size_t x_stride, float* y);
// Attention softmax of n scores in place: x[i] * scale (rounded), then
// exp(x[i] - max) by kernels/softmax.h's polynomial, then times 1 / sum, the
// sum kept in 16 lanes (element i in lane i % 16, in order) added pairwise.
// Every set gives the same bits (the scalar one in kernels/float.cpp defines them).
using SoftmaxFn = void (*)(float* x, int64_t n, float scale);
// SwiGLU in place: gate[i] = g / (1 + exp(0 - g)) * up[i] with g = gate[i],
// each operation rounded in that order, exp as the softmax's (its input held
// to [-87, 88]). Every set gives the same bits (ref::swiglu_f32 defines them).
using SwigluFn = void (*)(float* gate, const float* up, int64_t n);
// axpy_rows for the nq query heads that share one KV head (grouped-query
// attention): head h's weights at a + h * lda, its sums at y + h * ldy. Each
// head's result equals the set's axpy_rows bit for bit; the rows are read
// once for all heads.
using AxpyHeadsFn = void (*)(int64_t n, int64_t nrows, int nq, const float* a, int64_t lda, const void* x,
                             size_t x_stride, float* y, int64_t ldy);
constexpr int kMaxTypeId = 40;

// Matrix kernels behind engine/matmul (fast sets only; null in the scalar set).
// Weights: nrows rows of K elements, w_stride bytes apart. Activations: rows
// of K in vec_dot_type(W)'s layout. Every kernel writes, for each row r and
// activation row t, y[t * ldy + r] equal bit for bit to the same set's
// vec_dot(K, w + r * w_stride, a_t): the fast sets' dots share one float
// evaluation order per type (exact integer sums per block, then one fma chain
// over blocks; 16-lane float sums for F32/F16/BF16), whatever the tiling.
//
// gemv: one activation row.
using GemvFn = void (*)(int64_t K, const void* w, size_t w_stride, int64_t nrows, const void* a,
                        float* y);
// gemv_heads: nq activation rows (a + h * a_stride bytes) against the same
// weight rows, y[h * ldy + r] equal bit for bit to the set's gemv of row h
// (attention scores of the query heads sharing a KV head).
using GemvHeadsFn = void (*)(int64_t K, const void* w, size_t w_stride, int64_t nrows, int nq, const void* a,
                             size_t a_stride, float* y, int64_t ldy);
// gemm: activation rows are first prepared in groups of `group` rows into a
// kernel-specific layout (each group prep_bytes(K) bytes, groups back to back),
// then run() multiplies rows [0, nrows) against all n_tok prepared rows using
// scratch_bytes(K) bytes of per-thread scratch (64-byte aligned).
struct GemmKernel {
    int group;
    size_t (*prep_bytes)(int64_t K);
    void (*prep)(int64_t K, const void* a, size_t a_stride, int n, void* out);
    size_t (*scratch_bytes)(int64_t K);
    void (*run)(int64_t K, const void* w, size_t w_stride, int64_t nrows, const void* prep,
                int64_t n_tok, float* y, int64_t ldy, void* scratch);
};

// gemv_packed: the GEMV over rows packed in groups of kPackRows by
// kernels/packed.h's pack_rows (the group of rows [r, r + 16) at r * w_stride;
// nrows a multiple of 16), read as one sequential stream; the same bits.
using PackedGemvFn = void (*)(int64_t K, const void* packed, size_t w_stride, int64_t nrows, const void* a, float* y);

struct KernelSet {
    const char* isa;  // "scalar", "avx2", "avx512"
    VecDotFn vec_dot[kMaxTypeId] = {};             // indexed by weight type id
    QuantizeRowFn quantize_row[kMaxTypeId] = {};   // indexed by target type id
    DequantizeRowFn dequantize_row[kMaxTypeId] = {};
    AxpyRowsFn axpy_rows[kMaxTypeId] = {};       // KV cache types: F32, F16, Q8_0
    AxpyHeadsFn axpy_heads[kMaxTypeId] = {};     // where axpy_rows is
    SoftmaxFn softmax = nullptr;
    SwigluFn swiglu = nullptr;
    GemvFn gemv[kMaxTypeId] = {};             // indexed by weight type id
    GemvHeadsFn gemv_heads[kMaxTypeId] = {};  // KV cache types
    const GemmKernel* gemm[kMaxTypeId] = {};  // indexed by weight type id
    PackedGemvFn gemv_packed[kMaxTypeId] = {};  // where a packed layout streams faster (one token)
    // Narrower token groups for a few tokens at a time (batched decoding),
    // where the widest group's lanes would be mostly padding: [0] groups of 4,
    // [1] groups of 8. Null where a type has none.
    const GemmKernel* gemm_narrow[2][kMaxTypeId] = {};
    bool vnni = false;                        // uses VNNI instructions (AVX-VNNI in avx2, AVX-512 VNNI in avx512)
};

// Every GEMM kernel of a set for weight type t, widest first (empty if none).
std::vector<const GemmKernel*> gemm_kernels(const KernelSet& ks, TensorType t);

// Kernel sets compiled in AND supported by this CPU/OS (CPUID + XGETBV), best last.
std::vector<const KernelSet*> available_kernel_sets();
// The set in use: GLINT_ISA=scalar|avx2|avx512 when set (unknown or unsupported
// names fall back to the best with a warning through the log callback),
// otherwise the best available. Chosen once.
const KernelSet& active_kernels();
const KernelSet* find_kernel_set(std::string_view isa);  // nullptr if unavailable
// For tests and benchmarks: every variant this CPU can run, including ones the
// sets above do not pick: "avx2-novnni" / "avx512-novnni" where the CPU has
// AVX-VNNI / AVX-512 VNNI, and "avx2-vnni-emulated" / "avx512-vnni-emulated"
// on every AVX2 / AVX-512 CPU: the VNNI kernels' code with the instruction
// emulated, so CPUs without VNNI test that code too.
std::vector<const KernelSet*> kernel_set_variants();
// The choice active_kernels() makes for a given GLINT_ISA value (null or empty:
// the best), warning through the log callback on unknown/unsupported names.
const KernelSet& select_kernel_set(const char* isa);

}  // namespace glint::kernels
