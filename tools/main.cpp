// `glint <command> [options]`: dispatches to the registered subcommands.
#include <algorithm>
#include <cstdio>
#include <cstring>

#include "tools/cli.h"

namespace glint::cli {
std::vector<Command>& registry() {
    static std::vector<Command> commands;
    return commands;
}
}  // namespace glint::cli

static void usage(FILE* out) {
    auto cmds = glint::cli::registry();
    std::sort(cmds.begin(), cmds.end(),
              [](const auto& a, const auto& b) { return std::strcmp(a.name, b.name) < 0; });
    std::fprintf(out, "usage: glint <command> [options]\n\ncommands:\n");
    for (const auto& c : cmds) std::fprintf(out, "  %-12s %s\n", c.name, c.summary);
    std::fprintf(out, "\nRun `glint <command> --help` for the options of one command.\n");
}

int main(int argc, char** argv) {
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (!std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h") || !std::strcmp(argv[1], "help")) {
        usage(stdout);
        return 0;
    }
    for (const auto& c : glint::cli::registry())
        if (!std::strcmp(c.name, argv[1])) return c.fn(argc - 1, argv + 1);
    std::fprintf(stderr, "glint: unknown command '%s'\n\n", argv[1]);
    usage(stderr);
    return 2;
}
