/* The attention descriptor: dense defaults and the one validation every kernel runs first. Nothing
 * here reads the data; every rule is about shapes, strides, pointers and sizes. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "attention/attention_internal.h"

void sb_attention_desc_init(sb_attention_desc *d, size_t n_heads, size_t n_kv_heads, size_t head_dim,
                            size_t n_keys, size_t n_queries)
{
    memset(d, 0, sizeof *d);
    d->n_heads = n_heads;
    d->n_kv_heads = n_kv_heads;
    d->head_dim = head_dim;
    d->n_keys = n_keys;
    d->n_queries = n_queries;
    d->q_stride_head = head_dim;
    d->q_stride_token = n_heads * head_dim;
    d->out_stride_head = head_dim;
    d->out_stride_token = n_heads * head_dim;
    d->kv_type = SB_KV_F32;
    d->k_stride_token = d->v_stride_token = head_dim;
    d->k_stride_head = d->v_stride_head = n_keys * head_dim;
    d->scale = head_dim ? (float)(1.0 / sqrt((double)head_dim)) : 1.0f;
    d->sink = SB_ATTENTION_SINK_NONE;
    d->n_splits = 1;
    d->n_threads = 1;
}

/* a * b + c without wrapping; 0 on overflow. */
static int mul_add(size_t a, size_t b, size_t c, size_t *r)
{
    if (a && b > (SIZE_MAX - c) / a)
        return 0;
    *r = a * b + c;
    return 1;
}

/* Bytes spanned by rows [0, n1) x [0, n2) of `len` elements of `size` bytes with strides s1, s2.
 * 0 on overflow (callers only ask for non-empty spans). */
static size_t span_bytes(size_t n1, size_t s1, size_t n2, size_t s2, size_t len, size_t size)
{
    size_t a, b, e;
    if (!mul_add(n1 - 1, s1, 0, &a) || !mul_add(n2 - 1, s2, a, &b) || b > SIZE_MAX - len ||
        !mul_add(b + len, size, 0, &e))
        return 0;
    return e;
}

static int overlaps(sb_attention_span a, sb_attention_span b) { return a.lo < b.hi && b.lo < a.hi; }

/* Output rows must be pairwise disjoint: the nested-layout condition stated in attention.h. */
static int rows_disjoint(size_t n1, size_t s1, size_t n2, size_t s2, size_t len)
{
    if (n1 <= 1 && n2 <= 1)
        return 1;
    if (n1 <= 1 || n2 <= 1) {
        size_t s = n1 > 1 ? s1 : s2;
        return s >= len;
    }
    size_t small = s1, nsmall = n1, big = s2;
    if (s2 < s1) {
        small = s2;
        nsmall = n2;
        big = s1;
    }
    size_t need;
    return small >= len && mul_add(nsmall, small, 0, &need) && big >= need;
}

static int aligned(const void *p, size_t a) { return ((uintptr_t)p % a) == 0; }

static int set_span(sb_attention_span *s, const void *p, size_t bytes)
{
    s->lo = (uintptr_t)p;
    s->hi = (uintptr_t)p + bytes;
    return bytes != 0 && s->hi > s->lo;
}

int sb_attention_spans(const sb_attention_desc *d, sb_attention_span sp[SB_ATTENTION_SPANS])
{
    size_t H = d->n_heads, Hkv = d->n_kv_heads, hd = d->head_dim, n = d->n_keys, nq = d->n_queries;
    size_t es = sb_kv_size(d->kv_type);
    for (int i = 0; i < SB_ATTENTION_SPANS; i++)
        sp[i].lo = sp[i].hi = 0;
    if (nq == 0)
        return 1;
    if (!d->q || !d->out || !aligned(d->q, sizeof(float)) || !aligned(d->out, sizeof(float)) ||
        !set_span(&sp[SB_ATTENTION_SPAN_Q], d->q,
                  span_bytes(nq, d->q_stride_token, H, d->q_stride_head, hd, sizeof(float))) ||
        !set_span(&sp[SB_ATTENTION_SPAN_OUT], d->out,
                  span_bytes(nq, d->out_stride_token, H, d->out_stride_head, hd, sizeof(float))))
        return 0;
    if (n > 0) {
        if (!d->k || !d->v || !aligned(d->k, es) || !aligned(d->v, es) ||
            !set_span(&sp[SB_ATTENTION_SPAN_K], d->k, span_bytes(Hkv, d->k_stride_head, n, d->k_stride_token, hd, es)) ||
            !set_span(&sp[SB_ATTENTION_SPAN_V], d->v, span_bytes(Hkv, d->v_stride_head, n, d->v_stride_token, hd, es)))
            return 0;
        if (d->mask && (!aligned(d->mask, sizeof(float)) ||
                        !set_span(&sp[SB_ATTENTION_SPAN_MASK], d->mask,
                                  span_bytes(nq, d->mask_stride, 1, 0, n, sizeof(float)))))
            return 0;
    }
    if (d->sink == SB_ATTENTION_SINK_LOGITS &&
        (!d->sink_logits || !aligned(d->sink_logits, sizeof(float)) ||
         !set_span(&sp[SB_ATTENTION_SPAN_SINKS], d->sink_logits, H * sizeof(float))))
        return 0;
    return 1;
}

