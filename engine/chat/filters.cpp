// Jinja2's builtin filters and tests (jinja2/filters.py, jinja2/tests.py),
// with the environment's autoescape off as chat templates render.
#include <algorithm>
#include <cmath>
#include <unordered_map>

#include "engine/chat/budget.h"
#include "engine/chat/builtins.h"
#include "engine/chat/builtins_util.h"
#include "engine/chat/json.h"

namespace glint::chat {

using namespace detail;

namespace {

Value lower_if_str(const Value& v) { return v.is_string() ? Value(py_str_lower(v.str()), v.is_safe()) : v; }

// Jinja2 filters written as Python generators run lazily: an error inside
// one surfaces only when the result is consumed. We produce the items now
// and keep the error for the consumer (limits still fire at once).
template <class Produce>
Value generator(Produce&& produce, std::string type_name = "generator") {
    auto d = std::make_shared<IteratorData>();
    d->type_name = std::move(type_name);
    try {
        produce(d->items);
    } catch (RenderError& e) {
        if (e.type == "LimitError" || e.type == "RecursionError") throw;
        d->failed = true;
        d->error = std::move(e);
    }
    return Value::iterator(std::move(d));
}

// Jinja2's make_attrgetter: "a.b.0" walks items (getitem), digits as ints.
struct AttrGetter {
    std::vector<Value> parts;
    bool lower = false;
    Value dflt;  // undefined: none given

