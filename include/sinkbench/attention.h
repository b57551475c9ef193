/* Attention with sinks: decode (one query per head), split-KV decode (flash-decoding) and causal
 * prefill over a KV cache stored in f32, f16 or bf16, with MHA / GQA / MQA head groupings.
 *
 * For query i (at position p_i = n_keys - n_queries + i) and query head h, reading KV head
 * g = h / (n_heads / n_kv_heads):
 *
 *   s_j = scale * (q_{i,h} . k_{g,j}) + mask_{i,j}      for every key j visible to query i
 *   m   = max(max_j s_j, sigma_h)                         sigma_h = the head's sink logit, -inf without
 *   o_{i,h} = sum_j exp(s_j - m) v_{g,j} / (sum_j exp(s_j - m) + exp(sigma_h - m))
 *
 * The sink adds to the denominator only and has no value (gpt-oss learned sinks; softmax_1 is
 * sigma = 0). A sink *token* (BOS, StreamingLLM) is an ordinary key; `sink_tokens` keeps the first
 * ones visible under a sliding window. docs/attention.md is the full description; docs/numerics.md
 * ("Attention") is the contract: edge cases, NaN, fully masked rows (zeros), error bounds. */
#ifndef SINKBENCH_ATTENTION_H
#define SINKBENCH_ATTENTION_H

#include <stddef.h>
#include "sinkbench/softmax.h" /* SB_KERNEL_* flags */
#include "sinkbench/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Storage type of the K and V caches. Queries, outputs and all arithmetic are binary32. */
typedef enum sb_kv_type {
    SB_KV_F32 = 0,
    SB_KV_F16 = 1,   /* IEEE binary16, converted exactly to binary32 on load */
    SB_KV_BF16 = 2   /* bfloat16 (the top half of a binary32), converted exactly on load */
} sb_kv_type;

typedef enum sb_attention_sink {
    SB_ATTENTION_SINK_NONE = 0,
    SB_ATTENTION_SINK_LOGITS = 1,   /* learned per-head logit sigma_h = sink_logits[h] (gpt-oss) */
    SB_ATTENTION_SINK_SOFTMAX1 = 2  /* sigma_h = 0 for every head (softmax_1, "off by one") */
} sb_attention_sink;

/* Flags. */
#define SB_ATTENTION_CAUSAL 1u  /* query i sees keys j <= p_i only */

/* Limits; larger values give SB_EINVAL. */
#define SB_ATTENTION_MAX_HEAD_DIM 1024u
#define SB_ATTENTION_MAX_HEADS    65536u
#define SB_ATTENTION_MAX_KEYS     ((size_t)1 << 31)
#define SB_ATTENTION_MAX_QUERIES  ((size_t)1 << 31)
#define SB_ATTENTION_MAX_SPLITS   1024u
#define SB_ATTENTION_MAX_THREADS  256u

/* One attention call. Strides count elements (floats for q, out, mask; elements of kv_type for k, v);
 * the head dimension is always contiguous. Any stride is allowed for the inputs (0 broadcasts,
 * padding between rows is skipped); output rows must not overlap each other (see below) nor any
 * input. Fields a call does not use (k/v with n_keys == 0, sink_logits without SB_ATTENTION_SINK_LOGITS,
 * mask strides without a mask) are ignored. sb_attention_desc_init() fills in a dense default. */
