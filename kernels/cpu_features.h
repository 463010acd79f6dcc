// What this CPU and OS support, from CPUID and XGETBV (the OS must have enabled
// the AVX / AVX-512 register state, not just the CPU advertise it). The per-ISA
// kernel sets check these before they are offered.
#pragma once

namespace glint::kernels {

struct CpuFeatures {
    bool avx2 = false;  // with FMA and F16C, all usable (OS saves YMM state)
    bool fma = false;
    bool f16c = false;
    bool avx512f = false;  // usable: OS saves ZMM/opmask state
    bool avx512bw = false;
    bool avx512vl = false;
    bool avx512vnni = false;
    bool avx512bf16 = false;
    bool avxvnni = false;  // VEX-encoded VNNI (256-bit), usable with YMM state
    char brand[49] = {};   // CPUID brand string, spaces trimmed; empty where there is none

    bool has_avx2_set() const { return avx2 && fma && f16c; }
    bool has_avx512_set() const { return has_avx2_set() && avx512f && avx512bw && avx512vl; }
};

// Detected once; all false on non-x86 builds.
const CpuFeatures& cpu_features();

}  // namespace glint::kernels
