// Soak: many sequences generating at once with churn (finish and restart,
// fork, truncate, KV cache running full and recovering) on the bundled
// stories260K model. Memory must stay flat and the KV block accounting exact.
// Built twice: robustness_soak_test (label soak, GLINT_SOAK_TOKENS = 100000)
// and robustness_soak_short_test (label unit); $GLINT_SOAK_TOKENS overrides.
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <random>

#include <gtest/gtest.h>

#include "engine/context.h"
#include "engine/sampler.h"
#include "tests/robustness/tiny_model.h"

namespace glint::test {
namespace {

size_t rss_bytes() {
    std::ifstream f("/proc/self/statm");
    size_t pages = 0, resident = 0;
    f >> pages >> resident;
    return resident * size_t(sysconf(_SC_PAGE_SIZE));
}

int64_t token_target() {
    if (const char* e = std::getenv("GLINT_SOAK_TOKENS"); e && *e) return std::atoll(e);
    return GLINT_SOAK_TOKENS;
}

struct Seq {
    bool live = false;
    int32_t target = 0;  // restart when the sequence reaches this length
    int32_t next = 0;    // token to feed next
    std::unique_ptr<Sampler> sampler;
};

TEST(Soak, ChurningSequencesKeepMemoryFlatAndAccountingExact) {
    const int64_t target = token_target();
    std::unique_ptr<Model> model = Model::load(bundled_model());
    const int32_t n_vocab = model->hparams().n_vocab;
    ContextParams cp;
    cp.n_ctx = 256;
    cp.n_seq_max = 8;
    cp.n_threads = 1;
    cp.n_kv_blocks = 64;  // half of what 8 full sequences need: the cache runs full
    Context ctx(*model, cp);
    KvCache& kv = ctx.kv();

    std::mt19937 rng(1234);
    auto uniform = [&](int32_t lo, int32_t hi) { return std::uniform_int_distribution<int32_t>(lo, hi)(rng); };
    std::vector<Seq> seqs(size_t(cp.n_seq_max));
    int64_t tokens = 0, restarts = 0, forks = 0, truncations = 0, kv_full = 0, checks = 0;
    size_t rss_start = 0;

    auto start = [&](int32_t s, int32_t len_hint) {
        Seq& q = seqs[size_t(s)];
        q.live = true;
        q.target = std::min(cp.n_ctx, std::max(len_hint + 1, uniform(16, cp.n_ctx)));
        SamplerParams sp;
        sp.seed = uint64_t(rng());
        q.sampler = std::make_unique<Sampler>(sp, n_vocab);
        ++restarts;
    };
    auto check = [&] {
        ++checks;
        const std::string acc = kv.check_accounting();
        ASSERT_EQ(acc, "") << "after " << tokens << " tokens";
    };

    while (tokens < target) {
        // churn: occasionally fork one live sequence into a free slot, or truncate one
        const int32_t r = uniform(0, 99);
        if (r < 3) {
            std::vector<int32_t> live, dead;
            for (int32_t s = 0; s < cp.n_seq_max; ++s) (seqs[size_t(s)].live ? live : dead).push_back(s);
            if (!live.empty() && !dead.empty()) {
                const int32_t src = live[size_t(uniform(0, int32_t(live.size()) - 1))];
                const int32_t dst = dead[size_t(uniform(0, int32_t(dead.size()) - 1))];
                kv.fork(src, dst);
                start(dst, kv.seq_len(dst));
                seqs[size_t(dst)].next = seqs[size_t(src)].next;
                ++forks;
            }
        } else if (r < 5) {
            const int32_t s = uniform(0, cp.n_seq_max - 1);
            if (seqs[size_t(s)].live && kv.seq_len(s) > 2) {
                kv.truncate(s, uniform(1, kv.seq_len(s) - 1));
                ++truncations;
            }
        }

        // one batch: a prompt for each new sequence, one token for each running one
        std::vector<BatchToken> batch;
        std::vector<int32_t> order;  // sequence of each logits row
        for (int32_t s = 0; s < cp.n_seq_max; ++s) {
            Seq& q = seqs[size_t(s)];
            if (!q.live) {
                if (uniform(0, 3) != 0) continue;  // leave slots free now and then
                kv.remove(s);
                const int32_t n_prompt = uniform(1, 24);
                start(s, n_prompt);
                for (int32_t i = 0; i < n_prompt; ++i)
                    batch.push_back({i == 0 ? model->tokenizer().bos() : uniform(3, n_vocab - 1), i, s,
                                     i + 1 == n_prompt});
            } else {
                batch.push_back({q.next, kv.seq_len(s), s, true});
            }
            order.push_back(s);
        }
        if (batch.empty()) continue;
        try {
            ctx.decode(batch);
        } catch (const Error& e) {
            ASSERT_EQ(e.code(), ErrorCode::OutOfMemory) << e.what();
            ++kv_full;
            // recover as a server would: drop the longest sequence and go on
            int32_t longest = 0;
            for (int32_t s = 1; s < cp.n_seq_max; ++s)
                if (kv.seq_len(s) > kv.seq_len(longest)) longest = s;
            kv.remove(longest);
            seqs[size_t(longest)].live = false;
            for (int32_t s = 0; s < cp.n_seq_max; ++s)  // prompts of this batch were never decoded
                if (seqs[size_t(s)].live && kv.seq_len(s) == 0) seqs[size_t(s)].live = false;
            check();
            continue;
        }
        tokens += int64_t(batch.size());
        for (size_t i = 0; i < order.size(); ++i) {
            Seq& q = seqs[size_t(order[i])];
            q.next = q.sampler->sample(ctx.logits(int32_t(i)));
            q.sampler->accept(q.next);
            if (kv.seq_len(order[i]) >= q.target) {
                kv.remove(order[i]);
                q.live = false;
            }
        }
        if (rss_start == 0 && tokens >= std::min<int64_t>(2000, target / 4)) rss_start = rss_bytes();  // after warm-up
        if (tokens / 997 != (tokens - int64_t(batch.size())) / 997) check();
    }
    check();
    const size_t rss_end = rss_bytes();
    for (int32_t s = 0; s < cp.n_seq_max; ++s) kv.remove(s);
    check();
    EXPECT_EQ(kv.n_free_blocks(), kv.n_blocks());
    std::printf("soak: %lld tokens, %lld sequences started (%lld forks), %lld truncations, %lld KV-full recoveries, "
                "%lld accounting checks; RSS %.1f MB after warm-up, %.1f MB at the end\n",
                (long long)tokens, (long long)restarts, (long long)forks, (long long)truncations, (long long)kv_full,
                (long long)checks, double(rss_start) / 1e6, double(rss_end) / 1e6);
    EXPECT_GT(forks, 0);
    EXPECT_GT(truncations, 0);
    EXPECT_GT(kv_full, 0);
    // Flat: everything was allocated when the context was made. (AddressSanitizer
    // keeps freed blocks in quarantine, so its RSS climbs regardless.)
#if !defined(__SANITIZE_ADDRESS__)
    EXPECT_LT(double(rss_end), double(rss_start) + 8e6) << "RSS grew from " << rss_start << " to " << rss_end;
#endif
}

}  // namespace
}  // namespace glint::test
