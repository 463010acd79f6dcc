// Byte-level BPE (tokenizer.ggml.model = gpt2): regex pre-tokenizer, byte to
// code point mapping, then merges applied lowest rank first.
//
// The pre-tokenizer patterns need Unicode categories (\p{L}, \p{N}, \p{P}),
// Unicode \s and lookahead; PCRE2 in UTF+UCP mode provides all of them with a
// JIT, so the reference's patterns are used verbatim instead of hand-written
// scanners or generated category tables.
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <algorithm>
#include <queue>

#include "engine/tokenizer/internal.h"
#include "gguf/error.h"

namespace glint::tok {

struct RegexSplitter::Compiled {
    pcre2_code* code = nullptr;
    ~Compiled() { pcre2_code_free(code); }
};

RegexSplitter::RegexSplitter(const std::vector<std::string>& patterns) {
    for (const auto& p : patterns) {
        int err = 0;
        PCRE2_SIZE erroff = 0;
        // MATCH_INVALID_UTF: arbitrary bytes must not make matching fail (they
        // simply never match and stay in the gaps); it also skips the
        // per-call whole-subject UTF check that would make splitting quadratic.
        // DOLLAR_ENDONLY: '$' means end of fragment, as in ECMAScript.
        auto c = std::make_unique<Compiled>();
        c->code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(p.data()), p.size(),
                                PCRE2_UTF | PCRE2_UCP | PCRE2_MATCH_INVALID_UTF | PCRE2_DOLLAR_ENDONLY,
                                &err, &erroff, nullptr);
        if (!c->code) {
            PCRE2_UCHAR msg[256];
            pcre2_get_error_message(err, msg, sizeof msg);
            throw Error(ErrorCode::Internal, "pre-tokenizer regex does not compile at offset " +
                                                 std::to_string(erroff) + ": " +
                                                 reinterpret_cast<const char*>(msg));
        }
        pcre2_jit_compile(c->code, PCRE2_JIT_COMPLETE);  // falls back to the interpreter on failure
        res_.push_back(std::move(c));
    }
}

RegexSplitter::~RegexSplitter() = default;

void RegexSplitter::split(std::string_view text, std::vector<std::pair<size_t, size_t>>& out) const {
    std::vector<std::pair<size_t, size_t>> cur{{0, text.size()}}, next;
    if (text.empty()) return;
    for (const auto& re : res_) {
        next.clear();
        pcre2_match_data* md = pcre2_match_data_create_from_pattern(re->code, nullptr);
        if (!md) throw Error(ErrorCode::OutOfMemory, "pcre2 match data allocation failed");
        for (auto [b, e] : cur) {
            auto subj = reinterpret_cast<PCRE2_SPTR>(text.data() + b);
            size_t len = e - b, pos = 0, done = 0;
            while (pos < len) {
                int rc = pcre2_match(re->code, subj, len, pos, 0, md, nullptr);
                if (rc < 0) break;  // no match (or a matching error): rest is one gap
                const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(md);
                size_t ms = ov[0], me = ov[1];
                if (me == ms) {  // patterns here never match empty; step over it anyway
                    pos = ms + 1;
                    continue;
                }
                if (ms > done) next.emplace_back(b + done, b + ms);
                next.emplace_back(b + ms, b + me);
                done = pos = me;
            }
            if (done < len) next.emplace_back(b + done, e);
        }
        pcre2_match_data_free(md);
        cur.swap(next);
    }
    out.insert(out.end(), cur.begin(), cur.end());
}

// GPT-2's table: printable Latin-1 bytes map to themselves, the other 68 bytes
// to U+0100.. in byte order.
namespace {
struct ByteMap {
    std::string fwd[256];
    std::vector<int16_t> rev = std::vector<int16_t>(512, -1);
    ByteMap() {
        int n = 0;
        for (int b = 0; b < 256; ++b) {
            bool printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174);
            uint32_t cp = printable ? uint32_t(b) : uint32_t(256 + n++);
            utf8_append(fwd[b], cp);
            rev[cp] = int16_t(b);
        }
    }
};
const ByteMap& byte_map() {
    static const ByteMap m;
    return m;
}
}  // namespace

const std::string& byte_to_unicode(uint8_t b) { return byte_map().fwd[b]; }

int unicode_to_byte(uint32_t cp) {
    const auto& r = byte_map().rev;
    return cp < r.size() ? r[cp] : -1;
}

