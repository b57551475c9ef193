/* The batched softmax (include/sinkbench/softmax_batch.h):
 *   - the descriptor rules, through the checker's API rules, for every batched kernel and the public
 *     entry point;
 *   - the batch suite (what `sinkbench check` runs) passes for every batched kernel;
 *   - sb_softmax_batch equals sb_softmax_f32 on every row, bit for bit, at 1 to 4 threads, in place
 *     too, on random descriptors (shapes, strides, masks, sinks, layouts);
 *   - the chunked kernel spread over threads gives the one-thread bits on every ISA, for the rows its
 *     merge has to get right (cold rows, NaN, masked chunks, a sink token in the last chunk);
 *   - the checker catches batched kernels that are wrong the ways batching goes wrong (the mask
 *     ignored, the sink added twice, bits that depend on the thread count, writes into the padding,
 *     a row kernel other than the plan's).
 * Under qemu (aarch64 tests) one thread only: qemu-user hangs in pthread_create. */
#include <math.h>
#include <string.h>

#include "check/batch_suite.h"
#include "check/rng.h"
#include "core/kernel_decls.h"
#include "sinkbench/cpu.h"
#include "sinkbench/dispatch.h"
#include "testkit.h"

static int always(void) { return 1; }

static sb_status api_entry(const sb_softmax_batch_desc *d) { return sb_softmax_batch(d); }
static const sb_softmax_kernel *api_row_kernel(size_t n) { return sb_softmax_dispatch(n); }

/* ---- deliberately broken batched kernels, built on the real one -------------------------------- */

static const sb_softmax_batch_kernel *real(void) { return sb_softmax_batch_dispatch(); }

static sb_status mask_ignored(const sb_softmax_batch_desc *d)
{
    if (sb_softmax_batch_check(d) != SB_OK)
        return real()->fn(d);
    sb_softmax_batch_desc c = *d;
    c.mask_type = SB_SOFTMAX_MASK_NONE;
    return real()->fn(&c);
}

/* The sink added twice: softmax over the row and two sinks (a split merge that adds it per part). */
static sb_status sink_twice(const sb_softmax_batch_desc *d)
{
    sb_status st = sb_softmax_batch_check(d);
    if (st != SB_OK || !d->rows || !d->n)
        return st;
    float *t = malloc((d->n + 2) * sizeof *t);
    if (!t)
        return SB_ENOMEM;
    for (size_t r = 0; r < d->rows; r++) {
        sb_softmax_params p;
        sb_softmax_batch_row(d, r, t, &p);
        size_t n = d->n;
        if (p.sink == SB_SINK_LOGIT) {
            t[n++] = p.sink_logit;
            p.sink = SB_SINK_LOGIT;
        }
        sb_softmax_f32(t, t, n, &p);
        memcpy(d->y + r * d->y_stride, t, d->n * sizeof *t);
    }
    free(t);
    return SB_OK;
}

/* One ulp more on every nonzero output when more than one thread is asked for. */
static sb_status thread_bits(const sb_softmax_batch_desc *d)
{
    sb_status st = real()->fn(d);
    if (st != SB_OK || d->n_threads <= 1 || !d->rows || !d->n)
        return st;
    for (size_t r = 0; r < d->rows; r++)
        for (size_t j = 0; j < d->n; j++) {
            float *y = d->y + r * d->y_stride + j;
            if (*y > 0.0f && *y < 1.0f)
                *y = nextafterf(*y, 2.0f);
        }
    return SB_OK;
}

/* Writes a zero into the padding after the first row. */
static sb_status padding_write(const sb_softmax_batch_desc *d)
{
    sb_status st = real()->fn(d);
    if (st == SB_OK && d->rows > 1 && d->n && d->y_stride > d->n && d->y != d->x)
        d->y[d->n] = 0.0f;
    return st;
}

/* Right within 1 ulp, but the online kernel's bits, not the plan's. */
static sb_status other_row_kernel(const sb_softmax_batch_desc *d)
{
    sb_status st = sb_softmax_batch_check(d);
    if (st != SB_OK || !d->rows || !d->n)
        return st;
    char name[64];
    snprintf(name, sizeof name, "softmax_online_%s", sb_dispatch_isa());
    const sb_softmax_kernel *k = sb_softmax_kernel_find(name);
    if (!k)
        k = sb_softmax_kernel_find("softmax_reference_f64");
    float *t = malloc(d->n * sizeof *t);
    if (!t)
        return SB_ENOMEM;
    for (size_t r = 0; r < d->rows; r++) {
        sb_softmax_params p;
        sb_softmax_batch_row(d, r, t, &p);
        k->fn(t, d->y + r * d->y_stride, d->n, &p);
    }
    free(t);
    return SB_OK;
}

