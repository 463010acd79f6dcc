// JSON in and out of the template value type. Parsing keeps object key order
// (templates print tools in the order the caller gave them). Dumping follows
// Python's json.dumps byte for byte, since that is what Jinja2's tojson calls.
#pragma once
#include <optional>
#include <string>
#include <string_view>

#include "engine/chat/value.h"

namespace glint::chat {

// Throws glint::Error (InvalidArgument) on malformed JSON, naming the offset.
Value parse_json(std::string_view text);

struct JsonDumpOptions {
    std::optional<std::string> indent;  // json.dumps(indent=...) as the string per level
    bool sort_keys = false;
    bool ensure_ascii = true;
    bool html_safe = false;  // Jinja2's tojson: escape < > & ' as \uXXXX
};

// Raises TypeError like json.dumps for values JSON cannot represent.
std::string dump_json(const Value& v, const JsonDumpOptions& opts);

}  // namespace glint::chat
