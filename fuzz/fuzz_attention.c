#include "fuzz_attention.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"

#define CANARY 0x7fc0ffeeu /* a NaN payload no kernel produces */

static const size_t dims[] = {8, 16, 24, 32, 48, 64, 72, 96, 128, 256, 7, 9, 63, 65, 100, 17};

void sb_fuzz_attn_decode_header(const uint8_t *data, size_t size, sb_fuzz_attn_header *h)
{
    sb_fuzz_reader r = {data, size};
    h->kernel = sb_fuzz_take_u8(&r);
    h->flags = sb_fuzz_take_u8(&r);
    h->heads = sb_fuzz_take_u8(&r);
    h->head_dim = sb_fuzz_take_u8(&r);
    h->keys = sb_fuzz_take_u16(&r);
    h->queries = sb_fuzz_take_u8(&r);
    h->layout = sb_fuzz_take_u8(&r);
    h->sink = sb_fuzz_take_u8(&r);
    h->mask_inf = sb_fuzz_take_u8(&r);
    h->window = sb_fuzz_take_u8(&r);
    h->sink_tokens = sb_fuzz_take_u8(&r);
    h->splits = sb_fuzz_take_u8(&r);
    h->threads = sb_fuzz_take_u8(&r);
    h->seed = sb_fuzz_take_u16(&r);
    h->q_scale = sb_fuzz_take_f32(&r);
    h->sink_logit = sb_fuzz_take_f32(&r);
    h->token_gap = sb_fuzz_take_f32(&r);
    h->scale = sb_fuzz_take_f32(&r);
}

static _Noreturn void out_of_memory(void)
{
    fprintf(stderr, "fuzz: out of memory\n");
    exit(3);
}

static size_t threads_of(uint8_t b)
{
#if defined(SB_FUZZ_NO_THREADS)
    (void)b;
    return 1; /* qemu-user (the aarch64 build's ctest) hangs in pthread_create (tests/test_attention_problem.h) */
#else
    return 1 + b % 4u;
#endif
}

/* The spec the header describes, with n cut so the problem stays within SB_FUZZ_ATTN_MAX_WORK. */
static sb_attention_spec spec_of(const sb_fuzz_attn_header *h, int split_merge)
{
    size_t hkv = 1 + h->heads % 4u, H = hkv * (1 + h->heads / 4u % 6u);
    size_t d = h->head_dim < 200 ? 1 + h->head_dim % 40u : dims[(h->head_dim - 200u) % 16u];
    size_t nq = h->queries < 128 ? 1 : 2 + h->queries % 19u;
    size_t n = h->keys % (SB_FUZZ_ATTN_MAX_KEYS + 1u), per_key = nq * H * d;
    if (n * per_key > SB_FUZZ_ATTN_MAX_WORK)
        n = SB_FUZZ_ATTN_MAX_WORK / per_key;
    sb_attention_spec s = sb_attention_spec_default(H, hkv, d, n, nq);
    s.kv = (sb_kv_type)((h->layout & 3u) % 3u); /* 3: f32 */
    s.pad = h->layout >> 2 & 3u;
    s.misalign = h->layout >> 4 & 7u;
    s.token_major_kv = h->layout >> 7;
    s.causal = (h->flags & SB_FUZZ_ATTN_CAUSAL) != 0;
    s.mask = (h->flags & SB_FUZZ_ATTN_MASK) != 0;
    s.mask_neg_inf = h->mask_inf / 255.0;
    s.token_gap = h->token_gap > 0.0f ? (double)h->token_gap : 0.0; /* +inf stays +inf: a +inf mask entry */
    s.token_last = (h->flags & SB_FUZZ_ATTN_TOKEN_LAST) != 0;
    s.window = h->window;
    s.sink_tokens = h->sink_tokens % 8u;
    s.sink = (sb_attention_sink)(h->sink % 3u);
    s.sink_gap = isfinite(h->sink_logit) ? (double)h->sink_logit : 0.0;
    s.q_scale = isfinite(h->q_scale) && h->q_scale != 0.0f ? (double)h->q_scale : 1.0;
    s.splits = split_merge ? 1 + h->splits % 64u : h->splits % 65u;
    s.threads = threads_of(h->threads);
    return s;
}

