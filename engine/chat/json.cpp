#include "engine/chat/json.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "engine/chat/budget.h"
#include "engine/chat/text.h"
#include "gguf/error.h"

namespace glint::chat {

namespace {

class JsonParser {
public:
    explicit JsonParser(std::string_view s) : s_(s) {}

    Value parse() {
        Value v = value(0);
        ws();
        if (p_ != s_.size()) fail("trailing characters");
        return v;
    }

private:
    [[noreturn]] void fail(const std::string& what) const {
        throw Error(ErrorCode::InvalidArgument, "chat template context: invalid JSON at offset " +
                                                    std::to_string(p_) + ": " + what);
    }

    void ws() {
        while (p_ < s_.size() && (s_[p_] == ' ' || s_[p_] == '\t' || s_[p_] == '\n' || s_[p_] == '\r')) ++p_;
    }

    bool lit(std::string_view w) {
        if (s_.substr(p_, w.size()) == w) {
            p_ += w.size();
            return true;
        }
        return false;
    }

    Value value(int depth) {
        if (depth >= kMaxValueDepth) fail("nesting too deep");
        ws();
        if (p_ >= s_.size()) fail("unexpected end of input");
        char c = s_[p_];
        if (c == '{') return object(depth);
        if (c == '[') return array(depth);
        if (c == '"') return Value(string());
        if (lit("true")) return Value(true);
        if (lit("false")) return Value(false);
        if (lit("null")) return Value::none();
        if (c == '-' || (c >= '0' && c <= '9')) return number();
        fail(std::string("unexpected character '") + c + "'");
    }

    Value object(int depth) {
        ++p_;
        DictData d;
        ws();
        if (p_ < s_.size() && s_[p_] == '}') {
            ++p_;
            return Value::dict(std::move(d));
        }
        for (;;) {
            ws();
            if (p_ >= s_.size() || s_[p_] != '"') fail("expected a string key");
            std::string key = string();
            ws();
            if (p_ >= s_.size() || s_[p_] != ':') fail("expected ':'");
            ++p_;
            Value v = value(depth + 1);
            d.set(Value(std::move(key)), std::move(v));
            ws();
            if (p_ < s_.size() && s_[p_] == ',') {
                ++p_;
                continue;
            }
            if (p_ < s_.size() && s_[p_] == '}') {
                ++p_;
                return Value::dict(std::move(d));
            }
            fail("expected ',' or '}'");
        }
    }

    Value array(int depth) {
        ++p_;
        std::vector<Value> items;
        ws();
        if (p_ < s_.size() && s_[p_] == ']') {
            ++p_;
            return Value::list(std::move(items));
        }
        for (;;) {
            items.push_back(value(depth + 1));
            ws();
            if (p_ < s_.size() && s_[p_] == ',') {
                ++p_;
                continue;
            }
            if (p_ < s_.size() && s_[p_] == ']') {
                ++p_;
                return Value::list(std::move(items));
            }
            fail("expected ',' or ']'");
        }
    }

    unsigned hex4() {
        if (p_ + 4 > s_.size()) fail("truncated \\u escape");
        unsigned v = 0;
        for (int i = 0; i < 4; ++i) {
            char c = s_[p_++];
            v <<= 4;
            if (c >= '0' && c <= '9') v |= static_cast<unsigned>(c - '0');
            else if (c >= 'a' && c <= 'f') v |= static_cast<unsigned>(c - 'a' + 10);
            else if (c >= 'A' && c <= 'F') v |= static_cast<unsigned>(c - 'A' + 10);
            else fail("bad \\u escape");
        }
        return v;
    }

    std::string string() {
        ++p_;  // opening quote
        std::string out;
        for (;;) {
            if (p_ >= s_.size()) fail("unterminated string");
            char c = s_[p_++];
            if (c == '"') return out;
            if (static_cast<unsigned char>(c) < 0x20) fail("control character in string");
            if (c != '\\') {
                out.push_back(c);
                continue;
            }
            if (p_ >= s_.size()) fail("unterminated string");
            char e = s_[p_++];
            switch (e) {
                case '"': out.push_back('"'); break;
                case '\\': out.push_back('\\'); break;
                case '/': out.push_back('/'); break;
                case 'b': out.push_back('\b'); break;
                case 'f': out.push_back('\f'); break;
                case 'n': out.push_back('\n'); break;
                case 'r': out.push_back('\r'); break;
                case 't': out.push_back('\t'); break;
                case 'u': {
                    unsigned cp = hex4();
                    if (cp >= 0xD800 && cp <= 0xDBFF && s_.substr(p_, 2) == "\\u") {
                        std::size_t save = p_;
                        p_ += 2;
                        unsigned lo = hex4();
                        if (lo >= 0xDC00 && lo <= 0xDFFF) cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                        else p_ = save;
                    }
                    if (cp >= 0xD800 && cp <= 0xDFFF) cp = 0xFFFD;  // lone surrogate
                    utf8_append(out, cp);
                    break;
                }
                default: fail(std::string("bad escape '\\") + e + "'");
            }
        }
    }

