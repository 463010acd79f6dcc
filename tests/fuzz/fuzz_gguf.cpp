// libFuzzer entry point for the GGUF reader: any input must either parse or
// throw glint::Error; crashes, sanitizer reports, leaks and other exceptions
// are bugs. See tests/FUZZING.md.
#include <cstddef>
#include <cstdint>

#include "gguf/gguf.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    try {
        glint::gguf::File f = glint::gguf::File::from_memory(data, size, "fuzz.gguf");
        // touch what a loader would: every value's display and every tensor's bytes
        size_t sink = 0;
        for (const auto& kv : f.metadata()) sink += kv.value.to_display(4).size();
        for (const auto& t : f.tensors())
            if (t.n_bytes) sink += t.data[0] + t.data[t.n_bytes - 1];
        (void)f.get_or<uint32_t>("general.alignment", 0);
        (void)f.get_or<std::string_view>("general.architecture", "");
        volatile size_t keep = sink;
        (void)keep;
    } catch (const glint::Error&) {
    }
    return 0;
}
