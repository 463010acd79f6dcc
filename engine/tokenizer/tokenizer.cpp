// Loading a tokenizer from GGUF metadata, special-token partitioning,
// encode/decode dispatch and the streaming detokenizer.
#include "engine/tokenizer/tokenizer.h"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <optional>

#include "engine/tokenizer/internal.h"
#include "gguf/error.h"
#include "gguf/gguf.h"

namespace glint {

namespace {

using gguf::Value;
using gguf::ValueType;

[[noreturn]] void bad_key(std::string_view key, const std::string& what) {
    throw Error(ErrorCode::InvalidFile, "tokenizer: metadata key '" + std::string(key) + "' " + what);
}

bool is_int_type(ValueType t) {
    switch (t) {
        case ValueType::UINT8: case ValueType::INT8: case ValueType::UINT16: case ValueType::INT16:
        case ValueType::UINT32: case ValueType::INT32: case ValueType::UINT64: case ValueType::INT64:
            return true;
        default:
            return false;
    }
}
bool is_signed_type(ValueType t) {
    return t == ValueType::INT8 || t == ValueType::INT16 || t == ValueType::INT32 || t == ValueType::INT64;
}

std::optional<std::string> meta_str(const gguf::File& f, std::string_view key) {
    const Value* v = f.find(key);
    if (!v) return std::nullopt;
    if (v->type != ValueType::STRING) bad_key(key, "is not a string");
    return std::string(v->str);
}

// Integers as int64; unsigned values beyond INT64_MAX read as -1 ("none").
std::optional<int64_t> meta_int(const gguf::File& f, std::string_view key) {
    const Value* v = f.find(key);
    if (!v) return std::nullopt;
    if (!is_int_type(v->type)) bad_key(key, "is not an integer");
    if (is_signed_type(v->type)) return v->scalar.i;
    return v->scalar.u > uint64_t(INT64_MAX) ? -1 : int64_t(v->scalar.u);
}

std::optional<bool> meta_bool(const gguf::File& f, std::string_view key) {
    const Value* v = f.find(key);
    if (!v) return std::nullopt;
    if (v->type == ValueType::BOOL || is_int_type(v->type)) return v->scalar.u != 0;
    bad_key(key, "is not a boolean");
}

const Value* meta_array(const gguf::File& f, std::string_view key, ValueType elem, size_t n_expect) {
    const Value* v = f.find(key);
    if (!v) return nullptr;
    bool elem_ok = v->elem_type == elem || (elem == ValueType::INT32 && is_int_type(v->elem_type)) ||
                   (elem == ValueType::FLOAT32 && v->elem_type == ValueType::FLOAT64);
    if (v->type != ValueType::ARRAY || !elem_ok)
        bad_key(key, std::string("is not an array of ") + gguf::value_type_name(elem));
    if (n_expect != size_t(-1) && v->array.size() != n_expect)
        bad_key(key, "has " + std::to_string(v->array.size()) + " entries, expected " +
                         std::to_string(n_expect) + " (one per token)");
    return v;
}

struct PreSpec {
    std::vector<std::string> patterns;
    bool ignore_merges = false;
    bool add_bos = false;
};

// Pre-tokenizer regexes by tokenizer.ggml.pre name (the reference's table).
// Non-ASCII characters are written as \x{...}: several letters in these
// classes have singleton canonical decompositions, so an editor normalising
// the source would silently change (or break) the ranges.
PreSpec bpe_pre_spec(const std::string& pre) {
    static const std::string kGpt2 =
        "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)";
    static const std::string kLlama3 =
        "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|"
        "\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    static const std::string kQwen2 =
        "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|"
        "\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    static const std::string kPoro = " ?[^(\\s|.,!?\\x{2026}\\x{3002}\\x{FF0C}\\x{3001}\\x{964}\\x{6D4}\\x{60C})]+";
    auto is = [&](std::initializer_list<const char*> names) {
        for (const char* n : names)
            if (pre == n) return true;
        return false;
    };
    PreSpec s;
    if (pre.empty() || pre == "default") {
        s.patterns = {"[\\p{P}\\$\\+<=>\\^~\\|]+", kGpt2, "\\p{N}+", "[0-9][0-9][0-9]"};
    } else if (is({"llama3", "llama-v3", "llama-bpe", "falcon3"})) {
        s = {{kLlama3}, true, true};
    } else if (is({"dbrx", "smaug-bpe", "chatglm-bpe"})) {
        s.patterns = {kLlama3};
    } else if (pre == "deepseek-llm") {
        s.patterns = {
            "[\r\n]",
            "\\s?[A-Za-z\\x{B5}\\x{C0}-\\x{D6}\\x{D8}-\\x{F6}\\x{F8}-\\x{1BA}\\x{1BC}-\\x{1BF}"
            "\\x{1C4}-\\x{293}\\x{295}-\\x{2AF}\\x{370}-\\x{373}\\x{376}\\x{377}\\x{37B}-\\x{37D}"
            "\\x{37F}\\x{386}\\x{388}-\\x{38A}\\x{38C}\\x{38E}-\\x{3A1}\\x{3A3}-\\x{3F5}"
            "\\x{3F7}-\\x{481}\\x{48A}-\\x{52F}\\x{531}-\\x{556}\\x{10A0}-\\x{10C5}"
            "\\x{13A0}-\\x{13F5}\\x{13F8}-\\x{13FD}\\x{1C90}-\\x{1CBA}\\x{1CBD}-\\x{1CBF}"
            "\\x{1D00}-\\x{1D2B}\\x{1D6B}-\\x{1D77}\\x{1D79}-\\x{1D9A}\\x{1E00}-\\x{1F15}"
            "\\x{1F18}-\\x{1F1D}\\x{1F20}-\\x{1F45}\\x{1F48}-\\x{1F4D}\\x{1F50}-\\x{1F57}\\x{1F59}"
            "\\x{1F5B}\\x{1F5D}\\x{1F5F}-\\x{1F7D}\\x{1F80}-\\x{1FB4}\\x{1FB6}-\\x{1FBC}\\x{1FBE}"
            "\\x{1FC2}-\\x{1FC4}\\x{1FC6}-\\x{1FCC}\\x{1FD0}-\\x{1FD3}\\x{1FD6}-\\x{1FDB}"
            "\\x{1FE0}-\\x{1FEC}\\x{1FF2}-\\x{1FF4}\\x{1FF6}-\\x{1FFC}\\x{2102}\\x{2107}"
            "\\x{210A}-\\x{2113}\\x{2115}\\x{2119}-\\x{211D}\\x{2124}\\x{2126}\\x{2128}"
            "\\x{212A}-\\x{212D}\\x{212F}-\\x{2134}\\x{2139}\\x{213C}-\\x{213F}\\x{2145}-\\x{2149}"
            "\\x{214E}\\x{2183}\\x{2184}\\x{2C00}-\\x{2C7B}\\x{2C7E}-\\x{2CE4}\\x{2CEB}-\\x{2CEE}"
            "\\x{2CF2}\\x{2CF3}\\x{A640}-\\x{A66D}\\x{A680}-\\x{A69B}\\x{A722}-\\x{A76F}"
            "\\x{A771}-\\x{A787}\\x{A78B}-\\x{A78E}\\x{AB70}-\\x{ABBF}\\x{FB00}-\\x{FB06}"
            "\\x{FB13}-\\x{FB17}\\x{FF21}-\\x{FF3A}\\x{FF41}-\\x{FF5A}\\x{10400}-\\x{1044F}"
            "\\x{104B0}-\\x{104D3}\\x{104D8}-\\x{104FB}\\x{10C80}-\\x{10CB2}\\x{10CC0}-\\x{10CF2}"
            "\\x{118A0}-\\x{118DF}\\x{1E900}-\\x{1E943}]+",
            "\\s?[!-/:-~\\x{FF01}-\\x{FF0F}\\x{FF1A}-\\x{FF5E}\\x{2018}-\\x{201F}\\x{3000}-\\x{3002}]+",
            "\\s+$",
            "[\\x{4E00}-\\x{9FA5}\\x{800}-\\x{4E00}\\x{AC00}-\\x{D7FF}]+",
            "\\p{N}+",
        };
    } else if (pre == "deepseek-coder") {
        s.patterns = {"[\r\n]", "\\s?\\p{L}+", "\\s?\\p{P}+",
                      "[\\x{4E00}-\\x{9FA5}\\x{800}-\\x{4E00}\\x{AC00}-\\x{D7FF}]+", "\\p{N}"};
    } else if (pre == "deepseek-v3") {
        s.patterns = {
            "\\p{N}{1,3}",
            "[\\x{4E00}-\\x{9FA5}\\x{3040}-\\x{309F}\\x{30A0}-\\x{30FF}]+",
            "[!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+|[^\r\n\\p{L}\\p{P}\\p{S}]?[\\p{L}\\p{M}]+|"
            " ?[\\p{P}\\p{S}]+[\r\n]*|\\s*[\r\n]+|\\s+(?!\\S)|\\s+",
        };
    } else if (pre == "falcon") {
        s.patterns = {"[\\p{P}\\$\\+<=>\\^~\\|`]+", kGpt2, "[0-9][0-9][0-9]"};
    } else if (is({"starcoder", "refact", "command-r", "smollm", "codeshell", "exaone", "minerva-7b"})) {
        s.patterns = {"\\p{N}", kGpt2};
    } else if (is({"gpt-2", "phi-2", "jina-es", "jina-de", "gigachat", "jina-v1-en", "jina-v2-es",
                   "jina-v2-de", "jina-v2-code", "roberta-bpe", "mpt", "olmo", "jais"})) {
        s.patterns = {kGpt2};
    } else if (is({"qwen2", "stablelm2", "megrez"})) {
        s.patterns = {kQwen2};
    } else if (is({"poro-chat", "bloom", "gpt3-finnish"})) {
        s.patterns = {kPoro};
    } else if (pre == "viking") {
        s.patterns = {kPoro, "\\p{N}"};
    } else if (pre == "tekken") {
        s = {{"[^\\r\\n\\p{L}\\p{N}]?((?=[\\p{L}])([^a-z]))*((?=[\\p{L}])([^A-Z]))+|"
              "[^\\r\\n\\p{L}\\p{N}]?((?=[\\p{L}])([^a-z]))+((?=[\\p{L}])([^A-Z]))*|"
              "\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"},
             true, true};
    } else if (pre == "chameleon") {
        s.patterns = {"<sentinel:[0-9]+>", "(IMGIMG)((A|B|C|D|E|F|G|H|I){1,4})Z", "([\\t\\n]|    |  )",
                      "\\p{N}", "[\\p{P}!-/:-@\\[-`{-~]", kGpt2};
        s.add_bos = true;
    } else {
        throw Error(ErrorCode::Unsupported, "unsupported pre-tokenizer '" + pre + "' (tokenizer.ggml.pre)");
    }
    return s;
}

bool ascii_space(char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

}  // namespace

Tokenizer Tokenizer::from_gguf(const gguf::File& f) {
    auto impl = std::make_shared<Impl>();
    Impl& I = *impl;

    auto model = meta_str(f, "tokenizer.ggml.model");
    if (!model) throw Error(ErrorCode::InvalidFile, "tokenizer: no tokenizer.ggml.model in " + f.path());
    I.model = *model;
    I.pre = meta_str(f, "tokenizer.ggml.pre").value_or("");
    I.name = meta_str(f, "general.name").value_or("");

    // per-model defaults, as the reference
    if (I.model == "llama") {
        I.kind = TokenizerKind::Spm;
        I.bos = 1, I.eos = 2, I.unk = 0;
        I.add_space_prefix = true, I.add_bos = true;
    } else if (I.model == "gpt2") {
        I.kind = TokenizerKind::Bpe;
        I.bos = 11, I.eos = 11;
        PreSpec ps = bpe_pre_spec(I.pre);
        I.ignore_merges = ps.ignore_merges;
        I.add_bos = ps.add_bos;
        if (I.pre == "chatglm-bpe") I.bos = -1;
        I.splitter = std::make_unique<tok::RegexSplitter>(ps.patterns);
    } else if (I.model == "bert") {
        I.kind = TokenizerKind::Wpm;
        I.bos = 101, I.unk = 100, I.sep = 102, I.pad = 0;
        I.add_bos = true;
    } else {
        throw Error(ErrorCode::Unsupported, "unsupported tokenizer model '" + I.model +
                                                "' (tokenizer.ggml.model; glint supports llama, gpt2, bert)");
    }
    if (auto v = meta_bool(f, "tokenizer.ggml.add_space_prefix")) I.add_space_prefix = *v;

    const Value* toks = meta_array(f, "tokenizer.ggml.tokens", ValueType::STRING, size_t(-1));
    if (!toks || toks->array.empty())
        throw Error(ErrorCode::InvalidFile, "tokenizer: no tokenizer.ggml.tokens in " + f.path());
    const size_t n = toks->array.size();
    if (n > size_t(INT32_MAX)) bad_key("tokenizer.ggml.tokens", "has too many entries");
    const Value* scores = meta_array(f, "tokenizer.ggml.scores", ValueType::FLOAT32, n);
    const Value* types = meta_array(f, "tokenizer.ggml.token_type", ValueType::INT32, n);

    I.text.resize(n);
    I.score.assign(n, 0.0f);
    I.type.assign(n, TokenType::Normal);
    I.to_id.reserve(n * 2);
    for (size_t i = 0; i < n; ++i) {
        std::string w(toks->array[i].str);
        if (w.empty()) w = "[EMPTY_" + std::to_string(i) + "]";
        if (scores) {
            const Value& s = scores->array[i];
            I.score[i] = float(s.type == ValueType::FLOAT32 || s.type == ValueType::FLOAT64 ? s.scalar.f : 0.0);
        }
        if (types) {
            const Value& t = types->array[i];
            bool known = is_signed_type(t.type) ? t.scalar.i >= 0 && t.scalar.i <= 6 : t.scalar.u <= 6;
            I.type[i] = known ? TokenType(t.scalar.u) : TokenType::Undefined;
        }
        I.max_token_len = std::max(I.max_token_len, w.size());
        I.to_id[w] = int32_t(i);
        I.text[i] = std::move(w);
    }

    if (I.kind == TokenizerKind::Bpe) {
        const Value* merges = meta_array(f, "tokenizer.ggml.merges", ValueType::STRING, size_t(-1));
        if (!merges) throw Error(ErrorCode::InvalidFile, "tokenizer: gpt2 tokenizer without tokenizer.ggml.merges");
        I.merge_rank.reserve(merges->array.size() * 2);
        for (size_t i = 0; i < merges->array.size(); ++i) {
            std::string_view m = merges->array[i].str;
            size_t sp = m.size() > 1 ? m.find(' ', 1) : std::string_view::npos;
            if (sp == std::string_view::npos) continue;  // malformed: cannot apply
            I.merge_rank.emplace(std::string(m), int32_t(i));  // first rank wins
        }
    }

    // special token ids: out-of-range values (e.g. 0xFFFFFFFF for "none") keep the default
    auto read_id = [&](const char* key, int32_t& id) {
        if (auto v = meta_int(f, key); v && *v >= 0 && *v < int64_t(n)) id = int32_t(*v);
    };
    int32_t fim_pre = -1, fim_suf = -1, fim_mid = -1, fim_pad = -1, fim_rep = -1, fim_sep = -1, mask = -1;
    read_id("tokenizer.ggml.bos_token_id", I.bos);
    read_id("tokenizer.ggml.eos_token_id", I.eos);
    read_id("tokenizer.ggml.eot_token_id", I.eot);
    read_id("tokenizer.ggml.eom_token_id", I.eom);
    read_id("tokenizer.ggml.unknown_token_id", I.unk);
    read_id("tokenizer.ggml.seperator_token_id", I.sep);
    read_id("tokenizer.ggml.padding_token_id", I.pad);
    read_id("tokenizer.ggml.mask_token_id", mask);
    read_id("tokenizer.ggml.fim_pre_token_id", fim_pre);
    read_id("tokenizer.ggml.fim_suf_token_id", fim_suf);
    read_id("tokenizer.ggml.fim_mid_token_id", fim_mid);
    read_id("tokenizer.ggml.fim_pad_token_id", fim_pad);
    read_id("tokenizer.ggml.fim_rep_token_id", fim_rep);
    read_id("tokenizer.ggml.fim_sep_token_id", fim_sep);
    read_id("tokenizer.ggml.prefix_token_id", fim_pre);
    read_id("tokenizer.ggml.suffix_token_id", fim_suf);
    read_id("tokenizer.ggml.middle_token_id", fim_mid);
    for (int32_t* id : {&I.bos, &I.eos, &I.unk, &I.sep, &I.pad})
        if (*id >= int32_t(n)) *id = -1;  // a default that this small vocabulary lacks
    if (auto v = meta_bool(f, "tokenizer.ggml.add_bos_token")) I.add_bos = *v;
    if (auto v = meta_bool(f, "tokenizer.ggml.add_eos_token")) I.add_eos = *v;

    // Tokens recognised by their text, as the reference does for files whose
    // metadata lacks the ids; such tokens are forced to control type.
    auto force_control = [&](int32_t id) { I.type[size_t(id)] = TokenType::Control; };
    auto detect = [&](int32_t& id, std::initializer_list<const char*> names) {
        if (id >= 0) return;
        for (size_t i = 0; i < n && id < 0; ++i)
            for (const char* nm : names)
                if (I.text[i] == nm) {
                    id = int32_t(i);
                    force_control(id);
                    break;
                }
    };
    detect(I.eot, {"<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>", "<EOT>",
                   "<\xef\xbd\x9c" "end\xe2\x96\x81" "of\xe2\x96\x81" "sentence\xef\xbd\x9c>"});
    detect(I.eom, {"<|eom_id|>"});
    detect(fim_pre, {"<|fim_prefix|>", "<fim-prefix>", "<\xef\xbd\x9c" "fim\xe2\x96\x81" "begin\xef\xbd\x9c>", "<PRE>"});
    detect(fim_suf, {"<|fim_suffix|>", "<fim-suffix>", "<\xef\xbd\x9c" "fim\xe2\x96\x81" "hole\xef\xbd\x9c>", "<SUF>"});
    detect(fim_mid, {"<|fim_middle|>", "<fim-middle>", "<\xef\xbd\x9c" "fim\xe2\x96\x81" "end\xef\xbd\x9c>", "<MID>"});
    detect(fim_pad, {"<|fim_pad|>", "<fim-pad>", "<PAD>"});
    detect(fim_rep, {"<|fim_repo|>", "<|repo_name|>", "<fim-repo>", "<REPO>"});
    detect(fim_sep, {"<|file_sep|>"});

    I.eog.assign(n, 0);
    for (int32_t id : {fim_pad, fim_rep, fim_sep, I.eos, I.eot, I.eom})
        if (id >= 0) I.eog[size_t(id)] = 1;
    for (size_t i = 0; i < n; ++i) {
        const std::string& t = I.text[i];
        if (t == "<|eot_id|>" || t == "<|im_end|>" || t == "<|end|>" || t == "<end_of_turn>" ||
            t == "<|endoftext|>" || t == "<|eom_id|>" || t == "<EOT>") {
            I.eog[i] = 1;
            force_control(int32_t(i));
        }
    }

    // special-token cache: matched in raw text before tokenization, longest first
    for (size_t i = 0; i < n; ++i) {
        TokenType t = I.type[i];
        if (t == TokenType::Control || t == TokenType::UserDefined || t == TokenType::Unknown)
            I.specials.push_back(int32_t(i));
    }
    std::stable_sort(I.specials.begin(), I.specials.end(), [&](int32_t a, int32_t b) {
        return I.text[size_t(a)].size() > I.text[size_t(b)].size();
    });
    I.trie.emplace_back();
    for (size_t s = 0; s < I.specials.size(); ++s) {
        int32_t node = 0;
        for (char ch : I.text[size_t(I.specials[s])]) {
            auto& nx = I.trie[size_t(node)].next;
            auto it = std::lower_bound(nx.begin(), nx.end(), uint8_t(ch),
                                       [](const auto& e, uint8_t b) { return e.first < b; });
            if (it != nx.end() && it->first == uint8_t(ch)) {
                node = it->second;
            } else {
                int32_t fresh = int32_t(I.trie.size());
                nx.insert(it, {uint8_t(ch), fresh});
                I.trie.emplace_back();  // invalidates nx: not used again below
                node = fresh;
            }
        }
        if (I.trie[size_t(node)].special < 0) I.trie[size_t(node)].special = int32_t(s);
    }

    // per-model whitespace stripping around special tokens (reference quirks)
    I.lstrip.assign(n, 0);
    I.rstrip.assign(n, 0);
    std::string lname = I.name;
    for (auto& c : lname) c = char(std::tolower(uint8_t(c)));
    if (I.pre.find("jina-v2-de") != std::string::npos || I.pre.find("jina-v2-es") != std::string::npos ||
        I.pre.find("jina-v2-code") != std::string::npos) {
        if (int32_t m = I.id_of("<mask>"); m >= 0) I.lstrip[size_t(m)] = 1;
    } else if (lname.find("phi-3") != std::string::npos || lname.find("phi3") != std::string::npos) {
        for (int32_t id : I.specials) I.rstrip[size_t(id)] = 1;
        if (int32_t id = I.id_of("</s>"); id >= 0) I.rstrip[size_t(id)] = 1;
        for (const char* t : {"<unk>", "<s>", "<|endoftext|>"})
            if (int32_t id = I.id_of(t); id >= 0) I.rstrip[size_t(id)] = 0;
    }

    // byte fallback tokens (SPM): <0xNN>, else the byte itself as a token
    static const char* hex = "0123456789ABCDEF";
    for (int b = 0; b < 256; ++b) {
        char buf[7] = {'<', '0', 'x', hex[b >> 4], hex[b & 15], '>', 0};
        int32_t id = I.id_of(buf);
        if (id < 0) id = I.id_of(std::string_view(reinterpret_cast<const char*>(&b), 1));
        I.byte_token[size_t(b)] = id;
    }

    if (I.kind == TokenizerKind::Spm) I.build_spm_pairs();

    I.piece.resize(n);
    for (size_t i = 0; i < n; ++i) I.piece[i] = I.make_piece(int32_t(i));

    return Tokenizer(std::move(impl));
}

std::string Tokenizer::Impl::make_piece(int32_t id) const {
    const std::string& t = text[size_t(id)];
    TokenType ty = type[size_t(id)];
    if (ty == TokenType::Control || ty == TokenType::Unknown || ty == TokenType::UserDefined) return t;
    if (kind == TokenizerKind::Bpe) {
        if (ty != TokenType::Normal) return "";
        std::string out;
        for (size_t i = 0; i < t.size();) {
            size_t len;
            uint32_t cp = tok::utf8_decode(t, i, len);
            int b = tok::unicode_to_byte(cp);
            if (b >= 0) out += char(b);
            else out.append(t, i, len);  // not a mapped byte: keep the text
            i += len;
        }
        return out;
    }
    if (ty == TokenType::Normal) {
        std::string out;
        for (size_t i = 0; i < t.size(); ++i) {
            if (t.compare(i, 3, "\xe2\x96\x81") == 0) {
                out += ' ';
                i += 2;
            } else {
                out += t[i];
            }
        }
        return out;
    }
    if (ty == TokenType::Byte && t.size() == 6 && t.compare(0, 3, "<0x") == 0) {
        auto hv = [](char c) { return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10; };
        return std::string(1, char(hv(t[3]) * 16 + hv(t[4])));
    }
    return "";
}

std::vector<tok::Fragment> Tokenizer::Impl::partition(std::string_view s, bool parse_special) const {
    std::vector<tok::Fragment> frags;
    if (s.empty()) return frags;
    auto allowed = [&](int32_t id) {
        TokenType t = type[size_t(id)];
        return parse_special || (t != TokenType::Control && t != TokenType::Unknown);
    };

    // Which specials occur at all: one trie walk per position. (Positions are
    // not kept: a run of spaces holds dozens of overlapping whitespace tokens
    // per byte in some vocabularies.)
    std::vector<uint8_t> occurs(specials.size(), 0);
    bool any = false;
    const auto& root = trie[0].next;
    if (!root.empty()) {
        bool first[256] = {};
        for (const auto& e : root) first[e.first] = true;
        for (size_t i = 0; i < s.size(); ++i) {
            if (!first[uint8_t(s[i])]) continue;
            int32_t node = 0;
            for (size_t j = i; j < s.size(); ++j) {
                const auto& nx = trie[size_t(node)].next;
                auto it = std::lower_bound(nx.begin(), nx.end(), uint8_t(s[j]),
                                           [](const auto& e, uint8_t b) { return e.first < b; });
                if (it == nx.end() || it->first != uint8_t(s[j])) break;
                node = it->second;
                int32_t sp = trie[size_t(node)].special;
                if (sp >= 0 && !occurs[size_t(sp)] && allowed(specials[size_t(sp)])) occurs[size_t(sp)] = any = true;
            }
        }
    }
    if (!any) {
        frags.push_back({-1, 0, s.size()});
        return frags;
    }

    // Longer specials claim their (non-overlapping, left to right) occurrences
    // first; shorter ones only where text is still unclaimed, as the reference
    // does fragment by fragment. Whitespace eaten by lstrip/rstrip is claimed
    // with token -1 and dropped.
    std::map<size_t, std::pair<size_t, int32_t>> claimed;  // start -> (end, token)
    // end of the claimed interval holding position p, or 0 when p is free
    auto claim_end = [&](size_t p) -> size_t {
        auto it = claimed.upper_bound(p);
        if (it == claimed.begin()) return 0;
        --it;
        return it->second.first > p ? it->second.first : 0;
    };
    auto overlaps = [&](size_t a, size_t b) {
        if (claim_end(a)) return true;
        auto it = claimed.upper_bound(a);
        return it != claimed.end() && it->first < b;
    };
    for (size_t sp = 0; sp < specials.size(); ++sp) {
        if (!occurs[sp]) continue;
        const int32_t id = specials[sp];
        const std::string& t = text[size_t(id)];
        const size_t L = t.size();
        for (size_t pos = 0;;) {
            size_t p = s.find(t, pos);
            if (p == std::string_view::npos) break;
            if (size_t e = claim_end(p)) {
                pos = e;
                continue;
            }
            if (overlaps(p, p + L)) {
                pos = p + 1;
                continue;
            }
            size_t a = p, z = p + L;
            if (lstrip[size_t(id)])
                while (a > 0 && ascii_space(s[a - 1]) && !claim_end(a - 1)) --a;
            if (rstrip[size_t(id)])
                while (z < s.size() && ascii_space(s[z]) && !claim_end(z)) ++z;
            if (a < p) claimed[a] = {p, -1};
            claimed[p] = {p + L, id};
            if (z > p + L) claimed[p + L] = {z, -1};
            pos = z;
        }
    }
    size_t pos = 0;
    for (const auto& [b, ez] : claimed) {
        if (b > pos) frags.push_back({-1, pos, b - pos});
        if (ez.second >= 0) frags.push_back({ez.second, b, ez.first - b});
        pos = ez.first;
    }
    if (pos < s.size()) frags.push_back({-1, pos, s.size() - pos});
    return frags;
}

std::vector<int32_t> Tokenizer::encode(std::string_view text, bool add_special, bool parse_special) const {
    const Impl& I = *impl_;
    std::vector<int32_t> out;
    const auto frags = I.partition(text, parse_special);
    tok::Memo memo;
    switch (I.kind) {
        case TokenizerKind::Spm: {
            bool prev_special = true;  // the first text gets the space prefix too
            if (add_special && I.add_bos && I.bos >= 0) out.push_back(I.bos);
            std::string buf;
            for (const auto& f : frags) {
                if (f.token >= 0) {
                    out.push_back(f.token);
                    prev_special = true;
                    continue;
                }
                buf.clear();
                if (I.add_space_prefix && prev_special) buf = "\xe2\x96\x81";
                for (char c : text.substr(f.off, f.len)) {
                    if (c == ' ') buf += "\xe2\x96\x81";
                    else buf += c;
                }
                I.encode_spm(buf, out, memo);
                prev_special = false;
            }
            if (add_special && I.add_eos && I.eos >= 0) out.push_back(I.eos);
            break;
        }
        case TokenizerKind::Bpe:
        case TokenizerKind::Wpm: {
            const bool wpm = I.kind == TokenizerKind::Wpm;
            // BERT always frames with CLS ... SEP when asked for specials
            if (add_special && (wpm || I.add_bos) && I.bos >= 0) out.push_back(I.bos);
            for (const auto& f : frags) {
                if (f.token >= 0) out.push_back(f.token);
                else if (wpm) I.encode_wpm(text.substr(f.off, f.len), out);
                else I.encode_bpe(text.substr(f.off, f.len), out, memo);
            }
            if (add_special && wpm && I.sep >= 0) out.push_back(I.sep);
            if (add_special && !wpm && I.add_eos && I.eos >= 0) out.push_back(I.eos);
            break;
        }
    }
    return out;
}

std::string Tokenizer::token_to_piece(int32_t id, bool special) const {
    const Impl& I = *impl_;
    if (id < 0 || id >= int32_t(I.text.size())) return "";
    TokenType t = I.type[size_t(id)];
    if (!special && (t == TokenType::Control || t == TokenType::Unknown)) return "";
    return I.piece[size_t(id)];
}

std::string Tokenizer::decode(const std::vector<int32_t>& ids, bool special) const {
    const Impl& I = *impl_;
    std::string out;
    size_t i = 0;
    if (!ids.empty() && I.bos >= 0 && ids[0] == I.bos) {
        if (special) out += token_to_piece(ids[0], true);
        i = 1;
    }
    for (size_t first = i; i < ids.size(); ++i) {
        std::string p = token_to_piece(ids[i], special);
        // the space SentencePiece put in front of the text is not part of it
        if (i == first && I.add_space_prefix && !p.empty() && p[0] == ' ') p.erase(0, 1);
        out += p;
    }
    return out;
}

int32_t Tokenizer::n_vocab() const { return int32_t(impl_->text.size()); }
int32_t Tokenizer::bos() const { return impl_->bos; }
int32_t Tokenizer::eos() const { return impl_->eos; }
int32_t Tokenizer::eot() const { return impl_->eot; }
int32_t Tokenizer::unk() const { return impl_->unk; }
bool Tokenizer::add_bos() const { return impl_->add_bos && impl_->bos >= 0; }
bool Tokenizer::add_eos() const { return impl_->add_eos && impl_->eos >= 0; }
bool Tokenizer::add_space_prefix() const { return impl_->add_space_prefix; }
TokenizerKind Tokenizer::kind() const { return impl_->kind; }
const std::string& Tokenizer::pre() const { return impl_->pre; }

bool Tokenizer::is_eog(int32_t id) const {
    return id >= 0 && id < n_vocab() && impl_->eog[size_t(id)];
}
bool Tokenizer::is_control(int32_t id) const { return token_type(id) == TokenType::Control; }
TokenType Tokenizer::token_type(int32_t id) const {
    return id >= 0 && id < n_vocab() ? impl_->type[size_t(id)] : TokenType::Undefined;
}
std::string_view Tokenizer::token_text(int32_t id) const {
    return id >= 0 && id < n_vocab() ? std::string_view(impl_->text[size_t(id)]) : std::string_view();
}
int32_t Tokenizer::find_token(std::string_view text) const { return impl_->id_of(text); }

// ---- streaming ----

size_t utf8_sanitize(std::string_view in, bool final, std::string& out) {
    static const char kRepl[] = "\xef\xbf\xbd";
    size_t i = 0;
    while (i < in.size()) {
        uint8_t b = uint8_t(in[i]);
        if (b < 0x80) {
            out += char(b);
            ++i;
            continue;
        }
        size_t need = b >= 0xC2 && b <= 0xDF ? 2 : b >= 0xE0 && b <= 0xEF ? 3 : b >= 0xF0 && b <= 0xF4 ? 4 : 0;
        if (need == 0) {
            out += kRepl;
            ++i;
            continue;
        }
        // the second byte's range excludes overlongs, surrogates and > U+10FFFF
        uint8_t lo = 0x80, hi = 0xBF;
        if (b == 0xE0) lo = 0xA0;
        if (b == 0xED) hi = 0x9F;
        if (b == 0xF0) lo = 0x90;
        if (b == 0xF4) hi = 0x8F;
        size_t k = 1;
        bool bad = false;
        for (; k < need && i + k < in.size(); ++k) {
            uint8_t c = uint8_t(in[i + k]);
            if (k == 1 ? (c < lo || c > hi) : (c & 0xC0) != 0x80) {
                bad = true;
                break;
            }
        }
        if (!bad && k < need) {  // valid so far but cut short
            if (!final) return i;
            bad = true;
        }
        if (bad) {
            out += kRepl;  // the lead byte; what follows is looked at afresh
            ++i;
            continue;
        }
        out.append(in.substr(i, need));
        i += need;
    }
    return i;
}

StreamDecoder::StreamDecoder(const Tokenizer& tok, bool special) : tok_(tok), special_(special) {}

std::string StreamDecoder::push(int32_t id) {
    pending_ += tok_.token_to_piece(id, special_);
    return drain(false);
}

std::string StreamDecoder::flush() { return drain(true); }

std::string StreamDecoder::drain(bool final) {
    std::string out;
    size_t used = utf8_sanitize(pending_, final, out);
    pending_.erase(0, used);
    return out;
}

}  // namespace glint
