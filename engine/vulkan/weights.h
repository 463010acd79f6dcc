// The device copy of a model's offloaded layers (and head), shared by every
// Context of the model.
#pragma once
#include <memory>
#include <vector>

#include "engine/vulkan/ops.h"

namespace glint::vk {

struct GpuLayer {
    GpuWeight attn_norm, wq, wk, wv, wo, bq, bk, bv, ffn_norm, w_gate, w_up, w_down;
};

class ModelWeights {
public:
    std::shared_ptr<Device> dev;
    int32_t first_layer = 0;       // layers [first_layer, n_layer) are here
    std::vector<GpuLayer> layers;  // layers[il - first_layer]
    bool head = false;             // embedding, output norm and output head are here too
    GpuWeight tok_embd, output_norm, output_own;
    const GpuWeight* output = nullptr;  // output_own, or tok_embd when tied
    uint64_t bytes = 0;
};

}  // namespace glint::vk
