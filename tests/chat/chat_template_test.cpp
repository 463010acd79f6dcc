// Focused tests of the chat-template engine: the public API, the Jinja2
// language features chat templates rely on, error reporting, and hostile
// templates (limits on work, size and depth).
#include <chrono>
#include <random>
#include <thread>

#include "engine/chat/chat_template.h"
#include "gguf/error.h"
#include "test_util.h"

namespace {

glint::ChatTemplateOptions fixed_clock() {
    glint::ChatTemplateOptions o;
    o.clock = [] {
        std::tm tm{};
        tm.tm_year = 2026 - 1900;
        tm.tm_mon = 0;
        tm.tm_mday = 2;
        return tm;
    };
    return o;
}

std::string render(std::string_view tpl, std::string_view ctx = "{}",
                   const glint::ChatTemplateOptions& o = fixed_clock()) {
    return glint::render_chat_template_json(tpl, ctx, o);
}

// The error message a template fails with ("" and a test failure if it renders).
std::string error_of(std::string_view tpl, std::string_view ctx = "{}",
                     const glint::ChatTemplateOptions& o = fixed_clock()) {
    try {
        std::string out = render(tpl, ctx, o);
        ADD_FAILURE() << "expected an error, rendered: " << out.substr(0, 200);
    } catch (const glint::Error& e) {
        EXPECT_EQ(e.code(), glint::ErrorCode::InvalidArgument);
        return e.what();
    }
    return "";
}

#define EXPECT_ERROR(tpl, ctx, fragment)                                                  \
    do {                                                                                  \
        std::string msg_ = error_of(tpl, ctx);                                            \
        EXPECT_NE(msg_.find(fragment), std::string::npos) << "message: " << msg_;         \
    } while (0)

const std::vector<glint::ChatMessage> kChat = {
    {"system", "You are terse."}, {"user", "Hi"}, {"assistant", "Hello."}, {"user", "Bye"}};

}  // namespace

// ---- public API ---------------------------------------------------------------

TEST(ChatTemplateApi, DefaultTemplateIsChatML) {
    glint::ChatTemplate t(glint::default_chat_template());
    EXPECT_EQ(t.render(kChat, true, "<s>", "</s>"),
              "<|im_start|>system\nYou are terse.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n"
              "<|im_start|>assistant\nHello.<|im_end|>\n<|im_start|>user\nBye<|im_end|>\n<|im_start|>assistant\n");
    EXPECT_EQ(t.render({{"user", "x"}}, false, "", ""), "<|im_start|>user\nx<|im_end|>\n");
}

TEST(ChatTemplateApi, SimpleFormSetsTheFourVariables) {
    const char* tpl = "{{ bos_token }}{% for m in messages %}[{{ m.role }}:{{ m['content'] }}]{% endfor %}"
                      "{% if add_generation_prompt %}>{% endif %}{{ eos_token }}";
    EXPECT_EQ(glint::render_chat_template(tpl, kChat, true, "<s>", "</s>"),
              "<s>[system:You are terse.][user:Hi][assistant:Hello.][user:Bye]></s>");
    EXPECT_EQ(glint::render_chat_template(tpl, {}, false, "", "!"), "!");
}

TEST(ChatTemplateApi, ParsedTemplateRendersManyTimes) {
    glint::ChatTemplate t("{{ messages|length }}:{{ messages[-1].content }}");
    EXPECT_EQ(t.render({{"user", "a"}}, false, "", ""), "1:a");
    EXPECT_EQ(t.render(kChat, false, "", ""), "4:Bye");
    glint::ChatTemplate copy = t;
    EXPECT_EQ(copy.render_json(R"({"messages": [{"content": "j"}]})"), "1:j");
}

TEST(ChatTemplateApi, JsonContextKeepsKeyOrderAndTypes) {
    EXPECT_EQ(render("{% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %}",
                     R"({"d": {"zeta": 1, "alpha": [1, 2.5, null, true], "mid": "s"}})"),
              "zeta=1;alpha=[1, 2.5, None, True];mid=s;");
    EXPECT_EQ(render("{{ n + 1 }} {{ f * 2 }} {{ s|length }} {{ u }}", R"({"n": 41, "f": 1.25, "s": "h\u00e9\ud83d\ude00", "u": "\u00e9"})"),
              "42 2.5 3 \xC3\xA9");
}

