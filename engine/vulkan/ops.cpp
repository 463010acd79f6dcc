#include "engine/vulkan/ops.h"

#include <algorithm>
#include <cmath>

namespace glint::vk {

namespace {
uint32_t ceil_div(uint64_t a, uint64_t b) { return uint32_t((a + b - 1) / b); }

// Push-constant blocks, laid out as the shaders declare them.
struct MatPush {
    uint32_t rows, cols, n_tok, row0, y_stride;
};
struct RowsPush {
    uint32_t cols, n, row_lo, row_hi, y_stride;
};
struct NormPush {
    uint32_t n, n_rows, use_ids;
    float eps;
};
struct RopePush {
    uint32_t n_tok, n_heads, head_dim, n_rot, row_stride, neox;
};
struct AddPush {
    uint32_t n, nb;
};
struct KvPush {
    uint32_t kv, n_tok;
};
struct AttnPush {
    uint32_t n_head, group, hd, kv, q_stride, block_size;
    float scale;
};
}  // namespace

BufRef GpuWeight::whole() const {
    if (chunks.size() != 1) throw Error(ErrorCode::Internal, "vulkan: weight is split into several buffers");
    return *chunks[0].buf;
}

void split_groups(uint64_t groups, uint32_t& gx, uint32_t& gy) {
    gx = uint32_t(std::min<uint64_t>(std::max<uint64_t>(groups, 1), 65535));
    gy = ceil_div(groups, gx);
    if (gy > 65535) throw Error(ErrorCode::Unsupported, "vulkan: dispatch too large");
}

std::string kv_suffix(KvType t) {
    switch (t) {
        case KvType::F32: return "f32";
        case KvType::Q8_0: return "q8_0";
        case KvType::F16: break;
    }
    return "f16";
}

GpuWeight upload_weight(const Device& dev, const Weight& w, uint64_t max_chunk_bytes) {
    GpuWeight g;
    g.type = w.type;
    g.rows = w.rows;
    g.cols = w.cols;
    type_suffix(w.type);  // throws for types without GPU kernels
    const uint64_t cap = max_chunk_bytes ? max_chunk_bytes : dev.max_storage_range();
    const int64_t per_chunk = std::max<int64_t>(1, int64_t(cap / w.row_stride));
    if (uint64_t(w.row_stride) > cap)
        throw Error(ErrorCode::Unsupported, "vulkan: one row of " + std::string(w.name) + " exceeds the device's buffer range");
    for (int64_t r0 = 0; r0 < w.rows; r0 += per_chunk) {
        GpuWeight::Chunk c;
        c.row0 = r0;
        c.rows = std::min(per_chunk, w.rows - r0);
        const size_t bytes = size_t(c.rows) * w.row_stride;
        c.buf = dev.buffer(bytes, Mem::Device, "weight " + std::string(w.name));
        dev.upload(*c.buf, 0, w.row(r0), bytes);
        g.chunks.push_back(std::move(c));
    }
    return g;
}

void matmul(Recorder& rec, const GpuWeight& w, BufRef x, BufRef y, uint32_t n_tok, MatKernel k) {
    const bool vec = k == MatKernel::Vec || (k == MatKernel::Auto && n_tok < kMatvecMaxTokens);
    const std::string name = (vec ? "matvec_" : "matmul_") + type_suffix(w.type);
    for (const auto& c : w.chunks) {
        const MatPush p{uint32_t(c.rows), uint32_t(w.cols), n_tok, uint32_t(c.row0), uint32_t(w.rows)};
        if (vec) {
            uint32_t gx, gy;
            split_groups(ceil_div(uint64_t(c.rows), 4), gx, gy);  // matvec.comp: 4 rows per workgroup
            rec.dispatch(name, {*c.buf, x, y}, &p, sizeof p, gx, gy, n_tok);
        } else {
            rec.dispatch(name, {*c.buf, x, y}, &p, sizeof p, ceil_div(uint64_t(c.rows), 64), ceil_div(n_tok, 32));
        }
    }
}

void get_rows(Recorder& rec, const GpuWeight& w, BufRef ids, BufRef y, uint32_t n) {
    const std::string name = "get_rows_" + type_suffix(w.type);
    for (const auto& c : w.chunks) {
        const RowsPush p{uint32_t(w.cols), n, uint32_t(c.row0), uint32_t(c.row0 + c.rows), uint32_t(w.cols)};
        rec.dispatch(name, {*c.buf, ids, y}, &p, sizeof p, ceil_div(uint64_t(w.cols), 64), n);
    }
}

void rms_norm(Recorder& rec, BufRef x, BufRef w, BufRef y, const BufRef* ids, uint32_t n_rows, uint32_t n,
              float eps) {
    const NormPush p{n, n_rows, ids ? 1u : 0u, eps};
    uint32_t gx, gy;
    split_groups(n_rows, gx, gy);
    rec.dispatch("rms_norm", {x, w, y, ids ? *ids : x}, &p, sizeof p, gx, gy);
}

void rope(Recorder& rec, BufRef x, BufRef pos, BufRef table, uint32_t n_tok, uint32_t n_heads, uint32_t head_dim,
          uint32_t n_rot, uint32_t row_stride, RopeStyle style) {
    const RopePush p{n_tok, n_heads, head_dim, n_rot, row_stride, style == RopeStyle::NeoX ? 1u : 0u};
    rec.dispatch("rope", {x, pos, table}, &p, sizeof p, ceil_div(uint64_t(n_heads) * (n_rot / 2), 64), n_tok);
}

void swiglu(Recorder& rec, BufRef gate, BufRef up, uint32_t n) {
    uint32_t gx, gy;
    split_groups(ceil_div(n, 256), gx, gy);
    rec.dispatch("swiglu", {gate, up}, &n, sizeof n, gx, gy);
}

void add(Recorder& rec, BufRef y, BufRef b, uint32_t n, uint32_t nb) {
    const AddPush p{n, nb};
    uint32_t gx, gy;
    split_groups(ceil_div(n, 256), gx, gy);
    rec.dispatch("add", {y, b}, &p, sizeof p, gx, gy);
}

void kv_store(Recorder& rec, KvType type, BufRef src, BufRef cache, BufRef rows, uint32_t n_tok, uint32_t kv) {
    const KvPush p{kv, n_tok};
    const uint32_t items = type == KvType::Q8_0 ? kv / 32 : kv;
    rec.dispatch("kv_store_" + kv_suffix(type), {src, cache, rows}, &p, sizeof p, ceil_div(items, 64), n_tok);
}

void attention(Recorder& rec, KvType type, BufRef q, BufRef k, BufRef v, BufRef info, BufRef tables, BufRef out,
               const AttnShape& s) {
    if (s.head_dim > kMaxHeadDim)
        throw Error(ErrorCode::Unsupported, "vulkan: head size " + std::to_string(s.head_dim) + " is over the GPU kernel's " +
                                                std::to_string(kMaxHeadDim));
    const AttnPush p{s.n_head, s.n_head / s.n_head_kv, s.head_dim, s.n_head_kv * s.head_dim, s.n_head * s.head_dim,
                     s.block_size, s.scale};
    rec.dispatch("attention_" + kv_suffix(type), {q, k, v, info, tables, out}, &p, sizeof p, s.n_head, s.n_tok);
}

std::vector<float> rope_table(int32_t n_pos, int32_t n_rot, float base, float freq_scale, const float* freq_factors) {
    const int32_t half = n_rot / 2;
    std::vector<float> t(size_t(n_pos) * size_t(half) * 2);
    const float theta_scale = std::pow(base, -2.0f / float(n_rot));
    for (int32_t pos = 0; pos < n_pos; ++pos) {
        float theta = float(pos) * freq_scale;
        for (int32_t i = 0; i < half; ++i) {
            const float a = freq_factors ? theta / freq_factors[i] : theta;
            t[(size_t(pos) * size_t(half) + size_t(i)) * 2] = std::cos(a);
            t[(size_t(pos) * size_t(half) + size_t(i)) * 2 + 1] = std::sin(a);
            theta *= theta_scale;
        }
    }
    return t;
}

}  // namespace glint::vk
