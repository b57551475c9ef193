/* bandwidth/read, bandwidth/copy and bandwidth/memcpy at every softmax shape of the preset, with the
 * same buffers, the same rotation and so the same cache level as the softmax benchmarks. "read" XORs
 * every word of x and y (the working set of one iteration); "copy" copies x to y with the widest
 * vectors of the CPU; "memcpy" is glibc's (which may use non-temporal stores for large copies). */
#define _POSIX_C_SOURCE 200809L
#include "bench_bandwidth.h"
#include "io/bench_schema.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_suite.h"
#include "gbench.h"
#include "core/isa_list.h"
#include "sinkbench/cpu.h"

typedef uint32_t (*read_fn)(const float *p, size_t count);
typedef void (*copy_fn)(float *dst, const float *src, size_t count);

/* bandwidth_loops.c, compiled once per native ISA (the library's list, best first). */
#define BW_DECLARE(isa, isa_name, supported, flags)                 \
    uint32_t sb_bench_read_##isa(const float *p, size_t count); \
    void sb_bench_copy_##isa(float *dst, const float *src, size_t count);
SB_FOR_EACH_NATIVE_ISA(BW_DECLARE)
#undef BW_DECLARE

/* The widest loads and stores this CPU runs: the first native ISA it supports. */
static void pick_loops(read_fn *r, copy_fn *c, const char **isa)
{
#define BW_PICK(suffix, isa_name, supported, flags)                              \
    if (supported()) {                                                            \
        *r = sb_bench_read_##suffix, *c = sb_bench_copy_##suffix, *isa = isa_name; \
        return;                                                                   \
    }
    SB_FOR_EACH_NATIVE_ISA(BW_PICK)
#undef BW_PICK
    *r = sb_bench_read_scalar, *c = sb_bench_copy_scalar, *isa = "scalar";
}

enum bw_kind { BW_READ, BW_COPY, BW_MEMCPY };
static const char *const kind_names[] = {"read", "copy", "memcpy"};

typedef struct bw_ctx {
    enum bw_kind kind;
    const sb_bench_buffers *b;
    read_fn read;
    copy_fn copy;
    uint32_t checksum;
} bw_ctx;

static void bw_body(void *vc, uint64_t iterations)
{
    bw_ctx *c = vc;
    const sb_bench_layout *l = &c->b->layout;
    size_t set = 0;
    uint32_t sum = 0;
    for (uint64_t it = 0; it < iterations; it++) {
        float *x = c->b->x + set * l->set_stride, *y = c->b->y + set * l->set_stride;
        if (c->kind == BW_READ)
            sum ^= c->read(x, l->set_stride) ^ c->read(y, l->set_stride);
        else if (c->kind == BW_COPY)
            c->copy(y, x, l->set_stride);
        else
            memcpy(y, x, l->set_stride * sizeof(float));
        sb_gbench_use(y);
        if (++set == l->sets)
            set = 0;
    }
    c->checksum ^= sum;
}

/* Bytes one iteration moves: read: x and y read; copy: x read and y written. */
static double bytes_per_iteration(const sb_bench_layout *l) { return 2.0 * (double)l->set_stride * sizeof(float); }

/* The best bandwidth seen per shape. A run shorter than 1 ms is kept only until a longer one comes. */
typedef struct bw_entry {
    size_t n, rows;
    double read, copy;
    int read_solid, copy_solid;
} bw_entry;
static bw_entry *table;
static size_t table_len, table_cap;

static bw_entry *entry_for(size_t n, size_t rows)
{
    for (size_t i = 0; i < table_len; i++)
        if (table[i].n == n && table[i].rows == rows)
            return &table[i];
    if (table_len == table_cap) {
        size_t cap = table_cap ? 2 * table_cap : 32;
        bw_entry *t = realloc(table, cap * sizeof *t);
        if (!t)
            return NULL;
        table = t, table_cap = cap;
    }
    bw_entry *e = &table[table_len++];
    memset(e, 0, sizeof *e);
    e->n = n, e->rows = rows;
    return e;
}

static void record(size_t n, size_t rows, enum bw_kind kind, double bytes_per_s, double seconds)
{
    bw_entry *e = entry_for(n, rows);
    if (!e || !(bytes_per_s > 0))
        return;
    int solid = seconds >= 1e-3;
    double *v = kind == BW_READ ? &e->read : &e->copy;
    int *s = kind == BW_READ ? &e->read_solid : &e->copy_solid;
    if ((solid && !*s) || (solid == *s && bytes_per_s > *v)) {
        *v = bytes_per_s;
        *s = solid;
    }
}

static double thread_seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* Measures one kind outside Google Benchmark: the best of 3 runs of >= 20 ms each. */
static double probe(bw_ctx *c)
{
    double best = 0;
    for (int rep = 0; rep < 3; rep++) {
        uint64_t iters = 1;
        for (;;) {
            double t0 = thread_seconds();
            bw_body(c, iters);
            double dt = thread_seconds() - t0;
            if (dt >= 0.02) {
                double bw = bytes_per_iteration(&c->b->layout) * (double)iters / dt;
                best = bw > best ? bw : best;
                break;
            }
            iters *= 2;
        }
    }
    return best;
}

