// GGUF reader: maps a file and validates every field before trusting it.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstring>
#include <limits>
#include <new>
#include <unordered_map>
#include <utility>

#include "gguf/gguf.h"
#include "gguf/internal.h"

static_assert(std::endian::native == std::endian::little, "the GGUF reader assumes a little-endian host");

namespace glint::gguf {

namespace {

constexpr int kMaxArrayDepth = 8;
constexpr uint64_t kDefaultAlignment = 32;
constexpr uint32_t kMaxDims = 4;
// Each parsed array element costs a Value (~80 bytes) however small its
// encoding; this bounds that blow-up far above any real vocabulary (~10^6).
constexpr uint64_t kMaxArrayElements = uint64_t(1) << 24;
// Smallest possible encodings, used to bound claimed counts by the bytes left.
constexpr uint64_t kMinKvBytes = 8 + 1 + 4 + 1;       // key len, 1-byte key, type, u8 value
constexpr uint64_t kMinTensorInfoBytes = 8 + 1 + 4 + 4 + 8;  // name len, name, n_dims, type, offset

struct AlignedFree {
    void operator()(uint8_t* p) const { ::operator delete[](p, std::align_val_t(64)); }
};

std::string q(std::string_view s) { return "'" + detail::printable(s) + "'"; }

}  // namespace

namespace {

// Everything the parser fills in; File::Impl (private to File) is just this.
struct FileData {
    std::string path;
    const uint8_t* data = nullptr;
    size_t size = 0;
    void* map_addr = nullptr;
    size_t map_len = 0;
    std::unique_ptr<uint8_t[], AlignedFree> heap;

    uint32_t version = 0;
    uint64_t alignment = kDefaultAlignment;
    uint64_t data_offset = 0;
    std::vector<KeyValue> kvs;
    std::vector<TensorInfo> tensors;
    std::unordered_map<std::string_view, size_t> key_index;
    std::unordered_map<std::string_view, size_t> tensor_index;

    FileData() = default;
    FileData(const FileData&) = delete;
    FileData& operator=(const FileData&) = delete;
    ~FileData() {
        if (map_addr) ::munmap(map_addr, map_len);
    }
};

class Parser {
public:
    explicit Parser(FileData& f) : f_(f), p_(f.data), n_(f.size) {}

    [[noreturn]] void fail(uint64_t at, const std::string& msg) const {
        std::string m = f_.path + ": at byte " + std::to_string(at) + ": ";
        if (!ctx_.empty()) m += ctx_ + ": ";
        throw Error(ErrorCode::InvalidFile, m + msg);
    }

    uint64_t pos() const { return pos_; }
    uint64_t remaining() const { return n_ - pos_; }
    void set_context(std::string c) { ctx_ = std::move(c); }

    void need(uint64_t bytes, const char* what) {
        if (bytes > remaining())
            fail(pos_, std::string("truncated ") + what + ": needs " + std::to_string(bytes) +
                           " bytes, only " + std::to_string(remaining()) + " left in the file");
    }

    template <class T>
    T read(const char* what) {
        need(sizeof(T), what);
        T v;
        std::memcpy(&v, p_ + pos_, sizeof(T));
        pos_ += sizeof(T);
        return v;
    }

    std::string_view read_string(const char* what) {
        uint64_t at = pos_;
        uint64_t len = read<uint64_t>(what);
        if (len > remaining())
            fail(at, std::string(what) + " length " + std::to_string(len) + " runs past end of file (" +
                         std::to_string(remaining()) + " bytes left)");
        std::string_view s(reinterpret_cast<const char*>(p_ + pos_), len);
        pos_ += len;
        return s;
    }

