// GGUF reader: real files load, typed access, and hostile files fail with the
// specific error that names the problem.
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "gguf/gguf.h"
#include "gguf_bytes.h"
#include "test_util.h"

using glint::Error;
using glint::ErrorCode;
using glint::TensorType;
using glint::gguf::File;
using glint::gguf::Value;
using glint::gguf::ValueType;
using glint::test::Bytes;
namespace fs = std::filesystem;

namespace {

std::vector<std::string> shared_ggufs() {
    std::vector<std::string> out;
    for (const char* sub : {"models", "vocab"}) {
        fs::path dir = glint::test::shared_path(sub);
        if (!fs::is_directory(dir)) continue;
        for (const auto& e : fs::directory_iterator(dir))
            if (e.path().extension() == ".gguf") out.push_back(e.path().string());
    }
    std::sort(out.begin(), out.end());
    return out;
}

// A valid file: one kv, one F32 tensor of 8 elements at offset 0.
std::vector<uint8_t> minimal_valid() {
    Bytes b;
    b.header(1, 1).kv_str("general.architecture", "llama").tensor("a", {8}, 0, 0).pad(32).zeros(32);
    return b.b;
}

}  // namespace

TEST(GgufReader, MinimalValidFile) {
    auto bytes = minimal_valid();
    File f = File::from_memory(bytes.data(), bytes.size(), "mini.gguf");
    EXPECT_EQ(f.version(), 3u);
    EXPECT_EQ(f.alignment(), 32u);
    EXPECT_EQ(f.data_offset(), bytes.size() - 32);
    ASSERT_EQ(f.metadata().size(), 1u);
    EXPECT_EQ(f.get<std::string>("general.architecture"), "llama");
    ASSERT_EQ(f.tensors().size(), 1u);
    const auto& t = f.tensor("a");
    EXPECT_EQ(t.type, TensorType::F32);
    EXPECT_EQ(t.n_dims, 1u);
    EXPECT_EQ(t.ne[0], 8);
    EXPECT_EQ(t.ne[1], 1);
    EXPECT_EQ(t.n_elements, 8u);
    EXPECT_EQ(t.n_bytes, 32u);
    EXPECT_EQ(t.data, f.base() + f.data_offset());
    EXPECT_EQ(reinterpret_cast<uintptr_t>(t.data) % 32, 0u);
    EXPECT_EQ(f.find_tensor("b"), nullptr);
    EXPECT_EQ(f.find("nope"), nullptr);
    try {
        f.tensor("missing");
        FAIL();
    } catch (const Error& e) {
        EXPECT_STREQ(e.what(), "mini.gguf: tensor 'missing' not found");
    }
}

TEST(GgufReader, Version2Accepted) {
    Bytes b;
    b.header(0, 1, 2).kv_u32("x", 7);
    File f = File::from_memory(b.b.data(), b.b.size());
    EXPECT_EQ(f.version(), 2u);
    EXPECT_EQ(f.get<uint32_t>("x"), 7u);
}

TEST(GgufReader, MoveKeepsViewsValid) {
    auto bytes = minimal_valid();
    File f = File::from_memory(bytes.data(), bytes.size());
    std::string_view arch = f.find("general.architecture")->str;
    File g = std::move(f);
    EXPECT_EQ(arch, "llama");
    EXPECT_EQ(g.get<std::string_view>("general.architecture").data(), arch.data());
}

// ---- files on disk ----------------------------------------------------------

TEST(GgufReader, OpenErrorsAreIo) {
    auto expect_io = [](const std::string& path, const std::string& what) {
        try {
            File::open(path);
            ADD_FAILURE() << path << " opened";
        } catch (const Error& e) {
            EXPECT_EQ(e.code(), ErrorCode::Io) << e.what();
            EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
            EXPECT_NE(std::string(e.what()).find(what), std::string::npos) << e.what();
        }
    };
    char tmpl[] = "/tmp/glint-gguf-XXXXXX";
    std::string dir = mkdtemp(tmpl);
    expect_io(dir + "/missing.gguf", "No such file or directory");
    expect_io(dir, "Is a directory");
    std::string empty = dir + "/empty.gguf";
    { std::ofstream(empty, std::ios::binary); }
    expect_io(empty, "empty");

    // a corrupt file on disk is InvalidFile, not Io
    std::string bad = dir + "/bad.gguf";
    { std::ofstream(bad, std::ios::binary) << "GGML and then some"; }
    try {
        File::open(bad);
        ADD_FAILURE();
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), ErrorCode::InvalidFile);
        EXPECT_NE(std::string(e.what()).find(bad + ": at byte 0: bad magic"), std::string::npos) << e.what();
    }
    fs::remove_all(dir);
}

