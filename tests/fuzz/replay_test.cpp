// Replays the committed corpora of the harness-based fuzz targets (tokenizer,
// chat, cli) through the same checks the fuzzers run, so every saved input,
// reproducers included, stays a regression test in every build.
#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

#include <gtest/gtest.h>

#include "tests/fuzz/harness.h"
#include "tests/test_util.h"

namespace fs = std::filesystem;

namespace {

// Runs `one` over every file of corpus/<name>; returns how many there were.
template <class F>
size_t replay(const std::string& name, F one) {
    const fs::path dir = fs::path(GLINT_FUZZ_CORPUS_ROOT) / name;
    EXPECT_TRUE(fs::is_directory(dir)) << dir;
    if (!fs::is_directory(dir)) return 0;
    size_t n = 0;
    for (const auto& e : fs::directory_iterator(dir)) {
        if (!e.is_regular_file()) continue;
        std::ifstream in(e.path(), std::ios::binary);
        const std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), {});
        EXPECT_EQ(one(bytes.data(), bytes.size()), "") << e.path();
        ++n;
    }
    return n;
}

}  // namespace

TEST(FuzzCorpus, TokenizerInputs) {
    GLINT_REQUIRE_SHARED();
    EXPECT_EQ(glint::fuzz::tokenizer_count(), 19u);
    EXPECT_GE(replay("tokenizer", glint::fuzz::tokenizer_one), 20u);
}

TEST(FuzzCorpus, ChatTemplateInputs) { EXPECT_GE(replay("chat", glint::fuzz::chat_one), 20u); }

TEST(FuzzCorpus, CliInputs) { EXPECT_GE(replay("cli", glint::fuzz::cli_one), 20u); }
