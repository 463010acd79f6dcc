// CLI error paths end to end: what the user sees on stderr, exactly, and the
// exit code (1: the run failed, 2: a usage mistake), for bad model files, bad
// prompts and bad options.
#include <algorithm>
#include <cstdlib>

#include <gtest/gtest.h>

#include "tests/cli/run_cli.h"
#include "tests/robustness/bad_models.h"

namespace glint::test {
namespace {

TEST(CliErrors, BadModelFilesAreNamedWithTheReadersMessage) {
    ScratchDir dir;
    for (const BadModel& b : make_bad_models(dir.path)) {
        SCOPED_TRACE(b.what);
        const CliResult r = run_glint({"run", "-m", b.path, "-p", "hi", "-n", "4"});
        EXPECT_EQ(r.code, 1);
        EXPECT_EQ(r.err, "glint run: " + b.message + "\n");
        EXPECT_EQ(r.out, "");
    }
}

TEST(CliErrors, TokenizeAndInspectNameBadFilesToo) {
    ScratchDir dir;
    for (const BadModel& b : make_bad_models(dir.path)) {
        if (b.status == GLINT_ERR_UNSUPPORTED) continue;  // valid files: only the model loader refuses them
        SCOPED_TRACE(b.what);
        CliResult r = run_glint({"tokenize", "-m", b.path, "-p", "hi"});
        EXPECT_EQ(r.code, 1);
        EXPECT_EQ(r.err, "glint tokenize: " + b.message + "\n");
        r = run_glint({"inspect", b.path});
        EXPECT_EQ(r.code, 1);
        EXPECT_EQ(r.err, "glint inspect: " + b.message + "\n");
    }
}

int count_tokens(const std::string& text) {
    const CliResult r = run_glint({"tokenize", "-p", text});
    EXPECT_EQ(r.code, 0) << r.err;
    return int(std::count(r.out.begin(), r.out.end(), ' ')) + 1;
}

TEST(CliErrors, PromptLongerThanTheContextIsRefusedNotTruncated) {
    const std::string prompt = "Once upon a time there was a little girl named Lily who loved flowers";
    const int n = count_tokens(prompt);
    ASSERT_GT(n, 8);
    const CliResult r = run_glint({"run", "-c", "8", "-p", prompt});
    EXPECT_EQ(r.code, 1);
    EXPECT_EQ(r.err, "glint run: the prompt is " + std::to_string(n) +
                         " tokens, longer than the context of 8 (raise -c)\n");
    EXPECT_EQ(r.out, "");
}

bool valid_utf8(const std::string& s) {
    for (size_t i = 0; i < s.size();) {
        const unsigned char c = s[i];
        const size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
        if (!n || i + n > s.size()) return false;
        for (size_t k = 1; k < n; ++k)
            if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
        i += n;
    }
    return true;
}

// Defined behaviour: a prompt is bytes. Invalid UTF-8 is tokenized byte by
// byte (SentencePiece byte tokens) and generation goes on; the prompt is
// echoed as given and the generated text is valid UTF-8.
TEST(CliErrors, InvalidUtf8PromptIsTokenizedByteByByte) {
    const std::string prompt = "Once \xff\xfe upon \xc3( a time\xed\xa0\x80";
    CliResult r = run_glint({"run", "-p", prompt, "-n", "24", "--temp", "0"});
    ASSERT_EQ(r.code, 0) << r.err;
    ASSERT_EQ(r.out.substr(0, prompt.size()), prompt);
    EXPECT_TRUE(valid_utf8(r.out.substr(prompt.size()))) << r.out;
    EXPECT_GT(r.out.size(), prompt.size() + 10);

    r = run_glint({"tokenize", "-p", "a\xff", "--pieces"});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, "1:'<s>' 261:' a' 258:'\\xFF'\n");

