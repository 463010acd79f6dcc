// Tokenizers built from GGUF metadata (tokenizer.ggml.*), matching the
// reference engine's behaviour token for token:
//   llama -> SentencePiece-style BPE over scores with byte fallback
//   gpt2  -> byte-level BPE over merge ranks, pre-split by tokenizer.ggml.pre
//   bert  -> WordPiece (greedy longest match, BERT normalisation)
//
// A Tokenizer is immutable once built and cheap to copy (shared state), so it
// may be used from several threads at once.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace glint {
namespace gguf {
class File;
}

enum class TokenizerKind { Spm, Bpe, Wpm };

// GGUF tokenizer.ggml.token_type values.
enum class TokenType : int32_t {
    Undefined = 0, Normal = 1, Unknown = 2, Control = 3, UserDefined = 4, Unused = 5, Byte = 6,
};

class Tokenizer {
public:
    // Throws glint::Error (Unsupported / InvalidFile) naming the problem, e.g.
    // "unsupported tokenizer model 'xyz'" or "unknown pre-tokenizer 'abc'".
    static Tokenizer from_gguf(const gguf::File& f);

    // add_special: prepend BOS / append EOS as the metadata asks (BERT: CLS/SEP).
    // parse_special: text spelling a control token (e.g. "<|im_end|>", "<s>")
    // becomes that token. User-defined tokens are always matched, as upstream.
    std::vector<int32_t> encode(std::string_view text, bool add_special, bool parse_special) const;

    // The raw bytes of one token: byte tokens give their byte, SentencePiece
    // "▁" gives a space, byte-level BPE text is mapped back to bytes. Control
    // and unknown tokens give their text when `special`, else nothing.
    // Out-of-range ids give "".
    std::string token_to_piece(int32_t id, bool special = true) const;

    // Concatenated pieces of a whole sequence. For vocabularies that add a
    // space prefix (SentencePiece), the leading space of the first token after
    // an optional BOS is removed, so decode(encode(s)) == s. Control tokens are
    // rendered only when `special`. Bytes are returned as they are (possibly
    // invalid UTF-8); see StreamDecoder for text meant for display.
    std::string decode(const std::vector<int32_t>& ids, bool special = false) const;

    int32_t n_vocab() const;
    int32_t bos() const;  // -1 if none
    int32_t eos() const;  // -1 if none
    int32_t eot() const;  // -1 if none
    int32_t unk() const;  // -1 if none
    bool add_bos() const;
    bool add_eos() const;
    bool add_space_prefix() const;
    TokenizerKind kind() const;
    const std::string& pre() const;  // tokenizer.ggml.pre as read ("" when absent)

    // End of generation: eos, eot, eom and the conventional end tokens
    // (<|eot_id|>, <|im_end|>, <|end|>, <end_of_turn>, <|endoftext|>, ...).
    bool is_eog(int32_t id) const;
    bool is_control(int32_t id) const;
    TokenType token_type(int32_t id) const;       // Undefined for out-of-range ids
    std::string_view token_text(int32_t id) const;  // as stored in the vocabulary
    int32_t find_token(std::string_view text) const;  // -1 if absent

    struct Impl;

private:
    explicit Tokenizer(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}
    std::shared_ptr<const Impl> impl_;
    friend class StreamDecoder;
};

// Incremental detokenizer for generated text. A token ending in the middle of
// a UTF-8 sequence emits nothing until the sequence completes. Invalid bytes
// (a stray continuation byte, a broken or overlong sequence) are replaced by
// U+FFFD, one per bad byte, so the output is always valid UTF-8. Control
// tokens render as "" unless `special`. No leading-space stripping: this is
// for continuations, where the first space is real.
class StreamDecoder {
public:
    explicit StreamDecoder(const Tokenizer& tok, bool special = false);
    std::string push(int32_t id);
    std::string flush();  // emits any incomplete tail as U+FFFD

private:
    std::string drain(bool final);
    Tokenizer tok_;
    bool special_;
    std::string pending_;
};

// Validates UTF-8 the way StreamDecoder does: complete valid sequences are
// copied, bad bytes become U+FFFD. Returns how many bytes of `in` were consumed;
// when !final an incomplete (but so far valid) tail is left unconsumed.
size_t utf8_sanitize(std::string_view in, bool final, std::string& out);

}  // namespace glint
