// Writes the fuzz seed corpus: small valid files covering every value type,
// nested arrays, several tensor types, both versions and a custom alignment.
// Usage: gguf_make_corpus <dir>
#include <cstdio>
#include <cstring>
#include <fstream>

#include "gguf/gguf.h"

using namespace glint;
using namespace glint::gguf;

static void save(const std::string& path, std::vector<uint8_t> bytes) {
    std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s <corpus-dir>\n", argv[0]);
        return 2;
    }
    std::string dir = argv[1];
    std::vector<uint8_t> buf(2048);
    for (size_t i = 0; i < buf.size(); ++i) buf[i] = uint8_t(i * 7 + 3);

    {
        Writer w;
        w.set("general.architecture", Value::make_string("llama"));
        w.add_tensor("a", TensorType::F32, {8}, buf.data(), 32);
        save(dir + "/valid_minimal.gguf", w.to_bytes());
        auto v2 = w.to_bytes();
        v2[4] = 2;
        save(dir + "/valid_v2.gguf", v2);
    }
    {
        Writer w;
        w.set("u8", Value::make_scalar(ValueType::UINT8, 200));
        w.set("i8", Value::make_scalar(ValueType::INT8, -5));
        w.set("u16", Value::make_scalar(ValueType::UINT16, 60000));
        w.set("i16", Value::make_scalar(ValueType::INT16, -300));
        w.set("u32", Value::make_u32(70000));
        w.set("i32", Value::make_i32(-70000));
        w.set("u64", Value::make_u64(1ull << 40));
        w.set("i64", Value::make_scalar(ValueType::INT64, -(int64_t(1) << 40)));
        w.set("f32", Value::make_f32(1e-5f));
        w.set("f64", Value::make_scalar(ValueType::FLOAT64, 10000.0));
        w.set("b", Value::make_bool(true));
        w.set("s", Value::make_string("hello"));
        w.set("arr", Value::make_array(ValueType::INT32, {Value::make_i32(1), Value::make_i32(-1)}));
        w.set("nested", Value::make_array(ValueType::ARRAY,
                                          {Value::make_string_array({"x", "yz"}),
                                           Value::make_array(ValueType::FLOAT32, {Value::make_f32(0.5f)})}));
        w.add_tensor("h", TensorType::F16, {4, 2}, buf.data(), 16);
        w.add_tensor("q", TensorType::Q8_0, {32}, buf.data(), 34);
        save(dir + "/valid_all_types.gguf", w.to_bytes());
    }
    {
        Writer w;
        w.set("general.architecture", Value::make_string("llama"));
        w.set("tokenizer.ggml.model", Value::make_string("llama"));
        std::vector<std::string> toks = {"<unk>", "<s>", "</s>", "\xe2\x96\x81the", "a", "b", "ab", "<0x0A>"};
        std::vector<Value> scores, types;
        for (size_t i = 0; i < toks.size(); ++i) {
            scores.push_back(Value::make_f32(-float(i)));
            types.push_back(Value::make_i32(i < 3 ? 3 : 1));
        }
        w.set("tokenizer.ggml.tokens", Value::make_string_array(toks));
        w.set("tokenizer.ggml.scores", Value::make_array(ValueType::FLOAT32, scores));
        w.set("tokenizer.ggml.token_type", Value::make_array(ValueType::INT32, types));
        w.set("tokenizer.ggml.merges", Value::make_string_array({"a b"}));
        w.set("tokenizer.ggml.bos_token_id", Value::make_u32(1));
        save(dir + "/valid_vocab.gguf", w.to_bytes());
    }
    {
        Writer w(64);
        w.set("general.architecture", Value::make_string("qwen2"));
        w.add_tensor("k", TensorType::Q4_K, {256}, buf.data(), 144);
        w.add_tensor("b", TensorType::BF16, {2, 2, 2, 2}, buf.data(), 32);
        w.add_tensor("s", TensorType::I8, {3}, buf.data(), 3);
        save(dir + "/valid_align64.gguf", w.to_bytes());
    }
    return 0;
}
