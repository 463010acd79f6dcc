// Python str/dict/list methods, global functions, %-formatting, str.format
// and strftime for the template engine.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <unordered_map>

#include "engine/chat/budget.h"
#include "engine/chat/builtins.h"
#include "engine/chat/builtins_util.h"

namespace glint::chat {

using detail::Args;
using detail::to_index;

namespace detail {

namespace {
bool in_chars(char32_t c, const std::u32string* sorted_chars) {
    if (!sorted_chars) return py_isspace(c);
    return std::binary_search(sorted_chars->begin(), sorted_chars->end(), c);
}
}  // namespace

std::string py_strip(std::string_view s, const Value& chars, bool left, bool right) {
    std::u32string set;
    const std::u32string* cs = nullptr;
    if (!chars.is_none() && !chars.is_undefined()) {
        if (!chars.is_string()) raise("TypeError", "strip arg must be None or str");
        set = utf8_decode(chars.str());
        std::sort(set.begin(), set.end());
        cs = &set;
    }
    std::u32string u = utf8_decode(s);
    std::size_t b = 0, e = u.size();
    if (left)
        while (b < e && in_chars(u[b], cs)) ++b;
    if (right)
        while (e > b && in_chars(u[e - 1], cs)) --e;
    return utf8_encode(std::u32string_view(u).substr(b, e - b));
}

std::vector<Value> py_split(const Value& self, const Value& sep, int64_t maxsplit, bool from_right) {
    bool safe = self.is_safe();
    std::vector<std::string> parts;
    if (sep.is_none() || sep.is_undefined()) {
        std::u32string u = utf8_decode(self.str());
        if (!from_right) {
            std::size_t i = 0, n = u.size();
            while (true) {
                while (i < n && py_isspace(u[i])) ++i;
                if (i >= n) break;
                if (maxsplit >= 0 && static_cast<int64_t>(parts.size()) >= maxsplit) {
                    parts.push_back(utf8_encode(std::u32string_view(u).substr(i)));
                    break;
                }
                std::size_t j = i;
                while (j < n && !py_isspace(u[j])) ++j;
                parts.push_back(utf8_encode(std::u32string_view(u).substr(i, j - i)));
                i = j;
            }
        } else {
            std::size_t e = u.size();
            while (true) {
                while (e > 0 && py_isspace(u[e - 1])) --e;
                if (e == 0) break;
                if (maxsplit >= 0 && static_cast<int64_t>(parts.size()) >= maxsplit) {
                    parts.push_back(utf8_encode(std::u32string_view(u).substr(0, e)));
                    break;
                }
                std::size_t b = e;
                while (b > 0 && !py_isspace(u[b - 1])) --b;
                parts.push_back(utf8_encode(std::u32string_view(u).substr(b, e - b)));
                e = b;
            }
            std::reverse(parts.begin(), parts.end());
        }
    } else {
        if (!sep.is_string()) raise("TypeError", "must be str or None, not " + sep.type_name());
        const std::string& sp = sep.str();
        if (sp.empty()) raise("ValueError", "empty separator");
        const std::string& s = self.str();
        if (!from_right) {
            std::size_t i = 0;
            while (true) {
                std::size_t j = (maxsplit >= 0 && static_cast<int64_t>(parts.size()) >= maxsplit)
                                    ? std::string::npos
                                    : find_sub(s, sp, i);
                if (j == std::string::npos) {
                    parts.push_back(s.substr(i));
                    break;
                }
                parts.push_back(s.substr(i, j - i));
                i = j + sp.size();
            }
        } else {
            std::size_t e = s.size();
            while (true) {
                std::size_t j = std::string::npos;
                if (!(maxsplit >= 0 && static_cast<int64_t>(parts.size()) >= maxsplit) && e >= sp.size())
                    j = rfind_sub(s, sp, e - sp.size());
                if (j == std::string::npos) {
                    parts.push_back(s.substr(0, e));
                    break;
                }
                parts.push_back(s.substr(j + sp.size(), e - j - sp.size()));
                e = j;
            }
            std::reverse(parts.begin(), parts.end());
        }
    }
    std::vector<Value> out;
    out.reserve(parts.size());
    for (auto& p : parts) out.emplace_back(std::move(p), safe);
    return out;
}

std::string py_replace(std::string_view s, std::string_view old, std::string_view repl, int64_t count) {
    std::string out;
    if (old.empty()) {  // Python inserts the replacement around every character
        std::u32string u = utf8_decode(s);
        int64_t done = 0;
        for (std::size_t i = 0; i <= u.size(); ++i) {
            if (count < 0 || done < count) {
                check_bytes(out.size() + repl.size());
                out += repl;
                ++done;
            }
            if (i < u.size()) utf8_append(out, u[i]);
        }
        return out;
    }
    std::size_t i = 0;
    int64_t done = 0;
    while (count < 0 || done < count) {
        std::size_t j = find_sub(s, old, i);
        if (j == std::string_view::npos) break;
        out.append(s.substr(i, j - i));
        check_bytes(out.size() + repl.size());
        out.append(repl);
        i = j + old.size();
        ++done;
    }
    out.append(s.substr(i));
    return out;
}

std::string py_capitalize(std::string_view s) {
    std::u32string u = utf8_decode(s);
    std::string out;
    for (std::size_t i = 0; i < u.size(); ++i) utf8_append(out, i == 0 ? py_upper(u[i]) : py_lower(u[i]));
    return out;
}

std::string py_title(std::string_view s) {
    std::string out;
    bool prev_cased = false;
    for (char32_t c : utf8_decode(s)) {
        if (py_iscased(c)) {
            utf8_append(out, prev_cased ? py_lower(c) : py_upper(c));
            prev_cased = true;
        } else {
            utf8_append(out, c);
            prev_cased = false;
        }
    }
    return out;
}

std::vector<std::string> py_splitlines(std::string_view s, bool keepends) {
    std::u32string u = utf8_decode(s);
    std::vector<std::string> out;
    std::size_t i = 0, n = u.size();
    while (i < n) {
        std::size_t j = i;
        while (j < n && !py_islinebreak(u[j])) ++j;
        std::size_t eol = j;
        if (j < n) {
            j += (u[j] == '\r' && j + 1 < n && u[j + 1] == '\n') ? 2 : 1;
            if (keepends) eol = j;
        }
        out.push_back(utf8_encode(std::u32string_view(u).substr(i, eol - i)));
        i = j;
    }
    return out;
}

std::string py_center(std::string_view s, int64_t width, std::string_view fill, char align) {
    int64_t len = static_cast<int64_t>(utf8_length(s));
    if (width > (1 << 24)) raise("MemoryError", "padding width too large");
    if (width > len) check_bytes(s.size() + static_cast<std::size_t>(width - len) * fill.size());
    if (width <= len) return std::string(s);
    int64_t marg = width - len, left;
    if (align == '<') left = 0;
    else if (align == '>') left = marg;
    else left = marg / 2 + (marg & width & 1);
    std::string out;
    for (int64_t i = 0; i < left; ++i) out += fill;
    out += s;
    for (int64_t i = 0; i < marg - left; ++i) out += fill;
    return out;
}

namespace {
// Removes underscores that sit between two digits; false if one does not.
bool strip_underscores(std::string_view s, std::string& out, bool (*is_dig)(char)) {
    out.clear();
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '_') {
            if (i == 0 || i + 1 >= s.size() || !is_dig(s[i - 1]) || !is_dig(s[i + 1])) return false;
            continue;
        }
        out.push_back(s[i]);
    }
    return true;
}
bool dec_digit(char c) { return c >= '0' && c <= '9'; }
bool any_alnum(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
std::string lower_ascii(std::string s) {
    for (char& c : s)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
    return s;
}
}  // namespace

bool py_parse_float(std::string_view text, double& out) {
    std::string t(py_rstrip_ws(py_lstrip_ws(text)));
    std::string s;
    if (!strip_underscores(t, s, dec_digit)) return false;
    std::string body = s;
    bool neg = false;
    if (!body.empty() && (body[0] == '+' || body[0] == '-')) {
        neg = body[0] == '-';
        body.erase(0, 1);
    }
    std::string low = lower_ascii(body);
    if (low == "inf" || low == "infinity") {
        out = neg ? -INFINITY : INFINITY;
        return true;
    }
    if (low == "nan") {
        out = NAN;
        return true;
    }
    // digits [. digits] [e [+-] digits], at least one digit in the mantissa
    std::size_t i = 0, n = body.size(), mant = 0;
    while (i < n && dec_digit(body[i])) ++i, ++mant;
    if (i < n && body[i] == '.') {
        ++i;
        while (i < n && dec_digit(body[i])) ++i, ++mant;
    }
    if (mant == 0) return false;
    if (i < n && (body[i] == 'e' || body[i] == 'E')) {
        ++i;
        if (i < n && (body[i] == '+' || body[i] == '-')) ++i;
        std::size_t ed = 0;
        while (i < n && dec_digit(body[i])) ++i, ++ed;
        if (ed == 0) return false;
    }
    if (i != n) return false;
    double v = 0;
    auto r = std::from_chars(body.data(), body.data() + n, v);
    if (r.ec == std::errc::result_out_of_range) v = INFINITY;  // Python overflows to inf for huge literals
    else if (r.ec != std::errc()) return false;
    out = neg ? -v : v;
    return true;
}

bool py_parse_int(std::string_view text, int64_t base, int64_t& out) {
    std::string s(py_rstrip_ws(py_lstrip_ws(text)));
    bool neg = false;
    if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
        neg = s[0] == '-';
        s.erase(0, 1);
    }
    std::string low = lower_ascii(s);
    int b = static_cast<int>(base);
    auto prefix_base = [&](char p) { return p == 'x' ? 16 : p == 'o' ? 8 : p == 'b' ? 2 : 0; };
    if (low.size() >= 2 && low[0] == '0' && prefix_base(low[1]) && (b == 0 || b == prefix_base(low[1]))) {
        b = prefix_base(low[1]);
        low.erase(0, 2);
        if (!low.empty() && low[0] == '_') low.erase(0, 1);
    } else if (b == 0) {
        b = 10;
        if (low.size() > 1 && low[0] == '0' && low.find_first_not_of("0_") != std::string::npos) return false;
    }
    if (b < 2 || b > 36) raise("ValueError", "int() base must be >= 2 and <= 36, or 0");
    std::string digits;
    if (low.empty() || !strip_underscores(low, digits, any_alnum)) return false;
    uint64_t v = 0;
    auto r = std::from_chars(digits.data(), digits.data() + digits.size(), v, b);
    if (r.ec != std::errc() || r.ptr != digits.data() + digits.size()) return false;
    if (v > static_cast<uint64_t>(INT64_MAX) + (neg ? 1 : 0)) return false;
    out = neg ? static_cast<int64_t>(0 - v) : static_cast<int64_t>(v);
    return true;
}

