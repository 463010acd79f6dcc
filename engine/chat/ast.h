// Syntax tree of a parsed template. Nodes are plain structs with a kind tag;
// the evaluator switches on the kind.
#pragma once
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "engine/chat/lexer.h"
#include "engine/chat/value.h"

namespace glint::chat {

struct Expr;
struct Stmt;
using ExprPtr = std::unique_ptr<Expr>;
using StmtPtr = std::unique_ptr<Stmt>;
using Body = std::vector<StmtPtr>;

enum class ExprKind : uint8_t {
    Const,     // value
    Name,      // name
    List,      // items
    Tuple,     // items
    Dict,      // items: key0, value0, key1, value1...
    Getattr,   // items[0] . name
    Getitem,   // items[0] [ items[1] ]
    Slice,     // items: start, stop, step (each may be null)
    Call,      // items[0] ( args... )
    Filter,    // items[0] | name(args...); items[0] null inside {% filter %} / {% set %} blocks
    Test,      // items[0] is name(args...)
    Neg,       // - items[0]
    Pos,       // + items[0]
    Not,       // not items[0]
    Binary,    // items[0] op items[1]
    Concat,    // items joined with ~
    Compare,   // items[0] ops[0] items[1] ops[1] items[2]...
    And,       // items[0] and items[1]
    Or,        // items[0] or items[1]
    CondExpr,  // items[1] if items[0] else items[2] (else may be null)
};

struct Expr {
    ExprKind kind;
    SrcPos pos;
    int depth = 1;     // height of this subtree (bounded by kMaxNesting)
    Value value;       // Const
    std::string name;  // Name, Getattr, Filter, Test; Binary op; Compare ops are in `ops`
    std::vector<ExprPtr> items;
    // Call/Filter/Test arguments (positional ones follow the operand in `args`).
    std::vector<ExprPtr> args;
    std::vector<std::pair<std::string, ExprPtr>> kwargs;
    ExprPtr dyn_args, dyn_kwargs;  // *args, **kwargs
    std::vector<std::string> ops;  // Compare operators
};

// Assignment targets: a name, a tuple of targets, or namespace.attr.
struct Target {
    enum class Kind : uint8_t { Name, Tuple, NsAttr } kind = Kind::Name;
    std::string name;
    std::string attr;
    std::vector<Target> items;
    SrcPos pos;
};

enum class StmtKind : uint8_t {
    Data,         // text
    Output,       // {{ expr }} / {% print expr %}
    If,           // branches (test, body) + else_body
    For,          // target in expr [if cond] body else_body
    Set,          // target = expr
    SetBlock,     // target [| filter] = rendered body
    Macro,        // name(params) body
    FilterBlock,  // filter applied to rendered body
    With,         // assignments, body
    Break,
    Continue,
};

struct Stmt {
    StmtKind kind;
    SrcPos pos;
    std::string text;  // Data; Macro name
    ExprPtr expr;      // Output/Set/For iterable; SetBlock/FilterBlock filter chain (may be null)
    ExprPtr cond;      // For filter
    Target target;
    Body body, else_body;
    std::vector<std::pair<ExprPtr, Body>> branches;  // If / elif
    // Macro
    std::vector<std::string> params;
    std::vector<ExprPtr> defaults;  // aligned with params; null when none
    bool uses_varargs = false, uses_kwargs = false;
    // With
    std::vector<std::pair<Target, ExprPtr>> assigns;
};

}  // namespace glint::chat
