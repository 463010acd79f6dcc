// Type-dispatched entry points to the scalar reference kernels.
#include <cmath>
#include <stdexcept>
#include <string>

#include "kernels/quants.h"
#include "kernels/ref.h"

namespace glint::kernels {

namespace ref {
int nearest_int(float x) {
    // lrintf rounds ties to even; the clamp keeps NaN/huge inputs defined.
    return int(std::lrintf(std::fmin(std::fmax(x, -1e9f), 1e9f)));
}
}  // namespace ref

namespace {

const KernelSet& scalar() { return ref::scalar_kernel_set(); }

uint32_t checked_id(TensorType t, const char* what) {
    const auto i = static_cast<uint32_t>(t);
    if (i >= uint32_t(kMaxTypeId) || !has_reference(t))
        throw std::invalid_argument(std::string(what) + ": no reference kernel for type " +
                                    std::string(type_name(t)));
    return i;
}

}  // namespace

TensorType vec_dot_type(TensorType weight_type) {
    switch (weight_type) {
        case TensorType::Q4_0:
        case TensorType::Q8_0: return TensorType::Q8_0;
        case TensorType::Q4_K:
        case TensorType::Q5_K:
        case TensorType::Q6_K: return TensorType::Q8_K;
        case TensorType::F16: return TensorType::F16;
        case TensorType::BF16: return TensorType::BF16;
        default: return TensorType::F32;
    }
}

bool has_reference(TensorType t) {
    const auto i = static_cast<uint32_t>(t);
    if (i >= uint32_t(kMaxTypeId)) return false;
    const KernelSet& ks = scalar();
    return ks.quantize_row[i] != nullptr && ks.dequantize_row[i] != nullptr;
}

void quantize_row_ref(TensorType t, const float* x, void* y, int64_t n) {
    scalar().quantize_row[checked_id(t, "quantize_row_ref")](x, y, n);
}

void dequantize_row_ref(TensorType t, const void* x, float* y, int64_t n) {
    scalar().dequantize_row[checked_id(t, "dequantize_row_ref")](x, y, n);
}

float vec_dot_ref(TensorType t, int64_t n, const void* w, const void* a) {
    const auto i = static_cast<uint32_t>(t);
    const VecDotFn f = i < uint32_t(kMaxTypeId) ? scalar().vec_dot[i] : nullptr;
    if (!f)
        throw std::invalid_argument("vec_dot_ref: no reference dot for type " +
                                    std::string(type_name(t)));
    return f(n, w, a);
}

}  // namespace glint::kernels
