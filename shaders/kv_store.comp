#version 450
#extension GL_GOOGLE_include_directive : require
// Writes each token's K (or V) row into its cache slot (rows[t] = block *
// block_size + slot), converting to the cache type as the CPU does:
// F16 round-to-nearest-even, Q8_0 with quantize_row_q8_0's scale and rounding.
#include "common.glsl"
#include "kv.glsl"

layout(local_size_x = 64) in;
layout(std430, binding = 0) readonly buffer Src { float src[]; };
layout(std430, binding = 1) buffer Dst { KV_ELEM dst[]; };
layout(std430, binding = 2) readonly buffer Rows { uint rows[]; };

layout(push_constant) uniform Push {
    uint kv;  // values per row
    uint n_tok;
} p;

void main() {
    const uint c = gl_GlobalInvocationID.x, t = gl_WorkGroupID.y;
    if (t >= p.n_tok) return;
#if defined(KV_Q8_0)
    // one invocation per 32-value block
    if (c >= p.kv / 32u) return;
    const uint s = t * p.kv + c * 32u;
    float amax = 0.0;
    for (uint j = 0u; j < 32u; ++j) amax = max(amax, abs(src[s + j]));
    const float d = amax / 127.0;
    const float id = d != 0.0 ? 1.0 / d : 0.0;
    const uint o = rows[t] * (p.kv / 32u) + c;
    dst[o].d = uint16_t(f32_to_f16_bits(d));
    for (uint j = 0u; j < 32u; ++j) {
        const float v = src[s + j] * id;
        float r = trunc(v);  // roundf: half away from zero (v - r is exact)
        if (abs(v - r) >= 0.5) r += sign(v);
        dst[o].qs[j] = int8_t(int(clamp(r, -127.0, 127.0)));
    }
#else
    if (c >= p.kv) return;
    const float v = src[t * p.kv + c];
#if defined(KV_F16)
    dst[rows[t] * p.kv + c] = uint16_t(f32_to_f16_bits(v));
#else
    dst[rows[t] * p.kv + c] = v;
#endif
#endif
}
