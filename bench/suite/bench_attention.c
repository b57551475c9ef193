/* The attention family: every attention kernel of the registry this CPU runs (plugins and peers
 * included) and sb_attention() as a user calls it, on H = 32 query heads over H_kv = 8 KV heads
 * (GQA), learned per-head sinks, a dense head-major KV cache:
 *
 *   attention/decode/<kernel>/kv:<t>/d:D/n:N/splits:S    one query per head against N keys (S > 1:
 *                                                          split-KV, the dispatch and flash kernels)
 *   attention/prefill/<kernel>/kv:<t>/d:D/n:N            N queries against N keys, causal
 *   attention/threads/<kernel>/kv:<t>/d:D/n:N/threads:P  decode with P threads, WALL-CLOCK time
 *   fma_peak/<isa>                                       the multiply-add peak of one core
 *
 * Roofline. Decode reads the K and V caches once per call: 2 * H_kv * N * D * (bytes per element),
 * the counter B_per_key being K + V bytes per key per KV head. The KV cache lives in the bench
 * buffers (bench_buffers.c) of the softmax shape with the same bytes (x = K, y = V), so it gets the
 * same cache-level policy and rotation, and bandwidth/read of that shape, measured in the same run,
 * is the bound: roofline = (KV bytes / read bandwidth) / time. Prefill (and decode) count 4 D flops
 * per visible (query, head, key) pair (q.k and p.v, one multiply-add each per component; the exp is
 * not counted), against the best fma_peak of the run: fma_peak_frac.
 *
 * Accuracy: every result carries the kernel's largest error on the timed inputs in units of
 * 2^-24 R max|v| (max_err_u) and as a fraction of its bound, through the one attention contract
 * checker; prefill checks its last CHECK_ROWS query rows (the longest) in a separate call. A kernel
 * whose single call takes longer than the preset's cap is skipped with the reason. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check/attention_contract.h"
#include "io/bench_schema.h"
#include "bench_bandwidth.h"
#include "bench_buffers.h"
#include "bench_suite.h"
#include "gbench.h"
#include "core/isa_list.h"
#include "sinkbench/cpu.h"
#include "sinkbench/sinkbench.h"
#include "check/attention_problem.h" /* the shared seeded problem builder (one generator) */

#define HEADS 32
#define KV_HEADS 8
#define CHECK_ROWS 16

static const char *const kv_names[] = {"f32", "f16", "bf16"};
static size_t kv_size(int kv) { return kv == SB_KV_F32 ? 4 : 2; }

/* CPU time of the calling thread: the cap should not depend on how busy the machine is. */
static double thread_seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* ---- the FMA peak --------------------------------------------------------------------------------- */

typedef float (*fma_loop_fn)(uint64_t reps, float a, float b);
typedef double (*fma_flops_fn)(void);
#define FMA_ISA(isa, isa_name, supported, flags)                    \
    float sb_bench_fma_loop_##isa(uint64_t reps, float a, float b); \
    double sb_bench_fma_flops_##isa(void);
SB_FOR_EACH_NATIVE_ISA(FMA_ISA) /* fma_peak_loop.c, compiled once per native ISA */
#undef FMA_ISA

typedef struct fma_isa {
    const char *isa;
    int (*supported)(void);
    fma_loop_fn loop;
    fma_flops_fn flops;
    double best;   /* flop/s, the best measured in this run */
} fma_isa;

#define FMA_ENTRY(isa, isa_name, supported, flags) {isa_name, supported, sb_bench_fma_loop_##isa, sb_bench_fma_flops_##isa, 0},
static fma_isa fma_isas[] = {SB_FOR_EACH_NATIVE_ISA(FMA_ENTRY)};
#undef FMA_ENTRY
#define N_FMA (sizeof fma_isas / sizeof fma_isas[0])

typedef struct fma_ctx {
    const fma_isa *f;
    float a, b, result;
} fma_ctx;