int sb_bench_read_bandwidth_for(size_t n, size_t rows, double *read)
{
    bw_entry *e = entry_for(n, rows);
    sb_bench_buffers *b = sb_bench_buffers_get(n, rows);
    if (!e || !b)
        return 0;
    if (!e->read_solid) {
        bw_ctx c = {BW_READ, b, NULL, NULL, 0};
        const char *isa;
        pick_loops(&c.read, &c.copy, &isa);
        record(n, rows, BW_READ, probe(&c), 1.0);
    }
    *read = entry_for(n, rows)->read;
    return 1;
}

int sb_bench_bandwidth_for(size_t n, size_t rows, sb_bench_bw *out)
{
    bw_entry *e = entry_for(n, rows);
    sb_bench_buffers *b = sb_bench_buffers_get(n, rows);
    if (!e || !b)
        return 0;
    bw_ctx c = {BW_READ, b, NULL, NULL, 0};
    const char *isa;
    pick_loops(&c.read, &c.copy, &isa);
    if (!e->read_solid)
        record(n, rows, BW_READ, probe(&c), 1.0);
    if (!e->copy_solid) {
        c.kind = BW_COPY;
        record(n, rows, BW_COPY, probe(&c), 1.0);
        c.kind = BW_MEMCPY;
        record(n, rows, BW_COPY, probe(&c), 1.0);
    }
    e = entry_for(n, rows);
    out->read = e->read;
    out->copy = e->copy;
    return 1;
}

typedef struct bw_job {
    enum bw_kind kind;
    size_t n, rows;
} bw_job;

static void bw_bench(sb_gbench_state *st, void *user)
{
    bw_job *j = user;
    sb_bench_buffers *b = sb_bench_buffers_get(j->n, j->rows);
    if (!b) {
        sb_gbench_skip(st, "out of memory for the buffers");
        return;
    }
    bw_ctx c = {j->kind, b, NULL, NULL, 0};
    const char *isa;
    pick_loops(&c.read, &c.copy, &isa);
    double seconds = 0;
    uint64_t iters = sb_gbench_run(st, bw_body, &c, &seconds);
    const sb_bench_layout *l = &b->layout;
    double bytes = bytes_per_iteration(l) * (double)iters;
    if (seconds > 0)
        record(j->n, j->rows, j->kind == BW_READ ? BW_READ : BW_COPY, bytes / seconds, seconds);
    sb_gbench_bytes_processed(st, bytes);
    sb_gbench_counter(st, SB_BENCH_C_GBPS, bytes * 1e-9, SB_GBENCH_RATE);
    sb_gbench_counter(st, SB_BENCH_C_LEVEL, l->level, 0);
    sb_gbench_counter(st, SB_BENCH_C_SETS, (double)l->sets, 0);
    char label[96];
    snprintf(label, sizeof label, SB_BENCH_LABEL_ROLE "=" SB_BENCH_ROLE_BANDWIDTH " kind=%s " SB_BENCH_LABEL_ISA "=%s " SB_BENCH_LABEL_LEVEL "=%s", kind_names[j->kind],
             j->kind == BW_MEMCPY ? "libc" : isa, sb_bench_level_name(l->level));
    sb_gbench_label(st, label);
    sb_gbench_use(&c.checksum);
}

/* Jobs are allocated one by one: their addresses are handed to Google Benchmark. */
static bw_job **jobs;
static size_t njobs, jobs_cap;

static void free_jobs(void)
{
    for (size_t i = 0; i < njobs; i++)
        free(jobs[i]);
    free(jobs);
}

int sb_bench_register_bandwidth(size_t n, size_t rows, int read_only)
{
    static const char *const arg_names[] = {"n", "rows"};
    static const char *const bench_names[] = {SB_BENCH_BANDWIDTH "read", SB_BENCH_BANDWIDTH "copy", SB_BENCH_BANDWIDTH "memcpy"};
    if (!jobs)
        atexit(free_jobs);
    for (int kind = BW_READ; kind <= (read_only ? BW_READ : BW_MEMCPY); kind++) {
        int seen = 0;   /* one run per kind and shape (softmax gaps and attention cases share it) */
        for (size_t i = 0; i < njobs && !seen; i++)
            seen = jobs[i]->kind == (enum bw_kind)kind && jobs[i]->n == n && jobs[i]->rows == rows;
        if (seen)
            continue;
        if (njobs == jobs_cap) {
            size_t cap = jobs_cap ? 2 * jobs_cap : 64;
            bw_job **t = realloc(jobs, cap * sizeof *t);
            if (!t)
                return 0;
            jobs = t, jobs_cap = cap;
        }
        bw_job *j = malloc(sizeof *j);
        if (!j)
            return 0;
        j->kind = (enum bw_kind)kind, j->n = n, j->rows = rows;
        jobs[njobs++] = j;
        sb_gbench_benchmark *b = sb_gbench_register(bench_names[kind], bw_bench, j);
        if (!b)
            return 0;
        sb_gbench_arg_names(b, arg_names, 2);
        sb_gbench_args(b, (const int64_t[]){(int64_t)n, (int64_t)rows}, 2);
    }
    return 1;
}

int sb_bench_add_bandwidth(const sb_bench_config *cfg)
{
    const sb_bench_preset *p = cfg->preset;
    for (size_t i = 0; i < p->nsoftmax; i++)
        if (sb_bench_case_wanted(cfg, &p->softmax[i]) &&
            !sb_bench_register_bandwidth(p->softmax[i].n, p->softmax[i].rows, 0))
            return 0;
    return 1;
}
