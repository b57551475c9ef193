#include "check/batch_suite.h"

#include <string.h>

#include "check/rng.h"
#include "sinkbench/cpu.h"

#define M32 SB_SOFTMAX_MASK_F32
#define M16 SB_SOFTMAX_MASK_F16
#define NOMASK SB_SOFTMAX_MASK_NONE
#define RANDOM SB_BATCH_MASK_RANDOM
#define CAUSAL SB_BATCH_MASK_CAUSAL
#define ALL SB_BATCH_MASK_ALL
#define LOGITS SB_SOFTMAX_BATCH_SINK_LOGITS
#define SM1 SB_SOFTMAX_BATCH_SINK_SOFTMAX1
#define NOSINK SB_SOFTMAX_BATCH_SINK_NONE

typedef struct suite_case {
    const char *label;
    sb_batch_spec s;
} suite_case;

/* The rows' logits: a Gaussian tail (scale 4) with a sink token first `gap` above it, or none. */
#define ROWS_PLAIN {0, 0.0, SB_TAIL_GAUSSIAN, 0.0, SB_PLACE_NONE, SB_EDGE_NONE, 0.0}
#define ROWS_TOKEN(gap) {0, gap, SB_TAIL_GAUSSIAN, 0.0, SB_PLACE_FIRST, SB_EDGE_NONE, 0.0}
#define ROWS_EDGE(edge) {0, 12.0, SB_TAIL_UNIFORM, 0.0, SB_PLACE_NONE, edge, 0.0}

/* rows, n, x_pad, y_pad, x_broadcast, misalign, scale, mask_type, mask_fill, mask_rows,
 * rows_per_mask_row, mask_pad, sink, n_heads, rows_per_head, sink_gap, sink_edge, row, edge_every,
 * threads, in_place */
