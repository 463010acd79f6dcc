// Test/benchmark helper: drives one GemmKernel the way engine/matmul does
// (prepare activation groups, run on a row range), single-threaded.
#pragma once
#include <cstdint>
#include <vector>

#include "kernels/quants.h"

namespace glint::test {

class KernelMatmul {
public:
    KernelMatmul(const kernels::GemmKernel& gk, int64_t K) : gk_(gk), K_(K) {}

    // y[t * ldy + r] for rows [0, rows) of w and n_tok activation rows a (stride as).
    void run(const void* w, size_t ws, int64_t rows, const void* a, size_t as, int64_t n_tok, float* y,
             int64_t ldy = -1) {
        prepare(a, as, n_tok);
        compute(w, ws, rows, n_tok, y, ldy < 0 ? rows : ldy);
    }
    void prepare(const void* a, size_t as, int64_t n_tok) {
        const int64_t groups = (n_tok + gk_.group - 1) / gk_.group;
        const size_t gb = gk_.prep_bytes(K_);
        prep_.assign(size_t(groups) * gb + 64, 0);
        for (int64_t g = 0; g < groups; ++g) {
            const int64_t t0 = g * gk_.group;
            const int n = int(n_tok - t0 < gk_.group ? n_tok - t0 : gk_.group);
            gk_.prep(K_, static_cast<const uint8_t*>(a) + size_t(t0) * as, as, n, aligned(prep_) + size_t(g) * gb);
        }
    }
    void compute(const void* w, size_t ws, int64_t rows, int64_t n_tok, float* y, int64_t ldy) {
        scratch_.resize(gk_.scratch_bytes(K_) + 64);
        gk_.run(K_, w, ws, rows, aligned(prep_), n_tok, y, ldy, aligned(scratch_));
    }

private:
    static uint8_t* aligned(std::vector<uint8_t>& v) {
        const auto p = reinterpret_cast<uintptr_t>(v.data());
        return v.data() + (((p + 63) & ~uintptr_t(63)) - p);
    }
    const kernels::GemmKernel& gk_;
    int64_t K_;
    std::vector<uint8_t> prep_, scratch_;
};

}  // namespace glint::test
