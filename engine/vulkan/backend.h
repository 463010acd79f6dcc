// The engine's view of the Vulkan backend. Free of Vulkan headers, so the
// engine and the tools compile the same with and without it; a build without
// Vulkan gets engine/vulkan/disabled.cpp, whose entry points throw Unavailable.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "gguf/error.h"

namespace glint {
class Model;
class KvCache;
struct BatchToken;
enum class KvType;
}  // namespace glint

namespace glint::vk {

// No loader, no usable device, or a build without Vulkan: the caller may run
// on the CPU instead. Other errors (device out of memory...) are plain Errors.
class Unavailable : public Error {
public:
    explicit Unavailable(const std::string& msg) : Error(ErrorCode::Unsupported, msg) {}
};

bool compiled_in();  // false in a build without Vulkan

struct DeviceInfo {
    int32_t index = 0;  // GLINT_VK_DEVICE value that selects it
    std::string name;
    std::string type;   // "discrete GPU", "integrated GPU", "virtual GPU", "CPU", "other"
    std::string driver;
    std::string api_version;  // "1.3.230"
    uint64_t device_local_bytes = 0;
    bool usable = false;
    std::string why_unusable;  // empty when usable
};

struct DeviceList {
    std::vector<DeviceInfo> devices;
    int32_t selected = -1;  // the one offload would use (GLINT_VK_DEVICE or the preferred usable one)
    std::string selection_note;  // why `selected` is -1, or a GLINT_VK_DEVICE problem
};

// Enumerates Vulkan devices; throws Unavailable when there is no loader.
DeviceList list_devices();

// Layers' weights in device memory, shared read-only by every Context.
class ModelWeights;

// Uploads layers [first_layer, n_layer) and, when first_layer is 0, the
// embedding, output norm and output head. Throws Unavailable (no loader or
// device) or Error (device out of memory, unsupported tensor type...).
std::shared_ptr<ModelWeights> upload_model(const Model& model, int32_t first_layer);
std::string device_name(const ModelWeights& w);

struct RunnerParams {
    int32_t n_batch = 0;
    int32_t n_ctx = 0;
    int32_t n_seq_max = 1;
    int32_t kv_block_size = 16;
    int32_t n_kv_blocks = 0;  // blocks in the pool (as the host KvCache has)
    KvType kv_type{};  // F16
};

// One Context's GPU state: KV blocks of the GPU layers, activations, command
// buffers recorded once per batch shape.
class Runner {
public:
    virtual ~Runner() = default;
    // Runs the GPU layers over the batch; kv supplies the block tables (the
    // positions are already reserved). x is [n][n_embd]: the hidden state
    // entering the first GPU layer (ignored when the embedding is on the GPU)
    // and, when the head stays on the CPU, the state leaving the last layer.
    // With the head on the GPU, logits receives the rows that want logits.
    virtual void run(const BatchToken* toks, int32_t n, const KvCache& kv, float* x, float* logits) = 0;
    // Copies whole KV blocks (copy-on-write of shared blocks) in every GPU layer.
    virtual void copy_kv_blocks(const std::vector<std::pair<int32_t, int32_t>>& from_to) = 0;
};

std::unique_ptr<Runner> make_runner(const Model& model, const RunnerParams& params);

}  // namespace glint::vk