TEST(GgufReader, EverySharedFileLoads) {
    GLINT_REQUIRE_SHARED();
    auto files = shared_ggufs();
    ASSERT_GE(files.size(), 20u);
    for (const auto& path : files) {
        SCOPED_TRACE(path);
        File f = File::open(path);
        EXPECT_GE(f.version(), 2u);
        EXPECT_FALSE(f.metadata().empty());
        EXPECT_EQ(f.file_size(), fs::file_size(path));
        EXPECT_NE(f.find("general.architecture"), nullptr);
        for (const auto& t : f.tensors()) {
            EXPECT_EQ(t.offset % f.alignment(), 0u);
            EXPECT_LE(f.data_offset() + t.offset + t.n_bytes, f.file_size());
        }
    }
}

TEST(GgufReader, Stories260KValues) {
    GLINT_REQUIRE_SHARED();
    File f = File::open(glint::test::shared_path("models/stories260K.gguf"));
    EXPECT_EQ(f.version(), 3u);
    EXPECT_EQ(f.get<std::string>("general.architecture"), "llama");
    EXPECT_EQ(f.get<uint32_t>("llama.embedding_length"), 64u);
    EXPECT_EQ(f.get<int64_t>("llama.block_count"), 5);
    EXPECT_EQ(f.get<uint32_t>("llama.attention.head_count"), 8u);
    EXPECT_EQ(f.get<uint32_t>("llama.attention.head_count_kv"), 4u);
    EXPECT_EQ(f.get<uint32_t>("llama.feed_forward_length"), 172u);
    EXPECT_FLOAT_EQ(f.get<float>("llama.attention.layer_norm_rms_epsilon"), 1e-5f);
    auto tokens = f.get_string_array("tokenizer.ggml.tokens");
    ASSERT_EQ(tokens.size(), 512u);
    EXPECT_EQ(tokens[0], "<unk>");
    EXPECT_EQ(tokens[1], "<s>");
    EXPECT_EQ(tokens[2], "</s>");
    EXPECT_EQ(f.get_array<float>("tokenizer.ggml.scores").size(), 512u);
    EXPECT_EQ(f.get_array<int32_t>("tokenizer.ggml.token_type").size(), 512u);
    EXPECT_EQ(f.get<uint32_t>("tokenizer.ggml.bos_token_id"), 1u);
    EXPECT_EQ(f.get<uint32_t>("tokenizer.ggml.eos_token_id"), 2u);
    EXPECT_EQ(f.get_or<uint32_t>("no.such.key", 42u), 42u);

    const auto& emb = f.tensor("token_embd.weight");
    EXPECT_EQ(emb.type, TensorType::F32);
    EXPECT_EQ(emb.n_dims, 2u);
    EXPECT_EQ(emb.ne[0], 64);
    EXPECT_EQ(emb.ne[1], 512);
    EXPECT_EQ(emb.n_bytes, 64u * 512 * 4);
    EXPECT_NE(f.find_tensor("output.weight"), nullptr);
    EXPECT_NE(f.find_tensor("blk.4.ffn_down.weight"), nullptr);
}

TEST(GgufReader, BigVocabParsesQuickly) {
    GLINT_REQUIRE_SHARED();
    // deepseek-llm carries ~100k tokens and merges; parsing must stay well
    // under a second even in a debug or sanitizer build
    auto t0 = std::chrono::steady_clock::now();
    File f = File::open(glint::test::shared_path("vocab/ggml-vocab-deepseek-llm.gguf"));
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    EXPECT_GT(f.get_string_array("tokenizer.ggml.tokens").size(), 100000u);
    EXPECT_LT(s, 2.0);
}

