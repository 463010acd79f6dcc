// Resource limits: files that claim absurd sizes fail fast, with the reader's
// message and without allocating for the claim; a model larger than RAM loads
// by mmap without being read; a context that cannot fit names the bytes.
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <new>

#include <gtest/gtest.h>

#include "engine/model.h"
#include "glint.h"
#include "gguf/gguf_bytes.h"
#include "tests/robustness/tiny_model.h"

// Largest single allocation while tracking is on: this binary replaces the
// global operator new so a test can show a claim was never allocated for.
namespace {
std::atomic<bool> g_track{false};
std::atomic<size_t> g_largest{0};

void* counted_alloc(size_t n) {
    if (g_track.load(std::memory_order_relaxed)) {
        size_t cur = g_largest.load(std::memory_order_relaxed);
        while (n > cur && !g_largest.compare_exchange_weak(cur, n)) {
        }
    }
    if (void* p = std::malloc(n ? n : 1)) return p;
    throw std::bad_alloc();
}
}  // namespace

void* operator new(size_t n) { return counted_alloc(n); }
void* operator new[](size_t n) { return counted_alloc(n); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }
void operator delete[](void* p, size_t) noexcept { std::free(p); }
// The nothrow forms too (std::stable_sort's buffer uses them): left to the
// runtime, their memory would come back through our free and ASan reports
// an allocation/deallocation mismatch.
void* operator new(size_t n, const std::nothrow_t&) noexcept {
    try {
        return counted_alloc(n);
    } catch (...) {
        return nullptr;
    }
}
void* operator new[](size_t n, const std::nothrow_t& t) noexcept { return operator new(n, t); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }

