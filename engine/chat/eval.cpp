#include "engine/chat/eval.h"

#include <chrono>
#include <cmath>
#include <exception>

#include "engine/chat/budget.h"
#include "engine/chat/builtins.h"
#include "engine/chat/text.h"

namespace glint::chat {

// Bounds run-time recursion and remembers where evaluation is, so an error
// reports the innermost node; on normal exit the parent's position returns.
struct DepthGuard {
    DepthGuard(Evaluator& ev, SrcPos pos) : ev(ev), saved(ev.pos_), exceptions(std::uncaught_exceptions()) {
        ev.pos_ = pos;
        if (++ev.depth_ > ev.cfg_.limits.max_depth)
            raise("RecursionError", "maximum recursion depth exceeded (the template nests deeper than " +
                                        std::to_string(ev.cfg_.limits.max_depth) + " levels)");
        ev.charge(1);
    }
    ~DepthGuard() {
        --ev.depth_;
        if (std::uncaught_exceptions() == exceptions) ev.pos_ = saved;
    }
    Evaluator& ev;
    SrcPos saved;
    int exceptions;
};

namespace {

[[noreturn]] void overflow() { raise("OverflowError", "integer result does not fit in 64 bits"); }
int64_t add_checked(int64_t a, int64_t b) {
    int64_t r;
    if (__builtin_add_overflow(a, b, &r)) overflow();
    return r;
}
int64_t sub_checked(int64_t a, int64_t b) {
    int64_t r;
    if (__builtin_sub_overflow(a, b, &r)) overflow();
    return r;
}
int64_t mul_checked(int64_t a, int64_t b) {
    int64_t r;
    if (__builtin_mul_overflow(a, b, &r)) overflow();
    return r;
}

// Python's float floor division and modulo (Objects/floatobject.c float_divmod).
void float_divmod(double vx, double wx, double& floordiv, double& mod) {
    mod = std::fmod(vx, wx);
    double div = (vx - mod) / wx;
    if (mod != 0) {
        if ((wx < 0) != (mod < 0)) {
            mod += wx;
            div -= 1.0;
        }
    } else {
        mod = std::copysign(0.0, wx);
    }
    if (div != 0) {
        floordiv = std::floor(div);
        if (div - floordiv > 0.5) floordiv += 1.0;
    } else {
        floordiv = std::copysign(0.0, vx / wx);
    }
}

std::string unsupported(std::string_view op, const Value& a, const Value& b) {
    return "unsupported operand type(s) for " + std::string(op) + ": '" + a.type_name() + "' and '" +
           b.type_name() + "'";
}

Value repeat(Evaluator& ev, const Value& seq, int64_t n) {
    if (n < 0) n = 0;
    if (seq.is_string()) {
        std::size_t len = seq.str().size();
        if (len && static_cast<uint64_t>(n) > ev.config().limits.max_output_bytes / len) ev.check_size(SIZE_MAX);
        ev.charge(len * static_cast<uint64_t>(n) / 64);
        std::string out;
        out.reserve(len * static_cast<std::size_t>(n));
        for (int64_t i = 0; i < n; ++i) out += seq.str();
        return Value(std::move(out), seq.is_safe());
    }
    const auto& items = seq.items();
    // Element counts are held to the byte limit / 16, so a list cannot outgrow a string much.
    if (!items.empty() && static_cast<uint64_t>(n) > ev.config().limits.max_output_bytes / 16 / items.size())
        raise("MemoryError", "sequence repetition too large");
    ev.charge(items.size() * static_cast<uint64_t>(n));
    std::vector<Value> out;
    out.reserve(items.size() * static_cast<std::size_t>(n));
    for (int64_t i = 0; i < n; ++i) out.insert(out.end(), items.begin(), items.end());
    return seq.is_tuple() ? Value::tuple(std::move(out)) : Value::list(std::move(out));
}

// Python slice index normalisation (PySlice_AdjustIndices).
std::vector<std::size_t> slice_indices(std::size_t len, const Value& vstart, const Value& vstop, const Value& vstep) {
    auto idx = [](const Value& v) -> int64_t {
        if (!v.is_integral())
            raise("TypeError", "slice indices must be integers or None or have an __index__ method");
        return v.as_int();
    };
    int64_t n = static_cast<int64_t>(len);
    int64_t step = vstep.is_none() ? 1 : idx(vstep);
    if (step == 0) raise("ValueError", "slice step cannot be zero");
    int64_t lower = step > 0 ? 0 : -1, upper = step > 0 ? n : n - 1;
    auto adjust = [&](const Value& v, int64_t dflt) {
        if (v.is_none()) return dflt;
        int64_t x = idx(v);
        if (x < 0) {
            x += n;
            if (x < lower) x = lower;
        } else if (x > upper) {
            x = upper;
        }
        return x;
    };
    int64_t start = adjust(vstart, step > 0 ? lower : upper);
    int64_t stop = adjust(vstop, step > 0 ? upper : lower);
    std::vector<std::size_t> out;
    if (step > 0)
        for (int64_t i = start; i < stop; i += step) out.push_back(static_cast<std::size_t>(i));
    else
        for (int64_t i = start; i > stop; i += step) out.push_back(static_cast<std::size_t>(i));
    return out;
}

std::string missing_key_message(const Value& obj, const Value& key) {
    if (key.is_string()) return no_attribute(obj, key.str());
    return obj.object_type_repr() + " has no element " + key.repr();
}

}  // namespace

// ---- top level ------------------------------------------------------------------

std::string Evaluator::render(const Body& body, const DictData& context) {
    root_ = std::make_shared<Scope>();
    for (const auto& [k, v] : context.items())
        if (k.is_string()) root_->set(k.str(), v);
    WorkBudget budget;
    budget.limit = cfg_.limits.max_steps;
    budget.max_bytes = cfg_.limits.max_output_bytes;
    BudgetScope scope(&budget);
    std::string out;
    try {
        exec(body, root_, out);
    } catch (RenderError& e) {
        throw PositionedError{std::move(e.type), std::move(e.message), pos_};
    }
    return out;
}

void Evaluator::charge(uint64_t units) { charge_work(units); }

void Evaluator::check_size(std::size_t bytes) const { check_bytes(bytes); }

void Evaluator::append(std::string& out, std::string_view s) {
    check_size(out.size() + s.size());
    charge(s.size() / 64);
    out.append(s);
}

std::tm Evaluator::now() const {
    if (cfg_.clock) return cfg_.clock();
    std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
    std::tm tm{};
    localtime_r(&t, &tm);
    return tm;
}

// ---- statements -----------------------------------------------------------------

Evaluator::Flow Evaluator::exec(const Body& body, const ScopePtr& scope, std::string& out) {
    for (const StmtPtr& s : body) {
        Flow f = exec_stmt(*s, scope, out);
        if (f != Flow::Normal) return f;
    }
    return Flow::Normal;
}

Evaluator::Flow Evaluator::exec_stmt(const Stmt& s, const ScopePtr& scope, std::string& out) {
    DepthGuard guard(*this, s.pos);
    switch (s.kind) {
        case StmtKind::Data: append(out, s.text); return Flow::Normal;
        case StmtKind::Output: {
            Value v = eval(*s.expr, scope);
            if (v.is_string()) append(out, v.str());
            else append(out, v.to_str());
            return Flow::Normal;
        }
        case StmtKind::If:
            for (const auto& [test, body] : s.branches)
                if (eval(*test, scope).truthy()) return exec(body, scope, out);
            return exec(s.else_body, scope, out);
        case StmtKind::For: return exec_for(s, scope, out);
        case StmtKind::Set: assign(s.target, eval(*s.expr, scope), scope); return Flow::Normal;
        case StmtKind::SetBlock:
        case StmtKind::FilterBlock: {
            auto inner = std::make_shared<Scope>();
            inner->parent = scope;
            std::string buf;
            Flow f = exec(s.body, inner, buf);
            Value v(std::move(buf));
            if (s.expr) v = eval_filter(*s.expr, scope, &v);
            if (s.kind == StmtKind::SetBlock) {
                assign(s.target, v, scope);
            } else {
                append(out, v.to_str());
            }
            return f;
        }
        case StmtKind::Macro: {
            auto fn = std::make_shared<Function>();
            fn->name = s.text;
            fn->macro = &s;
            fn->scope = scope;
            scope->set(s.text, Value::function(std::move(fn)));
            return Flow::Normal;
        }
        case StmtKind::With: {
            std::vector<Value> vals;
            for (const auto& a : s.assigns) vals.push_back(eval(*a.second, scope));
            auto inner = std::make_shared<Scope>();
            inner->parent = scope;
            for (std::size_t i = 0; i < vals.size(); ++i) assign(s.assigns[i].first, vals[i], inner);
            return exec(s.body, inner, out);
        }
        case StmtKind::Break: return Flow::Break;
        case StmtKind::Continue: return Flow::Continue;
    }
    return Flow::Normal;
}

Evaluator::Flow Evaluator::exec_for(const Stmt& s, const ScopePtr& scope, std::string& out) {
    std::vector<Value> items = iterate(eval(*s.expr, scope));
    if (s.cond) {  // the loop filter runs before loop.* is computed
        std::vector<Value> kept;
        for (Value& item : items) {
            auto probe = std::make_shared<Scope>();
            probe->parent = scope;
            assign(s.target, item, probe);
            if (eval(*s.cond, probe).truthy()) kept.push_back(std::move(item));
        }
        items = std::move(kept);
    }
    if (items.empty()) {
        auto inner = std::make_shared<Scope>();
        inner->parent = scope;
        return exec(s.else_body, inner, out);
    }
    auto ld = std::make_shared<LoopData>();
    ld->items = Value::list(std::move(items)).list_ptr();
    Value loop = Value::loop(ld);
    const auto& list = ld->items->items;
    for (std::size_t i = 0; i < list.size(); ++i) {
        ld->index0 = i;
        auto iter = std::make_shared<Scope>();  // fresh per iteration, as in Jinja2
        iter->parent = scope;
        assign(s.target, list[i], iter);
        iter->set("loop", loop);
        if (exec(s.body, iter, out) == Flow::Break) break;
    }
    return Flow::Normal;
}

void Evaluator::assign(const Target& t, const Value& v, const ScopePtr& scope) {
    switch (t.kind) {
        case Target::Kind::Name: scope->set(t.name, v); return;
        case Target::Kind::Tuple: {
            std::vector<Value> vals = iterate(v);
            std::size_t want = t.items.size();
            if (vals.size() < want)
                raise("ValueError", "not enough values to unpack (expected " + std::to_string(want) + ", got " +
                                        std::to_string(vals.size()) + ")");
            if (vals.size() > want)
                raise("ValueError", "too many values to unpack (expected " + std::to_string(want) + ")");
            for (std::size_t i = 0; i < want; ++i) assign(t.items[i], vals[i], scope);
            return;
        }
        case Target::Kind::NsAttr: {
            const Value* ns = scope->find(t.name);
            if (!ns || !ns->is_namespace())
                raise("TemplateRuntimeError", "cannot assign attribute on non-namespace object");
            // Namespaces never hold namespaces: that keeps values acyclic and
            // their depth bounded (Jinja2 allows it; no real template needs it).
            if (v.shape().has_ns)
                raise("TemplateRuntimeError", "storing a namespace inside a namespace is not supported");
            ns->ns().attrs.set(Value(t.attr), v);
            return;
        }
    }
}

Value Evaluator::call_macro(const Function& f, CallArgs& args) {
    const Stmt& m = *f.macro;
    ScopePtr parent = f.scope.lock();
    if (!parent) parent = root_;  // defining scope is gone; globals are what it can still see
    auto sc = std::make_shared<Scope>();
    sc->parent = parent;
    std::size_t np = m.params.size();
    std::vector<bool> bound(np, false);
    std::vector<Value> extra_pos;
    for (std::size_t i = 0; i < args.pos.size(); ++i) {
        if (i < np) {
            sc->set(m.params[i], args.pos[i]);
            bound[i] = true;
        } else {
            extra_pos.push_back(args.pos[i]);
        }
    }
    if (!extra_pos.empty() && !m.uses_varargs)
        raise("TypeError", "macro '" + m.text + "' takes not more than " + std::to_string(np) + " argument(s)");
    DictData extra_kw;
    for (auto& [k, v] : args.kw) {
        std::size_t i = 0;
        while (i < np && m.params[i] != k) ++i;
        if (i < np) {
            if (bound[i]) raise("TypeError", "macro '" + m.text + "' got multiple values for argument '" + k + "'");
            sc->set(k, v);
            bound[i] = true;
        } else if (m.uses_kwargs) {
            extra_kw.set(Value(k), v);
        } else {
            raise("TypeError", "macro '" + m.text + "' takes no keyword argument '" + k + "'");
        }
    }
    for (std::size_t i = 0; i < np; ++i) {
        if (bound[i]) continue;
        if (m.defaults[i]) sc->set(m.params[i], eval(*m.defaults[i], sc));
        else sc->set(m.params[i], Value::undefined("parameter '" + m.params[i] + "' was not provided"));
    }
    if (m.uses_varargs) sc->set("varargs", Value::tuple(std::move(extra_pos)));
    if (m.uses_kwargs) sc->set("kwargs", Value::dict(std::move(extra_kw)));
    std::string buf;
    exec(m.body, sc, buf);
    return Value(std::move(buf));
}

// ---- expressions ------------------------------------------------------------

Value Evaluator::lookup(std::string_view name, const ScopePtr& scope) {
    if (const Value* v = scope->find(name)) return *v;
    Value g = find_global(name);
    if (!g.is_undefined()) return g;
    return Value::undefined(py_repr_str(name) + " is undefined");
}

Value Evaluator::eval(const Expr& e, const ScopePtr& scope) {
    DepthGuard guard(*this, e.pos);
    switch (e.kind) {
        case ExprKind::Const: return e.value;
        case ExprKind::Name: return lookup(e.name, scope);
        case ExprKind::List:
        case ExprKind::Tuple: {
            std::vector<Value> items;
            items.reserve(e.items.size());
            for (const auto& i : e.items) items.push_back(eval(*i, scope));
            return e.kind == ExprKind::List ? Value::list(std::move(items)) : Value::tuple(std::move(items));
        }
        case ExprKind::Dict: {
            DictData d;
            for (std::size_t i = 0; i + 1 < e.items.size(); i += 2) {
                Value k = eval(*e.items[i], scope);
                d.set(std::move(k), eval(*e.items[i + 1], scope));
            }
            return Value::dict(std::move(d));
        }
        case ExprKind::Getattr: return getattr(eval(*e.items[0], scope), e.name);
        case ExprKind::Getitem: return eval_getitem(e, scope);
        case ExprKind::Slice: raise("TypeError", "a slice is only valid inside [ ]");
        case ExprKind::Call: {
            Value fn = eval(*e.items[0], scope);
            CallArgs args;
            eval_args(e, scope, args);
            return call(fn, args);
        }
        case ExprKind::Filter: return eval_filter(e, scope, nullptr);
        case ExprKind::Test: {
            Value v = eval(*e.items[0], scope);
            CallArgs args;
            eval_args(e, scope, args);
            return Value(apply_test(e.name, v, args, true));
        }
        case ExprKind::Neg:
        case ExprKind::Pos: {
            Value v = eval(*e.items[0], scope);
            if (v.is_undefined()) raise_undefined(v);
            if (!v.is_number())
                raise("TypeError", std::string("bad operand type for unary ") + (e.kind == ExprKind::Neg ? "-" : "+") +
                                       ": '" + v.type_name() + "'");
            if (e.kind == ExprKind::Pos) return v.is_bool() ? Value(v.as_int()) : v;
            if (v.is_float()) return Value(-v.as_double());
            return Value(sub_checked(0, v.as_int()));
        }
        case ExprKind::Not: return Value(!eval(*e.items[0], scope).truthy());
        case ExprKind::Binary: {
            Value a = eval(*e.items[0], scope);
            Value b = eval(*e.items[1], scope);
            return binary_op(e.name, a, b);
        }
        case ExprKind::Concat: {
            std::string s;
            for (const auto& i : e.items) {
                Value v = eval(*i, scope);
                s += v.is_string() ? v.str() : v.to_str();
                check_size(s.size());
            }
            charge(s.size() / 64);
            return Value(std::move(s));
        }
        case ExprKind::Compare: return eval_compare(e, scope);
        case ExprKind::And: {
            Value a = eval(*e.items[0], scope);
            return a.truthy() ? eval(*e.items[1], scope) : a;
        }
        case ExprKind::Or: {
            Value a = eval(*e.items[0], scope);
            return a.truthy() ? a : eval(*e.items[1], scope);
        }
        case ExprKind::CondExpr:
            if (eval(*e.items[0], scope).truthy()) return eval(*e.items[1], scope);
            if (e.items[2]) return eval(*e.items[2], scope);
            return Value::undefined("the inline if-expression on line " + std::to_string(e.pos.line) +
                                    " evaluated to false and no else section was defined.");
    }
    return Value();
}

void Evaluator::eval_args(const Expr& e, const ScopePtr& scope, CallArgs& out) {
    for (const auto& a : e.args) out.pos.push_back(eval(*a, scope));
    if (e.dyn_args) {
        for (Value& v : iterate(eval(*e.dyn_args, scope))) out.pos.push_back(std::move(v));
    }
    for (const auto& [k, v] : e.kwargs) out.kw.emplace_back(k, eval(*v, scope));
    if (e.dyn_kwargs) {
        Value d = eval(*e.dyn_kwargs, scope);
        if (!d.is_dict()) raise("TypeError", "argument after ** must be a mapping, not " + d.type_name());
        for (const auto& [k, v] : d.dict().items()) {
            if (!k.is_string()) raise("TypeError", "keywords must be strings");
            out.kw.emplace_back(k.str(), v);
        }
    }
}

Value Evaluator::eval_filter(const Expr& e, const ScopePtr& scope, const Value* block_input) {
    Value input;
    if (e.items[0]) {
        const Expr& inner = *e.items[0];
        input = inner.kind == ExprKind::Filter ? eval_filter(inner, scope, block_input) : eval(inner, scope);
    } else if (block_input) {
        input = *block_input;
    }
    CallArgs args;
    eval_args(e, scope, args);
    DepthGuard guard(*this, e.pos);
    return apply_filter(e.name, input, args, true);
}

namespace {
// Rough cost of handing `v` to a builtin that may walk all of it.
uint64_t input_cost(const Value& v) {
    if (v.is_string()) return v.str().size() / 64;
    if (v.is_sequence()) return v.items().size();
    if (v.is_dict()) return v.dict().size();
    return 0;
}
}  // namespace

Value Evaluator::apply_filter(std::string_view name, const Value& v, CallArgs& args, bool compiled) {
    FilterFn f = find_filter(name);
    if (!f) raise("TemplateRuntimeError", "No filter named " + py_repr_str(name) + (compiled ? " found." : "."));
    charge(input_cost(v));
    for (const Value& a : args.pos) charge(input_cost(a));
    return f(*this, v, args);
}

bool Evaluator::apply_test(std::string_view name, const Value& v, CallArgs& args, bool compiled) {
    TestFn t = find_test(name);
    if (!t) raise("TemplateRuntimeError", "No test named " + py_repr_str(name) + (compiled ? " found." : "."));
    return t(*this, v, args);
}

Value Evaluator::call(const Value& fn, CallArgs& args) {
    if (fn.is_undefined()) raise_undefined(fn);
    if (!fn.is_function()) raise("TypeError", "'" + fn.type_name() + "' object is not callable");
    const Function& f = fn.fn();
    if (f.macro) return call_macro(f, args);
    charge(input_cost(f.bound_self));
    for (const Value& a : args.pos) charge(input_cost(a));
    return f.native(*this, args);
}

Value Evaluator::binary_op(std::string_view op, const Value& a, const Value& b) {
    if (op == "%" && a.is_string()) return percent_format(a, b);  // str.__mod__ sees Undefined first
    if (a.is_undefined()) raise_undefined(a);
    if (b.is_undefined()) raise_undefined(b);
    bool nums = a.is_number() && b.is_number();
    bool ints = a.is_integral() && b.is_integral();
    if (op == "+") {
        if (ints) {
            return Value(add_checked(a.as_int(), b.as_int()));
        }
        if (nums) return Value(a.as_double() + b.as_double());
        if (a.is_string() && b.is_string()) {
            // Markup on either side escapes the plain operand (markupsafe's __add__/__radd__).
            bool safe = a.is_safe() || b.is_safe();
            std::string l = (safe && !a.is_safe()) ? html_escape(a.str()) : a.str();
            std::string r = (safe && !b.is_safe()) ? html_escape(b.str()) : b.str();
            check_size(l.size() + r.size());
            charge((l.size() + r.size()) / 64);
            return Value(l + r, safe);
        }
        if ((a.is_list() && b.is_list()) || (a.is_tuple() && b.is_tuple())) {
            std::vector<Value> items = a.items();
            items.insert(items.end(), b.items().begin(), b.items().end());
            charge(items.size());
            return a.is_list() ? Value::list(std::move(items)) : Value::tuple(std::move(items));
        }
        if ((a.is_string() && !a.is_safe()) || a.is_list() || a.is_tuple())
            raise("TypeError", "can only concatenate " + a.type_name() + " (not \"" + b.type_name() + "\") to " +
                                   a.type_name());
        raise("TypeError", unsupported("+", a, b));
    }
    if (op == "-") {
        if (ints) {
            return Value(sub_checked(a.as_int(), b.as_int()));
        }
        if (nums) return Value(a.as_double() - b.as_double());
        raise("TypeError", unsupported("-", a, b));
    }
    if (op == "*") {
        if (ints) {
            return Value(mul_checked(a.as_int(), b.as_int()));
        }
        if (nums) return Value(a.as_double() * b.as_double());
        bool a_seq = a.is_string() || a.is_list() || a.is_tuple();
        bool b_seq = b.is_string() || b.is_list() || b.is_tuple();
        if (a_seq && b.is_integral()) return repeat(*this, a, b.as_int());
        if (b_seq && a.is_integral()) return repeat(*this, b, a.as_int());
        if (a_seq || b_seq)
            raise("TypeError", "can't multiply sequence by non-int of type '" + (a_seq ? b : a).type_name() + "'");
        raise("TypeError", unsupported("*", a, b));
    }
    if (op == "/") {
        if (!nums) raise("TypeError", unsupported("/", a, b));
        if (b.as_double() == 0) raise("ZeroDivisionError", ints ? "division by zero" : "float division by zero");
        return Value(a.as_double() / b.as_double());
    }
    if (op == "//" || op == "%") {
        if (!nums) raise("TypeError", unsupported(op, a, b));
        if (ints) {
            int64_t x = a.as_int(), y = b.as_int();
            if (y == 0) raise("ZeroDivisionError", op == "//" ? "integer division or modulo by zero" : "integer modulo by zero");
            if (x == INT64_MIN && y == -1) {
                if (op == "%") return Value(int64_t{0});
                raise("OverflowError", "integer result does not fit in 64 bits");
            }
            int64_t q = x / y, r = x % y;
            if (r != 0 && ((r < 0) != (y < 0))) {
                q -= 1;
                r += y;
            }
            return op == "//" ? Value(q) : Value(r);
        }
        double x = a.as_double(), y = b.as_double();
        if (y == 0) raise("ZeroDivisionError", op == "//" ? "float floor division by zero" : "float modulo");
        double fd, md;
        float_divmod(x, y, fd, md);
        return op == "//" ? Value(fd) : Value(md);
    }
    if (op == "**") {
        if (!nums) raise("TypeError", unsupported("** or pow()", a, b));
        if (ints && b.as_int() >= 0) {
            int64_t base = a.as_int(), exp = b.as_int(), r = 1;
            while (exp > 0) {
                if (exp & 1) r = mul_checked(r, base);
                exp >>= 1;
                if (exp) base = mul_checked(base, base);
            }
            return Value(r);
        }
        double x = a.as_double(), y = b.as_double();
        if (x == 0 && y < 0) raise("ZeroDivisionError", "0.0 cannot be raised to a negative power");
        return Value(std::pow(x, y));
    }
    raise("TemplateRuntimeError", "unknown operator " + std::string(op));
}

bool Evaluator::contains(const Value& container, const Value& item) {
    switch (container.kind()) {
        case Kind::String:
            if (!item.is_string())
                raise("TypeError", "'in <string>' requires string as left operand, not " + item.type_name());
            return find_sub(container.str(), item.str()) != std::string::npos;
        case Kind::List:
        case Kind::Tuple:
            charge(container.items().size());
            for (const Value& v : container.items())
                if (py_equal(v, item)) return true;
            return false;
        case Kind::Dict:
            if (!is_hashable(item)) raise("TypeError", "unhashable type: '" + item.type_name() + "'");
            return container.dict().find(item) != nullptr;
        case Kind::Undefined: return false;  // iterating an Undefined yields nothing
        case Kind::Iterator: {  // consumes up to the match, like Python
            IteratorData& it = container.iter_data();
            while (it.pos < it.items.size()) {
                charge(1);
                if (py_equal(it.items[it.pos++], item)) return true;
            }
            if (it.failed) {
                it.failed = false;
                throw it.error;
            }
            return false;
        }
        default: raise("TypeError", "argument of type '" + container.type_name() + "' is not iterable");
    }
}

Value Evaluator::eval_compare(const Expr& e, const ScopePtr& scope) {
    Value left = eval(*e.items[0], scope);
    for (std::size_t i = 0; i < e.ops.size(); ++i) {
        Value right = eval(*e.items[i + 1], scope);
        const std::string& op = e.ops[i];
        bool r;
        if (op == "==") r = py_equal(left, right);
        else if (op == "!=") r = !py_equal(left, right);
        else if (op == "in") r = contains(right, left);
        else if (op == "notin") r = !contains(right, left);
        else r = py_compare(left, right, op);
        if (!r) return Value(false);
        left = std::move(right);
    }
    return Value(true);
}

Value Evaluator::eval_getitem(const Expr& e, const ScopePtr& scope) {
    Value obj = eval(*e.items[0], scope);
    const Expr& key = *e.items[1];
    if (key.kind != ExprKind::Slice) return getitem(obj, eval(key, scope));
    Value parts[3];
    for (int i = 0; i < 3; ++i) parts[i] = key.items[i] ? eval(*key.items[i], scope) : Value::none();
    if (obj.is_undefined()) raise_undefined(obj);
    if (obj.is_string()) {
        charge(obj.str().size() / 64);
        std::u32string s = utf8_decode(obj.str());
        std::u32string out;
        for (std::size_t i : slice_indices(s.size(), parts[0], parts[1], parts[2])) out.push_back(s[i]);
        charge(out.size() / 16);
        return Value(utf8_encode(out), obj.is_safe());
    }
    if (obj.is_sequence()) {
        const auto& items = obj.items();
        std::vector<Value> out;
        for (std::size_t i : slice_indices(items.size(), parts[0], parts[1], parts[2])) out.push_back(items[i]);
        charge(out.size());
        return obj.is_tuple() ? Value::tuple(std::move(out)) : Value::list(std::move(out));
    }
    return Value::undefined(obj.object_type_repr() + " has no element slice");
}

// Jinja2's sandboxed getattr: Python attributes (methods) first, then items.
Value Evaluator::getattr(const Value& obj, std::string_view name) {
    if (obj.is_undefined()) raise_undefined(obj);
    Value m;
    if (find_method(obj, name, m)) return m;
    if (obj.is_dict()) {
        if (const Value* v = obj.dict().find(name)) return *v;
    } else if (obj.is_namespace()) {
        if (const Value* v = obj.ns().attrs.find(name)) return *v;
    } else if (obj.is_loop()) {
        const LoopData& l = obj.loop_data();
        const auto& items = l.items->items;
        int64_t n = static_cast<int64_t>(items.size()), i = static_cast<int64_t>(l.index0);
        if (name == "index") return Value(i + 1);
        if (name == "index0") return Value(i);
        if (name == "revindex") return Value(n - i);
        if (name == "revindex0") return Value(n - i - 1);
        if (name == "first") return Value(i == 0);
        if (name == "last") return Value(i == n - 1);
        if (name == "length") return Value(n);
        if (name == "depth") return Value(int64_t{1});
        if (name == "depth0") return Value(int64_t{0});
        if (name == "previtem")
            return i > 0 ? items[static_cast<std::size_t>(i - 1)] : Value::undefined("there is no previous item");
        if (name == "nextitem")
            return i + 1 < n ? items[static_cast<std::size_t>(i + 1)] : Value::undefined("there is no next item");
    }
    return Value::undefined(no_attribute(obj, name));
}

// Jinja2's sandboxed getitem: items first, then (for string keys) attributes.
Value Evaluator::getitem(const Value& obj, const Value& key) {
    if (obj.is_undefined()) raise_undefined(obj);
    if (obj.is_dict()) {
        if (is_hashable(key))
            if (const Value* v = obj.dict().find(key)) return *v;
    } else if ((obj.is_sequence() || obj.is_string()) && key.is_integral()) {
        int64_t i = key.as_int();
        if (obj.is_string()) {
            charge(obj.str().size() / 64);
            std::u32string s = utf8_decode(obj.str());
            int64_t n = static_cast<int64_t>(s.size());
            if (i < 0) i += n;
            if (i >= 0 && i < n) {
                std::string ch;
                utf8_append(ch, s[static_cast<std::size_t>(i)]);
                return Value(std::move(ch), obj.is_safe());
            }
        } else {
            const auto& items = obj.items();
            int64_t n = static_cast<int64_t>(items.size());
            if (i < 0) i += n;
            if (i >= 0 && i < n) return items[static_cast<std::size_t>(i)];
        }
    }
    if (key.is_string()) {
        // Python's obj[key] failed; Jinja2 then tries the attribute of that name.
        if (obj.is_namespace() || obj.is_loop()) {
            Value a = getattr(obj, key.str());
            if (!a.is_undefined()) return a;
        } else {
            Value m;
            if (find_method(obj, key.str(), m)) return m;
        }
    }
    return Value::undefined(missing_key_message(obj, key));
}

std::vector<Value> Evaluator::iterate(const Value& v) {
    switch (v.kind()) {
        case Kind::Undefined: return {};
        case Kind::List:
        case Kind::Tuple: charge(v.items().size()); return v.items();
        case Kind::Dict: {
            std::vector<Value> keys;
            keys.reserve(v.dict().size());
            for (const auto& kv : v.dict().items()) keys.push_back(kv.first);
            charge(keys.size());
            return keys;
        }
        case Kind::String: {
            std::vector<Value> chars;
            for (char32_t c : utf8_decode(v.str())) {  // str.__iter__: plain str even for Markup
                std::string s;
                utf8_append(s, c);
                chars.emplace_back(std::move(s));
            }
            charge(chars.size());
            return chars;
        }
        case Kind::Iterator: {  // hands out what is left, once
            IteratorData& it = v.iter_data();
            std::vector<Value> rest(it.items.begin() + static_cast<std::ptrdiff_t>(it.pos), it.items.end());
            it.pos = it.items.size();
            charge(rest.size());
            if (it.failed) {
                it.failed = false;
                throw it.error;
            }
            return rest;
        }
        default: raise("TypeError", "'" + v.type_name() + "' object is not iterable");
    }
}

}  // namespace glint::chat
