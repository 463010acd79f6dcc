// Parser for the Jinja2 subset: statements (if/for/set/macro/filter/with/
// break/continue/print/raw) and Jinja2's expression grammar, including its
// operator precedence quirks (filters bind tighter than arithmetic, ** is
// left-associative, `is` tests after filters).
#pragma once
#include <string_view>

#include "engine/chat/ast.h"

namespace glint::chat {

// Deepest nesting of blocks or expressions a template may use; bounds the
// parser's and the evaluator's recursion.
constexpr int kMaxNesting = 128;

// Throws SyntaxError.
Body parse_template(std::string_view source);

}  // namespace glint::chat