    // Reads a value of type t whose type tag has already been consumed.
    void read_value(Value& v, ValueType t, int depth) {
        v.type = t;
        switch (t) {
            case ValueType::UINT8: v.scalar.u = read<uint8_t>("UINT8 value"); break;
            case ValueType::INT8: v.scalar.i = read<int8_t>("INT8 value"); break;
            case ValueType::UINT16: v.scalar.u = read<uint16_t>("UINT16 value"); break;
            case ValueType::INT16: v.scalar.i = read<int16_t>("INT16 value"); break;
            case ValueType::UINT32: v.scalar.u = read<uint32_t>("UINT32 value"); break;
            case ValueType::INT32: v.scalar.i = read<int32_t>("INT32 value"); break;
            case ValueType::UINT64: v.scalar.u = read<uint64_t>("UINT64 value"); break;
            case ValueType::INT64: v.scalar.i = read<int64_t>("INT64 value"); break;
            case ValueType::FLOAT32: v.scalar.f = read<float>("FLOAT32 value"); break;
            case ValueType::FLOAT64: v.scalar.f = read<double>("FLOAT64 value"); break;
            case ValueType::BOOL: {
                uint64_t at = pos_;
                uint8_t b = read<uint8_t>("BOOL value");
                if (b > 1) fail(at, "invalid BOOL value " + std::to_string(b) + " (must be 0 or 1)");
                v.scalar.b = b != 0;
                break;
            }
            case ValueType::STRING: v.str = read_string("string"); break;
            case ValueType::ARRAY: read_array(v, depth); break;
        }
    }

    void read_array(Value& v, int depth) {
        uint64_t at = pos_;
        if (depth >= kMaxArrayDepth)
            fail(at, "arrays nested deeper than " + std::to_string(kMaxArrayDepth) + " levels");
        uint32_t et = read<uint32_t>("array element type");
        if (!detail::valid_value_type(et)) fail(at, "unknown array element type " + std::to_string(et));
        uint64_t count = read<uint64_t>("array length");
        ValueType elem = ValueType(et);
        uint64_t min_elem = detail::scalar_size(elem);
        if (elem == ValueType::STRING) min_elem = 8;
        if (elem == ValueType::ARRAY) min_elem = 12;
        if (count > remaining() / min_elem)
            fail(at, "array length " + std::to_string(count) + " of " + value_type_name(elem) +
                         " needs at least " + std::to_string(min_elem) + " bytes per item, only " +
                         std::to_string(remaining()) + " bytes left in the file");
        if (count > kMaxArrayElements - array_elements_)
            fail(at, "array length " + std::to_string(count) + " brings the metadata past the limit of " +
                         std::to_string(kMaxArrayElements) + " array elements in total");
        array_elements_ += count;
        v.elem_type = elem;
        v.array.resize(count);
        if (elem == ValueType::STRING) {
            // Hot path for vocabularies: no per-element dispatch.
            for (Value& e : v.array) {
                e.type = ValueType::STRING;
                e.str = read_string("string");
            }
        } else {
            for (Value& e : v.array) read_value(e, elem, depth + 1);
        }
    }

    void parse_header() {
        if (n_ < 4) fail(0, "truncated header: file is " + std::to_string(n_) + " bytes, too small for GGUF");
        if (std::memcmp(p_, "GGUF", 4) != 0) {
            static const char hex[] = "0123456789abcdef";
            std::string found;
            for (int i = 0; i < 4; ++i) {
                if (i) found += ' ';
                found += hex[p_[i] >> 4];
                found += hex[p_[i] & 15];
            }
            fail(0, "bad magic: expected \"GGUF\", found " + found + " (not a GGUF file)");
        }
        pos_ = 4;
        uint64_t at = pos_;
        uint32_t version = read<uint32_t>("header");
        if (version != 2 && version != 3) {
            uint32_t swapped = __builtin_bswap32(version);
            std::string msg = "unsupported GGUF version " + std::to_string(version);
            if (swapped == 2 || swapped == 3)
                msg += " (a big-endian file; only little-endian GGUF is supported)";
            else
                msg += " (supported: 2 and 3)";
            fail(at, msg);
        }
        f_.version = version;
        at = pos_;
        tensor_count_ = read<uint64_t>("header");
        uint64_t kv_at = pos_;
        kv_count_ = read<uint64_t>("header");
        if (kv_count_ > remaining() / kMinKvBytes)
            fail(kv_at, "metadata kv count " + std::to_string(kv_count_) + " is impossible: the " +
                            std::to_string(remaining()) + " bytes left could hold at most " +
                            std::to_string(remaining() / kMinKvBytes));
        if (tensor_count_ > remaining() / kMinTensorInfoBytes)
            fail(at, "tensor count " + std::to_string(tensor_count_) + " is impossible: the " +
                         std::to_string(remaining()) + " bytes left could hold at most " +
                         std::to_string(remaining() / kMinTensorInfoBytes));
    }