Value py_round(const Value& v, int64_t nd) {
    if (v.is_integral()) {
        int64_t x = v.as_int();
        if (nd >= 0) return Value(x);
        if (nd < -18) return Value(int64_t{0});
        int64_t p = 1;
        for (int64_t i = 0; i < -nd; ++i) p *= 10;
        int64_t q = x / p, r = x % p;
        if (r < 0) r += p, q -= 1;  // floor division
        if (2 * r > p || (2 * r == p && (q & 1))) q += 1;
        return Value(q * p);
    }
    double x = v.as_double();
    if (!std::isfinite(x)) return Value(x);
    if (nd >= 0) {
        if (nd > 330) return Value(x);
        // printf rounds the exact binary value half-to-even, as Python's round does.
        std::vector<char> buf(static_cast<std::size_t>(nd) + 400);
        std::snprintf(buf.data(), buf.size(), "%.*f", static_cast<int>(nd), x);
        return Value(std::strtod(buf.data(), nullptr));
    }
    if (nd < -330) return Value(std::copysign(0.0, x));
    double p = std::pow(10.0, static_cast<double>(-nd));
    double y = x / p;
    double z = std::nearbyint(y);
    return Value(z * p);
}

Value py_add(Evaluator& ev, const Value& a, const Value& b) { return ev.binary_op("+", a, b); }

}  // namespace detail

