// Subcommand registry for the `glint` binary: each cmd_*.cpp registers one
// command with a static Registration, so adding a command touches one file.
#pragma once
#include <string>
#include <vector>

namespace glint::cli {

// argv[0] is the subcommand name; returns the process exit code.
using CommandFn = int (*)(int argc, char** argv);

struct Command {
    const char* name;
    const char* summary;
    CommandFn fn;
};

std::vector<Command>& registry();

struct Registration {
    Registration(const char* name, const char* summary, CommandFn fn) {
        registry().push_back({name, summary, fn});
    }
};

}  // namespace glint::cli
