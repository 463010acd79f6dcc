// The template engine's value: a small Python-like dynamic type. Lists,
// tuples, dicts and strings are immutable and shared (copying a Value is
// cheap); namespaces and loop objects are the only mutable objects, as in
// Jinja2. Behaviour (truthiness, ==, <, str(), repr()) follows Python, since
// templates are written against Jinja2 running on Python.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <variant>
#include <vector>

namespace glint::chat {

class Value;
class Evaluator;
struct Stmt;
struct Scope;
struct ListData;
class DictData;
struct NamespaceData;
struct Function;
struct LoopData;
struct IteratorData;
struct CallArgs;

// Iterator: what Jinja2's map/select/reject/unique/items/reverse... return, a
// one-pass Python generator (always truthy, no len(), not JSON-serializable).
enum class Kind : uint8_t { Undefined, None, Bool, Int, Float, String, List, Tuple, Dict, Namespace, Function, Loop, Iterator };

// Runtime failure inside the engine: `type` is the Python exception name a
// Jinja2 user would see (UndefinedError, TypeError...). The evaluator adds
// the template position before it reaches the public API as glint::Error.
struct RenderError {
    std::string type;
    std::string message;
};
[[noreturn]] void raise(std::string type, std::string message);
// Using an Undefined: UndefinedError with its hint (SecurityError for a sandbox refusal).
[[noreturn]] void raise_undefined(const Value& v);
// Jinja2's hint for a missing attribute: "'dict object' has no attribute 'x'".
std::string no_attribute(const Value& obj, std::string_view name);

// Containers are nested at most this deep; it bounds every recursive walk
// (printing, comparison, JSON, destruction) so hostile input cannot overflow
// the stack.
constexpr int kMaxValueDepth = 200;

// Shape facts cached per container so that checks stay O(1).
struct Shape {
    int depth = 0;        // nesting depth (scalars 0)
    bool has_ns = false;  // holds a namespace somewhere inside
};

using NativeFn = std::function<Value(Evaluator&, CallArgs&)>;

class Value {
public:
    Value() = default;  // undefined, no hint
    static Value undefined(std::string hint);
    // What the sandbox returns for a forbidden attribute: using it raises SecurityError.
    static Value unsafe_undefined(std::string hint);
    static Value none();
    Value(bool b);
    Value(int64_t i);
    Value(int i) : Value(static_cast<int64_t>(i)) {}
    Value(double f);
    Value(std::string s, bool safe = false);
    Value(std::string_view s, bool safe = false) : Value(std::string(s), safe) {}
    Value(const char* s, bool safe = false) : Value(std::string(s), safe) {}
    static Value list(std::vector<Value> items);
    static Value tuple(std::vector<Value> items);
    static Value dict(DictData d);
    static Value namespace_(std::shared_ptr<NamespaceData> ns);
    static Value function(std::shared_ptr<const Function> f);
    static Value native(std::string name, NativeFn fn);
    static Value native(std::string name, NativeFn fn, Value bound_self);  // a bound method
    static Value loop(std::shared_ptr<LoopData> l);
    static Value iterator(std::shared_ptr<IteratorData> it);

    Kind kind() const { return kind_; }
    bool is_undefined() const { return kind_ == Kind::Undefined; }
    bool is_unsafe_undefined() const { return kind_ == Kind::Undefined && b_; }
    bool is_none() const { return kind_ == Kind::None; }
    bool is_bool() const { return kind_ == Kind::Bool; }
    bool is_int() const { return kind_ == Kind::Int; }  // bool excluded
    bool is_float() const { return kind_ == Kind::Float; }
    bool is_number() const { return kind_ == Kind::Bool || kind_ == Kind::Int || kind_ == Kind::Float; }
    bool is_integral() const { return kind_ == Kind::Bool || kind_ == Kind::Int; }  // Python int incl. bool
    bool is_string() const { return kind_ == Kind::String; }
    bool is_list() const { return kind_ == Kind::List; }
    bool is_tuple() const { return kind_ == Kind::Tuple; }
    bool is_sequence() const { return kind_ == Kind::List || kind_ == Kind::Tuple; }
    bool is_dict() const { return kind_ == Kind::Dict; }
    bool is_namespace() const { return kind_ == Kind::Namespace; }
    bool is_function() const { return kind_ == Kind::Function; }
    bool is_loop() const { return kind_ == Kind::Loop; }
    bool is_iterator() const { return kind_ == Kind::Iterator; }
    bool is_safe() const { return safe_; }  // a Markup string

