// Vulkan internals: the loader (opened at run time, so a machine without one
// still runs on the CPU), instance and device, buffers, pipelines built from
// the embedded SPIR-V, descriptor sets and command recording.
#pragma once
#ifndef VK_NO_PROTOTYPES
#define VK_NO_PROTOTYPES
#endif
#include <vulkan/vulkan.h>

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "engine/vulkan/backend.h"
#include "kernels/types.h"

namespace glint::vk {

#define GLINT_VK_INSTANCE_FNS(X)                 \
    X(vkDestroyInstance)                         \
    X(vkEnumeratePhysicalDevices)                \
    X(vkGetPhysicalDeviceProperties)             \
    X(vkGetPhysicalDeviceFeatures2)              \
    X(vkGetPhysicalDeviceQueueFamilyProperties)  \
    X(vkGetPhysicalDeviceMemoryProperties)       \
    X(vkCreateDevice)                            \
    X(vkGetDeviceProcAddr)

#define GLINT_VK_DEVICE_FNS(X)       \
    X(vkDestroyDevice)               \
    X(vkGetDeviceQueue)              \
    X(vkCreateBuffer)                \
    X(vkDestroyBuffer)               \
    X(vkGetBufferMemoryRequirements) \
    X(vkAllocateMemory)              \
    X(vkFreeMemory)                  \
    X(vkBindBufferMemory)            \
    X(vkMapMemory)                   \
    X(vkUnmapMemory)                 \
    X(vkCreateCommandPool)           \
    X(vkDestroyCommandPool)          \
    X(vkAllocateCommandBuffers)      \
    X(vkFreeCommandBuffers)          \
    X(vkBeginCommandBuffer)          \
    X(vkEndCommandBuffer)            \
    X(vkCmdCopyBuffer)               \
    X(vkCmdBindPipeline)             \
    X(vkCmdBindDescriptorSets)       \
    X(vkCmdPushConstants)            \
    X(vkCmdDispatch)                 \
    X(vkCmdPipelineBarrier)          \
    X(vkCmdWriteTimestamp)           \
    X(vkCmdResetQueryPool)           \
    X(vkQueueSubmit)                 \
    X(vkDeviceWaitIdle)              \
    X(vkCreateFence)                 \
    X(vkDestroyFence)                \
    X(vkWaitForFences)               \
    X(vkResetFences)                 \
    X(vkCreateShaderModule)          \
    X(vkDestroyShaderModule)         \
    X(vkCreateDescriptorSetLayout)   \
    X(vkDestroyDescriptorSetLayout)  \
    X(vkCreatePipelineLayout)        \
    X(vkDestroyPipelineLayout)       \
    X(vkCreateComputePipelines)      \
    X(vkDestroyPipeline)             \
    X(vkCreateDescriptorPool)        \
    X(vkDestroyDescriptorPool)       \
    X(vkResetDescriptorPool)         \
    X(vkAllocateDescriptorSets)      \
    X(vkUpdateDescriptorSets)        \
    X(vkCreateQueryPool)             \
    X(vkDestroyQueryPool)            \
    X(vkGetQueryPoolResults)

// A zeroed Vulkan info struct with its sType set.
template <class T>
T vk_struct(VkStructureType type) {
    T t{};
    t.sType = type;
    return t;
}

// Throws glint::Error naming the call and the result when r is not VK_SUCCESS.
void check(VkResult r, const char* what);
const char* result_name(VkResult r);

// An instance with its entry points; optionally with the debug messenger
// that routes validation-layer messages to glint's log.
class Instance {
public:
    Instance();  // throws Unavailable when there is no loader or no instance
    ~Instance();
    Instance(const Instance&) = delete;
    Instance& operator=(const Instance&) = delete;

    VkInstance handle() const { return inst_; }
    std::vector<VkPhysicalDevice> physical_devices() const;
    // Messages of severity error the validation layers reported so far.
    int validation_errors() const { return validation_errors_.load(); }
    void count_validation_error() { ++validation_errors_; }

    PFN_vkGetInstanceProcAddr gipa = nullptr;
#define GLINT_VK_DECLARE(f) PFN_##f f = nullptr;
    GLINT_VK_INSTANCE_FNS(GLINT_VK_DECLARE)
#undef GLINT_VK_DECLARE

private:
    VkInstance inst_ = VK_NULL_HANDLE;
    VkDebugUtilsMessengerEXT messenger_ = VK_NULL_HANDLE;
    PFN_vkDestroyDebugUtilsMessengerEXT destroy_messenger_ = nullptr;
    std::atomic<int> validation_errors_{0};
};

enum class Mem { Device, Upload, Readback };

class Device;

struct Buffer {
    const Device* dev = nullptr;
    VkBuffer buf = VK_NULL_HANDLE;
    VkDeviceMemory mem = VK_NULL_HANDLE;
    VkDeviceSize size = 0;
    void* map = nullptr;  // host-visible buffers stay mapped
    Buffer() = default;
    Buffer(const Buffer&) = delete;
    Buffer& operator=(const Buffer&) = delete;
    ~Buffer();
};

// A buffer range bound to a shader (whole buffer by default).
struct BufRef {
    VkBuffer buf = VK_NULL_HANDLE;
    VkDeviceSize offset = 0;
    VkDeviceSize range = VK_WHOLE_SIZE;
    BufRef() = default;
    BufRef(const Buffer& b) : buf(b.buf), range(b.size) {}  // NOLINT: implicit on purpose
    bool operator<(const BufRef& o) const {
        return buf != o.buf ? buf < o.buf : offset != o.offset ? offset < o.offset : range < o.range;
    }
};

struct Pipeline {
    VkPipeline pipe = VK_NULL_HANDLE;
    VkPipelineLayout layout = VK_NULL_HANDLE;
    uint32_t n_bindings = 0;
};

constexpr uint32_t kPushBytes = 128;  // the minimum maxPushConstantsSize
constexpr uint32_t kMaxBindings = 6;

class Device {
public:
    // Picks GLINT_VK_DEVICE=<index> when set, else the preferred usable
    // device (discrete > integrated > virtual > CPU); shares the device of a
    // model still alive. Throws Unavailable (no loader, driver or usable
    // device) or Error (a GLINT_VK_DEVICE naming no usable device).
    static std::shared_ptr<Device> create();
    ~Device();
    Device(const Device&) = delete;
    Device& operator=(const Device&) = delete;

