// The seam where matrix products leave the forward pass: today the CPU kernel
// set the Context picked (kernels/quants.h); the Vulkan backend plugs in per layer.
#pragma once
#include <cstdint>
#include <initializer_list>
#include <utility>
#include <vector>

#include "engine/model.h"
#include "kernels/quants.h"

namespace glint {

// y[t][r] = sum_c W[r][c] * x[t][c] for t < n_tok; x is [n_tok][W.cols] floats,
// y is [n_tok][W.rows]. Activations are quantized once to W's partner type
// into `act` (grown only when too small). Threads: OpenMP, n_threads, one
// parallel region per product with an even static share per thread; products
// under ~64K multiply-adds run on the caller's thread.
//
// Kernel sets with matrix kernels (kernels::KernelSet::gemv/gemm) take one of
// two paths: one token -> GEMV (each thread quantizes the row for itself and
// takes a share of the rows); several -> GEMM (weights decoded once per tile
// and reused across groups of tokens; threads split the token groups when
// there are enough, else the rows). Both give, for every (row, token), the
// bits of the set's vec_dot, so a prompt decoded in one batch or token by
// token gives the same logits. The scalar set runs vec_dot per (row, token).
void matmul(const Weight& W, const float* x, int64_t n_tok, float* y, std::vector<uint8_t>& act,
            const kernels::KernelSet& ks, int n_threads);

// Several products of the same x (attention's Q, K and V; the feed-forward's
// gate and up), each {W, y} as matmul(W, x, n_tok, y, ...) with the same bits,
// but x is quantized and prepared once and all run in one parallel region
// where their kernels share an activation layout (up to 8; a product whose
// layout differs from the first's runs on its own).
void matmul_shared(std::initializer_list<std::pair<const Weight*, float*>> products, const float* x,
                   int64_t n_tok, std::vector<uint8_t>& act, const kernels::KernelSet& ks, int n_threads);

// Bytes of `act` scratch that matmul needs for n_tok rows of n columns of W's type.
size_t matmul_scratch_bytes(TensorType weight_type, int64_t cols, int64_t n_tok);

}  // namespace glint
