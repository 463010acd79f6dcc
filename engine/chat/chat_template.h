// Chat-template rendering: the Jinja2 subset that models' tokenizer.chat_template
// strings use, rendered the way Hugging Face does (Jinja2 sandbox, trim_blocks
// and lstrip_blocks on, loopcontrols, raise_exception() and strftime_now()).
//
// Errors throw glint::Error (ErrorCode::InvalidArgument) whose message names
// the problem and where: "chat template syntax error at 3:14: ..." for a
// template that does not parse, "chat template error at 24:5: UndefinedError:
// 'functions' is undefined" or "...: TemplateError: <raise_exception text>"
// while rendering. Hostile templates fail the same way: output size, work and
// recursion depth are capped (see ChatTemplateOptions).
#pragma once
#include <cstdint>
#include <ctime>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace glint {

struct ChatMessage {
    std::string role;
    std::string content;
};

struct ChatTemplateOptions {
    // What strftime_now() calls "now". Empty: the current local time.
    std::function<std::tm()> clock;
    // Largest string the template may build, the rendered result included.
    std::size_t max_output_bytes = 16u << 20;
    // Evaluation work budget; stops templates that loop without end.
    uint64_t max_steps = 10'000'000;
    // Deepest run-time nesting of statements, expressions and macro calls.
    int max_depth = 600;
};

namespace chat {
struct CompiledTemplate;
}

// A parsed template, to render many times. Copies share the parse.
class ChatTemplate {
public:
    // Throws glint::Error on a syntax error (message has line:column).
    explicit ChatTemplate(std::string_view source);

    // The common case: `messages` (role/content), `add_generation_prompt`,
    // `bos_token` and `eos_token` are the template's variables.
    std::string render(const std::vector<ChatMessage>& messages, bool add_generation_prompt,
                       std::string_view bos_token, std::string_view eos_token,
                       const ChatTemplateOptions& opts = {}) const;

    // General form: `context_json` is a JSON object whose members become the
    // template's variables (messages with tool_calls, tools, documents,
    // add_generation_prompt, bos_token, ...). Key order is preserved.
    std::string render_json(std::string_view context_json, const ChatTemplateOptions& opts = {}) const;

private:
    std::shared_ptr<const chat::CompiledTemplate> impl_;
};

// One-shot helpers around ChatTemplate.
std::string render_chat_template(std::string_view source, const std::vector<ChatMessage>& messages,
                                 bool add_generation_prompt, std::string_view bos_token, std::string_view eos_token);
std::string render_chat_template_json(std::string_view source, std::string_view context_json,
                                      const ChatTemplateOptions& opts = {});

// The template to use when a GGUF has no tokenizer.chat_template: ChatML, as
// llama.cpp falls back to. Renders "<|im_start|>{role}\n{content}<|im_end|>\n"
// per message and "<|im_start|>assistant\n" when add_generation_prompt is set.
std::string_view default_chat_template();

}  // namespace glint
