// Q4_K / Q5_K / Q6_K GEMM with token lanes for AVX2: the 256-bit counterpart of
// the AVX-512 tiles in kernels/avx512/k_quants.cpp (same prepared and decoded
// layouts, 8 lanes instead of 16). A vector holds T tokens x RP = 8 / T rows:
// 8 tokens x 1 row for prompts, 4 tokens x 2 rows for a few sequences decoding
// together. Weights are decoded once per pass into unsigned bytes plus scale
// pairs, then every (row, token) lane is a real product: per super-block exact
// integer sums, then the fma chain of the AVX2 dots, so each lane equals
// vec_dot_q*_K_q8_K bit for bit.
#include <cstring>

#include "kernels/avx2/avx2.h"
#include "kernels/avx2/common.h"
#include "kernels/blocks.h"

namespace glint::kernels::avx2 {
namespace {

// Prepared group of T tokens, per super-block (lane l = token l / RP):
//   int8 [64 quads][8 lanes][4]        2048 bytes
//   float d[8 lanes]                     32
//   int32 (bsum32 pair) [4][8 lanes]    128  (Q4_K/Q5_K: sub-block sums 2i, 2i+1 as int16)
//   int32 (bsums pair) [8][8 lanes]     256  (Q6_K: bsums 2i, 2i+1 as int16)
// Decoded row group (RP rows interleaved), per super-block, offsets times RP:
//   uint8 q [64 quads][RP][4] at 0; int32 sc pairs [16][RP] (sc|sc<<16; Q4/Q5 use 8) at 256;
//   int32 m or sc pairs [8][RP] (Q4/Q5: m_{2i}|m_{2i+1}<<16, 4 used; Q6: sc_{2i}|sc_{2i+1}<<16) at 320;
//   float d[RP] at 352, dmin[RP] at 352 RP + 4 RP.
constexpr int kLanes = 8;
constexpr size_t kActD = 2048, kActM = kActD + 32, kActB = kActM + 128;
constexpr size_t kPrepSB = kActB + 256;
constexpr size_t kRowSB = 384;
constexpr int kRows = 4;  // row groups decoded per pass

size_t prep_bytes(int64_t K) { return size_t(K / QK_K) * kPrepSB; }

template <int T>
void prep(int64_t K, const void* a, size_t a_stride, int n, void* out) {
    constexpr int RP = kLanes / T;
    const int64_t nsb = K / QK_K;
    auto* o = static_cast<uint8_t*>(out);
    std::memset(o, 0, prep_bytes(K));
    for (int t = 0; t < n; ++t) {
        const auto* y = reinterpret_cast<const block_q8_K*>(static_cast<const uint8_t*>(a) + size_t(t) * a_stride);
        for (int64_t b = 0; b < nsb; ++b) {
            uint8_t* ob = o + size_t(b) * kPrepSB;
            int32_t s32[4], s16[8];
            for (int i = 0; i < 4; ++i) {
                const int16_t v[2] = {int16_t(y[b].bsums[4 * i] + y[b].bsums[4 * i + 1]),
                                      int16_t(y[b].bsums[4 * i + 2] + y[b].bsums[4 * i + 3])};
                std::memcpy(&s32[i], v, 4);
            }
            std::memcpy(s16, y[b].bsums, sizeof s16);
            for (int rr = 0; rr < RP; ++rr) {
                const int l = t * RP + rr;
                for (int q = 0; q < 64; ++q) std::memcpy(ob + (q * kLanes + l) * 4, y[b].qs + 4 * q, 4);
                std::memcpy(ob + kActD + 4 * l, &y[b].d, 4);
                for (int i = 0; i < 4; ++i) std::memcpy(ob + kActM + (i * kLanes + l) * 4, &s32[i], 4);
                for (int i = 0; i < 8; ++i) std::memcpy(ob + kActB + (i * kLanes + l) * 4, &s16[i], 4);
            }
        }
    }
}

template <int T>
size_t scratch_bytes(int64_t K) {
    constexpr int RP = kLanes / T;
    return size_t(kRows) * RP * size_t(K / QK_K) * kRowSB + 4 * kLanes;
}

// One super-block of one row: values 0..15 / 0..31 / 0..63 (Q6_K's offset 32
// kept) in element order, 32 per vector, and the scale words of the layout.
struct Decoded {
    __m256i q[8];
    uint32_t sc[16], m[8];
    float d, dmin;
};

inline uint32_t pair16(int lo, int hi) { return uint32_t(uint16_t(lo)) | uint32_t(uint16_t(hi)) << 16; }

template <int Kind>  // 4, 5, 6
inline void decode_block(const uint8_t* row, int64_t b, Decoded& o) {
    const __m256i m4 = _mm256_set1_epi8(0x0F);
    if constexpr (Kind == 6) {
        const auto& x = reinterpret_cast<const block_q6_K*>(row)[b];
        const __m256i m3 = _mm256_set1_epi8(0x03);
        for (int h = 0; h < 2; ++h) {
            const __m256i ql0 = load256(x.ql + 64 * h), ql1 = load256(x.ql + 64 * h + 32);
            const __m256i qh = load256(x.qh + 32 * h);
            // Element 128h + 32k + i: low nibble from ql (k even: ql0/ql1 low, odd: high), 2 bits of qh at 2k.
            o.q[4 * h + 0] = _mm256_or_si256(_mm256_and_si256(ql0, m4), _mm256_slli_epi16(_mm256_and_si256(qh, m3), 4));
            o.q[4 * h + 1] = _mm256_or_si256(_mm256_and_si256(ql1, m4),
                                             _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 2), m3), 4));
            o.q[4 * h + 2] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(ql0, 4), m4),
                                             _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 4), m3), 4));
            o.q[4 * h + 3] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(ql1, 4), m4),
                                             _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 6), m3), 4));
        }
        for (int j = 0; j < 16; ++j) o.sc[j] = pair16(x.scales[j], x.scales[j]);
        for (int i = 0; i < 8; ++i) o.m[i] = pair16(x.scales[2 * i], x.scales[2 * i + 1]);
        o.d = h2f(x.d);
        o.dmin = 0.0f;
    } else {
        constexpr size_t bsz = Kind == 5 ? sizeof(block_q5_K) : sizeof(block_q4_K);
        const uint8_t* blk = row + size_t(b) * bsz;
        const uint8_t* qs = blk + (Kind == 5 ? 48 : 16);
        for (int c = 0; c < 4; ++c) {
            const __m256i q = load256(qs + 32 * c);
            o.q[2 * c] = _mm256_and_si256(q, m4);
            o.q[2 * c + 1] = _mm256_and_si256(_mm256_srli_epi16(q, 4), m4);
        }
        if constexpr (Kind == 5) {
            const __m256i qh = load256(blk + 16);
            const __m256i sixteen = _mm256_set1_epi8(16);
            for (int i = 0; i < 8; ++i) {  // bit i of qh: fifth bit of elements 32i..32i+31
                const __m256i bit = _mm256_set1_epi8(char(1u << i));
                o.q[i] = _mm256_or_si256(o.q[i], _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_and_si256(qh, bit), bit), sixteen));
            }
        }
        // 6-bit scales and mins, 12 packed bytes (see unpack_scale_min_k4 in blocks.h).
        const uint8_t* q = blk + 4;
        int sc[8], mn[8];
        for (int j = 0; j < 4; ++j) {
            sc[j] = q[j] & 63;
            mn[j] = q[j + 4] & 63;
            sc[j + 4] = (q[j + 8] & 0xF) | ((q[j] >> 6) << 4);
            mn[j + 4] = (q[j + 8] >> 4) | ((q[j + 4] >> 6) << 4);
        }
        for (int j = 0; j < 16; ++j) o.sc[j] = j < 8 ? pair16(sc[j], sc[j]) : 0;
        for (int i = 0; i < 8; ++i) o.m[i] = i < 4 ? pair16(mn[2 * i], mn[2 * i + 1]) : 0;
        uint16_t h[2];
        std::memcpy(h, blk, 4);
        o.d = h2f(h[0]);
        o.dmin = h2f(h[1]);
    }
}