typedef struct sb_attention_desc {
    /* shapes */
    size_t n_heads;     /* H query heads, 1 .. SB_ATTENTION_MAX_HEADS */
    size_t n_kv_heads;  /* H_kv KV heads; must divide H. H_kv == H: MHA; 1 < H_kv < H: GQA; 1: MQA.
                         * Query head h reads KV head h / (H / H_kv). */
    size_t head_dim;    /* d, 1 .. SB_ATTENTION_MAX_HEAD_DIM, the same for q, k, v and out */
    size_t n_keys;      /* n, keys (and values) in the cache, 0 .. SB_ATTENTION_MAX_KEYS. n == 0 is
                         * valid: every output row is fully masked, i.e. zeros. */
    size_t n_queries;   /* queries per head: 1 for decode, more for prefill; 0 does nothing (SB_OK).
                         * Query i sits at position p_i = n_keys - n_queries + i (the queries are the
                         * last positions of the context; with n_queries > n_keys the first p_i are
                         * negative and, under SB_ATTENTION_CAUSAL, fully masked). */

    /* queries: q[i * q_stride_token + h * q_stride_head + c], binary32 */
    const float *q;
    size_t q_stride_token, q_stride_head;

    /* keys and values: k[g * k_stride_head + j * k_stride_token + c], in kv_type */
    const void *k;
    const void *v;
    sb_kv_type kv_type;
    size_t k_stride_token, k_stride_head;
    size_t v_stride_token, v_stride_head;

    /* outputs: out[i * out_stride_token + h * out_stride_head + c], binary32. Rows must not overlap:
     * of the two strides whose dimension has more than one row, the smaller must be >= head_dim and
     * the larger >= (rows of the smaller's dimension) * the smaller. */
    float *out;
    size_t out_stride_token, out_stride_head;

    float scale;        /* multiplies q . k (usually 1/sqrt(d)); any finite value, 0 included */

    /* sink */
    sb_attention_sink sink;
    const float *sink_logits;  /* n_heads logits, one per query head (SB_ATTENTION_SINK_LOGITS only).
                                * -inf is the same as no sink; +inf takes all mass (output 0);
                                * NaN makes the head's output NaN. */

    /* masks (all optional; combined: a key is visible when every structural rule admits it) */
    unsigned flags;            /* SB_ATTENTION_CAUSAL */
    size_t window;             /* 0: none. W > 0: query i sees only keys j > p_i - W (the W most
                                * recent positions up to p_i), except the first sink_tokens keys */
    size_t sink_tokens;        /* keys j < sink_tokens stay visible under the window (StreamingLLM's
                                * attention-sink tokens); causality still applies to them */
    const float *mask;         /* additive mask: s_j += mask[i * mask_stride + j], shared by all heads.
                                * -inf masks the key (padding): its k and v are never used; NaN on a
                                * visible key makes the row NaN; +inf keys share all the mass. */
    size_t mask_stride;        /* 0: one mask row for every query */

    /* execution */
    size_t n_splits;   /* 0 or 1: one pass over the keys. S > 1: flash-decoding; the key range
                        * [0, n) is cut into S chunks of ceil(n/S) keys (some may be empty) computed
                        * independently and merged; the sink enters once, in the merge. Applies to
                        * every query row (prefill too). Up to SB_ATTENTION_MAX_SPLITS. */
    size_t n_threads;  /* 0 or 1: the calling thread only; more: the library's persistent thread
                        * pool across heads, query tiles and splits (the caller included; threads
                        * start on the first such call and are kept). The result is bit-identical for
                        * every thread count. A call made while another thread's call holds the pool
                        * runs on its calling thread alone (docs/attention.md, "The thread pool"). */
    void *workspace;        /* optional scratch of workspace_size bytes (see
                             * sb_attention_workspace_size); NULL: kernels allocate it when needed */
    size_t workspace_size;
} sb_attention_desc;

/* Fills d with a dense layout and defaults: q and out [n_queries][n_heads][head_dim], k and v
 * [n_kv_heads][n_keys][head_dim] (head-major cache), f32 KV, scale 1/sqrt(head_dim), no sink, no
 * mask, one split, one thread. The caller then sets the pointers. */
void sb_attention_desc_init(sb_attention_desc *d, size_t n_heads, size_t n_kv_heads, size_t head_dim,
                            size_t n_keys, size_t n_queries);

/* Checks every rule above without touching the data: SB_OK or SB_EINVAL. Kernels call it first. */
sb_status sb_attention_check(const sb_attention_desc *d);

/* Whether query row i (0 <= i < n_queries) may see key j (0 <= j < n_keys) under the descriptor's
 * structural rules: causal order (query i sits at position n_keys - n_queries + i), the sliding
 * window and its sink tokens. The additive mask and the sink logits are not structural and not
 * looked at. 0 for an out-of-range i or j. The one rule every kernel, the contract checker and the
 * peers use. */
