#include "bench_util.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <cstring>
#include <random>
#include <sstream>

namespace glint::bench {

const Shape kTinyLlama[8] = {
    {"attn_q", 2048, 2048},    {"attn_k", 256, 2048}, {"attn_v", 256, 2048},   {"attn_o", 2048, 2048},
    {"ffn_gate", 5632, 2048}, {"ffn_up", 5632, 2048}, {"ffn_down", 2048, 5632}, {"output", 32000, 2048},
};

Matrix make_matrix(TensorType t, int64_t rows, int64_t cols, uint32_t seed) {
    Matrix m;
    const size_t rb = row_bytes(t, cols);
    m.data.resize(rb * size_t(rows));
    std::mt19937 rng(seed);
    std::normal_distribution<float> nd(0.0f, 0.02f);
    const int64_t uniq = std::min<int64_t>(rows, 64);
    std::vector<float> x(static_cast<size_t>(cols));
    for (int64_t r = 0; r < uniq; ++r) {
        for (auto& v : x) v = nd(rng);
        kernels::quantize_row_ref(t, x.data(), m.data.data() + size_t(r) * rb, cols);
    }
    for (int64_t r = uniq; r < rows; ++r)
        std::memcpy(m.data.data() + size_t(r) * rb, m.data.data() + size_t(r % uniq) * rb, rb);
    m.w.type = t;
    m.w.rows = rows;
    m.w.cols = cols;
    m.w.data = m.data.data();
    m.w.row_stride = rb;
    return m;
}

std::vector<float> make_activations(int64_t n_tok, int64_t cols, uint32_t seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> nd(0.0f, 1.0f);
    std::vector<float> x(size_t(n_tok * cols));
    for (auto& v : x) v = nd(rng);
    return x;
}

std::string lower(std::string s) {
    for (char& c : s) c = char(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

std::vector<const kernels::KernelSet*> bench_sets() {
    const auto all = kernels::kernel_set_variants();
    const char* env = std::getenv("GLINT_BENCH_ISA");
    std::vector<const kernels::KernelSet*> out;
    if (!env || !*env) {
        for (const kernels::KernelSet* ks : all)
            if (std::string(ks->isa).find("emulated") == std::string::npos) out.push_back(ks);
        return out;
    }
    std::stringstream ss(env);
    std::string name;
    while (std::getline(ss, name, ','))
        for (const kernels::KernelSet* ks : all)
            if (name == ks->isa) out.push_back(ks);
    return out;
}

}  // namespace glint::bench
