// Shared pieces of the kernel benchmarks: TinyLlama-1.1B shapes, random
// quantized weight matrices (built fast by tiling a few quantized rows), and
// activation rows.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "engine/model.h"
#include "kernels/quants.h"

namespace glint::bench {

struct Shape {
    const char* name;
    int64_t rows, cols;
};
// One layer of TinyLlama-1.1B (n_embd 2048, 4 KV heads of 64, n_ff 5632) and its output head.
extern const Shape kTinyLlama[8];

// rows x cols of type t, data owned by the returned object; rows are copies
// of 64 independently quantized N(0, 0.02) rows (memory traffic is what a
// real matrix causes; values are realistic).
struct Matrix {
    std::vector<uint8_t> data;
    Weight w;
};
Matrix make_matrix(TensorType t, int64_t rows, int64_t cols, uint32_t seed = 1);

// The first 64-byte aligned byte of v (v needs 63 bytes to spare), as the
// engine aligns its packed weight copies.
inline uint8_t* aligned64(std::vector<uint8_t>& v) {
    const auto a = reinterpret_cast<uintptr_t>(v.data());
    return v.data() + (64 - a % 64) % 64;
}

std::vector<float> make_activations(int64_t n_tok, int64_t cols, uint32_t seed = 7);

// Kernel sets to time: GLINT_BENCH_ISA (comma list) or every available variant
// but the test-only emulated one (which GLINT_BENCH_ISA can still name).
std::vector<const kernels::KernelSet*> bench_sets();

std::string lower(std::string s);

}  // namespace glint::bench
