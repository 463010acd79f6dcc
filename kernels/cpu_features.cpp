#include "kernels/cpu_features.h"

#include <cstdint>
#include <cstring>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#define GLINT_X86 1
#elif defined(_M_X64)
#include <intrin.h>
#define GLINT_X86 1
#define GLINT_MSVC_X86 1
#endif

namespace glint::kernels {
namespace {

#ifdef GLINT_X86
struct Regs {
    uint32_t a = 0, b = 0, c = 0, d = 0;
};

Regs cpuid(uint32_t leaf, uint32_t sub) {
    Regs r;
#ifdef GLINT_MSVC_X86
    int v[4];
    __cpuidex(v, int(leaf), int(sub));
    r = {uint32_t(v[0]), uint32_t(v[1]), uint32_t(v[2]), uint32_t(v[3])};
#else
    __cpuid_count(leaf, sub, r.a, r.b, r.c, r.d);
#endif
    return r;
}

uint64_t xgetbv0() {
#ifdef GLINT_MSVC_X86
    return _xgetbv(0);
#else
    uint32_t lo, hi;
    // Encoded by hand so no -mxsave flag is needed on this file.
    __asm__ volatile(".byte 0x0f, 0x01, 0xd0" : "=a"(lo), "=d"(hi) : "c"(0));
    return (uint64_t(hi) << 32) | lo;
#endif
}
#endif

// Leaves 0x80000002-4: 48 bytes of text, padded with spaces (leading on some
// Intel parts) and NULs.
void read_brand(char (&out)[49]) {
#ifdef GLINT_X86
    if (cpuid(0x80000000u, 0).a < 0x80000004u) return;
    char raw[49] = {};
    for (uint32_t i = 0; i < 3; ++i) {
        const Regs r = cpuid(0x80000002u + i, 0);
        std::memcpy(raw + 16 * i, &r, 16);
    }
    const char* b = raw;
    while (*b == ' ') ++b;
    size_t n = std::strlen(b);
    while (n > 0 && b[n - 1] == ' ') --n;
    std::memcpy(out, b, n);
    out[n] = '\0';
#else
    (void)out;
#endif
}

CpuFeatures detect() {
    CpuFeatures f;
    read_brand(f.brand);
#ifdef GLINT_X86
    const uint32_t max_leaf = cpuid(0, 0).a;
    if (max_leaf < 1) return f;
    const Regs l1 = cpuid(1, 0);
    const bool osxsave = l1.c & (1u << 27);
    const bool avx = l1.c & (1u << 28);
    if (!osxsave || !avx) return f;
    const uint64_t xcr0 = xgetbv0();
    const bool ymm_ok = (xcr0 & 0x6) == 0x6;            // SSE + AVX state
    const bool zmm_ok = ymm_ok && (xcr0 & 0xe0) == 0xe0;  // opmask + ZMM halves
    if (!ymm_ok) return f;
    f.fma = l1.c & (1u << 12);
    f.f16c = l1.c & (1u << 29);
    if (max_leaf < 7) return f;
    const Regs l7 = cpuid(7, 0);
    f.avx2 = l7.b & (1u << 5);
    if (l7.a >= 1) f.avxvnni = cpuid(7, 1).a & (1u << 4);
    if (zmm_ok) {
        f.avx512f = l7.b & (1u << 16);
        f.avx512bw = l7.b & (1u << 30);
        f.avx512vl = l7.b & (1u << 31);
        f.avx512vnni = l7.c & (1u << 11);
        if (l7.a >= 1) f.avx512bf16 = cpuid(7, 1).a & (1u << 5);
    }
#endif
    return f;
}

}  // namespace

const CpuFeatures& cpu_features() {
    static const CpuFeatures f = detect();
    return f;
}

}  // namespace glint::kernels