    void parse_metadata() {
        f_.kvs.resize(kv_count_);
        f_.key_index.reserve(kv_count_);
        for (uint64_t i = 0; i < kv_count_; ++i) {
            KeyValue& kv = f_.kvs[i];
            kv.offset = pos_;
            set_context("metadata entry #" + std::to_string(i));
            kv.key = read_string("metadata key");
            if (kv.key.empty()) fail(kv.offset, "empty metadata key");
            set_context("metadata key " + q(kv.key));
            auto [it, fresh] = f_.key_index.emplace(kv.key, i);
            if (!fresh)
                fail(kv.offset, "duplicate metadata key (first defined at byte " +
                                    std::to_string(f_.kvs[it->second].offset) + ")");
            uint64_t type_at = pos_;
            uint32_t t = read<uint32_t>("value type");
            if (!detail::valid_value_type(t)) fail(type_at, "unknown value type " + std::to_string(t));
            read_value(kv.value, ValueType(t), 0);
        }
        set_context("");
    }

    void parse_alignment() {
        auto it = f_.key_index.find("general.alignment");
        if (it == f_.key_index.end()) return;
        const KeyValue& kv = f_.kvs[it->second];
        set_context("metadata key 'general.alignment'");
        if (kv.value.type != ValueType::UINT32)
            fail(kv.offset, std::string("has type ") + value_type_name(kv.value.type) + ", expected UINT32");
        uint64_t a = kv.value.scalar.u;
        if (a == 0 || (a & (a - 1)) != 0)
            fail(kv.offset, "alignment " + std::to_string(a) + " is not a non-zero power of two");
        f_.alignment = a;
        set_context("");
    }

    void parse_tensor_infos() {
        if (tensor_count_ > remaining() / kMinTensorInfoBytes)
            fail(pos_, "tensor count " + std::to_string(tensor_count_) + " is impossible: the " +
                           std::to_string(remaining()) + " bytes left after the metadata could hold at most " +
                           std::to_string(remaining() / kMinTensorInfoBytes));
        f_.tensors.resize(tensor_count_);
        f_.tensor_index.reserve(tensor_count_);
        for (uint64_t i = 0; i < tensor_count_; ++i) {
            TensorInfo& t = f_.tensors[i];
            t.info_offset = pos_;
            set_context("tensor #" + std::to_string(i));
            t.name = read_string("tensor name");
            if (t.name.empty()) fail(t.info_offset, "empty tensor name");
            set_context("tensor " + q(t.name));
            auto [it, fresh] = f_.tensor_index.emplace(t.name, i);
            if (!fresh)
                fail(t.info_offset, "duplicate tensor name (first defined at byte " +
                                        std::to_string(f_.tensors[it->second].info_offset) + ")");
            uint64_t at = pos_;
            t.n_dims = read<uint32_t>("n_dims");
            if (t.n_dims > kMaxDims)
                fail(at, "n_dims " + std::to_string(t.n_dims) + " exceeds the maximum of " + std::to_string(kMaxDims));
            uint64_t n = 1;
            for (uint32_t d = 0; d < t.n_dims; ++d) {
                at = pos_;
                uint64_t dim = read<uint64_t>("dimension");
                if (dim == 0) fail(at, "dimension " + std::to_string(d) + " is zero");
                if (dim > uint64_t(std::numeric_limits<int64_t>::max()) ||
                    n > uint64_t(std::numeric_limits<int64_t>::max()) / dim)
                    fail(at, "dimensions overflow: element count exceeds int64 at dimension " + std::to_string(d) +
                                 " (" + std::to_string(dim) + ")");
                n *= dim;
                t.ne[d] = int64_t(dim);
            }
            t.n_elements = n;
            at = pos_;
            uint32_t type_id = read<uint32_t>("tensor type");
            const TypeInfo* ti = type_info(type_id);
            if (!ti) fail(at, "unknown tensor type id " + std::to_string(type_id));
            t.type = TensorType(type_id);
            if (uint64_t(t.ne[0]) % ti->block_size != 0)
                fail(at, "row length " + std::to_string(t.ne[0]) + " is not a multiple of the " + ti->name +
                             " block size " + std::to_string(ti->block_size));
            uint64_t bytes;
            if (__builtin_mul_overflow(n / ti->block_size, uint64_t(ti->type_size), &bytes))
                fail(at, "byte size of " + std::to_string(n) + " " + ti->name + " elements overflows");
            t.n_bytes = bytes;
            at = pos_;
            t.offset = read<uint64_t>("tensor data offset");
            if (t.offset % f_.alignment != 0)
                fail(at, "data offset " + std::to_string(t.offset) + " is not a multiple of the alignment " +
                             std::to_string(f_.alignment));
        }
        set_context("");
    }

