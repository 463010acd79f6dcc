// GPU operations of the forward pass: each records its dispatches (one per
// weight chunk for matrix products) into a Recorder. The Runner records a
// whole step with them; the tests record one at a time.
#pragma once
#include <cstdint>
#include <memory>
#include <vector>

#include "engine/kv_cache.h"
#include "engine/model.h"
#include "engine/vulkan/vk.h"

namespace glint::vk {

// A weight in device memory, split into row chunks when one buffer would
// exceed the device's storage-buffer range.
struct GpuWeight {
    TensorType type = TensorType::F32;
    int64_t rows = 0, cols = 0;
    struct Chunk {
        std::unique_ptr<Buffer> buf;
        int64_t row0 = 0, rows = 0;
    };
    std::vector<Chunk> chunks;
    explicit operator bool() const { return !chunks.empty(); }
    BufRef whole() const;  // the buffer of a one-chunk weight (norms, biases)
};

// Uploads w from host memory (the mmap) through staging. max_chunk_bytes
// caps each chunk (0: the device's storage-buffer range).
GpuWeight upload_weight(const Device& dev, const Weight& w, uint64_t max_chunk_bytes = 0);

// (x, y) workgroup counts covering `groups` with x at most 65535.
void split_groups(uint64_t groups, uint32_t& gx, uint32_t& gy);

enum class MatKernel { Auto, Vec, Tiled };
// Token counts below this read the weights once per token (matvec); larger
// batches use the tiled product.
constexpr uint32_t kMatvecMaxTokens = 4;

// y[t][r] = sum_c W[r][c] x[t][c]; x is [n_tok][cols], y is [n_tok][rows].
void matmul(Recorder& rec, const GpuWeight& w, BufRef x, BufRef y, uint32_t n_tok, MatKernel k = MatKernel::Auto);
// y[i] = W[ids[i]] dequantized (embedding lookup), y is [n][cols].
void get_rows(Recorder& rec, const GpuWeight& w, BufRef ids, BufRef y, uint32_t n);
// y[i] = rms_norm(x[ids ? ids[i] : i]) * w, rows of n features.
void rms_norm(Recorder& rec, BufRef x, BufRef w, BufRef y, const BufRef* ids, uint32_t n_rows, uint32_t n, float eps);
// Rotates n_rot dims of n_heads heads per token (row_stride floats apart) in
// place, by the angles of rope_table at each token's position.
void rope(Recorder& rec, BufRef x, BufRef pos, BufRef table, uint32_t n_tok, uint32_t n_heads, uint32_t head_dim,
          uint32_t n_rot, uint32_t row_stride, RopeStyle style);
// gate = silu(gate) * up over n values.
void swiglu(Recorder& rec, BufRef gate, BufRef up, uint32_t n);
// y[i] += b[i % nb] over n values.
void add(Recorder& rec, BufRef y, BufRef b, uint32_t n, uint32_t nb);
// Stores n_tok rows of kv floats into cache rows rows[t], converted to the cache type.
void kv_store(Recorder& rec, KvType type, BufRef src, BufRef cache, BufRef rows, uint32_t n_tok, uint32_t kv);

struct AttnShape {
    uint32_t n_tok = 0, n_head = 0, n_head_kv = 0, head_dim = 0, block_size = 0;
    float scale = 1.0f;
};
constexpr uint32_t kMaxHeadDim = 256;  // attention.comp's HD_MAX
// out[t][h] = softmax(q[t][h] . K) V over the token's cached positions:
// info[t] = (offset of its sequence's block table in tables, positions).
void attention(Recorder& rec, KvType type, BufRef q, BufRef k, BufRef v, BufRef info, BufRef tables, BufRef out,
               const AttnShape& s);

// cos/sin pairs [n_pos][n_rot/2] computed exactly as ops::rope does.
std::vector<float> rope_table(int32_t n_pos, int32_t n_rot, float base, float freq_scale, const float* freq_factors);

std::string kv_suffix(KvType t);

}  // namespace glint::vk
