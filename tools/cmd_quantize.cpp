// `glint quantize`: F32/F16/BF16 GGUF -> Q4_0, Q8_0, Q4_K_M, Q5_K_M or Q6_K,
// with the reference engine's per-tensor type mixes.
#include <algorithm>
#include <cctype>
#include <csignal>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "gguf/gguf.h"
#include "kernels/fp16.h"
#include "kernels/quants.h"
#include "kernels/types.h"
#include "tools/cli.h"
#include "tools/common.h"
#include "tools/generate.h"
#include "tools/quantize_kquants.h"

namespace glint::cli {
namespace {

const char* kUsage = R"(usage: glint quantize [options] in.gguf out.gguf TYPE

Quantizes the matrices of an F32, F16 or BF16 model. TYPE and what it writes (the
reference engine's mixes; 1-D tensors such as norms keep their type):
  Q4_0     Q4_0; output.weight Q6_K
  Q8_0     Q8_0 everywhere
  Q4_K_M   Q4_K; output.weight Q6_K; attn_v and ffn_down Q6_K in the first and last
           eighth of the layers and every third layer in between
  Q5_K_M   Q5_K, with the same Q6_K tensors as Q4_K_M
  Q6_K     Q6_K everywhere
A model whose output shares token_embd quantizes token_embd as the output. A matrix whose
row length is not a multiple of the type's block (256 for K types) falls back to Q8_0,
or stays as it is when its rows are not a multiple of 32 either.

The file is written through a temporary file renamed into place, so a failure (a full
disk, Ctrl-C) never leaves a partial out.gguf.

  -t, --threads N   threads (default: all cores)
      --pure        no mixes: every matrix gets TYPE's base type
  -h, --help        this help
)";

enum class Ftype { Q4_0, Q8_0, Q4_K_M, Q5_K_M, Q6_K };

struct FtypeInfo {
    const char* name;
    Ftype ftype;
    TensorType base;
    uint32_t file_type;  // general.file_type, the reference's llama_ftype numbering
};
constexpr FtypeInfo kFtypes[] = {
    {"Q4_0", Ftype::Q4_0, TensorType::Q4_0, 2},       {"Q8_0", Ftype::Q8_0, TensorType::Q8_0, 7},
    {"Q4_K_M", Ftype::Q4_K_M, TensorType::Q4_K, 15}, {"Q5_K_M", Ftype::Q5_K_M, TensorType::Q5_K, 17},
    {"Q6_K", Ftype::Q6_K, TensorType::Q6_K, 18},
};

struct Options {
    std::string in, out;
    const FtypeInfo* ft = nullptr;
    int threads = 0;
    bool pure = false;
};

Options parse(int argc, char** argv) {
    Options o;
    std::vector<std::string> pos;
    ArgReader a(argc, argv);
    std::string opt;
    while (a.next(opt)) {
        if (opt == "-t" || opt == "--threads") o.threads = int(a.integer(1, 1024));
        else if (opt == "--pure") o.pure = true;
        else if (opt.size() > 1 && opt[0] == '-') throw UsageError("unknown option '" + opt + "'");
        else pos.push_back(opt);
    }
    if (pos.size() != 3) throw UsageError("expected in.gguf out.gguf TYPE, got " + std::to_string(pos.size()) + " arguments");
    o.in = pos[0];
    o.out = pos[1];
    std::string t = pos[2];
    for (char& c : t) c = char(std::toupper(static_cast<unsigned char>(c)));
    for (const auto& f : kFtypes)
        if (t == f.name) o.ft = &f;
    if (!o.ft) throw UsageError("unknown type '" + pos[2] + "' (Q4_0, Q8_0, Q4_K_M, Q5_K_M or Q6_K)");
    return o;
}

bool contains(const std::string& s, const char* part) { return s.find(part) != std::string::npos; }

// The reference's rule for which layers get more bits in the _M mixes: the first
// and last eighth, and every third layer in between.
bool use_more_bits(int i, int n) { return i < n / 8 || i >= 7 * n / 8 || (i - n / 8) % 3 == 2; }

struct MixState {
    int n_attn_v = 0, n_ffn_down = 0, i_attn_v = 0, i_ffn_down = 0;
    bool has_output = false;
};

// The type a matrix gets under ftype (the reference's llama_tensor_get_type,
// restricted to the types glint writes). Counters advance in file order.
TensorType choose_type(const std::string& name, int64_t cols, const FtypeInfo& ft, MixState& st, bool pure,
                       std::string& note) {
    TensorType t = ft.base;
    const bool km = ft.ftype == Ftype::Q4_K_M || ft.ftype == Ftype::Q5_K_M;
    if (!pure) {
        if (name == "output.weight" || (!st.has_output && name == "token_embd.weight")) {
            if (cols % int64_t(type_info(t).block_size) != 0) t = TensorType::Q8_0;
            else if (t != TensorType::Q8_0) t = TensorType::Q6_K;
        } else if (contains(name, "attn_v.weight")) {
            if (km && use_more_bits(st.i_attn_v, st.n_attn_v)) t = TensorType::Q6_K;
            ++st.i_attn_v;
        } else if (contains(name, "ffn_down")) {
            if (km && use_more_bits(st.i_ffn_down, st.n_ffn_down)) t = TensorType::Q6_K;
            ++st.i_ffn_down;
        }
    }
    if (cols % int64_t(type_info(t).block_size) != 0) {
        const TensorType want = t;
        t = cols % 32 == 0 ? TensorType::Q8_0 : TensorType::F16;
        note = std::string(" (rows of ") + std::to_string(cols) + " do not fit " + std::string(type_name(want)) +
               " blocks: fallback)";
    }
    return t;
}

// Matrices are quantized; 1-D tensors and the few 2-D ones the reference keeps
// exact (norms, position/type embeddings, rope factors, MoE routers) are copied.
bool should_quantize(const gguf::TensorInfo& t) {
    const std::string n(t.name);
    if (t.n_dims < 2 || n.size() < 6 || n.compare(n.size() - 6, 6, "weight") != 0) return false;
    for (const char* skip : {"_norm.weight", "pos_embd", "token_types", "rope_freqs", "ffn_gate_inp"})
        if (contains(n, skip)) return false;
    return true;
}

void to_float(TensorType src, const uint8_t* in, float* out, int64_t n) {
    switch (src) {
        case TensorType::F32: std::memcpy(out, in, size_t(n) * 4); break;
        case TensorType::F16:
            for (int64_t i = 0; i < n; ++i) out[i] = kernels::fp16_to_fp32(reinterpret_cast<const kernels::fp16_t*>(in)[i]);
            break;
        case TensorType::BF16:
            for (int64_t i = 0; i < n; ++i) out[i] = kernels::bf16_to_fp32(reinterpret_cast<const kernels::bf16_t*>(in)[i]);
            break;
        default: throw Error(ErrorCode::Internal, "to_float: unexpected source type");
    }
}

using RowQuant = void (*)(const float*, void*, int64_t);

RowQuant row_quantizer(TensorType t) {
    switch (t) {
        case TensorType::Q4_K: return quantize_row_q4_K_compat;
        case TensorType::Q5_K: return quantize_row_q5_K_compat;
        case TensorType::Q6_K: return quantize_row_q6_K_compat;
        default: return nullptr;  // Q4_0, Q8_0, F16: the kernels' reference quantizers match the reference engine's
    }
}

// Converts every row of `t` from its float type to `dst_type`, rows split over threads.
void convert_tensor(const gguf::TensorInfo& t, TensorType dst_type, int threads, uint8_t* dst) {
    const int64_t cols = t.ne[0], rows = int64_t(t.n_elements) / cols;
    const size_t src_rb = row_bytes(t.type, cols), dst_rb = row_bytes(dst_type, cols);
    const RowQuant q = row_quantizer(dst_type);
    std::vector<std::string> bad_per(size_t(std::max(1, threads)));
    auto work = [&](int id, int64_t r0, int64_t r1) {
        std::vector<float> row(static_cast<size_t>(cols));
        for (int64_t r = r0; r < r1; ++r) {
            if (g_interrupted.load(std::memory_order_relaxed)) return;
            to_float(t.type, t.data + size_t(r) * src_rb, row.data(), cols);
            for (int64_t c = 0; c < cols; ++c)
                if (!std::isfinite(row[size_t(c)])) {
                    if (bad_per[size_t(id)].empty())
                        bad_per[size_t(id)] = "tensor " + std::string(t.name) + " has a non-finite value in row " +
                                              std::to_string(r) + ", column " + std::to_string(c);
                    return;
                }
            uint8_t* out = dst + size_t(r) * dst_rb;
            if (q) q(row.data(), out, cols);
            else kernels::quantize_row_ref(dst_type, row.data(), out, cols);
        }
    };
    const int n = int(std::min<int64_t>(std::max(1, threads), std::max<int64_t>(1, rows / 4)));
    if (n <= 1) {
        work(0, 0, rows);
    } else {
        std::vector<std::thread> pool;
        for (int i = 0; i < n; ++i) pool.emplace_back(work, i, rows * i / n, rows * (i + 1) / n);
        for (auto& th : pool) th.join();
    }
    for (const auto& b : bad_per)
        if (!b.empty()) throw Error(ErrorCode::InvalidFile, b);
    if (g_interrupted.load()) throw Error(ErrorCode::Cancelled, "interrupted");
}

std::string mib(uint64_t b) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.2f MiB", double(b) / double(1 << 20));
    return buf;
}

std::string dims_text(const gguf::TensorInfo& t) {
    std::string s = "[";
    for (uint32_t d = 0; d < t.n_dims; ++d) s += (d ? ", " : "") + std::to_string(t.ne[d]);
    return s + "]";
}

int run(int argc, char** argv) {
    Options o;
    if (int rc; !parse_args("quantize", kUsage, argc, argv, parse, o, rc)) return rc;
    try {
        const double t0 = now_ms();
        const gguf::File in = gguf::File::open(o.in);
        const int threads = o.threads > 0 ? o.threads : int(std::max(1u, std::thread::hardware_concurrency()));

        MixState st;
        for (const auto& t : in.tensors()) {
            const std::string n(t.name);
            st.n_attn_v += contains(n, "attn_v.weight");
            st.n_ffn_down += contains(n, "ffn_down");
            st.has_output |= n == "output.weight";
        }

        gguf::Writer w;
        for (const auto& kv : in.metadata()) {
            if (kv.key == "general.file_type" || kv.key == "general.quantization_version") continue;
            w.set(std::string(kv.key), kv.value);
        }
        w.set("general.quantization_version", gguf::Value::make_u32(2));
        w.set("general.file_type", gguf::Value::make_u32(o.ft->file_type));

        const size_t n_tensors = in.tensors().size();
        uint64_t in_bytes = 0, out_bytes = 0;
        size_t index = 0;
        for (const auto& t : in.tensors()) {
            ++index;
            const std::string name(t.name);
            in_bytes += t.n_bytes;
            TensorType dst = t.type;
            std::string note;
            if (should_quantize(t)) {
                if (t.type != TensorType::F32 && t.type != TensorType::F16 && t.type != TensorType::BF16)
                    throw Error(ErrorCode::Unsupported, o.in + ": tensor " + name + " is already " +
                                                            std::string(type_name(t.type)) +
                                                            "; quantize from an F32, F16 or BF16 model");
                dst = choose_type(name, t.ne[0], *o.ft, st, o.pure, note);
            }
            std::vector<int64_t> dims(t.ne, t.ne + t.n_dims);
            const size_t bytes = row_bytes(dst, t.ne[0]) * size_t(t.n_elements / uint64_t(t.ne[0]));
            out_bytes += bytes;
            // built with append: GCC 12 warns falsely (-Wrestrict) on operator+ chains starting with a literal
            std::string line(1, '[');
            line.append(std::to_string(index)).append("/").append(std::to_string(n_tensors)).append("] ");
            line.append(name).append(" ").append(dims_text(t)).append(" ").append(type_name(t.type));
            line.append(" -> ").append(type_name(dst)).append(", ").append(mib(t.n_bytes)).append(" -> ");
            line.append(mib(bytes)).append(note);
            w.add_tensor_deferred(name, dst, dims, bytes, [&t, dst, threads, line](uint8_t* out) {
                if (g_interrupted.load()) throw Error(ErrorCode::Cancelled, "interrupted");
                std::fprintf(stderr, "%s\n", line.c_str());
                if (dst == t.type) std::memcpy(out, t.data, size_t(t.n_bytes));
                else convert_tensor(t, dst, threads, out);
            });
        }
        // Ctrl-C or SIGTERM stops between rows; the writer then removes its temporary file.
        install_sigint_handler();
        std::signal(SIGTERM, [](int) { g_interrupted.store(true); });
        w.write(o.out);
        std::fprintf(stderr, "quantized %s (%s) -> %s (%s) as %s in %.1f s\n", o.in.c_str(), mib(in_bytes).c_str(),
                     o.out.c_str(), mib(out_bytes).c_str(), o.ft->name, (now_ms() - t0) / 1000.0);
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "glint quantize: %s\n", e.what());
        if (g_interrupted.load()) {
            std::fprintf(stderr, "glint quantize: %s was not written\n", o.out.c_str());
            return 130;
        }
        return 1;
    }
}

const Registration reg("quantize", "quantize an F32/F16/BF16 model to Q4_0, Q8_0, Q4_K_M, Q5_K_M or Q6_K", &run);

}  // namespace
}  // namespace glint::cli
