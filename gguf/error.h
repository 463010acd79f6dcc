// The one exception type inside glint. Internal code throws it with a message
// that names the problem; public entry points (C API, CLI) catch it and turn it
// into a status code and message. Nothing inside glint prints or exits.
#pragma once
#include <stdexcept>
#include <string>

namespace glint {

enum class ErrorCode : int {
    InvalidArgument = 1,  // bad parameter from the caller
    Io = 2,               // cannot open/read/write/map a file
    InvalidFile = 3,      // malformed or hostile GGUF content
    Unsupported = 4,      // well-formed but not something glint can run
    OutOfMemory = 5,      // allocation or KV cache exhausted
    ContextFull = 6,      // a sequence would exceed its context
    Cancelled = 7,
    Internal = 8,
};

class Error : public std::runtime_error {
public:
    Error(ErrorCode code, const std::string& msg) : std::runtime_error(msg), code_(code) {}
    ErrorCode code() const { return code_; }

private:
    ErrorCode code_;
};

}  // namespace glint