/* The patch's element: q, k, v, mask and sink logits in that order, logical elements only. */
static void apply_patch(sb_fuzz_attn *a, sb_fuzz_attn_patch pt)
{
    sb_attention_desc *d = &a->p.d;
    size_t H = d->n_heads, hd = d->head_dim, nq = d->n_queries, n = d->n_keys;
    size_t nqe = nq * H * hd, nke = d->n_kv_heads * n * hd, nm = d->mask ? nq * n : 0;
    size_t ns = d->sink == SB_ATTENTION_SINK_LOGITS ? H : 0, total = nqe + 2 * nke + nm + ns;
    if (total == 0)
        return;
    size_t w = pt.where % total;
    if (w < nqe) {
        size_t i = w / (H * hd), h = w / hd % H, c = w % hd;
        ((float *)d->q)[i * d->q_stride_token + h * d->q_stride_head + c] = pt.value;
        return;
    }
    w -= nqe;
    if (w < 2 * nke) {
        int is_v = w >= nke;
        w -= is_v ? nke : 0;
        size_t g = w / (n * hd), j = w / hd % n, c = w % hd;
        void *base = (void *)(is_v ? d->v : d->k);
        sb_attention_store_kv(d, base, g * d->k_stride_head + j * d->k_stride_token + c, pt.value);
        return;
    }
    w -= 2 * nke;
    if (w < nm) {
        size_t stride = d->mask_stride;
        ((float *)d->mask)[w / n * stride + w % n] = pt.value; /* stride 0: the shared row */
        return;
    }
    ((float *)d->sink_logits)[w - nm] = pt.value;
}

void sb_fuzz_attn_decode(const uint8_t *data, size_t size, int split_merge, sb_fuzz_attn *a)
{
    memset(a, 0, sizeof *a);
    sb_fuzz_attn_decode_header(data, size, &a->h);
    const sb_fuzz_attn_header *h = &a->h;
    sb_attention_spec s = spec_of(h, split_merge);
    sb_rng rng;
    sb_rng_seed(&rng, 0x5eed0000u + h->seed);
    if (!sb_attention_problem_build(&a->p, &s, &rng))
        out_of_memory();
    sb_attention_desc *d = &a->p.d;
    if ((h->flags & SB_FUZZ_ATTN_SCALE) && isfinite(h->scale))
        d->scale = h->scale;
    if (d->mask && (h->flags & SB_FUZZ_ATTN_MASK_BROADCAST))
        d->mask_stride = 0;
    if (d->mask && (h->flags & SB_FUZZ_ATTN_PLUS_INF_MASK))
        for (size_t i = 0; i < s.nq; i++)
            for (size_t j = 1; j < s.n; j += 2) {
                float *m = (float *)d->mask + i * (s.n + s.pad) + j;
                if (*m == -INFINITY)
                    *m = INFINITY;
            }
    if (d->sink == SB_ATTENTION_SINK_LOGITS && (h->flags & SB_FUZZ_ATTN_SINK_ABSOLUTE))
        for (size_t i = 0; i < s.H; i++)
            ((float *)d->sink_logits)[i] = h->sink_logit;

    sb_fuzz_reader r = {data, size};
    r.p += size < SB_FUZZ_ATTN_HEADER_SIZE ? size : SB_FUZZ_ATTN_HEADER_SIZE;
    r.left -= size < SB_FUZZ_ATTN_HEADER_SIZE ? size : SB_FUZZ_ATTN_HEADER_SIZE;
    while (r.left >= SB_FUZZ_ATTN_PATCH_SIZE && a->patches < SB_FUZZ_ATTN_MAX_PATCHES) {
        sb_fuzz_attn_patch pt;
        pt.where = sb_fuzz_take_u16(&r);
        pt.value = sb_fuzz_take_f32(&r);
        apply_patch(a, pt);
        a->patches++;
    }

    /* The output: exactly the descriptor's span, between guard canaries (sb_attention_problem_build's own buffer goes). */
    size_t mis = s.misalign;
    a->out_span = sb_attention_span(s.nq ? s.nq : 1, d->out_stride_token, s.H, d->out_stride_head, s.d) + mis;
    a->out_base = malloc((a->out_span + 2 * SB_FUZZ_ATTN_GUARD) * sizeof(float));
    if (!a->out_base)
        out_of_memory();
    free(a->p.mem[3]);
    a->p.mem[3] = NULL;
    d->out = a->out_base + SB_FUZZ_ATTN_GUARD + mis;
    float nan = NAN;
    for (size_t i = 0; i < a->out_span; i++)
        a->out_base[SB_FUZZ_ATTN_GUARD + i] = nan;
    sb_fuzz_attn_guards_arm(a);
    if (!sb_attention_expected_init(d, &a->e))
        out_of_memory();
}

