// Python's %-formatting (the % operator, |format) and str.format with the
// format-spec mini-language.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <unordered_map>

#include "engine/chat/budget.h"
#include "engine/chat/builtins.h"
#include "engine/chat/builtins_util.h"

namespace glint::chat {

using namespace detail;

namespace {

struct Spec {
    char fill = ' ';
    char align = 0;  // < > ^ =
    char sign = '-';
    bool alt = false;
    bool zero = false;
    int64_t width = -1;
    int64_t precision = -1;
    char grouping = 0;
    char type = 0;
};

std::string int_digits(uint64_t v, int base, bool upper) {
    if (v == 0) return "0";
    std::string s;
    const char* d = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    while (v) {
        s.push_back(d[v % static_cast<uint64_t>(base)]);
        v /= static_cast<uint64_t>(base);
    }
    std::reverse(s.begin(), s.end());
    return s;
}

std::string group_digits(const std::string& digits, char sep, int every) {
    std::string out;
    int n = static_cast<int>(digits.size());
    for (int i = 0; i < n; ++i) {
        if (i && (n - i) % every == 0) out.push_back(sep);
        out.push_back(digits[static_cast<std::size_t>(i)]);
    }
    return out;
}

// Pads `body` (already signed/prefixed: sign+prefix and digits given apart).
std::string pad(const std::string& sign_prefix, const std::string& digits, const Spec& s, char default_align) {
    char align = s.align ? s.align : default_align;
    char fill = s.fill;
    if (s.zero && !s.align) {
        align = '=';
        fill = '0';
    }
    std::string body = sign_prefix + digits;
    int64_t len = static_cast<int64_t>(utf8_length(body));
    if (s.width > (1 << 24)) raise("MemoryError", "format width too large");
    if (s.width <= len) return body;
    check_bytes(body.size() + static_cast<std::size_t>(s.width - len));
    std::size_t n = static_cast<std::size_t>(s.width - len);
    std::string f(1, fill);
    auto rep = [&](std::size_t k) {
        std::string r;
        for (std::size_t i = 0; i < k; ++i) r += f;
        return r;
    };
    switch (align) {
        case '<': return body + rep(n);
        case '^': return rep(n / 2) + body + rep(n - n / 2);
        case '=': return sign_prefix + rep(n) + digits;
        default: return rep(n) + body;
    }
}

std::string format_float_c(double x, char type, int64_t precision, bool alt) {
    char fmt[16];
    std::snprintf(fmt, sizeof fmt, "%%%s.%d%c", alt ? "#" : "", static_cast<int>(std::min<int64_t>(precision, 300)),
                  type);
    std::vector<char> buf(700);
    std::snprintf(buf.data(), buf.size(), fmt, x);
    return buf.data();
}

// format(value, spec) for the str.format mini-language.
std::string format_value(const Value& v, std::string_view spec_text) {
    if (spec_text.empty()) return v.to_str();
    Spec s;
    std::u32string sp = utf8_decode(spec_text);
    std::size_t i = 0;
    auto is_align = [](char32_t c) { return c == '<' || c == '>' || c == '^' || c == '='; };
    std::string fill_utf8 = " ";
    if (sp.size() >= 2 && is_align(sp[1])) {
        fill_utf8.clear();
        utf8_append(fill_utf8, sp[0]);
        s.align = static_cast<char>(sp[1]);
        i = 2;
    } else if (!sp.empty() && is_align(sp[0])) {
        s.align = static_cast<char>(sp[0]);
        i = 1;
    }
    if (i < sp.size() && (sp[i] == '+' || sp[i] == '-' || sp[i] == ' ')) s.sign = static_cast<char>(sp[i++]);
    if (i < sp.size() && sp[i] == '#') s.alt = true, ++i;
    if (i < sp.size() && sp[i] == '0') s.zero = true, ++i;
    auto num = [&]() {
        int64_t n = 0;
        bool any = false;
        while (i < sp.size() && sp[i] >= '0' && sp[i] <= '9') {
            n = std::min<int64_t>(n * 10 + (sp[i++] - '0'), 1 << 30);
            any = true;
        }
        return any ? n : -1;
    };
    s.width = num();
    if (i < sp.size() && (sp[i] == ',' || sp[i] == '_')) s.grouping = static_cast<char>(sp[i++]);
    if (i < sp.size() && sp[i] == '.') {
        ++i;
        s.precision = num();
        if (s.precision < 0) raise("ValueError", "Format specifier missing precision");
    }
    if (i < sp.size()) s.type = static_cast<char>(sp[i++]);
    if (i != sp.size()) raise("ValueError", "Invalid format specifier '" + std::string(spec_text) + "'");
    if (fill_utf8.size() == 1) s.fill = fill_utf8[0];
    // Multi-byte fill characters are rare; fall back to a space.

    if (v.is_string() || v.is_undefined() || v.is_none() || v.is_sequence() || v.is_dict()) {
        if (s.type && s.type != 's')
            raise("ValueError", std::string("Unknown format code '") + s.type + "' for object of type '" +
                                    v.type_name() + "'");
        std::string str = v.to_str();
        if (s.precision >= 0) {
            std::u32string u = utf8_decode(str);
            if (static_cast<int64_t>(u.size()) > s.precision) str = utf8_encode(u.substr(0, static_cast<std::size_t>(s.precision)));
        }
        return pad("", str, s, '<');
    }
    if (!v.is_number()) raise("TypeError", "unsupported format string passed to " + v.type_name() + ".__format__");
    char t = s.type;
    bool as_int = v.is_integral() && (t == 0 || t == 'd' || t == 'n' || t == 'b' || t == 'o' || t == 'x' ||
                                      t == 'X' || t == 'c');
    if (as_int) {
        int64_t x = v.as_int();
        if (t == 'c') return pad("", [&] { std::string c; utf8_append(c, static_cast<char32_t>(x)); return c; }(), s, '<');
        uint64_t mag = x < 0 ? 0 - static_cast<uint64_t>(x) : static_cast<uint64_t>(x);
        int base = (t == 'b') ? 2 : (t == 'o') ? 8 : (t == 'x' || t == 'X') ? 16 : 10;
        std::string digits = int_digits(mag, base, t == 'X');
        if (s.grouping) digits = group_digits(digits, s.grouping, base == 10 ? 3 : 4);
        std::string sp_prefix = x < 0 ? "-" : s.sign == '+' ? "+" : s.sign == ' ' ? " " : "";
        if (s.alt && base != 10) sp_prefix += base == 2 ? "0b" : base == 8 ? "0o" : (t == 'X' ? "0X" : "0x");
        return pad(sp_prefix, digits, s, '>');
    }
    if (t == 'd' || t == 'b' || t == 'o' || t == 'x' || t == 'X' || t == 'c')
        raise("ValueError", std::string("Unknown format code '") + t + "' for object of type 'float'");
    double x = v.as_double();
    bool neg = std::signbit(x) && !std::isnan(x);
    double ax = std::fabs(x);
    std::string body;
    if (t == 0 && s.precision < 0) {
        body = v.is_integral() ? std::to_string(v.as_int() < 0 ? -v.as_int() : v.as_int()) : py_repr_float(ax);
    } else if (t == 0 || t == 'g' || t == 'G' || t == 'n') {
        int64_t p = s.precision < 0 ? 6 : (s.precision == 0 ? 1 : s.precision);
        body = format_float_c(ax, t == 'G' ? 'G' : 'g', p, s.alt);
        if (t == 0 && body.find_first_of("e.n") == std::string::npos && std::isfinite(ax)) body += ".0";
    } else if (t == '%') {
        body = format_float_c(ax * 100, 'f', s.precision < 0 ? 6 : s.precision, s.alt) + "%";
    } else if (t == 'e' || t == 'E' || t == 'f' || t == 'F') {
        body = format_float_c(ax, t, s.precision < 0 ? 6 : s.precision, s.alt);
    } else {
        raise("ValueError", std::string("Unknown format code '") + t + "' for object of type 'float'");
    }
    if (s.grouping) {
        std::size_t dot = body.find_first_not_of("0123456789");
        std::string ip = body.substr(0, dot == std::string::npos ? body.size() : dot);
        body = group_digits(ip, s.grouping, 3) + (dot == std::string::npos ? "" : body.substr(dot));
    }
    std::string sign = neg ? "-" : s.sign == '+' ? "+" : s.sign == ' ' ? " " : "";
    return pad(sign, body, s, '>');
}

}  // namespace

Value percent_format(const Value& fmt, const Value& args) {
    const std::string& f = fmt.str();
    bool safe = fmt.is_safe();
    std::vector<Value> pos;
    bool tuple_args = args.is_tuple();
    if (tuple_args) pos = args.items();
    else pos.push_back(args);
    const DictData* mapping = args.is_dict() ? &args.dict() : nullptr;
    // Python skips the "not all arguments converted" check when the argument
    // supports item access (a dict, a list, an Undefined) and is not a tuple.
    bool item_access = args.is_dict() || args.is_list() || args.is_undefined();
    auto undefined_arg = [](const Value& v) {
        if (v.is_undefined()) raise_undefined(v);
    };
    std::size_t next = 0;
    bool used_mapping = false;
    auto take = [&]() -> Value {
        if (next >= pos.size()) raise("TypeError", "not enough arguments for format string");
        return pos[next++];
    };
    auto conv_str = [&](const Value& v, bool repr) {
        std::string s = repr ? v.repr() : v.to_str();
        if (safe && !(v.is_string() && v.is_safe())) s = html_escape(s);
        return s;
    };
    std::string out;
    for (std::size_t i = 0; i < f.size(); ++i) {
        if (f[i] != '%') {
            out.push_back(f[i]);
            continue;
        }
        std::size_t start = i;
        if (++i >= f.size()) raise("ValueError", "incomplete format");
        Value arg;
        bool have_arg = false;
        if (f[i] == '(') {
            undefined_arg(args);
            if (!mapping) raise("TypeError", "format requires a mapping");
            std::size_t close = f.find(')', i);
            if (close == std::string::npos) raise("ValueError", "incomplete format key");
            std::string key = f.substr(i + 1, close - i - 1);
            const Value* v = mapping->find(std::string_view(key));
            if (!v) raise("KeyError", "'" + key + "'");
            arg = *v;
            have_arg = true;
            used_mapping = true;
            i = close + 1;
        }
        Spec s;
        s.align = '>';
        for (; i < f.size(); ++i) {
            char c = f[i];
            if (c == '-') s.align = '<';
            else if (c == '+') s.sign = '+';
            else if (c == ' ') { if (s.sign != '+') s.sign = ' '; }
            else if (c == '#') s.alt = true;
            else if (c == '0') s.zero = true;
            else break;
        }
        auto number = [&]() -> int64_t {
            if (i < f.size() && f[i] == '*') {
                ++i;
                return to_index(take());
            }
            int64_t n = -1;
            while (i < f.size() && f[i] >= '0' && f[i] <= '9') n = std::min<int64_t>((n < 0 ? 0 : n) * 10 + (f[i++] - '0'), 1 << 30);
            return n;
        };
        s.width = number();
        if (i < f.size() && f[i] == '.') {
            ++i;
            s.precision = number();
            if (s.precision < 0) s.precision = 0;
        }
        while (i < f.size() && (f[i] == 'h' || f[i] == 'l' || f[i] == 'L')) ++i;
        if (i >= f.size()) raise("ValueError", "incomplete format");
        char t = f[i];
        if (t == '%') {
            out.push_back('%');
            continue;
        }
        if (!have_arg) arg = take();
        if (s.zero && s.align == '<') s.zero = false;
        std::string body, sign;
        switch (t) {
            case 's':
            case 'r':
            case 'a': {
                body = conv_str(arg, t != 's');
                if (s.precision >= 0) {
                    std::u32string u = utf8_decode(body);
                    if (static_cast<int64_t>(u.size()) > s.precision) body = utf8_encode(u.substr(0, static_cast<std::size_t>(s.precision)));
                }
                s.zero = false;
                break;
            }
            case 'd':
            case 'i':
            case 'u':
            case 'o':
            case 'x':
            case 'X': {
                undefined_arg(arg);
                if (!arg.is_number())
                    raise("TypeError", std::string("%") + t + " format: " +
                                           (t == 'o' || t == 'x' || t == 'X' ? "an integer" : "a real number") +
                                           " is required, not " + arg.type_name());
                if (arg.is_float() && (t == 'o' || t == 'x' || t == 'X'))
                    raise("TypeError", std::string("%") + t + " format: an integer is required, not float");
                int64_t x;
                if (arg.is_float()) {
                    double d = std::trunc(arg.as_double());
                    if (!std::isfinite(d) || std::fabs(d) >= 9.2e18) raise("OverflowError", "cannot convert float to integer");
                    x = static_cast<int64_t>(d);
                } else {
                    x = arg.as_int();
                }
                uint64_t mag = x < 0 ? 0 - static_cast<uint64_t>(x) : static_cast<uint64_t>(x);
                int base = t == 'o' ? 8 : (t == 'x' || t == 'X') ? 16 : 10;
                body = int_digits(mag, base, t == 'X');
                if (s.precision >= 0 && static_cast<int64_t>(body.size()) < s.precision) {
                    check_bytes(static_cast<std::size_t>(s.precision));
                    body = std::string(static_cast<std::size_t>(s.precision) - body.size(), '0') + body;
                }
                sign = x < 0 ? "-" : s.sign == '+' ? "+" : s.sign == ' ' ? " " : "";
                if (s.alt && base == 8) sign += "0o";
                if (s.alt && base == 16) sign += t == 'X' ? "0X" : "0x";
                break;
            }
            case 'e':
            case 'E':
            case 'f':
            case 'F':
            case 'g':
            case 'G': {
                undefined_arg(arg);
                if (!arg.is_number()) raise("TypeError", "must be real number, not " + arg.type_name());
                double x = arg.as_double();
                bool neg = std::signbit(x) && !std::isnan(x);
                body = format_float_c(std::fabs(x), t, s.precision < 0 ? 6 : s.precision, s.alt);
                sign = neg ? "-" : s.sign == '+' ? "+" : s.sign == ' ' ? " " : "";
                break;
            }
            case 'c': {
                if (arg.is_integral()) {
                    int64_t c = arg.as_int();
                    if (c < 0 || c > 0x10FFFF) raise("OverflowError", "%c arg not in range(0x110000)");
                    utf8_append(body, static_cast<char32_t>(c));
                } else if (arg.is_string() && utf8_length(arg.str()) == 1) {
                    body = arg.str();
                } else {
                    raise("TypeError", "%c requires int or char");
                }
                s.zero = false;
                break;
            }
            default: {
                char buf[96];
                std::snprintf(buf, sizeof buf, "unsupported format character '%c' (0x%x) at index %zu", t,
                              static_cast<unsigned>(static_cast<unsigned char>(t)), i);
                (void)start;
                raise("ValueError", buf);
            }
        }
        Spec p = s;
        if (p.zero) {
            p.fill = '0';
            p.align = '=';
        }
        p.zero = false;
        out += pad(sign, body, p, '>');
        check_bytes(out.size());
    }
    if (!used_mapping && !item_access && next < pos.size())
        raise("TypeError", "not all arguments converted during string formatting");
    return Value(std::move(out), safe);
}

namespace detail {

// str.format(*args, **kwargs)
Value str_format(Evaluator& ev, const Value& self, CallArgs& a) {
    const std::string& f = self.str();
    bool safe = self.is_safe();
    std::string out;
    std::size_t auto_idx = 0;
    for (std::size_t i = 0; i < f.size(); ++i) {
        char c = f[i];
        if (c == '}') {
            if (i + 1 < f.size() && f[i + 1] == '}') {
                out.push_back('}');
                ++i;
                continue;
            }
            raise("ValueError", "Single '}' encountered in format string");
        }
        if (c != '{') {
            out.push_back(c);
            continue;
        }
        if (i + 1 < f.size() && f[i + 1] == '{') {
            out.push_back('{');
            ++i;
            continue;
        }
        std::size_t close = f.find('}', i);
        if (close == std::string::npos) raise("ValueError", "Single '{' encountered in format string");
        std::string field = f.substr(i + 1, close - i - 1);
        i = close;
        if (field.find('{') != std::string::npos) raise("ValueError", "nested replacement fields are not supported");
        std::string spec, conv;
        if (auto colon = field.find(':'); colon != std::string::npos) {
            spec = field.substr(colon + 1);
            field.resize(colon);
        }
        if (auto bang = field.find('!'); bang != std::string::npos) {
            conv = field.substr(bang + 1);
            field.resize(bang);
        }
        // first part: index or keyword, then .attr / [key] accessors
        std::size_t k = 0;
        while (k < field.size() && field[k] != '.' && field[k] != '[') ++k;
        std::string head = field.substr(0, k);
        Value v;
        if (head.empty()) {
            if (auto_idx >= a.pos.size()) raise("IndexError", "Replacement index " + std::to_string(auto_idx) + " out of range for positional args tuple");
            v = a.pos[auto_idx++];
        } else if (std::all_of(head.begin(), head.end(), [](char ch) { return ch >= '0' && ch <= '9'; })) {
            std::size_t idx = 0;
            auto r = std::from_chars(head.data(), head.data() + head.size(), idx);
            if (r.ec != std::errc() || idx >= a.pos.size())
                raise("IndexError", "Replacement index " + head + " out of range for positional args tuple");
            v = a.pos[idx];
        } else {
            bool found = false;
            for (auto& [key, val] : a.kw)
                if (key == head) {
                    v = val;
                    found = true;
                }
            if (!found) raise("KeyError", "'" + head + "'");
        }
        while (k < field.size()) {
            if (field[k] == '.') {
                std::size_t e = k + 1;
                while (e < field.size() && field[e] != '.' && field[e] != '[') ++e;
                v = ev.getattr(v, field.substr(k + 1, e - k - 1));
                k = e;
            } else {
                std::size_t e = field.find(']', k);
                if (e == std::string::npos) raise("ValueError", "Missing ']' in format string");
                std::string key = field.substr(k + 1, e - k - 1);
                bool digits = !key.empty() && std::all_of(key.begin(), key.end(), [](char ch) { return ch >= '0' && ch <= '9'; });
                int64_t num = 0;
                if (digits && std::from_chars(key.data(), key.data() + key.size(), num).ec != std::errc())
                    raise("ValueError", "Too many decimal digits in format string");
                v = ev.getitem(v, digits ? Value(num) : Value(key));
                k = e + 1;
            }
        }
        if (v.is_undefined()) raise_undefined(v);
        if (conv == "r" || conv == "a") v = Value(v.repr());
        else if (conv == "s") v = Value(v.to_str());
        else if (!conv.empty()) raise("ValueError", "Unknown conversion specifier " + conv);
        std::string piece = format_value(v, spec);
        if (safe && !(v.is_string() && v.is_safe())) piece = html_escape(piece);
        out += piece;
        ev.check_size(out.size());
    }
    return Value(std::move(out), safe);
}

}  // namespace detail

}  // namespace glint::chat
