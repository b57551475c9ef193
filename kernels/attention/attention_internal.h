/* What every attention kernel shares: the geometry of a call (positions, visible key ranges, KV
 * addressing), the contract's edge cases (one binary64 row evaluation used by the reference and as
 * every kernel's fallback for rows the fast path cannot decide), and the flash driver (tiles, splits,
 * merge, threads). Not installed. */
#ifndef SINKBENCH_ATTENTION_INTERNAL_H
#define SINKBENCH_ATTENTION_INTERNAL_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "sinkbench/attention.h"
#include "sinkbench/convert.h"

/* ---- geometry ---------------------------------------------------------------------------------- */

static inline size_t sb_attention_group(const sb_attention_desc *d) { return d->n_heads / d->n_kv_heads; }

/* Position of query i: the queries are the last n_queries positions of the context. */
static inline int64_t sb_attention_pos(const sb_attention_desc *d, size_t i)
{
    return (int64_t)d->n_keys - (int64_t)d->n_queries + (int64_t)i;
}

/* The keys a query at position p may see by the structural rules (causal, window, sink tokens):
 * j < sink_end, or lo <= j < hi. */
typedef struct sb_attention_vis {
    size_t sink_end, lo, hi;
} sb_attention_vis;

static inline size_t sb_attention_clamp(int64_t v, size_t n)
{
    return v <= 0 ? 0 : (uint64_t)v >= n ? n : (size_t)v;
}

static inline sb_attention_vis sb_attention_visible(const sb_attention_desc *d, int64_t p)
{
    sb_attention_vis v;
    size_t n = d->n_keys;
    v.hi = (d->flags & SB_ATTENTION_CAUSAL) ? sb_attention_clamp(p + 1, n) : n;
    v.lo = d->window ? sb_attention_clamp(p - (int64_t)d->window + 1, n) : 0;
    if (v.lo > v.hi)
        v.lo = v.hi;
    v.sink_end = d->sink_tokens < v.hi ? d->sink_tokens : v.hi;
    if (v.sink_end > v.lo)
        v.sink_end = v.lo; /* the window range already covers them */
    return v;
}

static inline int sb_attention_vis_has(const sb_attention_vis *v, size_t j)
{
    return j < v->sink_end || (j >= v->lo && j < v->hi);
}

/* Key ranges (ascending, disjoint, non-empty) covering the union of what positions p_lo..p_hi see.
 * Returns how many (0..2). */
static inline int sb_attention_ranges(const sb_attention_desc *d, int64_t p_lo, int64_t p_hi, size_t lo[2],
                                 size_t hi[2])
{
    sb_attention_vis a = sb_attention_visible(d, p_lo), b = sb_attention_visible(d, p_hi);
    size_t sink_end = d->sink_tokens < b.hi ? d->sink_tokens : b.hi, wlo = a.lo;
    int k = 0;
    if (sink_end >= wlo) { /* one range */
        if (b.hi > 0) {
            lo[k] = 0;
            hi[k++] = b.hi;
        }
        return k;
    }
    if (sink_end > 0) {
        lo[k] = 0;
        hi[k++] = sink_end;
    }
    if (b.hi > wlo) {
        lo[k] = wlo;
        hi[k++] = b.hi;
    }
    return k;
}

/* ---- data access ------------------------------------------------------------------------------- */

static inline size_t sb_kv_size(sb_kv_type t) { return t == SB_KV_F32 ? 4 : 2; }

static inline const void *sb_attention_k_row(const sb_attention_desc *d, size_t g, size_t j)
{
    return (const char *)d->k + (g * d->k_stride_head + j * d->k_stride_token) * sb_kv_size(d->kv_type);
}

static inline const void *sb_attention_v_row(const sb_attention_desc *d, size_t g, size_t j)
{
    return (const char *)d->v + (g * d->v_stride_head + j * d->v_stride_token) * sb_kv_size(d->kv_type);
}

