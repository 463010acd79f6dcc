// Shared by the Vulkan tests: one device per test program, skipping with a
// message when the machine has none, and LeakSanitizer suppressions for the
// driver (lavapipe's LLVM keeps compiled code alive until exit).
#pragma once
#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "engine/vulkan/vk.h"

// LeakSanitizer: leaks inside the Vulkan driver stack are not glint's (its
// own objects are checked by the validation-layer test: every one destroyed).
extern "C" const char* __lsan_default_suppressions() {
    return "leak:libvulkan_lvp.so\nleak:libLLVM\nleak:libvulkan.so\nleak:libVkLayer_khronos_validation.so\n";
}

namespace glint::test {

inline std::shared_ptr<vk::Device>& test_device(std::string* why = nullptr) {
    static std::string reason;
    static std::shared_ptr<vk::Device> dev = [] {
        try {
            return vk::Device::create();
        } catch (const vk::Unavailable& e) {
            reason = e.what();
            return std::shared_ptr<vk::Device>();
        }
    }();
    if (why) *why = reason;
    return dev;
}

// Destroys the device before exit-time destructors run (the driver's own
// clean-up must come after ours).
class DeviceReleaser : public ::testing::Environment {
public:
    void TearDown() override { test_device().reset(); }
};
inline ::testing::Environment* const kDeviceReleaser = ::testing::AddGlobalTestEnvironment(new DeviceReleaser);

#define GLINT_REQUIRE_VULKAN()                                                       \
    do {                                                                             \
        std::string why_;                                                            \
        if (!::glint::test::test_device(&why_))                                      \
            GTEST_SKIP() << "no usable Vulkan device, skipping: " << why_;           \
    } while (0)

inline double nmse_of(const std::vector<float>& got, const std::vector<float>& want) {
    double num = 0, den = 0;
    for (size_t i = 0; i < want.size(); ++i) {
        const double d = double(got[i]) - double(want[i]);
        num += d * d;
        den += double(want[i]) * want[i];
    }
    return den > 0 ? num / den : num;
}

}  // namespace glint::test