static const suite_case quick_cases[] = {
    {"decode 8 heads x 4096, learned sink per head (gap 15), 2 threads",
     {8, 4096, 0, 0, 0, 0, 0.0f, NOMASK, RANDOM, 0, 0, 0, LOGITS, 8, 1, 15.0, 0, ROWS_PLAIN, 0, 2, 0}},
    {"decode 4 x 1000, sink token first (gap 90), padding mask f16 shared by all rows",
     {4, 1000, 0, 0, 0, 1, 0.0f, M16, RANDOM, 1, 1, 0, NOSINK, 0, 0, 0, 0, ROWS_TOKEN(90.0), 0, 1, 1}},
    {"prefill [4 heads x 40 queries] x 40 keys, causal f32 mask, scale 1/8, learned sinks",
     {160, 40, 0, 0, 0, 0, 0.125f, M32, CAUSAL, 40, 1, 0, LOGITS, 4, 40, 8.0, 0, ROWS_PLAIN, 0, 3, 1}},
    {"prefill [40 queries x 3 heads] x 52 keys, causal f16 mask per query, softmax_1",
     {120, 52, 0, 0, 0, 2, 0.0f, M16, CAUSAL, 40, 3, 4, SM1, 0, 0, 0.0, 0, ROWS_PLAIN, 0, 2, 0}},
    {"padded strides, misaligned, random f32 mask cycled over 3 rows, scale -3, in place",
     {7, 100, 5, 3, 0, 3, -3.0f, M32, RANDOM, 3, 2, 7, LOGITS, 5, 2, 4.0, 0, ROWS_PLAIN, 0, 2, 1}},
    {"logits broadcast to every row (x_stride 0), heads with sinks NaN, then finite",
     {6, 33, 0, 1, 1, 0, 0.0f, NOMASK, RANDOM, 0, 0, 0, LOGITS, 3, 2, 10.0, 1, ROWS_PLAIN, 0, 2, 0}},
    {"head 0's sink +inf (rows 0), others finite, f32 mask",
     {6, 17, 0, 0, 0, 0, 0.0f, M32, RANDOM, 2, 1, 0, LOGITS, 2, 3, 20.0, 2, ROWS_PLAIN, 0, 1, 1}},
    {"head 0's sink -inf (no sink)", {4, 64, 0, 0, 0, 0, 0.0f, NOMASK, RANDOM, 0, 0, 0, LOGITS, 2, 2, 5.0, 3,
                                      ROWS_PLAIN, 0, 1, 0}},
    {"fully masked rows (-inf mask) with learned sinks: zeros",
     {5, 40, 0, 0, 0, 0, 0.0f, M32, ALL, 1, 1, 0, LOGITS, 5, 1, 3.0, 0, ROWS_PLAIN, 0, 2, 1}},
    {"fully masked rows without a sink: zeros, never NaN",
     {5, 9, 2, 2, 0, 0, 0.0f, M16, ALL, 1, 1, 0, NOSINK, 0, 0, 0.0, 0, ROWS_PLAIN, 0, 1, 0}},
    {"every other row NaN", {6, 70, 0, 0, 0, 0, 0.0f, M32, RANDOM, 1, 1, 0, LOGITS, 2, 1, 5.0, 0, ROWS_EDGE(SB_EDGE_NAN), 2, 2, 1}},
    {"every other row with +inf logits", {6, 70, 0, 0, 0, 0, 0.5f, NOMASK, RANDOM, 0, 0, 0, SM1, 0, 0, 0.0, 0,
                                          ROWS_EDGE(SB_EDGE_POS_INF_MANY), 2, 2, 1}},
    {"every other row with +-FLT_MAX, scaled by 2 (products overflow to inf)",
     {6, 50, 0, 0, 0, 0, 2.0f, M32, RANDOM, 1, 1, 0, NOSINK, 0, 0, 0.0, 0, ROWS_EDGE(SB_EDGE_HUGE), 2, 1, 1}},
    {"subnormal logits, scale 0 (every logit 0), softmax_1",
     {3, 31, 0, 0, 0, 0, 0.0f, NOMASK, RANDOM, 0, 0, 0, SM1, 0, 0, 0.0, 0, ROWS_EDGE(SB_EDGE_SUBNORMAL_INPUTS), 0, 1, 0}},
    {"rows of 1 entry, learned sinks", {16, 1, 0, 0, 0, 1, 0.0f, M32, RANDOM, 4, 1, 0, LOGITS, 16, 1, 2.0, 0,
                                        ROWS_PLAIN, 0, 2, 1}},
    {"rows of 8 entries (one AVX2 vector)", {33, 8, 0, 3, 0, 0, 0.0f, NOMASK, RANDOM, 0, 0, 0, LOGITS, 4, 8, 1.0, 0,
                                             ROWS_TOKEN(15.0), 0, 3, 1}},
    {"2 rows of 200 K (the chunked kernel), chunks across 2 threads, learned sinks gap 90",
     {2, 200000, 0, 0, 0, 0, 0.0f, NOMASK, RANDOM, 0, 0, 0, LOGITS, 2, 1, 90.0, 0, ROWS_PLAIN, 0, 2, 1}},
};

static const suite_case full_cases[] = {
    {"decode 32 heads x 32768, learned sinks (gap 15), 2 threads",
     {32, 32768, 0, 0, 0, 0, 0.0f, NOMASK, RANDOM, 0, 0, 0, LOGITS, 32, 1, 15.0, 0, ROWS_PLAIN, 0, 2, 0}},
    {"prefill [4 heads x 512 queries] x 512 keys, causal f16 mask, scale 1/sqrt(128)",
     {2048, 512, 0, 0, 0, 0, 0.08838834764831845f, M16, CAUSAL, 512, 1, 0, LOGITS, 4, 512, 10.0, 0, ROWS_PLAIN, 0, 2, 0}},
    {"one row of 2^21 + 3, sink token first (gap 90), random f32 mask, 3 threads, in place",
     {1, (1u << 21) + 3, 0, 0, 0, 1, 0.0f, M32, RANDOM, 1, 1, 0, NOSINK, 0, 0, 0.0, 0, ROWS_TOKEN(90.0), 0, 3, 1}},
    {"3 rows of 300 K with masked rows, 2 threads", {3, 300000, 16, 0, 0, 0, 0.0f, M32, ALL, 3, 1, 0, LOGITS, 3, 1, 1.0,
                                                      0, ROWS_PLAIN, 0, 2, 1}},
};