// nr (1..RP) rows into one interleaved row group, all super-blocks; absent rows are zeros.
template <int Kind, int RP>
void decode_rows(int64_t nsb, const uint8_t* const* rows, int nr, uint8_t* out) {
    for (int64_t b = 0; b < nsb; ++b, out += RP * kRowSB) {
        Decoded x[RP];
        for (int rr = 0; rr < RP; ++rr) {
            if (rr < nr) {
                decode_block<Kind>(rows[rr], b, x[rr]);
            } else {
                std::memset(&x[rr], 0, sizeof x[rr]);
            }
        }
        auto* o = reinterpret_cast<__m256i*>(out);
        for (int m = 0; m < 8; ++m) {
            if constexpr (RP == 1) {
                _mm256_storeu_si256(o + m, x[0].q[m]);
            } else {  // 32-bit units of the two rows alternately
                const __m256i lo = _mm256_unpacklo_epi32(x[0].q[m], x[1].q[m]);
                const __m256i hi = _mm256_unpackhi_epi32(x[0].q[m], x[1].q[m]);
                _mm256_storeu_si256(o + 2 * m, _mm256_permute2x128_si256(lo, hi, 0x20));
                _mm256_storeu_si256(o + 2 * m + 1, _mm256_permute2x128_si256(lo, hi, 0x31));
            }
        }
        auto* w = reinterpret_cast<uint32_t*>(out + 256 * RP);
        for (int j = 0; j < 16; ++j)
            for (int rr = 0; rr < RP; ++rr) w[j * RP + rr] = x[rr].sc[j];
        w = reinterpret_cast<uint32_t*>(out + 320 * RP);
        for (int i = 0; i < 8; ++i)
            for (int rr = 0; rr < RP; ++rr) w[i * RP + rr] = x[rr].m[i];
        auto* od = reinterpret_cast<float*>(out + 352 * RP);
        for (int rr = 0; rr < RP; ++rr) {
            od[rr] = x[rr].d;
            od[RP + rr] = x[rr].dmin;
        }
    }
}