void sb_fuzz_attn_free(sb_fuzz_attn *a)
{
    sb_attention_expected_free(&a->e);
    sb_attention_problem_free(&a->p);
    free(a->out_base);
    memset(a, 0, sizeof *a);
}

static float *guard_at(const sb_fuzz_attn *a, size_t g)
{
    return a->out_base + (g < SB_FUZZ_ATTN_GUARD ? g : a->out_span + g);
}

void sb_fuzz_attn_guards_arm(sb_fuzz_attn *a)
{
    uint32_t c = CANARY;
    for (size_t g = 0; g < 2 * SB_FUZZ_ATTN_GUARD; g++)
        memcpy(guard_at(a, g), &c, sizeof c);
}

int sb_fuzz_attn_guards_ok(const sb_fuzz_attn *a, size_t *where)
{
    for (size_t g = 0; g < 2 * SB_FUZZ_ATTN_GUARD; g++) {
        uint32_t u;
        memcpy(&u, guard_at(a, g), sizeof u);
        if (u != CANARY) {
            *where = g;
            return 0;
        }
    }
    return 1;
}

void sb_fuzz_attn_rows(const sb_attention_desc *d, float *dst)
{
    for (size_t i = 0; i < d->n_queries; i++)
        for (size_t h = 0; h < d->n_heads; h++)
            memcpy(dst + (i * d->n_heads + h) * d->head_dim, d->out + i * d->out_stride_token + h * d->out_stride_head,
                   d->head_dim * sizeof *dst);
}

void sb_fuzz_attn_describe(const sb_fuzz_attn *a, char *buf, size_t size)
{
    const sb_attention_spec *s = &a->p.spec;
    const sb_attention_desc *d = &a->p.d;
    static const char *const kv[] = {"f32", "f16", "bf16"}, *const sinks[] = {"none", "logits", "softmax1"};
    snprintf(buf, size,
             "problem: H=%zu H_kv=%zu d=%zu n=%zu n_q=%zu kv=%s%s pad=%zu misalign=%zu%s window=%zu sink_tokens=%zu "
             "mask=%s%s p(-inf)=%.3g%s token_gap=%g%s sink=%s(%s %g) q_scale=%g scale=%a splits=%zu threads=%zu "
             "seed=%u patches=%zu",
             s->H, s->Hkv, s->d, s->n, s->nq, kv[s->kv], s->token_major_kv ? " token-major" : "", s->pad, s->misalign,
             s->causal ? " causal" : "", s->window, s->sink_tokens, d->mask ? "yes" : "no",
             d->mask && d->mask_stride == 0 ? "(broadcast)" : "", s->mask_neg_inf,
             a->h.flags & SB_FUZZ_ATTN_PLUS_INF_MASK ? " +inf-on-odd" : "", s->token_gap,
             s->token_last ? "(last)" : "", sinks[s->sink],
             a->h.flags & SB_FUZZ_ATTN_SINK_ABSOLUTE ? "logit" : "gap", (double)a->h.sink_logit, s->q_scale,
             (double)d->scale, s->splits, s->threads, (unsigned)a->h.seed, a->patches);
}