TEST(ChatTemplateApi, ContextErrors) {
    EXPECT_ERROR("x", "[1, 2]", "must be a JSON object");
    EXPECT_ERROR("x", "{\"a\": }", "invalid JSON at offset 6");
    EXPECT_ERROR("x", "{\"a\": 1} trailing", "trailing characters");
}

TEST(ChatTemplateApi, StrftimeNowUsesTheInjectedClock) {
    EXPECT_EQ(render("{{ strftime_now('%d %b %Y') }}|{{ strftime_now('%A %B %-d %j') }}"),
              "02 Jan 2026|Friday January 2 002");
    // Without a clock: today's local date.
    std::time_t now = std::time(nullptr);
    std::tm tm{};
    localtime_r(&now, &tm);
    glint::ChatTemplateOptions real;
    EXPECT_EQ(render("{{ strftime_now('%Y') }}", "{}", real), std::to_string(tm.tm_year + 1900));
}

TEST(ChatTemplateApi, ToolsAndToolCallsThroughJson) {
    const char* tpl =
        "{%- for m in messages %}"
        "{%- if m.tool_calls is defined %}{% for tc in m.tool_calls %}<call {{ tc.function.name }} {{ tc.function.arguments|tojson }}>{% endfor %}"
        "{%- else %}{{ m.role }}: {{ m.content }}\n{% endif %}"
        "{%- endfor %}"
        "{%- if tools %}tools={{ tools|map(attribute='function')|map(attribute='name')|join(',') }}{% endif %}";
    const char* ctx = R"({"messages": [{"role": "user", "content": "weather?"},
        {"role": "assistant", "content": null, "tool_calls": [{"type": "function", "function": {"name": "get", "arguments": {"city": "Oslo", "days": 2}}}]}],
        "tools": [{"type": "function", "function": {"name": "get"}}, {"type": "function", "function": {"name": "put"}}]})";
    EXPECT_EQ(render(tpl, ctx), "user: weather?\n<call get {\"city\": \"Oslo\", \"days\": 2}>tools=get,put");
}

TEST(ChatTemplateApi, ConcurrentRendersOfOneTemplate) {
    glint::ChatTemplate t("{% set ns = namespace(n=0) %}{% for m in messages %}{% set ns.n = ns.n + m.content|length %}{% endfor %}{{ ns.n }}");
    std::vector<std::thread> threads;
    std::atomic<int> ok{0};
    for (int i = 0; i < 4; ++i)
        threads.emplace_back([&] {
            for (int k = 0; k < 200; ++k)
                if (t.render(kChat, false, "", "") == "25") ++ok;
        });
    for (auto& th : threads) th.join();
    EXPECT_EQ(ok.load(), 800);
}

// ---- whitespace control ---------------------------------------------------------

TEST(ChatTemplateWhitespace, TrimBlocksRemovesOneNewlineAfterBlockTags) {
    EXPECT_EQ(render("{% if true %}\nx\n{% endif %}\ny"), "x\ny");
    EXPECT_EQ(render("{% if true %}\n\nx{% endif %}"), "\nx");
    EXPECT_EQ(render("{{ 'v' }}\nx"), "v\nx");  // not after variables
    EXPECT_EQ(render("{# c #}\nx"), "x");       // comments count as blocks
}

TEST(ChatTemplateWhitespace, LstripBlocksOnlyAtLineStart) {
    EXPECT_EQ(render("a\n    {% if true %}b{% endif %}"), "a\nb");
    EXPECT_EQ(render("  \t{% if true %}b{% endif %}"), "b");
    EXPECT_EQ(render("a  {% if true %}b{% endif %}"), "a  b");
    EXPECT_EQ(render("a\n    {{ 'b' }}"), "a\n    b");  // not before variables
    EXPECT_EQ(render("a\n    {%+ if true %}b{% endif %}"), "a\n    b");
}

TEST(ChatTemplateWhitespace, MinusAndPlusMarkers) {
    EXPECT_EQ(render("a  \n\n {%- if true -%} \n\n b {{- ' c ' -}} \n d{% endif %}"), "ab c d");
    EXPECT_EQ(render("x {#- comment -#} y"), "xy");
    EXPECT_EQ(render("{% if true +%}\nkept{% endif %}"), "\nkept");
}

