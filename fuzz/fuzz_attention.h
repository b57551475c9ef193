/* The fuzz input of the attention harnesses (attention_diff, split_merge), shared with the seed
 * generator (docs/fuzzing.md, "Attention input format"): a 32-byte header that picks the shapes,
 * layout, masks, sinks, splits and threads, a seed for the N(0, 1) data (check/attention_problem.h
 * builds the buffers, exactly the size the descriptor spans, padding NaN), then patches of 6 bytes
 * (u16 element index, f32 value) written over q, k, v, the mask and the sink logits, so a mutation puts
 * a NaN, an infinity, FLT_MAX or a subnormal at one place of an otherwise realistic problem. Every byte
 * string is valid: missing bytes read as 0. The output is surrounded by guard canaries. */
#ifndef SINKBENCH_FUZZ_ATTENTION_H
#define SINKBENCH_FUZZ_ATTENTION_H

#include <stddef.h>
#include <stdint.h>

#include "check/attention_problem.h"

#define SB_FUZZ_ATTN_HEADER_SIZE 32
#define SB_FUZZ_ATTN_PATCH_SIZE 6
#define SB_FUZZ_ATTN_MAX_PATCHES 64
/* The largest problem, in multiply-adds per kernel (n_queries * H * n * d): n is cut to fit, so one
 * execution stays around a millisecond with every registered kernel. */
#define SB_FUZZ_ATTN_MAX_WORK (1u << 15)
#define SB_FUZZ_ATTN_MAX_KEYS 300
#define SB_FUZZ_ATTN_GUARD 16  /* canary floats before and after the output span */

/* header.flags */
#define SB_FUZZ_ATTN_CAUSAL 0x01u         /* SB_ATTENTION_CAUSAL */
#define SB_FUZZ_ATTN_MASK 0x02u           /* an additive mask row of N(0, 1) entries */
#define SB_FUZZ_ATTN_TOKEN_LAST 0x04u     /* the token gap lifts the last key instead of the first */
#define SB_FUZZ_ATTN_MASK_BROADCAST 0x08u /* mask_stride 0: one mask row for every query */
#define SB_FUZZ_ATTN_SCALE 0x10u          /* use the header's scale (if finite) instead of 1/sqrt(d) */
#define SB_FUZZ_ATTN_SINK_ABSOLUTE 0x20u  /* learned sinks: every head's logit is sink_logit itself */
#define SB_FUZZ_ATTN_PLUS_INF_MASK 0x40u  /* mask entries whose -inf draw fell on odd keys are +inf */

typedef struct sb_fuzz_attn_header {
    uint8_t kernel;      /*  0: 0 = every kernel; k = attention registry index (k - 1) % count */
    uint8_t flags;       /*  1: SB_FUZZ_ATTN_* */
    uint8_t heads;       /*  2: H_kv = 1 + b % 4, H = H_kv * (1 + b / 4 % 6): MHA, GQA, MQA */
    uint8_t head_dim;    /*  3: below 200: d = 1 + b % 40; else 8, 16, 24, 32, 48, 64, 72, 96, 128, 256, ... */
    uint16_t keys;       /*  4: n = v % 301 (then cut to SB_FUZZ_ATTN_MAX_WORK) */
    uint8_t queries;     /*  6: below 128: decode (1 query); else prefill with 2 + b % 19 queries */
    uint8_t layout;      /*  7: KV type (b & 3) % 3 (0 f32, 1 f16, 2 bf16) | pad (b >> 2 & 3 elements per stride) |
                          *     misalignment (b >> 4 & 7 elements) | bit 7 token-major KV ([n][H_kv][d]) */
    uint8_t sink;        /*  8: b % 3: none, learned logits, softmax_1 */
    uint8_t mask_inf;    /*  9: probability b / 255 that a mask entry is -inf (padding); 255: fully masked */
    uint8_t window;      /* 10: 0 none, else a sliding window of b keys */
    uint8_t sink_tokens; /* 11: b % 8 keys kept visible under the window */
    uint8_t splits;      /* 12: attention_diff: b % 65 (0, 1: unsplit); split_merge: 1 + b % 64 */
    uint8_t threads;     /* 13: 1 + b % 4 */
    uint16_t seed;       /* 14: seed of the N(0, 1) data */
    float q_scale;       /* 16: q ~ N(0, q_scale^2) (0 or non-finite: 1) */
    float sink_logit;    /* 20: learned sinks: the gap above the largest expected score, per head
                          *     +- N(0, 0.25) (SB_FUZZ_ATTN_SINK_ABSOLUTE: the logit itself) */
    float token_gap;     /* 24: > 0: the mask lifts the first (or last) key by this (a sink token) */
    float scale;         /* 28: with SB_FUZZ_ATTN_SCALE */
} sb_fuzz_attn_header;

typedef struct sb_fuzz_attn_patch {
    uint16_t where;      /* element index into q ++ k ++ v ++ mask ++ sinks (logical elements), mod total */
    float value;         /* stored as the buffer's type (KV: rounded to f16/bf16) */
} sb_fuzz_attn_patch;

/* A decoded problem: buffers, descriptor and the reference's answer. */
typedef struct sb_fuzz_attn {
    sb_fuzz_attn_header h;
    sb_attention_problem p;            /* p.d is the descriptor (n_splits, n_threads from the header) */
    size_t patches;
    float *out_base;         /* the output allocation: guard, span, guard */
    size_t out_span;         /* floats the output descriptor spans (misalignment included) */
    sb_attention_expected e; /* the binary64 reference, computed once */
} sb_fuzz_attn;

void sb_fuzz_attn_decode_header(const uint8_t *data, size_t size, sb_fuzz_attn_header *h);

/* Decodes data into a, builds the buffers and the expected values. split_merge selects the header's
 * split mapping (1 + b % 64 instead of b % 65). Exits with status 3 when memory runs out. */
void sb_fuzz_attn_decode(const uint8_t *data, size_t size, int split_merge, sb_fuzz_attn *a);
void sb_fuzz_attn_free(sb_fuzz_attn *a);

/* Re-arms the output's guard canaries; sb_fuzz_attn_guards_ok checks them after a call. */
void sb_fuzz_attn_guards_arm(sb_fuzz_attn *a);
int sb_fuzz_attn_guards_ok(const sb_fuzz_attn *a, size_t *where);

/* Copies the output rows (n_queries * H * d floats, row-major) into dst. */
void sb_fuzz_attn_rows(const sb_attention_desc *d, float *dst);

/* One line describing the problem, for violation reports. */
void sb_fuzz_attn_describe(const sb_fuzz_attn *a, char *buf, size_t size);

/* Runs kernel k on d (a's buffers) through sb_attention_contract_run and checks the guards; on any
 * violation reports it (sb_fuzz_attn_violation) under the label `what` ("" or "split 7 threads 3").
 * Returns nothing: every failure aborts. */
void sb_fuzz_attn_run_checked(const sb_fuzz_attn *a, const sb_attention_kernel *k, const sb_attention_desc *d,
                              const char *what);

/* Prints "<target>: VIOLATION kernel=<k> rule=<rule>" (spaces in rule become '-'), the detail and the
 * problem, then aborts. */
_Noreturn void sb_fuzz_attn_violation(const sb_fuzz_attn *a, const char *kernel, const char *rule,
                                      const char *detail);

/* Writes header h and count patches; returns the byte count (cap must allow them). */
size_t sb_fuzz_attn_encode(const sb_fuzz_attn_header *h, const sb_fuzz_attn_patch *patches, size_t count,
                           uint8_t *out, size_t cap);

#endif
