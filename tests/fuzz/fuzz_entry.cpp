// libFuzzer entry point shared by the harness-based targets: the build picks
// the check with GLINT_FUZZ_ONE (see tests/fuzz/CMakeLists.txt). A failed
// check aborts, so libFuzzer saves the input as a crash.
#include <cstdio>
#include <cstdlib>

#include "tests/fuzz/harness.h"

// Expensive setup (loading vocabularies) runs before the first input, so it
// does not count against the per-input timeout.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
#ifdef GLINT_FUZZ_INIT
    (void)GLINT_FUZZ_INIT();
#endif
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string bug = GLINT_FUZZ_ONE(data, size);
    if (!bug.empty()) {
        std::fprintf(stderr, "fuzz check failed: %s\n", bug.c_str());
        std::abort();
    }
    return 0;
}
