// Library-wide logging goes through one callback the embedding program sets;
// by default messages are dropped (the library never writes to stderr itself).
#pragma once
#include <string>

namespace glint {

enum class LogLevel { Debug = 0, Info = 1, Warn = 2, Error = 3 };
using LogCallback = void (*)(LogLevel level, const char* message, void* user);

void set_log_callback(LogCallback cb, void* user);
void log(LogLevel level, const std::string& message);

}  // namespace glint
