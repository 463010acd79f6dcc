#version 450
#extension GL_GOOGLE_include_directive : require
// y[i] = x[src] / sqrt(mean(x[src]^2) + eps) * w, one workgroup per output
// row; src = ids[i] when gathering (the rows that want logits), else i.
#include "common.glsl"

#define WG 128u
layout(local_size_x = 128) in;
layout(std430, binding = 0) readonly buffer XBuf { float xv[]; };
layout(std430, binding = 1) readonly buffer WBuf { float wv[]; };
layout(std430, binding = 2) writeonly buffer YBuf { float yv[]; };
layout(std430, binding = 3) readonly buffer Ids { uint ids[]; };

layout(push_constant) uniform Push {
    uint n;        // features per row
    uint n_rows;
    uint use_ids;
    float eps;
} p;

shared float red[WG];

void main() {
    const uint i = group_index(), tid = gl_LocalInvocationID.x;
    if (i >= p.n_rows) return;
    const uint src = (p.use_ids != 0u ? ids[i] : i) * p.n;
    float s = 0.0;
    for (uint c = tid; c < p.n; c += WG) s += xv[src + c] * xv[src + c];
    red[tid] = s;
    barrier();
    for (uint k = WG / 2u; k > 0u; k >>= 1) {
        if (tid < k) red[tid] += red[tid + k];
        barrier();
    }
    const float scale = 1.0 / sqrt(red[0] / float(p.n) + p.eps);
    for (uint c = tid; c < p.n; c += WG) yv[i * p.n + c] = xv[src + c] * scale * wv[c];
}