    bool as_bool() const { return b_; }
    int64_t as_int() const { return kind_ == Kind::Bool ? (b_ ? 1 : 0) : i_; }  // Int or Bool
    double as_double() const;                                                   // any number
    const std::string& str() const;  // String (or an Undefined's hint)
    const std::vector<Value>& items() const;  // List or Tuple
    const DictData& dict() const;
    NamespaceData& ns() const;
    const Function& fn() const;
    LoopData& loop_data() const;
    IteratorData& iter_data() const;
    const std::shared_ptr<const ListData>& list_ptr() const;
    const void* identity() const;  // for the `sameas` test
    Shape shape() const;

    // Python semantics
    bool truthy() const;
    std::string to_str() const;  // str(), as {{ }} prints it (undefined -> "")
    std::string repr() const;    // repr(), used inside containers
    std::string type_name() const;         // 'str', 'int', 'NoneType'...
    std::string object_type_repr() const;  // Jinja2's "dict object" / "None"

private:
    void append_repr(std::string& out, int depth) const;

    Kind kind_ = Kind::Undefined;
    bool safe_ = false;
    bool b_ = false;
    int64_t i_ = 0;
    double f_ = 0;
    std::variant<std::monostate, std::shared_ptr<const std::string>, std::shared_ptr<const ListData>,
                 std::shared_ptr<const DictData>, std::shared_ptr<NamespaceData>, std::shared_ptr<const Function>,
                 std::shared_ptr<LoopData>, std::shared_ptr<IteratorData>>
        ptr_;
};

struct ListData {
    std::vector<Value> items;
    Shape shape;
};

// Insertion-ordered dict; keys compare with Python equality (1 == 1.0 == True).
class DictData {
public:
    const std::vector<std::pair<Value, Value>>& items() const { return items_; }
    std::size_t size() const { return items_.size(); }
    bool empty() const { return items_.empty(); }
    const Value* find(const Value& key) const;
    const Value* find(std::string_view key) const;
    void set(Value key, Value value);  // keeps the first key's position, like dict
    Shape shape() const;

private:
    std::vector<std::pair<Value, Value>> items_;
    std::unordered_multimap<std::size_t, std::size_t> index_;  // key hash -> position
    Shape child_shape_;  // max over values and keys
};

struct NamespaceData {
    DictData attrs;
};

struct CallArgs {
    std::vector<Value> pos;
    std::vector<std::pair<std::string, Value>> kw;
};

struct Function {
    std::string name;
    NativeFn native;  // builtins and bound methods
    Value bound_self;  // the receiver of a bound method (kept visible for shape checks)
    // Macros: the definition and the scope it was defined in. Weak, because
    // that scope normally holds the macro itself and a strong link would leak.
    const Stmt* macro = nullptr;
    std::weak_ptr<Scope> scope;
};

struct LoopData {
    std::shared_ptr<const ListData> items;
    std::size_t index0 = 0;
    bool has_last_changed = false;
    std::vector<Value> last_changed;
};

struct IteratorData {
    std::string type_name = "generator";  // Python's type, for messages
    std::vector<Value> items;             // produced eagerly...
    std::size_t pos = 0;                  // ...and handed out once
    bool failed = false;                  // producing raised `error`: re-raised once the items run out
    RenderError error;
    Shape shape;
};

bool py_equal(const Value& a, const Value& b);
// a < b with Python ordering; raises TypeError for unorderable pairs.
bool py_less(const Value& a, const Value& b);
// Rich comparison for op in {"<", "<=", ">", ">="}, raising with that operator's name.
bool py_compare(const Value& a, const Value& b, std::string_view op);
// hash() consistent with py_equal for hashable values.
std::size_t py_hash(const Value& v);
bool is_hashable(const Value& v);

// Escapes & < > ' " the way markupsafe.escape does.
std::string html_escape(std::string_view s);

}  // namespace glint::chat
