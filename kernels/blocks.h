// Block formats glint computes with, laid out byte for byte as in GGUF files
// (the ggml layouts). All multi-byte fields are little-endian, as on every
// host glint supports. Sizes are checked against the type table (types.cpp).
#pragma once
#include <cstddef>
#include <cstdint>

#include "kernels/fp16.h"

namespace glint::kernels {

constexpr int QK4_0 = 32;
constexpr int QK8_0 = 32;
constexpr int QK_K = 256;       // super-block size of the K-quants
constexpr int K_SCALE_SIZE = 12;  // 8 six-bit scales + 8 six-bit mins

// Q4_0: x = d * (q - 8), q in [0,15]. qs[j] low nibble = element j, high
// nibble = element j+16. 18 bytes / 32 = 4.5 bits per weight.
struct block_q4_0 {
    fp16_t d;
    uint8_t qs[QK4_0 / 2];
};
static_assert(sizeof(block_q4_0) == 18);

// Q8_0: x = d * q, q in [-127,127]. Also the activation type for Q4_0/Q8_0.
// 34 bytes / 32 = 8.5 bits per weight.
struct block_q8_0 {
    fp16_t d;
    int8_t qs[QK8_0];
};
static_assert(sizeof(block_q8_0) == 34);

// Q4_K: 8 sub-blocks of 32; x = d*sc[j]*q - dmin*m[j], q in [0,15], sc/m 6-bit
// packed in `scales` (see unpack_scale_min_k4). Each 64-element chunk uses
// 32 bytes of qs: low nibbles = first 32 elements, high nibbles = next 32.
// 144 bytes / 256 = 4.5 bits per weight.
struct block_q4_K {
    fp16_t d;     // scale of the sub-block scales
    fp16_t dmin;  // scale of the sub-block mins
    uint8_t scales[K_SCALE_SIZE];
    uint8_t qs[QK_K / 2];
};
static_assert(sizeof(block_q4_K) == 144);

// Q5_K: as Q4_K plus a fifth bit per element: qh[l] bit 2c holds the high bit
// of element 64c+l, bit 2c+1 that of element 64c+32+l. 176 bytes / 256 =
// 5.5 bits per weight.
struct block_q5_K {
    fp16_t d;
    fp16_t dmin;
    uint8_t scales[K_SCALE_SIZE];
    uint8_t qh[QK_K / 8];
    uint8_t qs[QK_K / 2];
};
static_assert(sizeof(block_q5_K) == 176);

// Q6_K: 16 sub-blocks of 16; x = d * scales[e/16] * (q - 32), q in [0,63].
// In each 128-element half (ql += 64, qh += 32 per half), for l in [0,32):
// element l = ql[l] low nibble | qh[l] bits 0-1 << 4, element 32+l = ql[32+l]
// low | qh[l] bits 2-3, element 64+l = ql[l] high | bits 4-5, element 96+l =
// ql[32+l] high | bits 6-7. 210 bytes / 256 = 6.5625 bits per weight.
struct block_q6_K {
    uint8_t ql[QK_K / 2];  // low 4 bits
    uint8_t qh[QK_K / 4];  // high 2 bits
    int8_t scales[QK_K / 16];
    fp16_t d;
};
static_assert(sizeof(block_q6_K) == 210);

// Q8_K: activation type for the K-quants; x = d * q. bsums[g] is the sum of
// q over elements 16g..16g+15, which lets min terms be applied per group.
// 292 bytes / 256 = 9.125 bits per weight.
struct block_q8_K {
    float d;
    int8_t qs[QK_K];
    int16_t bsums[QK_K / 16];
};
static_assert(sizeof(block_q8_K) == 292);

// Sub-block j's 6-bit scale and min from the 12 packed bytes of Q4_K/Q5_K:
// bytes 0-3 hold scales 0-3 (low 6 bits), bytes 4-7 mins 0-3; scales/mins
// 4-7 keep their low 4 bits in bytes 8-11 and their top 2 bits in the spare
// top bits of bytes 0-3 / 4-7.
inline void unpack_scale_min_k4(int j, const uint8_t* q, uint8_t& sc, uint8_t& m) {
    if (j < 4) {
        sc = q[j] & 63;
        m = q[j + 4] & 63;
    } else {
        sc = uint8_t((q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4));
        m = uint8_t((q[j + 4] >> 4) | ((q[j] >> 6) << 4));
    }
}

// Inverse of unpack_scale_min_k4 for 8 scales and 8 mins, each < 64.
inline void pack_scales_mins_k4(const uint8_t sc[8], const uint8_t m[8], uint8_t* q) {
    for (int j = 0; j < 4; ++j) {
        q[j] = uint8_t((sc[j] & 63) | ((sc[j + 4] >> 4) << 6));
        q[j + 4] = uint8_t((m[j] & 63) | ((m[j + 4] >> 4) << 6));
        q[j + 8] = uint8_t((sc[j + 4] & 0xF) | ((m[j + 4] & 0xF) << 4));
    }
}

}  // namespace glint::kernels
