// SentencePiece-style BPE (tokenizer.ggml.model = llama): start from UTF-8
// characters, repeatedly merge the adjacent pair whose concatenation is the
// highest-scoring vocabulary token (ties: leftmost first), and spell whatever
// is left outside the vocabulary with <0xNN> byte tokens.
#include <queue>

#include "engine/tokenizer/internal.h"

namespace glint {

namespace {
struct Sym {
    int prev, next;
    uint32_t start, len;
};
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

// `text` is already whitespace-escaped (' ' -> U+2581) and space-prefixed.
void Tokenizer::Impl::encode_spm(std::string_view text, std::vector<int32_t>& out) const {
    std::vector<Sym> syms;
    syms.reserve(text.size());
    for (size_t off = 0; off < text.size();) {
        size_t n = std::min(text.size() - off, tok::utf8_len(uint8_t(text[off])));
        int idx = int(syms.size());
        syms.push_back({idx - 1, off + n == text.size() ? -1 : idx + 1, uint32_t(off), uint32_t(n)});
        off += n;
    }
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
