/* glint: a GGUF inference engine. The public C API.
 *
 * Usage (error handling shortened; every call returns a glint_status):
 *
 *   glint_model* model;
 *   glint_model_params mp = glint_model_default_params();
 *   if (glint_model_load("model.gguf", &mp, &model) != GLINT_OK) {
 *       fprintf(stderr, "%s\n", glint_last_error());
 *       return 1;
 *   }
 *   glint_context* ctx;
 *   glint_context_params cp = glint_context_default_params();
 *   glint_context_create(model, &cp, &ctx);
 *   int32_t toks[512];
 *   int32_t n = 0;
 *   glint_tokenize(model, "Once upon a time", -1, 1, 0, toks, 512, &n);
 *   glint_sampler* smp;
 *   glint_sampler_params sp = glint_sampler_default_params();
 *   glint_sampler_create(model, &sp, &smp);
 *   int32_t pos = 0, tok;
 *   glint_decode_sequence(ctx, 0, toks, n, pos, &tok, smp);   pos += n;   // prompt, then sample
 *   for (int i = 0; i < 64 && !glint_token_is_eog(model, tok); ++i) {
 *       char piece[64];
 *       int32_t len = 0;
 *       glint_token_to_piece(model, tok, piece, sizeof piece, &len);
 *       fwrite(piece, 1, (size_t)len, stdout);
 *       glint_decode_sequence(ctx, 0, &tok, 1, pos++, &tok, smp);
 *   }
 *   glint_sampler_free(smp); glint_context_free(ctx); glint_model_free(model);
 *
 * Thread safety: a glint_model is immutable once loaded and may be shared by any
 * number of contexts on any threads. A glint_context or glint_sampler must be
 * used by one thread at a time. glint_last_error() is per thread.
 *
 * Errors: every function returning glint_status sets the calling thread's last
 * error message on failure. The library never prints, exits or aborts on bad
 * input; log messages go to the callback set with glint_set_log_callback.
 */
#ifndef GLINT_H
#define GLINT_H

#include <stddef.h>
#include <stdint.h>

#if defined(GLINT_STATIC_DEFINE) || !defined(__GNUC__)
#define GLINT_API
#else
#define GLINT_API __attribute__((visibility("default")))
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ---- status codes ---- */
typedef enum glint_status {
    GLINT_OK = 0,
    GLINT_ERR_INVALID_ARGUMENT = 1, /* bad parameter: fix the call */
    GLINT_ERR_IO = 2,               /* cannot open/read/write/map a file */
    GLINT_ERR_INVALID_FILE = 3,     /* malformed GGUF content */
    GLINT_ERR_UNSUPPORTED = 4,      /* well-formed, but not something glint runs */
    GLINT_ERR_OUT_OF_MEMORY = 5,    /* recoverable: KV cache full (remove sequences) or allocation failed */
    GLINT_ERR_CONTEXT_FULL = 6,     /* recoverable: a sequence reached the context size (truncate it) */
    GLINT_ERR_CANCELLED = 7,        /* the progress callback asked to stop */
    GLINT_ERR_INTERNAL = 8
} glint_status;

typedef struct glint_model glint_model;
typedef struct glint_context glint_context;
typedef struct glint_sampler glint_sampler;

/* Message of the calling thread's last failed call ("" if none). Valid until the next call on this thread. */
GLINT_API const char* glint_last_error(void);
/* Short name of a status code, e.g. "GLINT_ERR_IO". */
GLINT_API const char* glint_status_name(glint_status s);
/* Library version "major.minor.patch". */
GLINT_API const char* glint_version(void);

typedef enum glint_log_level { GLINT_LOG_DEBUG = 0, GLINT_LOG_INFO = 1, GLINT_LOG_WARN = 2, GLINT_LOG_ERROR = 3 } glint_log_level;
typedef void (*glint_log_callback)(glint_log_level level, const char* message, void* user);
/* Routes the library's log messages to cb (NULL: drop them, the default). */
GLINT_API void glint_set_log_callback(glint_log_callback cb, void* user);

/* ---- model ---- */
/* Called during loading with progress in [0, 1]; return 0 to cancel (load fails with GLINT_ERR_CANCELLED). */
typedef int (*glint_progress_callback)(float progress, void* user);

typedef struct glint_model_params {
    int32_t use_mmap;       /* 1 (default): map the file; 0: read it into memory */
    int32_t n_gpu_layers;   /* last N layers on the GPU (-1 or > layer count: all); 0 = CPU only */
    glint_progress_callback progress;
    void* progress_user;
} glint_model_params;

GLINT_API glint_model_params glint_model_default_params(void);
/* Loads and validates a GGUF model. On failure *out is NULL. */
GLINT_API glint_status glint_model_load(const char* path, const glint_model_params* params, glint_model** out);
/* Frees a model (NULL is fine). All its contexts and samplers must be freed first. */
GLINT_API void glint_model_free(glint_model* model);