    r = run_glint({"chat", "-n", "8", "--temp", "0"}, "Hello \xff\xfe there\n\xc3\n");
    EXPECT_EQ(r.code, 0) << r.err;
}

TEST(CliErrors, OutOfRangeOptionsAreUsageErrorsNamingTheValue) {
    const std::string help = "Run 'glint run --help' for the options.\n";
    const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
        {{"--top-p", "1.5"}, "top-p must be in (0, 1], got 1.500000"},
        {{"--min-p", "-0.1"}, "min-p must be in [0, 1], got -0.100000"},
        {{"--temp", "-1"}, "temperature must be >= 0, got -1.000000"},
        {{"--temp", "nan"}, "option --temp expects a number, got 'nan'"},
        {{"--temp", "1e999"}, "option --temp expects a number, got '1e999'"},
        {{"--top-k", "-3"}, "option --top-k must be between 0 and 2147483647, got -3"},
        {{"--repeat-penalty", "0"}, "repeat-penalty must be > 0, got 0.000000"},
        {{"--repeat-last-n", "-1"}, "option --repeat-last-n must be between 0 and 2147483647, got -1"},
        {{"-s", "-1"}, "option -s must be between 0 and 4294967295, got -1"},
        {{"-n", "-2"}, "option -n must be between -1 and 2147483647, got -2"},
        {{"-c", "99999999999"}, "option -c must be between 0 and 2147483647, got 99999999999"},
        {{"-t", "0"}, "option -t must be between 1 and 1024, got 0"},
        {{"-ngl", "-5"}, "option -ngl must be between 0 and 2147483647, got -5"},
        {{"--kv-type", "q4"}, "--kv-type must be f16, f32 or q8_0, got 'q4'"},
        {{"-b"}, "option -b needs a value"},
    };
    for (const auto& [args, msg] : cases) {
        std::vector<std::string> a = {"run"};
        a.insert(a.end(), args.begin(), args.end());
        const CliResult r = run_glint(a);
        EXPECT_EQ(r.code, 2) << args[0];
        EXPECT_EQ(r.err, "glint run: " + msg + "\n" + help);
    }
}

TEST(CliErrors, GpuLayersBeyondTheModelAreRefused) {
    const CliResult r = run_glint({"run", "-ngl", "6", "-p", "Once", "-n", "4"});
    EXPECT_EQ(r.code, 1);
    EXPECT_EQ(r.err, "glint run: n_gpu_layers 6 is more than the model's 5 layers (use -1 or 999 for all)\n");
    EXPECT_EQ(r.out, "");
}

// Vulkan asked for (-ngl) where no driver can be found, or in a build without
// the backend: the run goes on on the CPU, says why once, and prints the same text.
TEST(CliErrors, VulkanRequestedButUnavailableRunsOnTheCpuAndSaysSo) {
    const std::vector<std::string> args = {"run", "-p", "Once upon a time", "-n", "12", "--temp", "0"};
    const CliResult cpu = run_glint(args);
    ASSERT_EQ(cpu.code, 0) << cpu.err;
    std::vector<std::string> gpu = args;
    gpu.insert(gpu.end(), {"-ngl", "999"});
    setenv("VK_ICD_FILENAMES", "/nonexistent/icd.json", 1);
    setenv("VK_DRIVER_FILES", "/nonexistent/icd.json", 1);
    const CliResult r = run_glint(gpu);
    unsetenv("VK_ICD_FILENAMES");
    unsetenv("VK_DRIVER_FILES");
    EXPECT_EQ(r.code, 0) << r.err;
    const std::string first = r.err.substr(0, r.err.find('\n'));
    EXPECT_EQ(first.rfind("glint: GPU offload unavailable, running on the CPU: ", 0), 0u) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n') - std::count(cpu.err.begin(), cpu.err.end(), '\n'), 1)
        << "exactly one extra line: " << r.err;
    EXPECT_EQ(r.out, cpu.out);
}

// A full disk while `glint quantize` writes: simulated with a 64 KiB file-size
// limit (bash ulimit -f; SIGXFSZ ignored so write() fails with EFBIG the way a
// full disk fails with ENOSPC). The error names the file and nothing is left.
TEST(CliErrors, QuantizeOntoAFullDiskLeavesNoPartialFile) {
    ScratchDir dir;
    const std::string out = dir.path + "/stories-q8.gguf";
    const std::string cmd = "bash -c " + shell_quote("trap '' XFSZ; ulimit -f 64; exec " + shell_quote(GLINT_BIN) +
                                                     " quantize " + shell_quote(bundled_model()) + " " +
                                                     shell_quote(out) + " Q8_0") +
                            " >" + dir.path + "/stdout 2>" + dir.path + "/stderr";
    const int st = std::system(cmd.c_str());
    ASSERT_TRUE(WIFEXITED(st)) << "killed by signal " << WTERMSIG(st);
    EXPECT_EQ(WEXITSTATUS(st), 1);
    // progress lines come first; the error is the last line
    const std::string err = slurp(dir.path + "/stderr");
    const size_t last = err.rfind('\n', err.size() - 2);
    EXPECT_EQ(err.substr(last == std::string::npos ? 0 : last + 1),
              "glint quantize: " + out + ": cannot write: File too large\n")
        << err;
    std::vector<std::string> left;
    for (const auto& e : std::filesystem::directory_iterator(dir.path))
        if (e.path().filename() != "stdout" && e.path().filename() != "stderr") left.push_back(e.path().string());
    EXPECT_TRUE(left.empty()) << "left behind: " << left.front();

    // the same command without the limit succeeds, so the limit was what failed it
    const CliResult r = run_glint({"quantize", bundled_model(), out, "Q8_0"});
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_GT(std::filesystem::file_size(out), 64u << 10);
}

}  // namespace
}  // namespace glint::test