static void fma_body(void *vc, uint64_t iterations)
{
    fma_ctx *c = vc;
    c->result += c->f->loop(iterations, c->a, c->b);
}

static void fma_bench(sb_gbench_state *st, void *user)
{
    fma_isa *f = user;
    fma_ctx c = {f, 0.999f, 1e-3f, 0};
    double seconds = 0;
    uint64_t iters = sb_gbench_run(st, fma_body, &c, &seconds);
    double flops = f->flops() * (double)iters;
    if (seconds >= 1e-3 && flops / seconds > f->best)
        f->best = flops / seconds;
    sb_gbench_items_processed(st, flops);
    sb_gbench_counter(st, SB_BENCH_C_GFLOPS, flops * 1e-9, SB_GBENCH_RATE);
    sb_gbench_counter(st, SB_BENCH_C_FLOPS_PER_ITERATION, f->flops(), 0);
    char label[96];
    snprintf(label, sizeof label, SB_BENCH_LABEL_ROLE "=" SB_BENCH_ROLE_FMA_PEAK " " SB_BENCH_LABEL_ISA "=%s", f->isa);
    sb_gbench_label(st, label);
    sb_gbench_use(&c.result);
}

/* The machine's peak: the best ISA's best run; probed (best of 3 x 20 ms per ISA) when the fma_peak
 * benchmarks were filtered out. */
static double machine_peak(void)
{
    double best = 0;
    for (size_t i = 0; i < N_FMA; i++) {
        fma_isa *f = &fma_isas[i];
        if (!f->supported())
            continue;
        for (int rep = 0; f->best == 0 && rep < 3; rep++)
            for (uint64_t iters = 64;; iters *= 2) {
                fma_ctx c = {f, 0.999f, 1e-3f, 0};
                double t0 = thread_seconds();
                fma_body(&c, iters);
                double dt = thread_seconds() - t0;
                sb_gbench_use(&c.result);
                if (dt >= 0.02) {
                    double r = f->flops() * (double)iters / dt;
                    f->best = r > f->best ? r : f->best;
                    break;
                }
            }
        best = f->best > best ? f->best : best;
    }
    return best;
}

/* ---- inputs ---------------------------------------------------------------------------------------- */

typedef struct at_job {
    sb_attention_kernel k;        /* a copy; for sb_attention one built around the dispatched kernel */
    const char *role;             /* dispatch, kernel, study, peer */
    const char *skip;
    sb_bench_attention_case c;
    int checked;
    char why[192];                /* a skip decided by the check */
    sb_attention_contract_result res;
} at_job;

/* The current problem, shared by every kernel (and split and thread count) of a shape. */
static struct {
    int valid;
    sb_bench_attention_case key;  /* kind, n, head_dim, kv (splits and threads do not matter) */
    sb_attention_problem p;
    sb_attention_desc check;      /* the rows the reference computed (prefill: the last ones) */
    sb_attention_expected e;
    unsigned long generation;     /* decode: the bench buffers' generation holding the KV cache */
} in;

static uint64_t seed;

static void release_problem(void)
{
    if (!in.valid)
        return;
    sb_attention_expected_free(&in.e);
    sb_attention_problem_free(&in.p);
    in.valid = 0;
}

static int is_decode(const sb_bench_attention_case *c) { return c->kind != SB_BENCH_PREFILL; }

/* Floats of each of x (K) and y (V) in the bench buffers for a decode case. */
static size_t kv_floats(const sb_bench_attention_case *c)
{
    return KV_HEADS * c->n * c->head_dim * kv_size(c->kv) / 4;
}

static int same_shape(const sb_bench_attention_case *a, const sb_bench_attention_case *b)
{
    return is_decode(a) == is_decode(b) && a->n == b->n && a->head_dim == b->head_dim && a->kv == b->kv;
}

