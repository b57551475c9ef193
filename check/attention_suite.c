#include "check/attention_suite.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sinkbench/cpu.h"

/* Values the generator does not draw, written into a built problem before the reference runs. */
typedef enum special {
    SPECIAL_NONE,
    SPECIAL_NAN_Q,       /* one component of one query */
    SPECIAL_NAN_K,       /* one component of a key every row of KV head 0 sees */
    SPECIAL_INF_V,       /* +inf in one value component */
    SPECIAL_POSINF_MASK, /* a +inf mask entry: that key takes the row's whole mass */
} special;

typedef struct suite_case {
    const char *label;
    size_t H, Hkv, d, n, nq;
    sb_kv_type kv;
    sb_attention_sink sink;
    double sink_gap, token_gap, mask_neg_inf, q_scale;
    int causal, mask, token_major, token_last;
    size_t window, sink_tokens, pad, misalign, splits, threads;
    special sp;
} suite_case;

#define F32 SB_KV_F32
#define F16 SB_KV_F16
#define BF16 SB_KV_BF16
#define NOSINK SB_ATTENTION_SINK_NONE
#define LEARNED SB_ATTENTION_SINK_LOGITS
#define SM1 SB_ATTENTION_SINK_SOFTMAX1

/* label, H, Hkv, d, n, nq, kv, sink, sink_gap, token_gap, mask_neg_inf, q_scale, causal, mask, token_major,
 * token_last, window, sink_tokens, pad, misalign, splits, threads, special */
static const suite_case quick_cases[] = {
    {"decode MHA d=64 f32", 4, 4, 64, 100, 1, F32, NOSINK, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, SPECIAL_NONE},
    {"decode GQA 8/2 d=128 f16, learned sink gap 0", 8, 2, 128, 300, 1, F16, LEARNED, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, SPECIAL_NONE},
    {"decode MQA 8/1 d=72 bf16, learned sink gap 15", 8, 1, 72, 333, 1, BF16, LEARNED, 15, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, SPECIAL_NONE},
    {"decode GQA 32/8 d=128 f32, learned sink gap 90", 32, 8, 128, 512, 1, F32, LEARNED, 90, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, SPECIAL_NONE},
    {"decode GQA 8/2 d=256 bf16, learned sink gap 120", 8, 2, 256, 300, 1, BF16, LEARNED, 120, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, SPECIAL_NONE},
    {"decode d=20 (scalar path) softmax_1", 4, 2, 20, 77, 1, F32, SM1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, SPECIAL_NONE},
    {"decode d=1 f16", 2, 1, 1, 50, 1, F16, NOSINK, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, SPECIAL_NONE},
    {"decode peaky scores (q x 8), padding, misaligned, token-major KV", 8, 2, 64, 257, 1, F32, LEARNED, 5, 0, 0, 8, 0, 0, 1, 0, 0, 0, 3, 1, 1, 1, SPECIAL_NONE},
    {"decode -inf padding mask (30 %)", 8, 2, 64, 500, 1, BF16, NOSINK, 0, 0, 0.3, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, SPECIAL_NONE},
    {"decode fully masked rows, learned sink", 4, 2, 64, 64, 1, F32, LEARNED, 0, 0, 1.0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, SPECIAL_NONE},
    {"decode fully masked rows, no sink (zeros)", 4, 2, 64, 64, 1, F16, NOSINK, 0, 0, 1.0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, SPECIAL_NONE},
    {"decode additive mask, sink token first (gap 20)", 8, 4, 128, 400, 1, F32, NOSINK, 0, 20, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 1, 1, SPECIAL_NONE},
    {"decode sink token last (gap 87)", 8, 4, 64, 400, 1, F16, NOSINK, 0, 87, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 1, 1, SPECIAL_NONE},
    {"decode sliding window 64 + 4 sink tokens", 8, 2, 64, 500, 1, F32, LEARNED, 10, 0, 0, 1, 1, 0, 0, 0, 64, 4, 0, 0, 1, 1, SPECIAL_NONE},
    {"split-KV 16 splits, learned sink gap 50", 8, 2, 128, 600, 1, F32, LEARNED, 50, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 16, 1, SPECIAL_NONE},
    {"split-KV 64 splits of 50 keys (empty chunks)", 8, 2, 64, 50, 1, BF16, SM1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 64, 1, SPECIAL_NONE},
    {"split-KV 8 splits, 60 % masked (masked chunks)", 8, 2, 64, 256, 1, F16, LEARNED, 0, 0, 0.6, 1, 0, 0, 0, 0, 0, 0, 0, 0, 8, 1, SPECIAL_NONE},
    {"split-KV 4 splits, 2 threads", 8, 2, 64, 777, 1, F32, LEARNED, 15, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 4, 2, SPECIAL_NONE},
    {"prefill causal 64 x 64, GQA 4/2, bf16", 4, 2, 64, 64, 64, BF16, NOSINK, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 1, 1, SPECIAL_NONE},
    {"prefill causal 48 queries on 130 keys, learned sink gap 15", 4, 1, 128, 130, 48, F32, LEARNED, 15, 0, 0, 1, 1, 0, 0, 0, 0, 0, 1, 2, 1, 1, SPECIAL_NONE},
    {"prefill causal window 32 + 2 sink tokens, softmax_1, 2 threads", 4, 2, 72, 100, 100, F16, SM1, 0, 0, 0, 1, 1, 0, 0, 0, 32, 2, 0, 0, 1, 2, SPECIAL_NONE},
    {"prefill additive mask and -inf (20 %)", 4, 4, 64, 80, 16, F32, NOSINK, 0, 0, 0.2, 1, 0, 1, 0, 0, 0, 0, 0, 0, 1, 1, SPECIAL_NONE},
    {"NaN in a query", 4, 2, 64, 100, 1, F32, LEARNED, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, SPECIAL_NAN_Q},
    {"NaN in a key", 4, 2, 64, 100, 1, F16, NOSINK, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 4, 1, SPECIAL_NAN_K},
    {"+inf in a value", 4, 2, 64, 100, 1, BF16, SM1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, SPECIAL_INF_V},
    {"+inf mask entry", 4, 2, 64, 100, 2, F32, LEARNED, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 1, 1, SPECIAL_POSINF_MASK},
    {"scores beyond binary32 (q x 1e19)", 4, 2, 64, 100, 1, F32, NOSINK, 0, 0, 0, 1e19, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, SPECIAL_NONE},
    {"empty context, learned sink", 4, 2, 64, 0, 1, F32, LEARNED, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, SPECIAL_NONE},
};

