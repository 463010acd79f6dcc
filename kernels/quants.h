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
constexpr int kMaxTypeId = 40;

struct KernelSet {
    const char* isa;  // "scalar", "avx2", "avx512"
    VecDotFn vec_dot[kMaxTypeId] = {};             // indexed by weight type id
    QuantizeRowFn quantize_row[kMaxTypeId] = {};   // indexed by target type id
    DequantizeRowFn dequantize_row[kMaxTypeId] = {};
};

// Kernel sets compiled in AND supported by this CPU/OS (CPUID + XGETBV), best last.
std::vector<const KernelSet*> available_kernel_sets();
// The set in use: GLINT_ISA=scalar|avx2|avx512 when set (unknown or unsupported
// names fall back to the best with a warning through the log callback),
// otherwise the best available. Chosen once.
const KernelSet& active_kernels();
const KernelSet* find_kernel_set(std::string_view isa);  // nullptr if unavailable
// The choice active_kernels() makes for a given GLINT_ISA value (null or empty:
// the best), warning through the log callback on unknown/unsupported names.
const KernelSet& select_kernel_set(const char* isa);

}  // namespace glint::kernels
