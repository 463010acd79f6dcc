#include "engine/matmul.h"

#include <omp.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>

#include "kernels/packed.h"
#include "kernels/quants.h"

namespace glint {

namespace {

// Waking threads costs microseconds: tiny products run on the caller's thread.
constexpr int64_t kMinParallelWork = 1 << 16;  // multiply-adds
// For types without narrow groups: from this many activation rows on, the
// widest GEMM kernel (16 token lanes with AVX-512, 8 with AVX2; weights decoded
// once and reused across tokens) is used instead of one GEMV per token over
// L2-resident row blocks; below that its lanes are mostly padding (measured on
// Q4_K before it had narrow groups: `glint bench --parallel 4,8`, bench/RESULTS.md).
// Types with narrow groups (4 or 8 tokens per vector) use them from 2 tokens on.
constexpr int64_t kGemmMinTokens = 8;
// Below this many tokens the kernel is chosen by padding; from here on the
// widest group (best reuse of activations) is used.
constexpr int64_t kWideTokens = 16;
// Rows are handed to threads in whole units of this many (the kernels' tiles).
constexpr int64_t kRowUnit = 16;

// Rows per L2-resident block when a GEMV runs for several tokens.
int64_t gemv_block_rows(size_t row_stride) {
    constexpr size_t kBlockBytes = 256 << 10;
    const int64_t rows = int64_t(kBlockBytes / std::max<size_t>(1, row_stride));
    return std::max<int64_t>(kRowUnit, rows / kRowUnit * kRowUnit);
}

// GLINT_GEMM_MIN_TOKENS overrides the cross-over, for benchmarks.
int64_t gemm_min_tokens() {
    static const int64_t v = [] {
        const char* e = std::getenv("GLINT_GEMM_MIN_TOKENS");
        return e && *e ? std::max<int64_t>(2, std::atoll(e)) : kGemmMinTokens;
    }();
    return v;
}

// The GEMM kernel for n_tok activation rows, or null for GEMVs: below
// kWideTokens the one that pads fewest token lanes (ties to the wider group).
const kernels::GemmKernel* choose_gemm(const kernels::KernelSet* ks, TensorType wt, int64_t n_tok) {
    if (!ks || n_tok < 2) return nullptr;
    const auto id = static_cast<uint32_t>(wt);
    const kernels::GemmKernel* wide = ks->gemm[id];
    if (n_tok >= kWideTokens) return wide;
    const kernels::GemmKernel* best = n_tok >= gemm_min_tokens() ? wide : nullptr;
    auto padded = [n_tok](const kernels::GemmKernel* g) { return (n_tok + g->group - 1) / g->group * g->group; };
    for (const kernels::GemmKernel* g : {ks->gemm_narrow[1][id], ks->gemm_narrow[0][id]})
        if (g && (!best || padded(g) < padded(best))) best = g;
    return best;
}

size_t align64(size_t n) { return (n + 63) & ~size_t(63); }

uint8_t* aligned(std::vector<uint8_t>& v, size_t bytes) {
    if (v.size() < bytes + 64) v.resize(bytes + 64);
    const auto p = reinterpret_cast<uintptr_t>(v.data());
    return v.data() + (align64(p) - p);
}

// Scratch for one thread's GEMM kernel, kept between calls.
uint8_t* thread_scratch(size_t bytes) {
    thread_local std::vector<uint8_t> buf;
    return aligned(buf, bytes);
}

// Even split of [0, n) into parts; part i of parts.
std::pair<int64_t, int64_t> split(int64_t n, int parts, int i) {
    return {n * i / parts, n * (i + 1) / parts};
}

// Layout of `act`: quantized activation rows, then (GEMM) prepared groups.
struct ActLayout {
    size_t quant = 0;  // bytes of quantized rows (0 for F32 activations)
    size_t prep = 0;   // offset of the prepared groups
    size_t total = 0;
};

ActLayout act_layout(const kernels::KernelSet* ks, TensorType wt, int64_t cols, int64_t n_tok) {
    const TensorType at = kernels::vec_dot_type(wt);
    ActLayout l;
    l.quant = at == TensorType::F32 ? 0 : row_bytes(at, cols) * size_t(n_tok);
    l.prep = align64(l.quant);
    l.total = l.quant;
    const kernels::GemmKernel* gk = choose_gemm(ks, wt, n_tok);
    if (gk) {
        const int64_t groups = (n_tok + gk->group - 1) / gk->group;
        l.total = l.prep + size_t(groups) * gk->prep_bytes(cols);
    }
    return l;
}

// Rows [r0, r1) of W (r0 a multiple of kRowUnit) against one activation row:
// the whole packed groups from W's packed copy where it has one and the set a
// packed GEMV for its type, the rest by the set's GEMV (the same bits either way).
void gemv_rows(const Weight& W, const kernels::KernelSet& ks, int64_t r0, int64_t r1, const uint8_t* a, float* y) {
    static_assert(kRowUnit % kernels::kPackRows == 0, "row chunks must start on packed groups");
    const auto id = static_cast<uint32_t>(W.type);
    const kernels::PackedGemvFn packed = ks.gemv_packed[id];
    if (W.packed && packed) {
        const int64_t full = std::min(r1, W.rows / kernels::kPackRows * kernels::kPackRows);
        if (full > r0) {
            packed(W.cols, W.packed + size_t(r0) * W.row_stride, W.row_stride, full - r0, a, y + r0);
            r0 = full;
        }
    }
    if (r1 > r0) ks.gemv[id](W.cols, W.row(r0), W.row_stride, r1 - r0, a, y + r0);
}

// The scalar set: one vec_dot per (row, token), as the reference does.
void matmul_dots(const Weight& W, const uint8_t* a, size_t a_stride, int64_t n_tok, float* y,
                 const kernels::KernelSet& ks, int n_threads) {
    kernels::VecDotFn dot = ks.vec_dot[static_cast<uint32_t>(W.type)];
    const int64_t rows = W.rows, cols = W.cols;
    const bool threaded = n_threads > 1 && rows * cols * n_tok >= kMinParallelWork;
#pragma omp parallel for num_threads(n_threads) schedule(static) if (threaded)
    for (int64_t r = 0; r < rows; ++r) {
        const uint8_t* w = W.row(r);
        for (int64_t t = 0; t < n_tok; ++t) y[t * rows + r] = dot(cols, w, a + size_t(t) * a_stride);
    }
}

}  // namespace

size_t matmul_scratch_bytes(TensorType weight_type, int64_t cols, int64_t n_tok) {
    size_t most = 0;
    for (const kernels::KernelSet* ks : kernels::kernel_set_variants())
        most = std::max(most, act_layout(ks, weight_type, cols, n_tok).total);
    return most + 64;
}

namespace {

constexpr int kMaxShared = 8;  // products in one matmul_shared region

// The products of Ws[i] (same columns, same activation layout; nw <= kMaxShared) into ys[i].
void matmul_impl(const Weight* const* Ws, float* const* ys, int nw, const float* x, int64_t n_tok,
                 std::vector<uint8_t>& act, const kernels::KernelSet& ks, int n_threads) {
    const Weight& W0 = *Ws[0];
    const TensorType at = kernels::vec_dot_type(W0.type);
    const auto at_id = static_cast<uint32_t>(at);
    const int64_t cols = W0.cols;
    const size_t a_stride = row_bytes(at, cols);
    const kernels::GemmKernel* gk = choose_gemm(&ks, W0.type, n_tok);  // the shared layout (null: GEMV)

    const ActLayout lay = act_layout(&ks, W0.type, cols, n_tok);
    uint8_t* abuf = aligned(act, lay.total);
    const uint8_t* a = at == TensorType::F32 ? reinterpret_cast<const uint8_t*>(x) : abuf;
    uint8_t* prep = abuf + lay.prep;
    const kernels::QuantizeRowFn quant = ks.quantize_row[at_id];

    if (!ks.gemv[static_cast<uint32_t>(W0.type)]) {  // scalar set
        if (at != TensorType::F32) {
#pragma omp parallel for num_threads(n_threads) schedule(static) if (n_tok > 8 && n_threads > 1)
            for (int64_t t = 0; t < n_tok; ++t) quant(x + t * cols, abuf + size_t(t) * a_stride, cols);
        }
        for (int i = 0; i < nw; ++i) matmul_dots(*Ws[i], a, a_stride, n_tok, ys[i], ks, n_threads);
        return;
    }

    int64_t work = 0;
    size_t scratch = 0;
    const kernels::GemmKernel* gks[kMaxShared] = {};  // each product's own kernel on the shared layout
    for (int i = 0; i < nw; ++i) {
        work += Ws[i]->rows * cols * n_tok;
        if (gk) {
            gks[i] = choose_gemm(&ks, Ws[i]->type, n_tok);
            scratch = std::max(scratch, gks[i]->scratch_bytes(cols));
        }
    }
    const bool threaded = n_threads > 1 && work >= kMinParallelWork;
    const int64_t groups = gk ? (n_tok + gk->group - 1) / gk->group : 0;
    const size_t gbytes = gk ? gk->prep_bytes(cols) : 0;
    auto quantize = [&](int64_t t0, int64_t t1, uint8_t* dst) {
        if (at == TensorType::F32) return;
        for (int64_t t = t0; t < t1; ++t) quant(x + t * cols, dst + size_t(t) * a_stride, cols);
    };
    auto prepare = [&](int64_t g0, int64_t g1) {
        for (int64_t g = g0; g < g1; ++g) {
            const int64_t t0 = g * gk->group;
            const int n = int(std::min<int64_t>(gk->group, n_tok - t0));
            gk->prep(cols, a + size_t(t0) * a_stride, a_stride, n, prep + size_t(g) * gbytes);
        }
    };
    // One parallel region for all the products, each thread with an even
    // share of the work and, where the shape allows, no barrier inside: a
    // thread that waits for a descheduled peer loses a whole time slice on a
    // busy machine.
    //  - GEMM with enough token groups: threads split the tokens, each
    //    quantizing and preparing its own, and run all rows.
    //  - Otherwise threads split the rows; one token (GEMV) is quantized by
    //    every thread into its own buffer; several are shared after a barrier.
    const int want = threaded ? n_threads : 1;
    const bool split_tokens = gk && groups >= 2 * int64_t(want) && groups % want == 0;
    // One token (generation): rows are claimed in chunks from a shared counter
    // instead of an even static share, so a thread that runs slower (a busy
    // neighbour, a descheduled slice) leaves fewer rows for the others to wait
    // on. Chunks are whole row units, about 8 per thread per product, so each
    // row goes through the same kernel path either way (same bits).
    const bool claim_rows = !gk && n_tok == 1 && want > 1;
    std::atomic<int64_t> next_chunk{0};
    int64_t chunk_units[kMaxShared] = {}, chunk_end[kMaxShared] = {};  // chunk_end: cumulative chunk counts
    for (int i = 0; claim_rows && i < nw; ++i) {
        const int64_t units = (Ws[i]->rows + kRowUnit - 1) / kRowUnit;
        chunk_units[i] = std::clamp<int64_t>(units / (8 * int64_t(want)), 1, 16);
        chunk_end[i] = (i ? chunk_end[i - 1] : 0) + (units + chunk_units[i] - 1) / chunk_units[i];
    }
#pragma omp parallel num_threads(want) if (threaded)
    {
        const int nt = omp_get_num_threads(), tid = omp_get_thread_num();
        if (gk && split_tokens) {
            const auto [g0, g1] = split(groups, nt, tid);
            const int64_t t0 = g0 * gk->group, t1 = std::min(n_tok, g1 * gk->group);
            quantize(t0, t1, abuf);
            prepare(g0, g1);
            for (int i = 0; i < nw; ++i) {
                const Weight& W = *Ws[i];
                gks[i]->run(cols, W.data, W.row_stride, W.rows, prep + size_t(g0) * gbytes, t1 - t0,
                            ys[i] + t0 * W.rows, W.rows, thread_scratch(scratch));
            }
        } else {
            const uint8_t* av = a;
            if (!gk && n_tok == 1 && nt > 1 && at != TensorType::F32) {
                thread_local std::vector<uint8_t> own;
                uint8_t* mine = aligned(own, a_stride);
                quantize(0, 1, mine);
                av = mine;
            } else {
                const auto [t0, t1] = split(n_tok, nt, tid);
                quantize(t0, t1, abuf);
                if (gk) {
#pragma omp barrier
                    const auto [g0, g1] = split(groups, nt, tid);
                    prepare(g0, g1);
                }
                if (nt > 1 && (gk || at != TensorType::F32)) {
#pragma omp barrier
                }
            }
            if (claim_rows) {
                for (int64_t c = next_chunk.fetch_add(1, std::memory_order_relaxed); c < chunk_end[nw - 1];
                     c = next_chunk.fetch_add(1, std::memory_order_relaxed)) {
                    int i = 0;
                    while (c >= chunk_end[i]) ++i;
                    const Weight& W = *Ws[i];
                    const int64_t u0 = (c - (i ? chunk_end[i - 1] : 0)) * chunk_units[i];
                    const int64_t r0 = u0 * kRowUnit, r1 = std::min(W.rows, (u0 + chunk_units[i]) * kRowUnit);
                    gemv_rows(W, ks, r0, r1, av, ys[i]);
                }
            } else {
                for (int i = 0; i < nw; ++i) {
                    const Weight& W = *Ws[i];
                    float* y = ys[i];
                    const int64_t rows = W.rows;
                    const int64_t units = (rows + kRowUnit - 1) / kRowUnit;
                    const auto [u0, u1] = split(units, nt, tid);
                    const int64_t r0 = std::min(rows, u0 * kRowUnit), r1 = std::min(rows, u1 * kRowUnit);
                    if (r1 <= r0) continue;
                    if (gk) {
                        gks[i]->run(cols, W.row(r0), W.row_stride, r1 - r0, prep, n_tok, y + r0, rows,
                                    thread_scratch(scratch));
                    } else {
                        // Several tokens: blocks of rows small enough to stay in L2
                        // while every token passes over them, so the weights come
                        // from memory once per step, not once per token.
                        const int64_t blk = n_tok == 1 ? r1 - r0 : gemv_block_rows(W.row_stride);
                        for (int64_t b0 = r0; b0 < r1; b0 += blk) {
                            const int64_t b1 = std::min(r1, b0 + blk);
                            for (int64_t t = 0; t < n_tok; ++t)
                                gemv_rows(W, ks, b0, b1, av + size_t(t) * a_stride, y + t * rows);
                        }
                    }
                }
            }
        }
    }
}

// Whether W and V can share quantized, prepared activations (and a region).
bool same_activations(const Weight& W, const Weight& V, const kernels::KernelSet& ks, int64_t n_tok) {
    if (W.cols != V.cols || kernels::vec_dot_type(W.type) != kernels::vec_dot_type(V.type)) return false;
    if ((ks.gemv[static_cast<uint32_t>(W.type)] == nullptr) != (ks.gemv[static_cast<uint32_t>(V.type)] == nullptr))
        return false;
    const kernels::GemmKernel* a = choose_gemm(&ks, W.type, n_tok);
    const kernels::GemmKernel* b = choose_gemm(&ks, V.type, n_tok);
    if (!a || !b) return a == b;
    return a->group == b->group && a->prep == b->prep && a->prep_bytes == b->prep_bytes;
}

}  // namespace

void matmul(const Weight& W, const float* x, int64_t n_tok, float* y, std::vector<uint8_t>& act,
            const kernels::KernelSet& ks, int n_threads) {
    const Weight* ws[] = {&W};
    float* ys[] = {y};
    matmul_impl(ws, ys, 1, x, n_tok, act, ks, n_threads);
}

void matmul_shared(std::initializer_list<std::pair<const Weight*, float*>> products, const float* x,
                   int64_t n_tok, std::vector<uint8_t>& act, const kernels::KernelSet& ks, int n_threads) {
    const Weight* ws[kMaxShared];
    float* ys[kMaxShared];
    int nw = 0;
    for (const auto& [w, y] : products) {
        if (nw == kMaxShared || (nw > 0 && !same_activations(*ws[0], *w, ks, n_tok))) {
            matmul(*w, x, n_tok, y, act, ks, n_threads);  // another layout: a product of its own
            continue;
        }
        ws[nw] = w;
        ys[nw++] = y;
    }
    if (nw > 0) matmul_impl(ws, ys, nw, x, n_tok, act, ks, n_threads);
}

}  // namespace glint