/* The deep run adds long contexts and bigger prefill blocks. (The quick list stays small: it runs
 * under qemu in the aarch64 tests, about 100x slower for the binary64 reference.) */
static const suite_case full_cases[] = {
    {"decode GQA 32/8 d=128 f32, 32 K keys, learned sink gap 15", 32, 8, 128, 32768, 1, F32, LEARNED, 15, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, SPECIAL_NONE},
    {"decode GQA 32/8 d=128 bf16, 32 K keys, 64 splits, 2 threads", 32, 8, 128, 32768, 1, BF16, LEARNED, 90, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 64, 2, SPECIAL_NONE},
    {"decode MQA 16/1 d=256 f16, 8 K keys, window 1024 + 4 sink tokens", 16, 1, 256, 8192, 1, F16, SM1, 0, 0, 0, 1, 1, 0, 0, 0, 1024, 4, 0, 0, 1, 1, SPECIAL_NONE},
    {"prefill causal 256 x 256, GQA 8/2, learned sink gap 50", 8, 2, 128, 256, 256, F32, LEARNED, 50, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 1, 2, SPECIAL_NONE},
};

#define QUICK_COUNT (sizeof quick_cases / sizeof quick_cases[0])
#define FULL_COUNT (sizeof full_cases / sizeof full_cases[0])

size_t sb_attention_suite_case_count(sb_suite_level level)
{
    return QUICK_COUNT + (level == SB_SUITE_FULL ? FULL_COUNT : 0);
}

static const suite_case *case_at(size_t i)
{
    return i < QUICK_COUNT ? &quick_cases[i] : &full_cases[i - QUICK_COUNT];
}

const char *sb_attention_suite_case(sb_suite_level level, uint64_t seed, size_t i, sb_attention_spec *spec,
                                    uint64_t *case_seed)
{
    (void)level;
    const suite_case *c = case_at(i);
    *spec = sb_attention_spec_default(c->H, c->Hkv, c->d, c->n, c->nq);
    spec->kv = c->kv;
    spec->sink = c->sink;
    spec->sink_gap = c->sink_gap;
    spec->token_gap = c->token_gap;
    spec->mask_neg_inf = c->mask_neg_inf;
    spec->q_scale = c->q_scale;
    spec->causal = c->causal;
    spec->mask = c->mask;
    spec->token_major_kv = c->token_major;
    spec->token_last = c->token_last;
    spec->window = c->window;
    spec->sink_tokens = c->sink_tokens;
    spec->pad = c->pad;
    spec->misalign = c->misalign;
    spec->splits = c->splits;
    /* Debian 12's qemu-aarch64 (7.2) hangs in pthread_create: under emulation, one thread (the
     * threaded paths give the same bits for every thread count, tested natively) */
    spec->threads = sb_cpu()->emulated ? 1 : c->threads;
    uint64_t s = seed ^ (0x9e3779b97f4a7c15u * (uint64_t)(i + 1));
    *case_seed = sb_splitmix64(&s);
    return c->label;
}