    const std::string& name() const { return name_; }
    VkDevice handle() const { return dev_; }
    const VkPhysicalDeviceLimits& limits() const { return props_.limits; }
    uint64_t max_storage_range() const { return props_.limits.maxStorageBufferRange; }
    bool has_timestamps() const { return timestamp_bits_ > 0; }
    float timestamp_period_ns() const { return props_.limits.timestampPeriod; }
    int validation_errors() const { return inst_->validation_errors(); }

    // A buffer of `size` bytes usable as storage and transfer source and
    // destination; `what` names it in errors. Storage buffers larger than
    // the device's binding limit are refused unless transfer_only.
    std::unique_ptr<Buffer> buffer(VkDeviceSize size, Mem kind, const std::string& what,
                                   bool transfer_only = false) const;
    // Copies host bytes into a device buffer through a staging buffer.
    void upload(const Buffer& dst, VkDeviceSize offset, const void* src, size_t n) const;
    // Records with `rec` into a fresh command buffer, submits and waits.
    void run_once(const std::function<void(VkCommandBuffer)>& rec) const;
    // Submits a recorded command buffer and waits for it (queue access is
    // serialised: several contexts may share the device).
    void submit_and_wait(VkCommandBuffer cb, VkFence fence) const;

    // The compute pipeline of a shader variant, built on first use.
    const Pipeline& pipeline(const std::string& shader, uint32_t n_bindings) const;
    VkDescriptorSetLayout set_layout(uint32_t n_bindings) const;
    uint32_t queue_family() const { return queue_family_; }

#define GLINT_VK_DECLARE(f) PFN_##f f = nullptr;
    GLINT_VK_DEVICE_FNS(GLINT_VK_DECLARE)
#undef GLINT_VK_DECLARE

private:
    Device() = default;
    static std::shared_ptr<Device> open();
    uint32_t memory_type(uint32_t bits, Mem kind) const;

    std::unique_ptr<Instance> inst_;
    VkPhysicalDevice phys_ = VK_NULL_HANDLE;
    VkPhysicalDeviceProperties props_{};
    VkPhysicalDeviceMemoryProperties mem_props_{};
    VkDevice dev_ = VK_NULL_HANDLE;
    VkQueue queue_ = VK_NULL_HANDLE;
    uint32_t queue_family_ = 0;
    uint32_t timestamp_bits_ = 0;
    std::string name_;

    mutable std::mutex queue_mu_;  // vkQueueSubmit needs external synchronisation
    mutable std::mutex once_mu_;    // the one-shot command pool and fence
    mutable std::mutex upload_mu_;  // the staging buffer
    VkCommandPool once_pool_ = VK_NULL_HANDLE;
    VkFence once_fence_ = VK_NULL_HANDLE;
    mutable std::unique_ptr<Buffer> staging_;

    mutable std::mutex pipe_mu_;
    mutable std::map<std::string, std::unique_ptr<Pipeline>> pipelines_;
    mutable VkDescriptorSetLayout set_layouts_[kMaxBindings + 1] = {};
    mutable VkPipelineLayout pipe_layouts_[kMaxBindings + 1] = {};
};

// Descriptor sets by bound buffers, allocated once and kept (command buffers
// recorded once are replayed with them). Not thread-safe: one per Runner.
class DescriptorCache {
public:
    explicit DescriptorCache(const Device& dev) : dev_(dev) {}
    ~DescriptorCache();
    DescriptorCache(const DescriptorCache&) = delete;
    DescriptorCache& operator=(const DescriptorCache&) = delete;
    VkDescriptorSet get(const std::vector<BufRef>& bufs);
    void clear();  // frees every set (no command buffer using them may run again)

private:
    const Device& dev_;
    std::vector<VkDescriptorPool> pools_;
    std::map<std::vector<BufRef>, VkDescriptorSet> sets_;
};

// Records dispatches into a command buffer.
class Recorder {
public:
    Recorder(const Device& dev, DescriptorCache& ds, VkCommandBuffer cb) : dev_(dev), ds_(ds), cb_(cb) {}
    // Binds `bufs` to bindings 0..n-1 of `shader` and dispatches gx*gy*gz groups.
    void dispatch(const std::string& shader, const std::vector<BufRef>& bufs, const void* push, uint32_t push_bytes,
                  uint32_t gx, uint32_t gy = 1, uint32_t gz = 1);
    // Makes earlier shader writes and transfers visible to later shaders and transfers.
    void barrier();
    // Makes earlier shader writes and transfers visible to the host (before readback).
    void host_barrier();
    void copy(VkBuffer src, VkDeviceSize src_off, VkBuffer dst, VkDeviceSize dst_off, VkDeviceSize n);
    VkCommandBuffer cb() const { return cb_; }
    const Device& device() const { return dev_; }

private:
    const Device& dev_;
    DescriptorCache& ds_;
    VkCommandBuffer cb_;
};

// Weight suffix of the shader variants ("q4_k"); throws Unsupported for
// types without GPU kernels.
std::string type_suffix(TensorType t);

}  // namespace glint::vk
