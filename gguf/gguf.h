// GGUF reader and writer.
//
// gguf::File is a validated, read-only view of a GGUF v2/v3 file mapped into
// memory: metadata key/values and tensor infos are parsed eagerly and every
// count, length, dimension, offset and alignment is checked before use. Strings
// and tensor data point into the mapping, so a File must outlive the views it
// hands out. Every problem throws glint::Error(InvalidFile) whose message names
// the file, the byte offset and the key or tensor concerned.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "gguf/error.h"
#include "kernels/types.h"

namespace glint::gguf {

enum class ValueType : uint32_t {
    UINT8 = 0, INT8 = 1, UINT16 = 2, INT16 = 3, UINT32 = 4, INT32 = 5, FLOAT32 = 6,
    BOOL = 7, STRING = 8, ARRAY = 9, UINT64 = 10, INT64 = 11, FLOAT64 = 12,
};
const char* value_type_name(ValueType t);

// One metadata value. Scalars live in the union (integers sign- or zero-extended,
// floats widened to double); strings view the mapped file (or owned storage in
// values built for the Writer); arrays hold their elements, possibly nested.
struct Value {
    ValueType type = ValueType::UINT8;
    union {
        uint64_t u;
        int64_t i;
        double f;
        bool b;
    } scalar{};
    std::string_view str;            // STRING
    ValueType elem_type = ValueType::UINT8;  // ARRAY: type of every element
    std::vector<Value> array;        // ARRAY

    std::shared_ptr<std::string> owned;  // backing store for Writer-built strings

    static Value make_u32(uint32_t v);
    static Value make_i32(int32_t v);
    static Value make_u64(uint64_t v);
    static Value make_f32(float v);
    static Value make_bool(bool v);
    static Value make_string(std::string v);
    static Value make_array(ValueType elem, std::vector<Value> elems);
    static Value make_string_array(const std::vector<std::string>& v);
    template <class T> static Value make_scalar(ValueType t, T v);

    bool is_integer() const;
    bool is_float() const;
    std::string to_display(size_t max_array = 8) const;  // for inspect / messages
};

// Structural equality: same type, element type and values (floats bitwise).
bool operator==(const Value& a, const Value& b);

struct KeyValue {
    std::string_view key;
    Value value;
    uint64_t offset = 0;  // byte offset of the key in the file
};

struct TensorInfo {
    std::string_view name;
    TensorType type = TensorType::F32;
    uint32_t n_dims = 0;
    int64_t ne[4] = {1, 1, 1, 1};  // ne[0] is the contiguous (row) dimension
    uint64_t offset = 0;           // relative to the start of the data section
    uint64_t n_elements = 0;
    uint64_t n_bytes = 0;
    const uint8_t* data = nullptr;  // into the mapping
    uint64_t info_offset = 0;       // byte offset of this tensor's info record
};

class File {
public:
    // Maps and validates `path`. Throws glint::Error (Io or InvalidFile).
    static File open(const std::string& path);
    // Validates an in-memory image (fuzzing, tests). The bytes are copied.
    static File from_memory(const void* data, size_t size, std::string name = "<memory>");

    File(File&&) noexcept;
    File& operator=(File&&) noexcept;
    ~File();

    const std::string& path() const;
    uint32_t version() const;
    uint64_t alignment() const;
    uint64_t data_offset() const;  // absolute offset of the tensor data section
    uint64_t file_size() const;
    const uint8_t* base() const;   // start of the mapping

    const std::vector<KeyValue>& metadata() const;  // in file order
    const std::vector<TensorInfo>& tensors() const; // in file order

    const Value* find(std::string_view key) const;  // nullptr when absent
    const TensorInfo* find_tensor(std::string_view name) const;
    const TensorInfo& tensor(std::string_view name) const;  // throws naming the tensor

    // Typed access: throws glint::Error naming the key when missing or of
    // another type. Integer reads accept any integer type whose value fits T.
    template <class T> T get(std::string_view key) const;
    template <class T> T get_or(std::string_view key, T fallback) const;
    std::vector<std::string_view> get_string_array(std::string_view key) const;
    template <class T> std::vector<T> get_array(std::string_view key) const;

private:
    struct Impl;
    explicit File(std::unique_ptr<Impl>);
    std::unique_ptr<Impl> impl_;
};

// Builds a GGUF v3 file. Keys and tensors are written in insertion order; tensor
// data is aligned to `alignment` (general.alignment is written when not 32).
class Writer {
public:
    explicit Writer(uint64_t alignment = 32);
    void set(std::string key, Value v);   // replaces an existing key of that name
    // dims as in TensorInfo::ne (ne[0] first); bytes must equal the type's size.
    void add_tensor(std::string name, TensorType type, std::vector<int64_t> dims,
                    const void* data, size_t bytes);
    // A tensor whose `bytes` are produced by fill(dst) only while writing, one
    // tensor at a time, so multi-GB files never sit whole in memory. fill may
    // throw; write() then removes its temporary file and rethrows.
    using TensorFill = std::function<void(uint8_t* dst)>;
    void add_tensor_deferred(std::string name, TensorType type, std::vector<int64_t> dims, size_t bytes,
                             TensorFill fill);
    // Writes to `path` through a temporary file renamed into place, so a failed
    // write never leaves a partial file. Throws glint::Error(Io).
    void write(const std::string& path) const;
    std::vector<uint8_t> to_bytes() const;

private:
    struct PendingTensor {
        std::string name;
        TensorType type;
        std::vector<int64_t> dims;
        std::vector<uint8_t> data;  // empty when deferred
        size_t size = 0;
        TensorFill fill;
    };
    void check_tensor(const std::string& name, TensorType type, const std::vector<int64_t>& dims, size_t bytes) const;
    uint64_t alignment_;
    std::vector<std::pair<std::string, Value>> kvs_;
    std::vector<PendingTensor> tensors_;
};

}  // namespace glint::gguf