sb_status sb_attention_validate(const sb_attention_desc *d, int *empty)
{
    *empty = 1;
    if (!d)
        return SB_EINVAL;
    size_t H = d->n_heads, Hkv = d->n_kv_heads, hd = d->head_dim, n = d->n_keys, nq = d->n_queries;
    if (H == 0 || H > SB_ATTENTION_MAX_HEADS || Hkv == 0 || H % Hkv != 0)
        return SB_EINVAL;
    if (hd == 0 || hd > SB_ATTENTION_MAX_HEAD_DIM || n > SB_ATTENTION_MAX_KEYS || nq > SB_ATTENTION_MAX_QUERIES)
        return SB_EINVAL;
    if (d->kv_type != SB_KV_F32 && d->kv_type != SB_KV_F16 && d->kv_type != SB_KV_BF16)
        return SB_EINVAL;
    if (d->sink != SB_ATTENTION_SINK_NONE && d->sink != SB_ATTENTION_SINK_LOGITS &&
        d->sink != SB_ATTENTION_SINK_SOFTMAX1)
        return SB_EINVAL;
    if ((d->flags & ~SB_ATTENTION_CAUSAL) != 0 || !isfinite(d->scale))
        return SB_EINVAL;
    if (d->n_splits > SB_ATTENTION_MAX_SPLITS || d->n_threads > SB_ATTENTION_MAX_THREADS)
        return SB_EINVAL;
    if (nq == 0)
        return SB_OK;

    sb_attention_span sp[SB_ATTENTION_SPANS];
    if (!sb_attention_spans(d, sp))
        return SB_EINVAL;
    if (!rows_disjoint(nq, d->out_stride_token, H, d->out_stride_head, hd))
        return SB_EINVAL;
    for (int i = 0; i < SB_ATTENTION_SPANS; i++)
        if (i != SB_ATTENTION_SPAN_OUT && overlaps(sp[SB_ATTENTION_SPAN_OUT], sp[i]))
            return SB_EINVAL;

    /* scratch */
    size_t ws = sb_attention_plan_workspace(d);
    if (ws == SIZE_MAX)
        return SB_EINVAL; /* too large to address */
    if (d->workspace && ws) {
        sb_attention_span w;
        if (d->workspace_size < ws || !set_span(&w, d->workspace, d->workspace_size))
            return SB_EINVAL;
        for (int i = 0; i < SB_ATTENTION_SPANS; i++)
            if (overlaps(w, sp[i]))
                return SB_EINVAL;
    }
    *empty = 0;
    return SB_OK;
}

sb_status sb_attention_check(const sb_attention_desc *d)
{
    int empty;
    return sb_attention_validate(d, &empty);
}

int sb_attention_key_visible(const sb_attention_desc *d, size_t i, size_t j)
{
    if (!d || i >= d->n_queries || j >= d->n_keys)
        return 0;
    const sb_attention_vis v = sb_attention_visible(d, sb_attention_pos(d, i));
    return sb_attention_vis_has(&v, j);
}

size_t sb_attention_workspace_size(const sb_attention_desc *d)
{
    int empty;
    if (sb_attention_validate(d, &empty) != SB_OK || empty)
        return 0;
    return sb_attention_plan_workspace(d);
}
