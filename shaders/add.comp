#version 450
#extension GL_GOOGLE_include_directive : require
// y[i] += b[i % nb]: the residual add (nb = n) and the bias add (b one row,
// broadcast over the tokens).
#include "common.glsl"

layout(local_size_x = 256) in;
layout(std430, binding = 0) buffer YBuf { float yv[]; };
layout(std430, binding = 1) readonly buffer BBuf { float bv[]; };
layout(push_constant) uniform Push {
    uint n;
    uint nb;
} p;

void main() {
    const uint i = group_index() * 256u + gl_LocalInvocationID.x;
    if (i >= p.n) return;
    yv[i] += bv[i % p.nb];
}
