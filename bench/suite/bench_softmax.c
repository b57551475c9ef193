/* softmax/<kernel>/n:N/gap:G/rows:R for every registered kernel this CPU runs (peers included: they
 * are registry kernels once their plugins are loaded) and for sb_softmax_f32 itself (what dispatch
 * gives a user). Per run, outside the timed loop:
 *   - inputs from check/rowgen (a sink token first, gap G above a Gaussian tail; R rows with
 *     their own seeds), and the MPFR oracle's correctly rounded outputs for them, built once per
 *     shape and shared by every kernel;
 *   - the kernel's accuracy on exactly those inputs (max and mean ulp through the contract checker),
 *     computed once per benchmark;
 *   - the read and copy bandwidth of the same shape (bench_bandwidth.c) for the roofline counters.
 * A kernel the CPU cannot run, or a SIMDe emulation, is registered once and skipped with the reason. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_bandwidth.h"
#include "io/bench_schema.h"
#include "bench_buffers.h"
#include "bench_suite.h"
#include "bench_traffic.h"
#include "check/contract.h"
#include "check/oracle.h"
#include "check/rng.h"
#include "check/rowgen.h"
#include "gbench.h"
#include "sinkbench/sinkbench.h"

#define MAX_ROWS 64

typedef struct sm_job {
    sb_softmax_kernel k;          /* a copy; for sb_softmax_f32 one built for this row length */
    const char *role;             /* dispatch, kernel, study, peer */
    const char *skip;             /* non-NULL: skipped with this reason */
    sb_bench_case c;
    uint64_t seed;
    int accuracy_done;
    double max_ulp, mean_ulp;
    int contract_ok;
    sb_status status;             /* what the kernel returned on the inputs */
} sm_job;

/* The inputs of the current shape and their oracle outputs, shared by every kernel of the shape. */
static struct {
    unsigned long generation;     /* of the buffers they were written into */
    int gap;
    size_t rows;
    uint64_t seed;
    int valid;
    float *want;                  /* rows x row_stride correctly rounded outputs */
    sb_oracle oracle[MAX_ROWS];
    sb_softmax_params params[MAX_ROWS];
} inputs;

static void release_inputs(void)
{
    free(inputs.want);
    inputs.want = NULL;
    inputs.valid = 0;
}

static uint64_t row_seed(uint64_t seed, size_t row)
{
    uint64_t s = seed ^ (0x9e3779b97f4a7c15ull * (row + 1));
    return sb_splitmix64(&s);
}

/* Fills x of every rotation set with the shape's rows and computes the oracle once. */
static sb_bench_buffers *prepare_inputs(const sm_job *j)
{
    sb_bench_buffers *b = sb_bench_buffers_get(j->c.n, j->c.rows);
    if (!b)
        return NULL;
    if (inputs.valid && inputs.generation == b->generation && inputs.gap == j->c.gap && inputs.seed == j->seed)
        return b;
    release_inputs();
    const sb_bench_layout *l = &b->layout;
    inputs.want = malloc(l->set_stride * sizeof(float));
    if (!inputs.want)
        return NULL;
    for (size_t r = 0; r < l->rows; r++) {
        sb_row_spec spec = {j->c.n, (double)j->c.gap, SB_TAIL_GAUSSIAN, 0.0, SB_PLACE_FIRST, SB_EDGE_NONE, 0.0};
        float *x = b->x + r * l->row_stride;
        size_t sink = sb_row_generate(&spec, row_seed(j->seed, r), x, &inputs.params[r]);
        sb_oracle *o = &inputs.oracle[r];
        memset(o, 0, sizeof *o);
        o->y = inputs.want + r * l->row_stride;
        o->sink_index = sink;
        if (sb_oracle_softmax(x, j->c.n, &inputs.params[r], o, 0) != SB_OK) {
            release_inputs();
            return NULL;
        }
    }
    for (size_t s = 1; s < l->sets; s++)
        memcpy(b->x + s * l->set_stride, b->x, l->set_stride * sizeof(float));
    inputs.generation = b->generation;
    inputs.gap = j->c.gap;
    inputs.rows = l->rows;
    inputs.seed = j->seed;
    inputs.valid = 1;
    return b;
}

