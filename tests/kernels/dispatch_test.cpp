// Kernel-set selection: the scalar set is always there, GLINT_ISA names are
// honoured when available and fall back (with a warning) when not.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "kernels/cpu_features.h"
#include "kernels/log.h"
#include "kernels/quants.h"

using namespace glint;
using namespace glint::kernels;

namespace {

std::vector<std::string> g_warnings;
void capture(LogLevel level, const char* msg, void*) {
    if (level == LogLevel::Warn) g_warnings.emplace_back(msg);
}

TEST(kernels_dispatch, ScalarSetAlwaysAvailableAndComplete) {
    const auto sets = available_kernel_sets();
    ASSERT_FALSE(sets.empty());
    EXPECT_STREQ(sets.front()->isa, "scalar");
    const KernelSet* s = find_kernel_set("scalar");
    ASSERT_NE(s, nullptr);
    for (TensorType t : {TensorType::F32, TensorType::F16, TensorType::BF16, TensorType::Q4_0,
                         TensorType::Q8_0, TensorType::Q4_K, TensorType::Q5_K, TensorType::Q6_K}) {
        const auto i = static_cast<uint32_t>(t);
        EXPECT_NE(s->vec_dot[i], nullptr) << type_name(t);
        EXPECT_NE(s->quantize_row[i], nullptr) << type_name(t);
        EXPECT_NE(s->dequantize_row[i], nullptr) << type_name(t);
        // Every weight type's activation type must be quantizable.
        EXPECT_NE(s->quantize_row[static_cast<uint32_t>(vec_dot_type(t))], nullptr);
    }
}

TEST(kernels_dispatch, FindAndSelect) {
    EXPECT_EQ(find_kernel_set("no-such-isa"), nullptr);
    const KernelSet* best = available_kernel_sets().back();
    EXPECT_EQ(&select_kernel_set(nullptr), best);
    EXPECT_EQ(&select_kernel_set(""), best);
    EXPECT_STREQ(select_kernel_set("scalar").isa, "scalar");
    // The active set is one of the available ones.
    bool found = false;
    for (const KernelSet* ks : available_kernel_sets()) found |= ks == &active_kernels();
    EXPECT_TRUE(found);
}

TEST(kernels_dispatch, UnknownIsaWarnsAndFallsBack) {
    // Installed once and left in place: log.cpp never frees a replaced sink, so
    // resetting it here would show up as a leak under LeakSanitizer.
    static const bool installed = (set_log_callback(capture, nullptr), true);
    (void)installed;
    g_warnings.clear();
    const KernelSet& ks = select_kernel_set("sse9000");
    EXPECT_EQ(&ks, available_kernel_sets().back());
    ASSERT_EQ(g_warnings.size(), 1u);
    EXPECT_NE(g_warnings[0].find("sse9000"), std::string::npos) << g_warnings[0];
}

TEST(kernels_dispatch, CpuFeaturesAreConsistent) {
    const CpuFeatures& f = cpu_features();
    // AVX-512 usable implies the AVX2 set is; each set's gate implies its parts.
    EXPECT_TRUE(!f.has_avx512_set() || f.has_avx2_set());
    EXPECT_TRUE(!f.has_avx2_set() || (f.avx2 && f.fma && f.f16c));
    EXPECT_TRUE(!(f.avx512vnni || f.avx512bw || f.avx512vl) || f.avx512f);
#if defined(__AVX2__)
    EXPECT_TRUE(f.avx2);  // the compiler was told the target has it
#endif
}

}  // namespace
