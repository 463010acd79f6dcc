#include "engine/chat/chat_template.h"

#include <new>

#include "engine/chat/eval.h"
#include "engine/chat/json.h"
#include "engine/chat/parser.h"
#include "gguf/error.h"

namespace glint {

namespace chat {
struct CompiledTemplate {
    Body body;
};
}  // namespace chat

namespace {

std::string where(const chat::SrcPos& p) { return std::to_string(p.line) + ":" + std::to_string(p.col); }

std::string render_context(const chat::CompiledTemplate& t, const chat::Value& context, const ChatTemplateOptions& o) {
    if (!context.is_dict())
        throw Error(ErrorCode::InvalidArgument, "chat template context must be a JSON object, got " + context.type_name());
    chat::EvalConfig cfg;
    cfg.clock = o.clock;
    cfg.limits.max_output_bytes = o.max_output_bytes;
    cfg.limits.max_steps = o.max_steps;
    cfg.limits.max_depth = o.max_depth;
    chat::Evaluator ev(cfg);
    try {
        return ev.render(t.body, context.dict());
    } catch (chat::PositionedError& e) {
        throw Error(ErrorCode::InvalidArgument, "chat template error at " + where(e.pos) + ": " + e.type + ": " + e.message);
    } catch (const std::bad_alloc&) {  // the limits should prevent this; never let it escape as a std exception
        throw Error(ErrorCode::OutOfMemory, "chat template: out of memory while rendering");
    }
}

}  // namespace

ChatTemplate::ChatTemplate(std::string_view source) {
    auto t = std::make_shared<chat::CompiledTemplate>();
    try {
        t->body = chat::parse_template(source);
    } catch (chat::SyntaxError& e) {
        throw Error(ErrorCode::InvalidArgument, "chat template syntax error at " + where(e.pos) + ": " + e.message);
    }
    impl_ = std::move(t);
}

std::string ChatTemplate::render(const std::vector<ChatMessage>& messages, bool add_generation_prompt,
                                 std::string_view bos_token, std::string_view eos_token,
                                 const ChatTemplateOptions& opts) const {
    std::vector<chat::Value> msgs;
    msgs.reserve(messages.size());
    for (const ChatMessage& m : messages) {
        chat::DictData d;
        d.set(chat::Value("role"), chat::Value(m.role));
        d.set(chat::Value("content"), chat::Value(m.content));
        msgs.push_back(chat::Value::dict(std::move(d)));
    }
    chat::DictData ctx;
    ctx.set(chat::Value("messages"), chat::Value::list(std::move(msgs)));
    ctx.set(chat::Value("add_generation_prompt"), chat::Value(add_generation_prompt));
    ctx.set(chat::Value("bos_token"), chat::Value(bos_token));
    ctx.set(chat::Value("eos_token"), chat::Value(eos_token));
    return render_context(*impl_, chat::Value::dict(std::move(ctx)), opts);
}

std::string ChatTemplate::render_json(std::string_view context_json, const ChatTemplateOptions& opts) const {
    chat::Value ctx;
    try {
        ctx = chat::parse_json(context_json);
    } catch (chat::RenderError& e) {  // e.g. nesting beyond the value depth limit
        throw Error(ErrorCode::InvalidArgument, "chat template context: " + e.type + ": " + e.message);
    }
    return render_context(*impl_, ctx, opts);
}

std::string render_chat_template(std::string_view source, const std::vector<ChatMessage>& messages,
                                 bool add_generation_prompt, std::string_view bos_token, std::string_view eos_token) {
    return ChatTemplate(source).render(messages, add_generation_prompt, bos_token, eos_token);
}

std::string render_chat_template_json(std::string_view source, std::string_view context_json,
                                      const ChatTemplateOptions& opts) {
    return ChatTemplate(source).render_json(context_json, opts);
}

std::string_view default_chat_template() {
    return "{%- for message in messages -%}\n"
           "{{- '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' -}}\n"
           "{%- endfor -%}\n"
           "{%- if add_generation_prompt -%}\n"
           "{{- '<|im_start|>assistant\\n' -}}\n"
           "{%- endif -%}";
}

}  // namespace glint