#define QUICK_COUNT (sizeof quick_cases / sizeof quick_cases[0])
#define FULL_COUNT (sizeof full_cases / sizeof full_cases[0])

size_t sb_batch_suite_case_count(sb_suite_level level)
{
    return QUICK_COUNT + (level == SB_SUITE_FULL ? FULL_COUNT : 0);
}

const char *sb_batch_suite_case(sb_suite_level level, uint64_t seed, size_t i, sb_batch_spec *spec, uint64_t *case_seed)
{
    (void)level;
    const suite_case *c = i < QUICK_COUNT ? &quick_cases[i] : &full_cases[i - QUICK_COUNT];
    *spec = c->s;
    /* qemu-user (the aarch64 tests) hangs in pthread_create: one thread under emulation */
    if (sb_cpu()->emulated)
        spec->threads = 1;
    uint64_t s = seed ^ (0x7f4a7c159e3779b9ull * (uint64_t)(i + 1));
    *case_seed = sb_splitmix64(&s);
    return c->label;
}

const size_t *sb_batch_suite_threads(size_t *count)
{
    static const size_t threads[] = {1, 2, 3, 4};
    *count = sb_cpu()->emulated ? 1 : sizeof threads / sizeof threads[0];
    return threads;
}

static int selected(const sb_suite_options *o, const sb_softmax_batch_kernel *k)
{
    if (!k->supported())
        return 0;
    if ((k->flags & SB_KERNEL_EMULATED) && !o->include_emulated)
        return 0;
    return !o->kernel || strcmp(o->kernel, k->name) == 0;
}

sb_status sb_batch_suite_run(const sb_suite_options *o, sb_batch_suite_stats *stats)
{
    size_t nk = sb_softmax_batch_kernel_count(), total = sb_batch_suite_case_count(o->level), nt;
    const size_t *threads = sb_batch_suite_threads(&nt);
    for (size_t k = 0; k < nk; k++) {
        memset(&stats[k], 0, sizeof stats[k]);
        stats[k].kernel = sb_softmax_batch_kernel_at(k);
        stats[k].skipped = !selected(o, stats[k].kernel);
        if (!stats[k].skipped)
            stats[k].api_ok = sb_contract_batch_check_api(stats[k].kernel, &stats[k].api);
    }
    for (size_t i = 0; i < total; i++) {
        sb_batch_spec spec;
        uint64_t seed;
        const char *label = sb_batch_suite_case(o->level, o->seed, i, &spec, &seed);
        sb_batch_problem p;
        if (sb_batch_problem_make(&spec, seed, &p) != SB_OK)
            return SB_ENOMEM;
        sb_batch_run_options ro = {threads, nt, 1, 0};
        for (size_t k = 0; k < nk; k++) {
            sb_batch_suite_stats *s = &stats[k];
            if (s->skipped)
                continue;
            sb_batch_contract_result r;
            int ok = sb_contract_batch_run(s->kernel, &p, &ro, &r, NULL);
            s->problems++;
            s->rows += r.rows;
            if (r.max_ulp > s->max_ulp)
                s->max_ulp = r.max_ulp;
            s->sum_ulp_error += r.sum_ulp_error;
            s->entries += r.compared;
            if (!ok && s->failures++ == 0) {
                s->first = r;
                s->first_case = i;
                s->first_label = label;
            }
        }
        sb_batch_problem_free(&p);
        if (o->progress)
            o->progress(i + 1, total, o->progress_ctx);
    }
    return SB_OK;
}

int sb_batch_suite_failed(const sb_batch_suite_stats *stats, size_t count)
{
    for (size_t k = 0; k < count; k++) {
        if (stats[k].skipped)
            continue;
        if (!stats[k].api_ok || (stats[k].failures && stats[k].kernel->ulp_bound >= 0))
            return 1;
    }
    return 0;
}