TEST(GgufReader, LargeSyntheticVocabIsFast) {
    // 200k strings in one array, built by hand
    const size_t n = 200000;
    Bytes b;
    b.header(0, 1).str("tokenizer.ggml.tokens").u32(9).u32(8).u64(n);
    for (size_t i = 0; i < n; ++i) b.str("tok" + std::to_string(i));
    auto t0 = std::chrono::steady_clock::now();
    File f = File::from_memory(b.b.data(), b.b.size());
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    auto toks = f.get_string_array("tokenizer.ggml.tokens");
    ASSERT_EQ(toks.size(), n);
    EXPECT_EQ(toks[123456], "tok123456");
    EXPECT_LT(s, 2.0);
}

// ---- typed accessors -------------------------------------------------------

namespace {

File typed_file() {
    Bytes b;
    b.header(0, 9)
        .kv_u32("u32", 300)
        .kv_i32("neg", -1)
        .kv_str("name", "hello")
        .str("f").u32(6).f32(0.5f)
        .str("flag").u32(7).u8(1)
        .str("big").u32(10).u64(~0ull)
        .str("ints").u32(9).u32(5).u64(3).i32(1).i32(-2).i32(3)
        .str("strs").u32(9).u32(8).u64(2).str("a").str("bc")
        .str("nested").u32(9).u32(9).u64(1).u32(4).u64(1).u32(7);
    return File::from_memory(b.b.data(), b.b.size(), "typed.gguf");
}

template <class F>
void expect_error(F&& fn, const std::string& msg) {
    try {
        fn();
        ADD_FAILURE() << "no error, expected: " << msg;
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), ErrorCode::InvalidFile);
        EXPECT_EQ(std::string(e.what()), msg);
    }
}

}  // namespace

TEST(GgufReader, TypedAccessValues) {
    File f = typed_file();
    EXPECT_EQ(f.get<uint32_t>("u32"), 300u);
    EXPECT_EQ(f.get<uint16_t>("u32"), 300u);
    EXPECT_EQ(f.get<int64_t>("u32"), 300);
    EXPECT_EQ(f.get<int32_t>("neg"), -1);
    EXPECT_EQ(f.get<int8_t>("neg"), -1);
    EXPECT_DOUBLE_EQ(f.get<double>("neg"), -1.0);  // integers widen to floats
    EXPECT_EQ(f.get<float>("f"), 0.5f);
    EXPECT_EQ(f.get<double>("f"), 0.5);
    EXPECT_TRUE(f.get<bool>("flag"));
    EXPECT_EQ(f.get<uint64_t>("big"), ~0ull);
    EXPECT_EQ(f.get<std::string_view>("name"), "hello");
    EXPECT_EQ(f.get<std::string>("name"), "hello");
    EXPECT_EQ(f.get_array<int32_t>("ints"), (std::vector<int32_t>{1, -2, 3}));
    EXPECT_EQ(f.get_array<int64_t>("ints"), (std::vector<int64_t>{1, -2, 3}));
    EXPECT_EQ(f.get_array<float>("ints"), (std::vector<float>{1, -2, 3}));
    EXPECT_EQ(f.get_array<std::string>("strs"), (std::vector<std::string>{"a", "bc"}));
    EXPECT_EQ(f.get_string_array("strs"), (std::vector<std::string_view>{"a", "bc"}));
    EXPECT_EQ(f.get_or<std::string>("missing", "dflt"), "dflt");
    EXPECT_EQ(f.get_or<uint32_t>("u32", 1), 300u);
    const Value* nested = f.find("nested");
    ASSERT_NE(nested, nullptr);
    EXPECT_EQ(nested->elem_type, ValueType::ARRAY);
    ASSERT_EQ(nested->array.size(), 1u);
    EXPECT_EQ(nested->array[0].elem_type, ValueType::UINT32);
    EXPECT_EQ(nested->array[0].array[0].scalar.u, 7u);
    EXPECT_EQ(nested->to_display(), "[[7]]");
}

