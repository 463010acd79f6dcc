// Shared state of the tokenizer implementations (not part of the public API).
#pragma once
#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "engine/tokenizer/tokenizer.h"

namespace glint::tok {

// Lets string-keyed maps be searched with a string_view without a copy.
struct SvHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};
template <class V>
using StrMap = std::unordered_map<std::string, V, SvHash, std::equal_to<>>;

// Pre-tokenizer: a cascade of regexes. Each one splits every current fragment
// into its matches and the gaps between them (both kept), as the reference
// does; a pattern never sees text beyond the fragment it is applied to.
class RegexSplitter {
public:
    explicit RegexSplitter(const std::vector<std::string>& patterns);  // throws glint::Error
    ~RegexSplitter();
    RegexSplitter(const RegexSplitter&) = delete;
    RegexSplitter& operator=(const RegexSplitter&) = delete;
    // Appends [begin, end) byte ranges of the pieces of `text` to `out`.
    void split(std::string_view text, std::vector<std::pair<size_t, size_t>>& out) const;

private:
    struct Compiled;
    std::vector<std::unique_ptr<Compiled>> res_;
};

// Byte <-> printable code point mapping of byte-level BPE (GPT-2).
const std::string& byte_to_unicode(uint8_t b);  // UTF-8 of the mapped code point
int unicode_to_byte(uint32_t cp);               // -1 when cp is not a mapped byte

// Decodes one UTF-8 sequence at s[i]; returns the code point and sets len
// (1 for an invalid byte, then cp is 0xFFFD).
uint32_t utf8_decode(std::string_view s, size_t i, size_t& len);
void utf8_append(std::string& out, uint32_t cp);
// Length of the UTF-8 sequence announced by a lead byte (1 for invalid leads).
inline size_t utf8_len(uint8_t lead) {
    static constexpr uint8_t lens[16] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4};
    return lens[lead >> 4];
}

// A symbol of the merge loops: a byte range in a doubly linked list.
struct Sym {
    int prev, next;
    uint32_t start, len;
};

// Token ids of pieces already encoded during one encode() call: words repeat
// a lot in real text and their tokens do not depend on the context.
class Memo {
public:
    bool emit(std::string_view piece, std::vector<int32_t>& out) const {
        auto it = index_.find(piece);
        if (it == index_.end()) return false;
        out.insert(out.end(), ids_.begin() + long(it->second.first), ids_.begin() + long(it->second.second));
        return true;
    }
    void store(std::string_view piece, const std::vector<int32_t>& out, size_t from) {
        size_t b = ids_.size();
        ids_.insert(ids_.end(), out.begin() + long(from), out.end());
        index_.emplace(std::string(piece), std::make_pair(b, ids_.size()));
    }

private:
    StrMap<std::pair<size_t, size_t>> index_;
    std::vector<int32_t> ids_;
};

// Packs two adjacent symbols (at most 8 bytes together) into a key. Distinct
// pairs may share a key; that only means fewer cuts, never a wrong one.
uint64_t pair_key(std::string_view a, std::string_view b);

struct Fragment {
    int32_t token = -1;  // >= 0: a special token matched in the text
    size_t off = 0, len = 0;
};

}  // namespace glint::tok

namespace glint {

struct Tokenizer::Impl {
    TokenizerKind kind = TokenizerKind::Spm;
    std::string model, pre, name;

    std::vector<std::string> text;     // token texts (owned: the File may go away)
    std::vector<float> score;
    std::vector<TokenType> type;
    std::vector<uint8_t> lstrip, rstrip;  // per-token whitespace stripping (special tokens)
    tok::StrMap<int32_t> to_id;  // later duplicates win, as upstream
    size_t max_token_len = 0;

    int32_t bos = -1, eos = -1, eot = -1, eom = -1, unk = -1, sep = -1, pad = -1;
    bool add_bos = false, add_eos = false, add_space_prefix = false, ignore_merges = false;
    std::vector<uint8_t> eog;  // per token

    // Tokens matched in raw text before the model tokenizer runs, longest first.
    std::vector<int32_t> specials;
    // Trie over the special texts for finding every occurrence in one pass.
    struct TrieNode {
        std::vector<std::pair<uint8_t, int32_t>> next;  // sorted by byte
        int32_t special = -1;  // index into `specials`
    };
    std::vector<TrieNode> trie;

    std::vector<std::string> piece;  // token_to_piece(id, special = true)

    // SPM
    std::array<int32_t, 256> byte_token{};  // <0xNN> tokens (or the 1-byte text), -1 if none

    std::unordered_set<uint64_t> spm_pairs;  // adjacent symbol pairs found inside tokens
    void build_spm_pairs();

    // BPE
    tok::StrMap<int32_t> merge_rank;  // "left right" -> rank
    std::unique_ptr<tok::RegexSplitter> splitter;

    int32_t id_of(std::string_view s) const {
        auto it = to_id.find(s);
        return it == to_id.end() ? -1 : it->second;
    }

    std::vector<tok::Fragment> partition(std::string_view text, bool parse_special) const;
    void encode_spm(std::string_view text, std::vector<int32_t>& out, tok::Memo& memo) const;
    void encode_spm_piece(std::string_view text, std::vector<tok::Sym>& syms, std::vector<int32_t>& out) const;
    void encode_bpe(std::string_view text, std::vector<int32_t>& out, tok::Memo& memo) const;
    void encode_bpe_word(std::string_view raw, std::string& word, std::string& key, std::vector<tok::Sym>& syms,
                         std::vector<int32_t>& out) const;
    void encode_wpm(std::string_view text, std::vector<int32_t>& out) const;
    std::string make_piece(int32_t id) const;
};

}  // namespace glint
