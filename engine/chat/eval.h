// Evaluator: renders a parsed template against a context, with Jinja2's
// scoping (a loop iteration, macro call, {% with %} or captured block is a
// child scope; `set` writes the innermost scope; macros see their defining
// scope at call time) and hard limits so hostile templates fail cleanly.
#pragma once
#include <ctime>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "engine/chat/ast.h"
#include "engine/chat/value.h"

namespace glint::chat {

struct EvalLimits {
    std::size_t max_output_bytes = 16u << 20;  // any single rendered string, including the result
    uint64_t max_steps = 20'000'000;           // evaluation work units (nodes, items, bytes/64)
    int max_depth = 600;                       // nested statements/expressions/macro frames at run time
};

struct EvalConfig {
    EvalLimits limits;
    std::function<std::tm()> clock;  // strftime_now's "now"; empty: the local time
};

struct StrHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
};

struct Scope {
    std::shared_ptr<Scope> parent;
    std::unordered_map<std::string, Value, StrHash, std::equal_to<>> vars;

    const Value* find(std::string_view name) const {
        for (const Scope* s = this; s; s = s->parent.get()) {
            auto it = s->vars.find(name);
            if (it != s->vars.end()) return &it->second;
        }
        return nullptr;
    }
};
using ScopePtr = std::shared_ptr<Scope>;

// A runtime failure with its template position (thrown out of render()).
struct PositionedError {
    std::string type;
    std::string message;
    SrcPos pos;
};

class Evaluator {
public:
    explicit Evaluator(const EvalConfig& cfg) : cfg_(cfg) {}

    // Throws PositionedError.
    std::string render(const Body& body, const DictData& context);

    // --- services for builtins ---
    void charge(uint64_t units);
    void check_size(std::size_t bytes) const;  // raises if a string would exceed the output limit
    Value call(const Value& fn, CallArgs& args);
    Value getattr(const Value& obj, std::string_view name);
    Value getitem(const Value& obj, const Value& key);
    Value apply_filter(std::string_view name, const Value& v, CallArgs& args);
    bool apply_test(std::string_view name, const Value& v, CallArgs& args);
    std::tm now() const;
    const EvalConfig& config() const { return cfg_; }

    // Python iteration of a value into a list (dict -> keys, str -> chars).
    std::vector<Value> iterate(const Value& v);
    bool contains(const Value& container, const Value& item);
    // Python's binary operators (+ - * / // % **) on two values.
    Value binary_op(std::string_view op, const Value& a, const Value& b);

private:
    enum class Flow { Normal, Break, Continue };
    friend struct DepthGuard;

    Flow exec(const Body& body, const ScopePtr& scope, std::string& out);
    Flow exec_stmt(const Stmt& s, const ScopePtr& scope, std::string& out);
    Flow exec_for(const Stmt& s, const ScopePtr& scope, std::string& out);
    void assign(const Target& t, const Value& v, const ScopePtr& scope);
    Value call_macro(const Function& f, CallArgs& args);

    Value eval(const Expr& e, const ScopePtr& scope);
    Value eval_filter(const Expr& e, const ScopePtr& scope, const Value* block_input);
    Value eval_compare(const Expr& e, const ScopePtr& scope);
    Value eval_getitem(const Expr& e, const ScopePtr& scope);
    void eval_args(const Expr& e, const ScopePtr& scope, CallArgs& out);
    Value lookup(std::string_view name, const ScopePtr& scope);
    void append(std::string& out, std::string_view s);

    const EvalConfig& cfg_;
    ScopePtr root_;
    uint64_t steps_ = 0;
    int depth_ = 0;
    SrcPos pos_;
};

}  // namespace glint::chat