/* Builds (or reuses) the problem of case c: q, K, V and sinks from the tests' generator with the run's
 * seed, the reference's answer, and for decode the KV cache copied into every rotation set of the bench
 * buffers (after the read-bandwidth probe, which only reads). NULL buffers are fine for prefill. */
static int prepare(const sb_bench_attention_case *c, sb_bench_buffers **bufs, double *bw_read)
{
    *bufs = NULL;
    if (!in.valid || !same_shape(&in.key, c)) {
        release_problem();
        size_t nq = is_decode(c) ? 1 : c->n;
        sb_attention_spec s = sb_attention_spec_default(HEADS, KV_HEADS, c->head_dim, c->n, nq);
        s.kv = (sb_kv_type)c->kv;
        s.causal = !is_decode(c);
        s.sink = SB_ATTENTION_SINK_LOGITS;
        s.sink_gap = 0.0; /* sinks about as large as the largest score: they take a real share */
        sb_rng rng;
        sb_rng_seed(&rng, seed ^ (c->n * 1000003u + c->head_dim * 31u + (size_t)c->kv));
        if (!sb_attention_problem_build(&in.p, &s, &rng)) {
            sb_attention_problem_free(&in.p);
            return 0;
        }
        in.check = in.p.d;
        size_t m = nq < CHECK_ROWS ? nq : CHECK_ROWS;
        in.check.n_queries = m;
        in.check.q = in.p.d.q + (nq - m) * in.p.d.q_stride_token;
        in.check.out = in.p.d.out + (nq - m) * in.p.d.out_stride_token;
        if (!sb_attention_expected_init(&in.check, &in.e)) {
            sb_attention_problem_free(&in.p);
            return 0;
        }
        in.key = *c;
        in.generation = 0;
        in.valid = 1;
    }
    if (!is_decode(c))
        return 1;
    size_t nf = kv_floats(c);
    if (!sb_bench_read_bandwidth_for(nf, 1, bw_read))
        return 0;
    sb_bench_buffers *b = sb_bench_buffers_get(nf, 1);
    if (!b)
        return 0;
    if (in.generation != b->generation || in.generation == 0) {
        const sb_bench_layout *l = &b->layout;
        for (size_t s = 0; s < l->sets; s++) {
            memcpy(b->x + s * l->set_stride, in.p.d.k, nf * sizeof(float));
            memcpy(b->y + s * l->set_stride, in.p.d.v, nf * sizeof(float));
        }
        /* x no longer holds softmax rows: a new generation tells the softmax family so */
        in.generation = ++b->generation;
    }
    *bufs = b;
    return 1;
}

/* The timed descriptor: the problem's, with the case's splits and threads, K and V in set 0. */
static sb_attention_desc timed_desc(const at_job *j, const sb_bench_buffers *b)
{
    sb_attention_desc d = in.p.d;
    d.n_splits = j->c.splits;
    d.n_threads = j->c.threads;
    if (b) {
        d.k = b->x;
        d.v = b->y;
    }
    return d;
}

/* (query, key) pairs a call visits per head. */
static double pairs(const sb_bench_attention_case *c)
{
    double n = (double)c->n;
    return is_decode(c) ? n : n * (n + 1) / 2;
}

/* Runs the kernel once on the checked rows (all of them for decode, the last CHECK_ROWS for prefill),
 * compares with the reference through the contract checker, and decides the skip by the preset's cap
 * on one call's time (prefill: extrapolated by the pairs visited). */