    void place_data() {
        // The data section starts at the next alignment boundary; vocab-only
        // files may end before it, which is fine when they hold no tensors.
        uint64_t a = f_.alignment;
        f_.data_offset = (pos_ + a - 1) / a * a;
        for (TensorInfo& t : f_.tensors) {
            set_context("tensor " + q(t.name));
            uint64_t start, end;
            if (__builtin_add_overflow(f_.data_offset, t.offset, &start) ||
                __builtin_add_overflow(start, t.n_bytes, &end) || end > n_)
                fail(t.info_offset, "data (offset " + std::to_string(t.offset) + ", " + std::to_string(t.n_bytes) +
                                        " bytes, from data section at byte " + std::to_string(f_.data_offset) +
                                        ") runs past end of file (" + std::to_string(n_) + " bytes)");
            t.data = p_ + start;
        }
        std::vector<const TensorInfo*> order;
        order.reserve(f_.tensors.size());
        for (const TensorInfo& t : f_.tensors) order.push_back(&t);
        std::sort(order.begin(), order.end(),
                  [](const TensorInfo* x, const TensorInfo* y) { return x->offset < y->offset; });
        for (size_t i = 1; i < order.size(); ++i) {
            const TensorInfo& prev = *order[i - 1];
            const TensorInfo& cur = *order[i];
            if (prev.offset + prev.n_bytes > cur.offset) {
                set_context("tensor " + q(cur.name));
                fail(cur.info_offset, "data [" + std::to_string(cur.offset) + ", " +
                                          std::to_string(cur.offset + cur.n_bytes) + ") overlaps tensor " +
                                          q(prev.name) + " [" + std::to_string(prev.offset) + ", " +
                                          std::to_string(prev.offset + prev.n_bytes) + ")");
            }
        }
        set_context("");
    }

private:
    FileData& f_;
    const uint8_t* p_;
    uint64_t n_;
    uint64_t pos_ = 0;
    uint64_t tensor_count_ = 0;
    uint64_t kv_count_ = 0;
    uint64_t array_elements_ = 0;
    std::string ctx_;
};

[[noreturn]] void io_error(const std::string& path, const std::string& what, int err) {
    throw Error(ErrorCode::Io, path + ": " + what + ": " + std::strerror(err));
}

}  // namespace

struct File::Impl : FileData {
    void parse();
};

void File::Impl::parse() {
    Parser p(*this);
    p.parse_header();
    p.parse_metadata();
    p.parse_alignment();
    p.parse_tensor_infos();
    p.place_data();
}

File::File(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
File::File(File&&) noexcept = default;
File& File::operator=(File&&) noexcept = default;
File::~File() = default;

File File::open(const std::string& path) {
    auto impl = std::make_unique<Impl>();
    impl->path = path;
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) io_error(path, "cannot open", errno);
    struct stat st;
    if (::fstat(fd, &st) != 0) {
        int e = errno;
        ::close(fd);
        io_error(path, "cannot stat", e);
    }
    if (!S_ISREG(st.st_mode)) {
        ::close(fd);
        io_error(path, "cannot map", S_ISDIR(st.st_mode) ? EISDIR : EINVAL);
    }
    if (st.st_size == 0) {
        ::close(fd);
        throw Error(ErrorCode::Io, path + ": cannot map: file is empty");
    }
    void* m = ::mmap(nullptr, size_t(st.st_size), PROT_READ, MAP_PRIVATE, fd, 0);
    int e = errno;
    ::close(fd);  // the mapping keeps the file alive
    if (m == MAP_FAILED) io_error(path, "cannot map", e);
    impl->map_addr = m;
    impl->map_len = size_t(st.st_size);
    impl->data = static_cast<const uint8_t*>(m);
    impl->size = size_t(st.st_size);
    impl->parse();
    return File(std::move(impl));
}

File File::from_memory(const void* data, size_t size, std::string name) {
    auto impl = std::make_unique<Impl>();
    impl->path = std::move(name);
    // Over-aligned copy so tensor data keeps the file's alignment in memory.
    impl->heap.reset(static_cast<uint8_t*>(::operator new[](size ? size : 1, std::align_val_t(64))));
    if (size) std::memcpy(impl->heap.get(), data, size);
    impl->data = impl->heap.get();
    impl->size = size;
    impl->parse();
    return File(std::move(impl));
}

const std::string& File::path() const { return impl_->path; }
uint32_t File::version() const { return impl_->version; }
uint64_t File::alignment() const { return impl_->alignment; }
uint64_t File::data_offset() const { return impl_->data_offset; }
uint64_t File::file_size() const { return impl_->size; }
const uint8_t* File::base() const { return impl_->data; }
const std::vector<KeyValue>& File::metadata() const { return impl_->kvs; }
const std::vector<TensorInfo>& File::tensors() const { return impl_->tensors; }

const Value* File::find(std::string_view key) const {
    auto it = impl_->key_index.find(key);
    return it == impl_->key_index.end() ? nullptr : &impl_->kvs[it->second].value;
}

const TensorInfo* File::find_tensor(std::string_view name) const {
    auto it = impl_->tensor_index.find(name);
    return it == impl_->tensor_index.end() ? nullptr : &impl_->tensors[it->second];
}

const TensorInfo& File::tensor(std::string_view name) const {
    if (const TensorInfo* t = find_tensor(name)) return *t;
    throw Error(ErrorCode::InvalidFile, impl_->path + ": tensor " + q(name) + " not found");
}

// ---- typed access ----------------------------------------------------------

namespace {

template <class T>
constexpr const char* wanted_name() {
    if constexpr (std::is_same_v<T, bool>) return "a BOOL";
    else if constexpr (std::is_same_v<T, std::string> || std::is_same_v<T, std::string_view>) return "a STRING";
    else if constexpr (std::is_floating_point_v<T>) return "a number";
    else return "an integer";
}

struct KeyCtx {
    const std::string& path;
    std::string_view key;

