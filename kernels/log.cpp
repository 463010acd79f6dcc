#include "kernels/log.h"

#include <atomic>
#include <memory>
#include <mutex>
#include <vector>

namespace glint {
namespace {
struct Sink {
    LogCallback cb;
    void* user;
};
std::atomic<Sink*> g_sink{nullptr};
}  // namespace

void set_log_callback(LogCallback cb, void* user) {
    // Sinks are tiny and set rarely; keeping every one (reachable, never
    // freed) keeps concurrent readers of a replaced one safe without locks.
    static std::mutex mu;
    static auto* kept = new std::vector<std::unique_ptr<Sink>>;
    std::lock_guard<std::mutex> lock(mu);
    Sink* s = nullptr;
    if (cb) {
        kept->push_back(std::make_unique<Sink>(Sink{cb, user}));
        s = kept->back().get();
    }
    g_sink.store(s);
}

void log(LogLevel level, const std::string& message) {
    if (Sink* s = g_sink.load()) s->cb(level, message.c_str(), s->user);
}

}  // namespace glint
