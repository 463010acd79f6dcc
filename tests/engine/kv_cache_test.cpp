// Paged KV cache: block accounting, fork/copy-on-write, exhaustion, and whole-
// model equivalences (paged vs one big block, many sequences vs each alone).
#include <gtest/gtest.h>

#include <memory>
#include <random>

#include "engine/context.h"
#include "engine/kv_cache.h"
#include "engine/model.h"
#include "gguf/error.h"
#include "reference.h"

namespace glint {
namespace {

KvCacheParams small(int32_t block, int32_t n_blocks, int32_t n_seq = 4) {
    KvCacheParams p;
    p.n_layer = 2;
    p.n_embd_kv = 32;
    p.head_dim = 32;
    p.n_ctx = 64;
    p.n_seq_max = n_seq;
    p.block_size = block;
    p.n_blocks = n_blocks;
    return p;
}

TEST(KvCache, AllocatesBlocksAsSequencesGrowAndFreesThem) {
    KvCache kv(small(16, 8));
    kv.reserve({{0, 20}});
    kv.advance(0, 20);
    EXPECT_EQ(kv.block_table(0).size(), 2u);
    EXPECT_EQ(kv.n_free_blocks(), 6);
    kv.truncate(0, 16);
    EXPECT_EQ(kv.block_table(0).size(), 1u);
    EXPECT_EQ(kv.seq_len(0), 16);
    kv.remove(0);
    EXPECT_EQ(kv.n_free_blocks(), 8);
    EXPECT_EQ(kv.check_accounting(), "");
}

TEST(KvCache, ExhaustionFailsCleanlyAndChangesNothing) {
    KvCache kv(small(16, 3));
    kv.reserve({{0, 30}});
    kv.advance(0, 30);
    try {
        kv.reserve({{1, 10}, {2, 10}});  // needs 2 blocks, 1 free
        FAIL() << "expected KV cache full";
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), ErrorCode::OutOfMemory);
        EXPECT_NE(std::string(e.what()).find("KV cache full"), std::string::npos);
    }
    EXPECT_EQ(kv.n_free_blocks(), 1);
    EXPECT_EQ(kv.seq_len(1), 0);
    EXPECT_TRUE(kv.block_table(1).empty());
    EXPECT_EQ(kv.check_accounting(), "");
}

TEST(KvCache, ContextLimitPerSequenceIsAnError) {
    KvCache kv(small(16, 16));
    try {
        kv.reserve({{0, 65}});
        FAIL();
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), ErrorCode::ContextFull);
    }
}

TEST(KvCache, ForkSharesBlocksAndCopiesOnWrite) {
    KvCache kv(small(16, 8));
    kv.reserve({{0, 20}});
    for (int32_t p = 0; p < 20; ++p) kv.k_row(0, 0, p)[0] = uint8_t(p);
    kv.advance(0, 20);
    kv.fork(0, 1);
    EXPECT_EQ(kv.block_table(1), kv.block_table(0));
    EXPECT_EQ(kv.n_free_blocks(), 6);  // nothing duplicated yet
    EXPECT_EQ(kv.block_refcount(kv.block_table(0)[0]), 2);
    kv.reserve({{1, 1}});  // child writes into the shared partial block: it gets a copy
    EXPECT_EQ(kv.block_table(1)[0], kv.block_table(0)[0]);  // full block still shared
    EXPECT_NE(kv.block_table(1)[1], kv.block_table(0)[1]);
    EXPECT_EQ(kv.k_row(0, 1, 19)[0], 19);  // copied content
    kv.advance(1, 1);
    EXPECT_EQ(kv.n_free_blocks(), 5);
    EXPECT_EQ(kv.check_accounting(), "");
    kv.remove(0);
    kv.remove(1);
    EXPECT_EQ(kv.n_free_blocks(), 8);
    EXPECT_EQ(kv.check_accounting(), "");
}

