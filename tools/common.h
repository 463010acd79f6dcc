// Helpers shared by the subcommands: argument reading with clear errors,
// locating the bundled default model, and timing.
#pragma once
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <stdexcept>
#include <string>

namespace glint::cli {

// A command-line mistake: reported as "glint <cmd>: <message>", exit code 2.
struct UsageError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// Walks argv[1..]; value readers throw UsageError naming the option.
class ArgReader {
public:
    ArgReader(int argc, char** argv) : argc_(argc), argv_(argv) {}
    bool next(std::string& opt);  // false at the end
    std::string str();            // the value of the current option
    int64_t integer(int64_t lo, int64_t hi);
    double real();
    const std::string& current() const { return cur_; }

private:
    int argc_;
    char** argv_;
    int i_ = 1;
    std::string cur_;
};

// The front of every subcommand that takes options: -h/--help prints `usage`
// (exit code 0); a UsageError from `parse` prints "glint NAME: message" and
// the --help hint (exit code 2). False, with `rc` set, when the command stops.
template <class Opts>
bool parse_args(const char* name, const char* usage, int argc, char** argv, Opts (*parse)(int, char**), Opts& out,
                int& rc) {
    for (int i = 1; i < argc; ++i)
        if (std::string(argv[i]) == "-h" || std::string(argv[i]) == "--help") {
            std::fputs(usage, stdout);
            rc = 0;
            return false;
        }
    try {
        out = parse(argc, argv);
        return true;
    } catch (const UsageError& e) {
        std::fprintf(stderr, "glint %s: %s\nRun 'glint %s --help' for the options.\n", name, e.what(), name);
        rc = 2;
        return false;
    }
}

// -m default: $GLINT_MODEL, else the installed copy beside the binary
// (../share/glint/stories260K.gguf), else the source tree's tools/models copy.
std::string default_model_path();

std::string read_file(const std::string& path);  // throws glint::Error(Io)

inline double now_ms() {
    using namespace std::chrono;
    return duration<double, std::milli>(steady_clock::now().time_since_epoch()).count();
}

}  // namespace glint::cli
