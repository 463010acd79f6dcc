// gguf::Value construction, classification and display.
#include <charconv>
#include <cmath>
#include <cstring>

#include "gguf/gguf.h"
#include "gguf/internal.h"

namespace glint::gguf {

const char* value_type_name(ValueType t) {
    switch (t) {
        case ValueType::UINT8: return "UINT8";
        case ValueType::INT8: return "INT8";
        case ValueType::UINT16: return "UINT16";
        case ValueType::INT16: return "INT16";
        case ValueType::UINT32: return "UINT32";
        case ValueType::INT32: return "INT32";
        case ValueType::FLOAT32: return "FLOAT32";
        case ValueType::BOOL: return "BOOL";
        case ValueType::STRING: return "STRING";
        case ValueType::ARRAY: return "ARRAY";
        case ValueType::UINT64: return "UINT64";
        case ValueType::INT64: return "INT64";
        case ValueType::FLOAT64: return "FLOAT64";
    }
    return "UNKNOWN";
}

namespace detail {

bool valid_value_type(uint32_t t) { return t <= uint32_t(ValueType::FLOAT64); }

bool is_signed_int(ValueType t) {
    return t == ValueType::INT8 || t == ValueType::INT16 || t == ValueType::INT32 ||
           t == ValueType::INT64;
}

bool is_unsigned_int(ValueType t) {
    return t == ValueType::UINT8 || t == ValueType::UINT16 || t == ValueType::UINT32 ||
           t == ValueType::UINT64;
}

size_t scalar_size(ValueType t) {
    switch (t) {
        case ValueType::UINT8: case ValueType::INT8: case ValueType::BOOL: return 1;
        case ValueType::UINT16: case ValueType::INT16: return 2;
        case ValueType::UINT32: case ValueType::INT32: case ValueType::FLOAT32: return 4;
        case ValueType::UINT64: case ValueType::INT64: case ValueType::FLOAT64: return 8;
        default: return 0;
    }
}

std::string printable(std::string_view s, size_t max_chars) {
    std::string out;
    size_t n = 0;
    for (unsigned char c : s) {
        // cut only at a character boundary so UTF-8 is never split
        if (n++ >= max_chars && (c & 0xC0) != 0x80) {
            out += "...";
            break;
        }
        if (c == '\\' || c == '"') {
            out += '\\';
            out += char(c);
        } else if (c == '\n') {
            out += "\\n";
        } else if (c == '\t') {
            out += "\\t";
        } else if (c == '\r') {
            out += "\\r";
        } else if (c < 0x20 || c == 0x7f) {
            static const char hex[] = "0123456789abcdef";
            out += "\\x";
            out += hex[c >> 4];
            out += hex[c & 15];
        } else {
            out += char(c);  // UTF-8 passes through untouched
        }
    }
    return out;
}

namespace {

// Total string bytes in a value tree, so they can be packed into one buffer.
size_t string_bytes(const Value& v) {
    if (v.type == ValueType::STRING) return v.str.size();
    size_t n = 0;
    if (v.type == ValueType::ARRAY)
        for (const Value& e : v.array) n += string_bytes(e);
    return n;
}

void repoint(Value& v, const std::shared_ptr<std::string>& buf, size_t& pos) {
    if (v.type == ValueType::STRING) {
        if (!v.str.empty()) std::memcpy(buf->data() + pos, v.str.data(), v.str.size());
        v.str = std::string_view(buf->data() + pos, v.str.size());
        v.owned = buf;
        pos += v.str.size();
    } else if (v.type == ValueType::ARRAY) {
        for (Value& e : v.array) repoint(e, buf, pos);
    }
}

}  // namespace

void make_owned(Value& v) {
    if (v.type != ValueType::STRING && v.type != ValueType::ARRAY) return;
    auto buf = std::make_shared<std::string>(string_bytes(v), '\0');
    size_t pos = 0;
    repoint(v, buf, pos);
}

bool values_equal(const Value& a, const Value& b) {
    if (a.type != b.type) return false;
    switch (a.type) {
        case ValueType::STRING: return a.str == b.str;
        case ValueType::BOOL: return a.scalar.b == b.scalar.b;
        case ValueType::FLOAT32: case ValueType::FLOAT64:
            // bitwise, so NaNs and signed zeros compare as stored
            return std::memcmp(&a.scalar.f, &b.scalar.f, sizeof(double)) == 0;
        case ValueType::ARRAY:
            if (a.elem_type != b.elem_type || a.array.size() != b.array.size()) return false;
            for (size_t i = 0; i < a.array.size(); ++i)
                if (!values_equal(a.array[i], b.array[i])) return false;
            return true;
        default: return a.scalar.u == b.scalar.u;
    }
}

}  // namespace detail

bool operator==(const Value& a, const Value& b) { return detail::values_equal(a, b); }

template <class T>
Value Value::make_scalar(ValueType t, T v) {
    Value out;
    out.type = t;
    if (detail::is_signed_int(t)) {
        out.scalar.i = static_cast<int64_t>(v);
    } else if (detail::is_unsigned_int(t)) {
        out.scalar.u = static_cast<uint64_t>(v);
    } else if (t == ValueType::FLOAT32) {
        out.scalar.f = static_cast<double>(static_cast<float>(v));
    } else if (t == ValueType::FLOAT64) {
        out.scalar.f = static_cast<double>(v);
    } else if (t == ValueType::BOOL) {
        out.scalar.b = static_cast<bool>(v);
    } else {
        throw Error(ErrorCode::InvalidArgument,
                    std::string("Value::make_scalar: ") + value_type_name(t) + " is not a scalar type");
    }
    return out;
}

#define GLINT_INST(T) template Value Value::make_scalar<T>(ValueType, T);
GLINT_INST(uint8_t) GLINT_INST(uint16_t) GLINT_INST(uint32_t) GLINT_INST(uint64_t)
GLINT_INST(int8_t) GLINT_INST(int16_t) GLINT_INST(int32_t) GLINT_INST(int64_t)
GLINT_INST(float) GLINT_INST(double) GLINT_INST(bool)
#undef GLINT_INST

Value Value::make_u32(uint32_t v) { return make_scalar(ValueType::UINT32, v); }
Value Value::make_i32(int32_t v) { return make_scalar(ValueType::INT32, v); }
Value Value::make_u64(uint64_t v) { return make_scalar(ValueType::UINT64, v); }
Value Value::make_f32(float v) { return make_scalar(ValueType::FLOAT32, v); }
Value Value::make_bool(bool v) { return make_scalar(ValueType::BOOL, v); }

Value Value::make_string(std::string v) {
    Value out;
    out.type = ValueType::STRING;
    out.owned = std::make_shared<std::string>(std::move(v));
    out.str = *out.owned;
    return out;
}

Value Value::make_array(ValueType elem, std::vector<Value> elems) {
    Value out;
    out.type = ValueType::ARRAY;
    out.elem_type = elem;
    out.array = std::move(elems);
    return out;
}

Value Value::make_string_array(const std::vector<std::string>& v) {
    // One shared buffer for all elements instead of one allocation per string.
    size_t total = 0;
    for (const auto& s : v) total += s.size();
    auto buf = std::make_shared<std::string>();
    buf->reserve(total);
    for (const auto& s : v) buf->append(s);
    Value out;
    out.type = ValueType::ARRAY;
    out.elem_type = ValueType::STRING;
    out.array.resize(v.size());
    size_t pos = 0;
    for (size_t i = 0; i < v.size(); ++i) {
        Value& e = out.array[i];
        e.type = ValueType::STRING;
        e.str = std::string_view(buf->data() + pos, v[i].size());
        e.owned = buf;
        pos += v[i].size();
    }
    return out;
}

bool Value::is_integer() const {
    return detail::is_signed_int(type) || detail::is_unsigned_int(type);
}

bool Value::is_float() const { return type == ValueType::FLOAT32 || type == ValueType::FLOAT64; }

static std::string float_text(double f, bool single) {
    char buf[64];
    std::to_chars_result r = single ? std::to_chars(buf, buf + sizeof buf, static_cast<float>(f))
                                    : std::to_chars(buf, buf + sizeof buf, f);
    return std::string(buf, r.ptr);
}

std::string Value::to_display(size_t max_array) const {
    switch (type) {
        case ValueType::STRING: {
            constexpr size_t kMaxChars = 80;
            std::string s = "\"";  // appended, not "\"" + ...: GCC 12 warns falsely on that
            s += detail::printable(str, kMaxChars);
            s += '"';
            if (str.size() > kMaxChars) s += " (" + std::to_string(str.size()) + " bytes)";
            return s;
        }
        case ValueType::BOOL: return scalar.b ? "true" : "false";
        case ValueType::FLOAT32: return float_text(scalar.f, true);
        case ValueType::FLOAT64: return float_text(scalar.f, false);
        case ValueType::ARRAY: {
            std::string s = "[";
            size_t shown = std::min(array.size(), max_array);
            for (size_t i = 0; i < shown; ++i) {
                if (i) s += ", ";
                s += array[i].to_display(max_array);
            }
            if (shown < array.size()) {
                if (shown) s += ", ";
                s += "... " + std::to_string(array.size()) + " items";
            }
            return s + "]";
        }
        default:
            return detail::is_signed_int(type) ? std::to_string(scalar.i) : std::to_string(scalar.u);
    }
}

}  // namespace glint::gguf