    Value number() {
        std::size_t start = p_;
        if (s_[p_] == '-') ++p_;
        auto digits = [&] {
            std::size_t b = p_;
            while (p_ < s_.size() && s_[p_] >= '0' && s_[p_] <= '9') ++p_;
            return p_ - b;
        };
        if (digits() == 0) fail("bad number");
        bool is_float = false;
        if (p_ < s_.size() && s_[p_] == '.') {
            ++p_;
            is_float = true;
            if (digits() == 0) fail("bad number");
        }
        if (p_ < s_.size() && (s_[p_] == 'e' || s_[p_] == 'E')) {
            ++p_;
            is_float = true;
            if (p_ < s_.size() && (s_[p_] == '+' || s_[p_] == '-')) ++p_;
            if (digits() == 0) fail("bad number");
        }
        std::string text(s_.substr(start, p_ - start));
        if (!is_float) {
            errno = 0;
            long long v = std::strtoll(text.c_str(), nullptr, 10);
            if (errno != ERANGE) return Value(static_cast<int64_t>(v));
            // Beyond 64 bits: Python would keep a big int; a float is the closest we hold.
        }
        return Value(std::strtod(text.c_str(), nullptr));
    }

    std::string_view s_;
    std::size_t p_ = 0;
};

void dump_string(std::string& out, std::string_view s, const JsonDumpOptions& o) {
    out.push_back('"');
    char buf[16];
    auto esc = [&](unsigned u) {
        std::snprintf(buf, sizeof buf, "\\u%04x", u);
        out += buf;
    };
    for (char32_t c : utf8_decode(s)) {
        switch (c) {
            case '"': out += "\\\""; continue;
            case '\\': out += "\\\\"; continue;
            case '\n': out += "\\n"; continue;
            case '\r': out += "\\r"; continue;
            case '\t': out += "\\t"; continue;
            case '\b': out += "\\b"; continue;
            case '\f': out += "\\f"; continue;
            default: break;
        }
        if (o.html_safe && (c == '<' || c == '>' || c == '&' || c == '\'')) {
            esc(c);
        } else if (c < 0x20 || (o.ensure_ascii && c >= 0x7F)) {
            if (c >= 0x10000) {
                char32_t v = c - 0x10000;
                esc(0xD800 + (v >> 10));
                esc(0xDC00 + (v & 0x3FF));
            } else {
                esc(c);
            }
        } else {
            utf8_append(out, c);
        }
    }
    out.push_back('"');
}

void dump_float(std::string& out, double f) {
    if (std::isnan(f)) out += "NaN";
    else if (std::isinf(f)) out += f > 0 ? "Infinity" : "-Infinity";
    else out += py_repr_float(f);
}

// A dict key as json.dumps converts it (only str, numbers, bool and None are allowed).
std::string key_string(const Value& k) {
    switch (k.kind()) {
        case Kind::String: return k.str();
        case Kind::Bool: return k.as_bool() ? "true" : "false";
        case Kind::None: return "null";
        case Kind::Int: return std::to_string(k.as_int());
        case Kind::Float: {
            std::string s;
            dump_float(s, k.as_double());
            return s;
        }
        default: raise("TypeError", "keys must be str, int, float, bool or None, not " + k.type_name());
    }
}

void dump(std::string& out, const Value& v, const JsonDumpOptions& o, int level) {
    charge_work(1);
    check_bytes(out.size());
    auto newline = [&](int lvl) {
        out.push_back('\n');
        for (int i = 0; i < lvl; ++i) out += *o.indent;
    };
    switch (v.kind()) {
        case Kind::None: out += "null"; return;
        case Kind::Bool: out += v.as_bool() ? "true" : "false"; return;
        case Kind::Int: out += std::to_string(v.as_int()); return;
        case Kind::Float: dump_float(out, v.as_double()); return;
        case Kind::String: dump_string(out, v.str(), o); return;
        case Kind::List:
        case Kind::Tuple: {
            const auto& items = v.items();
            if (items.empty()) {
                out += "[]";
                return;
            }
            out.push_back('[');
            for (std::size_t i = 0; i < items.size(); ++i) {
                if (i) out += o.indent ? "," : ", ";
                if (o.indent) newline(level + 1);
                dump(out, items[i], o, level + 1);
            }
            if (o.indent) newline(level);
            out.push_back(']');
            return;
        }
        case Kind::Dict: {
            const auto& items = v.dict().items();
            if (items.empty()) {
                out += "{}";
                return;
            }
            std::vector<const std::pair<Value, Value>*> order;
            order.reserve(items.size());
            for (const auto& kv : items) order.push_back(&kv);
            if (o.sort_keys)
                std::stable_sort(order.begin(), order.end(),
                                 [](const auto* a, const auto* b) { return py_less(a->first, b->first); });
            out.push_back('{');
            bool first = true;
            for (const auto* kv : order) {
                if (!first) out += o.indent ? "," : ", ";
                first = false;
                if (o.indent) newline(level + 1);
                dump_string(out, key_string(kv->first), o);
                out += ": ";
                dump(out, kv->second, o, level + 1);
            }
            if (o.indent) newline(level);
            out.push_back('}');
            return;
        }
        default: raise("TypeError", "Object of type " + v.type_name() + " is not JSON serializable");
    }
}

}  // namespace

Value parse_json(std::string_view text) { return JsonParser(text).parse(); }

std::string dump_json(const Value& v, const JsonDumpOptions& opts) {
    std::string out;
    dump(out, v, opts, 0);
    return out;
}

}  // namespace glint::chat