TEST(KvCache, ChurnKeepsAccountingExact) {
    KvCache kv(small(4, 40, 8));
    std::mt19937 rng(5);
    for (int step = 0; step < 2000; ++step) {
        const int32_t s = int32_t(rng() % 8);
        switch (rng() % 4) {
            case 0: case 1: {
                const int32_t n = int32_t(rng() % 7);
                try {
                    kv.reserve({{s, n}});
                    kv.advance(s, n);
                } catch (const Error&) {
                }
                break;
            }
            case 2: kv.truncate(s, int32_t(rng() % 20)); break;
            case 3: kv.fork(s, int32_t(rng() % 8)); break;
        }
        ASSERT_EQ(kv.check_accounting(), "") << "step " << step;
    }
    kv.clear();
    EXPECT_EQ(kv.n_free_blocks(), 40);
}

// ---- whole model on the real stories260K ----

std::unique_ptr<Model> stories() { return Model::load(test::shared_path("models/stories260K.gguf")); }

std::vector<int32_t> some_tokens(int n, uint32_t seed) {
    std::mt19937 rng(seed);
    std::vector<int32_t> t{1};
    while (int(t.size()) < n) t.push_back(int32_t(3 + rng() % 500));
    return t;
}

// Logits of the last position after decoding toks alone.
std::vector<float> alone(const Model& m, const std::vector<int32_t>& toks, int32_t block) {
    ContextParams cp;
    cp.n_ctx = 128;
    cp.n_threads = 1;
    cp.kv_block_size = block;
    Context ctx(m, cp);
    std::vector<BatchToken> b;
    for (size_t i = 0; i < toks.size(); ++i) b.push_back({toks[i], int32_t(i), 0, true});
    ctx.decode(b);
    std::vector<float> all;
    for (int32_t r = 0; r < ctx.n_logits(); ++r) all.insert(all.end(), ctx.logits(r), ctx.logits(r) + 512);
    return all;
}

TEST(KvCacheModel, PagedEqualsContiguousForEveryBlockSize) {
    GLINT_REQUIRE_SHARED();
    auto m = stories();
    for (int n : {1, 7, 33}) {
        const auto toks = some_tokens(n, uint32_t(n));
        const auto ref = alone(*m, toks, 128);  // one block holds the whole context
        for (int32_t bs : {1, 16, 32}) EXPECT_EQ(alone(*m, toks, bs), ref) << "n " << n << " block " << bs;
    }
}

TEST(KvCacheModel, SequencesTogetherEqualEachAlone) {
    GLINT_REQUIRE_SHARED();
    auto m = stories();
    for (int32_t N : {1, 3, 8}) {
        ContextParams cp;
        cp.n_ctx = 64;
        cp.n_seq_max = N;
        cp.n_threads = 2;
        Context ctx(*m, cp);
        std::vector<std::vector<int32_t>> seqs;
        for (int32_t s = 0; s < N; ++s) seqs.push_back(some_tokens(5 + 3 * s, uint32_t(100 + s)));
        // Interleaved arrivals: sequence s starts at step s, one token per step each.
        std::vector<std::vector<float>> got(static_cast<size_t>(N));
        for (int step = 0; ; ++step) {
            std::vector<BatchToken> b;
            std::vector<int32_t> owner;
            for (int32_t s = 0; s < N; ++s) {
                const int i = step - s;
                if (i < 0 || i >= int(seqs[size_t(s)].size())) continue;
                b.push_back({seqs[size_t(s)][size_t(i)], i, s, true});
                owner.push_back(s);
            }
            if (b.empty()) break;
            ctx.decode(b);
            for (size_t r = 0; r < owner.size(); ++r)
                got[size_t(owner[r])].insert(got[size_t(owner[r])].end(), ctx.logits(int32_t(r)),
                                             ctx.logits(int32_t(r)) + 512);
        }
        for (int32_t s = 0; s < N; ++s) EXPECT_EQ(got[size_t(s)], alone(*m, seqs[size_t(s)], 16)) << "seq " << s;
        EXPECT_EQ(ctx.kv().check_accounting(), "");
    }
}

