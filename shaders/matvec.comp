#version 450
#extension GL_GOOGLE_include_directive : require
// y[t][row0 + r] = sum_c W[r][c] * x[t][c] for generation, where each weight
// row is read once per token: a workgroup takes NR rows of one token, TPR
// threads per row stride over 32-element units of the row (single elements
// for float types) and reduce through shared memory.
#include "common.glsl"
#include "types.glsl"

#define WG 64u
#define NR 4u
#define TPR (WG / NR)
layout(local_size_x = 64) in;

layout(std430, binding = 1) readonly buffer XBuf { float xv[]; };
layout(std430, binding = 2) buffer YBuf { float yv[]; };

layout(push_constant) uniform Push {
    uint rows;      // rows of this weight chunk
    uint cols;
    uint n_tok;
    uint row0;      // first output column of this chunk in y
    uint y_stride;  // floats per y row (all chunks' rows)
} p;

shared float red[WG];

#if defined(W_FLOAT)
#define UNIT 1u
float unit_dot(uint row, uint u) { return w_elem(row * p.cols + u, 0u) * xv[gl_WorkGroupID.z * p.cols + u]; }
#else
#define UNIT 32u
// Dot of the u-th 32-element unit of `row` with the matching x elements.
float unit_dot(uint row, uint u) {
    const uint ib = row * (p.cols / QK) + (u * 32u) / QK;  // block
    const uint s = u % (QK / 32u);                         // 32-element unit inside the block
    const uint xb = gl_WorkGroupID.z * p.cols + u * 32u;
#if defined(TYPE_Q4_0)
    float acc = 0.0;
    for (uint j = 0u; j < 16u; ++j) {
        const uint q = uint(wb[ib].qs[j]);
        acc += float(int(q & 15u) - 8) * xv[xb + j] + float(int(q >> 4) - 8) * xv[xb + j + 16u];
    }
    return float(wb[ib].d) * acc;
#elif defined(TYPE_Q8_0)
    float acc = 0.0;
    for (uint j = 0u; j < 32u; ++j) acc += float(int(wb[ib].qs[j])) * xv[xb + j];
    return float(wb[ib].d) * acc;
#elif defined(TYPE_Q4_K) || defined(TYPE_Q5_K)
    const uvec2 sm = scale_min_k4(ib, s);
    float qx = 0.0, sx = 0.0;
    for (uint l = 0u; l < 32u; ++l) {
        const float x = xv[xb + l];
        qx += float(k_quant(ib, s * 32u + l)) * x;
        sx += x;
    }
    return float(wb[ib].d) * float(sm.x) * qx - float(wb[ib].dmin) * float(sm.y) * sx;
#elif defined(TYPE_Q6_K)
    const uint h = s >> 2, k = s & 3u;
    float a0 = 0.0, a1 = 0.0;
    for (uint l = 0u; l < 16u; ++l) {
        a0 += float(q6_quant(ib, s * 32u + l)) * xv[xb + l];
        a1 += float(q6_quant(ib, s * 32u + 16u + l)) * xv[xb + 16u + l];
    }
    const float s0 = float(int(wb[ib].scales[8u * h + 2u * k]));
    const float s1 = float(int(wb[ib].scales[8u * h + 2u * k + 1u]));
    return float(wb[ib].d) * (s0 * a0 + s1 * a1);
#endif
}
#endif

void main() {
    const uint tid = gl_LocalInvocationID.x, lane = tid % TPR;
    const uint r = group_index() * NR + tid / TPR;
    float acc = 0.0;
    if (r < p.rows) {
        const uint n_units = p.cols / UNIT;
        for (uint u = lane; u < n_units; u += TPR) acc += unit_dot(r, u);
    }
    red[tid] = acc;
    barrier();
    for (uint s = TPR / 2u; s > 0u; s >>= 1) {
        if (lane < s) red[tid] += red[tid + s];
        barrier();
    }
    if (lane == 0u && r < p.rows) yv[gl_WorkGroupID.z * p.y_stride + p.row0 + r] = red[tid];
}
