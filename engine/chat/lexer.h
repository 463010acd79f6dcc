// Tokenizer for the Jinja2 subset, reproducing Jinja2's lexer with
// trim_blocks and lstrip_blocks on: newline normalisation, `-`/`+` whitespace
// control, comments, {% raw %}, and expression tokens with bracket balancing.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace glint::chat {

enum class Tok : uint8_t {
    Data,        // literal template text
    VarBegin,    // {{
    VarEnd,      // }}
    BlockBegin,  // {%
    BlockEnd,    // %}
    Name,
    String,  // text holds the decoded value
    Int,
    Float,
    Op,  // text holds the operator
    Eof,
};

struct SrcPos {
    int line = 0;
    int col = 0;
};

struct Token {
    Tok type = Tok::Eof;
    std::string text;
    int64_t ival = 0;
    double fval = 0;
    SrcPos pos;
};

// A syntax error with its position (1-based line and column).
struct SyntaxError {
    std::string message;
    SrcPos pos;
};

std::vector<Token> tokenize(std::string_view source);

}  // namespace glint::chat