TEST(GgufReader, TypedAccessErrors) {
    File f = typed_file();
    expect_error([&] { f.get<uint32_t>("llama.block_count"); },
                 "typed.gguf: metadata key 'llama.block_count' not found");
    expect_error([&] { f.get<uint32_t>("name"); },
                 "typed.gguf: metadata key 'name' is STRING, expected an integer");
    expect_error([&] { f.get<std::string>("u32"); },
                 "typed.gguf: metadata key 'u32' is UINT32, expected a STRING");
    expect_error([&] { f.get<bool>("u32"); }, "typed.gguf: metadata key 'u32' is UINT32, expected a BOOL");
    expect_error([&] { f.get<float>("name"); }, "typed.gguf: metadata key 'name' is STRING, expected a number");
    expect_error([&] { f.get<uint8_t>("u32"); },
                 "typed.gguf: metadata key 'u32' value 300 is out of range for uint8");
    expect_error([&] { f.get<uint32_t>("neg"); },
                 "typed.gguf: metadata key 'neg' value -1 is out of range for uint32");
    expect_error([&] { f.get<int64_t>("big"); },
                 "typed.gguf: metadata key 'big' value 18446744073709551615 is out of range for int64");
    expect_error([&] { f.get_or<uint32_t>("name", 1); },  // present but mistyped is still an error
                 "typed.gguf: metadata key 'name' is STRING, expected an integer");
    expect_error([&] { f.get<int32_t>("ints"); }, "typed.gguf: metadata key 'ints' is ARRAY, expected an integer");
    expect_error([&] { f.get_array<int32_t>("u32"); },
                 "typed.gguf: metadata key 'u32' is UINT32, expected an array");
    expect_error([&] { f.get_array<uint32_t>("ints"); },
                 "typed.gguf: metadata key 'ints' element 1 value -2 is out of range for uint32");
    expect_error([&] { f.get_array<int32_t>("strs"); },
                 "typed.gguf: metadata key 'strs' element 0 is STRING, expected an integer");
    expect_error([&] { f.get_array<int32_t>("nested"); },
                 "typed.gguf: metadata key 'nested' element 0 is ARRAY, expected an integer");
    expect_error([&] { f.get_array<uint32_t>("missing"); }, "typed.gguf: metadata key 'missing' not found");
    expect_error([&] { f.get_string_array("ints"); },
                 "typed.gguf: metadata key 'ints' is an array of INT32, expected an array of STRING");
    expect_error([&] { f.get_string_array("name"); },
                 "typed.gguf: metadata key 'name' is STRING, expected an array of STRING");
}

// ---- hostile files ----------------------------------------------------------

