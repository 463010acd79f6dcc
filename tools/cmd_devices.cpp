// `glint devices`: the CPU glint computes on, the Vulkan devices it can
// offload to, and which one -ngl would use.
#include <cstdio>
#include <string>

#include "engine/vulkan/backend.h"
#include "glint.h"
#include "tools/cli.h"

namespace glint::cli {
namespace {

const char* kUsage = R"(usage: glint devices

Shows the CPU (its name, the extensions glint uses that it has, the kernel set
in use: GLINT_ISA=scalar|avx2|avx512 forces one), then lists the Vulkan devices
with their index, type, API version and device-local memory, and marks with *
the one `glint run -ngl N` offloads to: the first discrete GPU, else an
integrated, virtual or CPU device; GLINT_VK_DEVICE=<index> picks another.
Exits 1 when Vulkan is missing or no device can run glint.

  -h, --help   this help
)";

int devices(int argc, char** argv) {
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "-h" || a == "--help") {
            std::fputs(kUsage, stdout);
            return 0;
        }
        std::fprintf(stderr, "glint devices: unknown option '%s'\nRun 'glint devices --help' for the options.\n", argv[i]);
        return 2;
    }
    std::printf("%s\n", glint_system_info());
    vk::DeviceList list;
    try {
        list = vk::list_devices();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "glint devices: %s\n", e.what());
        return 1;
    }
    if (list.devices.empty()) {
        std::fprintf(stderr, "glint devices: no Vulkan devices found\n");
        return 1;
    }
    for (const vk::DeviceInfo& d : list.devices) {
        std::printf("%c %d: %s\n", d.index == list.selected ? '*' : ' ', d.index, d.name.c_str());
        std::printf("     %s, Vulkan %s, %.1f GiB device-local memory\n", d.type.c_str(), d.api_version.c_str(),
                    double(d.device_local_bytes) / double(1ull << 30));
        if (!d.usable) std::printf("     cannot run glint: %s\n", d.why_unusable.c_str());
    }
    if (list.selected < 0) {
        std::fprintf(stderr, "glint devices: %s\n", list.selection_note.c_str());
        return 1;
    }
    return 0;
}

const Registration reg("devices", "list the Vulkan devices available for GPU offload (-ngl)", &devices);

}  // namespace
}  // namespace glint::cli
