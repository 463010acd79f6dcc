// Python str operations shared by filters and methods (split, strip,
// replace, title, splitlines, padding, number parsing, round).
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <unordered_map>

#include "engine/chat/budget.h"
#include "engine/chat/builtins.h"
#include "engine/chat/builtins_util.h"

namespace glint::chat::detail {

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

}  // namespace glint::chat::detail