namespace {

struct Corrupt {
    std::string name;
    std::vector<uint8_t> bytes;
    std::vector<std::string> expect;  // substrings of the message, in any order
};

std::string at(size_t pos) { return "bad.gguf: at byte " + std::to_string(pos) + ": "; }

std::vector<Corrupt> corrupt_files() {
    std::vector<Corrupt> cs;
    auto add = [&](std::string name, Bytes b, std::vector<std::string> expect) {
        cs.push_back({std::move(name), std::move(b.b), std::move(expect)});
    };
    const std::string arch = "general.architecture";

    {
        Bytes b;
        b.raw("GGML", 4).u32(3).u64(0).u64(0);
        add("bad magic", b, {at(0) + "bad magic: expected \"GGUF\", found 47 47 4d 4c"});
    }
    add("empty image", Bytes{}, {at(0) + "truncated header"});
    {
        Bytes b;
        b.header(0, 0, 1);
        add("version 1", b, {at(4) + "unsupported GGUF version 1"});
    }
    {
        Bytes b;
        b.header(0, 0, 4);
        add("version 4", b, {at(4) + "unsupported GGUF version 4"});
    }
    {
        Bytes b;
        b.header(0, 0, 0x03000000);
        add("big-endian", b, {at(4), "big-endian"});
    }
    {
        Bytes b;
        b.raw("GGUF", 4).u32(3).u32(0);
        add("truncated header", b, {at(8) + "truncated header: needs 8 bytes, only 4 left"});
    }
    {
        Bytes b;
        b.header(0, 2).kv_u32("a", 1);
        b.str(arch).u32(8);
        size_t p = b.pos();
        b.u64(5).raw("ll", 2);
        add("truncated metadata", b,
            {at(p) + "metadata key 'general.architecture': string length 5 runs past end of file (2 bytes left)"});
    }
    {
        Bytes b;
        b.header(0, 1).str(arch).u32(4).u8(1);
        add("truncated value", b, {"metadata key 'general.architecture': truncated UINT32 value: needs 4 bytes, only 1"});
    }
    {
        Bytes b;
        b.header(0, 1000000000000ull).kv_u32("a", 1);
        add("kv count absurd", b, {at(16) + "metadata kv count 1000000000000 is impossible"});
    }
    {
        Bytes b;
        b.header(1000000000000ull, 1).kv_u32("a", 1);
        add("tensor count absurd", b, {at(8) + "tensor count 1000000000000 is impossible"});
    }
    {
        Bytes b;
        b.header(2, 1).kv_u32("a", 1).tensor("t", {8}, 0, 0);
        add("tensor count past infos", b, {"tensor count 2 is impossible", "left after the metadata"});
    }
    {
        Bytes b;
        b.header(0, 1);
        size_t p = b.pos();
        b.u64(1ull << 40).raw("general", 7);
        add("key length past eof", b,
            {at(p) + "metadata entry #0: metadata key length 1099511627776 runs past end of file"});
    }
    {
        Bytes b;
        b.header(0, 1);
        size_t p = b.pos();
        b.str("").u32(4).u32(0);
        add("empty key", b, {at(p) + "metadata entry #0: empty metadata key"});
    }
    {
        Bytes b;
        b.header(0, 1);
        b.str("general.name").u32(8);
        size_t p = b.pos();
        b.u64(1000000).raw("abc", 3);
        add("string length past eof", b,
            {at(p) + "metadata key 'general.name': string length 1000000 runs past end of file"});
    }
    {
        Bytes b;
        b.header(0, 1).str("x");
        size_t p = b.pos();
        b.u32(13).u32(0);
        add("unknown value type", b, {at(p) + "metadata key 'x': unknown value type 13"});
    }
    {
        Bytes b;
        b.header(0, 1).str("arr").u32(9);
        size_t p = b.pos();
        b.u32(42).u64(0);
        add("unknown array element type", b, {at(p) + "metadata key 'arr': unknown array element type 42"});
    }
    {
        Bytes b;
        b.header(0, 1).str("arr").u32(9);
        size_t p = b.pos();
        b.u32(4).u64(1ull << 40).u32(1);
        add("array length absurd", b, {at(p) + "metadata key 'arr': array length 1099511627776 of UINT32"});
    }
    {
        Bytes b;
        b.header(0, 1).str("strs").u32(9);
        size_t p = b.pos();
        b.u32(8).u64(1ull << 61);
        add("string array length absurd", b, {at(p) + "metadata key 'strs': array length 2305843009213693952 of STRING"});
    }
    {
        // a real 16 MiB array of UINT8: fits the file, but would cost ~1.3 GB parsed
        Bytes b;
        b.header(0, 2).str("small").u32(9).u32(0).u64(2).u8(1).u8(2).str("huge").u32(9);
        size_t p = b.pos();
        b.u32(0).u64((1u << 24) - 1).zeros((1u << 24) - 1);
        add("too many array elements", b,
            {at(p) + "metadata key 'huge': array length 16777215 brings the metadata past the limit of 16777216"});
    }
    {
        Bytes b;
        b.header(0, 1).str("deep").u32(9);
        for (int i = 0; i < 8; ++i) b.u32(9).u64(1);
        size_t p = b.pos();
        b.u32(4).u64(1).u32(7);
        add("nested array too deep", b, {at(p) + "metadata key 'deep': arrays nested deeper than 8 levels"});
    }
    {
        Bytes b;
        b.header(0, 1).str("flag").u32(7);
        size_t p = b.pos();
        b.u8(2);
        add("invalid bool", b, {at(p) + "metadata key 'flag': invalid BOOL value 2"});
    }
    {
        Bytes b;
        b.header(0, 2).kv_str(arch, "llama");
        size_t p = b.pos();
        b.kv_str(arch, "qwen2");
        add("duplicate key", b,
            {at(p) + "metadata key 'general.architecture': duplicate metadata key (first defined at byte 24)"});
    }
    {
        Bytes b;
        b.header(0, 1);
        size_t p = b.pos();
        b.kv_u32("general.alignment", 48);
        add("alignment not power of two", b,
            {at(p) + "metadata key 'general.alignment': alignment 48 is not a non-zero power of two"});
    }
    {
        Bytes b;
        b.header(0, 1).kv_u32("general.alignment", 0);
        add("alignment zero", b, {"'general.alignment': alignment 0 is not a non-zero power of two"});
    }
    {
        Bytes b;
        b.header(0, 1);
        size_t p = b.pos();
        b.kv_i32("general.alignment", 32);
        add("alignment of wrong type", b,
            {at(p) + "metadata key 'general.alignment': has type INT32, expected UINT32"});
    }
    {
        Bytes b;
        b.header(1, 0);
        size_t p = b.pos();
        b.u64(1000).raw("tensor", 6).zeros(64);
        add("tensor name past eof", b, {at(p) + "tensor #0: tensor name length 1000 runs past end of file"});
    }
    {
        Bytes b;
        b.header(1, 0).str("a").u32(1).u64(8);
        size_t p = b.pos();
        b.u32(99).u64(0).pad(32).zeros(32);
        add("unknown tensor type", b, {at(p) + "tensor 'a': unknown tensor type id 99"});
    }
    {
        Bytes b;
        b.header(1, 0).str("a").u32(1).u64(32);
        size_t p = b.pos();
        b.u32(4).u64(0).pad(32).zeros(32);  // 4 was Q4_2, retired
        add("retired tensor type", b, {at(p) + "tensor 'a': unknown tensor type id 4"});
    }
    {
        Bytes b;
        b.header(1, 0).str("w").u32(2).u64(1ull << 32);
        size_t p = b.pos();
        b.u64(1ull << 32).u32(0).u64(0).pad(32).zeros(32);
        add("dimensions overflow", b, {at(p) + "tensor 'w': dimensions overflow: element count exceeds int64"});
    }
    {
        Bytes b;
        b.header(1, 0).str("w").u32(1);
        size_t p = b.pos();
        b.u64(~0ull).u32(0).u64(0);
        add("dimension above int64", b, {at(p) + "tensor 'w': dimensions overflow"});
    }
    {
        Bytes b;
        b.header(1, 0).str("w").u32(1).u64(1ull << 62);
        size_t p = b.pos();
        b.u32(28).u64(0);  // F64: 2^62 elements * 8 bytes
        add("byte size overflows", b, {at(p) + "tensor 'w': byte size of 4611686018427387904 F64 elements overflows"});
    }
    {
        Bytes b;
        b.header(1, 0).str("w").u32(2).u64(8);
        size_t p = b.pos();
        b.u64(0).u32(0).u64(0).pad(32).zeros(32);
        add("zero dimension", b, {at(p) + "tensor 'w': dimension 1 is zero"});
    }
    {
        Bytes b;
        b.header(1, 0).str("w");
        size_t p = b.pos();
        b.u32(5);
        for (int i = 0; i < 5; ++i) b.u64(1);
        b.u32(0).u64(0).pad(32).zeros(32);
        add("too many dims", b, {at(p) + "tensor 'w': n_dims 5 exceeds the maximum of 4"});
    }
    {
        Bytes b;
        b.header(1, 0).str("q").u32(1).u64(16);
        size_t p = b.pos();
        b.u32(2).u64(0).pad(32).zeros(32);
        add("row not whole blocks", b, {at(p) + "tensor 'q': row length 16 is not a multiple of the Q4_0 block size 32"});
    }
    {
        Bytes b;
        b.header(1, 0);
        size_t p = b.pos();
        b.tensor("a", {1024}, 0, 0).pad(32).zeros(32);
        add("tensor data past eof", b,
            {at(p) + "tensor 'a': data (offset 0, 4096 bytes, from data section at byte 64) runs past end of file (96 bytes)"});
    }
    {
        Bytes b;
        b.header(1, 0);
        size_t p = b.pos();
        b.tensor("a", {8}, 0, ~0ull - 31).pad(32).zeros(32);
        add("tensor offset wraps around", b, {at(p) + "tensor 'a': data (offset 18446744073709551584"});
    }
    {
        Bytes b;
        b.header(1, 0).str("a").u32(1).u64(8).u32(0);
        size_t p = b.pos();
        b.u64(4).pad(32).zeros(64);
        add("misaligned data offset", b, {at(p) + "tensor 'a': data offset 4 is not a multiple of the alignment 32"});
    }
    {
        Bytes b;
        b.header(1, 1).kv_u32("general.alignment", 64).str("a").u32(1).u64(8).u32(0);
        size_t p = b.pos();
        b.u64(32).pad(64).zeros(128);
        add("misaligned for custom alignment", b, {at(p) + "tensor 'a': data offset 32 is not a multiple of the alignment 64"});
    }
    {
        Bytes b;
        b.header(2, 0).tensor("a", {16}, 0, 0);
        size_t p = b.pos();
        b.tensor("b", {8}, 0, 32).pad(32).zeros(96);
        add("overlapping tensors", b,
            {at(p) + "tensor 'b': data [32, 64) overlaps tensor 'a' [0, 64)"});
    }
    {
        Bytes b;
        b.header(2, 0).tensor("a", {8}, 0, 0);
        size_t p = b.pos();
        b.tensor("a", {8}, 0, 32).pad(32).zeros(64);
        add("duplicate tensor name", b, {at(p) + "tensor 'a': duplicate tensor name (first defined at byte 24)"});
    }
    {
        Bytes b;
        b.header(1, 0);
        size_t p = b.pos();
        b.tensor("", {8}, 0, 0).pad(32).zeros(32);
        add("empty tensor name", b, {at(p) + "tensor #0: empty tensor name"});
    }
    {
        Bytes b;
        b.header(0, 1).str(std::string("bad\nkey\x01", 8)).u32(13);
        add("hostile key is escaped", b, {"metadata key 'bad\\nkey\\x01': unknown value type 13"});
    }
    return cs;
}

}  // namespace

