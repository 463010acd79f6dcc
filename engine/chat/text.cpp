#include "engine/chat/text.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <vector>

#include "engine/chat/budget.h"

namespace glint::chat {

namespace {
constexpr char32_t kEscapeBase = 0xDC80;  // surrogateescape range for stray bytes
}

std::u32string utf8_decode(std::string_view s) {
    std::u32string out;
    out.reserve(s.size());
    const auto* p = reinterpret_cast<const unsigned char*>(s.data());
    std::size_t n = s.size(), i = 0;
    while (i < n) {
        unsigned char c = p[i];
        if (c < 0x80) {
            out.push_back(c);
            ++i;
            continue;
        }
        int len = 0;
        char32_t cp = 0, min = 0;
        if ((c & 0xE0) == 0xC0) len = 2, cp = c & 0x1F, min = 0x80;
        else if ((c & 0xF0) == 0xE0) len = 3, cp = c & 0x0F, min = 0x800;
        else if ((c & 0xF8) == 0xF0) len = 4, cp = c & 0x07, min = 0x10000;
        bool ok = len > 0 && i + len <= n;
        for (int k = 1; ok && k < len; ++k) {
            if ((p[i + k] & 0xC0) != 0x80) ok = false;
            else cp = (cp << 6) | (p[i + k] & 0x3F);
        }
        // overlong forms, surrogates and out-of-range values are not valid UTF-8
        if (ok && (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))) ok = false;
        if (ok) {
            out.push_back(cp);
            i += len;
        } else {
            out.push_back(kEscapeBase + c - 0x80);
            ++i;
        }
    }
    return out;
}

