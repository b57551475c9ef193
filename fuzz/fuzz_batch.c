#include "fuzz_batch.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check/rng.h"
#include "fuzz_input.h"
#include "sinkbench/convert.h"

static void decode_header(sb_fuzz_reader *r, sb_fuzz_batch_header *h)
{
    h->kernel = sb_fuzz_take_u8(r);
    h->flags = sb_fuzz_take_u8(r);
    h->rows = sb_fuzz_take_u8(r);
    h->mask = sb_fuzz_take_u8(r);
    h->n = sb_fuzz_take_u16(r);
    h->x_pad = sb_fuzz_take_u8(r);
    h->y_pad = sb_fuzz_take_u8(r);
    h->misalign = sb_fuzz_take_u8(r);
    h->mask_rows = sb_fuzz_take_u8(r);
    h->rows_per_mask_row = sb_fuzz_take_u8(r);
    h->mask_pad = sb_fuzz_take_u8(r);
    h->sink = sb_fuzz_take_u8(r);
    h->n_heads = sb_fuzz_take_u8(r);
    h->rows_per_head = sb_fuzz_take_u8(r);
    h->threads = sb_fuzz_take_u8(r);
    h->scale = sb_fuzz_take_f32(r);
    h->sink_gap = sb_fuzz_take_f32(r);
    h->mask_seed = (uint32_t)sb_fuzz_take_u16(r) | (uint32_t)sb_fuzz_take_u16(r) << 16;
    h->reserved = (uint32_t)sb_fuzz_take_u16(r) | (uint32_t)sb_fuzz_take_u16(r) << 16;
}

size_t sb_fuzz_batch_encode(const sb_fuzz_batch_header *h, const float *raw, size_t count, uint8_t *out, size_t cap)
{
    if (cap < SB_FUZZ_BATCH_HEADER_SIZE + 4 * count)
        return 0;
    uint8_t *p = out;
    const uint8_t bytes[] = {h->kernel, h->flags, h->rows, h->mask};
    for (size_t i = 0; i < sizeof bytes; i++)
        sb_fuzz_put_le(&p, bytes[i], 1);
    sb_fuzz_put_le(&p, h->n, 2);
    const uint8_t more[] = {h->x_pad, h->y_pad, h->misalign, h->mask_rows, h->rows_per_mask_row, h->mask_pad,
                            h->sink, h->n_heads, h->rows_per_head, h->threads};
    for (size_t i = 0; i < sizeof more; i++)
        sb_fuzz_put_le(&p, more[i], 1);
    sb_fuzz_put_f32(&p, h->scale);
    sb_fuzz_put_f32(&p, h->sink_gap);
    sb_fuzz_put_le(&p, h->mask_seed, 4);
    sb_fuzz_put_le(&p, h->reserved, 4);
    for (size_t i = 0; i < count; i++)
        sb_fuzz_put_f32(&p, raw[i]);
    return (size_t)(p - out);
}

static void *alloc_or_null(size_t count, size_t elem) { return malloc((count ? count : 1) * elem); }

