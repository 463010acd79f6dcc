// Tokenizer conformance against real vocabularies (../shared/vocab test
// vectors and the reference engine's prompt tokens) plus unit tests of the
// detokenizer, streaming and special-token handling.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "engine/tokenizer/tokenizer.h"
#include "gguf/error.h"
#include "gguf/gguf.h"
#include "test_util.h"

namespace fs = std::filesystem;
using glint::Tokenizer;

namespace {

std::string slurp(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

std::string join(const std::vector<int32_t>& v) {
    std::string s;
    for (int32_t x : v) {
        if (!s.empty()) s += ' ';
        s += std::to_string(x);
    }
    return s;
}

std::string printable(const std::string& s) {
    std::string o;
    for (unsigned char c : s) {
        if (c == '\n') o += "\\n";
        else if (c == '\t') o += "\\t";
        else if (c < 0x20) o += "\\x" + std::string(1, "0123456789abcdef"[c >> 4]) + "0123456789abcdef"[c & 15];
        else o += char(c);
    }
    return o;
}

// Files are cached: several tests share the big vocabularies.
const Tokenizer& load(const std::string& path) {
    static std::map<std::string, Tokenizer> cache;
    auto it = cache.find(path);
    if (it == cache.end()) {
        auto f = glint::gguf::File::open(path);
        it = cache.emplace(path, Tokenizer::from_gguf(f)).first;
    }
    return it->second;
}

const std::string kStories = "models/stories260K.gguf";

// ---- ../shared/vocab/<name>.gguf.inp/.out ----

struct VocabCase {
    std::string text;
    std::vector<int32_t> ids;
};

// .inp: texts separated by "\n__ggml_vocab_test__\n" (the file ends with one);
// .out: one line of ids per text, in order.
std::vector<VocabCase> read_vocab_cases(const std::string& base) {
    std::string inp = slurp(base + ".inp"), out = slurp(base + ".out");
    const std::string sep = "\n__ggml_vocab_test__\n";
    std::vector<std::string> texts;
    size_t pos = 0;
    for (size_t k; (k = inp.find(sep, pos)) != std::string::npos; pos = k + sep.size())
        texts.push_back(inp.substr(pos, k - pos));
    if (pos < inp.size()) texts.push_back(inp.substr(pos));
    std::vector<VocabCase> cases;
    std::istringstream lines(out);
    std::string line;
    for (const auto& t : texts) {
        if (!std::getline(lines, line)) break;
        VocabCase c{t, {}};
        std::istringstream ls(line);
        for (int32_t id; ls >> id;) c.ids.push_back(id);
        cases.push_back(std::move(c));
    }
    EXPECT_EQ(cases.size(), texts.size()) << base << ": .inp and .out disagree on the number of cases";
    return cases;
}

class VocabConformance : public ::testing::TestWithParam<std::string> {};

TEST_P(VocabConformance, MatchesReferenceIds) {
    GLINT_REQUIRE_SHARED();
    const std::string base = glint::test::shared_path("vocab/ggml-vocab-" + GetParam() + ".gguf");
    if (!fs::exists(base)) GTEST_SKIP() << base << " not found";
    const Tokenizer& tok = load(base);
    auto cases = read_vocab_cases(base);
    ASSERT_FALSE(cases.empty());
    size_t pass = 0;
    for (const auto& c : cases) {
        auto got = tok.encode(c.text, /*add_special=*/false, /*parse_special=*/false);
        if (got == c.ids) {
            ++pass;
        } else {
            ADD_FAILURE() << "vocab " << GetParam() << ": text '" << printable(c.text) << "'\n  expected: "
                          << join(c.ids) << "\n  got:      " << join(got);
        }
    }
    std::printf("vocab %s: %zu/%zu passed\n", GetParam().c_str(), pass, cases.size());
    EXPECT_EQ(pass, cases.size());
}

// decode(encode(text)) gives the text back wherever nothing was unknown.
TEST_P(VocabConformance, DecodeRoundTrip) {
    GLINT_REQUIRE_SHARED();
    const std::string base = glint::test::shared_path("vocab/ggml-vocab-" + GetParam() + ".gguf");
    if (!fs::exists(base)) GTEST_SKIP() << base << " not found";
    const Tokenizer& tok = load(base);
    if (tok.kind() == glint::TokenizerKind::Wpm) GTEST_SKIP() << "WordPiece normalises its input";
    for (const auto& c : read_vocab_cases(base)) {
        auto ids = tok.encode(c.text, false, false);
        if (std::find(ids.begin(), ids.end(), tok.unk()) != ids.end()) continue;
        EXPECT_EQ(tok.decode(ids), c.text) << "ids " << join(ids);
        // with BOS in front the leading space is removed just the same
        if (tok.bos() >= 0) {
            ids.insert(ids.begin(), tok.bos());
            EXPECT_EQ(tok.decode(ids), c.text);
        }
    }
}

INSTANTIATE_TEST_SUITE_P(SharedVocab, VocabConformance,
                         ::testing::Values("llama-spm", "phi-3", "gpt-2", "starcoder", "falcon", "mpt", "refact",
                                           "deepseek-coder", "deepseek-llm", "bert-bge"),
                         [](const auto& info) {
                             std::string n = info.param;
                             std::replace(n.begin(), n.end(), '-', '_');
                             return n;
                         });

// ---- ../shared/reference/*.json ----

// The files' greedy_text holds raw model output, not always valid UTF-8, which
// the JSON parser rejects: smuggle stray bytes through as U+E0xx and back.
std::string escape_bad_utf8(const std::string& s) {
    std::string out;
    for (size_t i = 0; i < s.size();) {
        unsigned char c = s[i];
        size_t n = c < 0x80 ? 1 : c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3 : c >= 0xF0 && c <= 0xF4 ? 4 : 0;
        if (n > 0 && i + n <= s.size()) {
            std::string one;  // a valid sequence sanitizes to itself
            glint::utf8_sanitize(std::string_view(s).substr(i, n), true, one);
            if (one == s.substr(i, n)) {
                out += one;
                i += n;
                continue;
            }
        }
        char buf[8];
        std::snprintf(buf, sizeof buf, "\\ue0%02x", c);
        out += buf;
        ++i;
    }
    return out;
}

std::string unescape_bad_utf8(const std::string& s) {
    std::string out;
    for (size_t i = 0; i < s.size(); ++i) {
        unsigned char c = s[i];
        // U+E000..U+E0FF is EE 80 80 .. EE 83 BF; the low byte is the original
        if (c == 0xEE && i + 2 < s.size() && (unsigned char)s[i + 1] >= 0x80 && (unsigned char)s[i + 1] <= 0x83) {
            out += char(((s[i + 1] & 0x03) << 6) | (s[i + 2] & 0x3F));
            i += 2;
        } else {
            out += char(c);
        }
    }
    return out;
}

TEST(ReferencePrompts, TokensMatchReferenceEngine) {
    GLINT_REQUIRE_SHARED();
    const std::string dir = glint::test::shared_path("reference");
    std::vector<fs::path> files;
    for (const auto& e : fs::directory_iterator(dir))
        if (e.path().extension() == ".json") files.push_back(e.path());
    std::sort(files.begin(), files.end());
    ASSERT_FALSE(files.empty()) << "no reference cases in " << dir;
    size_t pass = 0, text_pass = 0;
    for (const auto& p : files) {
        std::string stem = p.stem().string();
        std::string model = stem.substr(0, stem.rfind('-'));
        auto j = nlohmann::json::parse(escape_bad_utf8(slurp(p.string())));
        const Tokenizer& tok = load(glint::test::shared_path("models/" + model + ".gguf"));
        std::string prompt = j.at("prompt").get<std::string>();
        bool add_bos = j.at("add_bos").get<bool>();
        auto want = j.at("prompt_tokens").get<std::vector<int32_t>>();
        auto got = tok.encode(prompt, add_bos, false);
        if (got == want) ++pass;
        else ADD_FAILURE() << stem << ": '" << prompt << "'\n  expected: " << join(want) << "\n  got:      " << join(got);

        // greedy_text is the pieces of greedy_tokens, EOS included, rendered plainly
        auto greedy = j.at("greedy_tokens").get<std::vector<int32_t>>();
        std::string text;
        for (int32_t id : greedy) text += tok.token_to_piece(id, false);
        std::string want_text = unescape_bad_utf8(j.at("greedy_text").get<std::string>());
        if (text == want_text) ++text_pass;
        else ADD_FAILURE() << stem << ": greedy text differs\n  expected: '" << printable(want_text)
                           << "'\n  got:      '" << printable(text) << "'";
    }
    std::printf("reference prompts: %zu/%zu passed, greedy texts %zu/%zu\n", pass, files.size(), text_pass,
                files.size());
}

// ---- behaviour on the bundled llama vocabulary ----

TEST(Spm, MetadataAndFlags) {
    GLINT_REQUIRE_SHARED();
    const Tokenizer& tok = load(glint::test::shared_path(kStories));
    EXPECT_EQ(tok.n_vocab(), 512);
    EXPECT_EQ(tok.bos(), 1);
    EXPECT_EQ(tok.eos(), 2);
    EXPECT_EQ(tok.unk(), 0);
    EXPECT_TRUE(tok.add_bos());
    EXPECT_FALSE(tok.add_eos());
    EXPECT_TRUE(tok.add_space_prefix());
    EXPECT_TRUE(tok.is_eog(2));
    EXPECT_FALSE(tok.is_eog(1));
    EXPECT_TRUE(tok.is_control(1));
    EXPECT_FALSE(tok.is_control(300));
    EXPECT_FALSE(tok.is_eog(-1));
    EXPECT_FALSE(tok.is_eog(100000));
    EXPECT_EQ(tok.token_to_piece(100000), "");
    EXPECT_EQ(tok.token_to_piece(-5), "");
    EXPECT_EQ(tok.encode("", true, false), std::vector<int32_t>{1});
    EXPECT_TRUE(tok.encode("", false, false).empty());
}

TEST(Spm, PiecesAndByteFallback) {
    GLINT_REQUIRE_SHARED();
    const Tokenizer& tok = load(glint::test::shared_path(kStories));
    EXPECT_EQ(tok.token_to_piece(3 + 0x0A), "\n");    // <0x0A>
    EXPECT_EQ(tok.token_to_piece(3 + 0xE2), "\xE2");  // a lone byte is returned as is
    EXPECT_EQ(tok.token_to_piece(1), "<s>");
    EXPECT_EQ(tok.token_to_piece(1, false), "");
    EXPECT_EQ(tok.token_to_piece(0), "<unk>");
    // the 512-token vocabulary has no CJK: byte fallback spells it out
    auto ids = tok.encode("猫", false, false);
    ASSERT_EQ(ids.size(), 4u);  // "▁" then three bytes
    EXPECT_EQ(ids[1], 3 + 0xE7);
    EXPECT_EQ(tok.decode(ids), "猫");
}

TEST(Spm, ParseSpecial) {
    GLINT_REQUIRE_SHARED();
    const Tokenizer& tok = load(glint::test::shared_path(kStories));
    auto plain = tok.encode("Hi</s>", false, false);
    EXPECT_EQ(std::count(plain.begin(), plain.end(), 2), 0);
    auto parsed = tok.encode("Hi</s>", false, true);
    ASSERT_FALSE(parsed.empty());
    EXPECT_EQ(parsed.back(), 2);
    // text after a special token gets the SentencePiece space prefix again
    auto after = tok.encode("<s>Hi", false, true);
    EXPECT_EQ(after.front(), 1);
    EXPECT_EQ(std::vector<int32_t>(after.begin() + 1, after.end()), tok.encode("Hi", false, false));
}

TEST(Spm, DecodeRemovesOnlyThePrefixSpace) {
    GLINT_REQUIRE_SHARED();
    const Tokenizer& tok = load(glint::test::shared_path(kStories));
    for (std::string s : {"Once upon a time", " leading space", "  two", "a\nb", "Lily's 3 cats!"}) {
        EXPECT_EQ(tok.decode(tok.encode(s, true, false)), s);
        EXPECT_EQ(tok.decode(tok.encode(s, false, false)), s);
    }
    auto ids = tok.encode("Hi", true, false);
    EXPECT_EQ(tok.decode(ids, true), "<s>Hi");
}

// ---- streaming ----

std::string stream_all(const Tokenizer& tok, const std::vector<int32_t>& ids, std::vector<std::string>* parts = nullptr) {
    glint::StreamDecoder sd(tok);
    std::string out;
    for (int32_t id : ids) {
        std::string p = sd.push(id);
        if (parts) parts->push_back(p);
        out += p;
    }
    std::string tail = sd.flush();
    if (parts) parts->push_back(tail);
    return out + tail;
}

TEST(Stream, HoldsSplitUtf8UntilComplete) {
    GLINT_REQUIRE_SHARED();
    const Tokenizer& tok = load(glint::test::shared_path(kStories));
    // byte-fallback tokens split every multi-byte character across tokens;
    // streaming keeps the prefix space that decode() removes
    const std::string text = "a🦙b 猫 é";
    auto ids = tok.encode(text, false, false);
    std::vector<std::string> parts;
    EXPECT_EQ(stream_all(tok, ids, &parts), " " + text);
    size_t emoji_lead = 3 + 0xF0;
    auto it = std::find(ids.begin(), ids.end(), int32_t(emoji_lead));
    ASSERT_NE(it, ids.end());
    size_t k = size_t(it - ids.begin());
    EXPECT_EQ(parts[k], "");      // F0
    EXPECT_EQ(parts[k + 1], "");  // 9F
    EXPECT_EQ(parts[k + 2], "");  // A6
    EXPECT_EQ(parts[k + 3], "🦙");
    for (const auto& p : parts) {
        std::string clean;
        EXPECT_EQ(glint::utf8_sanitize(p, true, clean), p.size());
        EXPECT_EQ(clean, p) << "every chunk is valid UTF-8 on its own";
    }
}

TEST(Stream, InvalidBytesBecomeReplacementChars) {
    GLINT_REQUIRE_SHARED();
    const Tokenizer& tok = load(glint::test::shared_path(kStories));
    auto byte = [](int b) { return int32_t(3 + b); };
    const std::string R = "\xEF\xBF\xBD";
    // stray continuation, invalid lead, overlong, surrogate
    EXPECT_EQ(stream_all(tok, {byte(0x80), byte('A')}), R + "A");
    EXPECT_EQ(stream_all(tok, {byte(0xFF), byte(0xC0), byte(0x80)}), R + R + R);
    EXPECT_EQ(stream_all(tok, {byte(0xE0), byte(0x80), byte(0x80)}), R + R + R);
    EXPECT_EQ(stream_all(tok, {byte(0xED), byte(0xA0), byte(0x80)}), R + R + R);
    // a lead interrupted by ASCII: the lead is bad, the ASCII survives
    EXPECT_EQ(stream_all(tok, {byte(0xE7), byte('x')}), R + "x");
    // a sequence cut short at the end is flushed as one replacement
    glint::StreamDecoder sd(tok);
    EXPECT_EQ(sd.push(byte(0xE7)), "");
    EXPECT_EQ(sd.push(byte(0x8C)), "");
    EXPECT_EQ(sd.flush(), R + R);
    EXPECT_EQ(sd.flush(), "");
}

TEST(Stream, ControlTokensAreSilentUnlessAsked) {
    GLINT_REQUIRE_SHARED();
    const Tokenizer& tok = load(glint::test::shared_path(kStories));
    glint::StreamDecoder plain(tok), special(tok, true);
    EXPECT_EQ(plain.push(2), "");
    EXPECT_EQ(special.push(2), "</s>");
}

TEST(Utf8, SanitizeKeepsIncompleteTailWhenNotFinal) {
    std::string out;
    EXPECT_EQ(glint::utf8_sanitize("ab\xE7\x8C", false, out), 2u);
    EXPECT_EQ(out, "ab");
    out.clear();
    EXPECT_EQ(glint::utf8_sanitize("\xF0\x9F\xA6\x99", false, out), 4u);
    EXPECT_EQ(out, "🦙");
    out.clear();
    EXPECT_EQ(glint::utf8_sanitize("\xF4\x90\x80\x80", true, out), 4u);  // > U+10FFFF
    EXPECT_EQ(out, "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
}

// ---- BPE specifics on the shared vocabularies ----

TEST(Bpe, SpecialTokensAndFlags) {
    GLINT_REQUIRE_SHARED();
    const std::string path = glint::test::shared_path("vocab/ggml-vocab-gpt-2.gguf");
    const Tokenizer& tok = load(path);
    EXPECT_EQ(tok.kind(), glint::TokenizerKind::Bpe);
    EXPECT_FALSE(tok.add_bos());
    EXPECT_TRUE(tok.is_eog(50256));
    auto plain = tok.encode("a<|endoftext|>b", false, false);
    EXPECT_EQ(std::count(plain.begin(), plain.end(), 50256), 0);
    auto parsed = tok.encode("a<|endoftext|>b", false, true);
    EXPECT_EQ(std::count(parsed.begin(), parsed.end(), 50256), 1);
    EXPECT_EQ(tok.decode(parsed, true), "a<|endoftext|>b");
    EXPECT_EQ(tok.decode(parsed), "ab");
    // byte-level pieces give bytes back, even for partial UTF-8
    std::string all;
    for (int32_t id : tok.encode("héllo 🦙", false, false)) all += tok.token_to_piece(id);
    EXPECT_EQ(all, "héllo 🦙");
}

TEST(Bpe, ArbitraryBytesDoNotThrow) {
    GLINT_REQUIRE_SHARED();
    const Tokenizer& tok = load(glint::test::shared_path("vocab/ggml-vocab-gpt-2.gguf"));
    std::string junk;
    for (int i = 0; i < 256; ++i) junk += char(i);
    junk += "\xF0\x9F";  // truncated at the end
    auto ids = tok.encode(junk, false, false);
    EXPECT_EQ(tok.decode(ids), junk);
    const Tokenizer& spm = load(glint::test::shared_path(kStories));
    EXPECT_EQ(spm.decode(spm.encode(junk, false, false)), junk);
}

TEST(Bpe, UserDefinedTokensAlwaysMatch) {
    GLINT_REQUIRE_SHARED();
    // mpt (GPT-NeoX) has user-defined whitespace-run tokens
    const Tokenizer& tok = load(glint::test::shared_path("vocab/ggml-vocab-mpt.gguf"));
    int32_t two = tok.find_token("  ");
    ASSERT_GE(two, 0);
    EXPECT_EQ(tok.token_type(two), glint::TokenType::UserDefined);
    auto ids = tok.encode("a  b", false, false);
    EXPECT_NE(std::find(ids.begin(), ids.end(), two), ids.end());
}

TEST(Eog, ConventionalEndTokens) {
    GLINT_REQUIRE_SHARED();
    const Tokenizer& tok = load(glint::test::shared_path("vocab/ggml-vocab-phi-3.gguf"));
    int32_t end = tok.find_token("<|end|>");
    ASSERT_GE(end, 0);
    EXPECT_TRUE(tok.is_eog(end));
    EXPECT_TRUE(tok.is_eog(tok.eos()));
    EXPECT_TRUE(tok.eot() == end || tok.eot() == tok.find_token("<|endoftext|>"));
    EXPECT_FALSE(tok.is_eog(tok.bos()));
    EXPECT_FALSE(tok.is_eog(tok.find_token("<|user|>")));
    // control text is plain text unless parse_special
    auto plain = tok.encode("<|user|>hi<|end|>", false, false);
    EXPECT_EQ(std::count(plain.begin(), plain.end(), end), 0);
    auto parsed = tok.encode("<|user|>hi<|end|>", false, true);
    EXPECT_EQ(parsed.front(), tok.find_token("<|user|>"));
    EXPECT_EQ(parsed.back(), end);
}

// Arbitrary bytes (broken UTF-8, NULs, special-token fragments) never throw,
// byte-exact tokenizers give them back, and streamed text is valid UTF-8.
TEST(Robustness, RandomBytes) {
    GLINT_REQUIRE_SHARED();
    uint64_t state = 0x9E3779B97F4A7C15ull;
    auto next = [&] {
        state ^= state << 13, state ^= state >> 7, state ^= state << 17;
        return state;
    };
    const char* alphabet[] = {"a", " ", "\n", "\t", "\xC3", "\xA9", "\xF0\x9F", "\x98\x81", "\xFF", "<s>",
                              "</s>", "<|endoftext|>", "<|end", "|>", "  ", "1", "'s", "\xE2\x96\x81"};
    for (const char* v : {"llama-spm", "phi-3", "gpt-2", "mpt", "deepseek-llm", "falcon", "bert-bge"}) {
        const Tokenizer& tok = load(glint::test::shared_path(std::string("vocab/ggml-vocab-") + v + ".gguf"));
        // some byte-level vocabularies (GPT-NeoX) lack a few bytes, which are dropped
        bool has_byte[256];
        for (int b = 0; b < 256; ++b)
            has_byte[b] = tok.kind() != glint::TokenizerKind::Bpe || !tok.encode(std::string(1, char(b)), false, false).empty();
        for (int iter = 0; iter < 200; ++iter) {
            std::string text;
            size_t n = next() % 24;
            for (size_t i = 0; i < n; ++i) {
                if (next() % 4 == 0) text += char(next() & 0xFF);
                else text += alphabet[next() % std::size(alphabet)];
            }
            if (next() % 3 == 0) text.push_back('\0');
            for (bool special : {false, true}) {
                auto ids = tok.encode(text, special, special);
                for (int32_t id : ids) ASSERT_TRUE(id >= 0 && id < tok.n_vocab()) << v;
                // exact round trip, except where the input is not kept as is:
                // WordPiece normalises, SentencePiece turns a literal U+2581
                // into a space, user-defined tokens may strip or re-prefix space
                bool exact = !special && tok.kind() != glint::TokenizerKind::Wpm &&
                             !(tok.kind() == glint::TokenizerKind::Spm && text.find("\xE2\x96\x81") != std::string::npos);
                for (int32_t id : ids)
                    if (id == tok.unk() || tok.token_type(id) == glint::TokenType::UserDefined) exact = false;
                if (exact) {
                    std::string kept;
                    for (char c : text)
                        if (has_byte[uint8_t(c)]) kept += c;
                    EXPECT_EQ(tok.decode(ids), kept) << v << " ids " << join(ids);
                }
                glint::StreamDecoder sd(tok, special);
                std::string streamed;
                for (int32_t id : ids) streamed += sd.push(id);
                streamed += sd.flush();
                std::string clean;
                glint::utf8_sanitize(streamed, true, clean);
                EXPECT_EQ(clean, streamed) << v;
            }
        }
    }
}

// ---- errors ----

glint::gguf::File vocab_file(const std::string& model, std::vector<std::string> tokens,
                             const std::string& pre = "") {
    glint::gguf::Writer w;
    w.set("general.architecture", glint::gguf::Value::make_string("llama"));
    w.set("tokenizer.ggml.model", glint::gguf::Value::make_string(model));
    if (!pre.empty()) w.set("tokenizer.ggml.pre", glint::gguf::Value::make_string(pre));
    w.set("tokenizer.ggml.tokens", glint::gguf::Value::make_string_array(tokens));
    if (model == "gpt2") w.set("tokenizer.ggml.merges", glint::gguf::Value::make_string_array({"a b"}));
    auto bytes = w.to_bytes();
    return glint::gguf::File::from_memory(bytes.data(), bytes.size(), "test.gguf");
}

template <class F>
std::string error_of(F&& f) {
    try {
        f();
    } catch (const glint::Error& e) {
        return e.what();
    }
    return "";
}

TEST(Errors, UnsupportedModelIsNamed) {
    auto f = vocab_file("xyz", {"a", "b"});
    std::string msg = error_of([&] { Tokenizer::from_gguf(f); });
    EXPECT_NE(msg.find("unsupported tokenizer model 'xyz'"), std::string::npos) << msg;
}

TEST(Errors, UnknownPreTokenizerIsNamed) {
    auto f = vocab_file("gpt2", {"a", "b", "ab"}, "klingon");
    std::string msg = error_of([&] { Tokenizer::from_gguf(f); });
    EXPECT_NE(msg.find("'klingon'"), std::string::npos) << msg;
}

TEST(Errors, MissingPiecesAreReported) {
    glint::gguf::Writer w;
    w.set("tokenizer.ggml.model", glint::gguf::Value::make_string("llama"));
    auto bytes = w.to_bytes();
    auto f = glint::gguf::File::from_memory(bytes.data(), bytes.size(), "empty.gguf");
    std::string msg = error_of([&] { Tokenizer::from_gguf(f); });
    EXPECT_NE(msg.find("tokenizer.ggml.tokens"), std::string::npos) << msg;

    glint::gguf::Writer w2;
    w2.set("tokenizer.ggml.model", glint::gguf::Value::make_string("llama"));
    w2.set("tokenizer.ggml.tokens", glint::gguf::Value::make_string_array({"a", "b"}));
    w2.set("tokenizer.ggml.scores", glint::gguf::Value::make_array(glint::gguf::ValueType::FLOAT32,
                                                                    {glint::gguf::Value::make_f32(0)}));
    bytes = w2.to_bytes();
    auto f2 = glint::gguf::File::from_memory(bytes.data(), bytes.size(), "short.gguf");
    msg = error_of([&] { Tokenizer::from_gguf(f2); });
    EXPECT_NE(msg.find("tokenizer.ggml.scores"), std::string::npos) << msg;
}

TEST(Synthetic, TinyBpeMergesByRank) {
    // merges "a b" (rank 0) then "ab c" (rank 1): "abc" is one token
    glint::gguf::Writer w;
    w.set("tokenizer.ggml.model", glint::gguf::Value::make_string("gpt2"));
    w.set("tokenizer.ggml.pre", glint::gguf::Value::make_string("gpt-2"));
    w.set("tokenizer.ggml.tokens", glint::gguf::Value::make_string_array({"a", "b", "c", "ab", "abc", "Ġ"}));
    w.set("tokenizer.ggml.merges", glint::gguf::Value::make_string_array({"a b", "ab c"}));
    auto bytes = w.to_bytes();
    auto f = glint::gguf::File::from_memory(bytes.data(), bytes.size(), "tiny.gguf");
    Tokenizer tok = Tokenizer::from_gguf(f);
    EXPECT_EQ(tok.encode("abc", false, false), (std::vector<int32_t>{4}));
    EXPECT_EQ(tok.encode("cab", false, false), (std::vector<int32_t>{2, 3}));
    EXPECT_EQ(tok.encode("abc abc", false, false), (std::vector<int32_t>{4, 5, 4}));
    EXPECT_EQ(tok.decode({4, 5, 4}), "abc abc");
}

// GPT-2 byte-level alphabet: the 256 single-byte tokens.
std::vector<std::string> byte_level_alphabet() {
    std::vector<std::string> out;
    int n = 0;
    for (int b = 0; b < 256; ++b) {
        bool printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || b >= 174;
        unsigned cp = printable ? unsigned(b) : 256u + unsigned(n++);
        std::string u;
        if (cp < 0x80) u += char(cp);
        else u += char(0xC0 | (cp >> 6)), u += char(0x80 | (cp & 0x3F));
        out.push_back(u);
    }
    return out;
}

Tokenizer byte_level_vocab(const std::string& pre, const std::vector<std::string>& words) {
    auto tokens = byte_level_alphabet();
    tokens.insert(tokens.end(), words.begin(), words.end());
    glint::gguf::Writer w;
    w.set("tokenizer.ggml.model", glint::gguf::Value::make_string("gpt2"));
    w.set("tokenizer.ggml.pre", glint::gguf::Value::make_string(pre));
    w.set("tokenizer.ggml.tokens", glint::gguf::Value::make_string_array(tokens));
    w.set("tokenizer.ggml.merges", glint::gguf::Value::make_string_array({}));
    auto bytes = w.to_bytes();
    auto f = glint::gguf::File::from_memory(bytes.data(), bytes.size(), pre + ".gguf");
    return Tokenizer::from_gguf(f);
}

// Without merges every piece is spelled in byte tokens, except where the
// whole pre-tokenized word is a token and the vocabulary ignores merges
// (llama3): that exposes the split points.
TEST(Synthetic, Llama3SplitsDigitsInThrees) {
    Tokenizer tok = byte_level_vocab("llama-bpe", {"123", "456", "Hello", "\xC4\xA0world", "\xC4\x8A\xC4\x8A"});
    EXPECT_TRUE(tok.add_bos());  // llama3-style vocabularies ask for BOS
    auto id = [&](const char* s) { return tok.find_token(s); };
    EXPECT_EQ(tok.encode("123456", false, false), (std::vector<int32_t>{id("123"), id("456")}));
    EXPECT_EQ(tok.encode("Hello world", false, false), (std::vector<int32_t>{id("Hello"), id("\xC4\xA0world")}));
    // "\s*[\r\n]+" keeps newline runs together
    EXPECT_EQ(tok.encode("\n\n", false, false), (std::vector<int32_t>{id("\xC4\x8A\xC4\x8A")}));
    EXPECT_EQ(tok.decode(tok.encode("x 12345\n\n y", false, false)), "x 12345\n\n y");
}

TEST(Synthetic, Qwen2SplitsEveryDigit) {
    Tokenizer tok = byte_level_vocab("qwen2", {"12"});
    auto ids = tok.encode("12", false, false);
    EXPECT_EQ(ids.size(), 2u);  // no merges and no ignore_merges: bytes
    EXPECT_EQ(tok.decode(tok.encode("I'm 42, héllo\r\n", false, false)), "I'm 42, héllo\r\n");
}

TEST(Synthetic, EveryPreTokenizerCompiles) {
    for (const char* pre : {"default", "llama3", "llama-bpe", "dbrx", "smaug-bpe", "deepseek-llm", "deepseek-coder",
                            "deepseek-v3", "falcon", "falcon3", "mpt", "starcoder", "gpt-2", "refact", "command-r",
                            "qwen2", "stablelm2", "olmo", "poro-chat", "chatglm-bpe", "viking", "jais", "tekken",
                            "smollm", "codeshell", "bloom", "gpt3-finnish", "exaone", "chameleon", "minerva-7b",
                            "megrez", "phi-2", "jina-v2-code", "roberta-bpe"}) {
        Tokenizer tok = byte_level_vocab(pre, {});
        const std::string text = "Hello, y'all! 1234 héllo  \n\t 世界 🦙 <x>";
        EXPECT_EQ(tok.decode(tok.encode(text, false, false)), text) << pre;
    }
}

}  // namespace
