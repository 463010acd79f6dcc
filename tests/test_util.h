// Shared helpers for tests: where the fixtures are, and skipping without them.
#pragma once
#include <filesystem>
#include <string>

#include <gtest/gtest.h>

namespace glint::test {

inline std::string shared_dir() {
    if (const char* env = std::getenv("GLINT_SHARED_DIR")) return env;
    return GLINT_SHARED_DIR;
}

inline std::string shared_path(const std::string& rel) { return shared_dir() + "/" + rel; }

inline bool have_shared() { return std::filesystem::is_directory(shared_dir() + "/models"); }

}  // namespace glint::test

// Skips the current test with a message naming the missing fixture directory.
#define GLINT_REQUIRE_SHARED()                                                              \
    do {                                                                                    \
        if (!::glint::test::have_shared())                                                  \
            GTEST_SKIP() << "fixtures not found at " << ::glint::test::shared_dir()         \
                         << " (clone next to ../shared or set GLINT_SHARED_DIR)";           \
    } while (0)