int sb_attention_key_visible(const sb_attention_desc *d, size_t i, size_t j);

/* Bytes of scratch for d: what the split partials of the built-in kernels' one split plan need (0
 * without splits). Every built-in kernel accepts a workspace of this size, whichever one runs, and
 * rejects a smaller one. 0 for an invalid d. */
size_t sb_attention_workspace_size(const sb_attention_desc *d);

/* Best kernel for this CPU (honours SINKBENCH_ISA). SB_EINVAL for an invalid descriptor (nothing
 * written), SB_ENOMEM when scratch could not be allocated, SB_EUNSUPPORTED when no kernel runs.
 * The flash kernels use about 160 KB of the calling thread's stack (the pool's threads have 1 MB
 * or more). */
sb_status sb_attention(const sb_attention_desc *d);

typedef sb_status (*sb_attention_fn)(const sb_attention_desc *d);

/* A kernel's claimed error bound for a call. For every output component of a row,
 *     |o - o_exact| <= (rel * 2^-24 + floor_mass) * R * max|v| + floor * max|v| + floor_abs + 2^-149
 * where max|v| is taken over the row's visible keys, R = sum_j p_j is the row's residual mass (the
 * mass the keys get, 1 - p_sink; 1 without a sink), and the bound function gets score_size = max
 * over the visible keys of |scale| * sum_c |q_c k_jc| + |mask_j| (binary32 dot products err relative
 * to it). Since R <= 1 this implies |o - o_exact| <= c * 2^-24 * max|v| with c = rel + ...; the R
 * factor makes the bound meaningful on sink-dominated rows, whose outputs are tiny. floor_mass and
 * floor cover subnormal intermediate values; floor_abs covers products w v that underflow (tiny or
 * subnormal v: an absolute 2^-150 each, not proportional to max|v|). docs/numerics.md derives each
 * kernel's terms. */
typedef struct sb_attention_bound {
    double rel;        /* relative to R * max|v|, in units of 2^-24 */
    double floor_mass; /* absolute, times R * max|v| */
    double floor;      /* absolute, times max|v| */
    double floor_abs;  /* absolute */
} sb_attention_bound;
typedef sb_attention_bound (*sb_attention_bound_fn)(const sb_attention_desc *d, double score_size);

typedef struct sb_attention_kernel {
    const char *name;        /* "attention_flash_avx2", "attention_reference_f64", ... */
    const char *isa;         /* "scalar", "sse2", "avx2", "avx512", "neon" */
    const char *algorithm;   /* "reference", "textbook", "flash" */
    int (*supported)(void);  /* non-zero when this CPU can run it */
    sb_attention_fn fn;
    sb_attention_bound_fn error_bound; /* NULL: a study kernel that claims nothing */
    const char *bound_text;  /* the bound's formula in words, for `sinkbench info` and reports */
    unsigned flags;          /* SB_KERNEL_* (softmax.h) */
} sb_attention_kernel;

/* The attention registry: built-in kernels first, then those added with sb_attention_register().
 * Indices are stable for the life of the process. */
size_t sb_attention_kernel_count(void);
const sb_attention_kernel *sb_attention_kernel_at(size_t i);
const sb_attention_kernel *sb_attention_kernel_find(const char *name);

/* Adds a kernel (copied; strings must outlive the process). SB_EINVAL for a NULL required field or a
 * duplicate name, SB_ENOMEM when full. Not thread-safe: register before other threads use it. */
sb_status sb_attention_register(const sb_attention_kernel *kernel);

/* The kernel sb_attention uses on this CPU: the flash kernel of the ISA of sb_dispatch_isa()
 * (dispatch.h: honours SINKBENCH_ISA, with the same rules and explanation as softmax), or NULL. */
const sb_attention_kernel *sb_attention_dispatch(void);

#ifdef __cplusplus
}
#endif
#endif
