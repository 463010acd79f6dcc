#include "engine/chat/lexer.h"

#include <algorithm>
#include <charconv>

#include "engine/chat/text.h"

namespace glint::chat {

namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_name_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool is_name_char(char c) { return is_name_start(c) || is_digit(c); }
int hex_val(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

class Lexer {
public:
    explicit Lexer(std::string_view source) {
        // Jinja2 splits on \r\n, \r or \n, rejoins with \n and drops one
        // trailing newline (keep_trailing_newline is off).
        src_.reserve(source.size());
        for (std::size_t i = 0; i < source.size(); ++i) {
            char c = source[i];
            if (c == '\r') {
                if (i + 1 < source.size() && source[i + 1] == '\n') ++i;
                src_.push_back('\n');
            } else {
                src_.push_back(c);
            }
        }
        if (!src_.empty() && src_.back() == '\n') src_.pop_back();
        line_starts_.push_back(0);
        for (std::size_t i = 0; i < src_.size(); ++i)
            if (src_[i] == '\n') line_starts_.push_back(i + 1);
    }

    std::vector<Token> run() {
        std::size_t n = src_.size();
        std::size_t pos = 0;
        while (pos < n) {
            std::size_t start = find_tag(pos);
            if (start == std::string::npos) {
                emit_data(std::string_view(src_).substr(pos));
                break;
            }
            char kind = src_[start + 1];
            std::size_t after = start + 2;
            char sign = 0;
            if (after < n && (src_[after] == '-' || src_[after] == '+')) sign = src_[after++];
            std::size_t raw_end = 0;
            bool raw = kind == '%' && match_raw_begin(after, raw_end);
            emit_data(strip_text(std::string_view(src_).substr(pos, start - pos), sign, kind != '{'));
            if (raw) {
                line_starting_ = src_[raw_end - 1] == '\n';
                pos = lex_raw_body(start, raw_end);
            } else if (kind == '#') {
                pos = lex_comment(start, after);
            } else {
                pos = lex_tag(start, after, kind);
            }
        }
        Token eof;
        eof.type = Tok::Eof;
        eof.pos = pos_of(n);
        out_.push_back(std::move(eof));
        return std::move(out_);
    }

private:
    [[noreturn]] void fail(std::size_t off, std::string msg) {
        cache_line_ = 0;  // may point backwards
        throw SyntaxError{std::move(msg), pos_of(off)};
    }

    // Column counts code points; positions are asked for in increasing order,
    // so the count continues from the previous answer (linear overall).
    SrcPos pos_of(std::size_t off) {
        off = std::min(off, src_.size());
        auto it = std::upper_bound(line_starts_.begin(), line_starts_.end(), off);
        std::size_t line = static_cast<std::size_t>(it - line_starts_.begin());
        std::size_t ls = line_starts_[line - 1];
        if (line != cache_line_ || off < cache_off_) {
            cache_line_ = line;
            cache_off_ = ls;
            cache_col_ = 1;
        }
        cache_col_ += utf8_length(std::string_view(src_).substr(cache_off_, off - cache_off_));
        cache_off_ = off;
        return {static_cast<int>(line), static_cast<int>(cache_col_)};
    }

    // Byte length of the (Unicode) whitespace character at p, 0 if none.
    std::size_t ws_len(std::size_t p) const {
        unsigned char c = static_cast<unsigned char>(src_[p]);
        if (c < 0x80) return py_isspace(c) ? 1 : 0;
        std::size_t len = (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 1;
        if (p + len > src_.size()) return 0;
        std::u32string d = utf8_decode(std::string_view(src_).substr(p, len));
        return (d.size() == 1 && py_isspace(d[0])) ? len : 0;
    }

    std::size_t skip_ws(std::size_t p) const {
        while (p < src_.size()) {
            std::size_t l = ws_len(p);
            if (!l) break;
            p += l;
        }
        return p;
    }

    bool starts(std::size_t p, std::string_view s) const { return std::string_view(src_).substr(p, s.size()) == s; }

    std::size_t find_tag(std::size_t from) const {
        for (std::size_t i = src_.find('{', from); i != std::string::npos; i = src_.find('{', i + 1)) {
            if (i + 1 < src_.size() && (src_[i + 1] == '{' || src_[i + 1] == '%' || src_[i + 1] == '#')) return i;
        }
        return std::string::npos;
    }

    // Whitespace control for the text in front of a tag: `-` strips all
    // trailing whitespace; otherwise lstrip_blocks removes the indentation of
    // a block or comment tag that starts its line.
    std::string_view strip_text(std::string_view text, char sign, bool lstrip_applies) const {
        if (sign == '-') return py_rstrip_ws(text);
        if (sign == '+' || !lstrip_applies) return text;
        std::size_t nl = text.rfind('\n');
        std::size_t l_pos = nl == std::string_view::npos ? 0 : nl + 1;
        if ((l_pos > 0 || line_starting_) && l_pos < text.size()) {
            std::string_view tail = text.substr(l_pos);
            if (py_rstrip_ws(tail).empty()) return text.substr(0, l_pos);
        }
        return text;
    }

    void emit_data(std::string_view text) {
        if (text.empty()) return;
        Token t;
        t.type = Tok::Data;
        t.text = std::string(text);
        t.pos = pos_of(static_cast<std::size_t>(text.data() - src_.data()));
        out_.push_back(std::move(t));
    }

    // `{% raw %}` (sign already consumed): \s* raw \s* (-%}\s* | %})
    bool match_raw_begin(std::size_t p, std::size_t& end) const {
        p = skip_ws(p);
        if (!starts(p, "raw")) return false;
        p = skip_ws(p + 3);
        if (starts(p, "-%}")) {
            end = skip_ws(p + 3);
            return true;
        }
        if (starts(p, "%}")) {
            end = p + 2;
            return true;
        }
        return false;
    }

    std::size_t lex_raw_body(std::size_t start, std::size_t from) {
        for (std::size_t i = src_.find("{%", from); i != std::string::npos; i = src_.find("{%", i + 1)) {
            std::size_t p = i + 2;
            char sign = 0;
            if (p < src_.size() && (src_[p] == '-' || src_[p] == '+')) sign = src_[p++];
            p = skip_ws(p);
            if (!starts(p, "endraw")) continue;
            p = skip_ws(p + 6);
            std::size_t end;
            if (starts(p, "+%}")) end = p + 3;
            else if (starts(p, "-%}")) end = skip_ws(p + 3);
            else if (starts(p, "%}")) end = p + 2 + ((p + 2 < src_.size() && src_[p + 2] == '\n') ? 1 : 0);
            else continue;
            emit_data(strip_text(std::string_view(src_).substr(from, i - from), sign, true));
            line_starting_ = src_[end - 1] == '\n';
            return end;
        }
        fail(start, "missing end of raw directive");
    }

    std::size_t lex_comment(std::size_t start, std::size_t after) {
        std::size_t k = src_.find("#}", after);
        if (k == std::string::npos) fail(start, "missing end of comment tag");
        std::size_t end = k + 2;
        if (k > after && src_[k - 1] == '-') {
            end = skip_ws(end);
        } else if (k > after && src_[k - 1] == '+') {
            // keep what follows
        } else if (end < src_.size() && src_[end] == '\n') {
            ++end;  // trim_blocks
        }
        line_starting_ = src_[end - 1] == '\n';
        return end;
    }

    std::size_t lex_tag(std::size_t start, std::size_t p, char kind) {
        bool block = kind == '%';
        push(block ? Tok::BlockBegin : Tok::VarBegin, start, block ? "{%" : "{{");
        std::vector<char> stack;
        std::size_t n = src_.size();
        for (;;) {
            if (p >= n) fail(start, block ? "unexpected end of template: missing '%}'" : "unexpected end of template: missing '}}'");
            if (stack.empty()) {
                std::size_t end = 0;
                if (block) {
                    if (starts(p, "+%}")) end = p + 3;
                    else if (starts(p, "-%}")) end = skip_ws(p + 3);
                    else if (starts(p, "%}")) end = p + 2 + ((p + 2 < n && src_[p + 2] == '\n') ? 1 : 0);
                } else {
                    if (starts(p, "-}}")) end = skip_ws(p + 3);
                    else if (starts(p, "}}")) end = p + 2;
                }
                if (end) {
                    push(block ? Tok::BlockEnd : Tok::VarEnd, p, block ? "%}" : "}}");
                    line_starting_ = src_[end - 1] == '\n';
                    return end;
                }
            }
            if (std::size_t l = ws_len(p)) {
                p += l;
                continue;
            }
            char c = src_[p];
            std::size_t e;
            if ((e = match_float(p))) {
                Token& t = push(Tok::Float, p, src_.substr(p, e - p));
                std::string digits;
                for (char ch : t.text)
                    if (ch != '_') digits.push_back(ch);
                std::from_chars(digits.data(), digits.data() + digits.size(), t.fval);
                p = e;
            } else if ((e = match_int(p))) {
                Token& t = push(Tok::Int, p, src_.substr(p, e - p));
                t.ival = int_value(p, t.text);
                p = e;
            } else if (is_name_start(c)) {
                e = p;
                while (e < n && is_name_char(src_[e])) ++e;
                push(Tok::Name, p, src_.substr(p, e - p));
                p = e;
            } else if (c == '\'' || c == '"') {
                e = p + 1;
                while (e < n && src_[e] != c) e += (src_[e] == '\\') ? 2 : 1;
                if (e >= n) fail(p, "unterminated string literal");
                Token& t = push(Tok::String, p, "");
                t.text = decode_string(p, std::string_view(src_).substr(p + 1, e - p - 1));
                p = e + 1;
            } else {
                p = lex_operator(p, stack);
            }
        }
    }

    std::size_t lex_operator(std::size_t p, std::vector<char>& stack) {
        static const char* two[] = {"//", "**", "==", "!=", ">=", "<="};
        for (const char* op : two) {
            if (starts(p, op)) {
                push(Tok::Op, p, op);
                return p + 2;
            }
        }
        char c = src_[p];
        static const std::string_view singles = "+-/*%~[](){}><=.:|,;";
        if (singles.find(c) == std::string_view::npos) {
            std::string shown;
            std::size_t len = 1;
            unsigned char uc = static_cast<unsigned char>(c);
            if (uc >= 0x80) len = (uc & 0xE0) == 0xC0 ? 2 : (uc & 0xF0) == 0xE0 ? 3 : (uc & 0xF8) == 0xF0 ? 4 : 1;
            shown = src_.substr(p, len);
            fail(p, "unexpected char '" + shown + "'");
        }
        if (c == '(' || c == '[' || c == '{') {
            stack.push_back(c == '(' ? ')' : c == '[' ? ']' : '}');
        } else if (c == ')' || c == ']' || c == '}') {
            if (stack.empty()) fail(p, std::string("unexpected '") + c + "'");
            if (stack.back() != c) fail(p, std::string("unexpected '") + c + "', expected '" + stack.back() + "'");
            stack.pop_back();
        }
        push(Tok::Op, p, std::string(1, c));
        return p + 1;
    }

    Token& push(Tok type, std::size_t off, std::string text) {
        Token t;
        t.type = type;
        t.text = std::move(text);
        t.pos = pos_of(off);
        out_.push_back(std::move(t));
        return out_.back();
    }

    // (\d+_)*\d+ starting at p; returns its end or 0.
    std::size_t digits_us(std::size_t p) const {
        std::size_t n = src_.size();
        if (p >= n || !is_digit(src_[p])) return 0;
        while (p < n && is_digit(src_[p])) ++p;
        while (p + 1 < n && src_[p] == '_' && is_digit(src_[p + 1])) {
            ++p;
            while (p < n && is_digit(src_[p])) ++p;
        }
        return p;
    }

    std::size_t exponent(std::size_t p) const {
        if (p >= src_.size() || (src_[p] != 'e' && src_[p] != 'E')) return 0;
        ++p;
        if (p < src_.size() && (src_[p] == '+' || src_[p] == '-')) ++p;
        return digits_us(p);
    }

    // Jinja2: (?<!\.)(\d+_)*\d+((\.(\d+_)*\d+)?e[+\-]?(\d+_)*\d+|\.(\d+_)*\d+)
    std::size_t match_float(std::size_t p) const {
        if (p > 0 && src_[p - 1] == '.') return 0;
        std::size_t a = digits_us(p);
        if (!a) return 0;
        if (a < src_.size() && src_[a] == '.') {
            if (std::size_t f = digits_us(a + 1)) {
                if (std::size_t e = exponent(f)) return e;
                return f;
            }
            return 0;
        }
        return exponent(a);
    }

    // Jinja2: 0b(_?[01])+ | 0o(_?[0-7])+ | 0x(_?[\da-f])+ | [1-9](_?\d)* | 0(_?0)*
    std::size_t match_int(std::size_t p) const {
        std::size_t n = src_.size();
        if (!is_digit(src_[p])) return 0;
        auto run = [&](std::size_t q, auto ok) {
            std::size_t e = 0;
            while (q < n) {
                if (ok(src_[q])) {
                    e = ++q;
                } else if (src_[q] == '_' && q + 1 < n && ok(src_[q + 1])) {
                    q += 2;
                    e = q;
                } else {
                    break;
                }
            }
            return e;
        };
        if (src_[p] == '0' && p + 1 < n) {
            char b = src_[p + 1];
            std::size_t e = 0;
            if (b == 'b' || b == 'B') e = run(p + 2, [](char c) { return c == '0' || c == '1'; });
            else if (b == 'o' || b == 'O') e = run(p + 2, [](char c) { return c >= '0' && c <= '7'; });
            else if (b == 'x' || b == 'X') e = run(p + 2, [](char c) { return hex_val(c) >= 0; });
            if (e) return e;
        }
        if (src_[p] != '0') {
            std::size_t e = run(p + 1, [](char c) { return is_digit(c); });
            return e ? e : p + 1;
        }
        std::size_t e = run(p + 1, [](char c) { return c == '0'; });
        return e ? e : p + 1;
    }

    int64_t int_value(std::size_t off, const std::string& text) {
        std::string t;
        for (char c : text)
            if (c != '_') t.push_back(c);
        int base = 10;
        std::size_t skip = 0;
        if (t.size() > 1 && t[0] == '0' && (t[1] == 'x' || t[1] == 'X')) base = 16, skip = 2;
        else if (t.size() > 1 && t[0] == '0' && (t[1] == 'o' || t[1] == 'O')) base = 8, skip = 2;
        else if (t.size() > 1 && t[0] == '0' && (t[1] == 'b' || t[1] == 'B')) base = 2, skip = 2;
        int64_t v = 0;
        auto r = std::from_chars(t.data() + skip, t.data() + t.size(), v, base);
        if (r.ec != std::errc()) fail(off, "integer literal too large: " + text);
        return v;
    }

    // Python's unicode-escape decoding of a string literal's body.
    std::string decode_string(std::size_t off, std::string_view s) {
        std::string out;
        out.reserve(s.size());
        for (std::size_t i = 0; i < s.size(); ++i) {
            char c = s[i];
            if (c != '\\' || i + 1 >= s.size()) {
                out.push_back(c);
                continue;
            }
            char e = s[++i];
            switch (e) {
                case '\n': break;  // line continuation
                case '\\': out.push_back('\\'); break;
                case '\'': out.push_back('\''); break;
                case '"': out.push_back('"'); break;
                case 'a': out.push_back('\a'); break;
                case 'b': out.push_back('\b'); break;
                case 'f': out.push_back('\f'); break;
                case 'n': out.push_back('\n'); break;
                case 'r': out.push_back('\r'); break;
                case 't': out.push_back('\t'); break;
                case 'v': out.push_back('\v'); break;
                case 'x':
                case 'u':
                case 'U': {
                    int digits = e == 'x' ? 2 : e == 'u' ? 4 : 8;
                    uint32_t cp = 0;
                    for (int k = 0; k < digits; ++k) {
                        if (i + 1 >= s.size() || hex_val(s[i + 1]) < 0)
                            fail(off, std::string("truncated \\") + e + " escape in string literal");
                        cp = cp * 16 + static_cast<uint32_t>(hex_val(s[++i]));
                    }
                    if (cp > 0x10FFFF) fail(off, "illegal Unicode character in string literal");
                    utf8_append(out, cp);
                    break;
                }
                case 'N': fail(off, "\\N{...} escapes are not supported");
                default:
                    if (e >= '0' && e <= '7') {
                        uint32_t cp = static_cast<uint32_t>(e - '0');
                        for (int k = 0; k < 2 && i + 1 < s.size() && s[i + 1] >= '0' && s[i + 1] <= '7'; ++k)
                            cp = cp * 8 + static_cast<uint32_t>(s[++i] - '0');
                        utf8_append(out, cp);
                    } else {
                        out.push_back('\\');
                        out.push_back(e);
                    }
            }
        }
        return out;
    }

    std::string src_;
    std::vector<std::size_t> line_starts_;
    std::vector<Token> out_;
    bool line_starting_ = true;
    std::size_t cache_line_ = 0, cache_off_ = 0, cache_col_ = 1;
};

}  // namespace

std::vector<Token> tokenize(std::string_view source) { return Lexer(source).run(); }

}  // namespace glint::chat