static void check(at_job *j, const sb_bench_buffers *b, void *ws, size_t ws_size, double cap)
{
    j->checked = 1;
    sb_attention_desc d = timed_desc(j, b);
    double scale = 1.0;
    if (!is_decode(&j->c)) {
        d = in.check;
        double n = (double)j->c.n, m = (double)d.n_queries;
        scale = pairs(&j->c) / (m * n - m * (m - 1) / 2);
    }
    d.workspace = ws;
    d.workspace_size = ws_size;
    double t0 = thread_seconds();
    sb_status st = j->k.fn(&d);
    double t = (thread_seconds() - t0) * scale;
    if (st != SB_OK) {
        snprintf(j->why, sizeof j->why, "the kernel returned '%s' on this problem", sb_status_str(st));
        return;
    }
    memset(&j->res, 0, sizeof j->res);
    sb_attention_contract_compare(&j->k, &in.check, &in.e, &j->res);
    if (t > cap)
        snprintf(j->why, sizeof j->why, "too slow for this preset: one call takes %.2f s (cap %.2f s per call)", t, cap);
}

/* ---- the benchmarks ------------------------------------------------------------------------------------ */

typedef struct at_ctx {
    sb_attention_fn fn;
    sb_attention_desc d;
    const sb_bench_buffers *b;    /* decode: K and V rotate over its sets; NULL: fixed */
    sb_status status;
} at_ctx;

static void at_body(void *vc, uint64_t iterations)
{
    at_ctx *c = vc;
    size_t set = 0;
    for (uint64_t it = 0; it < iterations; it++) {
        if (c->b) {
            const sb_bench_layout *l = &c->b->layout;
            c->d.k = c->b->x + set * l->set_stride;
            c->d.v = c->b->y + set * l->set_stride;
            if (++set == l->sets)
                set = 0;
        }
        sb_status st = c->fn(&c->d);
        if (st != SB_OK)
            c->status = st;
        sb_gbench_use(c->d.out);
    }
}

static double call_cap;

