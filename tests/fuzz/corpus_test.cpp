// Replays the fuzz seed corpus (and any crash inputs saved next to it) through
// the reader, so every file there stays a regression test without libFuzzer.
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "gguf/gguf.h"

namespace fs = std::filesystem;

TEST(GgufFuzzCorpus, EveryFileParsesOrFailsCleanly) {
    fs::path dir = GLINT_FUZZ_CORPUS;
    ASSERT_TRUE(fs::is_directory(dir)) << dir;
    size_t n = 0, valid = 0;
    for (const auto& e : fs::directory_iterator(dir)) {
        if (!e.is_regular_file()) continue;
        SCOPED_TRACE(e.path().string());
        std::ifstream in(e.path(), std::ios::binary);
        std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), {});
        bool expect_valid = e.path().filename().string().rfind("valid_", 0) == 0;
        try {
            glint::gguf::File f = glint::gguf::File::from_memory(bytes.data(), bytes.size(), e.path().filename());
            for (const auto& kv : f.metadata()) (void)kv.value.to_display();
            ++valid;
        } catch (const glint::Error& err) {
            EXPECT_FALSE(expect_valid) << err.what();
        }
        ++n;
    }
    EXPECT_GE(n, 4u);
    EXPECT_GE(valid, 4u);
}
