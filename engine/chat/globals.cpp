// Global functions: range, dict, namespace, joiner, and the Hugging Face
// additions raise_exception and strftime_now (with a locale-free strftime).
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <unordered_map>

#include "engine/chat/budget.h"
#include "engine/chat/builtins.h"
#include "engine/chat/builtins_util.h"

namespace glint::chat {

using detail::Args;
using detail::to_index;

namespace {

const char* const kDays[] = {"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"};
const char* const kMonths[] = {"January", "February", "March",     "April",   "May",      "June",
                               "July",    "August",   "September", "October", "November", "December"};

int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

// A C-locale strftime with glibc's padding flags (-, _, 0), so output never
// depends on the process locale.
std::string strftime_c(std::string_view fmt, std::tm tm) {
    int64_t year = tm.tm_year + 1900;
    int mon = std::clamp(tm.tm_mon, 0, 11), mday = std::clamp(tm.tm_mday, 1, 31);
    int64_t days = days_from_civil(year, static_cast<unsigned>(mon + 1), static_cast<unsigned>(mday));
    int wday = static_cast<int>(((days % 7) + 11) % 7);  // 1970-01-01 was a Thursday
    int yday = static_cast<int>(days - days_from_civil(year, 1, 1));
    std::string out;
    for (std::size_t i = 0; i < fmt.size(); ++i) {
        if (fmt[i] != '%' || i + 1 >= fmt.size()) {
            out.push_back(fmt[i]);
            continue;
        }
        std::size_t start = i++;
        char flag = 0;
        if (fmt[i] == '-' || fmt[i] == '_' || fmt[i] == '0') {
            flag = fmt[i++];
            if (i >= fmt.size()) {
                out.append(fmt.substr(start));
                break;
            }
        }
        auto num = [&](int64_t v, int width, char padc) {
            std::string d = std::to_string(v < 0 ? -v : v);
            char p = flag == '_' ? ' ' : flag == '0' ? '0' : padc;
            if (flag != '-')
                while (static_cast<int>(d.size()) < width) d.insert(d.begin(), p);
            if (v < 0) d.insert(d.begin(), '-');
            out += d;
        };
        int hour12 = tm.tm_hour % 12 == 0 ? 12 : tm.tm_hour % 12;
        switch (fmt[i]) {
            case 'a': out.append(kDays[wday], 3); break;
            case 'A': out += kDays[wday]; break;
            case 'b':
            case 'h': out.append(kMonths[mon], 3); break;
            case 'B': out += kMonths[mon]; break;
            case 'c':
                out += strftime_c("%a %b %e %H:%M:%S %Y", tm);
                break;
            case 'C': num(year / 100, 2, '0'); break;
            case 'd': num(mday, 2, '0'); break;
            case 'D': out += strftime_c("%m/%d/%y", tm); break;
            case 'e': num(mday, 2, ' '); break;
            case 'F': out += strftime_c("%Y-%m-%d", tm); break;
            case 'H': num(tm.tm_hour, 2, '0'); break;
            case 'I': num(hour12, 2, '0'); break;
            case 'j': num(yday + 1, 3, '0'); break;
            case 'k': num(tm.tm_hour, 2, ' '); break;
            case 'l': num(hour12, 2, ' '); break;
            case 'm': num(mon + 1, 2, '0'); break;
            case 'M': num(tm.tm_min, 2, '0'); break;
            case 'n': out.push_back('\n'); break;
            case 'p': out += tm.tm_hour < 12 ? "AM" : "PM"; break;
            case 'P': out += tm.tm_hour < 12 ? "am" : "pm"; break;
            case 'r': out += strftime_c("%I:%M:%S %p", tm); break;
            case 'R': out += strftime_c("%H:%M", tm); break;
            case 'S': num(tm.tm_sec, 2, '0'); break;
            case 't': out.push_back('\t'); break;
            case 'T': out += strftime_c("%H:%M:%S", tm); break;
            case 'u': num(wday == 0 ? 7 : wday, 1, '0'); break;
            case 'w': num(wday, 1, '0'); break;
            case 'U': num((yday + 7 - wday) / 7, 2, '0'); break;
            case 'W': num((yday + 7 - ((wday + 6) % 7)) / 7, 2, '0'); break;
            case 'x': out += strftime_c("%m/%d/%y", tm); break;
            case 'X': out += strftime_c("%H:%M:%S", tm); break;
            case 'y': num(year % 100, 2, '0'); break;
            case 'Y': num(year, 1, '0'); break;
            case 'z': {
                long off = std::clamp(tm.tm_gmtoff, -86400L, 86400L);
                char buf[32];
                std::snprintf(buf, sizeof buf, "%c%02ld%02ld", off < 0 ? '-' : '+', std::labs(off) / 3600,
                              (std::labs(off) % 3600) / 60);
                out += buf;
                break;
            }
            case 'Z': out += tm.tm_zone ? tm.tm_zone : ""; break;
            case '%': out.push_back('%'); break;
            default: out.append(fmt.substr(start, i - start + 1));
        }
    }
    return out;
}

Value make_dict(CallArgs& a, const char* name) {
    if (a.pos.size() > 1) {
        std::string msg = name;  // appended piecewise: GCC 12 misfires -Wrestrict on name + "..."
        msg += " expected at most 1 argument, got ";
        msg += std::to_string(a.pos.size());
        raise("TypeError", std::move(msg));
    }
    DictData d;
    if (!a.pos.empty()) {
        const Value& src = a.pos[0];
        if (src.is_dict()) {
            for (const auto& [k, v] : src.dict().items()) d.set(k, v);
        } else if (src.is_sequence()) {
            for (const Value& pair : src.items()) {
                if (!pair.is_sequence() || pair.items().size() != 2)
                    raise("ValueError", "dictionary update sequence element has wrong length; 2 is required");
                d.set(pair.items()[0], pair.items()[1]);
            }
        } else if (src.is_undefined()) {  // dict() looks up .keys on it, which an Undefined refuses
            raise_undefined(src);
        } else {
            std::string msg = "'";  // appended piecewise: GCC 12 misfires -Wrestrict on "'" + str
            msg += src.type_name();
            msg += "' object is not iterable";
            raise("TypeError", std::move(msg));
        }
    }
    for (auto& [k, v] : a.kw) d.set(Value(k), v);
    return Value::dict(std::move(d));
}

const std::unordered_map<std::string_view, Value>& globals() {
    static const std::unordered_map<std::string_view, Value> g = {
        {"range", Value::native("range",
                                [](Evaluator& ev, CallArgs& a) {
                                    if (!a.kw.empty()) raise("TypeError", "range() takes no keyword arguments");
                                    if (a.pos.empty() || a.pos.size() > 3)
                                        raise("TypeError", "range expected 1 to 3 arguments, got " + std::to_string(a.pos.size()));
                                    int64_t start = 0, stop, step = 1;
                                    if (a.pos.size() == 1) {
                                        stop = to_index(a.pos[0]);
                                    } else {
                                        start = to_index(a.pos[0]);
                                        stop = to_index(a.pos[1]);
                                        if (a.pos.size() == 3) step = to_index(a.pos[2]);
                                    }
                                    if (step == 0) raise("ValueError", "range() arg 3 must not be zero");
                                    // Same cap as Jinja2's sandbox (MAX_RANGE).
                                    long double count = step > 0 ? (static_cast<long double>(stop) - start + step - 1) / step
                                                                 : (static_cast<long double>(start) - stop - step - 1) / -step;
                                    if (count > 100000)
                                        raise("OverflowError", "Range too big. The sandbox blocks ranges larger than MAX_RANGE (100000).");
                                    std::vector<Value> out;
                                    for (int64_t i = start; step > 0 ? i < stop : i > stop; i += step) out.emplace_back(i);
                                    ev.charge(out.size());
                                    return Value::list(std::move(out));
                                })},
        {"dict", Value::native("dict", [](Evaluator&, CallArgs& a) { return make_dict(a, "dict"); })},
        {"namespace", Value::native("namespace",
                                    [](Evaluator&, CallArgs& a) {
                                        Value d = make_dict(a, "namespace");
                                        if (d.shape().has_ns)
                                            raise("TemplateRuntimeError", "storing a namespace inside a namespace is not supported");
                                        auto ns = std::make_shared<NamespaceData>();
                                        for (const auto& [k, v] : d.dict().items()) ns->attrs.set(k, v);
                                        return Value::namespace_(std::move(ns));
                                    })},
        {"joiner", Value::native("joiner",
                                 [](Evaluator&, CallArgs& a) {
                                     Args p("joiner", a, {"sep"});
                                     std::string sep = p.get(0, Value(", ")).to_str();
                                     auto used = std::make_shared<bool>(false);
                                     return Value::native("joiner", [sep, used](Evaluator&, CallArgs&) {
                                         if (!*used) {
                                             *used = true;
                                             return Value("");
                                         }
                                         return Value(sep);
                                     });
                                 })},
        {"raise_exception", Value::native("raise_exception",
                                          [](Evaluator&, CallArgs& a) -> Value {
                                              Args p("raise_exception", a, {"message"});
                                              raise("TemplateError", p.get(0, Value("")).to_str());
                                          })},
        {"strftime_now", Value::native("strftime_now",
                                       [](Evaluator& ev, CallArgs& a) {
                                           Args p("strftime_now", a, {"format"});
                                           Value f = p.get(0);
                                           if (!f.is_string()) raise("TypeError", "strftime() argument 1 must be str, not " + f.type_name());
                                           return Value(strftime_c(f.str(), ev.now()));
                                       })},
    };
    return g;
}

}  // namespace

Value find_global(std::string_view name) {
    const auto& g = globals();
    auto it = g.find(name);
    return it == g.end() ? Value() : it->second;
}

}  // namespace glint::chat