TEST(ChatTemplateWhitespace, NewlinesNormalisedAndOneTrailingNewlineDropped) {
    EXPECT_EQ(render("a\r\nb\rc\n"), "a\nb\nc");
    EXPECT_EQ(render("a\n\n"), "a\n");
}

TEST(ChatTemplateWhitespace, IndentedTemplateRendersCompactly) {
    const char* tpl =
        "{%- for m in messages %}\n"
        "    {%- if m.role == 'user' %}\n"
        "        {{- 'U:' + m.content + '\\n' }}\n"
        "    {%- else %}\n"
        "        {{- 'O:' + m.content + '\\n' }}\n"
        "    {%- endif %}\n"
        "{%- endfor %}\n";
    EXPECT_EQ(glint::render_chat_template(tpl, kChat, false, "", ""), "O:You are terse.\nU:Hi\nO:Hello.\nU:Bye\n");
}

TEST(ChatTemplateWhitespace, RawBlocks) {
    EXPECT_EQ(render("{% raw %}{{ not evaluated }}{% if %}{% endraw %}"), "{{ not evaluated }}{% if %}");
}

// ---- language features ------------------------------------------------------------

TEST(ChatTemplateLanguage, LoopVariablesElseAndFilter) {
    EXPECT_EQ(render("{% for x in 'abc' %}{{ loop.index }}{{ loop.index0 }}{{ loop.first }}{{ loop.last }}{{ loop.length }},{% endfor %}"),
              "10TrueFalse3,21FalseFalse3,32FalseTrue3,");
    EXPECT_EQ(render("{% for x in [] %}x{% else %}empty{% endfor %}"), "empty");
    EXPECT_EQ(render("{% for i in range(10) if i is odd %}{{ i }}{% if not loop.last %},{% endif %}{% endfor %}"), "1,3,5,7,9");
    EXPECT_EQ(render("{% for k, v in {'a': 1, 'b': 2}.items() %}{{ k }}{{ v }}{% endfor %}"), "a1b2");
    EXPECT_EQ(render("{% for i in [1, 2, 3] %}{{ loop.previtem|default('-') }}{{ loop.nextitem|default('-') }} {% endfor %}"),
              "-2 13 2- ");
}

TEST(ChatTemplateLanguage, BreakAndContinue) {
    EXPECT_EQ(render("{% for i in range(10) %}{% if i == 1 %}{% continue %}{% endif %}{% if i == 4 %}{% break %}{% endif %}{{ i }}{% endfor %}"),
              "023");
    EXPECT_ERROR("{% break %}", "{}", "'break' outside of a for loop");
}

TEST(ChatTemplateLanguage, ScopingFollowsJinja2) {
    // set inside a loop does not leak out; each iteration starts fresh
    EXPECT_EQ(render("{% set c = 0 %}{% for i in range(3) %}{% set c = c + 1 %}{{ c }}{% endfor %}{{ c }}"), "1110");
    // set inside if is not a new scope
    EXPECT_EQ(render("{% if true %}{% set y = 5 %}{% endif %}{{ y }}"), "5");
    // macros see their defining scope at call time
    EXPECT_EQ(render("{% macro m() %}{{ y }}{% endmacro %}{% set y = 1 %}{{ m() }}{% set y = 2 %}{{ m() }}"), "12");
    // context variables can be shadowed at top level
    EXPECT_EQ(glint::render_chat_template("{% set messages = messages[1:] %}{{ messages|length }}", kChat, false, "", ""), "3");
}

TEST(ChatTemplateLanguage, NamespaceCarriesStateOutOfLoops) {
    EXPECT_EQ(render("{% set ns = namespace(found=false, n=0) %}{% for m in messages %}{% if m.role == 'system' %}"
                     "{% set ns.found = true %}{% endif %}{% set ns.n = ns.n + 1 %}{% endfor %}{{ ns.found }} {{ ns.n }}",
                     R"({"messages": [{"role": "user"}, {"role": "system"}]})"),
              "True 2");
    EXPECT_ERROR("{% set x = 1 %}{% set x.y = 2 %}", "{}", "cannot assign attribute on non-namespace object");
}

