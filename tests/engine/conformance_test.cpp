// Forward pass against the reference engine's outputs in ../shared/reference:
// prompt tokens, per-position logits (NMSE, top-1), greedy continuation, and
// batch vs token-by-token equality. Runs on every kernel set this CPU has.
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>

#include "engine/context.h"
#include "engine/model.h"
#include "reference.h"
#include "kernels/log.h"
#include "kernels/quants.h"

namespace glint::test {
namespace {

// Tolerances from the issue: stories260K (F32) 1e-5; F16 1e-4; quantized 1e-3.
constexpr double kNmseF32 = 1e-5, kNmseF16 = 1e-4, kNmseQuant = 1e-3, kTop1Min = 0.9;

double nmse_bound(const std::string& model) {
    if (model.rfind("stories260K", 0) == 0) return kNmseF32;
    if (model.find("-F16") != std::string::npos) return kNmseF16;
    return kNmseQuant;
}

std::shared_ptr<Model> model_for(const std::string& name) {
    static std::map<std::string, std::shared_ptr<Model>> cache;
    auto& m = cache[name];
    if (!m) m = Model::load(shared_path("models/" + name + ".gguf"));
    return m;
}

// Logits of every prompt position, decoding the prompt in chunks of `step`.
std::vector<float> prompt_logits(const Model& m, const std::vector<int32_t>& toks, int32_t step,
                                 const std::string& isa, bool pack = true) {
    ContextParams cp;
    cp.isa = isa;
    cp.pack_weights = pack;
    cp.n_ctx = 256;
    cp.n_threads = 2;
    Context ctx(m, cp);
    const size_t nv = size_t(m.hparams().n_vocab);
    std::vector<float> out;
    for (size_t i = 0; i < toks.size(); i += size_t(step)) {
        std::vector<BatchToken> b;
        for (size_t j = i; j < std::min(toks.size(), i + size_t(step)); ++j) b.push_back({toks[j], int32_t(j), 0, true});
        ctx.decode(b);
        for (int32_t r = 0; r < ctx.n_logits(); ++r) out.insert(out.end(), ctx.logits(r), ctx.logits(r) + nv);
    }
    return out;
}

struct Param {
    std::string case_name;
    std::string isa;
};

class Conformance : public ::testing::TestWithParam<Param> {
protected:
    void SetUp() override {
        GLINT_REQUIRE_SHARED();
        if (!kernels::find_kernel_set(GetParam().isa)) GTEST_SKIP() << GetParam().isa << " not supported here";
    }
};

TEST_P(Conformance, LogitsMatchReference) {
    const RefCase c = load_reference(GetParam().case_name);
    auto m = model_for(c.model);
    ASSERT_EQ(m->tokenizer().encode(c.prompt, c.add_bos, false), c.prompt_tokens);
    const std::vector<float> got = prompt_logits(*m, c.prompt_tokens, 512, GetParam().isa);
    ASSERT_EQ(got.size(), c.logits.size());
    const size_t nv = size_t(c.n_vocab);
    int agree = 0;
    double worst = 0;
    for (int p = 0; p < c.n_pos; ++p) {
        const double e = nmse(got.data() + p * nv, c.logits.data() + p * nv, nv);
        worst = std::max(worst, e);
        EXPECT_LE(e, nmse_bound(c.model)) << "position " << p;
        agree += argmax(got.data() + p * nv, nv) == argmax(c.logits.data() + p * nv, nv);
    }
    const double top1 = double(agree) / c.n_pos;
    EXPECT_GE(top1, kTop1Min);
    std::printf("%s [%s]: worst NMSE %.3g, top-1 %.3f\n", c.name.c_str(), GetParam().isa.c_str(), worst, top1);
}

TEST_P(Conformance, BatchEqualsTokenByToken) {
    const RefCase c = load_reference(GetParam().case_name);
    auto m = model_for(c.model);
    const std::vector<float> batch = prompt_logits(*m, c.prompt_tokens, 512, GetParam().isa);
    const std::vector<float> single = prompt_logits(*m, c.prompt_tokens, 1, GetParam().isa);
    const std::vector<float> chunk3 = prompt_logits(*m, c.prompt_tokens, 3, GetParam().isa);
    ASSERT_EQ(batch.size(), single.size());
    const size_t nv = size_t(c.n_vocab);
    for (int p = 0; p < c.n_pos; ++p) {
        EXPECT_LE(nmse(single.data() + p * nv, batch.data() + p * nv, nv), 1e-10) << "position " << p;
        EXPECT_LE(nmse(chunk3.data() + p * nv, batch.data() + p * nv, nv), 1e-10) << "position " << p;
    }
}

TEST_P(Conformance, GreedyContinuation) {
    const RefCase c = load_reference(GetParam().case_name);
    if (c.model != "stories260K") GTEST_SKIP() << "greedy text is compared for the trained model only";
    auto m = model_for(c.model);
    ContextParams cp;
    cp.n_ctx = 512;
    cp.n_threads = 2;
    cp.isa = GetParam().isa;
    Context ctx(*m, cp);
    std::vector<BatchToken> b;
    for (size_t i = 0; i < c.prompt_tokens.size(); ++i)
        b.push_back({c.prompt_tokens[i], int32_t(i), 0, i + 1 == c.prompt_tokens.size()});
    ctx.decode(b);
    std::vector<int32_t> got;
    int32_t pos = int32_t(c.prompt_tokens.size());
    while (got.size() < c.greedy_tokens.size()) {
        const float* l = ctx.logits(ctx.n_logits() - 1);
        const int32_t id = int32_t(argmax(l, size_t(c.n_vocab)));
        got.push_back(id);
        if (m->tokenizer().is_eog(id)) break;
        ctx.decode({{id, pos++, 0, true}});
    }
    EXPECT_EQ(got, c.greedy_tokens);
    // The reference's greedy_text is the plain concatenation of the pieces.
    std::string text;
    for (int32_t id : got) text += m->tokenizer().token_to_piece(id, false);
    EXPECT_EQ(text, c.greedy_text);
}

// Generation through packed weights (kernels/packed.h) gives the bits of the
// in-place GEMVs, on every available set with a packed GEMV for a type of the
// model; and the weights of those types were packed.
TEST_P(Conformance, PackedWeightsGiveTheSameLogits) {
    const RefCase c = load_reference(GetParam().case_name);
    auto m = model_for(c.model);
    const kernels::KernelSet& ks = *kernels::find_kernel_set(GetParam().isa);
    bool any = false;
    for (const LayerWeights& L : m->layers())
        for (const Weight* w : {&L.wq, &L.wk, &L.wv, &L.wo, &L.w_gate, &L.w_up, &L.w_down})
            any = any || (w->rows >= 16 && ks.gemv_packed[static_cast<uint32_t>(w->type)]);
    if (!any) GTEST_SKIP() << ks.isa << " has no packed GEMV for the types of " << c.model;
    const auto pw = m->packed_weights(ks);
    ASSERT_TRUE(pw);
    EXPECT_GT(pw->bytes, 0u);
    for (size_t il = 0; il < pw->layers.size(); ++il) {
        const Weight& w = pw->layers[il].w_gate;
        EXPECT_EQ(w.packed != nullptr, ks.gemv_packed[static_cast<uint32_t>(w.type)] != nullptr) << "layer " << il;
    }
    const std::vector<float> packed = prompt_logits(*m, c.prompt_tokens, 1, GetParam().isa, true);
    const std::vector<float> plain = prompt_logits(*m, c.prompt_tokens, 1, GetParam().isa, false);
    ASSERT_EQ(packed.size(), plain.size());
    EXPECT_EQ(std::memcmp(packed.data(), plain.data(), packed.size() * sizeof(float)), 0);
}

// Where the copies would not fit, generation reads the mapped file: no copies,
// a warning naming the sizes, and a context that still decodes.
TEST(PackedWeights, FallBackWhenMemoryIsShort) {
    GLINT_REQUIRE_SHARED();
    const kernels::KernelSet* ks = kernels::find_kernel_set("avx512");
    if (!ks || !ks->gemv_packed[static_cast<uint32_t>(TensorType::Q4_K)])
        GTEST_SKIP() << "no kernel set with packed GEMVs on this CPU (AVX-512 VNNI)";
    static std::vector<std::string> warnings;  // static: the capture-less callback below reaches it
    warnings.clear();
    set_log_callback([](LogLevel l, const char* msg, void*) { if (l >= LogLevel::Warn) warnings.push_back(msg); },
                     nullptr);
    const std::string path = shared_path("models/mini-Q4_K_M.gguf");
    auto roomy = Model::load(path);
    const auto pw = roomy->packed_weights(*ks, 1, uint64_t(1) << 40);
    ASSERT_TRUE(pw);
    EXPECT_TRUE(warnings.empty());
    auto m = Model::load(path);
    EXPECT_FALSE(m->packed_weights(*ks, 1, 5 * pw->bytes / 4));  // 80% of it is less than the copies
    set_log_callback(nullptr, nullptr);
    ASSERT_EQ(warnings.size(), 1u);
    const std::string need = std::to_string(pw->bytes >> 20) + " MiB needed";
    EXPECT_NE(warnings[0].find("not packing weights for generation: " + need), std::string::npos) << warnings[0];
    EXPECT_NE(warnings[0].find("generation reads the mapped file"), std::string::npos) << warnings[0];
    ContextParams cp;
    cp.isa = ks->isa;
    Context ctx(*m, cp);  // the null is kept: the context reads the file
    EXPECT_EQ(ctx.packed_bytes(), 0u);
    const std::vector<float> got = prompt_logits(*m, {1, 2, 3}, 1, ks->isa);
    const std::vector<float> want = prompt_logits(*roomy, {1, 2, 3}, 1, ks->isa);
    ASSERT_EQ(got.size(), want.size());
    EXPECT_EQ(std::memcmp(got.data(), want.data(), got.size() * sizeof(float)), 0);
}

std::vector<Param> params() {
    std::vector<Param> out;
    for (const auto& n : reference_case_names())
        for (const char* isa : {"scalar", "avx2", "avx512"}) out.push_back({n, isa});
    if (out.empty()) out.push_back({"<no fixtures>", "scalar"});
    return out;
}

std::string param_name(const ::testing::TestParamInfo<Param>& info) {
    std::string s = info.param.case_name + "_" + info.param.isa;
    for (char& ch : s)
        if (!isalnum(static_cast<unsigned char>(ch))) ch = '_';
    return s;
}

INSTANTIATE_TEST_SUITE_P(Reference, Conformance, ::testing::ValuesIn(params()), param_name);

}  // namespace
}  // namespace glint::test
