// `glint bench` end to end on the bundled model with tiny sizes: the three
// output formats parse and carry the promised fields, the derived figures are
// consistent, batched and KV-memory modes work, bad flags are clear errors.
#include <gtest/gtest.h>

#include <cmath>
#include <regex>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "cli/run_cli.h"

namespace glint::test {
namespace {

constexpr double kRelTol = 1e-6;  // derived figures recomputed from the record's own fields

bool contains(const std::string& hay, const std::string& needle) { return hay.find(needle) != std::string::npos; }

nlohmann::json bench_json(std::vector<std::string> args) {
    args.insert(args.begin(), "bench");
    args.push_back("-o");
    args.push_back("json");
    auto r = run_glint(args);
    EXPECT_EQ(r.code, 0) << r.err;
    try {
        return nlohmann::json::parse(r.out);
    } catch (const std::exception& e) {
        ADD_FAILURE() << "not JSON (" << e.what() << "):\n" << r.out;
        return nlohmann::json::array();
    }
}

TEST(CliBench, JsonRecordsCarryTheReferenceFieldNames) {
    const nlohmann::json j = bench_json({"-p", "8,16", "-n", "4", "-t", "1,2", "-r", "2"});
    ASSERT_TRUE(j.is_array());
    ASSERT_EQ(j.size(), 6u);  // 2 thread counts x (pp8, pp16, tg4)
    std::map<std::string, std::set<std::string>> hashes;  // test -> hashes over thread counts
    for (const auto& r : j) {
        for (const char* k : {"n_prompt", "n_gen", "n_threads", "avg_ts", "stddev_ts", "model_size", "model_type",
                              "model_n_params", "n_batch", "type_k", "avg_ns", "stddev_ns", "samples_ns",
                              "samples_ts", "n_parallel", "logits_hash", "gbps", "roofline", "bandwidth_gbps",
                              "cpu_info", "system_info"})
            EXPECT_TRUE(r.contains(k)) << k << " missing in " << r.dump();
        EXPECT_TRUE(std::regex_search(r["system_info"].get<std::string>(),
                                      std::regex(R"(\| kernels: (scalar|avx2|avx512) \| vnni gemm: (yes|no)$)")))
            << r["system_info"];
        EXPECT_GT(r["avg_ts"].get<double>(), 0);
        EXPECT_GE(r["stddev_ts"].get<double>(), 0);
        EXPECT_EQ(r["samples_ts"].size(), 2u);
        EXPECT_EQ(r["n_parallel"], 1);
        EXPECT_GT(r["model_size"].get<uint64_t>(), 1000000u);  // stories260K: 1.1 MB of tensors
        EXPECT_TRUE(contains(r["model_type"], "llama")) << r["model_type"];
        // stories260K has no general.file_type: guessed from its weights, as the reference does.
        EXPECT_TRUE(contains(r["model_type"], "all F32 (guessed)")) << r["model_type"];
        EXPECT_TRUE(std::regex_match(r["logits_hash"].get<std::string>(), std::regex("[0-9a-f]{16}")));
        EXPECT_EQ(r["logits_stable"], true) << "repetitions gave different logits";
        const bool pp = r["n_gen"] == 0;
        EXPECT_EQ(r["test"], pp ? "pp" + std::to_string(r["n_prompt"].get<int>()) : "tg" + std::to_string(r["n_gen"].get<int>()));
        hashes[r["test"]].insert(r["logits_hash"]);
        if (pp) {
            EXPECT_TRUE(r["gbps"].is_null());  // prompt processing is not bandwidth-bound
            continue;
        }
        // GB/s = weight bytes per token x tokens/s; roofline = GB/s over the measured bandwidth.
        const double gbps = r["bytes_per_token"].get<double>() * r["avg_ts"].get<double>() / 1e9;
        EXPECT_NEAR(r["gbps"].get<double>(), gbps, gbps * kRelTol);
        ASSERT_GT(r["bandwidth_gbps"].get<double>(), 0);
        EXPECT_NEAR(r["roofline"].get<double>(), gbps / r["bandwidth_gbps"].get<double>(), kRelTol * 10);
    }
    for (const auto& [test, hs] : hashes) EXPECT_EQ(hs.size(), 1u) << test << ": logits differ between thread counts";
}

TEST(CliBench, MarkdownTableByDefault) {
    auto r = run_glint({"bench", "-p", "8", "-n", "4", "-t", "1", "-r", "2"});
    ASSERT_EQ(r.code, 0) << r.err;
    std::istringstream in(r.out);
    std::string header, rule, row1, row2;
    std::getline(in, header);
    std::getline(in, rule);
    std::getline(in, row1);
    std::getline(in, row2);
    EXPECT_EQ(header, "| model | size | params | threads | test | t/s | GB/s | roofline | logits hash |");
    EXPECT_EQ(rule.rfind("| --- |", 0), 0u) << rule;
    EXPECT_TRUE(contains(row1, "| pp8 |")) << row1;
    EXPECT_TRUE(contains(row2, "| tg4 |")) << row2;
    EXPECT_TRUE(std::regex_search(row2, std::regex(R"(\| [0-9.]+ ± [0-9.]+ \|)"))) << row2;
    EXPECT_TRUE(contains(r.out, "memory read bandwidth (measured): 1 thread")) << r.out;
    EXPECT_TRUE(std::regex_search(r.out, std::regex(R"(\ncpu: .* \| kernels: \S+ \| vnni gemm: (yes|no)\n)"))) << r.out;
}

// Splits one CSV line, honouring double quotes.
std::vector<std::string> csv_split(const std::string& line) {
    std::vector<std::string> cells(1);
    bool quoted = false;
    for (size_t i = 0; i < line.size(); ++i) {
        const char c = line[i];
        if (quoted) {
            if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') cells.back() += '"', ++i;
            else if (c == '"') quoted = false;
            else cells.back() += c;
        } else if (c == '"') {
            quoted = true;
        } else if (c == ',') {
            cells.emplace_back();
        } else {
            cells.back() += c;
        }
    }
    return cells;
}

TEST(CliBench, CsvHasAHeaderAndOneRowPerTest) {
    auto r = run_glint({"bench", "-p", "8", "-n", "4", "-t", "1", "-r", "2", "-o", "csv"});
    ASSERT_EQ(r.code, 0) << r.err;
    std::istringstream in(r.out);
    std::string line;
    std::vector<std::vector<std::string>> rows;
    while (std::getline(in, line))
        if (!line.empty()) rows.push_back(csv_split(line));
    ASSERT_EQ(rows.size(), 3u) << r.out;
    const auto& head = rows[0];
    auto col = [&](const std::string& name) {
        auto it = std::find(head.begin(), head.end(), name);
        EXPECT_NE(it, head.end()) << name << " not in the CSV header";
        return size_t(it - head.begin());
    };
    for (size_t i = 1; i < rows.size(); ++i) ASSERT_EQ(rows[i].size(), head.size()) << "row " << i;
    EXPECT_EQ(rows[1][col("n_prompt")], "8");
    EXPECT_EQ(rows[1][col("n_gen")], "0");
    EXPECT_EQ(rows[2][col("n_gen")], "4");
    EXPECT_EQ(rows[2][col("n_threads")], "1");
    EXPECT_GT(std::stod(rows[2][col("avg_ts")]), 0);
    EXPECT_GE(std::stod(rows[2][col("stddev_ts")]), 0);
    EXPECT_GT(std::stoull(rows[2][col("model_size")]), 0u);
    EXPECT_TRUE(contains(rows[2][col("model_type")], "llama"));
}

TEST(CliBench, ParallelRecordsSumTokensOverSequences) {
    for (const bool shared : {false, true}) {
        std::vector<std::string> args = {"--parallel", "1,3", "-p", "40", "-n", "4", "-t", "1", "-r", "2"};
        if (shared) args.push_back("--pps");
        const nlohmann::json j = bench_json(args);
        ASSERT_EQ(j.size(), 2u);
        for (size_t i = 0; i < 2; ++i) {
            const auto& r = j[i];
            const int np = i == 0 ? 1 : 3;
            EXPECT_EQ(r["n_parallel"], np);
            EXPECT_EQ(r["n_gen"], 4);
            EXPECT_EQ(r["test"], "pp40+tg4 x" + std::to_string(np));
            // avg_ts counts every sequence's tokens: samples are np*n_gen tokens over the measured time.
            const double ts = r["samples_ts"][0].get<double>(), ns = r["samples_ns"][0].get<double>();
            EXPECT_NEAR(ts, np * 4 * 1e9 / ns, ts * kRelTol);
            EXPECT_GT(r["pp_avg_ts"].get<double>(), 0);
            if (!shared) {
                EXPECT_GE(r["kv_alloc_ratio"].get<double>(), 1.0);  // 44 positions in three 16-slot blocks
            } else if (np == 3) {
                // The prompt's two full blocks are shared by the three sequences (only the
                // partly filled one is copied on write): fewer slots than positions held.
                EXPECT_LT(r["kv_alloc_ratio"].get<double>(), 1.0);
            }
            EXPECT_EQ(r["prompt_shared"], shared);
        }
    }
}

TEST(CliBench, KvMemoryMode) {
    const nlohmann::json j = bench_json({"--kv-memory", "--kv-seqs", "6", "--kv-min", "5", "--kv-max", "70", "-t", "1"});
    ASSERT_EQ(j.size(), 1u);
    const auto& r = j[0];
    EXPECT_EQ(r["test"], "kv_memory");
    EXPECT_EQ(r["n_seqs"], 6);
    EXPECT_EQ(r["block_size"], 16);
    const double held = r["tokens_held"], blocks = r["blocks_used"];
    EXPECT_NEAR(r["kv_alloc_ratio"].get<double>(), blocks * 16 / held, kRelTol);
    EXPECT_GE(r["kv_alloc_ratio"].get<double>(), 1.0);
    EXPECT_LE(blocks, held / 16 + 6);  // at most one partly used block per sequence
    EXPECT_EQ(r["all_blocks_freed"], true);

    auto md = run_glint({"bench", "--kv-memory", "--kv-seqs", "3", "--kv-min", "5", "--kv-max", "30", "-t", "1"});
    ASSERT_EQ(md.code, 0) << md.err;
    EXPECT_TRUE(contains(md.out, "| allocated / used |")) << md.out;
}

TEST(CliBench, BadFlagsAreClearErrors) {
    struct Case {
        std::vector<std::string> args;
        int code;
        std::string msg;
    };
    const std::vector<Case> cases = {
        {{"bench", "-o", "xml"}, 2, "-o must be md, json or csv, got 'xml'"},
        {{"bench", "-p", "8,x"}, 2, "comma-separated list of integers"},
        {{"bench", "-t", "0"}, 2, "between 1 and"},
        {{"bench", "-r", "0"}, 2, "between 1 and"},
        {{"bench", "--parallel", ""}, 2, "comma-separated list"},
        {{"bench", "--pps"}, 2, "--pps needs --parallel"},
        {{"bench", "--kv-type", "q4"}, 2, "--kv-type must be"},
        {{"bench", "--frobnicate"}, 2, "unknown option '--frobnicate'"},
        {{"bench", "-n"}, 2, "needs a value"},
        {{"bench", "-p", "0", "-n", "0", "-r", "1", "-t", "1"}, 2, "nothing to measure"},
        {{"bench", "-m", "/nonexistent/model.gguf"}, 1, "/nonexistent/model.gguf"},
    };
    for (const auto& c : cases) {
        auto r = run_glint(c.args);
        EXPECT_EQ(r.code, c.code) << c.msg << "\n" << r.err;
        EXPECT_TRUE(contains(r.err, c.msg)) << "expected '" << c.msg << "' in: " << r.err;
    }
    auto h = run_glint({"bench", "--help"});
    EXPECT_EQ(h.code, 0);
    EXPECT_TRUE(contains(h.out, "--parallel")) << h.out;
}

}  // namespace
}  // namespace glint::test
