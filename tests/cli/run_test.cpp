// `glint run` and `glint chat` end to end: exit codes, stdout, stderr.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "cli/run_cli.h"
#include "test_util.h"

namespace glint::test {
namespace {

bool contains(const std::string& hay, const std::string& needle) { return hay.find(needle) != std::string::npos; }

TEST(CliRun, GreedyStoryWithTheBundledModel) {
    auto r = run_glint({"run", "-p", "Once upon a time", "-n", "20", "--temp", "0"});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out.rfind("Once upon a time, there was a little girl named Lily.", 0), 0u) << r.out;
    for (const char* s : {"load time", "prompt", "generation", "tokens/s", "first token"})
        EXPECT_TRUE(contains(r.err, s)) << "timings line '" << s << "' missing from stderr:\n" << r.err;
}

TEST(CliRun, SameSeedSameText) {
    auto a = run_glint({"run", "-p", "Once", "-n", "24", "-s", "7"});
    auto b = run_glint({"run", "-p", "Once", "-n", "24", "-s", "7"});
    ASSERT_EQ(a.code, 0) << a.err;
    EXPECT_EQ(a.out, b.out);
}

TEST(CliRun, PromptFromFileAndNoDisplayPrompt) {
    const std::string path = std::filesystem::temp_directory_path() / "glint-run-prompt.txt";
    std::ofstream(path) << "Once upon a time";
    auto r = run_glint({"run", "-f", path, "-n", "8", "--temp", "0", "--no-display-prompt"});
    std::filesystem::remove(path);
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out.rfind(", there was a little girl", 0), 0u) << r.out;
}

TEST(CliRun, LogitsOutMatchesTheReference) {
    GLINT_REQUIRE_SHARED();
    const std::string path = std::filesystem::temp_directory_path() / "glint-logits.f32";
    auto r = run_glint({"run", "-p", "Once upon a time", "-n", "1", "--temp", "0", "--logits-out", path});
    ASSERT_EQ(r.code, 0) << r.err;
    const std::string got = slurp(path), ref = slurp(shared_path("reference/stories260K-25acc0.logits.f32"));
    std::filesystem::remove(path);
    ASSERT_EQ(got.size(), ref.size());  // [5 positions][512] float32
    const float* g = reinterpret_cast<const float*>(got.data());
    const float* f = reinterpret_cast<const float*>(ref.data());
    double num = 0, den = 0;
    for (size_t i = 0; i < ref.size() / 4; ++i) {
        num += (double(g[i]) - f[i]) * (double(g[i]) - f[i]);
        den += double(f[i]) * f[i];
    }
    EXPECT_LE(num / den, 1e-5);
}

// --no-repack: generation from the mapped file, no packed copies, the same text.
TEST(CliRun, NoRepackGivesTheSameTextWithoutCopies) {
    GLINT_REQUIRE_SHARED();
    const std::string model = shared_path("models/mini-Q4_K_M.gguf");
    auto packed = run_glint({"run", "-m", model, "-p", "Once upon a time", "-n", "16", "--temp", "0", "-v"});
    auto plain = run_glint({"run", "-m", model, "-p", "Once upon a time", "-n", "16", "--temp", "0", "-v", "--no-repack"});
    ASSERT_EQ(packed.code, 0) << packed.err;
    ASSERT_EQ(plain.code, 0) << plain.err;
    EXPECT_EQ(packed.out, plain.out);
    EXPECT_TRUE(contains(plain.err, "packed copies 0.00 MiB")) << plain.err;
    EXPECT_TRUE(contains(packed.err, "packed copies ")) << packed.err;
}

TEST(CliRun, MissingModelIsAClearError) {
    auto r = run_glint({"run", "-m", "/nonexistent/model.gguf", "-p", "hi"});
    EXPECT_EQ(r.code, 1);
    EXPECT_TRUE(contains(r.err, "/nonexistent/model.gguf")) << r.err;
}

