// GGUF v3 writer: the same layout the reader accepts (and llama.cpp writes):
// header, key/values, tensor infos, padding, then each tensor's data padded
// to the alignment.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <limits>
#include <utility>

#include "gguf/gguf.h"
#include "gguf/internal.h"

namespace glint::gguf {

namespace {

constexpr int kMaxArrayDepth = 8;

[[noreturn]] void bad_arg(const std::string& msg) { throw Error(ErrorCode::InvalidArgument, "gguf::Writer: " + msg); }

uint64_t align_up(uint64_t x, uint64_t a) { return (x + a - 1) / a * a; }

bool is_pow2(uint64_t a) { return a != 0 && (a & (a - 1)) == 0; }

class Buf {
public:
    std::vector<uint8_t> b;

    void raw(const void* p, size_t n) {
        // resize+memcpy rather than insert: GCC 12 warns falsely on the latter
        size_t at = b.size();
        b.resize(at + n);
        if (n) std::memcpy(b.data() + at, p, n);
    }
    template <class T>
    void put(T v) {
        raw(&v, sizeof v);
    }
    void str(std::string_view s) {
        put<uint64_t>(s.size());
        raw(s.data(), s.size());
    }
};

// Checks that an integer value fits the declared GGUF type, so what is written
// reads back as the same value.
void check_range(const Value& v, const std::string& key) {
    auto fail = [&] { bad_arg("key '" + key + "': value out of range for " + value_type_name(v.type)); };
    switch (v.type) {
        case ValueType::UINT8: if (v.scalar.u > 0xff) fail(); break;
        case ValueType::UINT16: if (v.scalar.u > 0xffff) fail(); break;
        case ValueType::UINT32: if (v.scalar.u > 0xffffffffu) fail(); break;
        case ValueType::INT8: if (!std::in_range<int8_t>(v.scalar.i)) fail(); break;
        case ValueType::INT16: if (!std::in_range<int16_t>(v.scalar.i)) fail(); break;
        case ValueType::INT32: if (!std::in_range<int32_t>(v.scalar.i)) fail(); break;
        default: break;
    }
}

void validate(const Value& v, const std::string& key, int depth) {
    if (!detail::valid_value_type(uint32_t(v.type)))
        bad_arg("key '" + key + "': unknown value type " + std::to_string(uint32_t(v.type)));
    check_range(v, key);
    if (v.type != ValueType::ARRAY) return;
    if (depth >= kMaxArrayDepth) bad_arg("key '" + key + "': arrays nested too deep");
    if (!detail::valid_value_type(uint32_t(v.elem_type)))
        bad_arg("key '" + key + "': unknown array element type " + std::to_string(uint32_t(v.elem_type)));
    for (const Value& e : v.array) {
        if (e.type != v.elem_type)
            bad_arg("key '" + key + "': array of " + value_type_name(v.elem_type) + " holds a " +
                    value_type_name(e.type));
        validate(e, key, depth + 1);
    }
}

void put_value(Buf& o, const Value& v) {
    switch (v.type) {
        case ValueType::UINT8: o.put<uint8_t>(uint8_t(v.scalar.u)); break;
        case ValueType::INT8: o.put<int8_t>(int8_t(v.scalar.i)); break;
        case ValueType::UINT16: o.put<uint16_t>(uint16_t(v.scalar.u)); break;
        case ValueType::INT16: o.put<int16_t>(int16_t(v.scalar.i)); break;
        case ValueType::UINT32: o.put<uint32_t>(uint32_t(v.scalar.u)); break;
        case ValueType::INT32: o.put<int32_t>(int32_t(v.scalar.i)); break;
        case ValueType::UINT64: o.put<uint64_t>(v.scalar.u); break;
        case ValueType::INT64: o.put<int64_t>(v.scalar.i); break;
        case ValueType::FLOAT32: o.put<float>(float(v.scalar.f)); break;
        case ValueType::FLOAT64: o.put<double>(v.scalar.f); break;
        case ValueType::BOOL: o.put<uint8_t>(v.scalar.b ? 1 : 0); break;
        case ValueType::STRING: o.str(v.str); break;
        case ValueType::ARRAY:
            o.put<uint32_t>(uint32_t(v.elem_type));
            o.put<uint64_t>(v.array.size());
            for (const Value& e : v.array) put_value(o, e);
            break;
    }
}

}  // namespace

Writer::Writer(uint64_t alignment) : alignment_(alignment) {
    if (!is_pow2(alignment) || alignment > std::numeric_limits<uint32_t>::max())
        bad_arg("alignment " + std::to_string(alignment) + " is not a power of two that fits in 32 bits");
}

void Writer::set(std::string key, Value v) {
    if (key.empty()) bad_arg("empty metadata key");
    validate(v, key, 0);
    if (key == "general.alignment") {
        // the key decides the layout, so keep the two in step
        if (v.type != ValueType::UINT32 || !is_pow2(v.scalar.u))
            bad_arg("general.alignment must be a UINT32 power of two");
        alignment_ = v.scalar.u;
    }
    detail::make_owned(v);  // never point into a File that may be closed first
    for (auto& kv : kvs_)
        if (kv.first == key) {
            kv.second = std::move(v);
            return;
        }
    kvs_.emplace_back(std::move(key), std::move(v));
}

void Writer::check_tensor(const std::string& name, TensorType type, const std::vector<int64_t>& dims,
                          size_t bytes) const {
    if (name.empty()) bad_arg("empty tensor name");
    for (const auto& t : tensors_)
        if (t.name == name) bad_arg("duplicate tensor '" + name + "'");
    const TypeInfo* ti = type_info(uint32_t(type));
    if (!ti) bad_arg("tensor '" + name + "': unknown type id " + std::to_string(uint32_t(type)));
    if (dims.size() > 4) bad_arg("tensor '" + name + "': more than 4 dimensions");
    int64_t n = 1;
    for (int64_t d : dims) {
        if (d <= 0 || n > std::numeric_limits<int64_t>::max() / d)
            bad_arg("tensor '" + name + "': invalid dimension " + std::to_string(d));
        n *= d;
    }
    if ((dims.empty() ? 1 : dims[0]) % ti->block_size != 0)
        bad_arg("tensor '" + name + "': row length is not a multiple of the " + ti->name + " block size");
    size_t want = row_bytes(type, n);
    if (bytes != want)
        bad_arg("tensor '" + name + "': " + std::to_string(bytes) + " bytes given, " + ti->name + " " +
                "shape needs " + std::to_string(want));
}

void Writer::add_tensor(std::string name, TensorType type, std::vector<int64_t> dims, const void* data,
                        size_t bytes) {
    check_tensor(name, type, dims, bytes);
    const auto* p = static_cast<const uint8_t*>(data);
    tensors_.push_back(
        PendingTensor{std::move(name), type, std::move(dims), std::vector<uint8_t>(p, p + bytes), bytes, {}});
}

void Writer::add_tensor_deferred(std::string name, TensorType type, std::vector<int64_t> dims, size_t bytes,
                                 TensorFill fill) {
    check_tensor(name, type, dims, bytes);
    if (!fill) bad_arg("tensor '" + name + "': no fill function");
    tensors_.push_back(PendingTensor{std::move(name), type, std::move(dims), {}, bytes, std::move(fill)});
}

// Everything up to the data section, padded to the alignment.
static std::vector<uint8_t> build_head(uint64_t alignment,
                                       const std::vector<std::pair<std::string, Value>>& kvs,
                                       const auto& tensors) {
    bool has_align_key = false;
    for (const auto& kv : kvs) has_align_key |= kv.first == "general.alignment";
    bool add_align = alignment != 32 && !has_align_key;

    Buf o;
    o.raw("GGUF", 4);
    o.put<uint32_t>(3);
    o.put<uint64_t>(tensors.size());
    o.put<uint64_t>(kvs.size() + (add_align ? 1 : 0));
    for (const auto& [key, v] : kvs) {
        o.str(key);
        o.put<uint32_t>(uint32_t(v.type));
        put_value(o, v);
    }
    if (add_align) {
        o.str("general.alignment");
        o.put<uint32_t>(uint32_t(ValueType::UINT32));
        o.put<uint32_t>(uint32_t(alignment));
    }
    uint64_t offset = 0;
    for (const auto& t : tensors) {
        o.str(t.name);
        o.put<uint32_t>(uint32_t(t.dims.size()));
        for (int64_t d : t.dims) o.put<uint64_t>(uint64_t(d));
        o.put<uint32_t>(uint32_t(t.type));
        o.put<uint64_t>(offset);
        offset = align_up(offset + t.size, alignment);
    }
    o.b.resize(align_up(o.b.size(), alignment), 0);
    return std::move(o.b);
}

std::vector<uint8_t> Writer::to_bytes() const {
    std::vector<uint8_t> out = build_head(alignment_, kvs_, tensors_);
    for (const auto& t : tensors_) {
        const size_t at = out.size();
        out.resize(at + t.size);
        if (t.fill) t.fill(out.data() + at);
        else if (t.size) std::memcpy(out.data() + at, t.data.data(), t.size);
        out.resize(align_up(out.size(), alignment_), 0);
    }
    return out;
}

namespace {

void write_all(int fd, const void* p, size_t n) {
    const auto* c = static_cast<const uint8_t*>(p);
    while (n) {
        ssize_t w = ::write(fd, c, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            throw errno;
        }
        c += w;
        n -= size_t(w);
    }
}

}  // namespace

void Writer::write(const std::string& path) const {
    std::vector<uint8_t> head = build_head(alignment_, kvs_, tensors_);
    std::string tmp = path + ".tmp-XXXXXX";
    int fd = ::mkstemp(tmp.data());
    if (fd < 0)
        throw Error(ErrorCode::Io, path + ": cannot create temporary file: " + std::strerror(errno));
    try {
        write_all(fd, head.data(), head.size());
        static const uint8_t zeros[256] = {};
        std::vector<uint8_t> filled;  // reused for deferred tensors
        for (const auto& t : tensors_) {
            const uint8_t* src = t.data.data();
            if (t.fill) {
                filled.resize(t.size);
                t.fill(filled.data());
                src = filled.data();
            }
            write_all(fd, src, t.size);
            size_t pad = align_up(t.size, alignment_) - t.size;
            while (pad) {
                size_t k = std::min(pad, sizeof zeros);
                write_all(fd, zeros, k);
                pad -= k;
            }
        }
        if (::fchmod(fd, 0644) != 0 || ::fsync(fd) != 0) throw errno;
        if (::close(fd) != 0) {
            fd = -1;
            throw errno;
        }
        fd = -1;
        if (::rename(tmp.c_str(), path.c_str()) != 0) throw errno;
    } catch (int err) {
        if (fd >= 0) ::close(fd);
        ::unlink(tmp.c_str());
        throw Error(ErrorCode::Io, path + ": cannot write: " + std::strerror(err));
    } catch (...) {  // a deferred tensor's fill failed
        if (fd >= 0) ::close(fd);
        ::unlink(tmp.c_str());
        throw;
    }
}

}  // namespace glint::gguf
