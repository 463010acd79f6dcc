// Runs the glint binary with arguments and captures exit code, stdout, stderr.
#pragma once
#include <sys/wait.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <unistd.h>

namespace glint::test {

struct CliResult {
    int code = -1;
    std::string out, err;
};

inline std::string shell_quote(const std::string& s) {
    std::string q = "'";
    for (char c : s) q += (c == '\'') ? std::string("'\\''") : std::string(1, c);
    return q + "'";
}

inline std::string slurp(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

// launcher: shell text put before the binary (environment settings, an emulator);
// args are appended after it, each shell-quoted; stdin_text is fed on stdin.
inline CliResult run_glint_via(const std::string& launcher, const std::vector<std::string>& args,
                               const std::string& stdin_text = "") {
    char tmpl[] = "/tmp/glint-cli-XXXXXX";
    std::string dir = mkdtemp(tmpl);
    std::string cmd = launcher;
    if (!cmd.empty()) cmd.append(" ");
    cmd.append(shell_quote(GLINT_BIN));
    for (const auto& a : args) cmd.append(" ").append(shell_quote(a));
    // built with append: GCC 12 warns falsely (-Wrestrict) on operator+ here
    std::string in(dir), out(dir), err(dir);
    in.append("/in");
    out.append("/out");
    err.append("/err");
    { std::ofstream(in, std::ios::binary) << stdin_text; }
    cmd += " <" + in + " >" + out + " 2>" + err;
    int st = std::system(cmd.c_str());
    CliResult r;
    r.code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    r.out = slurp(out);
    r.err = slurp(err);
    std::remove(in.c_str()); std::remove(out.c_str()); std::remove(err.c_str());
    rmdir(dir.c_str());
    return r;
}

inline CliResult run_glint(const std::vector<std::string>& args, const std::string& stdin_text = "") {
    return run_glint_via("", args, stdin_text);
}

}  // namespace glint::test
