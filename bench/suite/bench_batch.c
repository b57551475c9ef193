/* batch/<kernel>/heads:H/queries:Q/n:N/causal:C/threads:T: the batched softmax as an inference engine
 * calls it (sinkbench/softmax_batch.h), side by side with the peers' batched entry points, and the
 * copy roofline of the same shape at the same thread count. Per case, in this order:
 *   - batch/copy/...: x copied to y in the same buffers, cut into T contiguous parts on the library's
 *     thread pool (the threads the kernels use): the T-thread copy bandwidth, the roofline;
 *   - batch/sb_softmax_batch/...: the public entry point (dispatch's batched kernel), n_threads = T;
 *   - batch/<peer>/...: every peer batched kernel of the registry (bench/peers), on T threads of its
 *     own threading (OpenMP, pthreadpool, ATen's intra-op threads).
 * Inputs: H x Q rows of N scores (rows of check/rowgen: a sink token first, 15 above a Gaussian tail),
 * the causal case with -inf above the diagonal (key j > query q), as the scores an engine has after
 * its mask. Every kernel gets the same rows with scale 1, no mask and no sink, so they compute the
 * same function and their outputs are compared with the same oracle rows (up to 8 rows spread over
 * the batch, rows up to 1 M entries). Wall-clock time (the helper threads' work counts).
 * Counters: ns_per_call, roofline_copy (x read + y written at the T-thread copy bandwidth, over the
 * time), bw_copy_GBps (that bandwidth), max_ulp/mean_ulp, threads, level. */
#define _POSIX_C_SOURCE 200809L
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_buffers.h"
#include "bench_suite.h"
#include "check/contract.h"
#include "check/oracle.h"
#include "check/rng.h"
#include "check/rowgen.h"
#include "core/pool.h"
#include "gbench.h"
#include "io/bench_schema.h"
#include "sinkbench/sinkbench.h"

#define DISTINCT_ROWS 64   /* rows generated; the batch repeats them */
#define CHECKED_ROWS 8     /* rows compared with the oracle */
#define CHECK_MAX_N ((size_t)1 << 20)
#define MAX_SETS 64        /* rotation sets (bench_buffers.h): a DRAM-sized shape needs a few */

typedef struct batch_job {
    const sb_softmax_batch_kernel *k; /* NULL: the copy */
    const char *name;
    const char *role;
    sb_bench_batch_case c;
    uint64_t seed;
    int accuracy_done;
    double max_ulp, mean_ulp;
    sb_status status;
} batch_job;

static batch_job *jobs;
static size_t njobs, jobs_cap;

/* The current shape's inputs (set 0 and copies in the other sets), generated once per shape. */
static struct {
    unsigned long generation;
    sb_bench_batch_case c;
    int valid;
} inputs;

/* Copy bandwidth (bytes read + written per second) measured per shape and thread count. */
typedef struct bw_entry {
    sb_bench_batch_case c;
    double copy;
} bw_entry;
static bw_entry bws[64];
static size_t nbws;

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int same_shape(const sb_bench_batch_case *a, const sb_bench_batch_case *b)
{
    return a->heads == b->heads && a->queries == b->queries && a->n == b->n && a->causal == b->causal;
}

static size_t rows_of(const sb_bench_batch_case *c) { return c->heads * c->queries; }

static uint64_t row_seed(uint64_t seed, size_t row)
{
    uint64_t s = seed ^ (0x9e3779b97f4a7c15ull * (row + 1));
    return sb_splitmix64(&s);
}

static sb_bench_buffers *prepare_inputs(const batch_job *j)
{
    size_t rows = rows_of(&j->c);
    sb_bench_buffers *b = sb_bench_buffers_get(j->c.n, rows);
    if (!b)
        return NULL;
    if (inputs.valid && inputs.generation == b->generation && same_shape(&inputs.c, &j->c))
        return b;
    const sb_bench_layout *l = &b->layout;
    size_t distinct = rows < DISTINCT_ROWS ? rows : DISTINCT_ROWS;
    for (size_t r = 0; r < distinct; r++) {
        sb_row_spec spec = {j->c.n, 15.0, SB_TAIL_GAUSSIAN, 0.0, SB_PLACE_FIRST, SB_EDGE_NONE, 0.0};
        sb_softmax_params p;
        sb_row_generate(&spec, row_seed(j->seed, r), b->x + r * l->row_stride, &p);
    }
    for (size_t r = distinct; r < rows; r++)
        memcpy(b->x + r * l->row_stride, b->x + (r % distinct) * l->row_stride, j->c.n * sizeof(float));
    if (j->c.causal)
        for (size_t r = 0; r < rows; r++)
            for (size_t k = r % j->c.queries + 1; k < j->c.n; k++)
                b->x[r * l->row_stride + k] = -INFINITY;
    for (size_t s = 1; s < l->sets; s++)
        memcpy(b->x + s * l->set_stride, b->x, l->set_stride * sizeof(float));
    inputs.generation = b->generation;
    inputs.c = j->c;
    inputs.valid = 1;
    return b;
}