    AttrGetter(const Value& attribute, bool lower_case, Value default_value = Value())
        : lower(lower_case), dflt(std::move(default_value)) {
        if (attribute.is_none() || attribute.is_undefined()) return;
        if (attribute.is_integral()) {
            parts.push_back(Value(attribute.as_int()));
            return;
        }
        std::string a = attribute.to_str();
        std::size_t i = 0;
        while (true) {
            std::size_t j = a.find('.', i);
            std::string p = a.substr(i, j == std::string::npos ? std::string::npos : j - i);
            bool digits = !p.empty() && std::all_of(p.begin(), p.end(), [](char c) { return c >= '0' && c <= '9'; });
            if (digits && p.size() < 18) parts.push_back(Value(static_cast<int64_t>(std::stoll(p))));
            else parts.push_back(Value(p));
            if (j == std::string::npos) break;
            i = j + 1;
        }
    }
    Value operator()(Evaluator& ev, Value item) const {
        for (const Value& p : parts) {
            item = ev.getitem(item, p);
            if (!dflt.is_undefined() && item.is_undefined()) item = dflt;
        }
        return lower ? lower_if_str(item) : item;
    }
};

// Stable merge sort (Python's sort is stable, also with reverse=True).
void stable_sort_values(Evaluator& ev, std::vector<Value>& items, const std::vector<Value>& keys, bool reverse) {
    std::size_t n = items.size();
    std::vector<std::size_t> idx(n), tmp(n);
    for (std::size_t i = 0; i < n; ++i) idx[i] = i;
    auto less = [&](std::size_t a, std::size_t b) {
        return reverse ? py_less(keys[b], keys[a]) : py_less(keys[a], keys[b]);
    };
    for (std::size_t width = 1; width < n; width *= 2) {
        ev.charge(n);
        for (std::size_t lo = 0; lo < n; lo += 2 * width) {
            std::size_t mid = std::min(lo + width, n), hi = std::min(lo + 2 * width, n);
            std::size_t i = lo, j = mid, k = lo;
            while (i < mid && j < hi) tmp[k++] = less(idx[j], idx[i]) ? idx[j++] : idx[i++];
            while (i < mid) tmp[k++] = idx[i++];
            while (j < hi) tmp[k++] = idx[j++];
        }
        idx.swap(tmp);
    }
    std::vector<Value> out;
    out.reserve(n);
    for (std::size_t i : idx) out.push_back(items[i]);
    items = std::move(out);
}

// ---- filters -------------------------------------------------------------------

Value f_abs(Evaluator&, const Value& v, CallArgs& a) {
    Args("abs", a, {});
    if (v.is_integral()) {
        int64_t x = v.as_int();
        if (x == INT64_MIN) raise("OverflowError", "integer result does not fit in 64 bits");
        return Value(x < 0 ? -x : x);
    }
    if (v.is_float()) return Value(std::fabs(v.as_double()));
    raise("TypeError", "bad operand type for abs(): '" + v.type_name() + "'");  // Undefined has no __abs__ either
}

Value f_attr(Evaluator& ev, const Value& v, CallArgs& a) {
    Args p("attr", a, {"name"});
    // Python getattr() only: unlike `.name`, no fallback to dict items.
    std::string name = p.get(0).to_str();
    if (v.is_dict()) {
        Value m;
        if (find_method(v, name, m)) return m;
        return Value::undefined(no_attribute(v, name));
    }
    return ev.getattr(v, name);
}

Value f_batch(Evaluator& ev, const Value& v, CallArgs& a) {
    Args p("batch", a, {"linecount", "fill_with"});
    return generator([&](std::vector<Value>& out) {
        int64_t n = to_index(p.get(0));
        if (n <= 0) raise("ValueError", "batch size must be positive");
        std::vector<Value> cur;
        for (const Value& x : ev.iterate(v)) {
            cur.push_back(x);
            if (static_cast<int64_t>(cur.size()) == n) out.push_back(Value::list(std::move(cur))), cur.clear();
        }
        if (!cur.empty()) {
            if (p.has(1) && !p.get(1).is_none()) {
                ev.charge(static_cast<uint64_t>(n) - cur.size());
                check_bytes((static_cast<std::size_t>(n) - cur.size()) * 16);  // bounds the padding like a string
                while (static_cast<int64_t>(cur.size()) < n) cur.push_back(p.get(1));
            }
            out.push_back(Value::list(std::move(cur)));
        }
    });
}

Value f_capitalize(Evaluator&, const Value& v, CallArgs& a) {
    Args("capitalize", a, {});
    Value s = soft_str(v);
    return Value(py_capitalize(s.str()), s.is_safe());
}

Value f_center(Evaluator&, const Value& v, CallArgs& a) {
    Args p("center", a, {"width"});
    Value s = soft_str(v);
    return Value(py_center(s.str(), p.has(0) ? to_index(p.get(0)) : 80, " ", '^'), s.is_safe());
}

Value f_length(Evaluator&, const Value& v, CallArgs& a) {
    Args("length", a, {});
    return Value(static_cast<int64_t>(py_len(v)));
}

Value f_default(Evaluator&, const Value& v, CallArgs& a) {
    Args p("default", a, {"default_value", "boolean"});
    bool boolean = p.get(1, Value(false)).truthy();
    if (v.is_undefined() || (boolean && !v.truthy())) return p.get(0, Value(""));
    return v;
}

Value f_dictsort(Evaluator& ev, const Value& v, CallArgs& a) {
    Args p("dictsort", a, {"case_sensitive", "by", "reverse"});
    if (v.is_undefined()) raise_undefined(v);
    if (!v.is_dict()) raise("AttributeError", "'" + v.type_name() + "' object has no attribute 'items'");
    bool cs = p.get(0, Value(false)).truthy();
    std::string by = p.get(1, Value("key")).to_str();
    int pos;
    if (by == "key") pos = 0;
    else if (by == "value") pos = 1;
    else raise("FilterArgumentError", "You can only sort by either \"key\" or \"value\"");
    std::vector<Value> items, keys;
    for (const auto& [k, val] : v.dict().items()) {
        items.push_back(Value::tuple({k, val}));
        const Value& key = pos == 0 ? k : val;
        keys.push_back(cs ? key : lower_if_str(key));
    }
    stable_sort_values(ev, items, keys, p.get(2, Value(false)).truthy());
    return Value::list(std::move(items));
}

Value f_escape(Evaluator&, const Value& v, CallArgs& a) {
    Args("escape", a, {});
    if (v.is_string() && v.is_safe()) return v;
    return Value(html_escape(v.to_str()), true);
}

Value f_forceescape(Evaluator&, const Value& v, CallArgs& a) {
    Args("forceescape", a, {});
    return Value(html_escape(v.to_str()), true);
}

Value f_first(Evaluator& ev, const Value& v, CallArgs& a) {
    Args("first", a, {});
    if (v.is_iterator()) {  // next(): takes one item only
        IteratorData& it = v.iter_data();
        if (it.pos < it.items.size()) return it.items[it.pos++];
        ev.iterate(v);  // raises a deferred error, if any
    } else if (v.is_sequence()) {
        if (!v.items().empty()) return v.items()[0];
    } else {
        std::vector<Value> items = ev.iterate(v);
        if (!items.empty()) return items[0];
    }
    return Value::undefined("No first item, sequence was empty.");
}

Value f_last(Evaluator& ev, const Value& v, CallArgs& a) {
    Args("last", a, {});
    if (!v.is_sequence() && !v.is_string() && !v.is_dict() && !v.is_undefined())
        raise("TypeError", "'" + v.type_name() + "' object is not reversible");
    if (v.is_sequence()) {
        if (!v.items().empty()) return v.items().back();
    } else {
        std::vector<Value> items = ev.iterate(v);
        if (!items.empty()) return items.back();
    }
    return Value::undefined("No last item, sequence was empty.");
}

Value f_float(Evaluator&, const Value& v, CallArgs& a) {
    Args p("float", a, {"default"});
    if (v.is_undefined()) raise_undefined(v);  // Undefined.__float__ raises; |float does not catch that
    if (v.is_number()) return Value(v.as_double());
    double d;
    if (v.is_string() && py_parse_float(v.str(), d)) return Value(d);
    return p.get(0, Value(0.0));
}

Value f_int(Evaluator&, const Value& v, CallArgs& a) {
    Args p("int", a, {"default", "base"});
    Value dflt = p.get(0, Value(int64_t{0}));
    int64_t base = p.has(1) ? to_index(p.get(1)) : 10;
    if (v.is_undefined()) raise_undefined(v);  // Undefined.__int__ raises; |int does not catch that
    if (v.is_integral()) return Value(v.as_int());
    double d;
    if (v.is_string()) {
        int64_t i;
        if (py_parse_int(v.str(), base, i)) return Value(i);
        if (!py_parse_float(v.str(), d)) return dflt;
    } else if (v.is_float()) {
        d = v.as_double();
    } else {
        return dflt;
    }
    if (std::isnan(d)) return dflt;  // int(nan) raises ValueError, which |int turns into the default
    if (!std::isfinite(d) || std::fabs(d) >= 9.2e18) raise("OverflowError", "cannot convert float infinity to integer");
    return Value(static_cast<int64_t>(std::trunc(d)));
}

Value f_format(Evaluator&, const Value& v, CallArgs& a) {
    if (!a.pos.empty() && !a.kw.empty())
        raise("FilterArgumentError", "can't handle positional and keyword arguments at the same time");
    Value fmt = soft_str(v);
    if (!a.kw.empty()) {
        DictData d;
        for (auto& [k, x] : a.kw) d.set(Value(k), x);
        return percent_format(fmt, Value::dict(std::move(d)));
    }
    return percent_format(fmt, Value::tuple(a.pos));
}

Value f_indent(Evaluator& ev, const Value& v, CallArgs& a) {
    Args p("indent", a, {"width", "first", "blank"});
    Value width = p.get(0, Value(int64_t{4}));
    std::string ind;
    if (width.is_string()) {
        ind = width.str();
    } else {
        int64_t w = to_index(width);
        if (w > (1 << 20)) raise("MemoryError", "indent width too large");
        ind.assign(static_cast<std::size_t>(std::max<int64_t>(w, 0)), ' ');
    }
    bool first = p.get(1, Value(false)).truthy(), blank = p.get(2, Value(false)).truthy();
    // Jinja2 starts with `s += "\n"` on the value as given, so non-strings fail.
    if (v.is_undefined()) raise_undefined(v);
    if (v.is_list()) raise("AttributeError", "'list' object has no attribute 'splitlines'");
    if (v.is_tuple()) raise("TypeError", "can only concatenate tuple (not \"str\") to tuple");
    if (!v.is_string()) raise("TypeError", "unsupported operand type(s) for +=: '" + v.type_name() + "' and 'str'");
    const Value& s = v;
    // Jinja2 appends a newline before splitlines(), so a trailing newline survives.
    std::vector<std::string> lines = py_splitlines(s.str() + "\n", false);
    std::string out;
    for (std::size_t i = 0; i < lines.size(); ++i) {
        if (i) {
            out += "\n";
            if (blank || !lines[i].empty()) out += ind;
        }
        out += lines[i];
        ev.check_size(out.size());
    }
    if (first) out = ind + out;
    ev.charge(out.size() / 64);
    return Value(std::move(out), s.is_safe());
}

Value f_items(Evaluator& ev, const Value& v, CallArgs& a) {
    Args("items", a, {});
    return generator([&](std::vector<Value>& out) {
        if (v.is_undefined()) return;
        if (!v.is_dict()) raise("TypeError", "Can only get item pairs from a mapping.");
        for (const auto& [k, x] : v.dict().items()) out.push_back(Value::tuple({k, x}));
        ev.charge(out.size());
    });
}

Value f_join(Evaluator& ev, const Value& v, CallArgs& a) {
    Args p("join", a, {"d", "attribute"});
    std::string sep = p.get(0, Value("")).to_str();
    AttrGetter get(p.get(1), false);
    std::string out;
    bool first = true;
    for (const Value& x : ev.iterate(v)) {
        if (!first) out += sep;
        first = false;
        Value item = get.parts.empty() ? x : get(ev, x);
        out += item.is_string() ? item.str() : item.to_str();
        ev.check_size(out.size());
    }
    ev.charge(out.size() / 64);
    return Value(std::move(out));
}

Value f_list(Evaluator& ev, const Value& v, CallArgs& a) {
    Args("list", a, {});
    return Value::list(ev.iterate(v));
}

Value f_lower(Evaluator&, const Value& v, CallArgs& a) {
    Args("lower", a, {});
    Value s = soft_str(v);
    return Value(py_str_lower(s.str()), s.is_safe());
}

Value f_upper(Evaluator&, const Value& v, CallArgs& a) {
    Args("upper", a, {});
    Value s = soft_str(v);
    return Value(py_str_upper(s.str()), s.is_safe());
}

Value f_map(Evaluator& ev, const Value& v, CallArgs& a) {
    return generator([&](std::vector<Value>& out) {
    if (!v.truthy()) return;  // Jinja2 maps nothing over a falsy value (even None)
    std::vector<Value> items = ev.iterate(v);
    out.reserve(items.size());
    if (a.pos.empty()) {
        Value attribute, dflt;
        bool have_attr = false;
        for (auto& [k, x] : a.kw) {
            if (k == "attribute") attribute = x, have_attr = true;
            else if (k == "default") dflt = x;
            else raise("FilterArgumentError", "Unexpected keyword argument '" + k + "'");
        }
        if (!have_attr) raise("FilterArgumentError", "map requires a filter argument");
        AttrGetter get(attribute, false, dflt.is_none() ? Value() : dflt);
        for (const Value& x : items) out.push_back(get(ev, x));
        return;
    }
    std::string name = a.pos[0].to_str();
    CallArgs rest;
    rest.pos.assign(a.pos.begin() + 1, a.pos.end());
    rest.kw = a.kw;
    for (const Value& x : items) {
        CallArgs copy = rest;
        out.push_back(ev.apply_filter(name, x, copy));
    }
    });
}

Value select_impl(Evaluator& ev, const Value& v, CallArgs& a, bool attr, bool keep) {
    return generator([&](std::vector<Value>& out) {
    if (!v.truthy()) return;  // Jinja2 selects nothing from a falsy value (even None)
    std::size_t off = 0;
    AttrGetter get(Value(), false);
    if (attr) {
        if (a.pos.empty()) raise("FilterArgumentError", "Missing parameter for attribute name");
        get = AttrGetter(a.pos[0], false);
        off = 1;
    }
    bool have_test = a.pos.size() > off;
    std::string test = have_test ? a.pos[off].to_str() : "";
    CallArgs targs;
    if (have_test) {
        targs.pos.assign(a.pos.begin() + static_cast<std::ptrdiff_t>(off + 1), a.pos.end());
        targs.kw = a.kw;
    }
    for (const Value& x : ev.iterate(v)) {
        Value item = attr ? get(ev, x) : x;
        bool r;
        if (have_test) {
            CallArgs copy = targs;
            r = ev.apply_test(test, item, copy);
        } else {
            r = item.truthy();
        }
        if (r == keep) out.push_back(x);
    }
    });
}

Value f_select(Evaluator& ev, const Value& v, CallArgs& a) { return select_impl(ev, v, a, false, true); }
Value f_reject(Evaluator& ev, const Value& v, CallArgs& a) { return select_impl(ev, v, a, false, false); }
Value f_selectattr(Evaluator& ev, const Value& v, CallArgs& a) { return select_impl(ev, v, a, true, true); }
Value f_rejectattr(Evaluator& ev, const Value& v, CallArgs& a) { return select_impl(ev, v, a, true, false); }

Value min_max(Evaluator& ev, const Value& v, CallArgs& a, bool want_max, const char* name) {
    Args p(name, a, {"case_sensitive", "attribute"});
    AttrGetter get(p.get(1), !p.get(0, Value(false)).truthy());
    std::vector<Value> items = ev.iterate(v);
    if (items.empty()) return Value::undefined("No aggregated item, sequence was empty.");
    std::size_t best = 0;
    Value best_key = get(ev, items[0]);
    for (std::size_t i = 1; i < items.size(); ++i) {
        Value k = get(ev, items[i]);
        if (py_compare(k, best_key, want_max ? ">" : "<")) best = i, best_key = k;  // as Python's max()/min()
    }
    return items[best];
}

Value f_max(Evaluator& ev, const Value& v, CallArgs& a) { return min_max(ev, v, a, true, "max"); }
Value f_min(Evaluator& ev, const Value& v, CallArgs& a) { return min_max(ev, v, a, false, "min"); }

Value f_replace(Evaluator& ev, const Value& v, CallArgs& a) {
    Args p("replace", a, {"old", "new", "count"});
    int64_t count = p.has(2) && !p.get(2).is_none() ? to_index(p.get(2)) : -1;
    std::string r = py_replace(v.to_str(), p.get(0).to_str(), p.get(1).to_str(), count);
    ev.check_size(r.size());
    ev.charge(r.size() / 64);
    return Value(std::move(r));
}

Value f_reverse(Evaluator& ev, const Value& v, CallArgs& a) {
    Args("reverse", a, {});
    if (v.is_string()) {
        std::u32string u = utf8_decode(v.str());
        std::reverse(u.begin(), u.end());
        return Value(utf8_encode(u), v.is_safe());
    }
    if (v.is_sequence() || v.is_dict() || v.is_undefined()) {  // reversed(): an iterator
        std::vector<Value> items = ev.iterate(v);
        std::reverse(items.begin(), items.end());
        const char* type = v.is_dict() ? "dict_reversekeyiterator" : v.is_undefined() ? "reversed"
                           : v.is_tuple() ? "reversed" : "list_reverseiterator";
        return generator([&](std::vector<Value>& out) { out = std::move(items); }, type);
    }
    if (!v.is_iterator() && !v.is_loop()) raise("FilterArgumentError", "argument must be iterable");
    std::vector<Value> items = ev.iterate(v);  // not reversible: list(value), reversed
    std::reverse(items.begin(), items.end());
    return Value::list(std::move(items));
}

Value f_round(Evaluator&, const Value& v, CallArgs& a) {
    Args p("round", a, {"precision", "method"});
    int64_t prec = p.has(0) ? to_index(p.get(0)) : 0;
    std::string method = p.get(1, Value("common")).to_str();
    if (method != "common" && method != "ceil" && method != "floor")
        raise("FilterArgumentError", "method must be common, ceil or floor");
    if (!v.is_number()) raise("TypeError", "type " + v.type_name() + " doesn't define __round__ method");
    if (method == "common") return py_round(v, prec);
    double scale = std::pow(10.0, static_cast<double>(prec));
    double x = v.as_double() * scale;
    x = method == "ceil" ? std::ceil(x) : std::floor(x);
    return Value(x / scale);
}

Value f_safe(Evaluator&, const Value& v, CallArgs& a) {
    Args("safe", a, {});
    if (v.is_string() && v.is_safe()) return v;
    return Value(v.to_str(), true);
}

Value f_slice(Evaluator& ev, const Value& v, CallArgs& a) {
    Args p("slice", a, {"slices", "fill_with"});
    return generator([&](std::vector<Value>& out) {
    int64_t slices = to_index(p.get(0));
    if (slices <= 0 || slices > 100000) raise("ValueError", "slice count must be between 1 and 100000");
    std::vector<Value> seq = ev.iterate(v);
    std::size_t length = seq.size();
    std::size_t per = length / static_cast<std::size_t>(slices);
    std::size_t with_extra = length % static_cast<std::size_t>(slices);
    std::size_t offset = 0;
    for (std::size_t i = 0; i < static_cast<std::size_t>(slices); ++i) {
        std::size_t start = offset + i * per;
        if (i < with_extra) ++offset;
        std::size_t end = offset + (i + 1) * per;
        std::vector<Value> part(seq.begin() + static_cast<std::ptrdiff_t>(start), seq.begin() + static_cast<std::ptrdiff_t>(end));
        if (p.has(1) && !p.get(1).is_none() && i >= with_extra) part.push_back(p.get(1));
        out.push_back(Value::list(std::move(part)));
    }
    });
}

Value f_sort(Evaluator& ev, const Value& v, CallArgs& a) {
    Args p("sort", a, {"reverse", "case_sensitive", "attribute"});
    bool cs = p.get(1, Value(false)).truthy();
    std::vector<Value> items = ev.iterate(v);
    std::vector<AttrGetter> getters;
    Value attr = p.get(2);
    if (attr.is_string() && attr.str().find(',') != std::string::npos) {
        for (const Value& part : py_split(attr, Value(","), -1, false))
            getters.emplace_back(Value(py_strip(part.str(), Value::none(), true, true)), !cs);
    } else {
        getters.emplace_back(attr, !cs);
    }
    std::vector<Value> keys;
    keys.reserve(items.size());
    for (const Value& x : items) {
        if (getters.size() == 1) {
            keys.push_back(getters[0](ev, x));
        } else {
            std::vector<Value> k;
            for (const auto& g : getters) k.push_back(g(ev, x));
            keys.push_back(Value::list(std::move(k)));
        }
    }
    stable_sort_values(ev, items, keys, p.get(0, Value(false)).truthy());
    return Value::list(std::move(items));
}

Value f_string(Evaluator&, const Value& v, CallArgs& a) {
    Args("string", a, {});
    return soft_str(v);
}

Value f_sum(Evaluator& ev, const Value& v, CallArgs& a) {
    Args p("sum", a, {"attribute", "start"});
    AttrGetter get(p.get(0), false);
    Value total = p.get(1, Value(int64_t{0}));
    for (const Value& x : ev.iterate(v)) total = py_add(ev, total, get.parts.empty() ? x : get(ev, x));
    return total;
}

Value f_title(Evaluator&, const Value& v, CallArgs& a) {
    Args("title", a, {});
    // Jinja2 splits at runs of whitespace and -({[< and capitalises each piece.
    std::u32string u = utf8_decode(v.to_str());
    auto is_sep = [](char32_t c) { return py_isspace(c) || c == '-' || c == '(' || c == '{' || c == '[' || c == '<'; };
    std::string out;
    std::size_t i = 0;
    while (i < u.size()) {
        std::size_t j = i;
        bool sep = is_sep(u[i]);
        while (j < u.size() && is_sep(u[j]) == sep) ++j;
        for (std::size_t k = i; k < j; ++k) utf8_append(out, sep ? u[k] : (k == i ? py_upper(u[k]) : py_lower(u[k])));
        i = j;
    }
    return Value(std::move(out));
}

Value f_tojson(Evaluator& ev, const Value& v, CallArgs& a) {
    Args p("tojson", a, {"indent"});
    JsonDumpOptions o;
    o.sort_keys = true;  // Jinja2's default json.dumps_kwargs
    o.html_safe = true;
    Value ind = p.get(0);
    if (ind.is_string()) o.indent = ind.str();
    else if (ind.is_integral()) o.indent = std::string(static_cast<std::size_t>(std::clamp<int64_t>(ind.as_int(), 0, 1 << 10)), ' ');
    else if (!ind.is_none()) raise("TypeError", "indent must be an int or a str");
    std::string s = dump_json(v, o);
    ev.check_size(s.size());
    ev.charge(s.size() / 64);
    return Value(std::move(s), true);
}

Value f_trim(Evaluator&, const Value& v, CallArgs& a) {
    Args p("trim", a, {"chars"});
    Value s = soft_str(v);
    return Value(py_strip(s.str(), p.get(0), true, true), s.is_safe());
}

Value f_truncate(Evaluator&, const Value& v, CallArgs& a) {
    Args p("truncate", a, {"length", "killwords", "end", "leeway"});
    int64_t length = p.has(0) ? to_index(p.get(0)) : 255;
    bool killwords = p.get(1, Value(false)).truthy();
    std::string end = p.get(2, Value("...")).to_str();
    int64_t leeway = p.has(3) && !p.get(3).is_none() ? to_index(p.get(3)) : 5;
    std::u32string e = utf8_decode(end);
    if (length < static_cast<int64_t>(e.size()))
        raise("AssertionError", "expected length >= " + std::to_string(e.size()) + ", got " + std::to_string(length));
    if (leeway < 0) raise("AssertionError", "expected leeway >= 0, got " + std::to_string(leeway));
    if (!v.is_string()) {  // Jinja2 takes len() of the value as given
        if (static_cast<int64_t>(py_len(v)) <= length + leeway) return v;
        raise("AttributeError", "'" + v.type_name() + "' object has no attribute 'rsplit'");
    }
    std::u32string u = utf8_decode(v.str());
    if (static_cast<int64_t>(u.size()) <= length + leeway) return v;
    std::u32string head = u.substr(0, static_cast<std::size_t>(length) - e.size());
    if (!killwords) {
        std::size_t sp = head.rfind(U' ');
        if (sp != std::u32string::npos) head.resize(sp);
    }
    return Value(utf8_encode(head) + end);
}

Value f_unique(Evaluator& ev, const Value& v, CallArgs& a) {
    Args p("unique", a, {"case_sensitive", "attribute"});
    AttrGetter get(p.get(1), !p.get(0, Value(false)).truthy());
    return generator([&](std::vector<Value>& out) {
        DictData seen;
        for (const Value& x : ev.iterate(v)) {
            Value key = get(ev, x);
            if (!is_hashable(key)) raise("TypeError", "unhashable type: '" + key.type_name() + "'");
            if (seen.find(key)) continue;
            seen.set(key, Value(true));
            out.push_back(x);
        }
    });
}

Value f_wordcount(Evaluator&, const Value& v, CallArgs& a) {
    Args("wordcount", a, {});
    int64_t n = 0;
    bool in_word = false;
    for (char32_t c : utf8_decode(v.to_str())) {
        bool w = py_isalnum(c) || c == '_' || (c >= 0x80 && !py_isspace(c) && py_isprintable(c) && py_isalpha(c));
        if (w && !in_word) ++n;
        in_word = w;
    }
    return Value(n);
}

const std::unordered_map<std::string_view, FilterFn>& filters() {
    static const std::unordered_map<std::string_view, FilterFn> m = {
        {"abs", f_abs},         {"attr", f_attr},           {"batch", f_batch},
        {"capitalize", f_capitalize}, {"center", f_center}, {"count", f_length},
        {"d", f_default},       {"default", f_default},     {"dictsort", f_dictsort},
        {"e", f_escape},        {"escape", f_escape},       {"first", f_first},
        {"float", f_float},     {"forceescape", f_forceescape}, {"format", f_format},
        {"indent", f_indent},   {"int", f_int},             {"items", f_items},
        {"join", f_join},       {"last", f_last},           {"length", f_length},
        {"list", f_list},       {"lower", f_lower},         {"map", f_map},
        {"max", f_max},         {"min", f_min},             {"reject", f_reject},
        {"rejectattr", f_rejectattr}, {"replace", f_replace}, {"reverse", f_reverse},
        {"round", f_round},     {"safe", f_safe},           {"select", f_select},
        {"selectattr", f_selectattr}, {"slice", f_slice},   {"sort", f_sort},
        {"string", f_string},   {"sum", f_sum},             {"title", f_title},
        {"tojson", f_tojson},   {"trim", f_trim},           {"truncate", f_truncate},
        {"unique", f_unique},   {"upper", f_upper},         {"wordcount", f_wordcount},
    };
    return m;
}

// ---- tests -----------------------------------------------------------------

Value one_arg(const char* name, CallArgs& a) {
    Args p(name, a, {"other"});
    if (!p.has(0)) raise("TypeError", std::string(name) + "() missing 1 required positional argument: 'other'");
    return p.get(0);
}

// Tests that take only the value reject arguments the way Python would.
void no_args(const char* name, const CallArgs& a) {
    if (!a.kw.empty())
        raise("TypeError", std::string("test_") + name + "() got an unexpected keyword argument '" + a.kw[0].first + "'");
    if (!a.pos.empty())
        raise("TypeError", std::string("test_") + name + "() takes 1 positional argument but " +
                               std::to_string(a.pos.size() + 1) + " were given");
}

bool t_defined(Evaluator&, const Value& v, CallArgs& a) {
    no_args("defined", a);
    return !v.is_undefined(); }
bool t_undefined(Evaluator&, const Value& v, CallArgs& a) {
    no_args("undefined", a);
    return v.is_undefined(); }
bool t_none(Evaluator&, const Value& v, CallArgs& a) {
    no_args("none", a);
    return v.is_none(); }
bool t_boolean(Evaluator&, const Value& v, CallArgs& a) {
    no_args("boolean", a);
    return v.is_bool(); }
bool t_false(Evaluator&, const Value& v, CallArgs& a) {
    no_args("false", a);
    return v.is_bool() && !v.as_bool(); }
bool t_true(Evaluator&, const Value& v, CallArgs& a) {
    no_args("true", a);
    return v.is_bool() && v.as_bool(); }
bool t_integer(Evaluator&, const Value& v, CallArgs& a) {
    no_args("integer", a);
    return v.is_int(); }
bool t_float(Evaluator&, const Value& v, CallArgs& a) {
    no_args("float", a);
    return v.is_float(); }
bool t_number(Evaluator&, const Value& v, CallArgs& a) {
    no_args("number", a);
    return v.is_number(); }
bool t_string(Evaluator&, const Value& v, CallArgs& a) {
    no_args("string", a);
    return v.is_string(); }
bool t_mapping(Evaluator&, const Value& v, CallArgs& a) {
    no_args("mapping", a);
    return v.is_dict(); }
bool t_iterable(Evaluator&, const Value& v, CallArgs& a) {
    no_args("iterable", a);
   
    return v.is_string() || v.is_sequence() || v.is_dict() || v.is_undefined() || v.is_loop() || v.is_iterator();
}
bool t_sequence(Evaluator&, const Value& v, CallArgs& a) {
    no_args("sequence", a);
   
    return v.is_string() || v.is_sequence() || v.is_dict() || v.is_undefined();
}
bool t_callable(Evaluator&, const Value& v, CallArgs& a) {
    no_args("callable", a);
    return v.is_function() || v.is_loop(); }
bool t_escaped(Evaluator&, const Value& v, CallArgs& a) {
    no_args("escaped", a);
    return v.is_string() && v.is_safe(); }
bool t_sameas(Evaluator&, const Value& v, CallArgs& a) {
    Value o = one_arg("sameas", a);
    if (v.kind() != o.kind()) return false;
    switch (v.kind()) {
        case Kind::None:
        case Kind::Undefined: return true;
        case Kind::Bool: return v.as_bool() == o.as_bool();
        case Kind::Int: return v.as_int() == o.as_int() && v.as_int() >= -5 && v.as_int() <= 256;  // CPython's small ints
        case Kind::Float: return false;
        default: return v.identity() == o.identity();
    }
}
bool t_in(Evaluator& ev, const Value& v, CallArgs& a) { return ev.contains(one_arg("in", a), v); }
bool t_eq(Evaluator&, const Value& v, CallArgs& a) { return py_equal(v, one_arg("eq", a)); }
bool t_ne(Evaluator&, const Value& v, CallArgs& a) { return !py_equal(v, one_arg("ne", a)); }
bool t_lt(Evaluator&, const Value& v, CallArgs& a) { return py_compare(v, one_arg("lt", a), "<"); }
bool t_le(Evaluator&, const Value& v, CallArgs& a) { return py_compare(v, one_arg("le", a), "<="); }
bool t_gt(Evaluator&, const Value& v, CallArgs& a) { return py_compare(v, one_arg("gt", a), ">"); }
bool t_ge(Evaluator&, const Value& v, CallArgs& a) { return py_compare(v, one_arg("ge", a), ">="); }
bool t_lower(Evaluator&, const Value& v, CallArgs& a) {
    no_args("lower", a);
   
    std::string s = v.to_str();
    return py_str_lower(s) == s && py_str_upper(s) != s;
}
bool t_upper(Evaluator&, const Value& v, CallArgs& a) {
    no_args("upper", a);
   
    std::string s = v.to_str();
    return py_str_upper(s) == s && py_str_lower(s) != s;
}
bool t_odd(Evaluator& ev, const Value& v, CallArgs& a) {
    no_args("odd", a);
   
    return py_equal(ev.binary_op("%", v, Value(int64_t{2})), Value(int64_t{1}));
}
bool t_even(Evaluator& ev, const Value& v, CallArgs& a) {
    no_args("even", a);
   
    return py_equal(ev.binary_op("%", v, Value(int64_t{2})), Value(int64_t{0}));
}
bool t_divisibleby(Evaluator& ev, const Value& v, CallArgs& a) {
    Args p("divisibleby", a, {"num"});
    return py_equal(ev.binary_op("%", v, p.get(0)), Value(int64_t{0}));
}
bool t_filter(Evaluator&, const Value& v, CallArgs& a) {
    no_args("filter", a);
    return v.is_string() && find_filter(v.str()) != nullptr; }
bool t_test(Evaluator&, const Value& v, CallArgs& a) {
    no_args("test", a);
    return v.is_string() && find_test(v.str()) != nullptr; }

const std::unordered_map<std::string_view, TestFn>& tests() {
    static const std::unordered_map<std::string_view, TestFn> m = {
        {"defined", t_defined},   {"undefined", t_undefined}, {"none", t_none},
        {"boolean", t_boolean},   {"false", t_false},         {"true", t_true},
        {"integer", t_integer},   {"float", t_float},         {"number", t_number},
        {"string", t_string},     {"mapping", t_mapping},     {"iterable", t_iterable},
        {"sequence", t_sequence}, {"callable", t_callable},   {"escaped", t_escaped},
        {"sameas", t_sameas},     {"in", t_in},               {"eq", t_eq},
        {"equalto", t_eq},        {"==", t_eq},               {"ne", t_ne},
        {"!=", t_ne},             {"lt", t_lt},               {"lessthan", t_lt},
        {"<", t_lt},              {"le", t_le},               {"<=", t_le},
        {"gt", t_gt},             {"greaterthan", t_gt},      {">", t_gt},
        {"ge", t_ge},             {">=", t_ge},               {"lower", t_lower},
        {"upper", t_upper},       {"odd", t_odd},             {"even", t_even},
        {"divisibleby", t_divisibleby}, {"filter", t_filter}, {"test", t_test},
    };
    return m;
}

}  // namespace

FilterFn find_filter(std::string_view name) {
    const auto& m = filters();
    auto it = m.find(name);
    return it == m.end() ? nullptr : it->second;
}

TestFn find_test(std::string_view name) {
    const auto& m = tests();
    auto it = m.find(name);
    return it == m.end() ? nullptr : it->second;
}

}  // namespace glint::chat
