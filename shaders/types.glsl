// Weight formats: block structs mirroring kernels/blocks.h (std430 gives the
// same byte layout with 8/16-bit storage) and element access. One TYPE_* is
// defined per compiled variant; W_BINDING picks the weight buffer's binding.
// QK = elements per block; w_elem(ib, j) = element j of block ib, as floats
// exactly as kernels/ dequantizes them.
#ifndef W_BINDING
#define W_BINDING 0
#endif

#if defined(TYPE_F32)
#define QK 1u
#define W_FLOAT 1  // one element per block
layout(std430, binding = W_BINDING) readonly buffer WBuf { float wb[]; };
float w_elem(uint ib, uint j) { return wb[ib]; }

#elif defined(TYPE_F16)
#define QK 1u
#define W_FLOAT 1  // one element per block
layout(std430, binding = W_BINDING) readonly buffer WBuf { float16_t wb[]; };
float w_elem(uint ib, uint j) { return float(wb[ib]); }

#elif defined(TYPE_BF16)
#define QK 1u
#define W_FLOAT 1  // one element per block
layout(std430, binding = W_BINDING) readonly buffer WBuf { uint16_t wb[]; };
float w_elem(uint ib, uint j) { return uintBitsToFloat(uint(wb[ib]) << 16); }

#elif defined(TYPE_Q4_0)
#define QK 32u
struct block_q4_0 {
    float16_t d;
    uint8_t qs[16];  // low nibble = element j, high nibble = element j + 16
};
layout(std430, binding = W_BINDING) readonly buffer WBuf { block_q4_0 wb[]; };
float w_elem(uint ib, uint j) {
    const uint q = uint(wb[ib].qs[j & 15u]);
    return float(wb[ib].d) * float(int(j < 16u ? (q & 15u) : (q >> 4)) - 8);
}

#elif defined(TYPE_Q8_0)
#define QK 32u
struct block_q8_0 {
    float16_t d;
    int8_t qs[32];
};
layout(std430, binding = W_BINDING) readonly buffer WBuf { block_q8_0 wb[]; };
float w_elem(uint ib, uint j) { return float(wb[ib].d) * float(int(wb[ib].qs[j])); }

#elif defined(TYPE_Q4_K) || defined(TYPE_Q5_K)
#define QK 256u
#if defined(TYPE_Q4_K)
struct block_q4_K {
    float16_t d;
    float16_t dmin;
    uint8_t scales[12];
    uint8_t qs[128];
};
#define BLOCK_K block_q4_K
#else
struct block_q5_K {
    float16_t d;
    float16_t dmin;
    uint8_t scales[12];
    uint8_t qh[32];  // bit 2c: high bit of element 64c+l, bit 2c+1: of 64c+32+l
    uint8_t qs[128];
};
#define BLOCK_K block_q5_K
#endif
layout(std430, binding = W_BINDING) readonly buffer WBuf { BLOCK_K wb[]; };

// Sub-block s's 6-bit scale (x) and min (y); see unpack_scale_min_k4.
uvec2 scale_min_k4(uint ib, uint s) {
    if (s < 4u) return uvec2(uint(wb[ib].scales[s]) & 63u, uint(wb[ib].scales[s + 4u]) & 63u);
    const uint a = uint(wb[ib].scales[s + 4u]);
    return uvec2((a & 15u) | ((uint(wb[ib].scales[s - 4u]) >> 6) << 4),
                 (a >> 4) | ((uint(wb[ib].scales[s]) >> 6) << 4));
}

// The 4- or 5-bit quant of element j (64-element chunk c = j/64 uses qs[32c..]).
uint k_quant(uint ib, uint j) {
    const uint c = j >> 6, l = j & 63u;
    const uint b = uint(wb[ib].qs[32u * c + (l & 31u)]);
    uint q = l < 32u ? (b & 15u) : (b >> 4);
#if defined(TYPE_Q5_K)
    q += ((uint(wb[ib].qh[l & 31u]) >> (2u * c + (l >> 5))) & 1u) << 4;
#endif
    return q;
}

float w_elem(uint ib, uint j) {
    const uvec2 sm = scale_min_k4(ib, j >> 5);
    return (float(wb[ib].d) * float(sm.x)) * float(k_quant(ib, j)) - float(wb[ib].dmin) * float(sm.y);
}

#elif defined(TYPE_Q6_K)
#define QK 256u
struct block_q6_K {
    uint8_t ql[128];  // low 4 bits
    uint8_t qh[64];   // high 2 bits
    int8_t scales[16];
    float16_t d;
};
layout(std430, binding = W_BINDING) readonly buffer WBuf { block_q6_K wb[]; };

// 6-bit quant (offset removed) of element j: half h = j/128, quarter k, lane l.
int q6_quant(uint ib, uint j) {
    const uint h = j >> 7, k = (j >> 5) & 3u, l = j & 31u;
    const uint lo = uint(wb[ib].ql[64u * h + 32u * (k & 1u) + l]) >> (4u * (k >> 1));
    const uint hi = (uint(wb[ib].qh[32u * h + l]) >> (2u * k)) & 3u;
    return int((lo & 15u) | (hi << 4)) - 32;
}

float w_elem(uint ib, uint j) {
    const uint h = j >> 7, k = (j >> 5) & 3u, l = j & 31u;
    const float sc = float(int(wb[ib].scales[8u * h + 2u * k + (l >> 4)]));
    return (float(wb[ib].d) * sc) * float(q6_quant(ib, j));
}

#else
#error "no TYPE_* defined"
#endif

// Element (row, col) of a weight with `cols` columns (a multiple of QK).
float w_at(uint row, uint col, uint cols) {
    return w_elem(row * (cols / QK) + col / QK, col % QK);
}