GLINT_API int32_t glint_model_n_vocab(const glint_model* model);
GLINT_API int32_t glint_model_n_ctx_train(const glint_model* model);
GLINT_API int32_t glint_model_n_embd(const glint_model* model);
GLINT_API int32_t glint_model_n_layer(const glint_model* model);
/* Bytes of tensor data in the file. */
GLINT_API uint64_t glint_model_size(const glint_model* model);
/* Parameters: elements of all tensors. */
GLINT_API uint64_t glint_model_n_params(const glint_model* model);
/* Weight bytes one single-token decode reads: every tensor but the token embedding, of which only
 * a row is read (unless it doubles as the output). The numerator of a generation roofline. */
GLINT_API uint64_t glint_model_bytes_per_token(const glint_model* model);
/* One-line description ("llama, 5 layers, n_embd 64, ..."). Valid while the model lives. */
GLINT_API const char* glint_model_desc(const glint_model* model);
/* Metadata value of `key` rendered as text into buf (NUL-terminated, truncated to buf_size).
 * Returns GLINT_ERR_INVALID_ARGUMENT when the key is absent. *len gets the full length. */
GLINT_API glint_status glint_model_meta(const glint_model* model, const char* key, char* buf, size_t buf_size, size_t* len);

/* ---- tokenizer ---- */
/* Tokenizes text (text_len < 0: NUL-terminated). add_special: BOS/EOS per the model; parse_special:
 * recognise control tokens written in the text. Writes up to max_tokens ids; *n_tokens gets the
 * count needed, and GLINT_ERR_INVALID_ARGUMENT is returned when max_tokens is too small. */
GLINT_API glint_status glint_tokenize(const glint_model* model, const char* text, int64_t text_len, int32_t add_special,
                                      int32_t parse_special, int32_t* tokens, int32_t max_tokens, int32_t* n_tokens);
/* Text of one token (raw bytes, may be part of a UTF-8 sequence). *len gets the length needed. */
GLINT_API glint_status glint_token_to_piece(const glint_model* model, int32_t token, char* buf, size_t buf_size, int32_t* len);
/* Text of a token sequence (leading space after BOS removed as SentencePiece does). */
GLINT_API glint_status glint_detokenize(const glint_model* model, const int32_t* tokens, int32_t n_tokens, char* buf,
                                        size_t buf_size, size_t* len);
GLINT_API int32_t glint_token_bos(const glint_model* model); /* -1 if none */
GLINT_API int32_t glint_token_eos(const glint_model* model); /* -1 if none */
/* 1 if the token ends generation (EOS, EOT, end-of-turn...). */
GLINT_API int32_t glint_token_is_eog(const glint_model* model, int32_t token);

/* ---- chat templates ---- */
typedef struct glint_chat_message {
    const char* role;
    const char* content;
} glint_chat_message;
/* Renders the model's chat template (tmpl NULL) or `tmpl` for the messages. A model without a
 * template uses ChatML. Output NUL-terminated into buf; *len gets the full length. */
GLINT_API glint_status glint_chat_apply_template(const glint_model* model, const char* tmpl, const glint_chat_message* msgs,
                                                 size_t n_msgs, int32_t add_generation_prompt, char* buf, size_t buf_size,
                                                 size_t* len);

/* ---- context ---- */
typedef enum glint_kv_type { GLINT_KV_F16 = 0, GLINT_KV_F32 = 1, GLINT_KV_Q8_0 = 2 } glint_kv_type;

typedef struct glint_context_params {
    int32_t n_ctx;        /* positions per sequence; 0 = the model's training context, at most 4096 */
    int32_t n_batch;      /* most tokens per forward pass (larger batches are split); default 512 */
    int32_t n_threads;    /* 0 = all cores */
    int32_t n_seq_max;    /* sequences alive at once; default 1 */
    glint_kv_type kv_type;
    int32_t kv_block_size; /* tokens per KV block, default 16 */
    int32_t n_kv_blocks;   /* 0 = enough for n_seq_max full sequences */
    int32_t pack_weights;  /* 1 (default): generation reads packed copies where the CPU kernels have
                              them (see glint_context_packed_bytes); 0: the mapped file only */
} glint_context_params;

GLINT_API glint_context_params glint_context_default_params(void);
GLINT_API glint_status glint_context_create(const glint_model* model, const glint_context_params* params, glint_context** out);
GLINT_API void glint_context_free(glint_context* ctx);
/* The effective parameters (defaults resolved). */
GLINT_API glint_context_params glint_context_get_params(const glint_context* ctx);
/* Bytes of packed weight copies this context's generation reads (0 if none).
 * Where the CPU kernels have a faster row-interleaved layout for a weight type
 * (AVX-512 VNNI: Q4_0, Q8_0, Q4_K, Q5_K, Q6_K), the model keeps such a copy of those
 * weights, made once when the first context needs it and shared by contexts
 * on the same kernels; it costs this much memory on top of the mapped file.
 * pack_weights = 0 in the context parameters, or GLINT_PACK=0 in the environment,
 * turns it off. */