_Noreturn void sb_fuzz_attn_violation(const sb_fuzz_attn *a, const char *kernel, const char *rule,
                                      const char *detail)
{
    char r[64], full[2048], what[768];
    size_t i = 0;
    for (; rule[i] && i + 1 < sizeof r; i++)
        r[i] = rule[i] == ' ' ? '-' : rule[i];
    r[i] = '\0';
    sb_fuzz_attn_describe(a, what, sizeof what);
    snprintf(full, sizeof full, "%s\n  %s", detail, what);
    sb_fuzz_violation(NULL, kernel, r, SIZE_MAX, full);
}

void sb_fuzz_attn_run_checked(const sb_fuzz_attn *a, const sb_attention_kernel *k, const sb_attention_desc *d,
                              const char *what)
{
    sb_attention_contract_result r;
    size_t where;
    int ok = sb_attention_contract_run(k, d, &a->e, &r);
    char detail[1024];
    if (!sb_fuzz_attn_guards_ok(a, &where)) {
        snprintf(detail, sizeof detail, "%s%s%s: wrote the guard float %s the output span (%zu floats %s it)", k->name,
                 *what ? " " : "", what, where < SB_FUZZ_ATTN_GUARD ? "before" : "after",
                 where < SB_FUZZ_ATTN_GUARD ? SB_FUZZ_ATTN_GUARD - where : where - SB_FUZZ_ATTN_GUARD + 1,
                 where < SB_FUZZ_ATTN_GUARD ? "before" : "past");
        sb_fuzz_attn_violation(a, k->name, "guard", detail);
    }
    if (!ok) {
        snprintf(detail, sizeof detail, "%s%s%s", *what ? what : "", *what ? ": " : "", r.message);
        sb_fuzz_attn_violation(a, k->name, r.rule ? r.rule : "contract", detail);
    }
}

size_t sb_fuzz_attn_encode(const sb_fuzz_attn_header *h, const sb_fuzz_attn_patch *patches, size_t count,
                           uint8_t *out, size_t cap)
{
    size_t len = SB_FUZZ_ATTN_HEADER_SIZE + count * SB_FUZZ_ATTN_PATCH_SIZE;
    if (cap < len)
        return 0;
    uint8_t *p = out;
    sb_fuzz_put_le(&p, h->kernel, 1);
    sb_fuzz_put_le(&p, h->flags, 1);
    sb_fuzz_put_le(&p, h->heads, 1);
    sb_fuzz_put_le(&p, h->head_dim, 1);
    sb_fuzz_put_le(&p, h->keys, 2);
    sb_fuzz_put_le(&p, h->queries, 1);
    sb_fuzz_put_le(&p, h->layout, 1);
    sb_fuzz_put_le(&p, h->sink, 1);
    sb_fuzz_put_le(&p, h->mask_inf, 1);
    sb_fuzz_put_le(&p, h->window, 1);
    sb_fuzz_put_le(&p, h->sink_tokens, 1);
    sb_fuzz_put_le(&p, h->splits, 1);
    sb_fuzz_put_le(&p, h->threads, 1);
    sb_fuzz_put_le(&p, h->seed, 2);
    sb_fuzz_put_f32(&p, h->q_scale);
    sb_fuzz_put_f32(&p, h->sink_logit);
    sb_fuzz_put_f32(&p, h->token_gap);
    sb_fuzz_put_f32(&p, h->scale);
    for (size_t i = 0; i < count; i++) {
        sb_fuzz_put_le(&p, patches[i].where, 2);
        sb_fuzz_put_f32(&p, patches[i].value);
    }
    return len;
}
