// `glint tokenize`: print the token ids (or pieces) of a text under a model's
// tokenizer. Reads only the GGUF metadata, so vocabulary-only files work too.
#include <cstdio>
#include <ctime>
#include <string>
#include <vector>

#include "engine/tokenizer/tokenizer.h"
#include "gguf/gguf.h"
#include "tools/cli.h"
#include "tools/common.h"

namespace glint::cli {
namespace {

const char* kUsage = R"(usage: glint tokenize [options]

Prints the token ids of a text on one line, separated by spaces.

  -m, --model FILE     GGUF file with tokenizer metadata (default: the bundled stories260K.gguf)
  -p, --prompt TEXT    text to tokenize
  -f, --file FILE      read the text from a file instead
      --no-bos         do not add BOS/EOS (or CLS/SEP) as the model asks
      --parse-special  turn control-token text such as <|im_end|> or </s> into that token
      --pieces         print id:'piece' per token; the piece is the token's bytes with
                       \\ \' \n \r \t escaped and other control or non-UTF-8 bytes as \xNN
      --stats          print the token count and encode time (wall and CPU) to stderr
  -h, --help           this help
)";

struct Options {
    std::string model, prompt, file;
    bool have_prompt = false, no_bos = false, parse_special = false, pieces = false, stats = false;
};

Options parse(int argc, char** argv) {
    Options o;
    ArgReader a(argc, argv);
    std::string opt;
    while (a.next(opt)) {
        if (opt == "-m" || opt == "--model") o.model = a.str();
        else if (opt == "-p" || opt == "--prompt") { o.prompt = a.str(); o.have_prompt = true; }
        else if (opt == "-f" || opt == "--file") o.file = a.str();
        else if (opt == "--no-bos") o.no_bos = true;
        else if (opt == "--parse-special") o.parse_special = true;
        else if (opt == "--pieces") o.pieces = true;
        else if (opt == "--stats") o.stats = true;
        else throw UsageError("unknown option '" + opt + "'");
    }
    if (o.have_prompt && !o.file.empty()) throw UsageError("give either -p or -f, not both");
    if (!o.have_prompt && o.file.empty()) throw UsageError("no text: give -p TEXT or -f FILE");
    if (o.model.empty()) o.model = default_model_path();
    return o;
}

// A piece as printable text: valid UTF-8 passes, the rest is escaped.
std::string escape_piece(const std::string& p) {
    std::string out;
    for (size_t i = 0; i < p.size();) {
        unsigned char c = p[i];
        if (c == '\\' || c == '\'') { out += '\\'; out += char(c); ++i; continue; }
        if (c == '\n') { out += "\\n"; ++i; continue; }
        if (c == '\r') { out += "\\r"; ++i; continue; }
        if (c == '\t') { out += "\\t"; ++i; continue; }
        if (c >= 0x20 && c < 0x7F) { out += char(c); ++i; continue; }
        if (c >= 0x80) {
            // keep a complete, valid multi-byte character as it is
            size_t n = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
            if (n > 1 && i + n <= p.size()) {
                std::string clean;
                utf8_sanitize(std::string_view(p).substr(i, n), true, clean);
                if (clean == p.substr(i, n)) { out += clean; i += n; continue; }
            }
        }
        char buf[8];
        std::snprintf(buf, sizeof buf, "\\x%02X", c);
        out += buf;
        ++i;
    }
    return out;
}

int tokenize(int argc, char** argv) {
    Options o;
    try {
        for (int i = 1; i < argc; ++i) {
            std::string a = argv[i];
            if (a == "-h" || a == "--help") {
                std::fputs(kUsage, stdout);
                return 0;
            }
        }
        o = parse(argc, argv);
    } catch (const UsageError& e) {
        std::fprintf(stderr, "glint tokenize: %s\n\n%s", e.what(), kUsage);
        return 2;
    }
    try {
        const std::string text = o.file.empty() ? o.prompt : read_file(o.file);
        const double t_load = now_ms();
        const gguf::File f = gguf::File::open(o.model);
        const Tokenizer tok = Tokenizer::from_gguf(f);
        const double t0 = now_ms();
        const std::clock_t c0 = std::clock();
        const std::vector<int32_t> ids = tok.encode(text, !o.no_bos, o.parse_special);
        const double cpu_ms = 1e3 * double(std::clock() - c0) / CLOCKS_PER_SEC;
        const double ms = now_ms() - t0;

        std::string line;
        for (size_t i = 0; i < ids.size(); ++i) {
            if (i) line += ' ';
            line += std::to_string(ids[i]);
            if (o.pieces) line += ":'" + escape_piece(tok.token_to_piece(ids[i])) + "'";
        }
        line += '\n';
        std::fwrite(line.data(), 1, line.size(), stdout);
        if (o.stats)
            std::fprintf(stderr, "%zu tokens from %zu bytes in %.1f ms (%.2f MB/s, %.1f ms CPU); tokenizer loaded in %.1f ms\n",
                         ids.size(), text.size(), ms, ms > 0 ? double(text.size()) / 1e3 / ms : 0.0, cpu_ms,
                         t0 - t_load);
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "glint tokenize: %s\n", e.what());
        return 1;
    }
}

const Registration reg("tokenize", "print the token ids of a text", &tokenize,
                       [](int c, char** v) { (void)parse(c, v); });

}  // namespace
}  // namespace glint::cli