/* Whether rule is one of the '|'-separated names of list. */
static int rule_in(const char *rule, const char *list)
{
    size_t len = strlen(rule);
    for (const char *p = list; p; p = strchr(p, '|') ? strchr(p, '|') + 1 : NULL)
        if (strncmp(p, rule, len) == 0 && (p[len] == 0 || p[len] == '|'))
            return 1;
    return 0;
}

static int run_problem(const sb_softmax_batch_kernel *k, const sb_batch_spec *spec, uint64_t seed,
                       sb_batch_contract_result *r)
{
    size_t nt;
    const size_t *threads = sb_batch_suite_threads(&nt);
    sb_batch_problem p;
    if (sb_batch_problem_make(spec, seed, &p) != SB_OK)
        return -1;
    sb_batch_run_options o = {threads, nt, 1, 0};
    int ok = sb_contract_batch_run(k, &p, &o, r, NULL);
    sb_batch_problem_free(&p);
    return ok;
}

/* A random descriptor: up to 40 rows of up to 300 entries (one in eight rows of 130 K to 200 K),
 * random pads, layouts, masks, sinks, scale and thread count. */
static void random_spec(sb_rng *g, sb_batch_spec *s)
{
    memset(s, 0, sizeof *s);
    int longrow = sb_rng_next(g) % 8 == 0;
    s->rows = longrow ? 1 + sb_rng_next(g) % 3 : 1 + sb_rng_next(g) % 40;
    s->n = longrow ? 131072 + sb_rng_next(g) % 70000 : 1 + sb_rng_next(g) % 300;
    s->x_pad = sb_rng_next(g) % 3 ? 0 : sb_rng_next(g) % 9;
    s->y_pad = sb_rng_next(g) % 3 ? 0 : sb_rng_next(g) % 9;
    s->x_broadcast = sb_rng_next(g) % 10 == 0;
    s->misalign = sb_rng_next(g) % 16;
    static const float scales[] = {0.0f, 0.0f, 0.125f, 0.08838834764831845f, -1.5f, 3.0f};
    s->scale = scales[sb_rng_next(g) % 6];
    s->mask_type = (sb_softmax_mask_type)(sb_rng_next(g) % 3);
    s->mask_fill = (sb_batch_mask_fill)(sb_rng_next(g) % 8 == 0 ? SB_BATCH_MASK_ALL : sb_rng_next(g) % 2);
    s->mask_rows = 1 + sb_rng_next(g) % 6;
    s->rows_per_mask_row = 1 + sb_rng_next(g) % 4;
    s->mask_pad = sb_rng_next(g) % 4;
    s->sink = (sb_softmax_batch_sink)(sb_rng_next(g) % 3);
    s->n_heads = 1 + sb_rng_next(g) % 8;
    s->rows_per_head = 1 + sb_rng_next(g) % 5;
    s->sink_gap = (double)(sb_rng_next(g) % 100);
    s->sink_edge = sb_rng_next(g) % 6 == 0 ? (int)(1 + sb_rng_next(g) % 3) : 0;
    s->row.tail = (sb_tail)(sb_rng_next(g) % SB_TAIL_COUNT);
    s->row.place = sb_rng_next(g) % 2 ? SB_PLACE_NONE : SB_PLACE_FIRST;
    s->row.gap = (double)(sb_rng_next(g) % 110);
    s->row.edge = sb_rng_next(g) % 4 == 0 ? (sb_edge)(sb_rng_next(g) % SB_EDGE_COUNT) : SB_EDGE_NONE;
    s->row.offset = sb_rng_next(g) % 4 == 0 ? 1000.0 : 0.0;
    s->edge_every = 2;
    s->threads = sb_cpu()->emulated ? 1 : 1 + sb_rng_next(g) % 4;
    s->in_place = 1;
}

/* The chunked kernel of every ISA: its threaded form gives its one-thread bits. */
typedef struct chunked_isa {
    const char *name;
    sb_softmax_fn one;
    sb_status (*threads)(const float *, float *, size_t, const sb_softmax_params *, size_t);
    int (*supported)(void);
} chunked_isa;
static const chunked_isa chunked[] = {
#define SB_CHUNKED(isa, isa_name, supported, flags) {#isa, sb_softmax_chunked_##isa, sb_softmax_chunked_threads_##isa, supported},
    SB_FOR_EACH_ISA(SB_CHUNKED)
#undef SB_CHUNKED
};