void utf8_append(std::string& out, char32_t cp) {
    if (cp >= kEscapeBase && cp <= kEscapeBase + 0x7F) {  // stray byte, restore it
        out.push_back(static_cast<char>(cp - kEscapeBase + 0x80));
    } else if (cp < 0x80) {
        out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
        out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
        out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
        if (cp > 0x10FFFF) cp = 0xFFFD;
        out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
}

std::string utf8_encode(std::u32string_view s) {
    std::string out;
    out.reserve(s.size());
    for (char32_t c : s) utf8_append(out, c);
    return out;
}

std::size_t utf8_length(std::string_view s) {
    bool ascii = true;
    for (char c : s)
        if (static_cast<unsigned char>(c) >= 0x80) {
            ascii = false;
            break;
        }
    return ascii ? s.size() : utf8_decode(s).size();
}

bool py_isspace(char32_t c) {
    return (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20) || c == 0x85 || c == 0xA0 ||
           c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 ||
           c == 0x202F || c == 0x205F || c == 0x3000;
}

bool py_islinebreak(char32_t c) {
    return c == '\n' || c == '\r' || c == 0x0B || c == 0x0C || c == 0x1C || c == 0x1D ||
           c == 0x1E || c == 0x85 || c == 0x2028 || c == 0x2029;
}

bool py_isprintable(char32_t c) {
    if (c < 0x20 || c == 0x7F) return false;
    if (c < 0x7F) return true;
    if (c <= 0xA0 || c == 0xAD) return false;                        // C1 controls, NBSP, soft hyphen
    if (c >= 0x600 && c <= 0x605) return false;
    if (c == 0x61C || c == 0x6DD || c == 0x70F || c == 0x180E || c == 0x1680) return false;
    if (c >= 0x2000 && c <= 0x200F) return false;                    // spaces, ZW chars, marks
    if (c >= 0x2028 && c <= 0x202F) return false;
    if (c >= 0x205F && c <= 0x206F) return false;
    if (c == 0x3000 || c == 0xFEFF || (c >= 0xFFF9 && c <= 0xFFFB)) return false;
    if (c >= 0xD800 && c <= 0xF8FF) return false;                    // surrogates, private use
    if (c == 0xFFFE || c == 0xFFFF) return false;
    if (c >= 0xE0000) return false;                                  // tags, private planes
    return true;
}

bool py_isdigit(char32_t c) { return c >= '0' && c <= '9'; }

bool py_iscased(char32_t c) { return py_lower(c) != c || py_upper(c) != c || c == 0xDF; }

bool py_isalpha(char32_t c) {
    if (c < 0x80) return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    if (py_iscased(c)) return true;
    // Uncased letters of common scripts (CJK, kana, Hangul, Arabic, Hebrew, Indic...).
    return (c >= 0x05D0 && c <= 0x05EA) || (c >= 0x0620 && c <= 0x064A) ||
           (c >= 0x0900 && c <= 0x0DFF && !(c >= 0x0966 && c <= 0x096F)) ||
           (c >= 0x3041 && c <= 0x30FF) || (c >= 0x3400 && c <= 0x4DBF) ||
           (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0xAC00 && c <= 0xD7A3) || c == 0xAA || c == 0xBA;
}

bool py_isalnum(char32_t c) { return py_isalpha(c) || py_isdigit(c); }

char32_t py_lower(char32_t c) {
    if (c < 0x80) return (c >= 'A' && c <= 'Z') ? c + 32 : c;
    if ((c >= 0xC0 && c <= 0xDE && c != 0xD7)) return c + 32;
    if (c >= 0x100 && c <= 0x17F) {
        if (c == 0x130) return 'i';
        if (c == 0x178) return 0xFF;
        bool odd_upper = (c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E);
        if (c == 0x131 || c == 0x138 || c == 0x149 || c == 0x17F) return c;
        if (odd_upper) return (c % 2 == 1) ? c + 1 : c;
        return (c % 2 == 0) ? c + 1 : c;
    }
    if (c >= 0x391 && c <= 0x3AB && c != 0x3A2) return c + 32;
    if (c >= 0x386 && c <= 0x38F) {
        if (c == 0x386) return 0x3AC;
        if (c >= 0x388 && c <= 0x38A) return c + 37;
        if (c == 0x38C) return 0x3CC;
        if (c == 0x38E || c == 0x38F) return c + 63;
    }
    if (c >= 0x410 && c <= 0x42F) return c + 32;
    if (c >= 0x400 && c <= 0x40F) return c + 80;
    return c;
}

char32_t py_upper(char32_t c) {
    if (c < 0x80) return (c >= 'a' && c <= 'z') ? c - 32 : c;
    if (c >= 0xE0 && c <= 0xFE && c != 0xF7) return c - 32;
    if (c == 0xFF) return 0x178;
    if (c == 0xB5) return 0x39C;
    if (c >= 0x100 && c <= 0x17F) {
        if (c == 0x131) return 'I';
        if (c == 0x17F) return 'S';
        if (c == 0x130 || c == 0x138 || c == 0x149) return c;
        bool odd_upper = (c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E);
        if (odd_upper) return (c % 2 == 0) ? c - 1 : c;
        return (c % 2 == 1) ? c - 1 : c;
    }
    if (c >= 0x3B1 && c <= 0x3CB && c != 0x3C2) return c - 32;
    if (c == 0x3C2) return 0x3A3;
    if (c == 0x3AC) return 0x386;
    if (c >= 0x3AD && c <= 0x3AF) return c - 37;
    if (c == 0x3CC) return 0x38C;
    if (c == 0x3CD || c == 0x3CE) return c - 63;
    if (c >= 0x430 && c <= 0x44F) return c - 32;
    if (c >= 0x450 && c <= 0x45F) return c - 80;
    return c;
}

std::string py_str_lower(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (char32_t c : utf8_decode(s)) utf8_append(out, py_lower(c));
    return out;
}

std::string py_str_upper(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (char32_t c : utf8_decode(s)) {
        if (c == 0xDF) {  // German sharp s upper-cases to two letters
            out += "SS";
            continue;
        }
        utf8_append(out, py_upper(c));
    }
    return out;
}

std::string py_repr_str(std::string_view s) {
    std::u32string cps = utf8_decode(s);
    bool has_single = false, has_double = false;
    for (char32_t c : cps) {
        if (c == '\'') has_single = true;
        if (c == '"') has_double = true;
    }
    char quote = (has_single && !has_double) ? '"' : '\'';
    std::string out(1, quote);
    char buf[16];
    for (char32_t c : cps) {
        if (c == static_cast<char32_t>(quote) || c == '\\') {
            out.push_back('\\');
            out.push_back(static_cast<char>(c));
        } else if (c == '\t') {
            out += "\\t";
        } else if (c == '\n') {
            out += "\\n";
        } else if (c == '\r') {
            out += "\\r";
        } else if (py_isprintable(c)) {
            utf8_append(out, c);
        } else if (c <= 0xFF) {
            std::snprintf(buf, sizeof buf, "\\x%02x", static_cast<unsigned>(c));
            out += buf;
        } else if (c <= 0xFFFF) {
            std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
            out += buf;
        } else {
            std::snprintf(buf, sizeof buf, "\\U%08x", static_cast<unsigned>(c));
            out += buf;
        }
    }
    out.push_back(quote);
    return out;
}

std::string py_repr_float(double v) {
    if (std::isnan(v)) return "nan";
    if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
    // Shortest round-trip digits, then laid out the way CPython's repr does:
    // fixed notation when -4 <= exponent < 16, scientific otherwise.
    char buf[64];
    auto res = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific);
    std::string sci(buf, res.ptr);
    bool neg = !sci.empty() && sci[0] == '-';
    if (neg) sci.erase(0, 1);
    std::size_t epos = sci.find('e');
    std::string mant = sci.substr(0, epos);
    int exp10 = std::atoi(sci.c_str() + epos + 1);
    std::string digits;
    for (char c : mant)
        if (c != '.') digits.push_back(c);
    std::string out = neg ? "-" : "";
    int decpt = exp10 + 1;  // digits are 0.d1d2... x 10^decpt
    if (decpt > -4 && decpt <= 16) {
        if (decpt <= 0) {
            out += "0.";
            out.append(static_cast<std::size_t>(-decpt), '0');
            out += digits;
        } else if (static_cast<std::size_t>(decpt) >= digits.size()) {
            out += digits;
            out.append(static_cast<std::size_t>(decpt) - digits.size(), '0');
            out += ".0";
        } else {
            out += digits.substr(0, static_cast<std::size_t>(decpt));
            out += ".";
            out += digits.substr(static_cast<std::size_t>(decpt));
        }
    } else {
        out += digits.substr(0, 1);
        if (digits.size() > 1) {
            out.push_back('.');
            out.append(digits, 1, std::string::npos);
        }
        std::snprintf(buf, sizeof buf, "e%c%02d", exp10 < 0 ? '-' : '+', exp10 < 0 ? -exp10 : exp10);
        out += buf;
    }
    return out;
}