TEST(ChatTemplateLanguage, MacrosWithDefaultsAndRecursion) {
    EXPECT_EQ(render("{% macro g(name, p='!') %}hi {{ name }}{{ p }}{% endmacro %}{{ g('a') }} {{ g('b', '?') }} {{ g(p='.', name='c') }}"),
              "hi a! hi b? hi c.");
    EXPECT_EQ(render("{% macro f(n) %}{% if n > 0 %}{{ n }}{{ f(n - 1) }}{% endif %}{% endmacro %}{{ f(5) }}"), "54321");
    EXPECT_ERROR("{% macro m(a) %}{% endmacro %}{{ m(1, 2) }}", "{}", "TypeError: macro 'm' takes not more than 1 argument(s)");
}

TEST(ChatTemplateLanguage, ExpressionsAndOperators) {
    EXPECT_EQ(render("{{ 7 // 2 }} {{ -7 // 2 }} {{ 7 / 2 }} {{ -7 % 3 }} {{ 2 ** 10 }} {{ 'a' ~ 1 ~ none }} {{ 1 < 2 < 3 }}"),
              "3 -4 3.5 2 1024 a1None True");
    EXPECT_EQ(render("{{ 'x' if false else 'y' }} {{ [1, 2, 3][::-1] }} {{ 'hello'[1:3] }} {{ 'b' in 'abc' }} {{ 3 not in [1] }}"),
              "y [3, 2, 1] el True True");
    EXPECT_EQ(render("{{ -3|abs }} {{ 'a' + 'b'|upper }}"), "3 aB");  // filters bind tighter than arithmetic
}

TEST(ChatTemplateLanguage, PrintsValuesLikePython) {
    EXPECT_EQ(render("{{ [1, 'a', none, true, 1.0, {'k': (1,)}] }} {{ none }} {{ 1e16 }} {{ 0.1 + 0.2 }} {{ [\"it's\"] }}"),
              "[1, 'a', None, True, 1.0, {'k': (1,)}] None 1e+16 0.30000000000000004 [\"it's\"]");
}

TEST(ChatTemplateLanguage, TestsAndStringMethods) {
    EXPECT_EQ(render("{{ x is defined }}{{ none is none }}{{ 'a' is string }}{{ {} is mapping }}{{ [] is iterable }}"
                     "{{ 1 is number }}{{ true is boolean }}{{ 2 is equalto 2 }}{{ 'ab' is sequence }}"),
              "FalseTrueTrueTrueTrueTrueTrueTrueTrue");
    EXPECT_EQ(render("{{ 'a,b'.split(',') }} {{ ' x '.strip() }} {{ 'ab'.upper() }} {{ 'abc'.startswith('ab') }} "
                     "{{ 'x-y'.replace('-', '+') }} {{ 'hello world'.title() }} {{ '{}+{}'.format(1, 2) }}"),
              "['a', 'b'] x AB True x+y Hello World 1+2");
}

TEST(ChatTemplateLanguage, Filters) {
    EXPECT_EQ(render("{{ '  a  '|trim }}|{{ [3, 1, 2]|sort|join(',') }}|{{ x|default('d') }}|{{ 'Ab'|lower }}{{ 'ab'|upper }}"
                     "|{{ ['a', 'A', 'b']|unique|list }}|{{ {'b': 1, 'a': 2}|dictsort }}|{{ 2.5|round }}|{{ '42'|int + 1 }}"),
              "a|1,2,3|d|abAB|['a', 'b']|[('a', 2), ('b', 1)]|2.0|43");
    const char* users = R"({"u": [{"name": "a", "admin": true}, {"name": "b", "admin": false}, {"name": "c"}]})";
    EXPECT_EQ(render("{{ u|selectattr('admin')|map(attribute='name')|join }}|{{ u|rejectattr('admin')|map(attribute='name')|list }}"
                     "|{{ u|selectattr('admin', 'defined')|list|length }}|{{ u|map(attribute='admin', default='?')|list }}",
                     users),
              "a|['b', 'c']|2|[True, False, '?']");
    EXPECT_EQ(render("{{ 'a\nb'|indent(2) }}|{{ 'a\nb'|indent(2, first=true) }}"), "a\n  b|  a\n  b");
}