TEST(GgufReader, CorruptFilesFailWithSpecificErrors) {
    auto cases = corrupt_files();
    EXPECT_GE(cases.size(), 30u);
    for (const auto& c : cases) {
        SCOPED_TRACE(c.name);
        try {
            File::from_memory(c.bytes.data(), c.bytes.size(), "bad.gguf");
            ADD_FAILURE() << c.name << ": accepted";
        } catch (const Error& e) {
            EXPECT_EQ(e.code(), ErrorCode::InvalidFile) << e.what();
            for (const auto& s : c.expect)
                EXPECT_NE(std::string(e.what()).find(s), std::string::npos)
                    << "message: " << e.what() << "\nexpected to contain: " << s;
        }
    }
}

TEST(GgufReader, EveryTruncationOfAValidFileFails) {
    // Each prefix of a valid file must be rejected cleanly (no crash, no accept).
    Bytes b;
    b.header(2, 3)
        .kv_str("general.architecture", "llama")
        .str("arr").u32(9).u32(8).u64(2).str("x").str("yz")
        .kv_u32("n", 5)
        .tensor("a", {8}, 0, 0)
        .tensor("b", {32, 2}, 8, 32)
        .pad(32)
        .zeros(32 + 68);
    File::from_memory(b.b.data(), b.b.size());
    for (size_t n = 0; n < b.b.size(); ++n) {
        try {
            File::from_memory(b.b.data(), n, "cut.gguf");
            ADD_FAILURE() << "prefix of " << n << " bytes accepted";
        } catch (const Error& e) {
            EXPECT_EQ(e.code(), ErrorCode::InvalidFile);
        }
    }
}

TEST(GgufReader, VocabOnlyFileWithoutDataSection) {
    // no tensors: the file may end right after the metadata, unpadded
    Bytes b;
    b.header(0, 1).kv_str("general.architecture", "llama").u8(0);
    b.b.pop_back();
    File f = File::from_memory(b.b.data(), b.b.size());
    EXPECT_TRUE(f.tensors().empty());
}