static inline float sb_attention_kv_at(sb_kv_type t, const void *row, size_t c)
{
    switch (t) {
    case SB_KV_F16: return sb_f16_to_f32(((const uint16_t *)row)[c]);
    case SB_KV_BF16: return sb_bf16_to_f32(((const uint16_t *)row)[c]);
    default: return ((const float *)row)[c];
    }
}

static inline const float *sb_attention_q_row(const sb_attention_desc *d, size_t i, size_t h)
{
    return d->q + i * d->q_stride_token + h * d->q_stride_head;
}

static inline float *sb_attention_out_row(const sb_attention_desc *d, size_t i, size_t h)
{
    return d->out + i * d->out_stride_token + h * d->out_stride_head;
}

/* The mask row of query i, or NULL without a mask. */
static inline const float *sb_attention_mask_row(const sb_attention_desc *d, size_t i)
{
    return d->mask ? d->mask + i * d->mask_stride : NULL;
}

/* The head's sink logit; -inf without a sink. */
static inline float sb_attention_sink_logit(const sb_attention_desc *d, size_t h)
{
    switch (d->sink) {
    case SB_ATTENTION_SINK_LOGITS: return d->sink_logits[h];
    case SB_ATTENTION_SINK_SOFTMAX1: return 0.0f;
    default: return -INFINITY;
    }
}

/* ---- the contract, row by row ------------------------------------------------------------------ */

/* One output row (query i, head h) in binary64, following docs/numerics.md ("Attention") exactly:
 * the edge-case rules in order, then the formula with exact-in-binary64 products, compensated sums
 * and one division. o receives head_dim values. This is the reference kernel's whole computation and
 * every other kernel's fallback for the rows their fast path flags. */
typedef enum sb_attention_rule {
    SB_ATTENTION_ROW_NAN = 1,      /* a NaN reached a score, or the sink logit is NaN: every output NaN */
    SB_ATTENTION_ROW_ZERO = 2,     /* the sink is +inf, or no key is visible: every output exactly 0 */
    SB_ATTENTION_ROW_PLUS_INF = 3, /* some mask entries are +inf: those keys share all the mass */
    SB_ATTENTION_ROW_FORMULA = 4   /* the formula */
} sb_attention_rule;
sb_attention_rule sb_attention_row_f64(const sb_attention_desc *d, size_t i, size_t h, double *o);

/* The same, also giving the residual mass R = sum_j p_j (1 - p_sink; 1 for +inf-mask rows, 0 for
 * NaN and zero rows). */
sb_attention_rule sb_attention_row_f64_mass(const sb_attention_desc *d, size_t i, size_t h, double *o, double *residual);

/* The same, rounded to binary32 into the output row. */
void sb_attention_row_f64_store(const sb_attention_desc *d, size_t i, size_t h);

/* Scale of a row for the error bound (attention.h, sb_attention_bound_fn): the largest finite |v|
 * over the visible keys (an infinite or NaN v makes its own component non-finite, which the contract
 * checks separately; without this, one +inf would make the tolerance of every other component
 * infinite or NaN) and score_size. Both 0 for a row without visible keys. */
void sb_attention_row_sizes(const sb_attention_desc *d, size_t i, size_t h, double *v_max, double *score_size);

/* Checks d, then runs row(d, i, h) for every query and head in order: the reference kernels' body. */
sb_status sb_attention_each_row(const sb_attention_desc *d, void (*row)(const sb_attention_desc *d, size_t i, size_t h));

/* ---- validation helpers ------------------------------------------------------------------------ */

/* Byte ranges [lo, hi) a call reads or writes; lo == hi when the call does not use that buffer. */
enum { SB_ATTENTION_SPAN_Q, SB_ATTENTION_SPAN_K, SB_ATTENTION_SPAN_V, SB_ATTENTION_SPAN_MASK, SB_ATTENTION_SPAN_SINKS, SB_ATTENTION_SPAN_OUT,
       SB_ATTENTION_SPANS };
typedef struct sb_attention_span {
    uintptr_t lo, hi;
} sb_attention_span;