TEST(ChatTemplateLanguage, ToJsonMatchesJinja2) {
    // sort_keys, ", "/": " separators, ensure_ascii and HTML-safe escaping
    EXPECT_EQ(render("{{ d|tojson }}", R"({"d": {"b": "<&>'", "a": [1, 2.0, null, "\u00e9"]}})"),
              "{\"a\": [1, 2.0, null, \"\\u00e9\"], \"b\": \"\\u003c\\u0026\\u003e\\u0027\"}");
    EXPECT_EQ(render("{{ d|tojson(indent=2) }}", R"({"d": {"k": [1, {}], "e": []}})"),
              "{\n  \"e\": [],\n  \"k\": [\n    1,\n    {}\n  ]\n}");
    EXPECT_ERROR("{{ x|tojson }}", "{}", "TypeError: Object of type Undefined is not JSON serializable");
}

TEST(ChatTemplateLanguage, MarkupEscapesWhatItIsConcatenatedWith) {
    // Jinja2's tojson and |safe return Markup; `+` with a plain str escapes it.
    EXPECT_EQ(render("{{ '<a>'|safe + '<b>' }}|{{ '<b>' + '<a>'|safe }}|{{ '<a>'|safe ~ '<b>' }}"),
              "<a>&lt;b&gt;|&lt;b&gt;<a>|<a><b>");
}

// ---- undefined -----------------------------------------------------------------------

TEST(ChatTemplateUndefined, BehavesLikeJinja2DefaultUndefined) {
    EXPECT_EQ(render("[{{ x }}][{{ x|length }}][{{ x|default('d') }}]{% if not x %}falsy{% endif %}{% for i in x %}no{% endfor %}"),
              "[][0][d]falsy");
    EXPECT_EQ(render("[{{ d.missing }}][{{ d['missing'] }}][{{ l[9] }}][{{ d.missing is defined }}]", R"({"d": {}, "l": []})"),
              "[][][][False]");
    EXPECT_ERROR("{{ x.attr }}", "{}", "UndefinedError: 'x' is undefined");
    EXPECT_ERROR("{{ 'a' + d.missing }}", R"({"d": {}})", "UndefinedError: 'dict object' has no attribute 'missing'");
    EXPECT_ERROR("{{ messages[0].role }}", R"({"messages": []})", "UndefinedError: list object has no element 0");
    EXPECT_ERROR("{{ missing_fn() }}", "{}", "UndefinedError: 'missing_fn' is undefined");
}

// ---- errors ---------------------------------------------------------------------------

TEST(ChatTemplateErrors, SyntaxErrorsNameLineAndColumn) {
    EXPECT_ERROR("line one\n{{ 1 + }}", "{}", "chat template syntax error at 2:8:");
    EXPECT_ERROR("{% if x %}\nnever closed\n", "{}", "expected 'elif' or 'else' or 'endif' to close the 'if' block opened at line 1");
    EXPECT_ERROR("ok\n  {% frobnicate %}", "{}", "syntax error at 2:6: encountered unknown tag 'frobnicate'");
    EXPECT_ERROR("{% for x in y %}\n{% endif %}", "{}",
                 "syntax error at 2:4: encountered unknown tag 'endif'; expected 'endfor' or 'else' (the innermost open block is 'for')");
    EXPECT_ERROR("{{ x|no_such_filter }}", "{}", "syntax error at 1:6: no filter named 'no_such_filter'");
    EXPECT_ERROR("{{ x is no_such_test }}", "{}", "no test named 'no_such_test'");
    EXPECT_ERROR("{{ 'unterminated }}", "{}", "unterminated string literal");
    EXPECT_ERROR("a {# comment", "{}", "syntax error at 1:3: missing end of comment tag");
    EXPECT_ERROR("{{ (1 + 2 }}", "{}", "unexpected '}', expected ')'");
    EXPECT_ERROR("{% call foo() %}{% endcall %}", "{}", "the 'call' tag is not supported");
    // Syntax errors are reported at parse time, before any rendering.
    EXPECT_THROW(glint::ChatTemplate("{% if %}"), glint::Error);
}

TEST(ChatTemplateErrors, RuntimeErrorsNamePositionAndType) {
    EXPECT_ERROR("ok\n{{ raise_exception('System role not supported') }}", "{}",
                 "chat template error at 2:4: TemplateError: System role not supported");
    EXPECT_ERROR("{{ 1 / 0 }}", "{}", "ZeroDivisionError: division by zero");
    EXPECT_ERROR("{{ 'a' + 1 }}", "{}", "TypeError: can only concatenate str (not \"int\") to str");
    EXPECT_ERROR("{{ [].append(1) }}", "{}", "SecurityError: access to attribute 'append' of 'list' object is unsafe.");
    EXPECT_ERROR("{% for a, b in [[1]] %}{% endfor %}", "{}", "ValueError: not enough values to unpack (expected 2, got 1)");
}

// ---- hostile templates ---------------------------------------------------------------

namespace {

// A smaller work budget than the default keeps these tests quick under sanitizers.
glint::ChatTemplateOptions hostile_opts() {
    glint::ChatTemplateOptions o = fixed_clock();
    o.max_steps = 2'000'000;
    return o;
}

// Runs `tpl` and returns its error, asserting it fails fast (not a hang).
std::string hostile(std::string_view tpl, std::string_view ctx = "{}", const glint::ChatTemplateOptions& o = hostile_opts()) {
    auto t0 = std::chrono::steady_clock::now();
    std::string msg;
    try {
        render(tpl, ctx, o);
        ADD_FAILURE() << "hostile template rendered: " << tpl.substr(0, 120);
    } catch (const glint::Error& e) {
        msg = e.what();
    }
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    EXPECT_LT(s, 120.0) << "took " << s << " s: " << tpl.substr(0, 120);  // generous: sanitizers, loaded CI
    return msg;
}

std::string repeat(std::string_view s, int n) {
    std::string out;
    for (int i = 0; i < n; ++i) out += s;
    return out;
}

}  // namespace

TEST(ChatTemplateHostile, EndlessWorkHitsTheStepBudget) {
    const char* endless = "{% for a in range(100000) %}{% for b in range(100000) %}{{ '' }}{% endfor %}{% endfor %}";
    EXPECT_NE(hostile(endless).find("LimitError"), std::string::npos);
    EXPECT_NE(hostile(endless, "{}", fixed_clock()).find("LimitError"), std::string::npos);  // the default budget
    glint::ChatTemplateOptions small = fixed_clock();
    small.max_steps = 10000;
    EXPECT_THROW(render("{% for a in range(10000) %}{{ a }}{% endfor %}", "{}", small), glint::Error);
    EXPECT_EQ(render("{% for a in range(100) %}{% endfor %}ok", "{}", small), "ok");
}

TEST(ChatTemplateHostile, HugeStringsHitTheSizeLimit) {
    EXPECT_NE(hostile("{{ 'x' * 1000000000 }}").find("LimitError"), std::string::npos);
    EXPECT_NE(hostile("{% set ns = namespace(s='xx') %}{% for i in range(64) %}{% set ns.s = ns.s + ns.s %}{% endfor %}").find("size limit"),
              std::string::npos);
    EXPECT_NE(hostile("{% set s = 'x' * 1000000 %}{% for i in range(100) %}{{ s }}{% endfor %}").find("size limit"), std::string::npos);
    glint::ChatTemplateOptions small = fixed_clock();
    small.max_output_bytes = 100;
    EXPECT_THROW(render("{{ 'x' * 101 }}", "{}", small), glint::Error);
    EXPECT_EQ(render("{{ 'x' * 100 }}", "{}", small).size(), 100u);
}

TEST(ChatTemplateHostile, SharedStructuresCannotExplodeWhenPrintedOrCompared) {
    // Each level repeats the previous one ten times: printing would be 10^9 items.
    std::string build = "{% set a = ['x' * 100] %}";
    const char* names = "abcdefghij";
    for (int i = 1; i < 10; ++i) {
        build += "{% set ";
        build += names[i];
        build += " = [";
        build += repeat(std::string(1, names[i - 1]) + ",", 10);
        build += "] %}";
    }
    EXPECT_NE(hostile(build + "{{ j }}").find("LimitError"), std::string::npos);
    EXPECT_NE(hostile(build + "{{ j|tojson }}").find("LimitError"), std::string::npos);
    // Two equal but separately built towers: equality must not take forever.
    std::string twin = build;
    for (int i = 0; i < 10; ++i) {
        twin += "{% set ";
        twin += names[i];
        twin += "2 = ";
        if (i == 0) twin += "['x' * 100]";
        else {
            twin += '[';
            twin += repeat(std::string(1, names[i - 1]) + "2,", 10);
            twin += ']';
        }
        twin += " %}";
    }
    EXPECT_NE(hostile(twin + "{{ j == j2 }}").find("LimitError"), std::string::npos);
}

TEST(ChatTemplateHostile, RecursionIsCapped) {
    EXPECT_NE(hostile("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}").find("RecursionError"), std::string::npos);
    EXPECT_NE(hostile("{% macro f(n) %}{% for i in [1] %}{% if true %}{{ [f(n + 1)]|join }}{% endif %}{% endfor %}{% endmacro %}{{ f(0) }}")
                  .find("RecursionError"),
              std::string::npos);
}

TEST(ChatTemplateHostile, DeepNestingIsRejectedAtParseTime) {
    EXPECT_NE(hostile("{{ " + repeat("(", 100000) + "1" + repeat(")", 100000) + " }}").find("nesting too deep"), std::string::npos);
    EXPECT_NE(hostile(repeat("{% if true %}", 100000)).find("nesting too deep"), std::string::npos);
    EXPECT_NE(hostile("{{ 1" + repeat(" + 1", 100000) + " }}").find("nesting too deep"), std::string::npos);
    EXPECT_NE(hostile("{{ x" + repeat(".a", 100000) + " }}").find("nesting too deep"), std::string::npos);
    EXPECT_NE(hostile("{{ x" + repeat("|trim", 100000) + " }}").find("nesting too deep"), std::string::npos);
    EXPECT_NE(hostile("{{ " + repeat("not ", 100000) + "x }}").find("nesting too deep"), std::string::npos);
    EXPECT_NE(hostile("{{ " + repeat("[", 100000) + " }}").find("syntax error"), std::string::npos);
    // Reasonable nesting is fine.
    EXPECT_EQ(render("{{ " + repeat("(", 30) + "1" + repeat(")", 30) + " }}"), "1");
}

TEST(ChatTemplateHostile, DeepValuesAreRejected) {
    EXPECT_NE(hostile("x", repeat("[", 100000) + repeat("]", 100000)).find("nesting too deep"), std::string::npos);
    EXPECT_NE(hostile("{% set ns = namespace(x=[]) %}{% for i in range(10000) %}{% set ns.x = [ns.x] %}{% endfor %}")
                  .find("value nesting too deep"),
              std::string::npos);
    // Namespaces never contain namespaces, so no reference cycles can form.
    EXPECT_NE(hostile("{% set ns = namespace() %}{% set ns.me = ns %}").find("namespace inside a namespace"), std::string::npos);
    EXPECT_NE(hostile("{% set ns = namespace(x=[namespace()]) %}").find("namespace inside a namespace"), std::string::npos);
}

TEST(ChatTemplateHostile, PathologicalSizesAndSearches) {
    EXPECT_NE(hostile("{{ 'x'.center(1000000000) }}").find("Error"), std::string::npos);
    EXPECT_NE(hostile("{{ '%999999999d' % 1 }}").find("Error"), std::string::npos);
    EXPECT_NE(hostile("{{ '{:>999999999}'.format(1) }}").find("Error"), std::string::npos);
    EXPECT_NE(hostile("{{ 'a\nb'|indent(1000000000) }}").find("Error"), std::string::npos);
    EXPECT_NE(hostile("{{ [1] * 1000000000 }}").find("Error"), std::string::npos);
    EXPECT_NE(hostile("{{ range(1000000) }}").find("OverflowError: Range too big"), std::string::npos);
    EXPECT_NE(hostile("{{ 2 ** 64 }}").find("OverflowError"), std::string::npos);
    EXPECT_NE(hostile("{{ '%.999999999d' % 1 }}").find("LimitError"), std::string::npos);
    EXPECT_NE(hostile("{{ 'x'.center(100, 'abc') }}").find("fill character must be exactly one character"), std::string::npos);
    EXPECT_NE(hostile("{{ [1]|batch(1000000000, 'x')|list }}").find("LimitError"), std::string::npos);
    EXPECT_NE(hostile("{{ ('a' * 1000000).replace('a', 'b' * 1000) }}").find("LimitError"), std::string::npos);
    EXPECT_NE(hostile("{{ '{99999999999999999999999}'.format() }}").find("IndexError"), std::string::npos);
    EXPECT_NE(hostile("{{ '{0[99999999999999999999999]}'.format([]) }}").find("ValueError"), std::string::npos);
    EXPECT_NE(hostile("{{ ('%s' * 100000) % ((('x' * 1000),) * 100000) }}").find("Error"), std::string::npos);
    // A long needle that almost matches everywhere must not be quadratic.
    auto t0 = std::chrono::steady_clock::now();
    EXPECT_EQ(render("{% set hay = 'a' * 4000000 %}{% set n = 'a' * 100000 ~ 'b' %}{{ n in hay }} {{ hay.find(n) }} "
                     "{{ hay.count(n) }} {{ hay.split(n)|length }} {{ hay.replace(n, '')|length }} {{ hay.strip(n)|length }}"),
              "False -1 0 1 4000000 0");
    EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), 10.0);
}

