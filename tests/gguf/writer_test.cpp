// GGUF writer: what it writes reads back identically, for every value type and
// for every shared model copied key by key and tensor by tensor.
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>

#include <gtest/gtest.h>

#include "gguf/gguf.h"
#include "test_util.h"

using glint::Error;
using glint::ErrorCode;
using glint::TensorType;
using glint::gguf::File;
using glint::gguf::Value;
using glint::gguf::ValueType;
using glint::gguf::Writer;
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

std::vector<uint8_t> slurp(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    std::vector<uint8_t> b(fs::file_size(path));
    f.read(reinterpret_cast<char*>(b.data()), std::streamsize(b.size()));
    return b;
}

void copy_into(const File& f, Writer& w) {
    for (const auto& kv : f.metadata()) w.set(std::string(kv.key), kv.value);
    for (const auto& t : f.tensors())
        w.add_tensor(std::string(t.name), t.type, std::vector<int64_t>(t.ne, t.ne + t.n_dims), t.data, t.n_bytes);
}

void expect_same(const File& a, const File& b) {
    ASSERT_EQ(a.metadata().size(), b.metadata().size());
    for (size_t i = 0; i < a.metadata().size(); ++i) {
        const auto& x = a.metadata()[i];
        const auto& y = b.metadata()[i];
        EXPECT_EQ(x.key, y.key);
        EXPECT_TRUE(x.value == y.value) << "key " << x.key << ": " << x.value.to_display() << " vs "
                                        << y.value.to_display();
    }
    ASSERT_EQ(a.tensors().size(), b.tensors().size());
    for (size_t i = 0; i < a.tensors().size(); ++i) {
        const auto& x = a.tensors()[i];
        const auto& y = b.tensors()[i];
        SCOPED_TRACE(std::string(x.name));
        EXPECT_EQ(x.name, y.name);
        EXPECT_EQ(x.type, y.type);
        EXPECT_EQ(x.n_dims, y.n_dims);
        for (int d = 0; d < 4; ++d) EXPECT_EQ(x.ne[d], y.ne[d]);
        EXPECT_EQ(x.n_elements, y.n_elements);
        ASSERT_EQ(x.n_bytes, y.n_bytes);
        EXPECT_EQ(std::memcmp(x.data, y.data, x.n_bytes), 0);
    }
}

// One value of every type, including the awkward ones.
std::vector<std::pair<std::string, Value>> every_value() {
    std::vector<std::pair<std::string, Value>> v;
    v.emplace_back("u8", Value::make_scalar(ValueType::UINT8, uint8_t(255)));
    v.emplace_back("i8", Value::make_scalar(ValueType::INT8, int8_t(-128)));
    v.emplace_back("u16", Value::make_scalar(ValueType::UINT16, uint16_t(65535)));
    v.emplace_back("i16", Value::make_scalar(ValueType::INT16, int16_t(-32768)));
    v.emplace_back("u32", Value::make_u32(4000000000u));
    v.emplace_back("i32", Value::make_i32(std::numeric_limits<int32_t>::min()));
    v.emplace_back("u64", Value::make_u64(~0ull));
    v.emplace_back("i64", Value::make_scalar(ValueType::INT64, std::numeric_limits<int64_t>::min()));
    v.emplace_back("f32", Value::make_f32(1e-5f));
    v.emplace_back("f32.nan", Value::make_f32(std::numeric_limits<float>::quiet_NaN()));
    v.emplace_back("f32.negzero", Value::make_f32(-0.0f));
    v.emplace_back("f64", Value::make_scalar(ValueType::FLOAT64, 0.1));
    v.emplace_back("f64.inf", Value::make_scalar(ValueType::FLOAT64, -std::numeric_limits<double>::infinity()));
    v.emplace_back("bool.t", Value::make_bool(true));
    v.emplace_back("bool.f", Value::make_bool(false));
    v.emplace_back("str", Value::make_string("héllo \"world\"\n"));
    v.emplace_back("str.empty", Value::make_string(""));
    v.emplace_back("str.nul", Value::make_string(std::string("a\0b", 3)));
    v.emplace_back("arr.str", Value::make_string_array({"<unk>", "", "▁the", std::string(1000, 'x')}));
    v.emplace_back("arr.empty", Value::make_array(ValueType::INT32, {}));
    v.emplace_back("arr.f32", Value::make_array(ValueType::FLOAT32, {Value::make_f32(1.5f), Value::make_f32(-2)}));
    v.emplace_back("arr.bool", Value::make_array(ValueType::BOOL, {Value::make_bool(true), Value::make_bool(false)}));
    v.emplace_back("arr.i8", Value::make_array(ValueType::INT8, {Value::make_scalar(ValueType::INT8, -1)}));
    v.emplace_back("arr.u64", Value::make_array(ValueType::UINT64, {Value::make_u64(1), Value::make_u64(~0ull)}));
    v.emplace_back("arr.f64", Value::make_array(ValueType::FLOAT64, {Value::make_scalar(ValueType::FLOAT64, 2.5)}));
    Value inner1 = Value::make_array(ValueType::UINT32, {Value::make_u32(1), Value::make_u32(2)});
    Value inner2 = Value::make_string_array({"a", "b"});
    Value inner3 = Value::make_array(ValueType::UINT32, {});
    // arrays of arrays: the inner arrays may differ in element type
    v.emplace_back("arr.nested", Value::make_array(ValueType::ARRAY, {inner1, inner2, inner3}));
    Value deep = Value::make_u32(7);
    for (int i = 0; i < 8; ++i) deep = Value::make_array(i == 0 ? ValueType::UINT32 : ValueType::ARRAY, {deep});
    v.emplace_back("arr.deep8", deep);
    return v;
}

}  // namespace