    [[noreturn]] void fail(const std::string& msg) const {
        throw Error(ErrorCode::InvalidFile, path + ": metadata key " + q(key) + " " + msg);
    }
};

template <class T>
T convert(const Value& v, const KeyCtx& k, size_t elem = SIZE_MAX) {
    // built only on failure: this runs once per element of big arrays
    auto elem_prefix = [elem] { return elem == SIZE_MAX ? std::string() : "element " + std::to_string(elem) + " "; };
    if constexpr (std::is_same_v<T, bool>) {
        if (v.type == ValueType::BOOL) return v.scalar.b;
    } else if constexpr (std::is_same_v<T, std::string> || std::is_same_v<T, std::string_view>) {
        if (v.type == ValueType::STRING) return T(v.str);
    } else if constexpr (std::is_floating_point_v<T>) {
        if (v.is_float()) return static_cast<T>(v.scalar.f);
        if (detail::is_signed_int(v.type)) return static_cast<T>(v.scalar.i);
        if (detail::is_unsigned_int(v.type)) return static_cast<T>(v.scalar.u);
    } else {
        if (detail::is_signed_int(v.type)) {
            if (!std::in_range<T>(v.scalar.i))
                k.fail(elem_prefix() + "value " + std::to_string(v.scalar.i) + " is out of range for " +
                       (std::is_signed_v<T> ? "int" : "uint") + std::to_string(sizeof(T) * 8));
            return static_cast<T>(v.scalar.i);
        }
        if (detail::is_unsigned_int(v.type)) {
            if (!std::in_range<T>(v.scalar.u))
                k.fail(elem_prefix() + "value " + std::to_string(v.scalar.u) + " is out of range for " +
                       (std::is_signed_v<T> ? "int" : "uint") + std::to_string(sizeof(T) * 8));
            return static_cast<T>(v.scalar.u);
        }
    }
    k.fail(elem_prefix() + "is " + value_type_name(v.type) + ", expected " + wanted_name<T>());
}

}  // namespace

template <class T>
T File::get(std::string_view key) const {
    KeyCtx k{impl_->path, key};
    const Value* v = find(key);
    if (!v) k.fail("not found");
    return convert<T>(*v, k);
}

template <class T>
T File::get_or(std::string_view key, T fallback) const {
    const Value* v = find(key);
    if (!v) return fallback;
    return convert<T>(*v, KeyCtx{impl_->path, key});
}

template <class T>
std::vector<T> File::get_array(std::string_view key) const {
    KeyCtx k{impl_->path, key};
    const Value* v = find(key);
    if (!v) k.fail("not found");
    if (v->type != ValueType::ARRAY)
        k.fail(std::string("is ") + value_type_name(v->type) + ", expected an array");
    std::vector<T> out;
    out.reserve(v->array.size());
    for (size_t i = 0; i < v->array.size(); ++i)
        out.push_back(convert<T>(v->array[i], k, i));
    return out;
}

std::vector<std::string_view> File::get_string_array(std::string_view key) const {
    KeyCtx k{impl_->path, key};
    const Value* v = find(key);
    if (!v) k.fail("not found");
    if (v->type != ValueType::ARRAY || v->elem_type != ValueType::STRING)
        k.fail(std::string("is ") +
               (v->type == ValueType::ARRAY ? std::string("an array of ") + value_type_name(v->elem_type)
                                            : std::string(value_type_name(v->type))) +
               ", expected an array of STRING");
    std::vector<std::string_view> out;
    out.reserve(v->array.size());
    for (const Value& e : v->array) out.push_back(e.str);
    return out;
}

#define GLINT_INST(T)                                                          \
    template T File::get<T>(std::string_view) const;                           \
    template T File::get_or<T>(std::string_view, T) const;                     \
    template std::vector<T> File::get_array<T>(std::string_view) const;
GLINT_INST(uint8_t) GLINT_INST(uint16_t) GLINT_INST(uint32_t) GLINT_INST(uint64_t)
GLINT_INST(int8_t) GLINT_INST(int16_t) GLINT_INST(int32_t) GLINT_INST(int64_t)
GLINT_INST(float) GLINT_INST(double) GLINT_INST(bool)
GLINT_INST(std::string) GLINT_INST(std::string_view)
#undef GLINT_INST

}  // namespace glint::gguf