static void test_chunked_threads(uint64_t seed)
{
    const size_t n = (size_t)1 << 19, threads_max = sb_cpu()->emulated ? 1 : 4;
    float *x = malloc(n * sizeof *x), *y1 = malloc(n * sizeof *y1), *yt = malloc(n * sizeof *yt), *io = malloc(n * sizeof *io);
    SB_TEST_CHECK(x && y1 && yt && io, "memory");
    if (!x || !y1 || !yt || !io)
        return;
    sb_rng g;
    sb_rng_seed(&g, seed);
    enum { GAUSS, SINK_LAST, MASKED_HEAD, NAN_LATE, INF_LATE, SHAPES };
    static const char *const names[] = {"gaussian", "sink token in the last chunk (gap 90)",
                                        "first 5 chunks -inf, learned sink", "NaN in a late chunk", "+inf in a late chunk"};
    for (int shape = 0; shape < SHAPES; shape++) {
        sb_softmax_params p = {SB_SINK_NONE, 0.0f};
        for (size_t i = 0; i < n; i++)
            x[i] = (float)(4.0 * sb_rng_normal(&g));
        if (shape == SINK_LAST)
            x[n - 7] = 90.0f;
        if (shape == MASKED_HEAD) {
            for (size_t i = 0; i < 5 * 16384 + 3; i++)
                x[i] = -INFINITY;
            p.sink = SB_SINK_LOGIT;
            p.sink_logit = 30.0f;
        }
        if (shape == NAN_LATE)
            x[n - 20000] = NAN;
        if (shape == INF_LATE)
            x[n - 20000] = INFINITY;
        for (size_t c = 0; c < sizeof chunked / sizeof chunked[0]; c++) {
            if (!chunked[c].supported())
                continue;
            chunked[c].one(x, y1, n, &p);
            for (size_t t = 2; t <= threads_max; t++) {
                chunked[c].threads(x, yt, n, &p, t);
                SB_TEST_CHECK(memcmp(y1, yt, n * sizeof *y1) == 0 || (shape == NAN_LATE && isnan(yt[0]) && isnan(yt[n - 1])),
                         "chunked_%s, %s: %zu threads differ from one", chunked[c].name, names[shape], t);
                memcpy(io, x, n * sizeof *io);
                chunked[c].threads(io, io, n, &p, t);
                SB_TEST_CHECK(memcmp(y1, io, n * sizeof *y1) == 0 || (shape == NAN_LATE && isnan(io[0])),
                         "chunked_%s, %s: in place at %zu threads differs", chunked[c].name, names[shape], t);
            }
        }
    }
    free(x);
    free(y1);
    free(yt);
    free(io);
}