TEST(GgufWriter, EveryValueTypeRoundTrips) {
    auto values = every_value();
    Writer w;
    for (const auto& [k, v] : values) w.set(k, v);
    std::vector<float> data(16);
    for (int i = 0; i < 16; ++i) data[i] = float(i) * 0.25f;
    w.add_tensor("t", TensorType::F32, {4, 4}, data.data(), data.size() * 4);
    auto bytes = w.to_bytes();
    File f = File::from_memory(bytes.data(), bytes.size(), "rt.gguf");
    EXPECT_EQ(f.version(), 3u);
    ASSERT_EQ(f.metadata().size(), values.size());  // no general.alignment added at 32
    for (size_t i = 0; i < values.size(); ++i) {
        SCOPED_TRACE(values[i].first);
        EXPECT_EQ(f.metadata()[i].key, values[i].first);
        EXPECT_TRUE(f.metadata()[i].value == values[i].second)
            << f.metadata()[i].value.to_display() << " vs " << values[i].second.to_display();
    }
    EXPECT_TRUE(std::isnan(f.get<float>("f32.nan")));
    EXPECT_TRUE(std::signbit(f.get<float>("f32.negzero")));
    EXPECT_EQ(f.get<std::string>("str.nul"), std::string("a\0b", 3));
    EXPECT_EQ(f.get<int64_t>("i64"), std::numeric_limits<int64_t>::min());
    EXPECT_EQ(f.get_string_array("arr.str")[3].size(), 1000u);
    const auto& t = f.tensor("t");
    EXPECT_EQ(t.ne[0], 4);
    EXPECT_EQ(t.ne[1], 4);
    EXPECT_EQ(std::memcmp(t.data, data.data(), 64), 0);

    // and writing what was read reproduces the same bytes
    Writer w2;
    copy_into(f, w2);
    EXPECT_EQ(w2.to_bytes(), bytes);
}

TEST(GgufWriter, DisplayFormats) {
    auto values = every_value();
    auto find = [&](const std::string& k) -> const Value& {
        for (const auto& kv : values)
            if (kv.first == k) return kv.second;
        throw std::runtime_error(k);
    };
    EXPECT_EQ(find("u8").to_display(), "255");
    EXPECT_EQ(find("i64").to_display(), "-9223372036854775808");
    EXPECT_EQ(find("f32").to_display(), "1e-05");
    EXPECT_EQ(find("f64").to_display(), "0.1");
    EXPECT_EQ(find("bool.t").to_display(), "true");
    EXPECT_EQ(find("str").to_display(), "\"héllo \\\"world\\\"\\n\"");
    EXPECT_EQ(find("arr.nested").to_display(), "[[1, 2], [\"a\", \"b\"], []]");
    std::vector<Value> many;
    for (uint32_t i = 1; i <= 512; ++i) many.push_back(Value::make_u32(i));
    EXPECT_EQ(Value::make_array(ValueType::UINT32, many).to_display(3), "[1, 2, 3, ... 512 items]");
    std::string long_str = Value::make_string(std::string(200, 'a')).to_display();
    EXPECT_NE(long_str.find("...\" (200 bytes)"), std::string::npos) << long_str;
    // abbreviation never splits a UTF-8 character
    std::string utf8;
    for (int i = 0; i < 60; ++i) utf8 += "\xc3\xa9";  // é
    std::string shown = Value::make_string(utf8).to_display();
    EXPECT_EQ(shown, "\"" + utf8.substr(0, 80) + "...\" (120 bytes)");
}