using namespace detail;

// ---- %-formatting ---------------------------------------------------------------

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

namespace {

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

// ---- str methods ----------------------------------------------------------------

using Method = Value (*)(Evaluator&, const Value& self, CallArgs&);

void fill_char(const Value& v) {
    if (!v.is_string() || utf8_length(v.str()) != 1)
        raise("TypeError", "The fill character must be exactly one character long");
}

Value str_arg(const Value& v, std::string_view what) {
    if (!v.is_string()) raise("TypeError", std::string(what) + " must be str, not " + v.type_name());
    return v;
}

// Optional [start, end] window of str.find/count/startswith, in code points.
std::u32string window(const std::u32string& u, const Args& p, std::size_t si) {
    int64_t n = static_cast<int64_t>(u.size());
    auto norm = [&](const Value& v, int64_t d) {
        if (v.is_none()) return d;
        int64_t x = to_index(v);
        if (x < 0) x = std::max<int64_t>(0, x + n);
        return std::min(x, n);
    };
    int64_t b = norm(p.get(si), 0), e = norm(p.get(si + 1), n);
    if (b > e) return std::u32string();
    return u.substr(static_cast<std::size_t>(b), static_cast<std::size_t>(e - b));
}

int64_t find_impl(const Value& self, CallArgs& a, bool rev, const char* name) {
    Args p(name, a, {"sub", "start", "end"});
    std::u32string u = utf8_decode(self.str());
    const Value& subv = p.get(0);
    if (!subv.is_string()) raise("TypeError", "must be str, not " + subv.type_name());
    const std::string& sub = subv.str();
    int64_t n = static_cast<int64_t>(u.size());
    int64_t start = 0;
    if (!p.get(1).is_none()) {
        start = to_index(p.get(1));
        if (start < 0) start = std::max<int64_t>(0, start + n);
    }
    if (start > n) return -1;
    // Search the UTF-8 bytes of the window, then count code points before the hit.
    std::string w = utf8_encode(window(u, p, 1));
    std::size_t r = rev ? rfind_sub(w, sub) : find_sub(w, sub);
    if (r == std::string::npos) return -1;
    return static_cast<int64_t>(utf8_length(std::string_view(w).substr(0, r))) + start;
}

bool affix_impl(const Value& self, CallArgs& a, bool ends, const char* name) {
    Args p(name, a, {"prefix", "start", "end"});
    std::u32string w = window(utf8_decode(self.str()), p, 1);
    Value what = p.get(0);
    std::vector<Value> options;
    if (what.is_tuple()) options = what.items();
    else options.push_back(what);
    for (const Value& o : options) {
        if (!o.is_string())
            raise("TypeError", std::string(name) + " first arg must be str or a tuple of str, not " + o.type_name());
        std::u32string x = utf8_decode(o.str());
        if (x.size() > w.size()) continue;
        if (ends ? w.compare(w.size() - x.size(), x.size(), x) == 0 : w.compare(0, x.size(), x) == 0) return true;
    }
    return false;
}

template <bool (*Pred)(char32_t)>
Value all_chars(const Value& self) {
    std::u32string u = utf8_decode(self.str());
    if (u.empty()) return Value(false);
    for (char32_t c : u)
        if (!Pred(c)) return Value(false);
    return Value(true);
}

const std::unordered_map<std::string_view, Method>& str_methods() {
    static const std::unordered_map<std::string_view, Method> m = {
        {"capitalize", [](Evaluator&, const Value& s, CallArgs& a) { Args("capitalize", a, {}); return Value(py_capitalize(s.str()), s.is_safe()); }},
        {"casefold", [](Evaluator&, const Value& s, CallArgs& a) { Args("casefold", a, {}); return Value(py_str_lower(s.str()), s.is_safe()); }},
        {"lower", [](Evaluator&, const Value& s, CallArgs& a) { Args("lower", a, {}); return Value(py_str_lower(s.str()), s.is_safe()); }},
        {"upper", [](Evaluator&, const Value& s, CallArgs& a) { Args("upper", a, {}); return Value(py_str_upper(s.str()), s.is_safe()); }},
        {"title", [](Evaluator&, const Value& s, CallArgs& a) { Args("title", a, {}); return Value(py_title(s.str()), s.is_safe()); }},
        {"swapcase", [](Evaluator&, const Value& s, CallArgs& a) {
             Args("swapcase", a, {});
             std::string out;
             for (char32_t c : utf8_decode(s.str())) utf8_append(out, py_lower(c) != c ? py_lower(c) : py_upper(c));
             return Value(out, s.is_safe());
         }},
        {"strip", [](Evaluator&, const Value& s, CallArgs& a) { Args p("strip", a, {"chars"}); return Value(py_strip(s.str(), p.get(0), true, true), s.is_safe()); }},
        {"lstrip", [](Evaluator&, const Value& s, CallArgs& a) { Args p("lstrip", a, {"chars"}); return Value(py_strip(s.str(), p.get(0), true, false), s.is_safe()); }},
        {"rstrip", [](Evaluator&, const Value& s, CallArgs& a) { Args p("rstrip", a, {"chars"}); return Value(py_strip(s.str(), p.get(0), false, true), s.is_safe()); }},
        {"split", [](Evaluator&, const Value& s, CallArgs& a) {
             Args p("split", a, {"sep", "maxsplit"});
             return Value::list(py_split(s, p.get(0), p.has(1) ? to_index(p.get(1)) : -1, false));
         }},
        {"rsplit", [](Evaluator&, const Value& s, CallArgs& a) {
             Args p("rsplit", a, {"sep", "maxsplit"});
             return Value::list(py_split(s, p.get(0), p.has(1) ? to_index(p.get(1)) : -1, true));
         }},
        {"splitlines", [](Evaluator&, const Value& s, CallArgs& a) {
             Args p("splitlines", a, {"keepends"});
             std::vector<Value> out;
             for (auto& l : py_splitlines(s.str(), p.get(0, Value(false)).truthy())) out.emplace_back(std::move(l), s.is_safe());
             return Value::list(std::move(out));
         }},
        {"replace", [](Evaluator& ev, const Value& s, CallArgs& a) {
             Args p("replace", a, {"old", "new", "count"});
             std::string r = py_replace(s.str(), str_arg(p.get(0), "replace() argument 1").str(),
                                        str_arg(p.get(1), "replace() argument 2").str(), p.has(2) ? to_index(p.get(2)) : -1);
             ev.check_size(r.size());
             return Value(std::move(r), s.is_safe());
         }},
        {"startswith", [](Evaluator&, const Value& s, CallArgs& a) { return Value(affix_impl(s, a, false, "startswith")); }},
        {"endswith", [](Evaluator&, const Value& s, CallArgs& a) { return Value(affix_impl(s, a, true, "endswith")); }},
        {"find", [](Evaluator&, const Value& s, CallArgs& a) { return Value(find_impl(s, a, false, "find")); }},
        {"rfind", [](Evaluator&, const Value& s, CallArgs& a) { return Value(find_impl(s, a, true, "rfind")); }},
        {"index", [](Evaluator&, const Value& s, CallArgs& a) {
             int64_t r = find_impl(s, a, false, "index");
             if (r < 0) raise("ValueError", "substring not found");
             return Value(r);
         }},
        {"rindex", [](Evaluator&, const Value& s, CallArgs& a) {
             int64_t r = find_impl(s, a, true, "rindex");
             if (r < 0) raise("ValueError", "substring not found");
             return Value(r);
         }},
        {"count", [](Evaluator&, const Value& s, CallArgs& a) {
             Args p("count", a, {"sub", "start", "end"});
             std::u32string wu = window(utf8_decode(s.str()), p, 1);
             if (!p.get(0).is_string()) raise("TypeError", "must be str, not " + p.get(0).type_name());
             const std::string& sub = p.get(0).str();
             if (sub.empty()) return Value(static_cast<int64_t>(wu.size() + 1));
             std::string w = utf8_encode(wu);
             int64_t n = 0;
             for (std::size_t i = find_sub(w, sub); i != std::string::npos; i = find_sub(w, sub, i + sub.size())) ++n;
             return Value(n);
         }},
        {"join", [](Evaluator& ev, const Value& s, CallArgs& a) {
             Args p("join", a, {"iterable"});
             std::string out;
             bool first = true;
             std::size_t idx = 0;
             for (const Value& v : ev.iterate(p.get(0))) {
                 if (!v.is_string())
                     raise("TypeError", "sequence item " + std::to_string(idx) + ": expected str instance, " + v.type_name() + " found");
                 ++idx;
                 if (!first) out += s.str();
                 first = false;
                 out += (s.is_safe() && !v.is_safe()) ? html_escape(v.str()) : v.str();
                 ev.check_size(out.size());
             }
             return Value(std::move(out), s.is_safe());
         }},
        {"center", [](Evaluator&, const Value& s, CallArgs& a) {
             Args p("center", a, {"width", "fillchar"});
             fill_char(p.get(1, Value(" ")));
             return Value(py_center(s.str(), to_index(p.get(0)), p.get(1, Value(" ")).str(), '^'), s.is_safe());
         }},
        {"ljust", [](Evaluator&, const Value& s, CallArgs& a) {
             Args p("ljust", a, {"width", "fillchar"});
             fill_char(p.get(1, Value(" ")));
             return Value(py_center(s.str(), to_index(p.get(0)), p.get(1, Value(" ")).str(), '<'), s.is_safe());
         }},
        {"rjust", [](Evaluator&, const Value& s, CallArgs& a) {
             Args p("rjust", a, {"width", "fillchar"});
             fill_char(p.get(1, Value(" ")));
             return Value(py_center(s.str(), to_index(p.get(0)), p.get(1, Value(" ")).str(), '>'), s.is_safe());
         }},
        {"zfill", [](Evaluator&, const Value& s, CallArgs& a) {
             Args p("zfill", a, {"width"});
             std::string str = s.str();
             std::string sign;
             if (!str.empty() && (str[0] == '+' || str[0] == '-')) sign = str.substr(0, 1), str.erase(0, 1);
             int64_t w = to_index(p.get(0)) - static_cast<int64_t>(sign.size());
             return Value(sign + py_center(str, w, "0", '>'), s.is_safe());
         }},
        {"removeprefix", [](Evaluator&, const Value& s, CallArgs& a) {
             Args p("removeprefix", a, {"prefix"});
             const std::string& x = str_arg(p.get(0), "removeprefix() argument").str();
             const std::string& str = s.str();
             return Value(str.compare(0, x.size(), x) == 0 ? str.substr(x.size()) : str, s.is_safe());
         }},
        {"removesuffix", [](Evaluator&, const Value& s, CallArgs& a) {
             Args p("removesuffix", a, {"suffix"});
             const std::string& x = str_arg(p.get(0), "removesuffix() argument").str();
             const std::string& str = s.str();
             bool ends = !x.empty() && str.size() >= x.size() && str.compare(str.size() - x.size(), x.size(), x) == 0;
             return Value(ends ? str.substr(0, str.size() - x.size()) : str, s.is_safe());
         }},
        {"partition", [](Evaluator&, const Value& s, CallArgs& a) {
             Args p("partition", a, {"sep"});
             const std::string& sep = str_arg(p.get(0), "partition() argument").str();
             if (sep.empty()) raise("ValueError", "empty separator");
             const std::string& str = s.str();
             std::size_t i = find_sub(str, sep);
             bool safe = s.is_safe();
             if (i == std::string::npos) return Value::tuple({Value(str, safe), Value("", safe), Value("", safe)});
             return Value::tuple({Value(str.substr(0, i), safe), Value(sep, safe), Value(str.substr(i + sep.size()), safe)});
         }},
        {"rpartition", [](Evaluator&, const Value& s, CallArgs& a) {
             Args p("rpartition", a, {"sep"});
             const std::string& sep = str_arg(p.get(0), "rpartition() argument").str();
             if (sep.empty()) raise("ValueError", "empty separator");
             const std::string& str = s.str();
             std::size_t i = rfind_sub(str, sep);
             bool safe = s.is_safe();
             if (i == std::string::npos) return Value::tuple({Value("", safe), Value("", safe), Value(str, safe)});
             return Value::tuple({Value(str.substr(0, i), safe), Value(sep, safe), Value(str.substr(i + sep.size()), safe)});
         }},
        {"format", str_format},
        {"isalpha", [](Evaluator&, const Value& s, CallArgs& a) { Args("isalpha", a, {}); return all_chars<py_isalpha>(s); }},
        {"isalnum", [](Evaluator&, const Value& s, CallArgs& a) { Args("isalnum", a, {}); return all_chars<py_isalnum>(s); }},
        {"isdigit", [](Evaluator&, const Value& s, CallArgs& a) { Args("isdigit", a, {}); return all_chars<py_isdigit>(s); }},
        {"isdecimal", [](Evaluator&, const Value& s, CallArgs& a) { Args("isdecimal", a, {}); return all_chars<py_isdigit>(s); }},
        {"isnumeric", [](Evaluator&, const Value& s, CallArgs& a) { Args("isnumeric", a, {}); return all_chars<py_isdigit>(s); }},
        {"isspace", [](Evaluator&, const Value& s, CallArgs& a) { Args("isspace", a, {}); return all_chars<py_isspace>(s); }},
        {"isascii", [](Evaluator&, const Value& s, CallArgs& a) {
             Args("isascii", a, {});
             for (char c : s.str())
                 if (static_cast<unsigned char>(c) >= 0x80) return Value(false);
             return Value(true);
         }},
        {"islower", [](Evaluator&, const Value& s, CallArgs& a) {
             Args("islower", a, {});
             bool cased = false;
             for (char32_t c : utf8_decode(s.str())) {
                 if (py_upper(c) != c && py_lower(c) == c) cased = true;
                 else if (py_lower(c) != c) return Value(false);
             }
             return Value(cased);
         }},
        {"isupper", [](Evaluator&, const Value& s, CallArgs& a) {
             Args("isupper", a, {});
             bool cased = false;
             for (char32_t c : utf8_decode(s.str())) {
                 if (py_lower(c) != c && py_upper(c) == c) cased = true;
                 else if (py_upper(c) != c) return Value(false);
             }
             return Value(cased);
         }},
        {"istitle", [](Evaluator&, const Value& s, CallArgs& a) {
             Args("istitle", a, {});
             return Value(!s.str().empty() && py_title(s.str()) == s.str() && py_str_lower(s.str()) != s.str());
         }},
    };
    return m;
}

const char* const kUnsafeDict[] = {"clear", "pop", "popitem", "setdefault", "update"};
const char* const kUnsafeList[] = {"append", "extend", "insert", "remove", "reverse", "sort", "pop", "clear"};

Value seq_index(Evaluator& ev, const Value& s, CallArgs& a) {
    Args p("index", a, {"value", "start", "stop"});
    const auto& items = s.items();
    int64_t n = static_cast<int64_t>(items.size());
    auto norm = [&](const Value& v, int64_t d) {
        if (v.is_none()) return d;
        int64_t x = to_index(v);
        if (x < 0) x = std::max<int64_t>(0, x + n);
        return std::min(x, n);
    };
    int64_t b = norm(p.get(1), 0), e = norm(p.get(2), n);
    ev.charge(items.size());
    for (int64_t i = b; i < e; ++i)
        if (py_equal(items[static_cast<std::size_t>(i)], p.get(0))) return Value(i);
    raise("ValueError", p.get(0).repr() + " is not in " + s.type_name());
}

Value seq_count(Evaluator& ev, const Value& s, CallArgs& a) {
    Args p("count", a, {"value"});
    int64_t n = 0;
    ev.charge(s.items().size());
    for (const Value& v : s.items())
        if (py_equal(v, p.get(0))) ++n;
    return Value(n);
}

Value bind_method(const Value& self, std::string_view name, Method m) {
    return Value::native(
        std::string(name), [m, self](Evaluator& ev, CallArgs& a) { return m(ev, self, a); }, self);
}

}  // namespace

