// SentencePiece-style BPE (tokenizer.ggml.model = llama): start from UTF-8
// characters, repeatedly merge the adjacent pair whose concatenation is the
// highest-scoring vocabulary token (ties: leftmost first), and spell whatever
// is left outside the vocabulary with <0xNN> byte tokens.
#include <queue>

#include "engine/tokenizer/internal.h"

namespace glint {

namespace {
using tok::Sym;
struct Bigram {
    float score;
    int left, right;
    uint32_t size;
    // priority_queue pops the "largest": highest score, then leftmost
    bool operator<(const Bigram& o) const {
        return score < o.score || (score == o.score && left > o.left);
    }
};
}  // namespace

// Symbols are UTF-8 characters; each byte of an invalid sequence is a symbol
// of its own. (The reference takes the length a lead byte announces, so a
// stray lead byte swallows the characters after it into byte fallback; for
// valid text both agree.)
static void split_symbols(std::string_view text, std::vector<Sym>& syms) {
    syms.clear();
    for (size_t off = 0; off < text.size();) {
        size_t n;
        tok::utf8_decode(text, off, n);
        int idx = int(syms.size());
        syms.push_back({idx - 1, off + n == text.size() ? -1 : idx + 1, uint32_t(off), uint32_t(n)});
        off += n;
    }
}

uint64_t tok::pair_key(std::string_view a, std::string_view b) {
    uint64_t k = 0;
    unsigned sh = 0;
    for (std::string_view s : {a, b})
        for (char c : s) {
            k |= uint64_t(uint8_t(c)) << sh;  // each symbol is at most 4 bytes: sh <= 56
            sh += 8;
        }
    return k;
}

void Tokenizer::Impl::build_spm_pairs() {
    std::vector<Sym> syms;
    for (const auto& t : text) {
        split_symbols(t, syms);
        for (size_t i = 1; i < syms.size(); ++i)
            spm_pairs.insert(tok::pair_key(std::string_view(t).substr(syms[i - 1].start, syms[i - 1].len),
                                           std::string_view(t).substr(syms[i].start, syms[i].len)));
    }
}

// `text` is already whitespace-escaped (' ' -> U+2581) and space-prefixed.
//
// The merge order is global, but a merge can only join two symbols that sit
// next to each other inside some vocabulary token. Where two adjacent symbols
// appear together in no token, no merge ever crosses, and the pieces on each
// side evolve independently: the text is cut there (typically before each
// word's U+2581) and the pieces are merged separately, which keeps the heaps
// small, and repeated pieces come from the memo instead of being merged again. The
// result is identical to merging the whole text at once.
void Tokenizer::Impl::encode_spm(std::string_view text, std::vector<int32_t>& out, tok::Memo& memo) const {
    std::vector<Sym> syms;
    split_symbols(text, syms);
    std::vector<Sym> scratch;
    auto piece = [&](size_t a, size_t b) {  // symbols [a, b)
        std::string_view chunk = text.substr(syms[a].start, syms[b - 1].start + syms[b - 1].len - syms[a].start);
        if (memo.emit(chunk, out)) return;
        const size_t before = out.size();
        encode_spm_piece(chunk, scratch, out);
        memo.store(chunk, out, before);
    };
    size_t a = 0;
    for (size_t i = 1; i < syms.size(); ++i) {
        std::string_view l = text.substr(syms[i - 1].start, syms[i - 1].len);
        std::string_view r = text.substr(syms[i].start, syms[i].len);
        if (!spm_pairs.count(tok::pair_key(l, r))) {
            piece(a, i);
            a = i;
        }
    }
    if (!syms.empty()) piece(a, syms.size());
}

void Tokenizer::Impl::encode_spm_piece(std::string_view text, std::vector<Sym>& syms,
                                       std::vector<int32_t>& out) const {
    split_symbols(text, syms);
    if (syms.empty()) return;

    std::priority_queue<Bigram> q;
    auto try_add = [&](int l, int r) {
        if (l < 0 || r < 0) return;
        int32_t id = id_of(text.substr(syms[l].start, syms[l].len + syms[r].len));
        if (id < 0) return;
        q.push({score[size_t(id)], l, r, syms[l].len + syms[r].len});
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

    // Every merged symbol is a vocabulary token by construction, so only
    // single characters can be missing: those fall back to byte tokens.
    for (int i = 0; i != -1; i = syms[i].next) {
        std::string_view s = text.substr(syms[i].start, syms[i].len);
        int32_t id = id_of(s);
        if (id >= 0) {
            out.push_back(id);
            continue;
        }
        for (char ch : s) {
            int32_t b = byte_token[uint8_t(ch)];
            if (b < 0) b = unk;
            if (b >= 0) out.push_back(b);
        }
    }
}

}  // namespace glint