TEST(GgufWriter, CustomAlignment) {
    Writer w(64);
    w.set("general.architecture", Value::make_string("llama"));
    std::vector<uint8_t> a(34 * 2, 1), b(40, 2);
    w.add_tensor("a", TensorType::Q8_0, {64}, a.data(), a.size());
    w.add_tensor("b", TensorType::F32, {10}, b.data(), b.size());
    auto bytes = w.to_bytes();
    File f = File::from_memory(bytes.data(), bytes.size());
    EXPECT_EQ(f.alignment(), 64u);
    EXPECT_EQ(f.get<uint32_t>("general.alignment"), 64u);
    EXPECT_EQ(f.data_offset() % 64, 0u);
    EXPECT_EQ(f.tensor("b").offset, 128u);
    EXPECT_EQ(f.tensor("b").data[0], 2);
    EXPECT_EQ(bytes.size() % 64, 0u);

    // setting general.alignment through set() changes the layout too
    Writer w2;
    w2.set("general.alignment", Value::make_u32(128));
    w2.add_tensor("a", TensorType::Q8_0, {64}, a.data(), a.size());
    w2.add_tensor("b", TensorType::F32, {10}, b.data(), b.size());
    auto bytes2 = w2.to_bytes();
    File f2 = File::from_memory(bytes2.data(), bytes2.size());
    EXPECT_EQ(f2.alignment(), 128u);
    EXPECT_EQ(f2.metadata().size(), 1u);
    EXPECT_EQ(f2.tensor("b").offset, 128u);
}

TEST(GgufWriter, SetReplacesAndOwnsStrings) {
    Writer w;
    {
        std::string tmp = "first";
        w.set("k", Value::make_string(tmp));
    }
    w.set("other", Value::make_u32(1));
    w.set("k", Value::make_string("second"));
    auto bytes = w.to_bytes();
    File f = File::from_memory(bytes.data(), bytes.size());
    ASSERT_EQ(f.metadata().size(), 2u);
    EXPECT_EQ(f.metadata()[0].key, "k");
    EXPECT_EQ(f.get<std::string>("k"), "second");

    // values read from a File stay valid in the Writer after the File is gone
    Writer w2;
    {
        File g = File::from_memory(bytes.data(), bytes.size());
        copy_into(g, w2);
    }
    auto bytes2 = w2.to_bytes();
    EXPECT_EQ(bytes2, bytes);
}

TEST(GgufWriter, RejectsBadInput) {
    Writer w;
    float x[8] = {};
    auto expect_arg = [](auto&& fn, const std::string& what) {
        try {
            fn();
            ADD_FAILURE() << "accepted; expected " << what;
        } catch (const Error& e) {
            EXPECT_EQ(e.code(), ErrorCode::InvalidArgument);
            EXPECT_NE(std::string(e.what()).find(what), std::string::npos) << e.what();
        }
    };
    expect_arg([&] { w.add_tensor("t", TensorType::F32, {8}, x, 16); }, "16 bytes given");
    expect_arg([&] { w.add_tensor("t", TensorType::F32, {0}, x, 0); }, "invalid dimension 0");
    expect_arg([&] { w.add_tensor("t", TensorType::F32, {1, 1, 1, 1, 1}, x, 4); }, "more than 4");
    expect_arg([&] { w.add_tensor("t", TensorType::Q4_0, {16}, x, 9); }, "not a multiple of the Q4_0 block size");
    expect_arg([&] { w.add_tensor("t", TensorType(4), {8}, x, 32); }, "unknown type id 4");
    w.add_tensor("t", TensorType::F32, {8}, x, 32);
    expect_arg([&] { w.add_tensor("t", TensorType::F32, {8}, x, 32); }, "duplicate tensor 't'");
    expect_arg([&] { w.set("", Value::make_u32(1)); }, "empty metadata key");
    expect_arg([&] { w.set("general.alignment", Value::make_u32(48)); }, "power of two");
    expect_arg([&] { w.set("general.alignment", Value::make_i32(32)); }, "UINT32");
    expect_arg([&] { w.set("k", Value::make_scalar(ValueType::UINT8, 300)); }, "out of range for UINT8");
    expect_arg([&] { w.set("k", Value::make_array(ValueType::UINT32, {Value::make_i32(1)})); },
               "array of UINT32 holds a INT32");
    Value deep = Value::make_u32(7);
    for (int i = 0; i < 9; ++i) deep = Value::make_array(i == 0 ? ValueType::UINT32 : ValueType::ARRAY, {deep});
    expect_arg([&] { w.set("k", deep); }, "nested too deep");
    expect_arg([] { Writer bad(24); }, "alignment 24");
}

