/* Seeded attention problems: every buffer allocated to exactly the span the descriptor describes (so
 * AddressSanitizer catches any read past it), padding filled with NaN (so a kernel that reads padding
 * breaks the contract), inputs drawn from sb_rng. The attention tests, `sinkbench check` and the fuzz
 * harnesses build their problems here. Part of sinkbench_check. */
#ifndef SINKBENCH_ATTENTION_PROBLEM_H
#define SINKBENCH_ATTENTION_PROBLEM_H

#include <stddef.h>
#include <stdint.h>

#include "check/attention_contract.h"
#include "check/rng.h"
#include "sinkbench/attention.h"

typedef struct sb_attention_spec {
    size_t H, Hkv, d, n, nq;
    sb_kv_type kv;
    int token_major_kv;   /* KV [n][Hkv][d] instead of [Hkv][n][d] */
    size_t pad;           /* extra elements in every stride (skipped padding) */
    size_t misalign;      /* elements before every buffer's first row */
    int causal;
    size_t window, sink_tokens;
    double mask_neg_inf;  /* probability that a mask entry is -inf (0 and no token gap: no mask) */
    int mask;             /* use an additive mask (random N(0, 1) entries) */
    double token_gap;     /* > 0: the mask lifts one key (the sink token) by this much */
    int token_last;       /* that key is the last one instead of the first */
    sb_attention_sink sink;
    double sink_gap;      /* learned sink logit: about this far above the largest score */
    double q_scale;       /* q ~ N(0, q_scale^2); k, v ~ N(0, 1) */
    size_t splits, threads;
} sb_attention_spec;

typedef struct sb_attention_problem {
    sb_attention_desc d;
    sb_attention_spec spec;
    void *mem[6]; /* q, k, v, out, mask, sinks */
} sb_attention_problem;

/* A dense spec: no mask, no sink, no padding, one split and one thread; q ~ N(0, 1). */
sb_attention_spec sb_attention_spec_default(size_t H, size_t Hkv, size_t d, size_t n, size_t nq);

/* KV element idx of base in d's storage type (f16/bf16 rounded to nearest even). */
void sb_attention_store_kv(const sb_attention_desc *d, void *base, size_t idx, float f);
float sb_attention_load_kv(const sb_attention_desc *d, const void *base, size_t idx);

/* Elements spanned by n1 rows of stride s1 times n2 of stride s2, the last one len long. */
size_t sb_attention_span(size_t n1, size_t s1, size_t n2, size_t s2, size_t len);

/* Builds the problem (allocates every buffer); 0 when memory runs out. */
int sb_attention_problem_build(sb_attention_problem *p, const sb_attention_spec *s, sb_rng *rng);
/* sb_attention_problem_build plus the reference's expected values; 0 (everything freed) when memory runs out. */
int sb_attention_problem_build_expected(sb_attention_problem *p, const sb_attention_spec *s, sb_rng *rng, sb_attention_expected *e);
void sb_attention_problem_free(sb_attention_problem *p);

#endif