static float *mutable_f32(const float *p) { return (float *)(uintptr_t)p; }

static void apply_special(sb_attention_problem *p, special sp)
{
    sb_attention_desc *d = &p->d;
    size_t n = d->n_keys;
    switch (sp) {
    case SPECIAL_NONE:
        break;
    case SPECIAL_NAN_Q:
        mutable_f32(d->q)[d->q_stride_head * (d->n_heads > 1 ? 1 : 0) + d->head_dim / 2] = NAN;
        break;
    case SPECIAL_NAN_K:
        if (n > 0)
            sb_attention_store_kv(d, (void *)(uintptr_t)d->k, (n / 2) * d->k_stride_token + d->head_dim / 3, NAN);
        break;
    case SPECIAL_INF_V:
        if (n > 0)
            sb_attention_store_kv(d, (void *)(uintptr_t)d->v, (n > 1 ? 1 : 0) * d->v_stride_token + d->head_dim / 2,
                             INFINITY);
        break;
    case SPECIAL_POSINF_MASK:
        if (d->mask && n > 3)
            mutable_f32(d->mask)[3] = INFINITY; /* query 0, key 3 */
        break;
    }
}

int sb_attention_suite_build(sb_suite_level level, uint64_t seed, size_t i, sb_attention_problem *p,
                             sb_attention_expected *e)
{
    sb_attention_spec spec;
    uint64_t case_seed;
    sb_attention_suite_case(level, seed, i, &spec, &case_seed);
    sb_rng rng;
    sb_rng_seed(&rng, case_seed);
    if (!sb_attention_problem_build(p, &spec, &rng)) {
        sb_attention_problem_free(p);
        return 0;
    }
    apply_special(p, case_at(i)->sp);
    if (!sb_attention_expected_init(&p->d, e)) {
        sb_attention_problem_free(p);
        return 0;
    }
    return 1;
}

static int selected(const sb_suite_options *o, const sb_attention_kernel *k)
{
    if (!k->supported())
        return 0;
    if ((k->flags & SB_KERNEL_EMULATED) && !o->include_emulated)
        return 0;
    return !o->kernel || strcmp(o->kernel, k->name) == 0;
}

sb_status sb_attention_suite_run(const sb_suite_options *o, sb_attention_suite_stats *stats)
{
    size_t nk = sb_attention_kernel_count(), total = sb_attention_suite_case_count(o->level);
    for (size_t k = 0; k < nk; k++) {
        memset(&stats[k], 0, sizeof stats[k]);
        stats[k].kernel = sb_attention_kernel_at(k);
        stats[k].skipped = !selected(o, stats[k].kernel);
    }
    for (size_t i = 0; i < total; i++) {
        sb_attention_problem p;
        sb_attention_expected e;
        if (!sb_attention_suite_build(o->level, o->seed, i, &p, &e))
            return SB_ENOMEM;
        for (size_t k = 0; k < nk; k++) {
            sb_attention_suite_stats *s = &stats[k];
            if (s->skipped)
                continue;
            sb_attention_contract_result r;
            int ok = sb_attention_contract_run(s->kernel, &p.d, &e, &r);
            s->problems++;
            s->rows += e.rows;
            s->rows_formula += r.rows_formula;
            s->rows_special += r.rows_special;
            if (r.max_c > s->max_c)
                s->max_c = r.max_c;
            if (r.max_ratio > s->max_ratio)
                s->max_ratio = r.max_ratio;
            if (!ok) {
                if (s->failures++ == 0) {
                    s->first = r;
                    s->first_case = i;
                    s->first_label = case_at(i)->label;
                }
            }
        }
        sb_attention_expected_free(&e);
        sb_attention_problem_free(&p);
        if (o->progress)
            o->progress(i + 1, total, o->progress_ctx);
    }
    return SB_OK;
}

int sb_attention_suite_failed(const sb_attention_suite_stats *stats, size_t count)
{
    for (size_t k = 0; k < count; k++)
        if (!stats[k].skipped && stats[k].failures && stats[k].kernel->error_bound)
            return 1;
    return 0;
}
