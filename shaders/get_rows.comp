#version 450
#extension GL_GOOGLE_include_directive : require
// y[i][c] = W[ids[i]][c] dequantized: the embedding lookup. A weight split
// into row chunks is dispatched once per chunk; ids outside [row_lo, row_hi)
// belong to another chunk.
#include "common.glsl"
#include "types.glsl"

layout(local_size_x = 64) in;
layout(std430, binding = 1) readonly buffer Ids { uint ids[]; };
layout(std430, binding = 2) writeonly buffer YBuf { float yv[]; };

layout(push_constant) uniform Push {
    uint cols;
    uint n;
    uint row_lo;
    uint row_hi;
    uint y_stride;
} p;

void main() {
    const uint c = gl_GlobalInvocationID.x, i = gl_WorkGroupID.y;
    if (c >= p.cols || i >= p.n) return;
    const uint id = ids[i];
    if (id < p.row_lo || id >= p.row_hi) return;
    yv[i * p.y_stride + c] = w_at(id - p.row_lo, c, p.cols);
}
