// The built binary must run on any x86-64 CPU, one without AVX2 included (the
// scalar kernels). Two checks: the machine code outside the ISA folders uses
// only baseline x86-64 instructions (SSE2), and the binary, run under QEMU
// emulating such a CPU, picks the scalar kernels and writes the same text as
// GLINT_ISA=scalar does natively.
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "cli/run_cli.h"

namespace glint::test {
namespace {

bool have_command(const std::string& name) {
    return std::system(("command -v " + name + " >/dev/null 2>&1").c_str()) == 0;
}

// Code compiled for an instruction set beyond x86-64's SSE2 baseline, found in
// AT&T disassembly. VEX/EVEX instructions (AVX, AVX2, FMA, F16C, AVX-512) all
// have mnemonics starting with 'v' (or 'k' for AVX-512 mask registers); the
// others are listed. Not listed: tzcnt, which GCC emits as `rep bsf` on purpose
// (older CPUs run it as bsf) and objdump prints as tzcnt.
const std::set<std::string>& beyond_baseline() {
    static const std::set<std::string> s = {
        // SSE3
        "addsubpd", "addsubps", "haddpd", "haddps", "hsubpd", "hsubps", "lddqu", "movddup", "movshdup", "movsldup",
        "fisttp", "fisttps", "fisttpl", "fisttpll", "monitor", "mwait",
        // SSSE3
        "pabsb", "pabsw", "pabsd", "palignr", "phaddw", "phaddd", "phaddsw", "phsubw", "phsubd", "phsubsw",
        "pmaddubsw", "pmulhrsw", "pshufb", "psignb", "psignw", "psignd",
        // SSE4.1
        "blendpd", "blendps", "blendvpd", "blendvps", "dppd", "dpps", "extractps", "insertps", "movntdqa", "mpsadbw",
        "packusdw", "pblendvb", "pblendw", "pcmpeqq", "pextrb", "pextrd", "pextrq", "phminposuw", "pinsrb", "pinsrd",
        "pinsrq", "pmaxsb", "pmaxsd", "pmaxud", "pmaxuw", "pminsb", "pminsd", "pminud", "pminuw", "pmovsxbw",
        "pmovsxbd", "pmovsxbq", "pmovsxwd", "pmovsxwq", "pmovsxdq", "pmovzxbw", "pmovzxbd", "pmovzxbq", "pmovzxwd",
        "pmovzxwq", "pmovzxdq", "pmuldq", "pmulld", "ptest", "roundpd", "roundps", "roundsd", "roundss",
        // SSE4.2, POPCNT, LZCNT, BMI1/2, MOVBE, ADX
        "pcmpestri", "pcmpestrm", "pcmpistri", "pcmpistrm", "pcmpgtq", "crc32", "popcnt", "lzcnt", "andn", "bextr",
        "blsi", "blsmsk", "blsr", "bzhi", "mulx", "pdep", "pext", "rorx", "sarx", "shlx", "shrx", "movbe", "adcx",
        "adox"};
    return s;
}

bool is_prefix(const std::string& t) {
    static const std::set<std::string> p = {"rep",  "repz", "repe", "repnz", "repne", "lock", "notrack", "bnd",
                                            "data16", "addr32", "cs", "ds", "es", "fs", "gs", "ss"};
    return p.count(t) > 0 || t.rfind("rex", 0) == 0;
}

bool beyond(const std::string& m) {
    if (m.empty()) return false;
    if (m[0] == 'v' || m[0] == 'k') return true;
    const auto& s = beyond_baseline();
    if (s.count(m)) return true;
    // AT&T size suffix on the integer ones (popcntq, crc32b, andnl...).
    const char last = m.back();
    return (last == 'b' || last == 'w' || last == 'l' || last == 'q') && s.count(m.substr(0, m.size() - 1));
}

// Instructions beyond the baseline in one object file, by mnemonic (with a count).
std::map<std::string, int> scan_object(const std::string& obj, std::string* error) {
    std::map<std::string, int> found;
    const std::string cmd = "objdump -d --no-show-raw-insn " + shell_quote(obj) + " 2>&1";
    FILE* f = popen(cmd.c_str(), "r");
    if (!f) {
        *error = "cannot run objdump";
        return found;
    }
    std::array<char, 4096> buf;
    while (fgets(buf.data(), int(buf.size()), f)) {
        const std::string line(buf.data());
        // "   1a:\tvmovdqu %ymm0,(%rax)"
        const size_t colon = line.find(":\t");
        if (colon == std::string::npos || line.find_first_not_of(" 0123456789abcdef") != colon) continue;
        std::istringstream words(line.substr(colon + 2));
        std::string m;
        while (words >> m && is_prefix(m)) {
        }
        if (beyond(m)) ++found[m];
    }
    if (pclose(f) != 0) *error = "objdump failed on " + obj;
    return found;
}

bool in_isa_folder(const std::string& path) {
    for (const char* d : {"/avx2/", "/avx512/", "/avxvnni/", "/avx512vnni/"})
        if (path.find(d) != std::string::npos) return true;
    return false;
}

TEST(BaselineCpu, CodeOutsideTheIsaFoldersUsesOnlyX86_64Baseline) {
#if !defined(__x86_64__)
    GTEST_SKIP() << "not an x86-64 build";
#else
    if (!have_command("objdump")) GTEST_SKIP() << "objdump (binutils) not found";
    std::ifstream list(GLINT_OBJECTS_LIST);
    ASSERT_TRUE(list) << "cannot read the object list " << GLINT_OBJECTS_LIST;
    std::vector<std::string> common, isa;
    for (std::string p; std::getline(list, p);)
        if (!p.empty()) (in_isa_folder(p) ? isa : common).push_back(p);
    ASSERT_GT(common.size(), 20u) << "too few objects listed in " << GLINT_OBJECTS_LIST;
    for (const auto& obj : common) {
        std::string error;
        const auto found = scan_object(obj, &error);
        ASSERT_TRUE(error.empty()) << error;
        std::string names;
        for (const auto& [m, n] : found) names += " " + m + " (" + std::to_string(n) + ")";
        EXPECT_TRUE(found.empty()) << obj << " is built for more than x86-64's baseline; a CPU without these"
                                   << " instructions would stop with SIGILL:" << names;
    }
    // The scan itself sees such code where it is meant to be.
    bool isa_seen = isa.empty();
    for (const auto& obj : isa) {
        std::string error;
        if (!scan_object(obj, &error).empty()) isa_seen = true;
    }
    EXPECT_TRUE(isa_seen) << "no AVX2/AVX-512 instruction found in the ISA folders' objects: the scan is broken";
#endif
}

TEST(BaselineCpu, RunsOnAnX86_64CpuWithoutAvx2UnderQemu) {
#if !defined(__x86_64__)
    GTEST_SKIP() << "not an x86-64 build";
#elif defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
    GTEST_SKIP() << "qemu-user cannot run sanitizer builds (their shadow memory); the Release pass runs this";
#else
    if (!have_command("qemu-x86_64"))
        GTEST_SKIP() << "qemu-x86_64 not found (Debian package qemu-user; tools/install-deps.sh installs it)";
    const std::vector<std::string> args = {"run", "-p", "Once upon a time", "-n", "12", "--temp", "0", "-t", "2",
                                           "--verbose"};
    // qemu64: SSE2/SSE3, no SSSE3, SSE4, AVX, FMA or F16C in its CPUID.
    const auto emulated = run_glint_via("qemu-x86_64 -cpu qemu64", args);
    ASSERT_EQ(emulated.code, 0) << emulated.err;
    EXPECT_NE(emulated.err.find("kernels scalar"), std::string::npos) << emulated.err;
    const auto native = run_glint_via("GLINT_ISA=scalar", args);
    ASSERT_EQ(native.code, 0) << native.err;
    EXPECT_EQ(emulated.out, native.out);
    EXPECT_EQ(emulated.out.rfind("Once upon a time, there was a little girl", 0), 0u) << emulated.out;
#endif
}

}  // namespace
}  // namespace glint::test