namespace glint::test {
namespace {

namespace fs = std::filesystem;

struct TempDir {
    fs::path path;
    TempDir() {
        char tmpl[] = "/tmp/glint-limits-XXXXXX";
        path = mkdtemp(tmpl);
    }
    ~TempDir() { fs::remove_all(path); }
    std::string file(const std::string& name) const { return (path / name).string(); }
};

void write_bytes(const std::string& path, const std::vector<uint8_t>& b) {
    std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(b.data()), std::streamsize(b.size()));
}

struct LoadOutcome {
    glint_status status;
    std::string message;
    double ms;
    size_t largest_alloc;
};

LoadOutcome load_tracked(const std::string& path) {
    g_largest = 0;
    const auto t0 = std::chrono::steady_clock::now();
    g_track = true;
    glint_model* m = nullptr;
    const glint_status st = glint_model_load(path.c_str(), nullptr, &m);
    g_track = false;
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    glint_model_free(m);
    return {st, glint_last_error(), ms, g_largest.load()};
}

// Fast here means no work proportional to the claim; generous for sanitizer builds.
constexpr double kFastMs = 2000;
constexpr size_t kSmallAlloc = 1 << 20;

TEST(Limits, TrillionTensorsFailFastWithoutAllocating) {
    TempDir d;
    const std::string path = d.file("trillion.gguf");
    Bytes b;
    b.header(1'000'000'000'000ull, 0).zeros(200);
    write_bytes(path, b.b);
    const LoadOutcome r = load_tracked(path);
    EXPECT_EQ(r.status, GLINT_ERR_INVALID_FILE);
    EXPECT_EQ(r.message, path + ": at byte 8: tensor count 1000000000000 is impossible: the 200 bytes left could "
                                "hold at most 8");
    EXPECT_LT(r.ms, kFastMs);
    EXPECT_LT(r.largest_alloc, kSmallAlloc);
}

TEST(Limits, TrillionElementArrayFailsFastWithoutAllocating) {
    TempDir d;
    const std::string path = d.file("array.gguf");
    Bytes b;
    b.header(0, 1).str("tokenizer.ggml.scores").u32(9).u32(6).u64(1'000'000'000'000ull).zeros(64);
    write_bytes(path, b.b);
    const LoadOutcome r = load_tracked(path);
    EXPECT_EQ(r.status, GLINT_ERR_INVALID_FILE);
    EXPECT_EQ(r.message, path + ": at byte 57: metadata key 'tokenizer.ggml.scores': array length 1000000000000 of "
                                "FLOAT32 needs at least 4 bytes per item, only 64 bytes left in the file");
    EXPECT_LT(r.ms, kFastMs);
    EXPECT_LT(r.largest_alloc, kSmallAlloc);
}

TEST(Limits, HundredGigabyteTensorFailsFastWithoutAllocating) {
    TempDir d;
    const std::string path = d.file("huge-tensor.gguf");
    Bytes b;
    b.header(1, 0).tensor("token_embd.weight", {1u << 20, 25600}, 0 /* F32 */, 0).pad(32).zeros(64);
    write_bytes(path, b.b);
    const LoadOutcome r = load_tracked(path);
    EXPECT_EQ(r.status, GLINT_ERR_INVALID_FILE);
    EXPECT_EQ(r.message, path + ": at byte 24: tensor 'token_embd.weight': data (offset 0, 107374182400 bytes, from "
                                "data section at byte 96) runs past end of file (160 bytes)");
    EXPECT_LT(r.ms, kFastMs);
    EXPECT_LT(r.largest_alloc, kSmallAlloc);
}

size_t rss_bytes() {
    std::ifstream f("/proc/self/statm");
    size_t pages = 0, resident = 0;
    f >> pages >> resident;
    return resident * size_t(sysconf(_SC_PAGE_SIZE));
}

uint64_t phys_bytes() { return uint64_t(sysconf(_SC_PHYS_PAGES)) * uint64_t(sysconf(_SC_PAGE_SIZE)); }

TEST(Limits, ModelLargerThanRamLoadsByMmapWithoutReadingIt) {
    TempDir d;
    const std::string path = d.file("huge.gguf");
    TinySpec s;
    write_tiny_model(path, s);
    // every FFN weight grows; together they exceed RAM by 8 GiB (at least 40 GB)
    const uint64_t target = std::max<uint64_t>(40'000'000'000ull, phys_bytes() + (8ull << 30));
    const int64_t n_ff = int64_t(target / (3ull * uint64_t(s.n_layer) * uint64_t(s.n_embd) * 4)) + 1;
    const uint64_t size = grow_ffn_sparse(path, s, n_ff);
    ASSERT_GT(size, phys_bytes());
    ASSERT_EQ(fs::file_size(path), size);

    const size_t rss0 = rss_bytes();
    std::unique_ptr<Model> m = Model::load(path);
    const size_t rss1 = rss_bytes();
    std::printf("sparse model: %.1f GB file, %.1f GB RAM; RSS %.1f -> %.1f MB\n", double(size) / 1e9,
                double(phys_bytes()) / 1e9, double(rss0) / 1e6, double(rss1) / 1e6);
    EXPECT_EQ(m->hparams().n_ff, n_ff);
    EXPECT_GT(m->weight_bytes(), phys_bytes());
    // Loading touched the metadata only: RSS grew by far less than the weights.
    EXPECT_LT(rss1 - std::min(rss1, rss0), size_t(128) << 20);

    // Every weight view lies inside the mapping.
    const uint8_t* lo = m->file().base();
    const uint8_t* hi = lo + m->file().file_size();
    auto inside = [&](const Weight& w) {
        return w.data >= lo && w.data + size_t(w.rows) * w.row_stride <= hi;
    };
    for (const LayerWeights& L : m->layers()) {
        for (const Weight* w : {&L.wq, &L.wk, &L.wv, &L.wo, &L.w_gate, &L.w_up, &L.w_down, &L.attn_norm, &L.ffn_norm})
            EXPECT_TRUE(inside(*w)) << w->name;
        EXPECT_EQ(L.w_gate.rows, n_ff);
        EXPECT_EQ(L.w_down.cols, n_ff);
    }
    EXPECT_TRUE(inside(m->tok_embd()));
    EXPECT_TRUE(inside(m->output()));
    const Weight& last = m->layers().back().w_down;
    EXPECT_EQ(last.data + size_t(last.rows) * last.row_stride, hi);  // the last tensor ends the file
}

std::string mib(uint64_t b) { return std::to_string((b + (1u << 20) - 1) >> 20) + " MiB"; }

TEST(Limits, ContextThatCannotFitNamesTheBytesNeeded) {
    glint_model* model = nullptr;
    ASSERT_EQ(glint_model_load(bundled_model().c_str(), nullptr, &model), GLINT_OK) << glint_last_error();
    // stories260K: 5 layers, 4 KV heads of 8 -> one F16 K or V row is 64 bytes
    const uint64_t per_token = 5ull * 2 * 32 * 2;
    for (const auto& [n_ctx, n_seq] : {std::pair{1 << 30, 1}, std::pair{1 << 29, 4}, std::pair{INT32_MAX, 64}}) {
        glint_context_params cp = glint_context_default_params();
        cp.n_ctx = n_ctx;
        cp.n_seq_max = n_seq;
        glint_context* ctx = nullptr;
        g_largest = 0;
        g_track = true;
        const glint_status st = glint_context_create(model, &cp, &ctx);
        g_track = false;
        EXPECT_EQ(st, GLINT_ERR_OUT_OF_MEMORY);
        EXPECT_EQ(ctx, nullptr);
        const uint64_t blocks = (uint64_t(n_ctx) + 15) / 16 * uint64_t(n_seq);
        EXPECT_EQ(std::string(glint_last_error()),
                  "KV cache needs " + mib(blocks * 16 * per_token) + " (" + std::to_string(n_ctx) + " positions x " +
                      std::to_string(n_seq) + " sequences), more than this machine's " + mib(phys_bytes()) +
                      " of memory; use a smaller context");
        EXPECT_LT(g_largest.load(), kSmallAlloc);
    }
    glint_model_free(model);
}

}  // namespace
}  // namespace glint::test