static sb_softmax_batch_desc desc_for(const sb_bench_layout *l, const float *x, float *y, size_t threads)
{
    sb_softmax_batch_desc d;
    sb_softmax_batch_desc_init(&d, l->rows, l->n);
    d.x = x;
    d.y = y;
    d.x_stride = d.y_stride = l->row_stride;
    d.n_threads = threads;
    return d;
}

/* The kernel once on set 0; up to CHECKED_ROWS rows, one from each part of the batch, against the
 * oracle. */
static void measure_accuracy(batch_job *j, sb_bench_buffers *b)
{
    const sb_bench_layout *l = &b->layout;
    j->accuracy_done = 1;
    j->max_ulp = j->mean_ulp = NAN;
    sb_softmax_batch_desc d = desc_for(l, b->x, b->y, j->c.threads);
    j->status = j->k->fn(&d);
    if (j->status != SB_OK || l->n > CHECK_MAX_N)
        return;
    float *want = malloc(l->n * sizeof *want);
    if (!want)
        return;
    sb_softmax_kernel as_row = {j->name, j->k->isa, j->k->algorithm, NULL, NULL, j->k->ulp_bound, j->k->flags};
    uint64_t worst = 0;
    double sum = 0;
    size_t compared = 0, checked = l->rows < CHECKED_ROWS ? l->rows : CHECKED_ROWS;
    const sb_softmax_params none = {SB_SINK_NONE, 0.0f};
    for (size_t i = 0; i < checked; i++) {
        /* one row from each eighth, at a varying place in it (the causal rows differ by query) */
        size_t r = i * l->rows / checked + (i * 37 + 11) % (l->rows / checked);
        const float *x = b->x + r * l->row_stride;
        sb_oracle o;
        memset(&o, 0, sizeof o);
        o.y = want;
        o.sink_index = 0;
        if (sb_oracle_softmax(x, l->n, &none, &o, 0) != SB_OK)
            break;
        sb_contract_result res;
        memset(&res, 0, sizeof res);
        res.index = res.max_ulp_index = SIZE_MAX;
        sb_contract_compare(&as_row, x, l->n, &none, b->y + r * l->row_stride, &o, &res);
        worst = res.max_ulp > worst ? res.max_ulp : worst;
        sum += res.sum_ulp_error;
        compared += res.compared;
    }
    free(want);
    j->max_ulp = worst == UINT64_MAX ? INFINITY : (double)worst;
    j->mean_ulp = compared ? sum / (double)compared : NAN;
}

/* ---- the copy roofline ------------------------------------------------------------------------- */

typedef struct copy_ctx {
    float *y;
    const float *x;
    size_t count, parts;
} copy_ctx;

static void copy_part(void *vc, size_t i)
{
    const copy_ctx *c = vc;
    size_t a = i * c->count / c->parts, e = (i + 1) * c->count / c->parts;
    a &= ~(size_t)15; /* 64-byte parts */
    if (i + 1 < c->parts)
        e &= ~(size_t)15;
    memcpy(c->y + a, c->x + a, (e - a) * sizeof(float));
}

static void copy_set(const sb_bench_layout *l, float *y, const float *x, size_t threads)
{
    copy_ctx c = {y, x, l->set_stride, threads ? threads : 1};
    if (c.parts == 1)
        copy_part(&c, 0);
    else
        sb_pool_parallel_for(c.parts, c.parts, copy_part, &c);
}

/* The copy bandwidth of the shape at its thread count for the roofline counters: probed once (the
 * best pass over every set, at least 5 passes and 50 ms) the first time a kernel of the shape runs,
 * then kept. */
