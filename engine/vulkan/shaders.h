// The embedded SPIR-V of every shader variant (table generated at build time
// by shaders/CMakeLists.txt), looked up by variant name, e.g. "matvec_q4_k".
#pragma once
#include <cstddef>
#include <cstdint>

namespace glint::vk {

struct ShaderBlob {
    const char* name;
    const uint32_t* code;
    size_t bytes;
};

extern const ShaderBlob kShaders[];
extern const size_t kShaderCount;

}  // namespace glint::vk