GLINT_API uint64_t glint_context_packed_bytes(const glint_context* ctx);

/* A batch: n tokens, each with its position, sequence id and whether its logits are wanted.
 * Positions of a sequence must continue it (its current length, then +1 ...). */
typedef struct glint_batch {
    int32_t n_tokens;
    const int32_t* tokens;
    const int32_t* pos;
    const int32_t* seq_id;
    const int8_t* logits; /* NULL: only the last token's logits */
} glint_batch;

/* Runs the forward pass. On failure (GLINT_ERR_OUT_OF_MEMORY when the KV cache is full,
 * GLINT_ERR_CONTEXT_FULL, GLINT_ERR_INVALID_ARGUMENT) the cache is left unchanged. */
GLINT_API glint_status glint_decode(glint_context* ctx, const glint_batch* batch);
/* Logits of the i-th token that asked for them in the last decode (n_vocab floats), NULL if out of range. */
GLINT_API const float* glint_get_logits(const glint_context* ctx, int32_t i);
GLINT_API int32_t glint_n_logits(const glint_context* ctx);
/* Convenience: decodes n tokens of one sequence at pos, pos+1, ... and, when smp is not NULL,
 * samples the next token into *next (and records it in the sampler's history). */
GLINT_API glint_status glint_decode_sequence(glint_context* ctx, int32_t seq, const int32_t* tokens, int32_t n,
                                             int32_t pos, int32_t* next, glint_sampler* smp);

/* ---- KV cache sequence operations ---- */
GLINT_API int32_t glint_kv_seq_len(const glint_context* ctx, int32_t seq);
GLINT_API glint_status glint_kv_seq_remove(glint_context* ctx, int32_t seq);
/* Keeps positions < n. */
GLINT_API glint_status glint_kv_seq_truncate(glint_context* ctx, int32_t seq, int32_t n);
/* dst (emptied first) shares src's cache blocks; they are copied only when written. */
GLINT_API glint_status glint_kv_seq_fork(glint_context* ctx, int32_t src, int32_t dst);
GLINT_API int32_t glint_kv_free_blocks(const glint_context* ctx);

/* ---- sampler ---- */
typedef struct glint_sampler_params {
    float temp;            /* 0.8; 0 = greedy */
    int32_t top_k;         /* 40; 0 = off */
    float top_p;           /* 0.95; 1 = off */
    float min_p;           /* 0.05; 0 = off */
    float repeat_penalty;  /* 1.0 = off */
    float freq_penalty;    /* 0 */
    float presence_penalty;/* 0 */
    int32_t repeat_last_n; /* 64 */
    uint32_t seed;         /* 0xFFFFFFFF = random */
} glint_sampler_params;

GLINT_API glint_sampler_params glint_sampler_default_params(void);
/* GLINT_OK when every value is in range; else GLINT_ERR_INVALID_ARGUMENT naming the value. */
GLINT_API glint_status glint_sampler_params_check(const glint_sampler_params* params);
GLINT_API glint_status glint_sampler_create(const glint_model* model, const glint_sampler_params* params, glint_sampler** out);
GLINT_API void glint_sampler_free(glint_sampler* smp);
/* Samples from n_vocab logits (does not record the token). */
GLINT_API glint_status glint_sampler_sample(glint_sampler* smp, const float* logits, int32_t* token);
/* Adds a token to the penalty history. */
GLINT_API void glint_sampler_accept(glint_sampler* smp, int32_t token);
GLINT_API void glint_sampler_reset(glint_sampler* smp);
GLINT_API uint32_t glint_sampler_seed(const glint_sampler* smp);

/* ---- timings ---- */
typedef struct glint_timings {
    double load_ms;      /* model load */
    double prompt_ms;    /* decode calls of more than one token */
    double gen_ms;       /* decode calls of one token */
    int32_t n_prompt;    /* tokens in prompt decodes */
    int32_t n_gen;       /* single-token decodes */
} glint_timings;
GLINT_API glint_timings glint_get_timings(const glint_context* ctx);
GLINT_API void glint_reset_timings(glint_context* ctx);

/* Name of the CPU kernel set in use ("scalar", "avx2", "avx512"). */
GLINT_API const char* glint_cpu_kernels(void);

/* The CPU's name from CPUID ("" where it has none). */
GLINT_API const char* glint_cpu_info(void);

/* One line for bug reports and benchmark records: the CPU, the extensions
   glint uses that it has, the kernel set in use and whether that set's
   Q4_0/Q8_0 GEMM uses VNNI, e.g. "cpu: <name> | features: avx2 fma f16c
   avx512f avx512bw avx512vl | kernels: avx512 | vnni gemm: no". */
GLINT_API const char* glint_system_info(void);

#ifdef __cplusplus
}
#endif

#endif /* GLINT_H */