bool find_method(const Value& obj, std::string_view name, Value& out) {
    auto unsafe = [&](std::string_view kind) {
        out = Value::unsafe_undefined("access to attribute '" + std::string(name) + "' of '" + std::string(kind) +
                                      "' object is unsafe.");
        return true;
    };
    switch (obj.kind()) {
        case Kind::String: {
            const auto& m = str_methods();
            auto it = m.find(name);
            if (it == m.end()) return false;
            static const std::string_view escaping[] = {"capitalize", "title",  "lower",      "upper",        "replace",
                                                        "ljust",      "rjust",  "lstrip",     "rstrip",       "center",
                                                        "strip",      "swapcase", "zfill",    "removeprefix", "removesuffix",
                                                        "partition",  "rpartition"};
            if (obj.is_safe() && std::find(std::begin(escaping), std::end(escaping), name) != std::end(escaping)) {
                // markupsafe escapes plain-str arguments of Markup's str methods.
                Method fn = it->second;
                out = Value::native(
                    std::string(name),
                    [fn, obj](Evaluator& ev, CallArgs& a) {
                        auto esc = [](Value& v) {
                            if (v.is_string() && !v.is_safe()) v = Value(html_escape(v.str()), true);
                        };
                        for (Value& v : a.pos) esc(v);
                        for (auto& kv : a.kw) esc(kv.second);
                        return fn(ev, obj, a);
                    },
                    obj);
                return true;
            }
            out = bind_method(obj, name, it->second);
            return true;
        }
        case Kind::Dict: {
            for (const char* u : kUnsafeDict)
                if (name == u) return unsafe("dict");
            Method m = nullptr;
            if (name == "items") {
                m = [](Evaluator& ev, const Value& s, CallArgs& a) {
                    Args("items", a, {});
                    std::vector<Value> out;
                    for (const auto& [k, v] : s.dict().items()) out.push_back(Value::tuple({k, v}));
                    ev.charge(out.size());
                    return Value::list(std::move(out));
                };
            } else if (name == "keys") {
                m = [](Evaluator& ev, const Value& s, CallArgs& a) {
                    Args("keys", a, {});
                    std::vector<Value> out;
                    for (const auto& kv : s.dict().items()) out.push_back(kv.first);
                    ev.charge(out.size());
                    return Value::list(std::move(out));
                };
            } else if (name == "values") {
                m = [](Evaluator& ev, const Value& s, CallArgs& a) {
                    Args("values", a, {});
                    std::vector<Value> out;
                    for (const auto& kv : s.dict().items()) out.push_back(kv.second);
                    ev.charge(out.size());
                    return Value::list(std::move(out));
                };
            } else if (name == "get") {
                m = [](Evaluator&, const Value& s, CallArgs& a) {
                    Args p("get", a, {"key", "default"});
                    Value key = p.get(0);
                    if (!is_hashable(key)) raise("TypeError", "unhashable type: '" + key.type_name() + "'");
                    const Value* v = s.dict().find(key);
                    return v ? *v : p.get(1);
                };
            } else if (name == "copy") {
                m = [](Evaluator&, const Value& s, CallArgs& a) {
                    Args("copy", a, {});
                    return s;
                };
            }
            if (!m) return false;
            out = bind_method(obj, name, m);
            return true;
        }
        case Kind::List:
        case Kind::Tuple: {
            if (obj.is_list())
                for (const char* u : kUnsafeList)
                    if (name == u) return unsafe("list");
            Method m = nullptr;
            if (name == "index") m = seq_index;
            else if (name == "count") m = seq_count;
            else if (name == "copy" && obj.is_list())
                m = [](Evaluator&, const Value& s, CallArgs& a) {
                    Args("copy", a, {});
                    return s;
                };
            if (!m) return false;
            out = bind_method(obj, name, m);
            return true;
        }
        case Kind::Loop: {
            if (name == "cycle") {
                out = bind_method(obj, name, [](Evaluator&, const Value& s, CallArgs& a) {
                    if (!a.kw.empty()) raise("TypeError", "cycle() takes no keyword arguments");
                    if (a.pos.empty()) raise("TypeError", "no items for cycling given");
                    return a.pos[s.loop_data().index0 % a.pos.size()];
                });
                return true;
            }
            if (name == "changed") {
                out = bind_method(obj, name, [](Evaluator&, const Value& s, CallArgs& a) {
                    LoopData& l = s.loop_data();
                    bool same = l.has_last_changed && l.last_changed.size() == a.pos.size();
                    for (std::size_t i = 0; same && i < a.pos.size(); ++i) same = py_equal(l.last_changed[i], a.pos[i]);
                    l.last_changed = a.pos;
                    l.has_last_changed = true;
                    return Value(!same);
                });
                return true;
            }
            return false;
        }
        default: return false;
    }
}