/* Fills the spans of a descriptor whose shapes are valid; returns 0 when one overflows the address
 * space or a pointer it needs is NULL or misaligned. */
int sb_attention_spans(const sb_attention_desc *d, sb_attention_span spans[SB_ATTENTION_SPANS]);

/* sb_attention_check plus "is there anything to do": returns SB_OK and sets *empty when n_queries
 * is 0. */
sb_status sb_attention_validate(const sb_attention_desc *d, int *empty);

/* ---- the flash driver -------------------------------------------------------------------------- */

/* Keys per block of the online softmax, and the headroom of the lazy rescale: the reference m of a
 * row is an upper bound of its scores; when a block's maximum exceeds it, m becomes that maximum +
 * SB_ATTENTION_RESCALE_T, so it moves at most once per e^8 of growth and every exp argument is <= 0
 * (docs/attention.md). */
#define SB_ATTENTION_BLOCK 64
#define SB_ATTENTION_RESCALE_T 8.0f
/* Rows (query, head pairs sharing one KV head) per tile. */
#define SB_ATTENTION_TILE_ROWS 16

/* A tile: queries [i0, i0 + nq) x heads [h0, h0 + nh) of KV head g; row r = qi * nh + hi. */
typedef struct sb_attention_tile {
    size_t i0, nq, h0, nh, g;
} sb_attention_tile;

/* Partial results of one tile row over one chunk of keys, as floats:
 * [0] running max m (-inf: no visible key), [1] sum l, [2] flag (non-zero: the row needs the
 * binary64 fallback), then acc[head_dim] at SB_ATTENTION_PART_HEADER. */
#define SB_ATTENTION_PART_HEADER 8

typedef struct sb_attention_plan {
    const sb_attention_desc *d;
    size_t tile_q, tile_h;     /* queries and heads per tile */
    size_t n_qtiles, n_htiles; /* tiles along the queries and along a KV head's group */
    size_t n_tiles;            /* n_qtiles * n_kv_heads * n_htiles */
    size_t splits, chunk;      /* chunk s covers keys [s * chunk, min(n, (s + 1) * chunk)) */
    size_t part_stride;        /* floats per partial row */
    float *parts;              /* splits > 1: [tile][split][row] partial rows */
} sb_attention_plan;

static inline sb_attention_tile sb_attention_tile_at(const sb_attention_plan *p, size_t t)
{
    sb_attention_tile x;
    size_t ht = t % p->n_htiles, g = (t / p->n_htiles) % p->d->n_kv_heads, qt = t / (p->n_htiles * p->d->n_kv_heads);
    size_t group = sb_attention_group(p->d);
    x.g = g;
    x.i0 = qt * p->tile_q;
    x.nq = p->d->n_queries - x.i0 < p->tile_q ? p->d->n_queries - x.i0 : p->tile_q;
    x.h0 = g * group + ht * p->tile_h;
    x.nh = group - ht * p->tile_h < p->tile_h ? group - ht * p->tile_h : p->tile_h;
    return x;
}

/* Computes the partial rows of one tile over one chunk of keys into part (tile rows x part_stride
 * floats). One per ISA (attention_flash.c). */
typedef void (*sb_attention_tile_fn)(const sb_attention_plan *p, const sb_attention_tile *t, size_t split, float *part);

/* Runs a flash kernel: checks d, plans tiles and splits, computes every (tile, split) with fn on
 * n_threads threads, merges the splits with the sink, and falls back to sb_attention_row_f64 for flagged
 * rows. The result does not depend on n_threads. */
sb_status sb_attention_flash_run(const sb_attention_desc *d, sb_attention_tile_fn fn);

/* attention_plan.c: the tiles and splits of a call, and the bytes of workspace its split partials
 * need (0 without splits; SIZE_MAX when that overflows). */
void sb_attention_plan_init(const sb_attention_desc *d, sb_attention_plan *p);
size_t sb_attention_plan_workspace(const sb_attention_desc *d);

#endif
