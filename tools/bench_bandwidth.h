// A quick memory read-bandwidth probe for `glint bench`: the denominator of the
// generation roofline (token generation streams every weight once per token).
#pragma once
#include <cstddef>

namespace glint::cli {

struct Bandwidth {
    double gbps = 0;      // best pass, 1e9 bytes per second
    size_t bytes = 0;     // buffer read per pass
    int threads = 0;
};

// Reads a buffer far larger than the caches with `threads` threads, each
// summing its own slice, `passes` times after one warm-up pass; keeps the best.
Bandwidth measure_read_bandwidth(int threads, size_t bytes = size_t(256) << 20, int passes = 5);

}  // namespace glint::cli
