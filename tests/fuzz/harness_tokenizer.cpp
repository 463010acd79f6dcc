// Tokenizer fuzz check: any bytes, under every tokenizer family and every
// pre-tokenizer regex set, must encode to in-range ids, decode back losslessly
// where the family is lossless, and decode arbitrary ids without crashing.
#include <cstdio>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <vector>

#include "engine/tokenizer/tokenizer.h"
#include "gguf/gguf.h"
#include "tests/fuzz/harness.h"

namespace glint::fuzz {
namespace {

struct Entry {
    std::string name;
    std::unique_ptr<gguf::File> file;  // the tokenizer views its metadata
    std::unique_ptr<Tokenizer> tok;
    bool missing[256] = {};  // bytes with no token of their own (dropped, as upstream does)
};

std::string utf8_of(uint32_t cp) {
    std::string o;
    if (cp < 0x80) {
        o += char(cp);
    } else if (cp < 0x800) {
        o += char(0xC0 | (cp >> 6));
        o += char(0x80 | (cp & 0x3F));
    } else {
        o += char(0xE0 | (cp >> 12));
        o += char(0x80 | ((cp >> 6) & 0x3F));
        o += char(0x80 | (cp & 0x3F));
    }
    return o;
}

// Which bytes the vocabulary cannot spell: SentencePiece needs a <0xNN> byte
// token; byte-level BPE needs the byte's printable stand-in (GPT-2's map:
// printable Latin-1 bytes stand for themselves, the others for U+0100 on).
void find_missing_bytes(Entry& e) {
    const Tokenizer& t = *e.tok;
    uint32_t next_stand_in = 256;
    for (int b = 0; b < 256; ++b) {
        if (t.kind() == TokenizerKind::Spm) {
            char name[8];
            std::snprintf(name, sizeof name, "<0x%02X>", b);
            e.missing[b] = t.find_token(name) < 0;
        } else if (t.kind() == TokenizerKind::Bpe) {
            const bool self = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || b >= 174;
            e.missing[b] = t.find_token(utf8_of(self ? uint32_t(b) : next_stand_in++)) < 0;
        }
    }
}

// The vocab fixtures, plus the gpt-2 vocabulary re-labelled with each
// pre-tokenizer the fixtures do not cover, so every regex set is reached.
std::vector<Entry> load_all() {
    const std::string dir = shared_dir() + "/vocab/";
    const char* files[] = {"llama-spm", "phi-3",    "gpt-2",          "starcoder",    "falcon",
                           "mpt",       "refact",   "deepseek-coder", "deepseek-llm", "bert-bge"};
    std::vector<Entry> out;
    for (const char* n : files) {
        Entry e;
        e.name = n;
        e.file = std::make_unique<gguf::File>(gguf::File::open(dir + "ggml-vocab-" + n + ".gguf"));
        e.tok = std::make_unique<Tokenizer>(Tokenizer::from_gguf(*e.file));
        find_missing_bytes(e);
        out.push_back(std::move(e));
    }
    const gguf::File& gpt2 = *out[2].file;
    for (const char* pre : {"default", "llama3", "dbrx", "deepseek-v3", "qwen2", "poro-chat", "viking", "tekken",
                            "chameleon"}) {
        gguf::Writer w;
        for (const auto& kv : gpt2.metadata())
            if (kv.key != "tokenizer.ggml.pre") w.set(std::string(kv.key), kv.value);
        w.set("tokenizer.ggml.pre", gguf::Value::make_string(pre));
        const std::vector<uint8_t> bytes = w.to_bytes();
        Entry e;
        e.name = std::string("gpt-2 as ") + pre;
        e.file = std::make_unique<gguf::File>(gguf::File::from_memory(bytes.data(), bytes.size(), e.name));
        e.tok = std::make_unique<Tokenizer>(Tokenizer::from_gguf(*e.file));
        find_missing_bytes(e);
        out.push_back(std::move(e));
    }
    return out;
}

const std::vector<Entry>& entries() {
    static const std::vector<Entry> all = load_all();
    return all;
}

bool valid_utf8(std::string_view s) {
    std::string clean;
    return utf8_sanitize(s, true, clean) == s.size() && clean == s;
}

std::string check(const Entry& e, std::string_view text, bool add_special, bool parse_special) {
    const Tokenizer& tok = *e.tok;
    const int32_t n_vocab = tok.n_vocab();
    const std::string where = "[" + e.name + (add_special ? ", add_special" : "") +
                              (parse_special ? ", parse_special" : "") + "] ";

    std::vector<int32_t> ids;
    try {
        ids = tok.encode(text, add_special, parse_special);
    } catch (const std::exception& ex) {
        return where + "encode threw: " + ex.what();
    }
    for (int32_t id : ids)
        if (id < 0 || id >= n_vocab) return where + "encode gave id " + std::to_string(id) + " out of range";

    // Byte-level BPE and SentencePiece with byte fallback lose nothing on
    // valid UTF-8 that the vocabulary can spell (WordPiece lowercases and
    // strips accents by design), unless a special or user-defined token was
    // matched: some strip the whitespace beside them, as upstream (phi-3 </s>).
    bool spellable = true;
    for (char c : text) spellable &= !e.missing[uint8_t(c)];
    for (int32_t id : ids) {
        const TokenType tt = tok.token_type(id);
        spellable &= tt == TokenType::Normal || tt == TokenType::Byte;
    }
    if (!add_special && !parse_special && tok.kind() != TokenizerKind::Wpm && spellable && valid_utf8(text)) {
        const std::string back = tok.decode(ids, false);
        if (back != text) return where + "decode(encode(text)) differs from the text";
    }

    StreamDecoder sd(tok, parse_special);
    std::string streamed;
    for (int32_t id : ids) streamed += sd.push(id);
    streamed += sd.flush();
    if (!valid_utf8(streamed)) return where + "StreamDecoder produced invalid UTF-8";

    // The same bytes read as token ids, in range or not.
    std::vector<int32_t> raw(text.size() / 4);
    if (!raw.empty()) std::memcpy(raw.data(), text.data(), raw.size() * 4);
    std::string sink = tok.decode(raw, parse_special);
    StreamDecoder sd2(tok, !parse_special);
    std::string streamed2;
    for (int32_t id : raw) {
        sink += tok.token_to_piece(id, parse_special);
        sink += tok.token_text(id);
        sink += char(tok.is_eog(id) + tok.is_control(id) + int(tok.token_type(id)));
        streamed2 += sd2.push(id);
    }
    streamed2 += sd2.flush();
    if (!valid_utf8(streamed2)) return where + "StreamDecoder produced invalid UTF-8 from raw ids";
    volatile size_t keep = sink.size();
    (void)keep;
    return "";
}

}  // namespace

std::string shared_dir() {
    if (const char* env = std::getenv("GLINT_SHARED_DIR"); env && *env) return env;
    return GLINT_SHARED_DIR;
}

size_t tokenizer_count() { return entries().size(); }

std::string tokenizer_one(const uint8_t* data, size_t size) {
    if (size < 1) return "";
    const auto& all = entries();
    const uint8_t sel = data[0];
    const Entry& e = all[(sel & 0x3F) % all.size()];
    // the top two bits of the selector are the flags (all.size() < 64)
    const bool add_special = sel & 0x80, parse_special = sel & 0x40;
    return check(e, std::string_view(reinterpret_cast<const char*>(data) + 1, size - 1), add_special, parse_special);
}

}  // namespace glint::fuzz
