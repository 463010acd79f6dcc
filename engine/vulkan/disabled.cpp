// The backend in a build without Vulkan (GLINT_VULKAN=OFF, or AUTO without
// the headers, loader and glslang): offload requests get Unavailable, and
// the engine runs them on the CPU with a message.
#include "engine/vulkan/backend.h"

namespace glint::vk {

class ModelWeights {};

namespace {
const char* const kNoVulkan =
    "this build of glint has no Vulkan backend (configured with GLINT_VULKAN=OFF, or without the Vulkan "
    "headers and glslangValidator)";
}

bool compiled_in() { return false; }
DeviceList list_devices() { throw Unavailable(kNoVulkan); }
std::shared_ptr<ModelWeights> upload_model(const Model&, int32_t) { throw Unavailable(kNoVulkan); }
std::string device_name(const ModelWeights&) { return ""; }
std::unique_ptr<Runner> make_runner(const Model&, const RunnerParams&) { throw Unavailable(kNoVulkan); }

}  // namespace glint::vk
