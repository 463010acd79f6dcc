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
    uint64_t max_steps = 10'000'000;           // evaluation work units (nodes, items, bytes/64)
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

// Variables of one scope. Most scopes (a loop iteration, a macro call) hold
// a handful of names, so they live in a small vector; a scope that grows big
// (a large context) switches to a hash map.
struct Scope {
    std::shared_ptr<Scope> parent;

    const Value* find_local(std::string_view name) const {
        if (big_) {
            auto it = big_->find(name);
            return it == big_->end() ? nullptr : &it->second;
        }
        for (const auto& kv : small_)
            if (kv.first == name) return &kv.second;
        return nullptr;
    }
    const Value* find(std::string_view name) const {
        for (const Scope* s = this; s; s = s->parent.get())
            if (const Value* v = s->find_local(name)) return v;
        return nullptr;
    }
    void set(std::string_view name, Value v) {
        if (Value* cur = const_cast<Value*>(find_local(name))) {
            *cur = std::move(v);
            return;
        }
        if (!big_ && small_.size() < 16) {
            small_.emplace_back(std::string(name), std::move(v));
            return;
        }
        if (!big_) {
            big_ = std::make_unique<std::unordered_map<std::string, Value, StrHash, std::equal_to<>>>();
            for (auto& kv : small_) big_->emplace(std::move(kv.first), std::move(kv.second));
            small_.clear();
        }
        big_->emplace(std::string(name), std::move(v));
    }

private:
    std::vector<std::pair<std::string, Value>> small_;
    std::unique_ptr<std::unordered_map<std::string, Value, StrHash, std::equal_to<>>> big_;
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
    // `compiled`: named in the template (vs. by string, as map/select do); only the message differs.
    Value apply_filter(std::string_view name, const Value& v, CallArgs& args, bool compiled = false);
    bool apply_test(std::string_view name, const Value& v, CallArgs& args, bool compiled = false);
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
    int depth_ = 0;
    SrcPos pos_;
};

}  // namespace glint::chat
