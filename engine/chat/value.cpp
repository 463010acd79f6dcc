#include "engine/chat/value.h"

#include <cmath>
#include <limits>

#include "engine/chat/budget.h"
#include "engine/chat/text.h"

namespace glint::chat {

void raise(std::string type, std::string message) { throw RenderError{std::move(type), std::move(message)}; }

namespace {
thread_local WorkBudget* t_budget = nullptr;
}

void raise_undefined(const Value& v) {
    raise(v.is_unsafe_undefined() ? "SecurityError" : "UndefinedError", v.str().empty() ? "value is undefined" : v.str());
}

std::string no_attribute(const Value& obj, std::string_view name) {
    return py_repr_str(obj.object_type_repr()) + " has no attribute " + py_repr_str(name);
}

BudgetScope::BudgetScope(WorkBudget* b) : prev_(t_budget) { t_budget = b; }
BudgetScope::~BudgetScope() { t_budget = prev_; }

void charge_work(uint64_t units) {
    WorkBudget* b = t_budget;
    if (!b) return;
    b->used += units;
    if (b->used > b->limit)
        raise("LimitError", "template exceeded its evaluation budget (" + std::to_string(b->limit) +
                                " steps); it may loop without end");
}

void check_bytes(std::size_t n) {
    WorkBudget* b = t_budget;
    if (b && n > b->max_bytes)
        raise("LimitError", "template output exceeds the size limit (" + std::to_string(b->max_bytes) + " bytes)");
}

namespace {

Shape max_shape(Shape a, Shape b) { return {std::max(a.depth, b.depth), a.has_ns || b.has_ns}; }

Shape wrap(Shape inner) {
    Shape s{inner.depth + 1, inner.has_ns};
    if (s.depth > kMaxValueDepth)
        raise("ValueError", "value nesting too deep (the limit is " + std::to_string(kMaxValueDepth) + " levels)");
    return s;
}

const std::string kEmpty;

// int == float exactly, as Python compares them (no rounding of big ints).
bool int_eq_float(int64_t i, double f) {
    if (!std::isfinite(f) || f != std::floor(f)) return false;
    if (f < -9223372036854775808.0 || f >= 9223372036854775808.0) return false;
    return static_cast<int64_t>(f) == i;
}

// -1, 0, 1, or 2 for "unordered" (NaN).
int num_order(const Value& a, const Value& b) {
    if (a.is_integral() && b.is_integral()) {
        int64_t x = a.as_int(), y = b.as_int();
        return x < y ? -1 : x > y ? 1 : 0;
    }
    double x = a.as_double(), y = b.as_double();
    if (std::isnan(x) || std::isnan(y)) return 2;
    if (a.is_integral() && int_eq_float(a.as_int(), y)) return 0;
    if (b.is_integral() && int_eq_float(b.as_int(), x)) return 0;
    return x < y ? -1 : x > y ? 1 : 0;
}

}  // namespace

Value Value::undefined(std::string hint) {
    Value v;
    if (!hint.empty()) v.ptr_ = std::make_shared<const std::string>(std::move(hint));
    return v;
}

Value Value::unsafe_undefined(std::string hint) {
    Value v = undefined(std::move(hint));
    v.b_ = true;
    return v;
}

Value Value::none() {
    Value v;
    v.kind_ = Kind::None;
    return v;
}

Value::Value(bool b) : kind_(Kind::Bool), b_(b) {}
Value::Value(int64_t i) : kind_(Kind::Int), i_(i) {}
Value::Value(double f) : kind_(Kind::Float), f_(f) {}
Value::Value(std::string s, bool safe)
    : kind_(Kind::String), safe_(safe), ptr_(std::make_shared<const std::string>(std::move(s))) {}

static Shape items_shape(const std::vector<Value>& items) {
    Shape s;
    for (const Value& v : items) s = max_shape(s, v.shape());
    return wrap(s);
}

Value Value::list(std::vector<Value> items) {
    Value v;
    v.kind_ = Kind::List;
    Shape s = items_shape(items);
    v.ptr_ = std::make_shared<const ListData>(ListData{std::move(items), s});
    return v;
}

Value Value::tuple(std::vector<Value> items) {
    Value v = list(std::move(items));
    v.kind_ = Kind::Tuple;
    return v;
}

Value Value::dict(DictData d) {
    Value v;
    v.kind_ = Kind::Dict;
    wrap(d.shape());
    v.ptr_ = std::make_shared<const DictData>(std::move(d));
    return v;
}

Value Value::namespace_(std::shared_ptr<NamespaceData> ns) {
    Value v;
    v.kind_ = Kind::Namespace;
    v.ptr_ = std::move(ns);
    return v;
}

Value Value::function(std::shared_ptr<const Function> f) {
    Value v;
    v.kind_ = Kind::Function;
    v.ptr_ = std::move(f);
    return v;
}

Value Value::native(std::string name, NativeFn fn) { return native(std::move(name), std::move(fn), Value()); }

Value Value::native(std::string name, NativeFn fn, Value bound_self) {
    auto f = std::make_shared<Function>();
    f->name = std::move(name);
    f->native = std::move(fn);
    if (!bound_self.is_undefined()) wrap(bound_self.shape());
    f->bound_self = std::move(bound_self);
    return function(std::move(f));
}

Value Value::loop(std::shared_ptr<LoopData> l) {
    Value v;
    v.kind_ = Kind::Loop;
    v.ptr_ = std::move(l);
    return v;
}

Value Value::iterator(std::shared_ptr<IteratorData> it) {
    Shape s;
    for (const Value& v : it->items) s = max_shape(s, v.shape());
    it->shape = wrap(s);
    Value v;
    v.kind_ = Kind::Iterator;
    v.ptr_ = std::move(it);
    return v;
}

double Value::as_double() const {
    switch (kind_) {
        case Kind::Bool: return b_ ? 1.0 : 0.0;
        case Kind::Int: return static_cast<double>(i_);
        case Kind::Float: return f_;
        default: return 0;
    }
}

const std::string& Value::str() const {
    if (auto p = std::get_if<std::shared_ptr<const std::string>>(&ptr_)) return **p;
    return kEmpty;
}

const std::vector<Value>& Value::items() const { return std::get<std::shared_ptr<const ListData>>(ptr_)->items; }
const std::shared_ptr<const ListData>& Value::list_ptr() const {
    return std::get<std::shared_ptr<const ListData>>(ptr_);
}
const DictData& Value::dict() const { return *std::get<std::shared_ptr<const DictData>>(ptr_); }
NamespaceData& Value::ns() const { return *std::get<std::shared_ptr<NamespaceData>>(ptr_); }
const Function& Value::fn() const { return *std::get<std::shared_ptr<const Function>>(ptr_); }
LoopData& Value::loop_data() const { return *std::get<std::shared_ptr<LoopData>>(ptr_); }
IteratorData& Value::iter_data() const { return *std::get<std::shared_ptr<IteratorData>>(ptr_); }

const void* Value::identity() const {
    return std::visit(
        [](const auto& p) -> const void* {
            if constexpr (std::is_same_v<std::decay_t<decltype(p)>, std::monostate>) return nullptr;
            else return p.get();
        },
        ptr_);
}

Shape Value::shape() const {
    switch (kind_) {
        case Kind::List:
        case Kind::Tuple: return list_ptr()->shape;
        case Kind::Dict: return dict().shape();
        case Kind::Namespace: {
            Shape s = ns().attrs.shape();
            return {s.depth, true};
        }
        case Kind::Loop: {
            const auto& items = loop_data().items;
            Shape s = items ? items->shape : Shape{};
            return {s.depth + 1, s.has_ns};
        }
        case Kind::Function: {
            const Value& self = fn().bound_self;
            if (self.is_undefined()) return {};
            Shape s = self.shape();
            return {s.depth + 1, s.has_ns};
        }
        case Kind::Iterator: return iter_data().shape;
        default: return {};
    }
}

bool Value::truthy() const {
    switch (kind_) {
        case Kind::Undefined:
        case Kind::None: return false;
        case Kind::Bool: return b_;
        case Kind::Int: return i_ != 0;
        case Kind::Float: return f_ != 0;
        case Kind::String: return !str().empty();
        case Kind::List:
        case Kind::Tuple: return !items().empty();
        case Kind::Dict: return !dict().empty();
        default: return true;
    }
}

std::string Value::to_str() const {
    switch (kind_) {
        case Kind::Undefined: return "";
        case Kind::String: return str();
        default: {
            std::string out;
            append_repr(out, 0);
            return out;
        }
    }
}

std::string Value::repr() const {
    std::string out;
    append_repr(out, 0);
    return out;
}

void Value::append_repr(std::string& out, int depth) const {
    charge_work(1);
    check_bytes(out.size());
    switch (kind_) {
        case Kind::Undefined: out += "Undefined"; return;
        case Kind::None: out += "None"; return;
        case Kind::Bool: out += b_ ? "True" : "False"; return;
        case Kind::Int: out += std::to_string(i_); return;
        case Kind::Float: out += py_repr_float(f_); return;
        case Kind::String:
            if (safe_) {
                out += "Markup(" + py_repr_str(str()) + ")";
            } else {
                out += py_repr_str(str());
            }
            return;
        case Kind::List:
        case Kind::Tuple: {
            bool tuple = kind_ == Kind::Tuple;
            out += tuple ? "(" : "[";
            const auto& its = items();
            for (std::size_t i = 0; i < its.size(); ++i) {
                if (i) out += ", ";
                its[i].append_repr(out, depth + 1);
            }
            if (tuple && its.size() == 1) out += ",";
            out += tuple ? ")" : "]";
            return;
        }
        case Kind::Dict: {
            out += "{";
            bool first = true;
            for (const auto& [k, v] : dict().items()) {
                if (!first) out += ", ";
                first = false;
                k.append_repr(out, depth + 1);
                out += ": ";
                v.append_repr(out, depth + 1);
            }
            out += "}";
            return;
        }
        case Kind::Namespace: {
            out += "<Namespace {";
            bool first = true;
            for (const auto& [k, v] : ns().attrs.items()) {
                if (!first) out += ", ";
                first = false;
                k.append_repr(out, depth + 1);
                out += ": ";
                v.append_repr(out, depth + 1);
            }
            out += "}>";
            return;
        }
        case Kind::Function: {
            const Function& f = fn();
            if (f.macro) out += "<Macro '" + f.name + "'>";
            else if (!f.bound_self.is_undefined())
                out += "<built-in method " + f.name + " of " + f.bound_self.type_name() + " object>";
            else out += "<built-in function " + f.name + ">";
            return;
        }
        case Kind::Loop: {
            const LoopData& l = loop_data();
            out += "<LoopContext " + std::to_string(l.index0 + 1) + "/" +
                   std::to_string(l.items ? l.items->items.size() : 0) + ">";
            return;
        }
        case Kind::Iterator: out += "<" + iter_data().type_name + " object>"; return;
    }
}

std::string Value::type_name() const {
    switch (kind_) {
        case Kind::Undefined: return "Undefined";
        case Kind::None: return "NoneType";
        case Kind::Bool: return "bool";
        case Kind::Int: return "int";
        case Kind::Float: return "float";
        case Kind::String: return safe_ ? "Markup" : "str";
        case Kind::List: return "list";
        case Kind::Tuple: return "tuple";
        case Kind::Dict: return "dict";
        case Kind::Namespace: return "Namespace";
        case Kind::Function: return fn().macro ? "Macro" : "builtin_function_or_method";
        case Kind::Loop: return "LoopContext";
        case Kind::Iterator: return iter_data().type_name;
    }
    return "object";
}

std::string Value::object_type_repr() const {
    switch (kind_) {
        case Kind::None: return "None";
        case Kind::String: return safe_ ? "markupsafe.Markup object" : "str object";
        case Kind::Namespace: return "jinja2.utils.Namespace object";
        case Kind::Loop: return "jinja2.runtime.LoopContext object";
        case Kind::Function: return fn().macro ? "jinja2.runtime.Macro object" : "builtin_function_or_method object";
        default: return type_name() + " object";
    }
}

// ---- DictData -------------------------------------------------------------

const Value* DictData::find(std::string_view key) const {
    std::size_t h = std::hash<std::string_view>()(key);
    auto [lo, hi] = index_.equal_range(h);
    for (auto it = lo; it != hi; ++it) {
        const auto& kv = items_[it->second];
        if (kv.first.is_string() && kv.first.str() == key) return &kv.second;
    }
    return nullptr;
}

const Value* DictData::find(const Value& key) const {
    if (key.is_string()) return find(std::string_view(key.str()));
    if (!is_hashable(key)) return nullptr;
    auto [lo, hi] = index_.equal_range(py_hash(key));
    for (auto it = lo; it != hi; ++it) {
        const auto& kv = items_[it->second];
        if (py_equal(kv.first, key)) return &kv.second;
    }
    return nullptr;
}

void DictData::set(Value key, Value value) {
    if (!is_hashable(key)) raise("TypeError", "unhashable type: '" + key.type_name() + "'");
    child_shape_ = max_shape(child_shape_, max_shape(key.shape(), value.shape()));
    if (const Value* existing = find(key)) {
        *const_cast<Value*>(existing) = std::move(value);
        return;
    }
    index_.emplace(py_hash(key), items_.size());
    items_.emplace_back(std::move(key), std::move(value));
}

Shape DictData::shape() const { return {child_shape_.depth + 1, child_shape_.has_ns}; }

// ---- comparisons ------------------------------------------------------------

bool py_equal(const Value& a, const Value& b) {
    if (a.is_number() && b.is_number()) return num_order(a, b) == 0;
    if (a.kind() != b.kind()) return false;
    if (a.kind() != Kind::String && a.identity() && a.identity() == b.identity()) return true;  // as Python's `is` shortcut
    charge_work(1);
    switch (a.kind()) {
        case Kind::Undefined:
        case Kind::None: return true;
        case Kind::String:
            charge_work(a.str().size() / 64);
            return a.str() == b.str();
        case Kind::List:
        case Kind::Tuple: {
            const auto& x = a.items();
            const auto& y = b.items();
            if (x.size() != y.size()) return false;
            for (std::size_t i = 0; i < x.size(); ++i)
                if (!py_equal(x[i], y[i])) return false;
            return true;
        }
        case Kind::Dict: {
            const DictData& x = a.dict();
            const DictData& y = b.dict();
            if (x.size() != y.size()) return false;
            for (const auto& [k, v] : x.items()) {
                const Value* o = y.find(k);
                if (!o || !py_equal(v, *o)) return false;
            }
            return true;
        }
        default: return a.identity() == b.identity();
    }
}

bool py_less(const Value& a, const Value& b) { return py_compare(a, b, "<"); }

// Python's rich comparison: sequences compare their first differing items
// with the same operator, so errors name the operator the template used.
bool py_compare(const Value& a, const Value& b, std::string_view op) {
    charge_work(1);
    if (a.is_undefined()) raise_undefined(a);
    if (b.is_undefined()) raise_undefined(b);
    int order;
    if (a.is_number() && b.is_number()) {
        order = num_order(a, b);
        if (order == 2) return false;  // NaN
    } else if (a.is_string() && b.is_string()) {
        int c = a.str().compare(b.str());
        order = c < 0 ? -1 : c > 0 ? 1 : 0;
    } else if ((a.is_list() && b.is_list()) || (a.is_tuple() && b.is_tuple())) {
        const auto& x = a.items();
        const auto& y = b.items();
        std::size_t i = 0;
        while (i < x.size() && i < y.size() && py_equal(x[i], y[i])) ++i;
        if (i < x.size() && i < y.size()) return py_compare(x[i], y[i], op);
        order = x.size() < y.size() ? -1 : x.size() > y.size() ? 1 : 0;
    } else {
        std::string msg = "'";
        msg.append(op);  // built by appends: GCC 12 misfires -Wrestrict on "'" + std::string(op)
        msg += "' not supported between instances of '" + a.type_name() + "' and '" + b.type_name() + "'";
        raise("TypeError", std::move(msg));
    }
    if (op == "<") return order < 0;
    if (op == "<=") return order <= 0;
    if (op == ">") return order > 0;
    return order >= 0;
}

std::size_t py_hash(const Value& v) {
    switch (v.kind()) {
        case Kind::String: charge_work(v.str().size() / 64); return std::hash<std::string_view>()(v.str());
        case Kind::Bool:
        case Kind::Int: return std::hash<int64_t>()(v.as_int()) ^ 0x9e3779b97f4a7c15ULL;
        case Kind::Float: {
            double f = v.as_double();
            if (std::isfinite(f) && f == std::floor(f) && f >= -9223372036854775808.0 && f < 9223372036854775808.0)
                return std::hash<int64_t>()(static_cast<int64_t>(f)) ^ 0x9e3779b97f4a7c15ULL;
            return std::hash<double>()(f);
        }
        case Kind::None: return 0x1234567;
        case Kind::Undefined: return 0x7654321;
        case Kind::Tuple: {
            std::size_t h = 0x345678;
            charge_work(v.items().size());
            for (const Value& x : v.items()) h = h * 1000003 ^ py_hash(x);
            return h;
        }
        default: return std::hash<const void*>()(v.identity());
    }
}

bool is_hashable(const Value& v) {
    if (v.is_list() || v.is_dict()) return false;
    if (v.is_tuple()) {
        for (const Value& x : v.items())
            if (!is_hashable(x)) return false;
    }
    return true;
}

std::string html_escape(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (char c : s) {
        switch (c) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '\'': out += "&#39;"; break;
            case '"': out += "&#34;"; break;
            default: out.push_back(c);
        }
    }
    return out;
}

}  // namespace glint::chat