/* The kernel once on every row of set 0, against the oracle, through the one contract checker. */
static void measure_accuracy(sm_job *j, sb_bench_buffers *b)
{
    const sb_bench_layout *l = &b->layout;
    uint64_t worst = 0;
    double sum = 0;
    size_t compared = 0;
    j->contract_ok = 1;
    j->status = SB_OK;
    for (size_t r = 0; r < l->rows && j->status == SB_OK; r++) {
        const float *x = b->x + r * l->row_stride;
        float *y = b->y + r * l->row_stride;
        j->status = j->k.fn(x, y, j->c.n, &inputs.params[r]);
        if (j->status != SB_OK)
            break;
        sb_contract_result res;
        memset(&res, 0, sizeof res);
        res.index = res.max_ulp_index = SIZE_MAX;
        j->contract_ok &= sb_contract_compare(&j->k, x, j->c.n, &inputs.params[r], y, &inputs.oracle[r], &res);
        worst = res.max_ulp > worst ? res.max_ulp : worst;
        sum += res.sum_ulp_error;
        compared += res.compared;
    }
    j->max_ulp = worst == UINT64_MAX ? INFINITY : (double)worst;
    j->mean_ulp = compared ? sum / (double)compared : 0.0;
    j->accuracy_done = 1;
}

typedef struct sm_ctx {
    sb_softmax_fn fn;
    const sb_bench_buffers *b;
    const sb_softmax_params *params;
} sm_ctx;

static void sm_body(void *vc, uint64_t iterations)
{
    const sm_ctx *c = vc;
    const sb_bench_layout *l = &c->b->layout;
    size_t set = 0;
    for (uint64_t it = 0; it < iterations; it++) {
        const float *x = c->b->x + set * l->set_stride;
        float *y = c->b->y + set * l->set_stride;
        for (size_t r = 0; r < l->rows; r++)
            c->fn(x + r * l->row_stride, y + r * l->row_stride, l->n, &c->params[r]);
        sb_gbench_use(y);
        if (++set == l->sets)
            set = 0;
    }
}

static void sm_bench(sb_gbench_state *st, void *user)
{
    sm_job *j = user;
    if (j->skip) {
        sb_gbench_skip(st, j->skip);
        return;
    }
    /* The bandwidth probe (when it runs) copies x to y in the same live buffers: x stays valid. */
    sb_bench_buffers *b = prepare_inputs(j);
    sb_bench_bw bw;
    if (!b || !sb_bench_bandwidth_for(j->c.n, j->c.rows, &bw)) {
        sb_gbench_skip(st, "out of memory for the inputs");
        return;
    }
    if (!j->accuracy_done)
        measure_accuracy(j, b);
    if (j->status != SB_OK) {
        char why[128];
        snprintf(why, sizeof why, "the kernel returned '%s' on these rows", sb_status_str(j->status));
        sb_gbench_skip(st, why);
        return;
    }
    sm_ctx ctx = {j->k.fn, b, inputs.params};
    uint64_t iters = sb_gbench_run(st, sm_body, &ctx, NULL);

    const sb_bench_layout *l = &b->layout;
    int assumed;
    const sb_bench_traffic *t = sb_bench_traffic_for(j->k.algorithm, &assumed);
    double elems = (double)l->n * (double)l->rows, it = (double)iters;
    double bytes = sb_bench_traffic_bytes(t);
    double bound_mixed = elems * (4.0 * t->read_passes / bw.read + 8.0 * t->rw_passes / bw.copy);
    double bound_copy = elems * bytes / bw.copy;
    sb_gbench_items_processed(st, elems * it);
    sb_gbench_bytes_processed(st, elems * bytes * it);
    sb_gbench_counter(st, SB_BENCH_C_NS_PER_ROW, it * (double)l->rows * 1e-9, SB_GBENCH_RATE | SB_GBENCH_INVERT);
    sb_gbench_counter(st, SB_BENCH_C_ROOFLINE, bound_mixed * it, SB_GBENCH_RATE);
    sb_gbench_counter(st, SB_BENCH_C_ROOFLINE_COPY, bound_copy * it, SB_GBENCH_RATE);
    sb_gbench_counter(st, SB_BENCH_C_MAX_ULP, j->max_ulp, 0);
    sb_gbench_counter(st, SB_BENCH_C_MEAN_ULP, j->mean_ulp, 0);
    sb_gbench_counter(st, SB_BENCH_C_CONTRACT_OK, j->contract_ok, 0);
    sb_gbench_counter(st, SB_BENCH_C_BYTES_PER_ELEM, bytes, 0);
    sb_gbench_counter(st, SB_BENCH_C_BW_READ_GBPS, bw.read * 1e-9, 0);
    sb_gbench_counter(st, SB_BENCH_C_BW_COPY_GBPS, bw.copy * 1e-9, 0);
    sb_gbench_counter(st, SB_BENCH_C_LEVEL, l->level, 0);
    sb_gbench_counter(st, SB_BENCH_C_SETS, (double)l->sets, 0);
    char label[192];
    int len = snprintf(label, sizeof label, SB_BENCH_LABEL_ROLE "=%s " SB_BENCH_LABEL_ISA "=%s " SB_BENCH_LABEL_ALG "=%s%s " SB_BENCH_LABEL_LEVEL "=%s", j->role, j->k.isa,
                       j->k.algorithm, assumed ? "(assumed three_pass traffic)" : "", sb_bench_level_name(l->level));
    if (strcmp(j->role, SB_BENCH_ROLE_DISPATCH) == 0 && len > 0 && (size_t)len < sizeof label) {
        const sb_softmax_kernel *d = sb_softmax_dispatch(j->c.n);
        snprintf(label + len, sizeof label - (size_t)len, " " SB_BENCH_LABEL_KERNEL "=%s", d ? d->name : "none");
    }
    sb_gbench_label(st, label);
}