// The RP 32-bit values at p repeated across the vector.
template <int RP>
inline __m256i bcast_w(const uint8_t* p) {
    if constexpr (RP == 1) {
        int32_t v;
        std::memcpy(&v, p, 4);
        return _mm256_set1_epi32(v);
    } else {
        long long v;
        std::memcpy(&v, p, 8);
        return _mm256_set1_epi64x(v);
    }
}
template <int RP>
inline __m256 bcast_f(const uint8_t* p) {
    return _mm256_castsi256_ps(bcast_w<RP>(p));
}
// Keeps a loaded vector in a register (one load for all rows of the tile).
inline __m256i in_reg(__m256i v) {
    __asm__("" : "+x"(v));
    return v;
}

// R decoded row groups x one group of T tokens, all super-blocks.
template <int Kind, int T, int R>
void tile(int64_t nsb, const uint8_t* wd, size_t wd_stride, const uint8_t* act, __m256 out[R], const uint8_t* pf,
          size_t pf_step) {
    constexpr int RP = kLanes / T;
    // Sub-block length and steps (of 4 elements) per int16 accumulator: the
    // most that cannot overflow (15 x 127 x 2 x 8, 31 x 127 x 2 x 4, 63 x 127 x 2 x 2).
    constexpr int kSub = Kind == 6 ? 16 : 32;
    constexpr int kSteps = Kind == 4 ? 8 : (Kind == 5 ? 4 : 2);
    constexpr int kNSub = QK_K / kSub;
    constexpr size_t kSB = RP * kRowSB;
    __m256 facc[R], faccm[R];
    for (int r = 0; r < R; ++r) facc[r] = faccm[r] = _mm256_setzero_ps();
    for (int64_t b = 0; b < nsb; ++b) {
        const uint8_t* ab = act + size_t(b) * kPrepSB;
        const uint8_t* wb = wd + size_t(b) * kSB;
        if (pf)
            for (size_t o = 0; o < pf_step; o += 64)
                _mm_prefetch(reinterpret_cast<const char*>(pf + size_t(b) * pf_step + o), _MM_HINT_T1);
        __m256i acc32[R];
        for (int j = 0; j < kNSub; ++j) {
            for (int h = 0; h < kSub / 4 / kSteps; ++h) {
                __m256i acc16[R];
                const int s0 = j * (kSub / 4) + h * kSteps;
                {
                    const __m256i av = in_reg(load256(ab + 32 * s0));
                    for (int r = 0; r < R; ++r)
                        acc16[r] = _mm256_maddubs_epi16(bcast_w<RP>(wb + r * wd_stride + 4 * RP * s0), av);
                }
                for (int s = 1; s < kSteps; ++s) {
                    const __m256i av = in_reg(load256(ab + 32 * (s0 + s)));
                    for (int r = 0; r < R; ++r)
                        acc16[r] = _mm256_add_epi16(
                            acc16[r], _mm256_maddubs_epi16(bcast_w<RP>(wb + r * wd_stride + 4 * RP * (s0 + s)), av));
                }
                for (int r = 0; r < R; ++r) {
                    const __m256i p = _mm256_madd_epi16(acc16[r], bcast_w<RP>(wb + r * wd_stride + RP * (256 + 4 * j)));
                    acc32[r] = (j == 0 && h == 0) ? p : _mm256_add_epi32(acc32[r], p);
                }
            }
        }
        const __m256 da = _mm256_loadu_ps(reinterpret_cast<const float*>(ab + kActD));
        if constexpr (Kind == 6) {
            __m256i off[R];
            for (int i = 0; i < 8; ++i) {
                const __m256i bv = load256(ab + kActB + 32 * i);
                for (int r = 0; r < R; ++r) {
                    const __m256i p = _mm256_madd_epi16(bv, bcast_w<RP>(wb + r * wd_stride + RP * (320 + 4 * i)));
                    off[r] = i == 0 ? p : _mm256_add_epi32(off[r], p);
                }
            }
            for (int r = 0; r < R; ++r) {
                const __m256i s = _mm256_sub_epi32(acc32[r], _mm256_slli_epi32(off[r], 5));
                const __m256 dd = _mm256_mul_ps(bcast_f<RP>(wb + r * wd_stride + 352 * RP), da);
                facc[r] = _mm256_fmadd_ps(dd, _mm256_cvtepi32_ps(s), facc[r]);
            }
        } else {
            __m256i mm[R];
            for (int i = 0; i < 4; ++i) {
                const __m256i bv = load256(ab + kActM + 32 * i);
                for (int r = 0; r < R; ++r) {
                    const __m256i p = _mm256_madd_epi16(bv, bcast_w<RP>(wb + r * wd_stride + RP * (320 + 4 * i)));
                    mm[r] = i == 0 ? p : _mm256_add_epi32(mm[r], p);
                }
            }
            for (int r = 0; r < R; ++r) {
                const __m256 dd = _mm256_mul_ps(bcast_f<RP>(wb + r * wd_stride + 352 * RP), da);
                facc[r] = _mm256_fmadd_ps(dd, _mm256_cvtepi32_ps(acc32[r]), facc[r]);
                const __m256 dm = _mm256_mul_ps(bcast_f<RP>(wb + r * wd_stride + 356 * RP), da);
                faccm[r] = _mm256_fmadd_ps(dm, _mm256_cvtepi32_ps(mm[r]), faccm[r]);
            }
        }
    }
    for (int r = 0; r < R; ++r) out[r] = Kind == 6 ? facc[r] : _mm256_sub_ps(facc[r], faccm[r]);
}

