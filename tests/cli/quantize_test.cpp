// `glint quantize` end to end: files quantized from the shared F16 model match the
// reference engine's own quantized files (tensor types, block bytes) and give its
// logits; the mixes, fallbacks and error paths.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>

#include <nlohmann/json.hpp>

#include "cli/run_cli.h"
#include "engine/reference.h"
#include "test_util.h"

namespace glint::test {
namespace {

namespace fs = std::filesystem;

// Logits of our quantized file against the reference's logits for its own
// quantized file: identical blocks leave only the engines' arithmetic
// differences (~3e-4 worst case on mini, see README).
constexpr double kMaxLogitNmse = 1e-3;
// Share of quantized blocks byte-identical to the reference file's. The
// algorithm is the reference's; a compiler that contracts to FMA may break
// a rare rounding tie differently.
constexpr double kMinIdenticalBlocks = 0.999;

bool contains(const std::string& hay, const std::string& needle) { return hay.find(needle) != std::string::npos; }

std::string default_in() { return std::string(GLINT_SOURCE_DIR) + "/tools/models/stories260K.gguf"; }

struct TmpDir {
    std::string path;
    TmpDir() {
        char tmpl[] = "/tmp/glint-quantize-XXXXXX";
        path = mkdtemp(tmpl);
    }
    ~TmpDir() { fs::remove_all(path); }
    std::string operator/(const std::string& f) const { return path + "/" + f; }
};

struct TensorBytes {
    std::string type;
    std::vector<int64_t> shape;
    std::string data;
};

// Tensor name -> type, shape and raw bytes, read through `glint inspect --json`.
std::map<std::string, TensorBytes> read_tensors(const std::string& path) {
    auto r = run_glint({"inspect", "--json", path});
    EXPECT_EQ(r.code, 0) << r.err;
    const nlohmann::json j = nlohmann::json::parse(r.out);
    const std::string file = slurp(path);
    std::map<std::string, TensorBytes> out;
    const size_t base = j["data_offset"];
    for (const auto& t : j["tensors"]) {
        const size_t off = base + size_t(t["offset"]), n = t["bytes"];
        out[t["name"]] = {t["type"], t["shape"].get<std::vector<int64_t>>(),
                          off + n <= file.size() ? file.substr(off, n) : std::string()};
    }
    return out;
}

size_t block_bytes(const std::string& type) {
    static const std::map<std::string, size_t> kSizes = {{"F32", 4},     {"F16", 2},     {"Q4_0", 18}, {"Q8_0", 34},
                                                          {"Q4_K", 144}, {"Q5_K", 176}, {"Q6_K", 210}};
    auto it = kSizes.find(type);
    return it == kSizes.end() ? 1 : it->second;
}

class QuantizeMini : public ::testing::TestWithParam<std::string> {};

TEST_P(QuantizeMini, MatchesTheReferenceQuantizer) {
    GLINT_REQUIRE_SHARED();
    const std::string type = GetParam();
    TmpDir dir;
    const std::string out = dir / ("mini-" + type + ".gguf");
    auto q = run_glint({"quantize", shared_path("models/mini-F16.gguf"), out, type});
    ASSERT_EQ(q.code, 0) << q.err;
    EXPECT_TRUE(contains(q.err, "[21/21]")) << "no per-tensor progress:\n" << q.err;
    EXPECT_TRUE(contains(q.err, "blk.1.ffn_down.weight")) << q.err;

    // Same tensor types as the reference's file, and (nearly) the same bytes.
    const auto ours = read_tensors(out), ref = read_tensors(shared_path("models/mini-" + type + ".gguf"));
    ASSERT_EQ(ours.size(), ref.size());
    size_t blocks = 0, same = 0;
    for (const auto& [name, r] : ref) {
        auto it = ours.find(name);
        ASSERT_NE(it, ours.end()) << name << " missing";
        EXPECT_EQ(it->second.type, r.type) << name;
        EXPECT_EQ(it->second.shape, r.shape) << name;
        if (it->second.type != r.type || it->second.data.size() != r.data.size()) continue;
        const size_t bs = block_bytes(r.type);
        for (size_t i = 0; i + bs <= r.data.size(); i += bs, ++blocks)
            same += r.data.compare(i, bs, it->second.data, i, bs) == 0;
    }
    ASSERT_GT(blocks, 0u);
    const double share = double(same) / double(blocks);
    std::printf("%s: %zu of %zu blocks identical to the reference's file (%.6f)\n", type.c_str(), same, blocks, share);
    EXPECT_GE(share, kMinIdenticalBlocks);

    // Logits through the engine (glint run) against the reference's logits of its own file.
    for (const char* tag : {"dog", "sun"}) {
        const RefCase c = load_reference("mini-" + type + "-" + tag);
        const std::string lpath = dir / (std::string(tag) + ".f32");
        auto r = run_glint({"run", "-m", out, "-p", c.prompt, "-n", "0", "--temp", "0", "--no-display-prompt",
                            "--logits-out", lpath});
        ASSERT_EQ(r.code, 0) << r.err;
        const std::string got = slurp(lpath);
        ASSERT_EQ(got.size(), c.logits.size() * sizeof(float)) << "prompt tokenized differently";
        const float* g = reinterpret_cast<const float*>(got.data());
        double worst = 0;
        for (int p = 0; p < c.n_pos; ++p) {
            const size_t o = size_t(p) * size_t(c.n_vocab);
            worst = std::max(worst, nmse(g + o, c.logits.data() + o, size_t(c.n_vocab)));
        }
        std::printf("%s %s: worst position NMSE %.3g (bound %.0e)\n", type.c_str(), tag, worst, kMaxLogitNmse);
        EXPECT_LE(worst, kMaxLogitNmse) << type << " " << tag;
    }
}

INSTANTIATE_TEST_SUITE_P(Types, QuantizeMini, ::testing::Values("Q4_0", "Q8_0", "Q4_K_M", "Q5_K_M", "Q6_K"));

TEST(CliQuantize, TiedEmbeddingsAndFallbacks) {
    TmpDir dir;
    // Tied: token_embd is the output, so it gets the output's Q6_K. n_embd 160 and
    // n_ff 320 are not multiples of 256: those matrices fall back to Q8_0.
    auto s = run_glint({"synth", "-o", dir / "tied.gguf", "--n-embd", "160", "--n-head", "5", "--n-head-kv", "5",
                        "--n-ff", "320", "--n-layer", "1", "--tied"});
    ASSERT_EQ(s.code, 0) << s.err;
    auto q = run_glint({"quantize", dir / "tied.gguf", dir / "tied-q.gguf", "q4_k_m"});
    ASSERT_EQ(q.code, 0) << q.err;
    EXPECT_TRUE(contains(q.err, "fallback")) << q.err;
    auto t = read_tensors(dir / "tied-q.gguf");
    EXPECT_EQ(t["token_embd.weight"].type, "Q8_0");  // Q6_K wanted, 160 columns: Q8_0
    EXPECT_EQ(t["blk.0.attn_q.weight"].type, "Q8_0");
    EXPECT_EQ(t["blk.0.attn_norm.weight"].type, "F32");
    EXPECT_EQ(t.count("output.weight"), 0u);

    s = run_glint({"synth", "-o", dir / "tied256.gguf", "--n-embd", "256", "--n-layer", "1", "--tied"});
    ASSERT_EQ(s.code, 0) << s.err;
    q = run_glint({"quantize", dir / "tied256.gguf", dir / "tied256-q.gguf", "Q5_K_M"});
    ASSERT_EQ(q.code, 0) << q.err;
    t = read_tensors(dir / "tied256-q.gguf");
    EXPECT_EQ(t["token_embd.weight"].type, "Q6_K");
    EXPECT_EQ(t["blk.0.attn_q.weight"].type, "Q5_K");
    EXPECT_EQ(t["blk.0.attn_v.weight"].type, "Q6_K");  // one layer: it is the first eighth
    auto r = run_glint({"run", "-m", dir / "tied256-q.gguf", "-p", "Once", "-n", "4", "--temp", "0"});
    EXPECT_EQ(r.code, 0) << r.err;

    q = run_glint({"quantize", "--pure", dir / "tied256.gguf", dir / "pure.gguf", "Q4_K_M"});
    ASSERT_EQ(q.code, 0) << q.err;
    t = read_tensors(dir / "pure.gguf");
    EXPECT_EQ(t["token_embd.weight"].type, "Q4_K");
    EXPECT_EQ(t["blk.0.attn_v.weight"].type, "Q4_K");
}

TEST(CliQuantize, BadInputIsAClearError) {
    TmpDir dir;
    auto r = run_glint({"quantize", "/nonexistent/in.gguf", dir / "o.gguf", "Q8_0"});
    EXPECT_EQ(r.code, 1);
    EXPECT_TRUE(contains(r.err, "/nonexistent/in.gguf")) << r.err;

    r = run_glint({"quantize", default_in(), dir / "o.gguf", "Q3_K_S"});
    EXPECT_EQ(r.code, 2);
    EXPECT_TRUE(contains(r.err, "unknown type 'Q3_K_S'")) << r.err;

    r = run_glint({"quantize", default_in(), dir / "o.gguf"});
    EXPECT_EQ(r.code, 2);
    EXPECT_TRUE(contains(r.err, "expected in.gguf out.gguf TYPE")) << r.err;

    r = run_glint({"quantize", "--frobnicate", default_in(), dir / "o.gguf", "Q8_0"});
    EXPECT_EQ(r.code, 2);
    EXPECT_TRUE(contains(r.err, "--frobnicate")) << r.err;

    // An unwritable destination: error, and nothing (no temporary file) left behind.
    r = run_glint({"quantize", default_in(), dir / "no/such/dir/o.gguf", "Q8_0"});
    EXPECT_EQ(r.code, 1);
    EXPECT_TRUE(contains(r.err, "no/such/dir")) << r.err;
    EXPECT_TRUE(fs::is_empty(dir.path));

    r = run_glint({"quantize", "--help"});
    EXPECT_EQ(r.code, 0);
    EXPECT_TRUE(contains(r.out, "Q4_K_M")) << r.out;
}

TEST(CliQuantize, AlreadyQuantizedInputIsRefused) {
    GLINT_REQUIRE_SHARED();
    TmpDir dir;
    auto r = run_glint({"quantize", shared_path("models/mini-Q8_0.gguf"), dir / "o.gguf", "Q4_K_M"});
    EXPECT_EQ(r.code, 1);
    EXPECT_TRUE(contains(r.err, "already Q8_0")) << r.err;
    EXPECT_TRUE(fs::is_empty(dir.path));
}

}  // namespace
}  // namespace glint::test