// ---- globals ----------------------------------------------------------------

namespace {

const char* const kDays[] = {"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"};
const char* const kMonths[] = {"January", "February", "March",     "April",   "May",      "June",
                               "July",    "August",   "September", "October", "November", "December"};

int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

// A C-locale strftime with glibc's padding flags (-, _, 0), so output never
// depends on the process locale.
std::string strftime_c(std::string_view fmt, std::tm tm) {
    int64_t year = tm.tm_year + 1900;
    int mon = std::clamp(tm.tm_mon, 0, 11), mday = std::clamp(tm.tm_mday, 1, 31);
    int64_t days = days_from_civil(year, static_cast<unsigned>(mon + 1), static_cast<unsigned>(mday));
    int wday = static_cast<int>(((days % 7) + 11) % 7);  // 1970-01-01 was a Thursday
    int yday = static_cast<int>(days - days_from_civil(year, 1, 1));
    std::string out;
    for (std::size_t i = 0; i < fmt.size(); ++i) {
        if (fmt[i] != '%' || i + 1 >= fmt.size()) {
            out.push_back(fmt[i]);
            continue;
        }
        std::size_t start = i++;
        char flag = 0;
        if (fmt[i] == '-' || fmt[i] == '_' || fmt[i] == '0') {
            flag = fmt[i++];
            if (i >= fmt.size()) {
                out.append(fmt.substr(start));
                break;
            }
        }
        auto num = [&](int64_t v, int width, char padc) {
            std::string d = std::to_string(v < 0 ? -v : v);
            char p = flag == '_' ? ' ' : flag == '0' ? '0' : padc;
            if (flag != '-')
                while (static_cast<int>(d.size()) < width) d.insert(d.begin(), p);
            if (v < 0) d.insert(d.begin(), '-');
            out += d;
        };
        int hour12 = tm.tm_hour % 12 == 0 ? 12 : tm.tm_hour % 12;
        switch (fmt[i]) {
            case 'a': out.append(kDays[wday], 3); break;
            case 'A': out += kDays[wday]; break;
            case 'b':
            case 'h': out.append(kMonths[mon], 3); break;
            case 'B': out += kMonths[mon]; break;
            case 'c':
                out += strftime_c("%a %b %e %H:%M:%S %Y", tm);
                break;
            case 'C': num(year / 100, 2, '0'); break;
            case 'd': num(mday, 2, '0'); break;
            case 'D': out += strftime_c("%m/%d/%y", tm); break;
            case 'e': num(mday, 2, ' '); break;
            case 'F': out += strftime_c("%Y-%m-%d", tm); break;
            case 'H': num(tm.tm_hour, 2, '0'); break;
            case 'I': num(hour12, 2, '0'); break;
            case 'j': num(yday + 1, 3, '0'); break;
            case 'k': num(tm.tm_hour, 2, ' '); break;
            case 'l': num(hour12, 2, ' '); break;
            case 'm': num(mon + 1, 2, '0'); break;
            case 'M': num(tm.tm_min, 2, '0'); break;
            case 'n': out.push_back('\n'); break;
            case 'p': out += tm.tm_hour < 12 ? "AM" : "PM"; break;
            case 'P': out += tm.tm_hour < 12 ? "am" : "pm"; break;
            case 'r': out += strftime_c("%I:%M:%S %p", tm); break;
            case 'R': out += strftime_c("%H:%M", tm); break;
            case 'S': num(tm.tm_sec, 2, '0'); break;
            case 't': out.push_back('\t'); break;
            case 'T': out += strftime_c("%H:%M:%S", tm); break;
            case 'u': num(wday == 0 ? 7 : wday, 1, '0'); break;
            case 'w': num(wday, 1, '0'); break;
            case 'U': num((yday + 7 - wday) / 7, 2, '0'); break;
            case 'W': num((yday + 7 - ((wday + 6) % 7)) / 7, 2, '0'); break;
            case 'x': out += strftime_c("%m/%d/%y", tm); break;
            case 'X': out += strftime_c("%H:%M:%S", tm); break;
            case 'y': num(year % 100, 2, '0'); break;
            case 'Y': num(year, 1, '0'); break;
            case 'z': {
                long off = std::clamp(tm.tm_gmtoff, -86400L, 86400L);
                char buf[32];
                std::snprintf(buf, sizeof buf, "%c%02ld%02ld", off < 0 ? '-' : '+', std::labs(off) / 3600,
                              (std::labs(off) % 3600) / 60);
                out += buf;
                break;
            }
            case 'Z': out += tm.tm_zone ? tm.tm_zone : ""; break;
            case '%': out.push_back('%'); break;
            default: out.append(fmt.substr(start, i - start + 1));
        }
    }
    return out;
}

Value make_dict(CallArgs& a, const char* name) {
    if (a.pos.size() > 1) raise("TypeError", std::string(name) + " expected at most 1 argument, got " + std::to_string(a.pos.size()));
    DictData d;
    if (!a.pos.empty()) {
        const Value& src = a.pos[0];
        if (src.is_dict()) {
            for (const auto& [k, v] : src.dict().items()) d.set(k, v);
        } else if (src.is_sequence()) {
            for (const Value& pair : src.items()) {
                if (!pair.is_sequence() || pair.items().size() != 2)
                    raise("ValueError", "dictionary update sequence element has wrong length; 2 is required");
                d.set(pair.items()[0], pair.items()[1]);
            }
        } else if (src.is_undefined()) {  // dict() looks up .keys on it, which an Undefined refuses
            raise_undefined(src);
        } else {
            raise("TypeError", "'" + src.type_name() + "' object is not iterable");
        }
    }
    for (auto& [k, v] : a.kw) d.set(Value(k), v);
    return Value::dict(std::move(d));
}

const std::unordered_map<std::string_view, Value>& globals() {
    static const std::unordered_map<std::string_view, Value> g = {
        {"range", Value::native("range",
                                [](Evaluator& ev, CallArgs& a) {
                                    if (!a.kw.empty()) raise("TypeError", "range() takes no keyword arguments");
                                    if (a.pos.empty() || a.pos.size() > 3)
                                        raise("TypeError", "range expected 1 to 3 arguments, got " + std::to_string(a.pos.size()));
                                    int64_t start = 0, stop, step = 1;
                                    if (a.pos.size() == 1) {
                                        stop = to_index(a.pos[0]);
                                    } else {
                                        start = to_index(a.pos[0]);
                                        stop = to_index(a.pos[1]);
                                        if (a.pos.size() == 3) step = to_index(a.pos[2]);
                                    }
                                    if (step == 0) raise("ValueError", "range() arg 3 must not be zero");
                                    // Same cap as Jinja2's sandbox (MAX_RANGE).
                                    long double count = step > 0 ? (static_cast<long double>(stop) - start + step - 1) / step
                                                                 : (static_cast<long double>(start) - stop - step - 1) / -step;
                                    if (count > 100000)
                                        raise("OverflowError", "Range too big. The sandbox blocks ranges larger than MAX_RANGE (100000).");
                                    std::vector<Value> out;
                                    for (int64_t i = start; step > 0 ? i < stop : i > stop; i += step) out.emplace_back(i);
                                    ev.charge(out.size());
                                    return Value::list(std::move(out));
                                })},
        {"dict", Value::native("dict", [](Evaluator&, CallArgs& a) { return make_dict(a, "dict"); })},
        {"namespace", Value::native("namespace",
                                    [](Evaluator&, CallArgs& a) {
                                        Value d = make_dict(a, "namespace");
                                        if (d.shape().has_ns)
                                            raise("TemplateRuntimeError", "storing a namespace inside a namespace is not supported");
                                        auto ns = std::make_shared<NamespaceData>();
                                        for (const auto& [k, v] : d.dict().items()) ns->attrs.set(k, v);
                                        return Value::namespace_(std::move(ns));
                                    })},
        {"joiner", Value::native("joiner",
                                 [](Evaluator&, CallArgs& a) {
                                     Args p("joiner", a, {"sep"});
                                     std::string sep = p.get(0, Value(", ")).to_str();
                                     auto used = std::make_shared<bool>(false);
                                     return Value::native("joiner", [sep, used](Evaluator&, CallArgs&) {
                                         if (!*used) {
                                             *used = true;
                                             return Value("");
                                         }
                                         return Value(sep);
                                     });
                                 })},
        {"raise_exception", Value::native("raise_exception",
                                          [](Evaluator&, CallArgs& a) -> Value {
                                              Args p("raise_exception", a, {"message"});
                                              raise("TemplateError", p.get(0, Value("")).to_str());
                                          })},
        {"strftime_now", Value::native("strftime_now",
                                       [](Evaluator& ev, CallArgs& a) {
                                           Args p("strftime_now", a, {"format"});
                                           Value f = p.get(0);
                                           if (!f.is_string()) raise("TypeError", "strftime() argument 1 must be str, not " + f.type_name());
                                           return Value(strftime_c(f.str(), ev.now()));
                                       })},
    };
    return g;
}

}  // namespace

Value find_global(std::string_view name) {
    const auto& g = globals();
    auto it = g.find(name);
    return it == g.end() ? Value() : it->second;
}

}  // namespace glint::chat
