// A little-endian byte builder for handcrafting (often broken) GGUF images.
#pragma once
#include <cstdint>
#include <cstring>
#include <string_view>
#include <vector>

namespace glint::test {

struct Bytes {
    std::vector<uint8_t> b;

    size_t pos() const { return b.size(); }
    Bytes& raw(const void* p, size_t n) {
        const auto* c = static_cast<const uint8_t*>(p);
        b.insert(b.end(), c, c + n);
        return *this;
    }
    template <class T>
    Bytes& put(T v) {
        return raw(&v, sizeof v);
    }
    Bytes& u8(uint8_t v) { return put(v); }
    Bytes& u32(uint32_t v) { return put(v); }
    Bytes& i32(int32_t v) { return put(v); }
    Bytes& u64(uint64_t v) { return put(v); }
    Bytes& f32(float v) { return put(v); }
    Bytes& str(std::string_view s) { return u64(s.size()).raw(s.data(), s.size()); }
    Bytes& zeros(size_t n) {
        b.resize(b.size() + n, 0);
        return *this;
    }
    Bytes& pad(size_t align) {
        b.resize((b.size() + align - 1) / align * align, 0);
        return *this;
    }

    Bytes& header(uint64_t n_tensors, uint64_t n_kv, uint32_t version = 3) {
        return raw("GGUF", 4).u32(version).u64(n_tensors).u64(n_kv);
    }
    // value type ids as in the GGUF spec
    Bytes& kv_u32(std::string_view k, uint32_t v) { return str(k).u32(4).u32(v); }
    Bytes& kv_i32(std::string_view k, int32_t v) { return str(k).u32(5).i32(v); }
    Bytes& kv_str(std::string_view k, std::string_view v) { return str(k).u32(8).str(v); }
    Bytes& tensor(std::string_view name, std::vector<uint64_t> dims, uint32_t type, uint64_t offset) {
        str(name).u32(uint32_t(dims.size()));
        for (uint64_t d : dims) u64(d);
        return u32(type).u64(offset);
    }
};

}  // namespace glint::test