int sb_fuzz_batch_decode(const uint8_t *data, size_t size, sb_fuzz_batch *b)
{
    memset(b, 0, sizeof *b);
    sb_fuzz_reader r = {data, size};
    sb_fuzz_batch_header *h = &b->h;
    decode_header(&r, h);
    int longrows = (h->flags & SB_FUZZ_BATCH_LONG) != 0;
    size_t rows = longrows ? 1 + h->rows % 2u : 1 + h->rows % 12u;
    size_t n = longrows ? 131072u + h->n : h->n % 301u;
    sb_batch_problem *p = &b->p;
    sb_softmax_batch_desc *d = &p->d;
    sb_softmax_batch_desc_init(d, rows, n);
    int broadcast = (h->flags & SB_FUZZ_BATCH_BROADCAST) != 0;
    d->x_stride = broadcast ? 0 : n + h->x_pad % 8u;
    d->y_stride = n + h->y_pad % 8u;
    d->scale = h->scale == 0.0f ? 1.0f : h->scale;
    b->valid = isfinite(d->scale);
    b->threads = 1 + h->threads % 4u;
    d->n_threads = b->threads;
    p->misalign = h->misalign % 16u;
    p->in_place = (h->flags & SB_FUZZ_BATCH_IN_PLACE) && !broadcast;
    p->x_span = sb_batch_span(rows, d->x_stride, n);
    p->y_span = sb_batch_span(rows, d->y_stride, n);

    /* the raw floats: sinks first, then the mask, then the logits, each cycled from where it starts */
    size_t raw = r.left / 4;
    float *vals = alloc_or_null(raw, sizeof *vals);
    if (!vals)
        return 0;
    sb_fuzz_take_floats(&r, vals, raw);
    size_t at = 0;

    d->sink = (sb_softmax_batch_sink)(h->sink % 3u);
    if (d->sink == SB_SOFTMAX_BATCH_SINK_LOGITS) {
        d->n_heads = 1 + h->n_heads % 8u;
        d->rows_per_head = 1 + h->rows_per_head % 5u;
        p->sinks = alloc_or_null(d->n_heads, sizeof(float));
        if (!p->sinks)
            goto oom;
        for (size_t k = 0; k < d->n_heads; k++) {
            if ((h->flags & SB_FUZZ_BATCH_RAW_SINKS) && raw)
                p->sinks[k] = vals[(at + k) % raw];
            else
                p->sinks[k] = (float)((double)h->sink_gap * (double)(k + 1) / (double)d->n_heads);
        }
        if (h->flags & SB_FUZZ_BATCH_RAW_SINKS)
            at += d->n_heads;
        d->sink_logits = p->sinks;
    }

    d->mask_type = (sb_softmax_mask_type)(h->mask % 3u);
    if (d->mask_type != SB_SOFTMAX_MASK_NONE) {
        d->mask_rows = 1 + h->mask_rows % 6u;
        d->rows_per_mask_row = 1 + h->rows_per_mask_row % 4u;
        d->mask_stride = n + h->mask_pad % 4u;
        size_t used = (rows - 1) / d->rows_per_mask_row + 1;
        used = used < d->mask_rows ? used : d->mask_rows;
        size_t span = sb_batch_span(used, d->mask_stride, n);
        int f16 = d->mask_type == SB_SOFTMAX_MASK_F16;
        p->mask = alloc_or_null(span, f16 ? sizeof(uint16_t) : sizeof(float));
        if (!p->mask)
            goto oom;
        sb_rng g;
        sb_rng_seed(&g, h->mask_seed);
        unsigned fill = (h->mask / 3u) % 3u;
        int use_raw = (h->flags & SB_FUZZ_BATCH_RAW_MASK) && raw;
        for (size_t i = 0; i < span; i++) {
            size_t k = i / d->mask_stride, j = i % d->mask_stride;
            float v;
            if (j >= n)
                v = NAN; /* padding: a kernel reading it gives NaN */
            else if (use_raw)
                v = vals[(at + i) % raw];
            else if (fill == 1)
                v = j + d->mask_rows <= k + n ? 0.0f : -INFINITY;
            else if (fill == 2)
                v = -INFINITY;
            else
                v = sb_rng_uniform(&g) < 0.25 ? -INFINITY : (float)(8.0 * sb_rng_uniform(&g) - 4.0);
            if (f16)
                ((uint16_t *)p->mask)[i] = sb_f32_to_f16(v);
            else
                ((float *)p->mask)[i] = v;
        }
        if (use_raw)
            at += span;
        d->mask = p->mask;
    }

    p->x = alloc_or_null(p->x_span + p->misalign, sizeof(float));
    if (!p->x)
        goto oom;
    for (size_t i = 0; i < p->x_span + p->misalign; i++)
        p->x[i] = NAN;
    d->x = p->x + p->misalign;
    size_t xr = broadcast ? 1 : rows, left = raw > at ? raw - at : 0, k = 0;
    for (size_t row = 0; row < xr && n; row++)
        for (size_t j = 0; j < n; j++, k++)
            p->x[p->misalign + row * d->x_stride + j] = left ? vals[at + k % left] : (float)(j % 7) - 3.0f;
    free(vals);
    return 1;
oom:
    free(vals);
    sb_batch_problem_free(p);
    return 0;
}

void sb_fuzz_batch_free(sb_fuzz_batch *b) { sb_batch_problem_free(&b->p); }

void sb_fuzz_batch_describe(const sb_fuzz_batch *b, FILE *f)
{
    static const char *const masks[] = {"none", "f32", "f16"}, *const sinks[] = {"none", "logits", "softmax1"};
    const sb_softmax_batch_desc *d = &b->p.d;
    fprintf(f, "  batch: %zu rows x %zu, x_stride %zu, y_stride %zu, misalign %zu, scale %a, mask %s (%zu rows, %zu "
               "each, stride %zu, fill %u%s), sink %s (%zu heads, %zu rows each), %zu threads%s\n",
            d->rows, d->n, d->x_stride, d->y_stride, b->p.misalign, (double)d->scale, masks[d->mask_type % 3],
            d->mask_rows, d->rows_per_mask_row, d->mask_stride, (b->h.mask / 3u) % 3u,
            b->h.flags & SB_FUZZ_BATCH_RAW_MASK ? ", raw" : "", sinks[d->sink % 3], d->n_heads, d->rows_per_head,
            b->threads, b->p.in_place ? ", in place too" : "");
    if (d->sink == SB_SOFTMAX_BATCH_SINK_LOGITS)
        for (size_t k = 0; k < d->n_heads; k++)
            fprintf(f, "  sink[%zu] = %a\n", k, (double)d->sink_logits[k]);
}
