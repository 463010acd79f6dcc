// Python str/dict/list methods and the loop object's cycle()/changed(),
// as the sandbox exposes them (mutating methods refused).
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <unordered_map>

#include "engine/chat/budget.h"
#include "engine/chat/builtins.h"
#include "engine/chat/builtins_util.h"

namespace glint::chat {

using namespace detail;

namespace {

// ---- str methods ----------------------------------------------------------------

using Method = Value (*)(Evaluator&, const Value& self, CallArgs&);

void fill_char(const Value& v) {
    if (!v.is_string() || utf8_length(v.str()) != 1)
        raise("TypeError", "The fill character must be exactly one character long");
}

Value str_arg(const Value& v, std::string_view what) {
    if (!v.is_string()) raise("TypeError", std::string(what) + " must be str, not " + v.type_name());
    return v;
}

// Optional [start, end] window of str.find/count/startswith, in code points.
std::u32string window(const std::u32string& u, const Args& p, std::size_t si) {
    int64_t n = static_cast<int64_t>(u.size());
    auto norm = [&](const Value& v, int64_t d) {
        if (v.is_none()) return d;
        int64_t x = to_index(v);
        if (x < 0) x = std::max<int64_t>(0, x + n);
        return std::min(x, n);
    };
    int64_t b = norm(p.get(si), 0), e = norm(p.get(si + 1), n);
    if (b > e) return std::u32string();
    return u.substr(static_cast<std::size_t>(b), static_cast<std::size_t>(e - b));
}

int64_t find_impl(const Value& self, CallArgs& a, bool rev, const char* name) {
    Args p(name, a, {"sub", "start", "end"});
    std::u32string u = utf8_decode(self.str());
    const Value& subv = p.get(0);
    if (!subv.is_string()) raise("TypeError", "must be str, not " + subv.type_name());
    const std::string& sub = subv.str();
    int64_t n = static_cast<int64_t>(u.size());
    int64_t start = 0;
    if (!p.get(1).is_none()) {
        start = to_index(p.get(1));
        if (start < 0) start = std::max<int64_t>(0, start + n);
    }
    if (start > n) return -1;
    // Search the UTF-8 bytes of the window, then count code points before the hit.
    std::string w = utf8_encode(window(u, p, 1));
    std::size_t r = rev ? rfind_sub(w, sub) : find_sub(w, sub);
    if (r == std::string::npos) return -1;
    return static_cast<int64_t>(utf8_length(std::string_view(w).substr(0, r))) + start;
}

bool affix_impl(const Value& self, CallArgs& a, bool ends, const char* name) {
    Args p(name, a, {"prefix", "start", "end"});
    std::u32string w = window(utf8_decode(self.str()), p, 1);
    Value what = p.get(0);
    std::vector<Value> options;
    if (what.is_tuple()) options = what.items();
    else options.push_back(what);
    for (const Value& o : options) {
        if (!o.is_string())
            raise("TypeError", std::string(name) + " first arg must be str or a tuple of str, not " + o.type_name());
        std::u32string x = utf8_decode(o.str());
        if (x.size() > w.size()) continue;
        if (ends ? w.compare(w.size() - x.size(), x.size(), x) == 0 : w.compare(0, x.size(), x) == 0) return true;
    }
    return false;
}

template <bool (*Pred)(char32_t)>
Value all_chars(const Value& self) {
    std::u32string u = utf8_decode(self.str());
    if (u.empty()) return Value(false);
    for (char32_t c : u)
        if (!Pred(c)) return Value(false);
    return Value(true);
}

const std::unordered_map<std::string_view, Method>& str_methods() {
    static const std::unordered_map<std::string_view, Method> m = {
        {"capitalize", [](Evaluator&, const Value& s, CallArgs& a) { Args("capitalize", a, {}); return Value(py_capitalize(s.str()), s.is_safe()); }},
        {"casefold", [](Evaluator&, const Value& s, CallArgs& a) { Args("casefold", a, {}); return Value(py_str_lower(s.str()), s.is_safe()); }},
        {"lower", [](Evaluator&, const Value& s, CallArgs& a) { Args("lower", a, {}); return Value(py_str_lower(s.str()), s.is_safe()); }},
        {"upper", [](Evaluator&, const Value& s, CallArgs& a) { Args("upper", a, {}); return Value(py_str_upper(s.str()), s.is_safe()); }},
        {"title", [](Evaluator&, const Value& s, CallArgs& a) { Args("title", a, {}); return Value(py_title(s.str()), s.is_safe()); }},
        {"swapcase", [](Evaluator&, const Value& s, CallArgs& a) {
             Args("swapcase", a, {});
             std::string out;
             for (char32_t c : utf8_decode(s.str())) utf8_append(out, py_lower(c) != c ? py_lower(c) : py_upper(c));
             return Value(out, s.is_safe());
         }},
        {"strip", [](Evaluator&, const Value& s, CallArgs& a) { Args p("strip", a, {"chars"}); return Value(py_strip(s.str(), p.get(0), true, true), s.is_safe()); }},
        {"lstrip", [](Evaluator&, const Value& s, CallArgs& a) { Args p("lstrip", a, {"chars"}); return Value(py_strip(s.str(), p.get(0), true, false), s.is_safe()); }},
        {"rstrip", [](Evaluator&, const Value& s, CallArgs& a) { Args p("rstrip", a, {"chars"}); return Value(py_strip(s.str(), p.get(0), false, true), s.is_safe()); }},
        {"split", [](Evaluator&, const Value& s, CallArgs& a) {
             Args p("split", a, {"sep", "maxsplit"});
             return Value::list(py_split(s, p.get(0), p.has(1) ? to_index(p.get(1)) : -1, false));
         }},
        {"rsplit", [](Evaluator&, const Value& s, CallArgs& a) {
             Args p("rsplit", a, {"sep", "maxsplit"});
             return Value::list(py_split(s, p.get(0), p.has(1) ? to_index(p.get(1)) : -1, true));
         }},
        {"splitlines", [](Evaluator&, const Value& s, CallArgs& a) {
             Args p("splitlines", a, {"keepends"});
             std::vector<Value> out;
             for (auto& l : py_splitlines(s.str(), p.get(0, Value(false)).truthy())) out.emplace_back(std::move(l), s.is_safe());
             return Value::list(std::move(out));
         }},
        {"replace", [](Evaluator& ev, const Value& s, CallArgs& a) {
             Args p("replace", a, {"old", "new", "count"});
             std::string r = py_replace(s.str(), str_arg(p.get(0), "replace() argument 1").str(),
                                        str_arg(p.get(1), "replace() argument 2").str(), p.has(2) ? to_index(p.get(2)) : -1);
             ev.check_size(r.size());
             return Value(std::move(r), s.is_safe());
         }},
        {"startswith", [](Evaluator&, const Value& s, CallArgs& a) { return Value(affix_impl(s, a, false, "startswith")); }},
        {"endswith", [](Evaluator&, const Value& s, CallArgs& a) { return Value(affix_impl(s, a, true, "endswith")); }},
        {"find", [](Evaluator&, const Value& s, CallArgs& a) { return Value(find_impl(s, a, false, "find")); }},
        {"rfind", [](Evaluator&, const Value& s, CallArgs& a) { return Value(find_impl(s, a, true, "rfind")); }},
        {"index", [](Evaluator&, const Value& s, CallArgs& a) {
             int64_t r = find_impl(s, a, false, "index");
             if (r < 0) raise("ValueError", "substring not found");
             return Value(r);
         }},
        {"rindex", [](Evaluator&, const Value& s, CallArgs& a) {
             int64_t r = find_impl(s, a, true, "rindex");
             if (r < 0) raise("ValueError", "substring not found");
             return Value(r);
         }},
        {"count", [](Evaluator&, const Value& s, CallArgs& a) {
             Args p("count", a, {"sub", "start", "end"});
             std::u32string wu = window(utf8_decode(s.str()), p, 1);
             if (!p.get(0).is_string()) raise("TypeError", "must be str, not " + p.get(0).type_name());
             const std::string& sub = p.get(0).str();
             if (sub.empty()) return Value(static_cast<int64_t>(wu.size() + 1));
             std::string w = utf8_encode(wu);
             int64_t n = 0;
             for (std::size_t i = find_sub(w, sub); i != std::string::npos; i = find_sub(w, sub, i + sub.size())) ++n;
             return Value(n);
         }},
        {"join", [](Evaluator& ev, const Value& s, CallArgs& a) {
             Args p("join", a, {"iterable"});
             std::string out;
             bool first = true;
             std::size_t idx = 0;
             for (const Value& v : ev.iterate(p.get(0))) {
                 if (!v.is_string())
                     raise("TypeError", "sequence item " + std::to_string(idx) + ": expected str instance, " + v.type_name() + " found");
                 ++idx;
                 if (!first) out += s.str();
                 first = false;
                 out += (s.is_safe() && !v.is_safe()) ? html_escape(v.str()) : v.str();
                 ev.check_size(out.size());
             }
             return Value(std::move(out), s.is_safe());
         }},
        {"center", [](Evaluator&, const Value& s, CallArgs& a) {
             Args p("center", a, {"width", "fillchar"});
             fill_char(p.get(1, Value(" ")));
             return Value(py_center(s.str(), to_index(p.get(0)), p.get(1, Value(" ")).str(), '^'), s.is_safe());
         }},
        {"ljust", [](Evaluator&, const Value& s, CallArgs& a) {
             Args p("ljust", a, {"width", "fillchar"});
             fill_char(p.get(1, Value(" ")));
             return Value(py_center(s.str(), to_index(p.get(0)), p.get(1, Value(" ")).str(), '<'), s.is_safe());
         }},
        {"rjust", [](Evaluator&, const Value& s, CallArgs& a) {
             Args p("rjust", a, {"width", "fillchar"});
             fill_char(p.get(1, Value(" ")));
             return Value(py_center(s.str(), to_index(p.get(0)), p.get(1, Value(" ")).str(), '>'), s.is_safe());
         }},
        {"zfill", [](Evaluator&, const Value& s, CallArgs& a) {
             Args p("zfill", a, {"width"});
             std::string str = s.str();
             std::string sign;
             if (!str.empty() && (str[0] == '+' || str[0] == '-')) sign = str.substr(0, 1), str.erase(0, 1);
             int64_t w = to_index(p.get(0)) - static_cast<int64_t>(sign.size());
             return Value(sign + py_center(str, w, "0", '>'), s.is_safe());
         }},
        {"removeprefix", [](Evaluator&, const Value& s, CallArgs& a) {
             Args p("removeprefix", a, {"prefix"});
             const std::string& x = str_arg(p.get(0), "removeprefix() argument").str();
             const std::string& str = s.str();
             return Value(str.compare(0, x.size(), x) == 0 ? str.substr(x.size()) : str, s.is_safe());
         }},
        {"removesuffix", [](Evaluator&, const Value& s, CallArgs& a) {
             Args p("removesuffix", a, {"suffix"});
             const std::string& x = str_arg(p.get(0), "removesuffix() argument").str();
             const std::string& str = s.str();
             bool ends = !x.empty() && str.size() >= x.size() && str.compare(str.size() - x.size(), x.size(), x) == 0;
             return Value(ends ? str.substr(0, str.size() - x.size()) : str, s.is_safe());
         }},
        {"partition", [](Evaluator&, const Value& s, CallArgs& a) {
             Args p("partition", a, {"sep"});
             const std::string& sep = str_arg(p.get(0), "partition() argument").str();
             if (sep.empty()) raise("ValueError", "empty separator");
             const std::string& str = s.str();
             std::size_t i = find_sub(str, sep);
             bool safe = s.is_safe();
             if (i == std::string::npos) return Value::tuple({Value(str, safe), Value("", safe), Value("", safe)});
             return Value::tuple({Value(str.substr(0, i), safe), Value(sep, safe), Value(str.substr(i + sep.size()), safe)});
         }},
        {"rpartition", [](Evaluator&, const Value& s, CallArgs& a) {
             Args p("rpartition", a, {"sep"});
             const std::string& sep = str_arg(p.get(0), "rpartition() argument").str();
             if (sep.empty()) raise("ValueError", "empty separator");
             const std::string& str = s.str();
             std::size_t i = rfind_sub(str, sep);
             bool safe = s.is_safe();
             if (i == std::string::npos) return Value::tuple({Value("", safe), Value("", safe), Value(str, safe)});
             return Value::tuple({Value(str.substr(0, i), safe), Value(sep, safe), Value(str.substr(i + sep.size()), safe)});
         }},
        {"format", str_format},
        {"isalpha", [](Evaluator&, const Value& s, CallArgs& a) { Args("isalpha", a, {}); return all_chars<py_isalpha>(s); }},
        {"isalnum", [](Evaluator&, const Value& s, CallArgs& a) { Args("isalnum", a, {}); return all_chars<py_isalnum>(s); }},
        {"isdigit", [](Evaluator&, const Value& s, CallArgs& a) { Args("isdigit", a, {}); return all_chars<py_isdigit>(s); }},
        {"isdecimal", [](Evaluator&, const Value& s, CallArgs& a) { Args("isdecimal", a, {}); return all_chars<py_isdigit>(s); }},
        {"isnumeric", [](Evaluator&, const Value& s, CallArgs& a) { Args("isnumeric", a, {}); return all_chars<py_isdigit>(s); }},
        {"isspace", [](Evaluator&, const Value& s, CallArgs& a) { Args("isspace", a, {}); return all_chars<py_isspace>(s); }},
        {"isascii", [](Evaluator&, const Value& s, CallArgs& a) {
             Args("isascii", a, {});
             for (char c : s.str())
                 if (static_cast<unsigned char>(c) >= 0x80) return Value(false);
             return Value(true);
         }},
        {"islower", [](Evaluator&, const Value& s, CallArgs& a) {
             Args("islower", a, {});
             bool cased = false;
             for (char32_t c : utf8_decode(s.str())) {
                 if (py_upper(c) != c && py_lower(c) == c) cased = true;
                 else if (py_lower(c) != c) return Value(false);
             }
             return Value(cased);
         }},
        {"isupper", [](Evaluator&, const Value& s, CallArgs& a) {
             Args("isupper", a, {});
             bool cased = false;
             for (char32_t c : utf8_decode(s.str())) {
                 if (py_lower(c) != c && py_upper(c) == c) cased = true;
                 else if (py_upper(c) != c) return Value(false);
             }
             return Value(cased);
         }},
        {"istitle", [](Evaluator&, const Value& s, CallArgs& a) {
             Args("istitle", a, {});
             return Value(!s.str().empty() && py_title(s.str()) == s.str() && py_str_lower(s.str()) != s.str());
         }},
    };
    return m;
}

const char* const kUnsafeDict[] = {"clear", "pop", "popitem", "setdefault", "update"};
const char* const kUnsafeList[] = {"append", "extend", "insert", "remove", "reverse", "sort", "pop", "clear"};

Value seq_index(Evaluator& ev, const Value& s, CallArgs& a) {
    Args p("index", a, {"value", "start", "stop"});
    const auto& items = s.items();
    int64_t n = static_cast<int64_t>(items.size());
    auto norm = [&](const Value& v, int64_t d) {
        if (v.is_none()) return d;
        int64_t x = to_index(v);
        if (x < 0) x = std::max<int64_t>(0, x + n);
        return std::min(x, n);
    };
    int64_t b = norm(p.get(1), 0), e = norm(p.get(2), n);
    ev.charge(items.size());
    for (int64_t i = b; i < e; ++i)
        if (py_equal(items[static_cast<std::size_t>(i)], p.get(0))) return Value(i);
    raise("ValueError", p.get(0).repr() + " is not in " + s.type_name());
}

Value seq_count(Evaluator& ev, const Value& s, CallArgs& a) {
    Args p("count", a, {"value"});
    int64_t n = 0;
    ev.charge(s.items().size());
    for (const Value& v : s.items())
        if (py_equal(v, p.get(0))) ++n;
    return Value(n);
}

Value bind_method(const Value& self, std::string_view name, Method m) {
    return Value::native(
        std::string(name), [m, self](Evaluator& ev, CallArgs& a) { return m(ev, self, a); }, self);
}

}  // namespace

bool find_method(const Value& obj, std::string_view name, Value& out) {
    auto unsafe = [&](std::string_view kind) {
        out = Value::unsafe_undefined("access to attribute '" + std::string(name) + "' of '" + std::string(kind) +
                                      "' object is unsafe.");
        return true;
    };
    switch (obj.kind()) {
        case Kind::String: {
            const auto& m = str_methods();
            auto it = m.find(name);
            if (it == m.end()) return false;
            static const std::string_view escaping[] = {"capitalize", "title",  "lower",      "upper",        "replace",
                                                        "ljust",      "rjust",  "lstrip",     "rstrip",       "center",
                                                        "strip",      "swapcase", "zfill",    "removeprefix", "removesuffix",
                                                        "partition",  "rpartition"};
            if (obj.is_safe() && std::find(std::begin(escaping), std::end(escaping), name) != std::end(escaping)) {
                // markupsafe escapes plain-str arguments of Markup's str methods.
                Method fn = it->second;
                out = Value::native(
                    std::string(name),
                    [fn, obj](Evaluator& ev, CallArgs& a) {
                        auto esc = [](Value& v) {
                            if (v.is_string() && !v.is_safe()) v = Value(html_escape(v.str()), true);
                        };
                        for (Value& v : a.pos) esc(v);
                        for (auto& kv : a.kw) esc(kv.second);
                        return fn(ev, obj, a);
                    },
                    obj);
                return true;
            }
            out = bind_method(obj, name, it->second);
            return true;
        }
        case Kind::Dict: {
            for (const char* u : kUnsafeDict)
                if (name == u) return unsafe("dict");
            Method m = nullptr;
            if (name == "items") {
                m = [](Evaluator& ev, const Value& s, CallArgs& a) {
                    Args("items", a, {});
                    std::vector<Value> out;
                    for (const auto& [k, v] : s.dict().items()) out.push_back(Value::tuple({k, v}));
                    ev.charge(out.size());
                    return Value::list(std::move(out));
                };
            } else if (name == "keys") {
                m = [](Evaluator& ev, const Value& s, CallArgs& a) {
                    Args("keys", a, {});
                    std::vector<Value> out;
                    for (const auto& kv : s.dict().items()) out.push_back(kv.first);
                    ev.charge(out.size());
                    return Value::list(std::move(out));
                };
            } else if (name == "values") {
                m = [](Evaluator& ev, const Value& s, CallArgs& a) {
                    Args("values", a, {});
                    std::vector<Value> out;
                    for (const auto& kv : s.dict().items()) out.push_back(kv.second);
                    ev.charge(out.size());
                    return Value::list(std::move(out));
                };
            } else if (name == "get") {
                m = [](Evaluator&, const Value& s, CallArgs& a) {
                    Args p("get", a, {"key", "default"});
                    Value key = p.get(0);
                    if (!is_hashable(key)) raise("TypeError", "unhashable type: '" + key.type_name() + "'");
                    const Value* v = s.dict().find(key);
                    return v ? *v : p.get(1);
                };
            } else if (name == "copy") {
                m = [](Evaluator&, const Value& s, CallArgs& a) {
                    Args("copy", a, {});
                    return s;
                };
            }
            if (!m) return false;
            out = bind_method(obj, name, m);
            return true;
        }
        case Kind::List:
        case Kind::Tuple: {
            if (obj.is_list())
                for (const char* u : kUnsafeList)
                    if (name == u) return unsafe("list");
            Method m = nullptr;
            if (name == "index") m = seq_index;
            else if (name == "count") m = seq_count;
            else if (name == "copy" && obj.is_list())
                m = [](Evaluator&, const Value& s, CallArgs& a) {
                    Args("copy", a, {});
                    return s;
                };
            if (!m) return false;
            out = bind_method(obj, name, m);
            return true;
        }
        case Kind::Loop: {
            if (name == "cycle") {
                out = bind_method(obj, name, [](Evaluator&, const Value& s, CallArgs& a) {
                    if (!a.kw.empty()) raise("TypeError", "cycle() takes no keyword arguments");
                    if (a.pos.empty()) raise("TypeError", "no items for cycling given");
                    return a.pos[s.loop_data().index0 % a.pos.size()];
                });
                return true;
            }
            if (name == "changed") {
                out = bind_method(obj, name, [](Evaluator&, const Value& s, CallArgs& a) {
                    LoopData& l = s.loop_data();
                    bool same = l.has_last_changed && l.last_changed.size() == a.pos.size();
                    for (std::size_t i = 0; same && i < a.pos.size(); ++i) same = py_equal(l.last_changed[i], a.pos[i]);
                    l.last_changed = a.pos;
                    l.has_last_changed = true;
                    return Value(!same);
                });
                return true;
            }
            return false;
        }
        default: return false;
    }
}

}  // namespace glint::chat