TEST(GgufWriter, WriteIsAtomicAndReportsIo) {
    char tmpl[] = "/tmp/glint-gguf-w-XXXXXX";
    std::string dir = mkdtemp(tmpl);
    Writer w;
    w.set("general.architecture", Value::make_string("llama"));
    float x[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    w.add_tensor("t", TensorType::F32, {8}, x, sizeof x);
    std::string path = dir + "/out.gguf";
    w.write(path);
    EXPECT_EQ(slurp(path), w.to_bytes());
    File f = File::open(path);
    EXPECT_EQ(std::memcmp(f.tensor("t").data, x, sizeof x), 0);

    // overwrite in place
    w.set("general.name", Value::make_string("again"));
    w.write(path);
    EXPECT_EQ(File::open(path).get<std::string>("general.name"), "again");

    try {
        w.write(dir + "/no/such/dir/out.gguf");
        ADD_FAILURE();
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), ErrorCode::Io);
        EXPECT_NE(std::string(e.what()).find("No such file or directory"), std::string::npos) << e.what();
    }
    // a rename onto a directory fails after the data was written: the temp file must go
    fs::create_directory(dir + "/taken");
    fs::create_directory(dir + "/taken/x");
    try {
        w.write(dir + "/taken");
        ADD_FAILURE();
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), ErrorCode::Io) << e.what();
    }
    size_t n = 0;
    for (const auto& e : fs::directory_iterator(dir)) {
        (void)e;
        ++n;
    }
    EXPECT_EQ(n, 2u) << "a temporary file was left behind";
    fs::remove_all(dir);
}

TEST(GgufWriter, DeferredTensorsMatchCopiedOnesAndFailCleanly) {
    char tmpl[] = "/tmp/glint-gguf-d-XXXXXX";
    std::string dir = mkdtemp(tmpl);
    float x[40];
    for (int i = 0; i < 40; ++i) x[i] = float(i) * 0.5f;
    Writer copied, deferred;
    copied.add_tensor("a", TensorType::F32, {8}, x, 32);
    copied.add_tensor("b", TensorType::F32, {32}, x + 8, 128);
    deferred.add_tensor("a", TensorType::F32, {8}, x, 32);
    deferred.add_tensor_deferred("b", TensorType::F32, {32}, 128, [&](uint8_t* dst) { std::memcpy(dst, x + 8, 128); });
    EXPECT_EQ(deferred.to_bytes(), copied.to_bytes());
    deferred.write(dir + "/ok.gguf");
    EXPECT_EQ(slurp(dir + "/ok.gguf"), copied.to_bytes());
    EXPECT_THROW(deferred.add_tensor_deferred("c", TensorType::F32, {3}, 16, [](uint8_t*) {}), Error);  // size

    Writer failing;
    failing.add_tensor_deferred("t", TensorType::F32, {8}, 32, [](uint8_t*) {
        throw Error(ErrorCode::Cancelled, "stop");
    });
    EXPECT_THROW(failing.write(dir + "/fail.gguf"), Error);
    size_t n = 0;
    for (const auto& e : fs::directory_iterator(dir)) {
        (void)e;
        ++n;
    }
    EXPECT_EQ(n, 1u) << "a failed fill left a file behind";
    fs::remove_all(dir);
}

TEST(GgufWriter, SharedFilesRoundTrip) {
    GLINT_REQUIRE_SHARED();
    auto files = shared_ggufs();
    ASSERT_FALSE(files.empty());
    for (const auto& path : files) {
        SCOPED_TRACE(path);
        File f = File::open(path);
        Writer w(f.alignment());
        copy_into(f, w);
        auto bytes = w.to_bytes();
        File g = File::from_memory(bytes.data(), bytes.size(), "copy.gguf");
        EXPECT_EQ(g.alignment(), f.alignment());
        expect_same(f, g);
        if (!f.tensors().empty()) {
            // llama.cpp writes the same canonical layout, so the copy is byte-identical
            auto orig = slurp(path);
            EXPECT_TRUE(orig == bytes) << "sizes " << orig.size() << " vs " << bytes.size();
        }
    }
}
