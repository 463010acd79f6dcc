// Subcommand registry for the `glint` binary: each cmd_*.cpp registers one
// command with a static Registration, so adding a command touches one file.
#pragma once
#include <string>
#include <vector>

namespace glint::cli {

// argv[0] is the subcommand name; returns the process exit code.
using CommandFn = int (*)(int argc, char** argv);
// Only the argument-parsing step of a command: returns or throws UsageError,
// never touches files or the model (the CLI fuzzer calls it; tests/FUZZING.md).
using ParseFn = void (*)(int argc, char** argv);

struct Command {
    const char* name;
    const char* summary;
    CommandFn fn;
    ParseFn parse = nullptr;
};

std::vector<Command>& registry();

struct Registration {
    Registration(const char* name, const char* summary, CommandFn fn, ParseFn parse = nullptr) {
        registry().push_back({name, summary, fn, parse});
    }
};

}  // namespace glint::cli