TEST(ChatTemplateHostile, BigContextsStayLinear) {
    std::string ctx = "{\"d\": {";
    for (int i = 0; i < 200000; ++i) ctx += (i ? ",\"k" : "\"k") + std::to_string(i) + "\": " + std::to_string(i);
    ctx += "}}";
    auto t0 = std::chrono::steady_clock::now();
    EXPECT_EQ(render("{{ d|length }} {{ d.k199999 }} {{ d['k5'] }}", ctx), "200000 199999 5");
    EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), 10.0);
}

TEST(ChatTemplateHostile, InvalidUtf8PassesThroughUnharmed) {
    std::string bad = "a\xff\xfe b \xc3";
    EXPECT_EQ(render(bad + "{{ 'x\xe9y'|length }}{{ 'x\xe9y'[1:] }}"), bad + "3\xe9y");
    EXPECT_EQ(render("{{ s|length }}|{{ s|upper }}|{{ s[::-1]|length }}", "{\"s\": \"\\u00e9\\u0000z\"}"),
              std::string("3|\xC3\x89\0Z|3", 8));
}

TEST(ChatTemplateHostile, RandomTemplatesNeverCrash) {
    // Cheap deterministic fuzzing: splice fragments of template syntax together.
    const std::vector<std::string> pieces = {
        "{{", "}}", "{%", "%}", "{#", "#}", "-", "+", " ", "\n", "x", "'s'", "\"q\"", "1", "2.5", "(", ")", "[", "]",
        "{", "}", ",", ":", ".", "|", "~", "*", "**", "/", "//", "%", "==", "<", "if", "else", "elif", "endif", "for",
        "in", "endfor", "set", "=", "macro", "endmacro", "m()", "not", "and", "or", "is", "defined", "none", "loop",
        "ns", "namespace(", "range(", "trim", "tojson", "join", "items", "messages", "raise_exception(", "break",
        "continue", "filter", "endfilter", "raw", "endraw", "\xff", "é", "\\", "'", "\"", "0x", "1e", "_",
    };
    std::mt19937 rng(1234);
    int rendered = 0, failed = 0;
    for (int iter = 0; iter < 5000; ++iter) {
        std::string tpl;
        int n = 1 + static_cast<int>(rng() % 40);
        for (int i = 0; i < n; ++i) tpl += pieces[rng() % pieces.size()];
        try {
            glint::ChatTemplateOptions o = fixed_clock();
            o.max_steps = 200000;
            glint::render_chat_template_json(tpl, R"({"messages": [{"role": "user", "content": "hi"}], "x": [1, {"a": "b"}]})", o);
            ++rendered;
        } catch (const glint::Error&) {
            ++failed;
        }
    }
    EXPECT_EQ(rendered + failed, 5000);
    EXPECT_GT(rendered, 0);
}
