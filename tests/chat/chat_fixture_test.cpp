// Conformance against ../shared/chat-templates: every case of expected.json
// (rendered by Python Jinja2) must come out byte-identical, and every `error`
// case must fail with that error's text.
#include <fstream>
#include <iostream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "engine/chat/chat_template.h"
#include "gguf/error.h"
#include "test_util.h"

namespace {

using ojson = nlohmann::ordered_json;

std::string read_file(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    if (!f) throw std::runtime_error("cannot open " + path);
    std::ostringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

// Makes control characters visible so a diff shows where whitespace differs.
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

// First difference between two renderings, with the line it is on.
std::string describe_diff(const std::string& want, const std::string& got) {
    std::size_t i = 0;
    while (i < want.size() && i < got.size() && want[i] == got[i]) ++i;
    std::size_t line = 1 + static_cast<std::size_t>(std::count(want.begin(), want.begin() + static_cast<std::ptrdiff_t>(i), '\n'));
    std::size_t from = i > 60 ? i - 60 : 0;
    std::ostringstream os;
    os << "first difference at byte " << i << " (line " << line << "); expected " << want.size() << " bytes, got "
       << got.size() << "\n"
       << "  expected: ..." << visible(want.substr(from, 140)) << "\n"
       << "  got:      ..." << visible(got.substr(from, 140));
    return os.str();
}

std::tm date_clock(const std::string& ymd) {
    std::tm tm{};
    tm.tm_year = std::stoi(ymd.substr(0, 4)) - 1900;
    tm.tm_mon = std::stoi(ymd.substr(5, 2)) - 1;
    tm.tm_mday = std::stoi(ymd.substr(8, 2));
    return tm;
}

}  // namespace

TEST(ChatTemplateFixtures, EveryCaseMatchesJinja2) {
    GLINT_REQUIRE_SHARED();
    const std::string dir = glint::test::shared_path("chat-templates");
    ojson spec = ojson::parse(read_file(dir + "/expected.json"));
    glint::ChatTemplateOptions opts;
    std::tm today = date_clock(spec["strftime_now_date"].get<std::string>());
    opts.clock = [today] { return today; };

    int passed = 0, total = 0;
    std::vector<std::string> failures;
    for (const auto& c : spec["cases"]) {
        ++total;
        const std::string name = c["template"].get<std::string>() + " [" + c["conversation"].get<std::string>() +
                                 (c["add_generation_prompt"].get<bool>() ? ", add_generation_prompt]" : "]");
        ojson ctx;
        ctx["messages"] = spec["conversations"][c["conversation"].get<std::string>()];
        ctx["add_generation_prompt"] = c["add_generation_prompt"];
        ctx["bos_token"] = spec["bos_token"];
        ctx["eos_token"] = spec["eos_token"];
        std::string source = read_file(dir + "/" + c["template"].get<std::string>());
        std::string got, error;
        try {
            got = glint::ChatTemplate(source).render_json(ctx.dump(), opts);
        } catch (const glint::Error& e) {
            error = e.what();
        }
        if (c.contains("error")) {
            std::string want = c["error"].get<std::string>();
            if (!error.empty() && error.find(want) != std::string::npos) ++passed;
            else if (!error.empty()) failures.push_back(name + ": expected an error containing \"" + want + "\", got \"" + error + "\"");
            else failures.push_back(name + ": expected an error containing \"" + want + "\", but it rendered");
            continue;
        }
        std::string want = c["expected"].get<std::string>();
        if (!error.empty()) failures.push_back(name + ": unexpected error: " + error);
        else if (got != want) failures.push_back(name + ": " + describe_diff(want, got));
        else ++passed;
    }
    std::cout << "chat templates: " << passed << "/" << total << " passed\n";
    for (const std::string& f : failures) ADD_FAILURE() << f;
    EXPECT_EQ(passed, total);
}
