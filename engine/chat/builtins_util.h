// Helpers shared by the builtin filters, tests and methods: Python-style
// argument binding and conversions with Python's error messages.
#pragma once
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/chat/eval.h"
#include "engine/chat/text.h"
#include "engine/chat/value.h"

namespace glint::chat::detail {

// Binds positional and keyword arguments to `names` in order, like a Python
// signature; raises TypeError for surplus, duplicate or unknown arguments.
class Args {
public:
    Args(std::string_view fname, CallArgs& args, std::initializer_list<std::string_view> names)
        : names_(names), vals_(names.size()) {
        if (args.pos.size() > names_.size())
            raise("TypeError", std::string(fname) + "() takes at most " + std::to_string(names_.size()) +
                                   " argument(s) (" + std::to_string(args.pos.size()) + " given)");
        for (std::size_t i = 0; i < args.pos.size(); ++i) vals_[i] = args.pos[i];
        for (auto& [k, v] : args.kw) {
            std::size_t i = 0;
            while (i < names_.size() && names_[i] != k) ++i;
            if (i == names_.size())
                raise("TypeError", std::string(fname) + "() got an unexpected keyword argument '" + k + "'");
            if (vals_[i]) raise("TypeError", std::string(fname) + "() got multiple values for argument '" + k + "'");
            vals_[i] = v;
        }
    }
    bool has(std::size_t i) const { return vals_[i].has_value(); }
    const Value& get(std::size_t i, const Value& dflt) const { return vals_[i] ? *vals_[i] : dflt; }
    Value get(std::size_t i) const { return vals_[i] ? *vals_[i] : Value::none(); }

private:
    std::vector<std::string_view> names_;
    std::vector<std::optional<Value>> vals_;
};

inline int64_t to_index(const Value& v) {
    if (!v.is_integral())
        raise("TypeError", "'" + v.type_name() + "' object cannot be interpreted as an integer");
    return v.as_int();
}

// Jinja2's soft_str: Markup stays Markup, anything else becomes str(value).
inline Value soft_str(const Value& v) {
    if (v.is_string()) return v;
    return Value(v.to_str());
}

inline Value str_value(std::string s, bool safe) { return Value(std::move(s), safe); }

inline std::size_t py_len(const Value& v) {
    switch (v.kind()) {
        case Kind::String: return utf8_length(v.str());
        case Kind::List:
        case Kind::Tuple: return v.items().size();
        case Kind::Dict: return v.dict().size();
        case Kind::Undefined: return 0;
        case Kind::Loop: return v.loop_data().items->items.size();  // LoopContext has __len__
        default: raise("TypeError", "object of type '" + v.type_name() + "' has no len()");
    }
}

// Python str.strip family with an optional set of characters.
std::string py_strip(std::string_view s, const Value& chars, bool left, bool right);
std::vector<Value> py_split(const Value& s, const Value& sep, int64_t maxsplit, bool from_right);
std::string py_replace(std::string_view s, std::string_view old, std::string_view repl, int64_t count);
std::string py_capitalize(std::string_view s);
std::string py_title(std::string_view s);  // str.title()
std::vector<std::string> py_splitlines(std::string_view s, bool keepends);
std::string py_center(std::string_view s, int64_t width, std::string_view fill, char align);
bool py_parse_float(std::string_view s, double& out);
bool py_parse_int(std::string_view s, int64_t base, int64_t& out);
Value py_round(const Value& v, int64_t ndigits);
Value py_add(Evaluator& ev, const Value& a, const Value& b);
Value str_format(Evaluator& ev, const Value& self, CallArgs& a);  // str.format(*args, **kwargs)

}  // namespace glint::chat::detail
