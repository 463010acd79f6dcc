// Included first by every glint shader: storage extensions, exact binary16
// rounding and the 2-D grid helpers.
#extension GL_EXT_shader_16bit_storage : require
#extension GL_EXT_shader_8bit_storage : require

// float -> binary16 bits, round to nearest even; the same algorithm as
// kernels/fp16.h so the F16 KV cache and rounded attention inputs match the
// CPU bit for bit (a driver's own f32->f16 conversion may round differently).
uint f32_to_f16_bits(float f) {
    const uint x = floatBitsToUint(f);
    const uint sign = (x >> 16) & 0x8000u;
    const uint ax = x & 0x7fffffffu;
    if (ax > 0x7f800000u) return sign | 0x7e00u | ((ax >> 13) & 0x3ffu);
    if (ax >= 0x477ff000u) return sign | 0x7c00u;
    if (ax >= 0x38800000u) {
        const uint r = ax - 0x38000000u;
        return sign | ((r + 0xfffu + ((r >> 13) & 1u)) >> 13);
    }
    const uint e = ax >> 23;
    if (e < 102u) return sign;
    const uint mant = (ax & 0x7fffffu) | 0x800000u;
    const uint shift = 126u - e;
    uint r = mant >> shift;
    const uint rem = mant & ((1u << shift) - 1u);
    const uint halfway = 1u << (shift - 1u);
    if (rem > halfway || (rem == halfway && (r & 1u) != 0u)) ++r;
    return sign | r;
}

// binary16 bits -> float, exact for subnormals too.
float f16_bits_to_f32(uint h) {
    const uint sign = (h & 0x8000u) << 16;
    const uint e = (h >> 10) & 0x1fu;
    const uint m = h & 0x3ffu;
    if (e == 0x1fu) return uintBitsToFloat(sign | 0x7f800000u | (m << 13) | (m != 0u ? 0x400000u : 0u));
    if (e != 0u) return uintBitsToFloat(sign | ((e + 112u) << 23) | (m << 13));
    const float v = float(m) * (1.0 / 16777216.0);
    return sign != 0u ? -v : v;
}

float round_f16(float f) { return f16_bits_to_f32(f32_to_f16_bits(f)); }

// Workgroup index over a grid split into x * y groups (x is capped at 65535
// by the host, see engine/vulkan/ops.cpp split_groups).
uint group_index() { return gl_WorkGroupID.y * gl_NumWorkGroups.x + gl_WorkGroupID.x; }