namespace {
// Decodes the code point ending at s[end-1]; returns its byte length.
std::size_t last_cp(std::string_view s, std::size_t end, char32_t& cp) {
    std::size_t start = end - 1;
    while (start > 0 && end - start < 4 && (static_cast<unsigned char>(s[start]) & 0xC0) == 0x80) --start;
    std::u32string d = utf8_decode(s.substr(start, end - start));
    if (d.size() != 1) {  // not one well-formed char: treat the last byte alone
        cp = utf8_decode(s.substr(end - 1, 1))[0];
        return 1;
    }
    cp = d[0];
    return end - start;
}
}  // namespace

namespace {
std::size_t kmp_find(std::string_view h, std::string_view n, std::size_t from) {
    std::vector<std::size_t> fail(n.size(), 0);
    for (std::size_t i = 1, k = 0; i < n.size(); ++i) {
        while (k > 0 && n[i] != n[k]) k = fail[k - 1];
        if (n[i] == n[k]) ++k;
        fail[i] = k;
    }
    for (std::size_t i = from, k = 0; i < h.size(); ++i) {
        while (k > 0 && h[i] != n[k]) k = fail[k - 1];
        if (h[i] == n[k]) ++k;
        if (k == n.size()) return i + 1 - n.size();
    }
    return std::string_view::npos;
}
constexpr std::size_t kShortNeedle = 16;  // std::find is fine (and faster) below this
}  // namespace

std::size_t find_sub(std::string_view hay, std::string_view needle, std::size_t from) {
    if (from > hay.size()) return std::string_view::npos;
    charge_work((hay.size() - from) / 16 + 1);
    if (needle.size() <= kShortNeedle || needle.empty()) return hay.find(needle, from);
    return kmp_find(hay, needle, from);
}

std::size_t rfind_sub(std::string_view hay, std::string_view needle, std::size_t last_start) {
    charge_work(hay.size() / 16 + 1);
    if (needle.size() <= kShortNeedle) return hay.rfind(needle, last_start);
    if (needle.size() > hay.size()) return std::string_view::npos;
    std::size_t max_start = std::min(last_start, hay.size() - needle.size());
    std::string rh(hay.substr(0, max_start + needle.size()));
    std::string rn(needle);
    std::reverse(rh.begin(), rh.end());
    std::reverse(rn.begin(), rn.end());
    std::size_t r = kmp_find(rh, rn, 0);
    if (r == std::string_view::npos) return r;
    return rh.size() - r - needle.size();
}

std::string_view py_rstrip_ws(std::string_view s) {
    std::size_t end = s.size();
    while (end > 0) {
        char32_t cp;
        std::size_t len = last_cp(s, end, cp);
        if (!py_isspace(cp)) break;
        end -= len;
    }
    return s.substr(0, end);
}

std::string_view py_lstrip_ws(std::string_view s) {
    std::size_t i = 0;
    while (i < s.size()) {
        unsigned char c = static_cast<unsigned char>(s[i]);
        std::size_t len = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 1;
        if (i + len > s.size()) len = 1;
        std::u32string d = utf8_decode(s.substr(i, len));
        if (d.size() != 1 || !py_isspace(d[0])) break;
        i += len;
    }
    return s.substr(i);
}

}  // namespace glint::chat