int main(void)
{
    uint64_t seed = sb_test_init("test_softmax_batch", 20261212);
    size_t nb = sb_softmax_batch_kernel_count();
    SB_TEST_CHECK(nb >= 1, "batched registry has %zu kernels", nb);
    const sb_softmax_batch_kernel *disp = sb_softmax_batch_dispatch();
    SB_TEST_CHECK(disp != NULL, "sb_softmax_batch_dispatch");
    if (!disp)
        return sb_test_finish("test_softmax_batch");
    char want[64];
    snprintf(want, sizeof want, "softmax_batch_%s", sb_dispatch_isa());
    SB_TEST_CHECK(strcmp(disp->name, want) == 0, "dispatch chose %s, want %s", disp->name, want);

    /* descriptor defaults */
    sb_softmax_batch_desc d;
    sb_softmax_batch_desc_init(&d, 3, 10);
    SB_TEST_CHECK(d.x_stride == 10 && d.y_stride == 10 && d.scale == 1.0f && d.n_threads == 1 && d.mask_rows == 1 &&
                 d.rows_per_mask_row == 1 && d.n_heads == 1 && d.rows_per_head == 1 && d.sink == SB_SOFTMAX_BATCH_SINK_NONE,
             "dense defaults");
    SB_TEST_CHECK(sb_softmax_batch_check(NULL) == SB_EINVAL, "NULL descriptor");

    /* the descriptor rules: every kernel and the public entry point */
    sb_softmax_batch_kernel api = {"sb_softmax_batch", disp->isa, "batched", always, api_entry, disp->ulp_bound, 0,
                                   api_row_kernel};
    sb_batch_contract_result r;
    SB_TEST_CHECK(sb_contract_batch_check_api(&api, &r), "%s", r.message);
    for (size_t k = 0; k < nb; k++) {
        const sb_softmax_batch_kernel *bk = sb_softmax_batch_kernel_at(k);
        if (bk->supported())
            SB_TEST_CHECK(sb_contract_batch_check_api(bk, &r), "%s", r.message);
    }

    /* the suite, every supported batched kernel */
    sb_suite_options o = {SB_SUITE_QUICK, seed, NULL, 1, NULL, NULL};
    sb_batch_suite_stats *st = calloc(nb, sizeof *st);
    SB_TEST_CHECK(st && sb_batch_suite_run(&o, st) == SB_OK, "suite ran");
    for (size_t k = 0; st && k < nb; k++) {
        if (st[k].skipped)
            continue;
        SB_TEST_CHECK(st[k].api_ok && st[k].failures == 0, "%s: %zu of %zu problems fail; first '%s': %s",
                 st[k].kernel->name, st[k].failures, st[k].problems, st[k].first_label ? st[k].first_label : "",
                 st[k].api_ok ? st[k].first.message : st[k].api.message);
        SB_TEST_CHECK(st[k].max_ulp <= 2, "%s: max %llu ulp", st[k].kernel->name, (unsigned long long)st[k].max_ulp);
        printf("%s: %zu problems, %zu rows, max %llu ulp\n", st[k].kernel->name, st[k].problems, st[k].rows,
               (unsigned long long)st[k].max_ulp);
    }
    free(st);

    /* the public entry point: sb_softmax_f32 on every row, random descriptors */
    sb_rng g;
    sb_rng_seed(&g, seed);
    int problems = sb_cpu()->emulated ? 12 : 60;
    for (int i = 0; i < problems; i++) {
        sb_batch_spec s;
        random_spec(&g, &s);
        uint64_t ps = sb_rng_next(&g);
        int ok = run_problem(&api, &s, ps, &r);
        char desc[600];
        sb_batch_spec_describe(&s, desc, sizeof desc);
        SB_TEST_CHECK(ok == 1, "random problem %d (seed %llu: %s): %s", i, (unsigned long long)ps, desc, r.message);
    }

    test_chunked_threads(seed);

    /* the checker catches what goes wrong in batching */
    struct {
        const char *name;
        sb_softmax_batch_fn fn;
        const char *rule;
        sb_batch_spec s;
    } broken[] = {
        {"mask ignored", mask_ignored, "ulp-bound|must-be-zero",
         {3, 50, 0, 0, 0, 0, 0.0f, SB_SOFTMAX_MASK_F32, SB_BATCH_MASK_RANDOM, 1, 1, 0, SB_SOFTMAX_BATCH_SINK_NONE, 0, 0,
          0, 0, {0, 0, SB_TAIL_GAUSSIAN, 0, SB_PLACE_NONE, SB_EDGE_NONE, 0}, 0, 1, 0}},
        {"sink added twice", sink_twice, "ulp-bound",
         {3, 50, 0, 0, 0, 0, 0.0f, SB_SOFTMAX_MASK_NONE, SB_BATCH_MASK_RANDOM, 0, 0, 0, SB_SOFTMAX_BATCH_SINK_LOGITS, 3,
          1, 2.0, 0, {0, 0, SB_TAIL_GAUSSIAN, 0, SB_PLACE_NONE, SB_EDGE_NONE, 0}, 0, 1, 0}},
        {"thread-dependent bits", thread_bits, "threads",
         {5, 50, 0, 0, 0, 0, 0.0f, SB_SOFTMAX_MASK_NONE, SB_BATCH_MASK_RANDOM, 0, 0, 0, SB_SOFTMAX_BATCH_SINK_NONE, 0,
          0, 0, 0, {0, 0, SB_TAIL_GAUSSIAN, 0, SB_PLACE_NONE, SB_EDGE_NONE, 0}, 0, 1, 0}},
        {"padding written", padding_write, "padding-written",
         {3, 20, 0, 4, 0, 0, 0.0f, SB_SOFTMAX_MASK_NONE, SB_BATCH_MASK_RANDOM, 0, 0, 0, SB_SOFTMAX_BATCH_SINK_NONE, 0,
          0, 0, 0, {0, 0, SB_TAIL_GAUSSIAN, 0, SB_PLACE_NONE, SB_EDGE_NONE, 0}, 0, 1, 0}},
        {"another row kernel", other_row_kernel, "row-kernel",
         {4, 500, 0, 0, 0, 0, 0.0f, SB_SOFTMAX_MASK_NONE, SB_BATCH_MASK_RANDOM, 0, 0, 0, SB_SOFTMAX_BATCH_SINK_NONE, 0,
          0, 0, 0, {0, 0, SB_TAIL_GAUSSIAN, 0, SB_PLACE_NONE, SB_EDGE_NONE, 0}, 0, 1, 0}},
    };
    for (size_t b = 0; b < sizeof broken / sizeof broken[0]; b++) {
        if (sb_cpu()->emulated && strcmp(broken[b].rule, "threads") == 0)
            continue; /* one thread under qemu: nothing to differ */
        sb_softmax_batch_kernel bk = {broken[b].name, disp->isa, "broken", always, broken[b].fn, 2.0, 0, api_row_kernel};
        int ok = run_problem(&bk, &broken[b].s, seed, &r);
        SB_TEST_CHECK(ok == 0 && r.rule && rule_in(r.rule, broken[b].rule), "%s: caught as '%s', want '%s' (%s)",
                 broken[b].name, r.rule ? r.rule : "nothing", broken[b].rule, r.message);
    }
    return sb_test_finish("test_softmax_batch");
}
