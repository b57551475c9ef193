#include "check/attention_problem.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sinkbench/convert.h"

sb_attention_spec sb_attention_spec_default(size_t H, size_t Hkv, size_t d, size_t n, size_t nq)
{
    sb_attention_spec s;
    memset(&s, 0, sizeof s);
    s.H = H;
    s.Hkv = Hkv;
    s.d = d;
    s.n = n;
    s.nq = nq;
    s.q_scale = 1.0;
    s.splits = 1;
    s.threads = 1;
    return s;
}

/* Allocates count elements of size bytes, filled with NaN (float NaN or the 16-bit NaN). */
static void *alloc_nan(size_t count, size_t size)
{
    void *p = malloc(count > 0 ? count * size : 1);
    if (!p)
        return NULL;
    for (size_t i = 0; i < count; i++) {
        if (size == 4) {
            float f = NAN;
            memcpy((char *)p + i * 4, &f, 4);
        } else {
            uint16_t h = 0x7e00; /* a quiet NaN in f16 and (as 0x7e00 << 16) in bf16 */
            memcpy((char *)p + i * 2, &h, 2);
        }
    }
    return p;
}

static uint16_t to16(sb_kv_type t, float f)
{
    return t == SB_KV_F16 ? sb_f32_to_f16(f) : sb_f32_to_bf16(f);
}

void sb_attention_store_kv(const sb_attention_desc *d, void *base, size_t idx, float f)
{
    if (d->kv_type == SB_KV_F32)
        ((float *)base)[idx] = f;
    else
        ((uint16_t *)base)[idx] = to16(d->kv_type, f);
}

float sb_attention_load_kv(const sb_attention_desc *d, const void *base, size_t idx)
{
    if (d->kv_type == SB_KV_F32)
        return ((const float *)base)[idx];
    uint16_t h = ((const uint16_t *)base)[idx];
    return d->kv_type == SB_KV_F16 ? sb_f16_to_f32(h) : sb_bf16_to_f32(h);
}

size_t sb_attention_span(size_t n1, size_t s1, size_t n2, size_t s2, size_t len)
{
    return (n1 ? n1 - 1 : 0) * s1 + (n2 ? n2 - 1 : 0) * s2 + len;
}

void sb_attention_problem_free(sb_attention_problem *p)
{
    for (int i = 0; i < 6; i++)
        free(p->mem[i]);
    memset(p, 0, sizeof *p);
}

/* Builds the problem; 0 when memory runs out. */
int sb_attention_problem_build(sb_attention_problem *p, const sb_attention_spec *s, sb_rng *rng)
{
    memset(p, 0, sizeof *p);
    p->spec = *s;
    sb_attention_desc *d = &p->d;
    sb_attention_desc_init(d, s->H, s->Hkv, s->d, s->n, s->nq);
    d->kv_type = s->kv;
    size_t es = s->kv == SB_KV_F32 ? 4 : 2, hd = s->d, pad = s->pad, mis = s->misalign;
    d->q_stride_head = hd + pad;
    d->q_stride_token = s->H * (hd + pad) + pad;
    d->out_stride_head = hd + pad;
    d->out_stride_token = s->H * (hd + pad) + pad;
    if (s->token_major_kv) {
        d->k_stride_head = hd + pad;
        d->k_stride_token = s->Hkv * (hd + pad) + pad;
    } else {
        d->k_stride_token = hd + pad;
        d->k_stride_head = s->n * (hd + pad) + pad;
    }
    d->v_stride_head = d->k_stride_head;
    d->v_stride_token = d->k_stride_token;
    d->flags = s->causal ? SB_ATTENTION_CAUSAL : 0;
    d->window = s->window;
    d->sink_tokens = s->sink_tokens;
    d->n_splits = s->splits;
    d->n_threads = s->threads;

    size_t nq = s->nq ? s->nq : 1, n = s->n ? s->n : 1;
    size_t qspan = sb_attention_span(nq, d->q_stride_token, s->H, d->q_stride_head, hd) + mis;
    size_t kvspan = sb_attention_span(s->Hkv, d->k_stride_head, n, d->k_stride_token, hd) + mis;
    size_t ospan = sb_attention_span(nq, d->out_stride_token, s->H, d->out_stride_head, hd) + mis;
    float *q = alloc_nan(qspan, 4), *out = alloc_nan(ospan, 4);
    void *k = alloc_nan(kvspan, es), *v = alloc_nan(kvspan, es);
    p->mem[0] = q;
    p->mem[1] = k;
    p->mem[2] = v;
    p->mem[3] = out;
    if (!q || !k || !v || !out)
        return 0;
    d->q = q + mis;
    d->out = out + mis;
    d->k = (char *)k + mis * es;
    d->v = (char *)v + mis * es;

    for (size_t i = 0; i < s->nq; i++)
        for (size_t h = 0; h < s->H; h++)
            for (size_t c = 0; c < hd; c++)
                q[mis + i * d->q_stride_token + h * d->q_stride_head + c] = (float)(s->q_scale * sb_rng_normal(rng));
    for (size_t g = 0; g < s->Hkv; g++)
        for (size_t j = 0; j < s->n; j++)
            for (size_t c = 0; c < hd; c++) {
                size_t idx = mis + g * d->k_stride_head + j * d->k_stride_token + c;
                sb_attention_store_kv(d, k, idx, (float)sb_rng_normal(rng));
                sb_attention_store_kv(d, v, idx, (float)sb_rng_normal(rng));
            }

    if (s->mask || s->mask_neg_inf > 0 || s->token_gap > 0) {
        d->mask_stride = s->n + pad;
        float *m = alloc_nan(sb_attention_span(nq, d->mask_stride, 1, 0, n) + mis, 4);
        if (!(p->mem[4] = m))
            return 0;
        d->mask = m + mis;
        for (size_t i = 0; i < s->nq; i++)
            for (size_t j = 0; j < s->n; j++) {
                float x = s->mask ? (float)sb_rng_normal(rng) : 0.0f;
                if (sb_rng_uniform(rng) < s->mask_neg_inf)
                    x = -INFINITY;
                m[mis + i * d->mask_stride + j] = x;
            }
        if (s->token_gap > 0 && s->n > 0) {
            size_t j = s->token_last ? s->n - 1 : 0;
            for (size_t i = 0; i < s->nq; i++)
                m[mis + i * d->mask_stride + j] = (float)s->token_gap;
        }
    }
    d->sink = s->sink;
    if (s->sink == SB_ATTENTION_SINK_LOGITS) {
        float *sk = alloc_nan(s->H + mis, 4);
        if (!(p->mem[5] = sk))
            return 0;
        d->sink_logits = sk + mis;
        /* scores are about N(0, q_scale^2); their maximum over n keys about q_scale sqrt(2 ln n) */
        double top = s->q_scale * sqrt(2.0 * log((double)s->n + 1.0));
        for (size_t h = 0; h < s->H; h++)
            sk[mis + h] = (float)(top + s->sink_gap + 0.5 * sb_rng_normal(rng));
    }
    return 1;
}

/* sb_attention_problem_build plus the reference's expected values; 0 (everything freed) when memory runs out. */
int sb_attention_problem_build_expected(sb_attention_problem *p, const sb_attention_spec *s, sb_rng *rng, sb_attention_expected *e)
{
    if (sb_attention_problem_build(p, s, rng) && sb_attention_expected_init(&p->d, e))
        return 1;
    sb_attention_problem_free(p);
    return 0;
}

