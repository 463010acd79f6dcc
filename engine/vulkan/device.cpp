#include <dlfcn.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "engine/vulkan/shaders.h"
#include "engine/vulkan/vk.h"
#include "kernels/log.h"

namespace glint::vk {

const char* result_name(VkResult r) {
    switch (r) {
        case VK_SUCCESS: return "VK_SUCCESS";
        case VK_NOT_READY: return "VK_NOT_READY";
        case VK_TIMEOUT: return "VK_TIMEOUT";
        case VK_INCOMPLETE: return "VK_INCOMPLETE";
        case VK_ERROR_OUT_OF_HOST_MEMORY: return "VK_ERROR_OUT_OF_HOST_MEMORY";
        case VK_ERROR_OUT_OF_DEVICE_MEMORY: return "VK_ERROR_OUT_OF_DEVICE_MEMORY";
        case VK_ERROR_INITIALIZATION_FAILED: return "VK_ERROR_INITIALIZATION_FAILED";
        case VK_ERROR_DEVICE_LOST: return "VK_ERROR_DEVICE_LOST";
        case VK_ERROR_MEMORY_MAP_FAILED: return "VK_ERROR_MEMORY_MAP_FAILED";
        case VK_ERROR_LAYER_NOT_PRESENT: return "VK_ERROR_LAYER_NOT_PRESENT";
        case VK_ERROR_EXTENSION_NOT_PRESENT: return "VK_ERROR_EXTENSION_NOT_PRESENT";
        case VK_ERROR_FEATURE_NOT_PRESENT: return "VK_ERROR_FEATURE_NOT_PRESENT";
        case VK_ERROR_INCOMPATIBLE_DRIVER: return "VK_ERROR_INCOMPATIBLE_DRIVER";
        case VK_ERROR_TOO_MANY_OBJECTS: return "VK_ERROR_TOO_MANY_OBJECTS";
        case VK_ERROR_OUT_OF_POOL_MEMORY: return "VK_ERROR_OUT_OF_POOL_MEMORY";
        case VK_ERROR_FRAGMENTED_POOL: return "VK_ERROR_FRAGMENTED_POOL";
        default: return "VkResult error";
    }
}

void check(VkResult r, const char* what) {
    if (r == VK_SUCCESS) return;
    const ErrorCode code = (r == VK_ERROR_OUT_OF_DEVICE_MEMORY || r == VK_ERROR_OUT_OF_HOST_MEMORY)
                               ? ErrorCode::OutOfMemory
                               : ErrorCode::Internal;
    throw Error(code, std::string("vulkan: ") + what + " failed (" + result_name(r) + ")");
}

std::string type_suffix(TensorType t) {
    switch (t) {
        case TensorType::F32: return "f32";
        case TensorType::F16: return "f16";
        case TensorType::BF16: return "bf16";
        case TensorType::Q4_0: return "q4_0";
        case TensorType::Q8_0: return "q8_0";
        case TensorType::Q4_K: return "q4_k";
        case TensorType::Q5_K: return "q5_k";
        case TensorType::Q6_K: return "q6_k";
        default: break;
    }
    throw Error(ErrorCode::Unsupported, "vulkan: no GPU kernels for tensor type " + std::string(type_name(t)));
}

bool compiled_in() { return true; }

namespace {

std::string mib(uint64_t bytes) { return std::to_string((bytes + (1u << 20) - 1) >> 20) + " MiB"; }

// The loader is opened once and kept for the process: drivers register
// exit-time work that must not outlive their code.
PFN_vkGetInstanceProcAddr loader_entry() {
    static void* lib = [] {
        for (const char* name : {"libvulkan.so.1", "libvulkan.so", "libvulkan.1.dylib", "libMoltenVK.dylib"})
            if (void* h = dlopen(name, RTLD_NOW | RTLD_LOCAL)) return h;
        return static_cast<void*>(nullptr);
    }();
    if (!lib) throw Unavailable("no Vulkan loader (libvulkan.so.1) on this system");
    auto f = reinterpret_cast<PFN_vkGetInstanceProcAddr>(dlsym(lib, "vkGetInstanceProcAddr"));
    if (!f) throw Unavailable("the Vulkan loader has no vkGetInstanceProcAddr");
    return f;
}

// Validation-layer findings become log errors (counted) and warnings; the
// loader's own chatter (missing drivers...) is debug detail, since the
// failure it explains is reported with the Unavailable message.
VKAPI_ATTR VkBool32 VKAPI_CALL on_debug_message(VkDebugUtilsMessageSeverityFlagBitsEXT severity,
                                                VkDebugUtilsMessageTypeFlagsEXT type,
                                                const VkDebugUtilsMessengerCallbackDataEXT* data, void* user) {
    const std::string msg = std::string("vulkan: ") + (data && data->pMessage ? data->pMessage : "(no message)");
    if (!(type & VK_DEBUG_UTILS_MESSAGE_TYPE_VALIDATION_BIT_EXT)) {
        log(LogLevel::Debug, msg);
    } else if (severity & VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT) {
        static_cast<Instance*>(user)->count_validation_error();
        log(LogLevel::Error, msg);
    } else {
        log(LogLevel::Warn, msg);
    }
    return VK_FALSE;
}

bool env_flag(const char* name) {
    const char* v = std::getenv(name);
    return v && *v && std::strcmp(v, "0") != 0;
}

}  // namespace

Instance::Instance() {
    gipa = loader_entry();
    auto enum_ext = reinterpret_cast<PFN_vkEnumerateInstanceExtensionProperties>(
        gipa(VK_NULL_HANDLE, "vkEnumerateInstanceExtensionProperties"));
    auto enum_layers = reinterpret_cast<PFN_vkEnumerateInstanceLayerProperties>(
        gipa(VK_NULL_HANDLE, "vkEnumerateInstanceLayerProperties"));
    auto create = reinterpret_cast<PFN_vkCreateInstance>(gipa(VK_NULL_HANDLE, "vkCreateInstance"));
    auto version = reinterpret_cast<PFN_vkEnumerateInstanceVersion>(gipa(VK_NULL_HANDLE, "vkEnumerateInstanceVersion"));
    if (!enum_ext || !enum_layers || !create) throw Unavailable("the Vulkan loader is missing core entry points");
    uint32_t api = VK_API_VERSION_1_0;
    if (version) version(&api);
    if (api < VK_API_VERSION_1_2)
        throw Unavailable("the Vulkan loader supports only Vulkan " + std::to_string(VK_API_VERSION_MAJOR(api)) + "." +
                          std::to_string(VK_API_VERSION_MINOR(api)) + "; glint needs 1.2");

    uint32_t n = 0;
    enum_ext(nullptr, &n, nullptr);
    std::vector<VkExtensionProperties> exts(n);
    enum_ext(nullptr, &n, exts.data());
    auto has_ext = [&](const char* e) {
        return std::any_of(exts.begin(), exts.end(), [&](const auto& x) { return std::strcmp(x.extensionName, e) == 0; });
    };
    std::vector<const char*> want_ext;
    const bool debug = has_ext(VK_EXT_DEBUG_UTILS_EXTENSION_NAME);
    if (debug) want_ext.push_back(VK_EXT_DEBUG_UTILS_EXTENSION_NAME);
    VkInstanceCreateFlags flags = 0;
    if (has_ext(VK_KHR_PORTABILITY_ENUMERATION_EXTENSION_NAME)) {  // MoltenVK lists devices only with it
        want_ext.push_back(VK_KHR_PORTABILITY_ENUMERATION_EXTENSION_NAME);
        flags |= VK_INSTANCE_CREATE_ENUMERATE_PORTABILITY_BIT_KHR;
    }
    std::vector<const char*> want_layers;
    if (env_flag("GLINT_VK_VALIDATE")) {
        enum_layers(&n, nullptr);
        std::vector<VkLayerProperties> layers(n);
        enum_layers(&n, layers.data());
        for (const auto& l : layers)
            if (std::strcmp(l.layerName, "VK_LAYER_KHRONOS_validation") == 0) want_layers.push_back("VK_LAYER_KHRONOS_validation");
        if (want_layers.empty()) log(LogLevel::Warn, "vulkan: GLINT_VK_VALIDATE set but VK_LAYER_KHRONOS_validation is not installed");
    }

    auto app = vk_struct<VkApplicationInfo>(VK_STRUCTURE_TYPE_APPLICATION_INFO);
    app.pApplicationName = "glint";
    app.pEngineName = "glint";
    app.apiVersion = VK_API_VERSION_1_2;
    auto dbg = vk_struct<VkDebugUtilsMessengerCreateInfoEXT>(VK_STRUCTURE_TYPE_DEBUG_UTILS_MESSENGER_CREATE_INFO_EXT);
    dbg.messageSeverity = VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT | VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT;
    dbg.messageType = VK_DEBUG_UTILS_MESSAGE_TYPE_GENERAL_BIT_EXT | VK_DEBUG_UTILS_MESSAGE_TYPE_VALIDATION_BIT_EXT;
    dbg.pfnUserCallback = on_debug_message;
    dbg.pUserData = this;
    auto ci = vk_struct<VkInstanceCreateInfo>(VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO);
    ci.pNext = debug ? &dbg : nullptr;  // also reports problems of instance creation itself
    ci.flags = flags;
    ci.pApplicationInfo = &app;
    ci.enabledExtensionCount = uint32_t(want_ext.size());
    ci.ppEnabledExtensionNames = want_ext.data();
    ci.enabledLayerCount = uint32_t(want_layers.size());
    ci.ppEnabledLayerNames = want_layers.data();
    const VkResult r = create(&ci, nullptr, &inst_);
    if (r == VK_ERROR_INCOMPATIBLE_DRIVER)
        throw Unavailable("no Vulkan driver found (VK_ERROR_INCOMPATIBLE_DRIVER); install the GPU's Vulkan driver");
    if (r != VK_SUCCESS) throw Unavailable(std::string("cannot create a Vulkan instance (") + result_name(r) + ")");

#define GLINT_VK_LOAD(f) f = reinterpret_cast<PFN_##f>(gipa(inst_, #f));
    GLINT_VK_INSTANCE_FNS(GLINT_VK_LOAD)
#undef GLINT_VK_LOAD
    if (!vkDestroyInstance || !vkEnumeratePhysicalDevices || !vkCreateDevice || !vkGetDeviceProcAddr ||
        !vkGetPhysicalDeviceFeatures2) {
        if (vkDestroyInstance) vkDestroyInstance(inst_, nullptr);
        throw Unavailable("the Vulkan instance is missing core entry points");
    }
    if (debug) {
        auto make = reinterpret_cast<PFN_vkCreateDebugUtilsMessengerEXT>(gipa(inst_, "vkCreateDebugUtilsMessengerEXT"));
        destroy_messenger_ =
            reinterpret_cast<PFN_vkDestroyDebugUtilsMessengerEXT>(gipa(inst_, "vkDestroyDebugUtilsMessengerEXT"));
        if (make && destroy_messenger_ && make(inst_, &dbg, nullptr, &messenger_) != VK_SUCCESS)
            messenger_ = VK_NULL_HANDLE;
    }
}

Instance::~Instance() {
    if (messenger_ != VK_NULL_HANDLE) destroy_messenger_(inst_, messenger_, nullptr);
    vkDestroyInstance(inst_, nullptr);
}

std::vector<VkPhysicalDevice> Instance::physical_devices() const {
    uint32_t n = 0;
    check(vkEnumeratePhysicalDevices(inst_, &n, nullptr), "vkEnumeratePhysicalDevices");
    std::vector<VkPhysicalDevice> v(n);
    check(vkEnumeratePhysicalDevices(inst_, &n, v.data()), "vkEnumeratePhysicalDevices");
    v.resize(n);
    return v;
}

namespace {

struct Candidate {
    VkPhysicalDevice pd = VK_NULL_HANDLE;
    DeviceInfo info;
    VkPhysicalDeviceProperties props{};
    uint32_t queue_family = 0;
    uint32_t timestamp_bits = 0;
    int rank = 9;  // lower is preferred
};

Candidate evaluate(const Instance& inst, VkPhysicalDevice pd, int32_t index) {
    Candidate c;
    c.pd = pd;
    inst.vkGetPhysicalDeviceProperties(pd, &c.props);
    DeviceInfo& d = c.info;
    d.index = index;
    d.name = c.props.deviceName;
    switch (c.props.deviceType) {
        case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU: d.type = "discrete GPU"; c.rank = 0; break;
        case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU: d.type = "integrated GPU"; c.rank = 1; break;
        case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU: d.type = "virtual GPU"; c.rank = 2; break;
        case VK_PHYSICAL_DEVICE_TYPE_CPU: d.type = "CPU"; c.rank = 3; break;
        default: d.type = "other"; c.rank = 4; break;
    }
    const uint32_t v = c.props.apiVersion;
    d.api_version = std::to_string(VK_API_VERSION_MAJOR(v)) + "." + std::to_string(VK_API_VERSION_MINOR(v)) + "." +
                    std::to_string(VK_API_VERSION_PATCH(v));
    d.driver = "driver " + std::to_string(c.props.driverVersion);
    VkPhysicalDeviceMemoryProperties mp{};
    inst.vkGetPhysicalDeviceMemoryProperties(pd, &mp);
    for (uint32_t h = 0; h < mp.memoryHeapCount; ++h)
        if (mp.memoryHeaps[h].flags & VK_MEMORY_HEAP_DEVICE_LOCAL_BIT) d.device_local_bytes += mp.memoryHeaps[h].size;

    auto unusable = [&](const std::string& why) {
        d.usable = false;
        d.why_unusable = why;
        return c;
    };
    if (v < VK_API_VERSION_1_2) return unusable("supports Vulkan " + d.api_version + ", glint needs 1.2");
    auto f12 = vk_struct<VkPhysicalDeviceVulkan12Features>(VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_2_FEATURES);
    auto f11 = vk_struct<VkPhysicalDeviceVulkan11Features>(VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_1_FEATURES);
    f11.pNext = &f12;
    auto f = vk_struct<VkPhysicalDeviceFeatures2>(VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2);
    f.pNext = &f11;
    inst.vkGetPhysicalDeviceFeatures2(pd, &f);
    if (!f11.storageBuffer16BitAccess || !f12.storageBuffer8BitAccess)
        return unusable("lacks 8- and 16-bit storage buffer access");
    if (c.props.limits.maxComputeWorkGroupInvocations < 256 || c.props.limits.maxComputeSharedMemorySize < 16384)
        return unusable("compute workgroups too small (needs 256 invocations, 16 KiB shared memory)");
    uint32_t nq = 0;
    inst.vkGetPhysicalDeviceQueueFamilyProperties(pd, &nq, nullptr);
    std::vector<VkQueueFamilyProperties> qf(nq);
    inst.vkGetPhysicalDeviceQueueFamilyProperties(pd, &nq, qf.data());
    bool found = false;
    for (uint32_t i = 0; i < nq; ++i) {
        if (!(qf[i].queueFlags & VK_QUEUE_COMPUTE_BIT) || qf[i].queueCount == 0) continue;
        // the first compute family, or a later one that has timestamps when it lacks them
        if (!found || (c.timestamp_bits == 0 && qf[i].timestampValidBits > 0)) {
            c.queue_family = i;
            c.timestamp_bits = qf[i].timestampValidBits;
            found = true;
        }
    }
    if (!found) return unusable("has no compute queue");
    d.usable = true;
    return c;
}

// All devices and the index offload uses; problems with GLINT_VK_DEVICE are
// reported in `note` (and leave selected at -1).
std::vector<Candidate> candidates(const Instance& inst, int32_t& selected, std::string& note) {
    std::vector<Candidate> all;
    const auto pds = inst.physical_devices();
    for (size_t i = 0; i < pds.size(); ++i) all.push_back(evaluate(inst, pds[i], int32_t(i)));
    selected = -1;
    if (const char* env = std::getenv("GLINT_VK_DEVICE"); env && *env) {
        char* end = nullptr;
        const long idx = std::strtol(env, &end, 10);
        if (*end != '\0' || idx < 0 || idx >= long(all.size())) {
            note = std::string("GLINT_VK_DEVICE=") + env + " does not name a device (there " +
                   (all.size() == 1 ? "is 1 Vulkan device" : "are " + std::to_string(all.size()) + " Vulkan devices") +
                   "; `glint devices` lists them)";
            return all;
        }
        if (!all[size_t(idx)].info.usable) {
            note = "GLINT_VK_DEVICE=" + std::to_string(idx) + " (" + all[size_t(idx)].info.name +
                   ") cannot run glint: " + all[size_t(idx)].info.why_unusable;
            return all;
        }
        selected = int32_t(idx);
        return all;
    }
    for (const Candidate& c : all)
        if (c.info.usable && (selected < 0 || c.rank < all[size_t(selected)].rank)) selected = c.info.index;
    if (selected < 0) note = all.empty() ? "no Vulkan device found" : "no Vulkan device can run glint";
    return all;
}

}  // namespace

DeviceList list_devices() {
    Instance inst;
    DeviceList out;
    for (const Candidate& c : candidates(inst, out.selected, out.selection_note)) out.devices.push_back(c.info);
    return out;
}

std::shared_ptr<Device> Device::create() {
    // Models loaded while another is alive share its device (and compiled
    // pipelines), unless the environment choosing the device or layers changed.
    static std::mutex mu;
    static std::weak_ptr<Device> last;
    static std::string last_key;
    std::string key;
    for (const char* var : {"GLINT_VK_DEVICE", "GLINT_VK_VALIDATE", "VK_INSTANCE_LAYERS", "VK_ICD_FILENAMES",
                            "VK_DRIVER_FILES"}) {
        const char* v = std::getenv(var);
        key += std::string(v ? v : "") + '\n';
    }
    std::lock_guard<std::mutex> lock(mu);
    if (auto d = last.lock(); d && key == last_key) return d;
    std::shared_ptr<Device> d = open();
    last = d;
    last_key = key;
    return d;
}

std::shared_ptr<Device> Device::open() {
    std::shared_ptr<Device> d(new Device());
    d->inst_ = std::make_unique<Instance>();
    const Instance& inst = *d->inst_;
    int32_t sel = -1;
    std::string note;
    const std::vector<Candidate> all = candidates(inst, sel, note);
    if (sel < 0) {
        if (std::getenv("GLINT_VK_DEVICE") && *std::getenv("GLINT_VK_DEVICE"))
            throw Error(ErrorCode::InvalidArgument, note);
        std::string why = note;
        for (const Candidate& c : all) why += "; " + c.info.name + ": " + c.info.why_unusable;
        throw Unavailable(why);
    }
    const Candidate& c = all[size_t(sel)];
    d->phys_ = c.pd;
    d->props_ = c.props;
    d->name_ = c.info.name;
    d->queue_family_ = c.queue_family;
    d->timestamp_bits_ = c.timestamp_bits;
    inst.vkGetPhysicalDeviceMemoryProperties(c.pd, &d->mem_props_);

    const float prio = 1.0f;
    auto qci = vk_struct<VkDeviceQueueCreateInfo>(VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO);
    qci.queueFamilyIndex = c.queue_family;
    qci.queueCount = 1;
    qci.pQueuePriorities = &prio;
    auto f12 = vk_struct<VkPhysicalDeviceVulkan12Features>(VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_2_FEATURES);
    f12.storageBuffer8BitAccess = VK_TRUE;
    auto f11 = vk_struct<VkPhysicalDeviceVulkan11Features>(VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_1_FEATURES);
    f11.storageBuffer16BitAccess = VK_TRUE;
    f11.pNext = &f12;
    auto dci = vk_struct<VkDeviceCreateInfo>(VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO);
    dci.pNext = &f11;
    dci.queueCreateInfoCount = 1;
    dci.pQueueCreateInfos = &qci;
    const VkResult r = inst.vkCreateDevice(c.pd, &dci, nullptr, &d->dev_);
    if (r != VK_SUCCESS)
        throw Unavailable("cannot create a Vulkan device on " + d->name_ + " (" + result_name(r) + ")");
#define GLINT_VK_LOAD(f)                                                                  \
    d->f = reinterpret_cast<PFN_##f>(inst.vkGetDeviceProcAddr(d->dev_, #f));              \
    if (!d->f) throw Error(ErrorCode::Internal, "vulkan: the device has no entry point " #f);
    GLINT_VK_DEVICE_FNS(GLINT_VK_LOAD)
#undef GLINT_VK_LOAD
    d->vkGetDeviceQueue(d->dev_, c.queue_family, 0, &d->queue_);

    auto pci = vk_struct<VkCommandPoolCreateInfo>(VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO);
    pci.flags = VK_COMMAND_POOL_CREATE_TRANSIENT_BIT;
    pci.queueFamilyIndex = c.queue_family;
    check(d->vkCreateCommandPool(d->dev_, &pci, nullptr, &d->once_pool_), "vkCreateCommandPool");
    auto fci = vk_struct<VkFenceCreateInfo>(VK_STRUCTURE_TYPE_FENCE_CREATE_INFO);
    check(d->vkCreateFence(d->dev_, &fci, nullptr, &d->once_fence_), "vkCreateFence");
    return d;
}

Device::~Device() {
    if (dev_ != VK_NULL_HANDLE) {
        vkDeviceWaitIdle(dev_);
        staging_.reset();
        for (auto& [name, p] : pipelines_) vkDestroyPipeline(dev_, p->pipe, nullptr);
        for (uint32_t i = 0; i <= kMaxBindings; ++i) {
            if (pipe_layouts_[i]) vkDestroyPipelineLayout(dev_, pipe_layouts_[i], nullptr);
            if (set_layouts_[i]) vkDestroyDescriptorSetLayout(dev_, set_layouts_[i], nullptr);
        }
        if (once_fence_) vkDestroyFence(dev_, once_fence_, nullptr);
        if (once_pool_) vkDestroyCommandPool(dev_, once_pool_, nullptr);
        vkDestroyDevice(dev_, nullptr);
    }
}

uint32_t Device::memory_type(uint32_t bits, Mem kind) const {
    const VkMemoryPropertyFlags need = kind == Mem::Device
                                           ? 0
                                           : VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
    const VkMemoryPropertyFlags prefer = kind == Mem::Device     ? VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT
                                         : kind == Mem::Readback ? VK_MEMORY_PROPERTY_HOST_CACHED_BIT
                                                                 : 0;
    int best = -1;
    for (uint32_t i = 0; i < mem_props_.memoryTypeCount; ++i) {
        const VkMemoryPropertyFlags f = mem_props_.memoryTypes[i].propertyFlags;
        if (!(bits & (1u << i)) || (f & need) != need) continue;
        if (best < 0 || ((f & prefer) == prefer && (mem_props_.memoryTypes[best].propertyFlags & prefer) != prefer))
            best = int(i);
    }
    if (best < 0) throw Error(ErrorCode::Unsupported, "vulkan: " + name_ + " has no suitable memory type");
    return uint32_t(best);
}

Buffer::~Buffer() {
    if (!dev) return;
    if (map) dev->vkUnmapMemory(dev->handle(), mem);
    if (buf) dev->vkDestroyBuffer(dev->handle(), buf, nullptr);
    if (mem) dev->vkFreeMemory(dev->handle(), mem, nullptr);
}

std::unique_ptr<Buffer> Device::buffer(VkDeviceSize size, Mem kind, const std::string& what, bool transfer_only) const {
    size = std::max<VkDeviceSize>(size, 16);
    if (!transfer_only && size > max_storage_range())
        throw Error(ErrorCode::Unsupported, "vulkan: " + what + " needs " + mib(size) +
                                                " in one buffer, more than " + name_ + "'s limit of " +
                                                mib(max_storage_range()) + " (use a smaller context or batch)");
    auto b = std::make_unique<Buffer>();
    b->dev = this;
    b->size = size;
    auto bci = vk_struct<VkBufferCreateInfo>(VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO);
    bci.size = size;
    bci.usage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT | VK_BUFFER_USAGE_TRANSFER_SRC_BIT | VK_BUFFER_USAGE_TRANSFER_DST_BIT;
    bci.sharingMode = VK_SHARING_MODE_EXCLUSIVE;
    check(vkCreateBuffer(dev_, &bci, nullptr, &b->buf), "vkCreateBuffer");
    VkMemoryRequirements req{};
    vkGetBufferMemoryRequirements(dev_, b->buf, &req);
    auto ai = vk_struct<VkMemoryAllocateInfo>(VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO);
    ai.allocationSize = req.size;
    ai.memoryTypeIndex = memory_type(req.memoryTypeBits, kind);
    const VkResult r = vkAllocateMemory(dev_, &ai, nullptr, &b->mem);
    if (r != VK_SUCCESS)
        throw Error(ErrorCode::OutOfMemory, "vulkan: cannot allocate " + mib(req.size) + " on " + name_ + " for " +
                                                what + " (" + result_name(r) + ")");
    check(vkBindBufferMemory(dev_, b->buf, b->mem, 0), "vkBindBufferMemory");
    if (kind != Mem::Device) check(vkMapMemory(dev_, b->mem, 0, VK_WHOLE_SIZE, 0, &b->map), "vkMapMemory");
    return b;
}

void Device::submit_and_wait(VkCommandBuffer cb, VkFence fence) const {
    auto si = vk_struct<VkSubmitInfo>(VK_STRUCTURE_TYPE_SUBMIT_INFO);
    si.commandBufferCount = 1;
    si.pCommandBuffers = &cb;
    {
        std::lock_guard<std::mutex> lock(queue_mu_);
        check(vkResetFences(dev_, 1, &fence), "vkResetFences");
        check(vkQueueSubmit(queue_, 1, &si, fence), "vkQueueSubmit");
    }
    check(vkWaitForFences(dev_, 1, &fence, VK_TRUE, UINT64_MAX), "vkWaitForFences");
}

void Device::run_once(const std::function<void(VkCommandBuffer)>& rec) const {
    std::lock_guard<std::mutex> lock(once_mu_);
    auto ai = vk_struct<VkCommandBufferAllocateInfo>(VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO);
    ai.commandPool = once_pool_;
    ai.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY;
    ai.commandBufferCount = 1;
    VkCommandBuffer cb = VK_NULL_HANDLE;
    check(vkAllocateCommandBuffers(dev_, &ai, &cb), "vkAllocateCommandBuffers");
    struct Free {
        const Device* d;
        VkCommandBuffer cb;
        ~Free() { d->vkFreeCommandBuffers(d->dev_, d->once_pool_, 1, &cb); }
    } guard{this, cb};
    auto bi = vk_struct<VkCommandBufferBeginInfo>(VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO);
    bi.flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT;
    check(vkBeginCommandBuffer(cb, &bi), "vkBeginCommandBuffer");
    rec(cb);
    check(vkEndCommandBuffer(cb), "vkEndCommandBuffer");
    submit_and_wait(cb, once_fence_);
}

void Device::upload(const Buffer& dst, VkDeviceSize offset, const void* src, size_t n) const {
    constexpr size_t kStaging = size_t(64) << 20;
    std::lock_guard<std::mutex> lock(upload_mu_);  // one user of the staging buffer at a time
    const uint8_t* p = static_cast<const uint8_t*>(src);
    while (n > 0) {
        const size_t step = std::min(n, kStaging);
        if (!staging_ || staging_->size < step)
            staging_ = buffer(std::max<size_t>(step, staging_ ? staging_->size : 0), Mem::Upload, "staging", true);
        const Buffer* stage = staging_.get();
        std::memcpy(stage->map, p, step);
        VkBufferCopy region{0, offset, step};
        run_once([&](VkCommandBuffer cb) { vkCmdCopyBuffer(cb, stage->buf, dst.buf, 1, &region); });
        p += step;
        offset += step;
        n -= step;
    }
}

VkDescriptorSetLayout Device::set_layout(uint32_t n) const {
    std::lock_guard<std::mutex> lock(pipe_mu_);
    if (!set_layouts_[n]) {
        VkDescriptorSetLayoutBinding b[kMaxBindings]{};
        for (uint32_t i = 0; i < n; ++i) {
            b[i].binding = i;
            b[i].descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER;
            b[i].descriptorCount = 1;
            b[i].stageFlags = VK_SHADER_STAGE_COMPUTE_BIT;
        }
        auto ci = vk_struct<VkDescriptorSetLayoutCreateInfo>(VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO);
        ci.bindingCount = n;
        ci.pBindings = b;
        check(vkCreateDescriptorSetLayout(dev_, &ci, nullptr, &set_layouts_[n]), "vkCreateDescriptorSetLayout");
        VkPushConstantRange pr{VK_SHADER_STAGE_COMPUTE_BIT, 0, kPushBytes};
        auto li = vk_struct<VkPipelineLayoutCreateInfo>(VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO);
        li.setLayoutCount = 1;
        li.pSetLayouts = &set_layouts_[n];
        li.pushConstantRangeCount = 1;
        li.pPushConstantRanges = &pr;
        check(vkCreatePipelineLayout(dev_, &li, nullptr, &pipe_layouts_[n]), "vkCreatePipelineLayout");
    }
    return set_layouts_[n];
}

const Pipeline& Device::pipeline(const std::string& shader, uint32_t n_bindings) const {
    if (n_bindings == 0 || n_bindings > kMaxBindings) throw Error(ErrorCode::Internal, "vulkan: bad binding count");
    set_layout(n_bindings);
    std::lock_guard<std::mutex> lock(pipe_mu_);
    auto it = pipelines_.find(shader);
    if (it != pipelines_.end()) {
        if (it->second->n_bindings != n_bindings)
            throw Error(ErrorCode::Internal, "vulkan: shader " + shader + " bound with a different binding count");
        return *it->second;
    }
    const ShaderBlob* blob = nullptr;
    for (size_t i = 0; i < kShaderCount; ++i)
        if (shader == kShaders[i].name) blob = &kShaders[i];
    if (!blob) throw Error(ErrorCode::Internal, "vulkan: no embedded shader named " + shader);
    auto mi = vk_struct<VkShaderModuleCreateInfo>(VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO);
    mi.codeSize = blob->bytes;
    mi.pCode = blob->code;
    VkShaderModule mod = VK_NULL_HANDLE;
    check(vkCreateShaderModule(dev_, &mi, nullptr, &mod), "vkCreateShaderModule");
    auto ci = vk_struct<VkComputePipelineCreateInfo>(VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO);
    ci.stage.sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO;
    ci.stage.stage = VK_SHADER_STAGE_COMPUTE_BIT;
    ci.stage.module = mod;
    ci.stage.pName = "main";
    ci.layout = pipe_layouts_[n_bindings];
    auto p = std::make_unique<Pipeline>();
    p->layout = pipe_layouts_[n_bindings];
    p->n_bindings = n_bindings;
    const VkResult r = vkCreateComputePipelines(dev_, VK_NULL_HANDLE, 1, &ci, nullptr, &p->pipe);
    vkDestroyShaderModule(dev_, mod, nullptr);
    check(r, ("vkCreateComputePipelines (" + shader + ")").c_str());
    return *(pipelines_[shader] = std::move(p));
}

DescriptorCache::~DescriptorCache() { clear(); }

void DescriptorCache::clear() {
    for (VkDescriptorPool p : pools_) dev_.vkDestroyDescriptorPool(dev_.handle(), p, nullptr);
    pools_.clear();
    sets_.clear();
}

VkDescriptorSet DescriptorCache::get(const std::vector<BufRef>& bufs) {
    auto it = sets_.find(bufs);
    if (it != sets_.end()) return it->second;
    const uint32_t n = uint32_t(bufs.size());
    VkDescriptorSetLayout layout = dev_.set_layout(n);
    VkDescriptorSet set = VK_NULL_HANDLE;
    VkResult r = VK_ERROR_OUT_OF_POOL_MEMORY;
    if (!pools_.empty()) {
        auto ai = vk_struct<VkDescriptorSetAllocateInfo>(VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO);
        ai.descriptorPool = pools_.back();
        ai.descriptorSetCount = 1;
        ai.pSetLayouts = &layout;
        r = dev_.vkAllocateDescriptorSets(dev_.handle(), &ai, &set);
    }
    if (r == VK_ERROR_OUT_OF_POOL_MEMORY || r == VK_ERROR_FRAGMENTED_POOL) {
        constexpr uint32_t kSets = 256;
        VkDescriptorPoolSize size{VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, kSets * kMaxBindings};
        auto pci = vk_struct<VkDescriptorPoolCreateInfo>(VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO);
        pci.maxSets = kSets;
        pci.poolSizeCount = 1;
        pci.pPoolSizes = &size;
        VkDescriptorPool pool = VK_NULL_HANDLE;
        check(dev_.vkCreateDescriptorPool(dev_.handle(), &pci, nullptr, &pool), "vkCreateDescriptorPool");
        pools_.push_back(pool);
        auto ai = vk_struct<VkDescriptorSetAllocateInfo>(VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO);
        ai.descriptorPool = pool;
        ai.descriptorSetCount = 1;
        ai.pSetLayouts = &layout;
        r = dev_.vkAllocateDescriptorSets(dev_.handle(), &ai, &set);
    }
    check(r, "vkAllocateDescriptorSets");
    VkDescriptorBufferInfo info[kMaxBindings]{};
    VkWriteDescriptorSet w[kMaxBindings]{};
    for (uint32_t i = 0; i < n; ++i) {
        info[i] = {bufs[i].buf, bufs[i].offset, bufs[i].range};
        w[i].sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET;
        w[i].dstSet = set;
        w[i].dstBinding = i;
        w[i].descriptorCount = 1;
        w[i].descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER;
        w[i].pBufferInfo = &info[i];
    }
    dev_.vkUpdateDescriptorSets(dev_.handle(), n, w, 0, nullptr);
    sets_[bufs] = set;
    return set;
}

void Recorder::dispatch(const std::string& shader, const std::vector<BufRef>& bufs, const void* push,
                        uint32_t push_bytes, uint32_t gx, uint32_t gy, uint32_t gz) {
    if (gx == 0 || gy == 0 || gz == 0) return;
    const Pipeline& p = dev_.pipeline(shader, uint32_t(bufs.size()));
    VkDescriptorSet set = ds_.get(bufs);
    dev_.vkCmdBindPipeline(cb_, VK_PIPELINE_BIND_POINT_COMPUTE, p.pipe);
    dev_.vkCmdBindDescriptorSets(cb_, VK_PIPELINE_BIND_POINT_COMPUTE, p.layout, 0, 1, &set, 0, nullptr);
    if (push_bytes > 0) dev_.vkCmdPushConstants(cb_, p.layout, VK_SHADER_STAGE_COMPUTE_BIT, 0, push_bytes, push);
    dev_.vkCmdDispatch(cb_, gx, gy, gz);
}

void Recorder::barrier() {
    auto mb = vk_struct<VkMemoryBarrier>(VK_STRUCTURE_TYPE_MEMORY_BARRIER);
    mb.srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_WRITE_BIT;
    mb.dstAccessMask = VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_READ_BIT |
                       VK_ACCESS_TRANSFER_WRITE_BIT;
    const VkPipelineStageFlags stages = VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT;
    dev_.vkCmdPipelineBarrier(cb_, stages, stages, 0, 1, &mb, 0, nullptr, 0, nullptr);
}

void Recorder::host_barrier() {
    auto mb = vk_struct<VkMemoryBarrier>(VK_STRUCTURE_TYPE_MEMORY_BARRIER);
    mb.srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_WRITE_BIT;
    mb.dstAccessMask = VK_ACCESS_HOST_READ_BIT;
    dev_.vkCmdPipelineBarrier(cb_, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT,
                              VK_PIPELINE_STAGE_HOST_BIT, 0, 1, &mb, 0, nullptr, 0, nullptr);
}

void Recorder::copy(VkBuffer src, VkDeviceSize src_off, VkBuffer dst, VkDeviceSize dst_off, VkDeviceSize n) {
    if (n == 0) return;
    VkBufferCopy region{src_off, dst_off, n};
    dev_.vkCmdCopyBuffer(cb_, src, dst, 1, &region);
}

}  // namespace glint::vk
