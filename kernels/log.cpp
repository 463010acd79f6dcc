#include "kernels/log.h"

#include <atomic>

namespace glint {
namespace {
struct Sink {
    LogCallback cb;
    void* user;
};
std::atomic<Sink*> g_sink{nullptr};
}  // namespace

void set_log_callback(LogCallback cb, void* user) {
    // Sinks are tiny and set rarely; leaking replaced ones keeps concurrent
    // readers safe without locks.
    g_sink.store(cb ? new Sink{cb, user} : nullptr);
}

void log(LogLevel level, const std::string& message) {
    if (Sink* s = g_sink.load()) s->cb(level, message.c_str(), s->user);
}

}  // namespace glint
