// `glint inspect`: text and JSON output on a real model, and the error paths.
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "cli/run_cli.h"
#include "test_util.h"

using glint::test::run_glint;

namespace {

std::string stories() { return glint::test::shared_path("models/stories260K.gguf"); }

bool contains(const std::string& s, const std::string& sub) { return s.find(sub) != std::string::npos; }

}  // namespace

TEST(CliInspect, TextOnStories) {
    GLINT_REQUIRE_SHARED();
    auto r = run_glint({"inspect", stories()});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.err, "");
    EXPECT_TRUE(contains(r.out, "GGUF version:  3\n")) << r.out;
    EXPECT_TRUE(contains(r.out, "alignment:     32\n"));
    EXPECT_TRUE(contains(r.out, "tensors:       48\n"));
    EXPECT_TRUE(contains(r.out, "metadata keys: 19\n"));
    EXPECT_TRUE(contains(r.out, "data offset:   14176\n"));
    // key, type and value on one line; long arrays abbreviated
    EXPECT_TRUE(contains(r.out, "general.architecture")) << r.out;
    EXPECT_TRUE(contains(r.out, "STRING          \"llama\"\n"));
    EXPECT_TRUE(contains(r.out, "UINT32          64\n"));
    EXPECT_TRUE(contains(r.out, "ARRAY[STRING]   [\"<unk>\", \"<s>\", \"</s>\""));
    EXPECT_TRUE(contains(r.out, "... 512 items]"));
    EXPECT_TRUE(contains(r.out, "FLOAT32         1e-05\n"));
    // tensor table
    EXPECT_TRUE(contains(r.out, "token_embd.weight         F32      [64, 512]        131072             0\n")) << r.out;
    EXPECT_TRUE(contains(r.out, "blk.4.ffn_norm.weight"));
    // totals: stories260K is all F32
    EXPECT_TRUE(contains(r.out, "bits per weight: 32.0000\n"));
    EXPECT_TRUE(contains(r.out, "F32         48 tensors"));
}

TEST(CliInspect, JsonOnStories) {
    GLINT_REQUIRE_SHARED();
    auto r = run_glint({"inspect", stories(), "--json"});
    ASSERT_EQ(r.code, 0) << r.err;
    nlohmann::json j = nlohmann::json::parse(r.out);
    EXPECT_EQ(j["version"], 3);
    EXPECT_EQ(j["alignment"], 32);
    EXPECT_EQ(j["tensor_count"], 48);
    EXPECT_EQ(j["kv_count"], 19);
    EXPECT_EQ(j["data_offset"], 14176);
    EXPECT_EQ(j["file_size"], 1185376);
    ASSERT_EQ(j["metadata"].size(), 19u);
    bool saw_arch = false, saw_tokens = false, saw_embd = false;
    for (const auto& e : j["metadata"]) {
        if (e["key"] == "general.architecture") {
            saw_arch = true;
            EXPECT_EQ(e["type"], "STRING");
            EXPECT_EQ(e["value"], "llama");
        } else if (e["key"] == "tokenizer.ggml.tokens") {
            saw_tokens = true;
            EXPECT_EQ(e["type"], "ARRAY");
            EXPECT_EQ(e["elem_type"], "STRING");
            EXPECT_EQ(e["count"], 512);
            EXPECT_EQ(e["truncated"], true);
            EXPECT_EQ(e["value"][1], "<s>");
        } else if (e["key"] == "llama.embedding_length") {
            saw_embd = true;
            EXPECT_EQ(e["type"], "UINT32");
            EXPECT_EQ(e["value"], 64);
        }
    }
    EXPECT_TRUE(saw_arch && saw_tokens && saw_embd);
    ASSERT_EQ(j["tensors"].size(), 48u);
    const auto& t0 = j["tensors"][0];
    EXPECT_EQ(t0["name"], "token_embd.weight");
    EXPECT_EQ(t0["type"], "F32");
    EXPECT_EQ(t0["shape"], nlohmann::json::array({64, 512}));
    EXPECT_EQ(t0["bytes"], 131072);
    EXPECT_EQ(t0["offset"], 0);
    uint64_t params = 0;
    for (const auto& t : j["tensors"]) params += t["n_elements"].get<uint64_t>();
    EXPECT_EQ(j["totals"]["parameters"], params);
    EXPECT_EQ(j["totals"]["bytes"], params * 4);
    EXPECT_DOUBLE_EQ(j["totals"]["bits_per_weight"].get<double>(), 32.0);
    EXPECT_EQ(j["totals"]["types"]["F32"]["tensors"], 48);
}

TEST(CliInspect, QuantizedTotals) {
    GLINT_REQUIRE_SHARED();
    auto r = run_glint({"inspect", "--json", glint::test::shared_path("models/mini-Q4_K_M.gguf")});
    ASSERT_EQ(r.code, 0) << r.err;
    auto j = nlohmann::json::parse(r.out);
    const auto& types = j["totals"]["types"];
    EXPECT_TRUE(types.contains("Q4_K"));
    EXPECT_TRUE(types.contains("Q6_K"));
    double bpw = j["totals"]["bits_per_weight"];
    EXPECT_GT(bpw, 4.5);
    EXPECT_LT(bpw, 6.0);
}

TEST(CliInspect, MissingFile) {
    auto r = run_glint({"inspect", "/nonexistent/model.gguf"});
    EXPECT_EQ(r.code, 1);
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(r.err, "glint inspect: /nonexistent/model.gguf: cannot open: No such file or directory\n");
}

TEST(CliInspect, CorruptFile) {
    char tmpl[] = "/tmp/glint-inspect-XXXXXX";
    std::string dir = mkdtemp(tmpl);
    std::string path = dir + "/bad.gguf";
    {
        std::ofstream f(path, std::ios::binary);
        f.write("GGUF\x01\x00\x00\x00", 8);
        f.write(std::string(16, '\0').data(), 16);
    }
    auto r = run_glint({"inspect", path});
    EXPECT_EQ(r.code, 1);
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(r.err, "glint inspect: " + path + ": at byte 4: unsupported GGUF version 1 (supported: 2 and 3)\n");
    std::remove(path.c_str());
    rmdir(dir.c_str());
}

TEST(CliInspect, Usage) {
    auto none = run_glint({"inspect"});
    EXPECT_EQ(none.code, 2);
    EXPECT_EQ(none.out, "");
    EXPECT_TRUE(contains(none.err, "missing FILE")) << none.err;
    EXPECT_TRUE(contains(none.err, "usage: glint inspect FILE [--json]"));

    auto bad = run_glint({"inspect", "--frobnicate", "x.gguf"});
    EXPECT_EQ(bad.code, 2);
    EXPECT_TRUE(contains(bad.err, "unknown option '--frobnicate'"));

    auto two = run_glint({"inspect", "a.gguf", "b.gguf"});
    EXPECT_EQ(two.code, 2);

    auto help = run_glint({"inspect", "--help"});
    EXPECT_EQ(help.code, 0);
    EXPECT_EQ(help.err, "");
    EXPECT_TRUE(contains(help.out, "usage: glint inspect FILE [--json]"));
}
