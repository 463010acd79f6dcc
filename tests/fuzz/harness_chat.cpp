// Chat-template fuzz check: any template with any messages (or any JSON
// context) must render or fail with glint::Error, within the output limit, and
// render the same text twice (no state leaks between renders).
#include <cstring>
#include <stdexcept>
#include <vector>

#include "engine/chat/chat_template.h"
#include "gguf/error.h"
#include "tests/fuzz/harness.h"

namespace glint::fuzz {

std::string chat_one(const uint8_t* data, size_t size) {
    if (size < 1) return "";
    const uint8_t mode = data[0];
    const std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
    const size_t nul = in.find('\0');
    const std::string_view source = in.substr(0, nul);
    const std::string_view rest = nul == std::string_view::npos ? std::string_view() : in.substr(nul + 1);
    const bool use_json = mode & 1, add_generation_prompt = mode & 2;

    ChatTemplateOptions opts;
    opts.clock = [] {
        std::tm t{};
        t.tm_year = 126;
        t.tm_mon = 0;
        t.tm_mday = 2;
        return t;
    };
    // small budgets keep one execution fast; exceeding them must still be a clean error
    opts.max_output_bytes = 1u << 20;
    opts.max_steps = 200'000;

    std::vector<ChatMessage> msgs;
    if (!use_json) {
        size_t p = 0;
        std::vector<std::string> fields;
        while (p <= rest.size() && !rest.empty()) {
            size_t q = rest.find('\0', p);
            if (q == std::string_view::npos) q = rest.size();
            fields.emplace_back(rest.substr(p, q - p));
            p = q + 1;
        }
        for (size_t i = 0; i + 1 < fields.size(); i += 2) msgs.push_back({fields[i], fields[i + 1]});
        if (fields.size() % 2) msgs.push_back({"user", fields.back()});
    }

    std::string out[2];
    bool ok[2] = {false, false};
    std::string err[2];
    for (int round = 0; round < 2; ++round) {
        try {
            const ChatTemplate t(source);
            out[round] = use_json ? t.render_json(rest, opts)
                                  : t.render(msgs, add_generation_prompt, "<s>", "</s>", opts);
            ok[round] = true;
        } catch (const Error& e) {
            if (e.code() != ErrorCode::InvalidArgument)
                return std::string("chat template threw glint::Error with code ") + std::to_string(int(e.code())) +
                       ": " + e.what();
            err[round] = e.what();
            if (err[round].empty()) return "chat template threw glint::Error with an empty message";
        } catch (const std::exception& e) {
            return std::string("chat template threw a non-glint exception: ") + e.what();
        }
        if (ok[round] && out[round].size() > opts.max_output_bytes)
            return "rendered " + std::to_string(out[round].size()) + " bytes, over the limit of " +
                   std::to_string(opts.max_output_bytes);
    }
    if (ok[0] != ok[1] || out[0] != out[1] || err[0] != err[1]) return "two renders of the same input differ";
    return "";
}

}  // namespace glint::fuzz
