// `glint tokenize` end to end: output format, flags, errors.
#include <gtest/gtest.h>

#include <vector>

#include "cli/run_cli.h"
#include "test_util.h"

using glint::test::run_glint;

namespace {

std::string stories() { return glint::test::shared_path("models/stories260K.gguf"); }

TEST(CliTokenize, PrintsIdsWithBos) {
    GLINT_REQUIRE_SHARED();
    auto r = run_glint({"tokenize", "-m", stories(), "-p", "Once upon a time"});
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, "1 403 407 261 378\n");
    EXPECT_EQ(r.err, "");
}

TEST(CliTokenize, NoBos) {
    GLINT_REQUIRE_SHARED();
    auto r = run_glint({"tokenize", "-m", stories(), "-p", "Once upon a time", "--no-bos"});
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, "403 407 261 378\n");
}

TEST(CliTokenize, EmptyPromptIsJustBos) {
    GLINT_REQUIRE_SHARED();
    auto r = run_glint({"tokenize", "-m", stories(), "-p", ""});
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, "1\n");
}

TEST(CliTokenize, Pieces) {
    GLINT_REQUIRE_SHARED();
    auto r = run_glint({"tokenize", "-m", stories(), "-p", "Once\n", "--pieces"});
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, "1:'<s>' 403:' Once' 13:'\\n'\n");
}

TEST(CliTokenize, PiecesEscapeBrokenUtf8) {
    GLINT_REQUIRE_SHARED();
    // no CJK in this vocabulary: byte fallback, one byte per token
    auto r = run_glint({"tokenize", "-m", stories(), "-p", "猫", "--pieces", "--no-bos"});
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, "410:' ' 234:'\\xE7' 143:'\\x8C' 174:'\\xAB'\n");
}

TEST(CliTokenize, ParseSpecial) {
    GLINT_REQUIRE_SHARED();
    auto plain = run_glint({"tokenize", "-m", stories(), "-p", "Hi</s>", "--no-bos"});
    auto parsed = run_glint({"tokenize", "-m", stories(), "-p", "Hi</s>", "--no-bos", "--parse-special"});
    EXPECT_EQ(plain.code, 0);
    EXPECT_EQ(parsed.code, 0);
    EXPECT_NE(plain.out.substr(plain.out.size() - 3), " 2\n");
    EXPECT_EQ(parsed.out.substr(parsed.out.size() - 3), " 2\n");
}

TEST(CliTokenize, ReadsTextFromFile) {
    GLINT_REQUIRE_SHARED();
    char tmpl[] = "/tmp/glint-tok-XXXXXX";
    int fd = mkstemp(tmpl);
    ASSERT_GE(fd, 0);
    const std::string text = "Once upon a time";
    ASSERT_EQ(write(fd, text.data(), text.size()), ssize_t(text.size()));
    close(fd);
    auto r = run_glint({"tokenize", "-m", stories(), "-f", tmpl, "--stats"});
    std::remove(tmpl);
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, "1 403 407 261 378\n");
    EXPECT_NE(r.err.find("5 tokens from 16 bytes"), std::string::npos) << r.err;
}

TEST(CliTokenize, VocabOnlyBpeFile) {
    GLINT_REQUIRE_SHARED();
    auto r = run_glint({"tokenize", "-m", glint::test::shared_path("vocab/ggml-vocab-gpt-2.gguf"), "-p",
                        "Hello world"});
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, "15496 995\n");
}

TEST(CliTokenize, DefaultModelIsTheBundledOne) {
    auto r = run_glint({"tokenize", "-p", "Once upon a time"});
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, "1 403 407 261 378\n");
}

TEST(CliTokenize, MissingModelIsAnError) {
    auto r = run_glint({"tokenize", "-m", "/nonexistent/model.gguf", "-p", "hi"});
    EXPECT_EQ(r.code, 1);
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(r.err.rfind("glint tokenize: ", 0), 0u) << r.err;
    EXPECT_NE(r.err.find("/nonexistent/model.gguf"), std::string::npos) << r.err;
}

TEST(CliTokenize, NotATokenizerFileIsAnError) {
    GLINT_REQUIRE_SHARED();
    auto r = run_glint({"tokenize", "-m", glint::test::shared_path("reference/mini-F16-dog.json"), "-p", "hi"});
    EXPECT_EQ(r.code, 1);
    EXPECT_EQ(r.err.rfind("glint tokenize: ", 0), 0u) << r.err;
}

TEST(CliTokenize, BadFlagShowsUsage) {
    auto r = run_glint({"tokenize", "--bogus", "-p", "hi"});
    EXPECT_EQ(r.code, 2);
    EXPECT_EQ(r.out, "");
    EXPECT_NE(r.err.find("'--bogus'"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("usage: glint tokenize"), std::string::npos) << r.err;

    auto missing_value = run_glint({"tokenize", "-p"});
    EXPECT_EQ(missing_value.code, 2);
    auto no_text = run_glint({"tokenize"});
    EXPECT_EQ(no_text.code, 2);
    EXPECT_NE(no_text.err.find("no text"), std::string::npos) << no_text.err;
}

TEST(CliTokenize, Help) {
    auto r = run_glint({"tokenize", "--help"});
    EXPECT_EQ(r.code, 0);
    EXPECT_NE(r.out.find("usage: glint tokenize"), std::string::npos);
    EXPECT_NE(r.out.find("--parse-special"), std::string::npos);
}

}  // namespace