static void at_bench(sb_gbench_state *st, void *user)
{
    at_job *j = user;
    if (j->skip) {
        sb_gbench_skip(st, j->skip);
        return;
    }
    sb_bench_buffers *b = NULL;
    double bw = 0;
    if (!prepare(&j->c, &b, &bw)) {
        sb_gbench_skip(st, "out of memory for the inputs");
        return;
    }
    sb_attention_desc d = timed_desc(j, b);
    size_t ws_size = sb_attention_workspace_size(&d);
    void *ws = ws_size ? malloc(ws_size) : NULL;
    if (ws_size && !ws) {
        sb_gbench_skip(st, "out of memory for the workspace");
        return;
    }
    d.workspace = ws;
    d.workspace_size = ws_size;
    if (!j->checked)
        check(j, b, ws, ws_size, call_cap);
    if (j->why[0]) {
        free(ws);
        sb_gbench_skip(st, j->why);
        return;
    }
    at_ctx ctx = {j->k.fn, d, b, SB_OK};
    double it = (double)sb_gbench_run(st, at_body, &ctx, NULL);
    free(ws);
    if (ctx.status != SB_OK) {
        sb_gbench_skip(st, "the kernel failed inside the timed loop");
        return;
    }

    const sb_bench_attention_case *c = &j->c;
    double eb = (double)kv_size(c->kv), dim = (double)c->head_dim;
    double kv_bytes = 2.0 * KV_HEADS * (double)c->n * dim * eb;
    double flops = 4.0 * dim * HEADS * pairs(c);
    double peak = machine_peak();
    sb_gbench_items_processed(st, HEADS * pairs(c) * it);
    sb_gbench_bytes_processed(st, kv_bytes * it);
    sb_gbench_counter(st, SB_BENCH_C_GFLOPS, flops * 1e-9 * it, SB_GBENCH_RATE);
    sb_gbench_counter(st, SB_BENCH_C_GFLOP_PER_CALL, flops * 1e-9, 0);
    sb_gbench_counter(st, SB_BENCH_C_FMA_PEAK_GFLOPS, peak * 1e-9, 0);
    sb_gbench_counter(st, SB_BENCH_C_FMA_PEAK_FRAC, peak > 0 ? flops / peak * it : NAN, SB_GBENCH_RATE);
    sb_gbench_counter(st, SB_BENCH_C_BYTES_PER_KEY, 2.0 * dim * eb, 0);
    sb_gbench_counter(st, SB_BENCH_C_KV_MB, kv_bytes * 1e-6, 0);
    if (b) {
        sb_gbench_counter(st, SB_BENCH_C_GBPS, kv_bytes * 1e-9 * it, SB_GBENCH_RATE);
        sb_gbench_counter(st, SB_BENCH_C_BW_READ_GBPS, bw * 1e-9, 0);
        sb_gbench_counter(st, SB_BENCH_C_ROOFLINE, bw > 0 ? kv_bytes / bw * it : NAN, SB_GBENCH_RATE);
        sb_gbench_counter(st, SB_BENCH_C_LEVEL, b->layout.level, 0);
        sb_gbench_counter(st, SB_BENCH_C_SETS, (double)b->layout.sets, 0);
    }
    sb_gbench_counter(st, SB_BENCH_C_MAX_ERR_U, j->res.max_c, 0);
    sb_gbench_counter(st, SB_BENCH_C_ERR_OF_BOUND, j->res.max_ratio, 0);
    sb_gbench_counter(st, SB_BENCH_C_CONTRACT_OK, j->k.error_bound ? j->res.ok : NAN, 0);
    sb_gbench_counter(st, SB_BENCH_C_CHECKED_ROWS, (double)in.e.rows, 0);
    char label[256];
    int len = snprintf(label, sizeof label, SB_BENCH_LABEL_ROLE "=%s " SB_BENCH_LABEL_ISA "=%s " SB_BENCH_LABEL_ALG "=%s kv=%s H=%d Hkv=%d sinks=learned%s", j->role,
                       j->k.isa, j->k.algorithm, kv_names[c->kv], HEADS, KV_HEADS, c->kind == SB_BENCH_PREFILL ? " causal" : "");
    if (b && len > 0 && (size_t)len < sizeof label)
        len += snprintf(label + len, sizeof label - (size_t)len, " " SB_BENCH_LABEL_LEVEL "=%s", sb_bench_level_name(b->layout.level));
    if (c->kind == SB_BENCH_THREADS && len > 0 && (size_t)len < sizeof label)
        len += snprintf(label + len, sizeof label - (size_t)len, " time=real threads=%zu", c->threads);
    if (strcmp(j->role, SB_BENCH_ROLE_DISPATCH) == 0 && len > 0 && (size_t)len < sizeof label) {
        const sb_attention_kernel *k = sb_attention_dispatch();
        snprintf(label + len, sizeof label - (size_t)len, " " SB_BENCH_LABEL_KERNEL "=%s", k ? k->name : "none");
    }
    sb_gbench_label(st, label);
}

/* ---- registration ---------------------------------------------------------------------------------- */

static at_job *jobs;
static size_t njobs, jobs_cap;

static void release_all(void)
{
    release_problem();
    free(jobs);
}

static const char *role_of(const sb_attention_kernel *k)
{
    if (k->flags & SB_KERNEL_PEER)
        return SB_BENCH_ROLE_PEER;
    return k->error_bound ? SB_BENCH_ROLE_KERNEL : SB_BENCH_ROLE_STUDY;
}

static int always(void) { return 1; }