static double copy_bandwidth(const sb_bench_batch_case *c, const sb_bench_buffers *b)
{
    for (size_t i = 0; i < nbws; i++)
        if (same_shape(&bws[i].c, c) && bws[i].c.threads == c->threads)
            return bws[i].copy;
    const sb_bench_layout *l = &b->layout;
    double best = 0, start = now();
    for (int rep = 0; rep < 1000 && (rep < 5 || now() - start < 0.05); rep++) {
        double t0 = now();
        for (size_t s = 0; s < l->sets; s++)
            copy_set(l, b->y + s * l->set_stride, b->x + s * l->set_stride, c->threads);
        double t = now() - t0;
        double bw = t > 0 ? 8.0 * (double)l->set_stride * (double)l->sets / t : 0;
        best = bw > best ? bw : best;
    }
    if (nbws < sizeof bws / sizeof bws[0])
        bws[nbws++] = (bw_entry){*c, best};
    return best;
}

typedef struct run_ctx {
    const batch_job *j;
    const sb_bench_buffers *b;
} run_ctx;

static void copy_body(void *vc, uint64_t iterations)
{
    const run_ctx *c = vc;
    const sb_bench_layout *l = &c->b->layout;
    size_t set = 0;
    for (uint64_t it = 0; it < iterations; it++) {
        copy_set(l, c->b->y + set * l->set_stride, c->b->x + set * l->set_stride, c->j->c.threads);
        sb_gbench_use(c->b->y);
        if (++set == l->sets)
            set = 0;
    }
}

static void kernel_body(void *vc, uint64_t iterations)
{
    const run_ctx *c = vc;
    const sb_bench_layout *l = &c->b->layout;
    sb_softmax_batch_fn fn = c->j->k->fn;
    sb_softmax_batch_desc d[MAX_SETS]; /* built outside the loop, as an engine keeps its descriptors */
    for (size_t s = 0; s < l->sets; s++)
        d[s] = desc_for(l, c->b->x + s * l->set_stride, c->b->y + s * l->set_stride, c->j->c.threads);
    size_t set = 0;
    for (uint64_t it = 0; it < iterations; it++) {
        fn(&d[set]);
        sb_gbench_use(d[set].y);
        if (++set == l->sets)
            set = 0;
    }
}

static void batch_bench(sb_gbench_state *st, void *user)
{
    batch_job *j = user;
    sb_bench_buffers *b = prepare_inputs(j);
    if (!b) {
        sb_gbench_skip(st, "out of memory for the inputs");
        return;
    }
    const sb_bench_layout *l = &b->layout;
    double elems = (double)l->n * (double)l->rows;
    if (l->sets > MAX_SETS) {
        sb_gbench_skip(st, "more rotation sets than bench_batch.c keeps descriptors for");
        return;
    }
    if (!j->k) { /* the copy */
        run_ctx ctx = {j, b};
        uint64_t iters = sb_gbench_run(st, copy_body, &ctx, NULL);
        double bytes = 8.0 * (double)l->set_stride * (double)iters; /* x read + y written, padding included */
        sb_gbench_bytes_processed(st, bytes);
        sb_gbench_counter(st, SB_BENCH_C_BW_COPY_GBPS, bytes * 1e-9, SB_GBENCH_RATE);
        sb_gbench_counter(st, SB_BENCH_C_THREADS, (double)j->c.threads, 0);
        sb_gbench_counter(st, SB_BENCH_C_LEVEL, l->level, 0);
        char label[96];
        snprintf(label, sizeof label, SB_BENCH_LABEL_ROLE "=" SB_BENCH_ROLE_BANDWIDTH " " SB_BENCH_LABEL_LEVEL "=%s",
                 sb_bench_level_name(l->level));
        sb_gbench_label(st, label);
        return; /* x is untouched; y is the kernels' output anyway */
    }
    double bw = copy_bandwidth(&j->c, b);
    if (!j->accuracy_done)
        measure_accuracy(j, b);
    if (j->status != SB_OK) {
        char why[128];
        snprintf(why, sizeof why, "the kernel returned '%s' on these rows", sb_status_str(j->status));
        sb_gbench_skip(st, why);
        return;
    }
    run_ctx ctx = {j, b};
    uint64_t iters = sb_gbench_run(st, kernel_body, &ctx, NULL);
    double it = (double)iters;
    sb_gbench_items_processed(st, elems * it);
    sb_gbench_bytes_processed(st, 8.0 * elems * it);
    sb_gbench_counter(st, SB_BENCH_C_NS_PER_CALL, it * 1e-9, SB_GBENCH_RATE | SB_GBENCH_INVERT);
    sb_gbench_counter(st, SB_BENCH_C_ROOFLINE_COPY, bw > 0 ? 8.0 * elems / bw * it : 0, SB_GBENCH_RATE);
    sb_gbench_counter(st, SB_BENCH_C_BW_COPY_GBPS, bw * 1e-9, 0);
    if (!isnan(j->max_ulp)) { /* rows past CHECK_MAX_N: not compared (the softmax family checks them) */
        sb_gbench_counter(st, SB_BENCH_C_MAX_ULP, j->max_ulp, 0);
        sb_gbench_counter(st, SB_BENCH_C_MEAN_ULP, j->mean_ulp, 0);
    }
    sb_gbench_counter(st, SB_BENCH_C_THREADS, (double)j->c.threads, 0);
    sb_gbench_counter(st, SB_BENCH_C_LEVEL, l->level, 0);
    char label[192];
    int len = snprintf(label, sizeof label, SB_BENCH_LABEL_ROLE "=%s " SB_BENCH_LABEL_ISA "=%s " SB_BENCH_LABEL_ALG
                                            "=%s " SB_BENCH_LABEL_LEVEL "=%s",
                       j->role, j->k->isa, j->k->algorithm, sb_bench_level_name(l->level));
    if (strcmp(j->role, SB_BENCH_ROLE_DISPATCH) == 0 && len > 0 && (size_t)len < sizeof label) {
        const sb_softmax_batch_kernel *d = sb_softmax_batch_dispatch();
        snprintf(label + len, sizeof label - (size_t)len, " " SB_BENCH_LABEL_KERNEL "=%s", d ? d->name : "none");
    }
    sb_gbench_label(st, label);
}