TEST(CliRun, DirectoryAsModelIsAClearError) {
    auto r = run_glint({"run", "-m", "/tmp", "-p", "hi"});
    EXPECT_EQ(r.code, 1);
    EXPECT_TRUE(contains(r.err, "/tmp")) << r.err;
}

TEST(CliRun, NotAGgufFileIsAClearError) {
    const std::string path = std::filesystem::temp_directory_path() / "glint-not-gguf.txt";
    std::ofstream(path) << "this is not a model file at all";
    auto r = run_glint({"run", "-m", path, "-p", "hi"});
    std::filesystem::remove(path);
    EXPECT_EQ(r.code, 1);
    EXPECT_TRUE(contains(r.err, "magic")) << r.err;
}

TEST(CliRun, PromptLongerThanContextIsRefused) {
    auto r = run_glint({"run", "-c", "8", "-p", "Once upon a time there was a little girl named Lily"});
    EXPECT_EQ(r.code, 1);
    EXPECT_TRUE(contains(r.err, "longer than the context of 8")) << r.err;
    EXPECT_TRUE(r.out.empty()) << "nothing may be generated from a truncated prompt: " << r.out;
}

TEST(CliRun, PromptPlusNBeyondContextIsRefused) {
    auto r = run_glint({"run", "-c", "32", "-n", "40", "-p", "Once"});
    EXPECT_EQ(r.code, 1);
    EXPECT_TRUE(contains(r.err, "exceeds the context of 32")) << r.err;
}

TEST(CliRun, InvalidSamplingValuesAreUsageErrors) {
    for (std::vector<std::string> args : {std::vector<std::string>{"--top-p", "1.5"}, {"--temp", "-1"},
                                          {"--min-p", "2"}, {"--top-k", "-3"}, {"--repeat-penalty", "0"},
                                          {"-n", "abc"}, {"--kv-type", "q3"}}) {
        args.insert(args.begin(), "run");
        auto r = run_glint(args);
        EXPECT_EQ(r.code, 2) << args[1];
        EXPECT_TRUE(contains(r.err, args[1].substr(args[1].find_first_not_of('-')))) << r.err;
    }
}

TEST(CliRun, UnknownOptionAndBothPromptSources) {
    auto r = run_glint({"run", "--frobnicate"});
    EXPECT_EQ(r.code, 2);
    EXPECT_TRUE(contains(r.err, "--frobnicate"));
    r = run_glint({"run", "-p", "a", "-f", "b"});
    EXPECT_EQ(r.code, 2);
}

TEST(CliRun, HelpListsOptions) {
    auto r = run_glint({"run", "--help"});
    EXPECT_EQ(r.code, 0);
    for (const char* s : {"--temp", "--top-k", "--logits-out", "-ngl", "--seed", "--no-repack"}) EXPECT_TRUE(contains(r.out, s)) << s;
}

TEST(CliChat, PipedTurnsAnswerAndExitAtEndOfInput) {
    auto r = run_glint({"chat", "-n", "16", "--temp", "0", "--system", "You tell stories."},
                       "Once upon a time\nWhat happened next?\n");
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_TRUE(contains(r.err, "no chat template")) << r.err;  // stories260K: ChatML fallback, said so
    EXPECT_GE(std::count(r.out.begin(), r.out.end(), '\n'), 2) << r.out;
    EXPECT_TRUE(contains(r.err, "generation")) << r.err;
}

TEST(CliChat, ContextTooSmallIsAClearError) {
    auto r = run_glint({"chat", "-c", "16", "--temp", "0"}, "Tell me a long story about a dragon and a girl\n");
    EXPECT_EQ(r.code, 1);
    EXPECT_TRUE(contains(r.err, "context")) << r.err;
}

TEST(Cli, UnknownCommand) {
    auto r = run_glint({"frobnicate"});
    EXPECT_EQ(r.code, 2);
    EXPECT_TRUE(contains(r.err, "unknown command 'frobnicate'"));
}

}  // namespace
}  // namespace glint::test
