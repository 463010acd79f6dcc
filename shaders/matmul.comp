#version 450
#extension GL_GOOGLE_include_directive : require
// y[t][row0 + r] = sum_c W[r][c] * x[t][c] for prompt batches: 64 rows x 32
// tokens per workgroup, stepping through the columns 32 at a time with the
// dequantized weight tile and the activation tile in shared memory, so each
// weight is read once per 32 tokens. Each thread computes 4 rows x 2 tokens.
#include "common.glsl"
#include "types.glsl"

#define TM 64u
#define TN 32u
#define TK 32u
layout(local_size_x = 256) in;

layout(std430, binding = 1) readonly buffer XBuf { float xv[]; };
layout(std430, binding = 2) buffer YBuf { float yv[]; };

layout(push_constant) uniform Push {
    uint rows;
    uint cols;
    uint n_tok;
    uint row0;
    uint y_stride;
} p;

shared float sw[TK][TM + 1u];
shared float sx[TK][TN + 1u];

void main() {
    const uint tid = gl_LocalInvocationID.x;
    const uint r0 = gl_WorkGroupID.x * TM, t0 = gl_WorkGroupID.y * TN;
    const uint tr = tid % 16u, tt = tid / 16u;
    float acc[4][2];
    for (uint i = 0u; i < 4u; ++i) acc[i][0] = acc[i][1] = 0.0;

    for (uint k0 = 0u; k0 < p.cols; k0 += TK) {
        for (uint e = tid; e < TM * TK; e += 256u) {
            const uint r = e / TK, k = e % TK;
            float w = 0.0;
            if (r0 + r < p.rows && k0 + k < p.cols) w = w_at(r0 + r, k0 + k, p.cols);
            sw[k][r] = w;
        }
        for (uint e = tid; e < TN * TK; e += 256u) {
            const uint t = e / TK, k = e % TK;
            sx[k][t] = (t0 + t < p.n_tok && k0 + k < p.cols) ? xv[(t0 + t) * p.cols + k0 + k] : 0.0;
        }
        barrier();
        for (uint k = 0u; k < TK; ++k) {
            const float x0 = sx[k][tt], x1 = sx[k][tt + 16u];
            for (uint i = 0u; i < 4u; ++i) {
                const float w = sw[k][tr + 16u * i];
                acc[i][0] += w * x0;
                acc[i][1] += w * x1;
            }
        }
        barrier();
    }
    for (uint i = 0u; i < 4u; ++i) {
        const uint r = r0 + tr + 16u * i;
        if (r >= p.rows) continue;
        for (uint j = 0u; j < 2u; ++j) {
            const uint t = t0 + tt + 16u * j;
            if (t < p.n_tok) yv[t * p.y_stride + p.row0 + r] = acc[i][j];
        }
    }
}
