// Differential cases: tests/chat/golden.json holds small templates and what
// Python Jinja2 renders for them (regenerate with gen_golden.py). glint must
// produce the same bytes, or fail with the same "Type: message" (syntax
// errors: on the same line).
#include <fstream>
#include <iostream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "engine/chat/chat_template.h"
#include "gguf/error.h"
#include "test_util.h"

namespace {

std::string visible(std::string_view s) {
    std::string out;
    for (char c : s) {
        if (c == '\n') out += "\\n";
        else if (c == '\t') out += "\\t";
        else if (c == '\r') out += "\\r";
        else out.push_back(c);
    }
    return out;
}

}  // namespace

TEST(ChatTemplateGolden, MatchesJinja2) {
    std::ifstream f(std::string(GLINT_SOURCE_DIR) + "/tests/chat/golden.json", std::ios::binary);
    ASSERT_TRUE(f) << "tests/chat/golden.json missing";
    std::stringstream ss;
    ss << f.rdbuf();
    auto spec = nlohmann::ordered_json::parse(ss.str());
    glint::ChatTemplateOptions opts;
    opts.clock = [] {
        std::tm tm{};
        tm.tm_year = 2026 - 1900;
        tm.tm_mon = 0;
        tm.tm_mday = 2;
        return tm;
    };
    int passed = 0, total = 0, skipped = 0;
    for (const auto& c : spec["cases"]) {
        ++total;
        const std::string name = c["name"].get<std::string>();
        std::string src;
        if (c.contains("template_file")) {  // a real template from ../shared/chat-templates
            if (!glint::test::have_shared()) {
                ++skipped;
                continue;
            }
            std::ifstream tf(glint::test::shared_path("chat-templates/" + c["template_file"].get<std::string>()), std::ios::binary);
            std::stringstream ts;
            ts << tf.rdbuf();
            src = ts.str();
        } else {
            src = c["template"].get<std::string>();
        }
        std::string got, error;
        try {
            got = glint::render_chat_template_json(src, c["context"].dump(), opts);
        } catch (const glint::Error& e) {
            error = e.what();
        }
        if (c.contains("syntax_error_line")) {
            // Wording differs from Jinja2's; the line must agree.
            std::string want = "syntax error at " + std::to_string(c["syntax_error_line"].get<int>()) + ":";
            if (error.find(want) != std::string::npos) {
                ++passed;
            } else {
                ADD_FAILURE() << name << ": expected a syntax error on line " << c["syntax_error_line"]
                              << " (Jinja2: " << c["error"].get<std::string>() << "), got "
                              << (error.empty() ? "output \"" + visible(got) + "\"" : "\"" + error + "\"");
            }
            continue;
        }
        if (c.contains("error")) {
            std::string want = c["error_type"].get<std::string>() + ": " + c["error"].get<std::string>();
            if (error.find(want) != std::string::npos) {
                ++passed;
            } else {
                ADD_FAILURE() << name << ": expected error \"" << want << "\", got "
                              << (error.empty() ? "output \"" + visible(got).substr(0, 300) + "\"" : "\"" + error + "\"")
                              << "\n  template: " << visible(src).substr(0, 300);
            }
            continue;
        }
        std::string want = c["expected"].get<std::string>();
        if (error.empty() && got == want) {
            ++passed;
        } else {
            std::size_t i = 0;
            while (i < want.size() && i < got.size() && want[i] == got[i]) ++i;
            std::size_t from = i > 80 ? i - 80 : 0;
            ADD_FAILURE() << name << ": first difference at byte " << i << "\n  template: " << visible(src).substr(0, 300)
                          << "\n  expected: ..." << visible(want.substr(from, 200))
                          << "\n  got:      ..." << (error.empty() ? visible(got.substr(std::min(from, got.size()), 200)) : "error " + error);
        }
    }
    std::cout << "golden chat-template cases: " << passed << "/" << (total - skipped) << " passed";
    if (skipped) std::cout << " (" << skipped << " real-template cases skipped: no ../shared)";
    std::cout << "\n";
}
