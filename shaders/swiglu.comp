#version 450
#extension GL_GOOGLE_include_directive : require
// gate[i] = silu(gate[i]) * up[i]
#include "common.glsl"

layout(local_size_x = 256) in;
layout(std430, binding = 0) buffer GBuf { float gate[]; };
layout(std430, binding = 1) readonly buffer UBuf { float up[]; };
layout(push_constant) uniform Push { uint n; } p;

void main() {
    const uint i = group_index() * 256u + gl_LocalInvocationID.x;
    if (i >= p.n) return;
    const float g = gate[i];
    gate[i] = g / (1.0 + exp(-g)) * up[i];
}
