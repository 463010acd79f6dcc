#include "tools/common.h"

#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "gguf/error.h"

namespace glint::cli {

bool ArgReader::next(std::string& opt) {
    if (i_ >= argc_) return false;
    opt = cur_ = argv_[i_++];
    return true;
}

std::string ArgReader::str() {
    if (i_ >= argc_) throw UsageError("option " + cur_ + " needs a value");
    return argv_[i_++];
}

int64_t ArgReader::integer(int64_t lo, int64_t hi) {
    const std::string opt = cur_, s = str();
    char* end = nullptr;
    errno = 0;
    const long long v = std::strtoll(s.c_str(), &end, 10);
    if (s.empty() || *end || errno == ERANGE) throw UsageError("option " + opt + " expects an integer, got '" + s + "'");
    if (v < lo || v > hi)
        throw UsageError("option " + opt + " must be between " + std::to_string(lo) + " and " + std::to_string(hi) +
                         ", got " + s);
    return v;
}

double ArgReader::real() {
    const std::string opt = cur_, s = str();
    char* end = nullptr;
    errno = 0;
    const double v = std::strtod(s.c_str(), &end);
    if (s.empty() || *end || errno == ERANGE || !std::isfinite(v))
        throw UsageError("option " + opt + " expects a number, got '" + s + "'");
    return v;
}

std::string default_model_path() {
    namespace fs = std::filesystem;
    if (const char* env = std::getenv("GLINT_MODEL"); env && *env) return env;
    std::error_code ec;
    const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
    if (!ec) {
        const fs::path installed = exe.parent_path().parent_path() / "share/glint/stories260K.gguf";
        if (fs::exists(installed, ec)) return installed.string();
    }
    return GLINT_SOURCE_MODEL;
}

std::string read_file(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    if (!f) throw Error(ErrorCode::Io, path + ": cannot open: " + std::strerror(errno));
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

}  // namespace glint::cli
