#include "check/batch_problem.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check/rng.h"
#include "sinkbench/convert.h"

size_t sb_batch_span(size_t rows, size_t stride, size_t n)
{
    return rows == 0 || n == 0 ? 0 : (rows - 1) * stride + n;
}

static void *alloc_floats(size_t count, size_t elem)
{
    return malloc((count ? count : 1) * elem);
}

static uint64_t row_seed(uint64_t seed, size_t r)
{
    uint64_t s = seed ^ (0x2545f4914f6cdd1dull * (r + 1));
    return sb_splitmix64(&s);
}

static float mask_value(sb_batch_mask_fill fill, size_t k, size_t j, size_t n, size_t mask_rows, sb_rng *rng)
{
    switch (fill) {
    case SB_BATCH_MASK_CAUSAL:
        return j + mask_rows <= k + n ? 0.0f : -INFINITY;
    case SB_BATCH_MASK_ALL:
        return -INFINITY;
    default:
        return sb_rng_uniform(rng) < 0.2 ? -INFINITY : (float)(4.0 * sb_rng_uniform(rng) - 2.0);
    }
}

sb_status sb_batch_problem_make(const sb_batch_spec *s, uint64_t seed, sb_batch_problem *p)
{
    memset(p, 0, sizeof *p);
    sb_softmax_batch_desc *d = &p->d;
    sb_softmax_batch_desc_init(d, s->rows, s->n);
    size_t n = s->n, mis = s->misalign % 16;
    d->x_stride = s->x_broadcast ? 0 : n + s->x_pad;
    d->y_stride = n + s->y_pad;
    d->scale = s->scale != 0.0f ? s->scale : 1.0f;
    d->n_threads = s->threads;
    p->misalign = mis;
    p->in_place = s->in_place && !s->x_broadcast;
    p->x_span = sb_batch_span(s->rows, d->x_stride, n);
    p->y_span = sb_batch_span(s->rows, d->y_stride, n);
    sb_rng rng;
    sb_rng_seed(&rng, seed);

    /* logits: rowgen's rows, NaN between them */
    p->x = alloc_floats(p->x_span + mis, sizeof(float));
    if (!p->x)
        return SB_ENOMEM;
    for (size_t i = 0; i < p->x_span + mis; i++)
        p->x[i] = NAN;
    d->x = p->x + mis;
    size_t x_rows = s->x_broadcast ? (s->rows ? 1 : 0) : s->rows;
    for (size_t r = 0; r < x_rows && n; r++) {
        sb_row_spec rs = s->row;
        rs.n = n;
        if (rs.place == SB_PLACE_LEARNED || rs.place == SB_PLACE_SOFTMAX1)
            rs.place = SB_PLACE_NONE;
        if (s->edge_every > 0 && r % (size_t)s->edge_every != 1)
            rs.edge = SB_EDGE_NONE;
        sb_softmax_params ignored;
        sb_row_generate(&rs, row_seed(seed, r), (float *)d->x + r * d->x_stride, &ignored);
    }

    /* mask */
    d->mask_type = s->mask_type;
    if (s->mask_type != SB_SOFTMAX_MASK_NONE) {
        d->mask_rows = s->mask_rows ? s->mask_rows : 1;
        d->rows_per_mask_row = s->rows_per_mask_row ? s->rows_per_mask_row : 1;
        d->mask_stride = n + s->mask_pad;
        size_t used = s->rows ? (s->rows - 1) / d->rows_per_mask_row + 1 : 0;
        used = used < d->mask_rows ? used : d->mask_rows;
        size_t span = sb_batch_span(used, d->mask_stride, n);
        int f16 = s->mask_type == SB_SOFTMAX_MASK_F16;
        p->mask = alloc_floats(span, f16 ? sizeof(uint16_t) : sizeof(float));
        if (!p->mask) {
            sb_batch_problem_free(p);
            return SB_ENOMEM;
        }
        for (size_t i = 0; i < span; i++) {
            size_t k = i / d->mask_stride, j = i % d->mask_stride;
            float v = j < n ? mask_value(s->mask_fill, k, j, n, d->mask_rows, &rng) : NAN;
            if (f16)
                ((uint16_t *)p->mask)[i] = sb_f32_to_f16(v);
            else
                ((float *)p->mask)[i] = v;
        }
        d->mask = p->mask;
    }

    /* sinks */
    d->sink = s->sink;
    if (s->sink == SB_SOFTMAX_BATCH_SINK_LOGITS) {
        d->n_heads = s->n_heads ? s->n_heads : 1;
        d->rows_per_head = s->rows_per_head ? s->rows_per_head : 1;
        p->sinks = alloc_floats(d->n_heads, sizeof(float));
        if (!p->sinks) {
            sb_batch_problem_free(p);
            return SB_ENOMEM;
        }
        for (size_t h = 0; h < d->n_heads; h++)
            p->sinks[h] = (float)(s->row.offset + s->sink_gap * (double)(h + 1) / (double)d->n_heads);
        static const float edge[] = {0.0f, NAN, INFINITY, -INFINITY};
        if (s->sink_edge > 0 && s->sink_edge < 4)
            p->sinks[0] = edge[s->sink_edge];
        d->sink_logits = p->sinks;
    }
    /* y is the checker's; a stand-in that validates like a distinct buffer would */
    d->y = NULL;
    return SB_OK;
}

void sb_batch_problem_free(sb_batch_problem *p)
{
    free(p->x);
    free(p->mask);
    free(p->sinks);
    memset(p, 0, sizeof *p);
}

void sb_batch_spec_describe(const sb_batch_spec *s, char *buf, size_t size)
{
    static const char *const masks[] = {"none", "f32", "f16"};
    static const char *const fills[] = {"random", "causal", "all"};
    static const char *const sinks[] = {"none", "logits", "softmax1"};
    snprintf(buf, size,
             "%zu x %zu, pads x %zu y %zu%s, misalign %zu, scale %g, mask %s/%s (%zu rows, %zu each, pad %zu), "
             "sink %s (%zu heads, %zu rows each, gap %g, edge %d), rows: gap %g tail %s place %s edge %s "
             "(every %d) offset %g, %zu threads%s",
             s->rows, s->n, s->x_pad, s->y_pad, s->x_broadcast ? " (x broadcast)" : "", s->misalign,
             (double)(s->scale != 0.0f ? s->scale : 1.0f), masks[(unsigned)s->mask_type % 3],
             fills[(unsigned)s->mask_fill % 3], s->mask_rows, s->rows_per_mask_row, s->mask_pad,
             sinks[(unsigned)s->sink % 3], s->n_heads, s->rows_per_head, s->sink_gap, s->sink_edge, s->row.gap,
             sb_tail_name(s->row.tail), sb_place_name(s->row.place), sb_edge_name(s->row.edge), s->edge_every,
             s->row.offset, s->threads, s->in_place ? ", in place too" : "");
}
