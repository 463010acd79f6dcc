// WordPiece (tokenizer.ggml.model = bert). BERT normalisation as the original
// tokenizer does it: drop control characters, split on whitespace, isolate
// punctuation and CJK ideographs, strip accents (NFD minus nonspacing marks),
// lowercase; then per word a greedy longest match from the left, the whole
// word becoming [UNK] when some position has no match. GGUF vocabularies mark
// word starts with U+2581 instead of marking continuations with "##".
#include <algorithm>

#include "engine/tokenizer/internal.h"

namespace glint {

namespace {
#include "engine/tokenizer/unicode_tables.inc"

enum : uint32_t { kWs = 1, kCtrl = 2, kPunct = 4, kMn = 8 };

uint32_t cat_flags(uint32_t cp) {
    const auto* end = kCategoryRanges + std::size(kCategoryRanges);
    auto it = std::upper_bound(kCategoryRanges, end, cp,
                               [](uint32_t c, const uint32_t* r) { return c < r[0]; });
    if (it == kCategoryRanges) return 0;
    --it;
    return cp <= (*it)[1] ? (*it)[2] : 0;
}

template <size_t W>
const uint32_t* lookup(const uint32_t (*table)[W], size_t n, uint32_t cp) {
    auto it = std::lower_bound(table, table + n, cp, [](const uint32_t* r, uint32_t c) { return r[0] < c; });
    return it != table + n && (*it)[0] == cp ? *it + 1 : nullptr;
}

bool is_chinese(uint32_t c) {
    return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x20000 && c <= 0x2A6DF) ||
           (c >= 0x2A700 && c <= 0x2B73F) || (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B920 && c <= 0x2CEAF) ||
           (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
}

bool is_ascii_punct(uint32_t c) {
    return (c >= 0x21 && c <= 0x2F) || (c >= 0x3A && c <= 0x40) || (c >= 0x5B && c <= 0x60) ||
           (c >= 0x7B && c <= 0x7E);
}

// NFD of one code point, nonspacing marks removed.
void decompose(uint32_t cp, std::vector<uint32_t>& out) {
    if (cp >= 0xAC00 && cp <= 0xD7A3) {  // Hangul syllable: L V (T)
        uint32_t s = cp - 0xAC00;
        out.push_back(0x1100 + s / 588);
        out.push_back(0x1161 + (s % 588) / 28);
        if (s % 28) out.push_back(0x11A7 + s % 28);
        return;
    }
    if (const uint32_t* d = lookup(kDecompose, std::size(kDecompose), cp)) {
        for (int i = 0; i < 4 && d[i]; ++i)
            if (!(cat_flags(d[i]) & kMn)) out.push_back(d[i]);
        return;
    }
    if (!(cat_flags(cp) & kMn)) out.push_back(cp);
}

void append_lower(std::string& word, uint32_t cp) {
    if (const uint32_t* l = lookup(kLower, std::size(kLower), cp)) {
        for (int i = 0; i < 3 && l[i]; ++i) tok::utf8_append(word, l[i]);
    } else {
        tok::utf8_append(word, cp);
    }
}
}  // namespace

void Tokenizer::Impl::encode_wpm(std::string_view text, std::vector<int32_t>& out) const {
    std::vector<std::string> words(1);
    auto isolate = [&](uint32_t cp) {
        if (!words.back().empty()) words.emplace_back();
        append_lower(words.back(), cp);
        words.emplace_back();
    };
    std::vector<uint32_t> parts;
    for (size_t i = 0; i < text.size();) {
        size_t len;
        uint32_t cp = tok::utf8_decode(text, i, len);
        i += len;
        uint32_t f = cat_flags(cp);
        bool tab_nl = cp == '\t' || cp == '\n' || cp == '\r';
        if (cp == 0 || cp == 0xFFFD || ((f & kCtrl) && !tab_nl)) continue;  // dropped, not a break
        if (f & kWs) {
            if (!words.back().empty()) words.emplace_back();
            continue;
        }
        if (is_chinese(cp)) {
            isolate(cp);
            continue;
        }
        parts.clear();
        decompose(cp, parts);
        for (uint32_t p : parts) {
            if ((cat_flags(p) & kPunct) || is_ascii_punct(p)) isolate(p);
            else append_lower(words.back(), p);
        }
    }

    std::string w;
    for (const auto& word : words) {
        if (word.empty()) continue;
        w = "\xe2\x96\x81" + word;
        const size_t before = out.size();
        for (size_t i = 0; i < w.size();) {
            size_t j = std::min(w.size(), i + max_token_len);
            int32_t id = -1;
            for (; j > i; --j) {
                id = id_of(std::string_view(w).substr(i, j - i));
                if (id >= 0) break;
            }
            if (id < 0) {  // no piece fits here: the whole word is unknown
                out.resize(before);
                break;
            }
            out.push_back(id);
            i = j;
        }
        if (out.size() == before && unk >= 0) out.push_back(unk);
    }
}

}  // namespace glint