static const char *role_of(const sb_softmax_kernel *k)
{
    if (k->flags & SB_KERNEL_PEER)
        return SB_BENCH_ROLE_PEER;
    return k->ulp_bound < 0 ? SB_BENCH_ROLE_STUDY : SB_BENCH_ROLE_KERNEL;
}

static sm_job *jobs;
static size_t njobs, jobs_cap;

static void release_all(void)
{
    release_inputs();
    sb_bench_buffers_release();
    free(jobs);
}

static sm_job *new_job(const sb_softmax_kernel *k, const char *role, const sb_bench_case *c, uint64_t seed)
{
    if (njobs == jobs_cap)
        return NULL;   /* sized up front: job addresses are handed to Google Benchmark */
    sm_job *j = &jobs[njobs++];
    memset(j, 0, sizeof *j);
    j->k = *k;
    j->role = role;
    j->c = *c;
    j->seed = seed;
    return j;
}

static int add(sm_job *j)
{
        char name[160];
    snprintf(name, sizeof name, SB_BENCH_SOFTMAX "%s", j->k.name);
    sb_gbench_benchmark *b = sb_gbench_register(name, sm_bench, j);
    if (!b)
        return 0;
    sb_gbench_arg_names(b, sb_bench_softmax_args, 3);
    sb_gbench_args(b, (const int64_t[]){(int64_t)j->c.n, j->c.gap, (int64_t)j->c.rows}, 3);
    return 1;
}

static sb_status api_entry(const float *x, float *y, size_t n, const sb_softmax_params *p)
{
    return sb_softmax_f32(x, y, n, p);
}

static int always(void) { return 1; }

int sb_bench_add_softmax(const sb_bench_config *cfg)
{
    const sb_bench_preset *p = cfg->preset;
    size_t nk = sb_softmax_kernel_count();
    jobs_cap = (nk + 1) * p->nsoftmax + nk;
    jobs = calloc(jobs_cap, sizeof *jobs);
    if (!jobs)
        return 0;
    atexit(release_all);

    /* Kernels this CPU cannot time: one skipped entry each, at the first shape. */
    const sb_bench_case *first = NULL;
    for (size_t i = 0; i < p->nsoftmax && !first; i++)
        if (sb_bench_case_wanted(cfg, &p->softmax[i]))
            first = &p->softmax[i];
    if (!first)
        return 1;
    for (size_t i = 0; i < nk; i++) {
        const sb_softmax_kernel *k = sb_softmax_kernel_at(i);
        const char *why = sb_bench_untimed_reason(k->flags, k->supported, k->isa);
        if (!why)
            continue;
        sm_job *j = new_job(k, role_of(k), first, cfg->seed);
        if (!j)
            return 0;
        j->skip = why;
        if (!add(j))
            return 0;
    }

    for (size_t ci = 0; ci < p->nsoftmax; ci++) {
        const sb_bench_case *c = &p->softmax[ci];
        if (!sb_bench_case_wanted(cfg, c))
            continue;
        if (c->rows > MAX_ROWS)
            return 0;
        const sb_softmax_kernel *d = sb_softmax_dispatch(c->n);
        if (d) {
            sb_softmax_kernel api = {"sb_softmax_f32", d->isa, d->algorithm, always, api_entry, d->ulp_bound, 0};
            sm_job *j = new_job(&api, SB_BENCH_ROLE_DISPATCH, c, cfg->seed);
            if (!j || !add(j))
                return 0;
        }
        for (size_t i = 0; i < nk; i++) {
            const sb_softmax_kernel *k = sb_softmax_kernel_at(i);
            if ((k->flags & SB_KERNEL_EMULATED) || !k->supported())
                continue;
            sm_job *j = new_job(k, role_of(k), c, cfg->seed);
            if (!j || !add(j))
                return 0;
        }
    }
    return 1;
}