// Stores lanes of tokens < n and rows < nrows (rows of the tile's first group start at y).
template <int Kind, int T, int R>
void tile_store(int64_t nsb, const uint8_t* wd, size_t wd_stride, const uint8_t* act, int n, int nrows, float* y,
                int64_t ldy, float* tmp, const uint8_t* pf, size_t pf_step) {
    constexpr int RP = kLanes / T;
    __m256 res[R];
    tile<Kind, T, R>(nsb, wd, wd_stride, act, res, pf, pf_step);
    for (int r = 0; r < R; ++r) {
        _mm256_storeu_ps(tmp, res[r]);
        for (int l = 0; l < kLanes; ++l) {
            const int t = l / RP, row = r * RP + l % RP;
            if (t < n && row < nrows) y[t * ldy + row] = tmp[l];
        }
    }
}

template <int Kind, int T>
void run(int64_t K, const void* w, size_t w_stride, int64_t nrows, const void* prepared, int64_t n_tok, float* y,
         int64_t ldy, void* scratch) {
    constexpr int RP = kLanes / T;
    const int64_t nsb = K / QK_K;
    const size_t wd_stride = size_t(nsb) * RP * kRowSB;
    auto* wd = static_cast<uint8_t*>(scratch);
    float* tmp = reinterpret_cast<float*>(wd + kRows * wd_stride);
    const auto* base = static_cast<const uint8_t*>(w);
    const auto* act = static_cast<const uint8_t*>(prepared);
    const size_t gbytes = prep_bytes(K);
    const int64_t ngroups = (n_tok + T - 1) / T;
    // Token groups per pass over the rows: as many as stay in L2 with the decoded rows.
    int64_t chunk = int64_t(384 << 10) / int64_t(gbytes);
    if (chunk < 1) chunk = 1;
    for (int64_t g0 = 0; g0 < ngroups; g0 += chunk) {
        const int64_t g1 = g0 + chunk < ngroups ? g0 + chunk : ngroups;
        for (int64_t r0 = 0; r0 < nrows; r0 += kRows * RP) {
            const int rows_here = int(nrows - r0 < kRows * RP ? nrows - r0 : kRows * RP);
            const int R = (rows_here + RP - 1) / RP;
            for (int r = 0; r < R; ++r) {
                const uint8_t* rows[RP];
                const int nr = rows_here - r * RP < RP ? rows_here - r * RP : RP;
                for (int i = 0; i < nr; ++i) rows[i] = base + size_t(r0 + r * RP + i) * w_stride;
                decode_rows<Kind, RP>(nsb, rows, nr, wd + r * wd_stride);
            }
            // Next pass's rows, prefetched during the first group's tile.
            const int64_t r_next = r0 + kRows * RP;
            const uint8_t* pf_rows = nullptr;
            size_t pf_step = 0;
            if (r_next < nrows) {
                const int64_t n_next = nrows - r_next < kRows * RP ? nrows - r_next : kRows * RP;
                pf_rows = base + size_t(r_next) * w_stride;
                pf_step = (size_t(n_next) * w_stride / size_t(nsb) + 63) & ~size_t(63);
            }
            for (int64_t g = g0; g < g1; ++g) {
                const int n = int(n_tok - g * T < T ? n_tok - g * T : T);
                const uint8_t* pf = g == g0 ? pf_rows : nullptr;
                const uint8_t* ag = act + size_t(g) * gbytes;
                float* yg = y + g * T * ldy + r0;
                switch (R) {
                    case 4: tile_store<Kind, T, 4>(nsb, wd, wd_stride, ag, n, rows_here, yg, ldy, tmp, pf, pf_step); break;
                    case 3: tile_store<Kind, T, 3>(nsb, wd, wd_stride, ag, n, rows_here, yg, ldy, tmp, pf, pf_step); break;
                    case 2: tile_store<Kind, T, 2>(nsb, wd, wd_stride, ag, n, rows_here, yg, ldy, tmp, pf, pf_step); break;
                    default: tile_store<Kind, T, 1>(nsb, wd, wd_stride, ag, n, rows_here, yg, ldy, tmp, pf, pf_step); break;
                }
            }
        }
    }
}

}  // namespace

const GemmKernel gemm_q4_K = {8, prep_bytes, prep<8>, scratch_bytes<8>, run<4, 8>};
const GemmKernel gemm_q5_K = {8, prep_bytes, prep<8>, scratch_bytes<8>, run<5, 8>};
const GemmKernel gemm_q6_K = {8, prep_bytes, prep<8>, scratch_bytes<8>, run<6, 8>};
const GemmKernel gemm4_q4_K = {4, prep_bytes, prep<4>, scratch_bytes<4>, run<4, 4>};
const GemmKernel gemm4_q5_K = {4, prep_bytes, prep<4>, scratch_bytes<4>, run<5, 4>};
const GemmKernel gemm4_q6_K = {4, prep_bytes, prep<4>, scratch_bytes<4>, run<6, 4>};

}  // namespace glint::kernels::avx2
