// CLI argument fuzz check: any argument list given to any subcommand's parse
// step must parse or fail with UsageError (which the command prints as a usage
// message, exit code 2); nothing else may come out.
#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <vector>

#include "tests/fuzz/harness.h"
#include "tools/cli.h"
#include "tools/common.h"

namespace glint::fuzz {

std::string cli_one(const uint8_t* data, size_t size) {
    std::vector<cli::Command> cmds;
    for (const auto& c : cli::registry())
        if (c.parse) cmds.push_back(c);
    if (cmds.empty()) return "no command registers a parse step";
    std::sort(cmds.begin(), cmds.end(), [](const auto& a, const auto& b) { return std::strcmp(a.name, b.name) < 0; });

    std::vector<std::string> args;
    const std::string_view in(reinterpret_cast<const char*>(data), size);
    for (size_t p = 0; p <= in.size() && args.size() < 256;) {
        size_t q = in.find('\0', p);
        if (q == std::string_view::npos) q = in.size();
        args.emplace_back(in.substr(p, q - p));
        p = q + 1;
    }
    // the first field names the command; anything else picks one by its first byte
    const cli::Command* cmd = nullptr;
    for (const auto& c : cmds)
        if (args[0] == c.name) cmd = &c;
    if (!cmd) cmd = &cmds[(size ? data[0] : 0) % cmds.size()];
    args[0] = cmd->name;

    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    try {
        cmd->parse(int(args.size()), argv.data());
    } catch (const cli::UsageError& e) {
        if (!*e.what()) return std::string("glint ") + cmd->name + ": UsageError with an empty message";
    } catch (const std::exception& e) {
        return std::string("glint ") + cmd->name + ": parse threw something other than UsageError: " + e.what();
    }
    return "";
}

}  // namespace glint::fuzz

// tools/main.cpp, which defines the registry, is not linked here.
namespace glint::cli {
std::vector<Command>& registry() {
    static std::vector<Command> commands;
    return commands;
}
}  // namespace glint::cli
