/* The batched softmax's descriptor (include/sinkbench/softmax_batch.h): dense defaults, the one
 * validation every batched kernel runs first, the one definition of a row's scaled and masked
 * logits (the public entry point sb_softmax_batch is in softmax_api.c, beside sb_softmax_f32: it
 * depends on dispatch, which the kernels calling the check must not). Nothing here reads the data
 * except sb_softmax_batch_row. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "sinkbench/convert.h"
#include "sinkbench/softmax_batch.h"

void sb_softmax_batch_desc_init(sb_softmax_batch_desc *d, size_t rows, size_t n)
{
    memset(d, 0, sizeof *d);
    d->rows = rows;
    d->n = n;
    d->x_stride = d->y_stride = n;
    d->scale = 1.0f;
    d->mask_type = SB_SOFTMAX_MASK_NONE;
    d->mask_stride = n;
    d->mask_rows = d->rows_per_mask_row = 1;
    d->sink = SB_SOFTMAX_BATCH_SINK_NONE;
    d->n_heads = d->rows_per_head = 1;
    d->n_threads = 1;
}

typedef struct span {
    uintptr_t lo, hi;
} span;

/* The bytes of `count` rows of n elements of `size` bytes, `stride` elements apart, from p: 0 on
 * overflow or past the address space (callers ask for count >= 1 and n >= 1). Overflow builtins
 * instead of divisions: this runs on every call, and the batched call of one short row is meant to
 * cost little more than the row. */
static int make_span(span *s, const void *p, size_t count, size_t stride, size_t n, size_t size)
{
    size_t last, bytes;
    if (__builtin_mul_overflow(count - 1, stride, &last) || __builtin_add_overflow(last, n, &last) ||
        __builtin_mul_overflow(last, size, &bytes))
        return 0;
    s->lo = (uintptr_t)p;
    s->hi = s->lo + bytes;
    return s->hi > s->lo;
}

static int overlap(span a, span b) { return a.lo < b.hi && b.lo < a.hi; }

/* Groups of `per` consecutive rows among `rows`, at most `cycle` distinct: the rows of a mask or
 * sink array the call reads. */
static size_t used(size_t rows, size_t per, size_t cycle)
{
    size_t groups = rows == 1 ? 1 : (rows - 1) / per + 1;
    return groups < cycle ? groups : cycle;
}

sb_status sb_softmax_batch_check(const sb_softmax_batch_desc *d)
{
    if (!d || d->rows > SB_SOFTMAX_BATCH_MAX_ROWS || d->n > SB_SOFTMAX_MAX_N ||
        d->n_threads > SB_SOFTMAX_BATCH_MAX_THREADS || !isfinite(d->scale))
        return SB_EINVAL;
    if (d->mask_type != SB_SOFTMAX_MASK_NONE && d->mask_type != SB_SOFTMAX_MASK_F32 &&
        d->mask_type != SB_SOFTMAX_MASK_F16)
        return SB_EINVAL;
    if (d->sink != SB_SOFTMAX_BATCH_SINK_NONE && d->sink != SB_SOFTMAX_BATCH_SINK_LOGITS &&
        d->sink != SB_SOFTMAX_BATCH_SINK_SOFTMAX1)
        return SB_EINVAL;
    int masked = d->mask_type != SB_SOFTMAX_MASK_NONE, sinks = d->sink == SB_SOFTMAX_BATCH_SINK_LOGITS;
    if (masked && (d->mask_rows == 0 || d->rows_per_mask_row == 0))
        return SB_EINVAL;
    if (sinks && (d->n_heads == 0 || d->rows_per_head == 0))
        return SB_EINVAL;
    if (d->rows == 0 || d->n == 0)
        return SB_OK;

    span x, y, m, s;
    if (!d->x || !d->y || (uintptr_t)d->x % sizeof(float) || (uintptr_t)d->y % sizeof(float) ||
        !make_span(&x, d->x, d->rows, d->x_stride, d->n, sizeof(float)) ||
        !make_span(&y, d->y, d->rows, d->y_stride, d->n, sizeof(float)))
        return SB_EINVAL;
    if (d->rows > 1 && d->y_stride < d->n)
        return SB_EINVAL; /* output rows overlap each other */
    int in_place = d->x == d->y && d->x_stride == d->y_stride;
    if (!in_place && overlap(x, y))
        return SB_EINVAL;
    if (masked) {
        size_t es = d->mask_type == SB_SOFTMAX_MASK_F16 ? sizeof(uint16_t) : sizeof(float);
        if (!d->mask || (uintptr_t)d->mask % es ||
            !make_span(&m, d->mask, used(d->rows, d->rows_per_mask_row, d->mask_rows), d->mask_stride, d->n, es) ||
            overlap(m, y))
            return SB_EINVAL;
    }
    if (sinks) {
        if (!d->sink_logits || (uintptr_t)d->sink_logits % sizeof(float) ||
            !make_span(&s, d->sink_logits, 1, 0, used(d->rows, d->rows_per_head, d->n_heads), sizeof(float)) ||
            overlap(s, y))
            return SB_EINVAL;
    }
    return SB_OK;
}

void sb_softmax_batch_row(const sb_softmax_batch_desc *d, size_t r, float *t, sb_softmax_params *params)
{
    const float *x = d->x + r * d->x_stride;
    const float scale = d->scale;
    const size_t mrow = (r / (d->rows_per_mask_row ? d->rows_per_mask_row : 1)) % (d->mask_rows ? d->mask_rows : 1);
    /* volatile: the product is rounded to binary32 before the mask is added, even where the compiler
     * would contract the two into a fused multiply-add */
    for (size_t j = 0; j < d->n; j++) {
        volatile float v = scale == 1.0f ? x[j] : scale * x[j];
        float a = 0.0f;
        if (d->mask_type == SB_SOFTMAX_MASK_F32)
            a = ((const float *)d->mask)[mrow * d->mask_stride + j];
        else if (d->mask_type == SB_SOFTMAX_MASK_F16)
            a = sb_f16_to_f32(((const uint16_t *)d->mask)[mrow * d->mask_stride + j]);
        t[j] = d->mask_type == SB_SOFTMAX_MASK_NONE ? v : v + a;
    }
    params->sink = SB_SINK_NONE;
    params->sink_logit = 0.0f;
    if (d->sink == SB_SOFTMAX_BATCH_SINK_SOFTMAX1) {
        params->sink = SB_SINK_LOGIT;
    } else if (d->sink == SB_SOFTMAX_BATCH_SINK_LOGITS) {
        params->sink = SB_SINK_LOGIT;
        params->sink_logit = d->sink_logits[(r / d->rows_per_head) % d->n_heads];
    }
}