static int add(const sb_attention_kernel *k, const char *role, const sb_bench_attention_case *c, const char *skip)
{
    if (njobs == jobs_cap)
        return 0;
    at_job *j = &jobs[njobs++];
    memset(j, 0, sizeof *j);
    j->k = *k;
    j->role = role;
    j->c = *c;
    j->skip = skip;
    static const char *const kinds[] = {"decode", "prefill", "threads"};
    char name[192];
    snprintf(name, sizeof name, SB_BENCH_ATTENTION "%s/%s/kv:%s", kinds[c->kind], k->name, kv_names[c->kv]);
    sb_gbench_benchmark *b = sb_gbench_register(name, at_bench, j);
    if (!b)
        return 0;
    sb_gbench_unit(b, SB_GBENCH_MS);
    if (c->kind == SB_BENCH_DECODE) {
        static const char *const names[] = {"d", "n", "splits"};
        sb_gbench_arg_names(b, names, 3);
        sb_gbench_args(b, (const int64_t[]){(int64_t)c->head_dim, (int64_t)c->n, (int64_t)c->splits}, 3);
    } else if (c->kind == SB_BENCH_PREFILL) {
        static const char *const names[] = {"d", "n"};
        sb_gbench_arg_names(b, names, 2);
        sb_gbench_args(b, (const int64_t[]){(int64_t)c->head_dim, (int64_t)c->n}, 2);
    } else {
        static const char *const names[] = {"d", "n", "threads"};
        sb_gbench_arg_names(b, names, 3);
        sb_gbench_args(b, (const int64_t[]){(int64_t)c->head_dim, (int64_t)c->n, (int64_t)c->threads}, 3);
        sb_gbench_use_real_time(b); /* the helper threads' work is not in the calling thread's CPU time */
    }
    return 1;
}

int sb_bench_add_attention(const sb_bench_config *cfg)
{
    const sb_bench_preset *p = cfg->preset;
    seed = cfg->seed;
    call_cap = cfg->attention_cap > 0 ? cfg->attention_cap : p->attention_call_cap;
    const sb_bench_attention_case *first = NULL;
    for (size_t i = 0; i < p->nattention && !first; i++)
        if (sb_bench_attention_case_wanted(cfg, &p->attention[i]))
            first = &p->attention[i];
    if (!first)
        return 1;
    size_t nk = sb_attention_kernel_count();
    jobs_cap = (nk + 1) * p->nattention + nk;
    jobs = calloc(jobs_cap, sizeof *jobs);
    if (!jobs)
        return 0;
    atexit(release_all);

    for (size_t i = 0; i < N_FMA; i++) {
        if (!fma_isas[i].supported())
            continue;
        char name[64];
        snprintf(name, sizeof name, SB_BENCH_FMA_PEAK "%s", fma_isas[i].isa);
        if (!sb_gbench_register(name, fma_bench, &fma_isas[i]))
            return 0;
    }

    /* Kernels this CPU cannot time: one skipped entry each, at the first case. */
    for (size_t i = 0; i < nk; i++) {
        const sb_attention_kernel *k = sb_attention_kernel_at(i);
        const char *why = sb_bench_untimed_reason(k->flags, k->supported, k->isa);
        if (why && !add(k, role_of(k), first, why))
            return 0;
    }

    const sb_attention_kernel *dk = sb_attention_dispatch();
    for (size_t ci = 0; ci < p->nattention; ci++) {
        const sb_bench_attention_case *c = &p->attention[ci];
        if (!sb_bench_attention_case_wanted(cfg, c))
            continue;
        if (is_decode(c) && !sb_bench_register_bandwidth(kv_floats(c), 1, 1))
            return 0;
        if (dk) {
            sb_attention_kernel api = {"sb_attention", dk->isa, dk->algorithm, always, sb_attention,
                                       dk->error_bound, dk->bound_text, 0};
            if (!add(&api, SB_BENCH_ROLE_DISPATCH, c, NULL))
                return 0;
        }
        /* split-KV and threads exist for the flash kernels: the references compute every row whole */
        int flash_only = c->splits > 1 || c->kind == SB_BENCH_THREADS;
        for (size_t i = 0; i < nk; i++) {
            const sb_attention_kernel *k = sb_attention_kernel_at(i);
            if ((k->flags & SB_KERNEL_EMULATED) || !k->supported())
                continue;
            if (flash_only && strcmp(k->algorithm, "flash") != 0)
                continue;
            if (!add(k, role_of(k), c, NULL))
                return 0;
        }
    }
    return 1;
}
