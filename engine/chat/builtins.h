// Jinja2's builtin filters, tests and global functions, plus the Python
// str/dict/list methods templates call, and the two functions chat templates
// expect from Hugging Face's environment (raise_exception, strftime_now).
#pragma once
#include <string_view>

#include "engine/chat/value.h"

namespace glint::chat {

using FilterFn = Value (*)(Evaluator& ev, const Value& input, CallArgs& args);
using TestFn = bool (*)(Evaluator& ev, const Value& input, CallArgs& args);

FilterFn find_filter(std::string_view name);
TestFn find_test(std::string_view name);

// A global function by name (range, namespace, dict, cycler, joiner,
// raise_exception, strftime_now); undefined if there is none.
Value find_global(std::string_view name);

// obj.name for Python builtin types: a bound method, or nullopt-like
// undefined when the type has no such attribute. Raises SecurityError for
// mutating methods, as Jinja2's immutable sandbox does.
bool find_method(const Value& obj, std::string_view name, Value& out);

// Python's `str % args` formatting (used by the % operator and |format).
Value percent_format(const Value& fmt, const Value& args);

}  // namespace glint::chat
