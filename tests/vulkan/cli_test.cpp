// `glint devices` and `glint run -ngl` end to end.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace glint::test {
namespace {

struct CliResult {
    int code = -1;
    std::string out, err;
};

std::string quote(const std::string& s) {
    std::string q = "'";
    for (char c : s) q.append(c == '\'' ? "'\\''" : std::string(1, c));
    return q.append("'");
}

std::string slurp(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

// Runs the binary with `env` (VAR=value ...) in front; strings are built with
// append because GCC 12 warns falsely (-Wrestrict) on operator+ here.
CliResult run_with_env(const std::string& env, const std::vector<std::string>& args) {
    char tmpl[] = "/tmp/glint-vkcli-XXXXXX";
    const std::string dir = mkdtemp(tmpl);
    const std::string out = std::string(dir).append("/out"), err = std::string(dir).append("/err");
    std::string cmd(env);
    cmd.append(" ").append(quote(GLINT_BIN));
    for (const auto& a : args) cmd.append(" ").append(quote(a));
    cmd.append(" </dev/null >").append(out).append(" 2>").append(err);
    const int st = std::system(cmd.c_str());
    CliResult r;
    r.code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    r.out = slurp(out);
    r.err = slurp(err);
    std::remove(out.c_str());
    std::remove(err.c_str());
    rmdir(dir.c_str());
    return r;
}

CliResult run_glint(const std::vector<std::string>& args) { return run_with_env("", args); }

// Whether `glint devices` finds a device to offload to (why not in `why`).
bool have_device(std::string& why) {
    const CliResult r = run_glint({"devices"});
    why = r.err;
    return r.code == 0;
}

#define REQUIRE_DEVICE()                                                           \
    do {                                                                           \
        std::string why_;                                                          \
        if (!have_device(why_)) GTEST_SKIP() << "no usable Vulkan device: " << why_; \
    } while (0)

const std::vector<std::string> kGreedy = {"run", "-p", "Once upon a time", "-n", "24", "--temp", "0", "-t", "2"};

std::vector<std::string> with(std::vector<std::string> a, const std::vector<std::string>& more) {
    a.insert(a.end(), more.begin(), more.end());
    return a;
}

TEST(VulkanCli, DevicesMarksTheDeviceOffloadUses) {
    REQUIRE_DEVICE();
    const CliResult r = run_glint({"devices"});
    EXPECT_EQ(r.code, 0);
    EXPECT_TRUE(r.out.rfind("* ", 0) == 0 || r.out.find("\n* ") != std::string::npos) << r.out;
    EXPECT_NE(r.out.find("Vulkan 1."), std::string::npos) << r.out;
    const CliResult bad = run_glint({"devices", "--frobnicate"});
    EXPECT_EQ(bad.code, 2);
}

TEST(VulkanCli, OffloadedGreedyTextEqualsTheCpuText) {
    REQUIRE_DEVICE();
    const CliResult cpu = run_glint(kGreedy);
    ASSERT_EQ(cpu.code, 0) << cpu.err;
    for (const char* ngl : {"999", "2"}) {
        const CliResult gpu = run_glint(with(kGreedy, {"-ngl", ngl, "--verbose"}));
        ASSERT_EQ(gpu.code, 0) << gpu.err;
        EXPECT_EQ(gpu.out, cpu.out) << "-ngl " << ngl;
        EXPECT_NE(gpu.err.find(std::string(ngl) == "999" ? "5 of 5 layers and the output head on" : "2 of 5 layers on"),
                  std::string::npos)
            << gpu.err;
        EXPECT_NE(gpu.err.find("ms GPU time"), std::string::npos) << gpu.err;
    }
}

TEST(VulkanCli, BadLayerCountsAndDeviceIndicesAreClearErrors) {
    const CliResult r = run_glint(with(kGreedy, {"-ngl", "6"}));
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("n_gpu_layers 6 is more than the model's 5 layers"), std::string::npos) << r.err;
    REQUIRE_DEVICE();
    const CliResult d = run_with_env("GLINT_VK_DEVICE=77", with(kGreedy, {"-ngl", "999"}));
    EXPECT_EQ(d.code, 1);
    EXPECT_NE(d.err.find("GLINT_VK_DEVICE=77 does not name a device"), std::string::npos) << d.err;
}

TEST(VulkanCli, WithoutADriverTheCpuRunsAndSaysSo) {
    const CliResult cpu = run_glint(kGreedy);
    const CliResult r =
        run_with_env("VK_ICD_FILENAMES=/nonexistent.json VK_DRIVER_FILES=/nonexistent.json", with(kGreedy, {"-ngl", "999"}));
    EXPECT_EQ(r.code, 0);
    EXPECT_NE(r.err.find("GPU offload unavailable, running on the CPU"), std::string::npos) << r.err;
    EXPECT_EQ(r.out, cpu.out);
}

}  // namespace
}  // namespace glint::test
