#version 450
#extension GL_GOOGLE_include_directive : require
// Causal attention of one (token, head) per workgroup over the token's own
// sequence in the paged KV cache: positions 0..n_kv-1 live in rows
// tables[off + j / block_size] * block_size + j % block_size. Mirrors the CPU
// (engine/context.cpp): q converted to the cache's dot type (F16-rounded for
// an F16 cache, Q8_0-quantized for Q8_0), softmax weights rounded to F16 for
// an F16 cache. Scores stay in shared memory up to SC_MAX positions; longer
// sequences recompute them in each pass instead.
#include "common.glsl"
#include "kv.glsl"

#define WG 64u
#define HD_MAX 256u
#define SC_MAX 2048u
layout(local_size_x = 64) in;

layout(std430, binding = 0) readonly buffer QBuf { float qv[]; };
layout(std430, binding = 1) readonly buffer KBuf { KV_ELEM kc[]; };
layout(std430, binding = 2) readonly buffer VBuf { KV_ELEM vc[]; };
layout(std430, binding = 3) readonly buffer Info { uvec2 info[]; };  // per token: table offset, n_kv
layout(std430, binding = 4) readonly buffer Tables { uint tables[]; };
layout(std430, binding = 5) writeonly buffer OBuf { float ov[]; };

layout(push_constant) uniform Push {
    uint n_head;
    uint group;       // query heads per KV head
    uint hd;          // head size
    uint kv;          // values per cache row (n_embd_kv)
    uint q_stride;    // floats per token of q and out
    uint block_size;
    float scale;
} p;

shared float qf[HD_MAX];
#if defined(KV_Q8_0)
shared int qq[HD_MAX];
shared float qd[HD_MAX / 32u];
#endif
shared float sc[SC_MAX];
shared float red[WG];

uint kv_row(uint off, uint j) { return tables[off + j / p.block_size] * p.block_size + j % p.block_size; }

float kv_value(uint e, bool is_v) {
#if defined(KV_F32)
    return is_v ? vc[e] : kc[e];
#elif defined(KV_F16)
    return f16_bits_to_f32(is_v ? uint(vc[e]) : uint(kc[e]));
#else
    const uint b = e / 32u, l = e % 32u;
    return is_v ? f16_bits_to_f32(uint(vc[b].d)) * float(int(vc[b].qs[l]))
                : f16_bits_to_f32(uint(kc[b].d)) * float(int(kc[b].qs[l]));
#endif
}

float score(uint off, uint j, uint g) {
    const uint base = kv_row(off, j) * p.kv + g * p.hd;
    float s = 0.0;
#if defined(KV_Q8_0)
    for (uint b = 0u; b < p.hd / 32u; ++b) {
        const uint kb = base / 32u + b;
        int isum = 0;
        for (uint l = 0u; l < 32u; ++l) isum += qq[32u * b + l] * int(kc[kb].qs[l]);
        s += float(isum) * (f16_bits_to_f32(uint(kc[kb].d)) * qd[b]);
    }
#else
    for (uint d = 0u; d < p.hd; ++d) s += qf[d] * kv_value(base + d, false);
#endif
    return s * p.scale;
}

void reduce(uint tid, bool take_max) {
    barrier();
    for (uint k = WG / 2u; k > 0u; k >>= 1) {
        if (tid < k) red[tid] = take_max ? max(red[tid], red[tid + k]) : red[tid] + red[tid + k];
        barrier();
    }
}

void main() {
    const uint h = gl_WorkGroupID.x, t = gl_WorkGroupID.y, tid = gl_LocalInvocationID.x;
    const uint g = h / p.group;
    const uint off = info[t].x, n_kv = info[t].y;
    const uint qb = t * p.q_stride + h * p.hd;
    for (uint d = tid; d < p.hd; d += WG) {
#if defined(KV_F16)
        qf[d] = round_f16(qv[qb + d]);
#else
        qf[d] = qv[qb + d];
#endif
    }
#if defined(KV_Q8_0)
    barrier();
    if (tid < p.hd / 32u) {  // quantize_row_q8_0 of q, one thread per block
        float amax = 0.0;
        for (uint l = 0u; l < 32u; ++l) amax = max(amax, abs(qf[32u * tid + l]));
        const float d = amax / 127.0;
        const float id = d != 0.0 ? 1.0 / d : 0.0;
        qd[tid] = round_f16(d);
        for (uint l = 0u; l < 32u; ++l) {
            const float v = qf[32u * tid + l] * id;
            float r = trunc(v);
            if (abs(v - r) >= 0.5) r += sign(v);
            qq[32u * tid + l] = int(clamp(r, -127.0, 127.0));
        }
    }
#endif
    barrier();

    const bool keep = n_kv <= SC_MAX;
    float m = uintBitsToFloat(0xff800000u);  // -inf
    for (uint j = tid; j < n_kv; j += WG) {
        const float s = score(off, j, g);
        if (keep) sc[j] = s;
        m = max(m, s);
    }
    red[tid] = m;
    reduce(tid, true);
    const float mx = red[0];
    barrier();
    float sum = 0.0;
    for (uint j = tid; j < n_kv; j += WG) sum += exp((keep ? sc[j] : score(off, j, g)) - mx);
    red[tid] = sum;
    reduce(tid, false);
    const float inv = 1.0 / red[0];

    float acc[HD_MAX / WG];
    for (uint i = 0u; i < HD_MAX / WG; ++i) acc[i] = 0.0;
    for (uint c0 = 0u; c0 < n_kv; c0 += SC_MAX) {
        const uint cn = min(SC_MAX, n_kv - c0);
        barrier();
        for (uint j = tid; j < cn; j += WG) {
            float w = exp((keep ? sc[j] : score(off, c0 + j, g)) - mx) * inv;
#if defined(KV_F16)
            w = round_f16(w);
#endif
            sc[j] = w;
        }
        barrier();
        for (uint j = 0u; j < cn; ++j) {
            const uint base = kv_row(off, c0 + j) * p.kv + g * p.hd;
            const float w = sc[j];
            for (uint i = 0u; i < HD_MAX / WG; ++i) {
                const uint d = tid + i * WG;
                if (d < p.hd) acc[i] += w * kv_value(base + d, true);
            }
        }
    }
    for (uint i = 0u; i < HD_MAX / WG; ++i) {
        const uint d = tid + i * WG;
        if (d < p.hd) ov[qb + d] = acc[i];
    }
}
