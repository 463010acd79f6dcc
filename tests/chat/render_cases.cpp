// Renders a JSON array of {"template", "context"} cases with glint and prints
// a JSON array of {"out"} or {"err"}; diff_fuzz.py compares it with Jinja2.
#include <fstream>
#include <iostream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "engine/chat/chat_template.h"
#include "gguf/error.h"

int main(int argc, char** argv) {
    if (argc != 2) {
        std::cerr << "usage: chat_render_cases CASES.json\n";
        return 2;
    }
    std::ifstream f(argv[1], std::ios::binary);
    std::stringstream ss;
    ss << f.rdbuf();
    auto cases = nlohmann::ordered_json::parse(ss.str());
    glint::ChatTemplateOptions o;
    o.max_steps = 1'000'000;
    o.clock = [] {
        std::tm tm{};
        tm.tm_year = 2026 - 1900;
        tm.tm_mday = 2;
        return tm;
    };
    nlohmann::json out = nlohmann::json::array();
    for (const auto& c : cases) {
        nlohmann::json r;
        try {
            r["out"] = glint::render_chat_template_json(c["template"].get<std::string>(), c["context"].dump(), o);
        } catch (const glint::Error& e) {
            r["err"] = e.what();
        }
        out.push_back(std::move(r));
    }
    std::cout << out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
}
