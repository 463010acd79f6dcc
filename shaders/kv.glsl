// KV cache element formats (KV_F32, KV_F16 or KV_Q8_0), rows of n_embd_kv
// values in paged blocks exactly as engine/kv_cache.h lays them out on the host.
#if defined(KV_F32)
#define KV_ELEM float
#elif defined(KV_F16)
#define KV_ELEM uint16_t  // raw bits, written and read with the exact helpers
#elif defined(KV_Q8_0)
struct block_q8_0 {
    uint16_t d;  // binary16 bits, as kernels' fp16_t
    int8_t qs[32];
};
#define KV_ELEM block_q8_0
#else
#error "no KV_* defined"
#endif
