// The 8- and 16-row GEMVs stream each row of their group over a chunk of a few
// blocks before moving to the next row (long runs for the hardware prefetchers);
// a row's next chunk is fetched into L1 while the group's other rows run.
// Included only by ISA translation units; internal linkage (see the rule in
// kernels/avx2/avx2.h).
#pragma once
#include <immintrin.h>

#include <cstddef>

namespace glint::kernels {
namespace {

inline void prefetch_chunk(const void* p, size_t bytes) {
    const char* c = static_cast<const char*>(p);
    for (size_t o = 0; o < bytes; o += 64) _mm_prefetch(c + o, _MM_HINT_T0);
}

}  // namespace
}  // namespace glint::kernels
