#include "engine/matmul.h"

#include <omp.h>

#include "kernels/quants.h"

namespace glint {

constexpr int64_t kMinParallelWork = 1 << 16;  // multiply-adds

size_t matmul_scratch_bytes(TensorType weight_type, int64_t cols, int64_t n_tok) {
    return row_bytes(kernels::vec_dot_type(weight_type), cols) * size_t(n_tok);
}

void matmul(const Weight& W, const float* x, int64_t n_tok, float* y, std::vector<uint8_t>& act,
            const kernels::KernelSet& ks, int n_threads) {
    const TensorType at = kernels::vec_dot_type(W.type);
    const auto at_id = static_cast<uint32_t>(at);
    const size_t a_stride = row_bytes(at, W.cols);
    const uint8_t* a = reinterpret_cast<const uint8_t*>(x);
    if (at != TensorType::F32) {
        if (act.size() < a_stride * size_t(n_tok)) act.resize(a_stride * size_t(n_tok));
        kernels::QuantizeRowFn q = ks.quantize_row[at_id];
#pragma omp parallel for num_threads(n_threads) schedule(static) if (n_tok > 8 && n_threads > 1)
        for (int64_t t = 0; t < n_tok; ++t) q(x + t * W.cols, act.data() + size_t(t) * a_stride, W.cols);
        a = act.data();
    }
    kernels::VecDotFn dot = ks.vec_dot[static_cast<uint32_t>(W.type)];
    const int64_t rows = W.rows, cols = W.cols;
    // Waking threads costs microseconds: tiny products run on the caller's thread.
    const bool threaded = n_threads > 1 && rows * cols * n_tok >= kMinParallelWork;
#pragma omp parallel for num_threads(n_threads) schedule(static) if (threaded)
    for (int64_t r = 0; r < rows; ++r) {
        const uint8_t* w = W.row(r);
        for (int64_t t = 0; t < n_tok; ++t) y[t * rows + r] = dot(cols, w, a + size_t(t) * a_stride);
    }
}

}  // namespace glint
