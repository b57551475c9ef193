/* The flash driver, shared by every ISA: cuts a call into tiles (query rows sharing one KV head) and
 * key chunks (splits), runs the per-ISA tile function on each (tile, chunk), merges the chunks with
 * the sink, and hands flagged rows to the binary64 row evaluation.
 *
 * Determinism: the tiles, chunks, blocks and the merge order depend only on the descriptor, never on
 * the thread count or on which thread runs what, so every thread count gives the same bits. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "attention/attention_internal.h"
#include "core/pool.h"

/* Merges the splits of one row with the sink into its output row, in binary64 (S * d operations per
 * row, nothing next to the kernel's work): the chunks' factors exp(m_s - M) and the sink's term are
 * exact to 2^-52, so the merge adds only the final rounding, and subnormal factors lose nothing.
 * part points at split 0's partial row; split s is split_stride floats further. */
static void finish_row(const sb_attention_desc *d, size_t i, size_t h, const float *part, size_t split_stride,
                       size_t splits)
{
    const size_t hd = d->head_dim;
    const float sigma = sb_attention_sink_logit(d, h);
    int flagged = isnan(sigma) || sigma == INFINITY;
    double M = sigma;
    for (size_t s = 0; s < splits; s++) {
        const float *ps = part + s * split_stride;
        flagged |= ps[2] != 0.0f;
        M = ps[0] > M ? ps[0] : M;
    }
    if (flagged) {
        sb_attention_row_f64_store(d, i, h);
        return;
    }
    float *out = sb_attention_out_row(d, i, h);
    if (M == -INFINITY) { /* nothing visible and no sink: zeros */
        for (size_t c = 0; c < hd; c++)
            out[c] = 0.0f;
        return;
    }
    double o[SB_ATTENTION_MAX_HEAD_DIM], L = 0.0;
    for (size_t c = 0; c < hd; c++)
        o[c] = 0.0;
    for (size_t s = 0; s < splits; s++) {
        const float *ps = part + s * split_stride;
        if (ps[0] == -INFINITY)
            continue; /* an empty or fully masked chunk contributes nothing */
        double f = exp((double)ps[0] - M);
        L += (double)ps[1] * f;
        const float *acc = ps + SB_ATTENTION_PART_HEADER;
        for (size_t c = 0; c < hd; c++)
            o[c] += (double)acc[c] * f;
    }
    if (sigma > -INFINITY)
        L += exp((double)sigma - M); /* the sink enters once, here */
    for (size_t c = 0; c < hd; c++)
        out[c] = (float)(o[c] / L);
}

static void finish_tile(const sb_attention_plan *p, const sb_attention_tile *t, const float *parts, size_t split_stride)
{
    for (size_t r = 0; r < t->nq * t->nh; r++)
        finish_row(p->d, t->i0 + r / t->nh, t->h0 + r % t->nh, parts + r * p->part_stride, split_stride,
                   p->splits);
}

typedef struct run_ctx {
    const sb_attention_plan *p;
    sb_attention_tile_fn fn;
} run_ctx;

/* One split: compute the tile's partial rows on the stack and finish them at once. */
static void run_direct(void *ctx, size_t tile)
{
    const run_ctx *c = ctx;
    _Alignas(64) float part[SB_ATTENTION_TILE_ROWS * (SB_ATTENTION_PART_HEADER + SB_ATTENTION_MAX_HEAD_DIM)];
    sb_attention_tile t = sb_attention_tile_at(c->p, tile);
    c->fn(c->p, &t, 0, part);
    finish_tile(c->p, &t, part, 0);
}

static float *tile_parts(const sb_attention_plan *p, size_t tile, size_t split)
{
    return p->parts + (tile * p->splits + split) * (p->tile_q * p->tile_h) * p->part_stride;
}

static void run_split(void *ctx, size_t unit)
{
    const run_ctx *c = ctx;
    size_t tile = unit / c->p->splits, split = unit % c->p->splits;
    sb_attention_tile t = sb_attention_tile_at(c->p, tile);
    c->fn(c->p, &t, split, tile_parts(c->p, tile, split));
}

static void run_merge(void *ctx, size_t tile)
{
    const run_ctx *c = ctx;
    sb_attention_tile t = sb_attention_tile_at(c->p, tile);
    finish_tile(c->p, &t, tile_parts(c->p, tile, 0), c->p->tile_q * c->p->tile_h * c->p->part_stride);
}

sb_status sb_attention_flash_run(const sb_attention_desc *d, sb_attention_tile_fn fn)
{
    int empty;
    sb_status st = sb_attention_validate(d, &empty);
    if (st != SB_OK || empty)
        return st;
    sb_attention_plan p;
    sb_attention_plan_init(d, &p);
    run_ctx c = {&p, fn};
    size_t threads = d->n_threads > 1 ? d->n_threads : 1;
    if (p.splits == 1) {
        sb_pool_parallel_for(p.n_tiles, threads, run_direct, &c);
        return SB_OK;
    }
    void *mem = NULL, *ws = d->workspace;
    if (!ws) {
        ws = mem = malloc(sb_attention_plan_workspace(d));
        if (!mem)
            return SB_ENOMEM;
    }
    p.parts = (float *)(((uintptr_t)ws + 63) & ~(uintptr_t)63);
    sb_pool_parallel_for(p.n_tiles * p.splits, threads, run_split, &c);
    sb_pool_parallel_for(p.n_tiles, threads, run_merge, &c);
    free(mem);
    return SB_OK;
}
