// Half (IEEE binary16) and bfloat16 <-> float conversions: portable scalar code,
// exact, round-to-nearest-even, inf/NaN preserved. The fast-ISA paths (F16C,
// AVX-512 BF16) must agree bit for bit with these.
#pragma once
#include <bit>
#include <cstdint>

namespace glint::kernels {

using fp16_t = uint16_t;  // raw binary16 bits, as stored in GGUF
using bf16_t = uint16_t;  // raw bfloat16 bits

inline float fp16_to_fp32(fp16_t h) {
    const uint32_t sign = uint32_t(h & 0x8000u) << 16;
    const uint32_t exp = (h >> 10) & 0x1fu;
    const uint32_t mant = h & 0x3ffu;
    if (exp == 0x1f)  // inf, or NaN made quiet (as F16C does)
        return std::bit_cast<float>(sign | 0x7f800000u | (mant << 13) | (mant ? 0x400000u : 0u));
    if (exp != 0) return std::bit_cast<float>(sign | ((exp + 112u) << 23) | (mant << 13));
    // Zero or subnormal: mant * 2^-24 is exact in float.
    const float f = float(mant) * 0x1p-24f;
    return sign ? -f : f;
}

inline fp16_t fp32_to_fp16(float f) {
    const uint32_t x = std::bit_cast<uint32_t>(f);
    const uint32_t sign = (x >> 16) & 0x8000u;
    const uint32_t ax = x & 0x7fffffffu;
    if (ax > 0x7f800000u)  // NaN: keep it quiet and keep the top payload bits
        return fp16_t(sign | 0x7e00u | ((ax >> 13) & 0x3ffu));
    if (ax >= 0x477ff000u)  // >= 65520 (half-way past 65504, ties to even) -> inf
        return fp16_t(sign | 0x7c00u);
    if (ax >= 0x38800000u) {  // normal half range [2^-14, 65520)
        const uint32_t r = ax - 0x38000000u;  // rebias exponent 127 -> 15
        return fp16_t(sign | ((r + 0xfffu + ((r >> 13) & 1u)) >> 13));
    }
    // Subnormal half (units of 2^-24) or zero; float subnormals round to zero.
    const uint32_t e = ax >> 23;
    if (e < 102) return fp16_t(sign);  // < 2^-25 (ties at 2^-25 also go to 0)
    const uint32_t mant = (ax & 0x7fffffu) | 0x800000u;
    const uint32_t shift = 126u - e;  // in [14, 24]
    uint32_t r = mant >> shift;
    const uint32_t rem = mant & ((1u << shift) - 1u);
    const uint32_t half = 1u << (shift - 1u);
    if (rem > half || (rem == half && (r & 1u))) ++r;  // may carry into the smallest normal
    return fp16_t(sign | r);
}

inline float bf16_to_fp32(bf16_t h) { return std::bit_cast<float>(uint32_t(h) << 16); }

inline bf16_t fp32_to_bf16(float f) {
    const uint32_t x = std::bit_cast<uint32_t>(f);
    if ((x & 0x7fffffffu) > 0x7f800000u) return bf16_t((x >> 16) | 0x40u);  // quiet NaN
    return bf16_t((x + 0x7fffu + ((x >> 16) & 1u)) >> 16);
}

}  // namespace glint::kernels
