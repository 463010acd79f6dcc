#version 450
#extension GL_GOOGLE_include_directive : require
// Rotary embedding in place for n_heads heads of each token. The cos/sin of
// every (position, pair) come from a table the host fills once with the CPU's
// own formula, so GPU and CPU rotate by bit-identical angles (GPU sin/cos of
// large arguments are not accurate enough for that). neox: pairs (i, i+n_rot/2)
// (qwen2) instead of adjacent (2i, 2i+1) (llama).
#include "common.glsl"

layout(local_size_x = 64) in;
layout(std430, binding = 0) buffer XBuf { float xv[]; };
layout(std430, binding = 1) readonly buffer Pos { uint pos[]; };
layout(std430, binding = 2) readonly buffer Table { vec2 cs[]; };  // [pos][n_rot/2] (cos, sin)

layout(push_constant) uniform Push {
    uint n_tok;
    uint n_heads;
    uint head_dim;
    uint n_rot;
    uint row_stride;  // floats per token
    uint neox;
} p;

void main() {
    const uint half_rot = p.n_rot / 2u;
    const uint g = gl_GlobalInvocationID.x, t = gl_WorkGroupID.y;
    if (g >= p.n_heads * half_rot || t >= p.n_tok) return;
    const uint h = g / half_rot, i = g % half_rot;
    const vec2 c = cs[pos[t] * half_rot + i];
    const uint base = t * p.row_stride + h * p.head_dim;
    const uint a = base + (p.neox != 0u ? i : 2u * i);
    const uint b = base + (p.neox != 0u ? i + half_rot : 2u * i + 1u);
    const float x0 = xv[a], x1 = xv[b];
    xv[a] = x0 * c.x - x1 * c.y;
    xv[b] = x0 * c.y + x1 * c.x;
}