uint32_t utf8_decode(std::string_view s, size_t i, size_t& len) {
    auto c = [&](size_t k) { return uint8_t(s[k]); };
    uint8_t b0 = c(i);
    len = 1;
    if (b0 < 0x80) return b0;
    size_t n = b0 >= 0xF0 && b0 <= 0xF4 ? 4 : b0 >= 0xE0 ? 3 : b0 >= 0xC2 && b0 < 0xE0 ? 2 : 0;
    if (n == 0 || i + n > s.size()) return 0xFFFD;
    uint32_t cp = b0 & (0x7F >> n);
    for (size_t k = 1; k < n; ++k) {
        if ((c(i + k) & 0xC0) != 0x80) return 0xFFFD;
        cp = (cp << 6) | (c(i + k) & 0x3F);
    }
    // reject overlongs, surrogates and values past U+10FFFF
    if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
        (cp >= 0xD800 && cp <= 0xDFFF))
        return 0xFFFD;
    len = n;
    return cp;
}

void utf8_append(std::string& out, uint32_t cp) {
    if (cp < 0x80) {
        out += char(cp);
    } else if (cp < 0x800) {
        out += char(0xC0 | (cp >> 6));
        out += char(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += char(0xE0 | (cp >> 12));
        out += char(0x80 | ((cp >> 6) & 0x3F));
        out += char(0x80 | (cp & 0x3F));
    } else {
        out += char(0xF0 | (cp >> 18));
        out += char(0x80 | ((cp >> 12) & 0x3F));
        out += char(0x80 | ((cp >> 6) & 0x3F));
        out += char(0x80 | (cp & 0x3F));
    }
}

}  // namespace glint::tok

namespace glint {

namespace {
using tok::Sym;
struct Bigram {
    int rank, left, right;
    uint32_t size;
    // priority_queue pops the "largest": lowest rank, then leftmost
    bool operator<(const Bigram& o) const {
        return rank > o.rank || (rank == o.rank && left > o.left);
    }
};
}  // namespace

void Tokenizer::Impl::encode_bpe(std::string_view text, std::vector<int32_t>& out, tok::Memo& memo) const {
    std::vector<std::pair<size_t, size_t>> words;
    splitter->split(text, words);

    std::string word, key;
    std::vector<Sym> syms;
    for (auto [wb, we] : words) {
        std::string_view raw = text.substr(wb, we - wb);
        if (memo.emit(raw, out)) continue;
        const size_t before = out.size();
        encode_bpe_word(raw, word, key, syms, out);
        memo.store(raw, out, before);
    }
}

void Tokenizer::Impl::encode_bpe_word(std::string_view raw, std::string& word, std::string& key,
                                      std::vector<Sym>& syms, std::vector<int32_t>& out) const {
    word.clear();
    for (char c : raw) word += tok::byte_to_unicode(uint8_t(c));

    if (ignore_merges) {
        int32_t id = id_of(word);
        if (id >= 0) {
            out.push_back(id);
            return;
        }
    }

    syms.clear();
    for (size_t off = 0; off < word.size();) {
        size_t n = std::min(word.size() - off, tok::utf8_len(uint8_t(word[off])));
        int idx = int(syms.size());
        syms.push_back({idx - 1, off + n == word.size() ? -1 : idx + 1, uint32_t(off), uint32_t(n)});
        off += n;
    }

    std::priority_queue<Bigram> q;
    auto try_add = [&](int l, int r) {
        if (l < 0 || r < 0) return;
        key.assign(word, syms[l].start, syms[l].len);
        key += ' ';
        key.append(word, syms[r].start, syms[r].len);
        auto it = merge_rank.find(key);
        if (it == merge_rank.end()) return;
        q.push({it->second, l, r, syms[l].len + syms[r].len});
    };
    for (int i = 1; i < int(syms.size()); ++i) try_add(i - 1, i);

    while (!q.empty()) {
        Bigram bg = q.top();
        q.pop();
        Sym& l = syms[bg.left];
        Sym& r = syms[bg.right];
        // stale: one side was merged away or grew since this pair was queued
        if (l.len == 0 || r.len == 0 || l.len + r.len != bg.size) continue;
        l.len += r.len;
        r.len = 0;
        l.next = r.next;
        if (r.next >= 0) syms[r.next].prev = bg.left;
        try_add(l.prev, bg.left);
        try_add(bg.left, l.next);
    }

    for (int i = 0; i != -1 && !syms.empty(); i = syms[i].next) {
        std::string_view s(word.data() + syms[i].start, syms[i].len);
        int32_t id = id_of(s);
        if (id >= 0) {
            out.push_back(id);
            continue;
        }
        // upstream falls back to single-byte texts and drops what is missing
        for (char ch : s) {
            int32_t b = id_of(std::string_view(&ch, 1));
            if (b >= 0) out.push_back(b);
        }
    }
}

}  // namespace glint
