// `glint synth` end to end: deterministic files of the asked shape, weights with
// the stated statistics, a padded vocabulary, presets, and bad options.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <map>

#include <nlohmann/json.hpp>

#include "cli/run_cli.h"
#include "test_util.h"

namespace glint::test {
namespace {

namespace fs = std::filesystem;

constexpr double kWeightStd = 0.02;     // what synth promises for matrices
constexpr double kStdTolerance = 0.05;  // relative, over >= 65536 samples
constexpr double kMeanTolerance = 0.002;

bool contains(const std::string& hay, const std::string& needle) { return hay.find(needle) != std::string::npos; }

struct TmpDir {
    std::string path;
    TmpDir() {
        char tmpl[] = "/tmp/glint-synth-XXXXXX";
        path = mkdtemp(tmpl);
    }
    ~TmpDir() { fs::remove_all(path); }
    std::string operator/(const std::string& f) const { return path + "/" + f; }
};

nlohmann::json inspect(const std::string& path) {
    auto r = run_glint({"inspect", "--json", path});
    EXPECT_EQ(r.code, 0) << r.err;
    return nlohmann::json::parse(r.out);
}

const nlohmann::json* tensor(const nlohmann::json& j, const std::string& name) {
    for (const auto& t : j["tensors"])
        if (t["name"] == name) return &t;
    return nullptr;
}

TEST(CliSynth, SameSeedSameBytesOtherSeedOtherWeights) {
    TmpDir d;
    const std::vector<std::string> dims = {"--n-embd", "128", "--n-layer", "2", "--n-head", "4", "--n-head-kv", "2",
                                           "--n-ff", "256"};
    auto with = [&](std::vector<std::string> a) {
        a.insert(a.end(), dims.begin(), dims.end());
        return a;
    };
    ASSERT_EQ(run_glint(with({"synth", "-o", d / "a.gguf", "-s", "7", "-t", "1"})).code, 0);
    ASSERT_EQ(run_glint(with({"synth", "-o", d / "b.gguf", "-s", "7", "-t", "2"})).code, 0);  // threads do not matter
    ASSERT_EQ(run_glint(with({"synth", "-o", d / "c.gguf", "-s", "8"})).code, 0);
    const std::string a = slurp(d / "a.gguf"), b = slurp(d / "b.gguf"), c = slurp(d / "c.gguf");
    EXPECT_EQ(a, b);
    ASSERT_EQ(a.size(), c.size());
    EXPECT_NE(a, c);
}

TEST(CliSynth, ShapeMetadataAndWeightStatistics) {
    TmpDir d;
    const std::string path = d / "m.gguf";
    auto r = run_glint({"synth", "-o", path, "--type", "f32", "--n-embd", "256", "--n-layer", "2", "--n-head", "8",
                        "--n-head-kv", "2", "--n-ff", "512", "--rope-base", "500000", "--ctx", "1024"});
    ASSERT_EQ(r.code, 0) << r.err;
    const nlohmann::json j = inspect(path);
    const auto& md = j["metadata"];
    auto meta = [&](const std::string& k) -> nlohmann::json {
        for (const auto& kv : md)
            if (kv["key"] == k) return kv["value"];
        return nullptr;
    };
    EXPECT_EQ(meta("general.architecture"), "llama");
    EXPECT_EQ(meta("llama.embedding_length"), 256);
    EXPECT_EQ(meta("llama.block_count"), 2);
    EXPECT_EQ(meta("llama.attention.head_count"), 8);
    EXPECT_EQ(meta("llama.attention.head_count_kv"), 2);
    EXPECT_EQ(meta("llama.feed_forward_length"), 512);
    EXPECT_EQ(meta("llama.context_length"), 1024);
    EXPECT_EQ(meta("tokenizer.ggml.model"), "llama");  // copied from the bundled tokenizer
    EXPECT_EQ(j["tensors"].size(), 2u + 2u * 9u + 1u);

    const auto* k = tensor(j, "blk.1.attn_k.weight");
    ASSERT_TRUE(k);
    EXPECT_EQ((*k)["shape"], nlohmann::json({256, 64}));  // 2 KV heads of 32
    EXPECT_EQ((*k)["type"], "F32");
    const auto* down = tensor(j, "blk.0.ffn_down.weight");
    ASSERT_TRUE(down);
    EXPECT_EQ((*down)["shape"], nlohmann::json({512, 256}));

    // Matrix weights ~ N(0, 0.02); norm weights around 1.
    const std::string file = slurp(path);
    auto stats = [&](const std::string& name, double& mean, double& sd) {
        const auto* t = tensor(j, name);
        ASSERT_TRUE(t) << name;
        const size_t off = size_t(j["data_offset"]) + size_t((*t)["offset"]), n = size_t((*t)["n_elements"]);
        ASSERT_LE(off + 4 * n, file.size());
        double s = 0, s2 = 0;
        for (size_t i = 0; i < n; ++i) {
            float v;
            std::memcpy(&v, file.data() + off + 4 * i, 4);
            s += v;
            s2 += double(v) * v;
        }
        mean = s / double(n);
        sd = std::sqrt(s2 / double(n) - mean * mean);
    };
    double mean = 0, sd = 0;
    stats("blk.0.ffn_up.weight", mean, sd);  // 131072 samples
    EXPECT_NEAR(mean, 0.0, kMeanTolerance);
    EXPECT_NEAR(sd, kWeightStd, kWeightStd * kStdTolerance);
    stats("token_embd.weight", mean, sd);
    EXPECT_NEAR(sd, kWeightStd, kWeightStd * kStdTolerance);
    stats("blk.0.attn_norm.weight", mean, sd);
    EXPECT_NEAR(mean, 1.0, 0.01);

    // The engine loads and runs it.
    r = run_glint({"run", "-m", path, "-p", "Once upon a time", "-n", "4", "--temp", "0"});
    EXPECT_EQ(r.code, 0) << r.err;
}

TEST(CliSynth, VocabularyPaddedToTheAskedSize) {
    TmpDir d;
    const std::string path = d / "v.gguf";
    auto r = run_glint({"synth", "-o", path, "--n-vocab", "700"});
    ASSERT_EQ(r.code, 0) << r.err;
    const nlohmann::json j = inspect(path);
    EXPECT_EQ((*tensor(j, "token_embd.weight"))["shape"], nlohmann::json({256, 700}));
    EXPECT_EQ((*tensor(j, "output.weight"))["shape"], nlohmann::json({256, 700}));
    for (const auto& kv : j["metadata"]) {
        if (kv["key"] == "tokenizer.ggml.tokens" || kv["key"] == "tokenizer.ggml.scores" ||
            kv["key"] == "tokenizer.ggml.token_type") {
            EXPECT_EQ(kv["count"], 700) << kv["key"];
        }
    }
    // Text still tokenizes as with the original 512-token vocabulary.
    auto a = run_glint({"tokenize", "-m", path, "-p", "Once upon a time there was a dog"});
    auto b = run_glint({"tokenize", "-p", "Once upon a time there was a dog"});
    ASSERT_EQ(a.code, 0) << a.err;
    EXPECT_EQ(a.out, b.out);
    r = run_glint({"run", "-m", path, "-p", "Once", "-n", "8", "--temp", "0"});
    EXPECT_EQ(r.code, 0) << r.err;

    r = run_glint({"synth", "-o", d / "small.gguf", "--n-vocab", "100"});
    EXPECT_EQ(r.code, 2);
    EXPECT_TRUE(contains(r.err, "smaller than the tokenizer's 512 tokens")) << r.err;
    EXPECT_FALSE(fs::exists(d / "small.gguf"));
}

TEST(CliSynth, PresetsHaveTheRealShapes) {
    auto r = run_glint({"synth", "--preset", "tinyllama-1.1b", "--dry-run"});
    ASSERT_EQ(r.code, 0) << r.err;
    for (const char* s : {"n_embd 2048", "22 layers", "32 heads", "4 KV heads", "n_ff 5632", "vocab 32000",
                          "separate output", "201 tensors", "1.100 B params"})
        EXPECT_TRUE(contains(r.err, s)) << s << " missing from: " << r.err;
    r = run_glint({"synth", "--preset", "llama-3.2-1b", "--dry-run"});
    ASSERT_EQ(r.code, 0) << r.err;
    for (const char* s : {"n_embd 2048", "16 layers", "8 KV heads", "n_ff 8192", "vocab 128256", "tied embeddings",
                          "146 tensors", "1.236 B params"})
        EXPECT_TRUE(contains(r.err, s)) << s << " missing from: " << r.err;
    // Preset dimensions can be overridden, in any order.
    r = run_glint({"synth", "--n-layer", "1", "--preset", "tinyllama-1.1b", "--dry-run"});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_TRUE(contains(r.err, "1 layers")) << r.err;
}

TEST(CliSynth, BadOptionsAreClearErrors) {
    TmpDir d;
    struct Case {
        std::vector<std::string> args;
        int code;
        std::string msg;
    };
    const std::vector<Case> cases = {
        {{"synth"}, 2, "give the output file with -o"},
        {{"synth", "-o", d / "x.gguf", "--preset", "gpt-5"}, 2, "unknown preset 'gpt-5'"},
        {{"synth", "-o", d / "x.gguf", "--type", "q4_0"}, 2, "--type must be f16 or f32"},
        {{"synth", "-o", d / "x.gguf", "--n-embd", "100", "--n-head", "3"}, 2, "not a multiple of n_head"},
        {{"synth", "-o", d / "x.gguf", "--n-head", "4", "--n-head-kv", "3"}, 2, "not a multiple of n_head_kv"},
        {{"synth", "-o", d / "x.gguf", "--n-layer", "zero"}, 2, "expects an integer"},
        {{"synth", "-o", d / "x.gguf", "--bogus"}, 2, "unknown option '--bogus'"},
        {{"synth", "-o", d / "x.gguf", "--tokenizer", "/nonexistent/tok.gguf"}, 1, "/nonexistent/tok.gguf"},
        {{"synth", "-o", d / "no/dir/x.gguf"}, 1, "no/dir/x.gguf"},
    };
    for (const auto& c : cases) {
        auto r = run_glint(c.args);
        EXPECT_EQ(r.code, c.code) << c.msg << "\n" << r.err;
        EXPECT_TRUE(contains(r.err, c.msg)) << "expected '" << c.msg << "' in: " << r.err;
    }
    EXPECT_TRUE(fs::is_empty(d.path)) << "a failed synth left a file";
}

// Stopped while writing (SIGTERM, as Ctrl-C is SIGINT): exit 130 and no file,
// neither the output nor the temporary one.
TEST(CliSynth, InterruptedWriteLeavesNoFile) {
    TmpDir d;
    const std::string out = d / "big.gguf";
    const pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        const int devnull = open("/dev/null", O_WRONLY);
        dup2(devnull, 1);
        dup2(devnull, 2);
        execl(GLINT_BIN, GLINT_BIN, "synth", "--preset", "tinyllama-1.1b", "--n-layer", "8", "-o", out.c_str(),
              (char*)nullptr);
        _exit(127);
    }
    // Wait until the temporary file exists, i.e. writing has begun.
    bool started = false;
    for (int i = 0; i < 400 && !started; ++i) {
        usleep(25000);
        started = !fs::is_empty(d.path);
    }
    kill(pid, SIGTERM);
    int st = 0;
    ASSERT_EQ(waitpid(pid, &st, 0), pid);
    ASSERT_TRUE(started) << "synth never started writing";
    ASSERT_TRUE(WIFEXITED(st)) << "killed by signal " << WTERMSIG(st);
    EXPECT_EQ(WEXITSTATUS(st), 130);
    EXPECT_TRUE(fs::is_empty(d.path)) << "a file was left behind";
}

}  // namespace
}  // namespace glint::test