static void release_all(void)
{
    free(jobs);
    jobs = NULL;
}

static int add(const sb_softmax_batch_kernel *k, const char *name, const char *role, const sb_bench_batch_case *c,
               uint64_t seed)
{
    if (njobs == jobs_cap)
        return 0;
    batch_job *j = &jobs[njobs++];
    memset(j, 0, sizeof *j);
    j->k = k;
    j->name = name;
    j->role = role;
    j->c = *c;
    j->seed = seed;
    char full[200];
    snprintf(full, sizeof full, SB_BENCH_BATCH "%s", name);
    sb_gbench_benchmark *b = sb_gbench_register(full, batch_bench, j);
    if (!b)
        return 0;
    sb_gbench_arg_names(b, sb_bench_batch_args, 5);
    sb_gbench_args(b,
                   (const int64_t[]){(int64_t)c->heads, (int64_t)c->queries, (int64_t)c->n, c->causal,
                                     (int64_t)c->threads},
                   5);
    sb_gbench_use_real_time(b); /* the helper threads' work is not in the calling thread's CPU time */
    return 1;
}

int sb_bench_add_batch(const sb_bench_config *cfg)
{
    const sb_bench_preset *p = cfg->preset;
    size_t nk = sb_softmax_batch_kernel_count();
    jobs_cap = (nk + 2) * p->nbatch;
    jobs = calloc(jobs_cap ? jobs_cap : 1, sizeof *jobs);
    if (!jobs)
        return 0;
    atexit(release_all);
    static sb_softmax_batch_kernel api;
    const sb_softmax_batch_kernel *d = sb_softmax_batch_dispatch();
    if (d) {
        api = *d;
        api.name = SB_BENCH_BATCH_API;
        api.fn = sb_softmax_batch;
    }
    for (size_t ci = 0; ci < p->nbatch; ci++) {
        const sb_bench_batch_case *c = &p->batch[ci];
        if (cfg->max_n && c->n > cfg->max_n)
            continue;
        if (!add(NULL, "copy", SB_BENCH_ROLE_BANDWIDTH, c, cfg->seed))
            return 0;
        if (d && !add(&api, SB_BENCH_BATCH_API, SB_BENCH_ROLE_DISPATCH, c, cfg->seed))
            return 0;
        for (size_t i = 0; i < nk; i++) {
            const sb_softmax_batch_kernel *k = sb_softmax_batch_kernel_at(i);
            if (!(k->flags & SB_KERNEL_PEER) || !k->supported())
                continue;
            if (!add(k, k->name, SB_BENCH_ROLE_PEER, c, cfg->seed))
                return 0;
        }
    }
    return 1;
}