TEST(KvCacheModel, ForkedSequenceEqualsRecomputed) {
    GLINT_REQUIRE_SHARED();
    auto m = stories();
    const auto prefix = some_tokens(21, 9);
    ContextParams cp;
    cp.n_ctx = 64;
    cp.n_seq_max = 2;
    cp.n_threads = 1;
    Context ctx(*m, cp);
    std::vector<BatchToken> b;
    for (size_t i = 0; i < prefix.size(); ++i) b.push_back({prefix[i], int32_t(i), 0, false});
    ctx.decode(b);
    const int32_t used = ctx.kv().n_blocks() - ctx.kv().n_free_blocks();
    ctx.kv().fork(0, 1);
    EXPECT_EQ(ctx.kv().n_blocks() - ctx.kv().n_free_blocks(), used);  // shared, not copied
    ctx.decode({{42, 21, 1, true}});
    std::vector<float> forked(ctx.logits(0), ctx.logits(0) + 512);
    auto full = prefix;
    full.push_back(42);
    const auto ref = alone(*m, full, 16);
    EXPECT_EQ(forked, std::vector<float>(ref.end() - 512, ref.end()));
    EXPECT_EQ(ctx.kv().check_accounting(), "");
}

TEST(KvCacheModel, Q8KvStaysCloseToF16) {
    GLINT_REQUIRE_SHARED();
    auto m = Model::load(test::shared_path("models/mini-F16.gguf"));  // head size 128: Q8_0 blocks fit
    const auto toks = some_tokens(24, 3);
    auto run = [&](KvType t) {
        ContextParams cp;
        cp.n_ctx = 64;
        cp.kv_type = t;
        cp.n_threads = 2;
        Context ctx(*m, cp);
        std::vector<BatchToken> b;
        for (size_t i = 0; i < toks.size(); ++i) b.push_back({toks[i], int32_t(i), 0, true});
        ctx.decode(b);
        std::vector<float> all;
        for (int32_t r = 0; r < ctx.n_logits(); ++r) all.insert(all.end(), ctx.logits(r), ctx.logits(r) + 512);
        return all;
    };
    const auto f16 = run(KvType::F16), q8 = run(KvType::Q8_0), f32 = run(KvType::F32);
    const double e_q8 = test::nmse(q8.data(), f16.data(), f16.size());
    const double e_f32 = test::nmse(f32.data(), f16.data(), f16.size());
    std::printf("KV q8_0 vs f16 NMSE %.3g, f32 vs f16 %.3g\n", e_q8, e_f32);
    EXPECT_LE(e_q8, 1e-3);  // bound: same order as a Q8_0 weight quantization (5.2e-4)
    EXPECT_LE(e_f32, 1e-4);
}

TEST(KvCacheModel, DecodeWithFullCacheLeavesStateUnchanged) {
    GLINT_REQUIRE_SHARED();
    auto m = stories();
    ContextParams cp;
    cp.n_ctx = 64;
    cp.n_seq_max = 2;
    cp.kv_block_size = 16;
    cp.n_kv_blocks = 2;
    cp.n_threads = 1;
    Context ctx(*m, cp);
    std::vector<BatchToken> b;
    for (int32_t i = 0; i < 20; ++i) b.push_back({5, i, 0, false});
    ctx.decode(b);
    std::vector<BatchToken> more;
    for (int32_t i = 0; i < 20; ++i) more.push_back({5, i, 1, false});
    EXPECT_THROW(ctx.decode(more), Error);
    EXPECT_EQ(ctx.kv().seq_len(1), 0);
    EXPECT_EQ(ctx.kv().seq_len(0), 20);
    EXPECT_EQ(ctx.kv().check_accounting(), "");
}

}  // namespace
}  // namespace glint
