/* softmax_batch_<isa>: the batched, fused softmax (include/sinkbench/softmax_batch.h) on one ISA.
 *
 * Every row goes through the kernel this ISA's dispatch plan lists for the row length, so a row gives
 * bit for bit what sb_softmax_f32 gives on the scaled and masked row when dispatch chose this ISA:
 *   - a row without scale or mask goes to the kernel as it is (x to y, or in place);
 *   - otherwise its t_j = RN(RN(scale x_j) + mask_j) is written to the row's output first (vector
 *     code, -ffp-contract=off: the product is rounded before the add) and the kernel runs in place
 *     there, which the contract makes bit-identical to out of place.
 * Threads (the library's pool): rows are cut into runs of consecutive rows, a few per thread; a row
 * is computed by one thread from start to end, so where it runs cannot change its bits. Rows long
 * enough for the plan's chunked kernel, when there are too few of them to keep the threads busy, are
 * instead computed one after another, each spread over the threads chunk by chunk
 * (sb_softmax_chunked_threads_<isa>, whose chunks and merge do not depend on the thread count).
 * docs/kernels.md, "Batched softmax", has the design and its measurements. */
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>

#include "attention/attention_vec.h" /* sb_vf_load_f16 */
#include "core/dispatch_plan.h"
#include "core/kernel_decls.h"
#include "core/pool.h"
#include "simd/softmax_body.h"
#include "sinkbench/convert.h"
#include "sinkbench/softmax_batch.h"

#define SB_BATCH_UNITS_PER_THREAD 4 /* runs of rows per thread: a delayed thread does not hold the rest */
#define SB_BATCH_PREPARE_SEGMENT 65536 /* entries per unit when one long row's t is written in parallel */

/* This ISA's softmax plan (kernels/core/dispatch_plan.c) with its kernel names mapped to this ISA's
 * own functions, resolved on first use: the registry maps the same names to the same functions
 * (test_softmax_batch checks the rows against the registry's plan kernel), without the registry
 * depending on this file and this file on the registry. */
typedef struct own_plan {
    size_t count;
    size_t min_n[SB_SOFTMAX_PLAN_MAX];
    sb_softmax_fn fn[SB_SOFTMAX_PLAN_MAX];
    int ok;
} own_plan;
static own_plan plan;
static atomic_int plan_state; /* 0 unresolved, 1 resolved (two threads may both resolve it: same result) */

static const own_plan *plan_of_isa(void)
{
    if (atomic_load_explicit(&plan_state, memory_order_acquire))
        return &plan;
    static const struct {
        const char *name;
        sb_softmax_fn fn;
    } own[] = {
        {"softmax_three_pass_" SB_ISA_NAME, SB_ISA_SYMBOL(sb_softmax_three_pass)},
        {"softmax_online_" SB_ISA_NAME, SB_ISA_SYMBOL(sb_softmax_online)},
        {"softmax_chunked_" SB_ISA_NAME, SB_ISA_SYMBOL(sb_softmax_chunked)},
    };
    own_plan p = {0, {0}, {0}, 1};
    size_t count;
    const sb_dispatch_plan_entry *e = sb_dispatch_plan(SB_DISPATCH_SOFTMAX, &count);
    for (size_t i = 0; i < count; i++) {
        if (strcmp(e[i].isa, SB_ISA_NAME) != 0)
            continue;
        sb_softmax_fn fn = NULL;
        for (size_t k = 0; k < sizeof own / sizeof own[0]; k++)
            if (strcmp(e[i].kernel, own[k].name) == 0)
                fn = own[k].fn;
        if (!fn || p.count == SB_SOFTMAX_PLAN_MAX) {
            p.ok = 0; /* a plan entry this file cannot run: say so (SB_EUNSUPPORTED), never guess */
            continue;
        }
        p.min_n[p.count] = e[i].min_n;
        p.fn[p.count++] = fn;
    }
    p.ok &= p.count > 0;
    plan = p;
    atomic_store_explicit(&plan_state, 1, memory_order_release);
    return &plan;
}

/* The plan's kernel for rows of length n, NULL when the plan cannot serve. */
static sb_softmax_fn plan_fn(size_t n)
{
    const own_plan *p = plan_of_isa();
    sb_softmax_fn fn = NULL;
    for (size_t i = 0; p->ok && i < p->count; i++)
        if (n >= p->min_n[i])
            fn = p->fn[i];
    return fn;
}

/* t[0..n) = RN(RN(scale * x) + mask), the product skipped for scale 1 (exact), the sum without a
 * mask; t may be x. */
static void prepare(const float *x, const void *mask, sb_softmax_mask_type mt, float scale, float *t, size_t n)
{
    const sb_vf vs = sb_vf_set1(scale);
    const int scaled = scale != 1.0f;
    size_t i = 0;
    if (mt == SB_SOFTMAX_MASK_F16) {
        const uint16_t *m = mask;
        for (; i + SB_VW <= n; i += SB_VW) {
            sb_vf v = sb_vf_loadu(x + i);
            if (scaled)
                v = sb_vf_mul(v, vs);
            sb_vf_storeu(t + i, sb_vf_add(v, sb_vf_load_f16(m + i)));
        }
        for (; i < n; i++) {
            float v = scaled ? scale * x[i] : x[i];
            t[i] = v + sb_f16_to_f32(m[i]);
        }
        return;
    }
    const float *m = mask;
    for (; i + SB_VW <= n; i += SB_VW) {
        sb_vf v = sb_vf_loadu(x + i);
        if (scaled)
            v = sb_vf_mul(v, vs);
        if (m)
            v = sb_vf_add(v, sb_vf_loadu(m + i));
        sb_vf_storeu(t + i, v);
    }
    if (i < n) {
        sb_vf v = sb_vf_load_part(x + i, n - i, 0.0f);
        if (scaled)
            v = sb_vf_mul(v, vs);
        if (m)
            v = sb_vf_add(v, sb_vf_load_part(m + i, n - i, 0.0f));
        sb_vf_store_part(t + i, v, n - i);
    }
}

typedef struct batch_job {
    const sb_softmax_batch_desc *d;
    sb_softmax_fn k;   /* the plan's kernel for the row length */
    size_t units;
    int transform;     /* scale != 1 or a mask: t is written to the output first */
    size_t threads;    /* for the chunked kernel inside one row */
    size_t row;        /* the row being prepared (prepare_unit) */
} batch_job;

static const void *mask_row(const sb_softmax_batch_desc *d, size_t r)
{
    if (d->mask_type == SB_SOFTMAX_MASK_NONE)
        return NULL;
    size_t k = d->mask_rows == 1 ? 0 : (r / d->rows_per_mask_row) % d->mask_rows;
    size_t es = d->mask_type == SB_SOFTMAX_MASK_F16 ? sizeof(uint16_t) : sizeof(float);
    return (const char *)d->mask + k * d->mask_stride * es;
}

static sb_softmax_params row_params(const sb_softmax_batch_desc *d, size_t r)
{
    sb_softmax_params p = {SB_SINK_NONE, 0.0f};
    if (d->sink == SB_SOFTMAX_BATCH_SINK_SOFTMAX1)
        p.sink = SB_SINK_LOGIT;
    else if (d->sink == SB_SOFTMAX_BATCH_SINK_LOGITS) {
        p.sink = SB_SINK_LOGIT;
        p.sink_logit = d->sink_logits[d->n_heads == 1 ? 0 : (r / d->rows_per_head) % d->n_heads];
    }
    return p;
}

/* One row on the calling thread. */
static void run_row(const batch_job *j, size_t r)
{
    const sb_softmax_batch_desc *d = j->d;
    const float *x = d->x + r * d->x_stride;
    float *y = d->y + r * d->y_stride;
    sb_softmax_params p = row_params(d, r);
    if (j->transform) {
        prepare(x, mask_row(d, r), d->mask_type, d->scale, y, d->n);
        x = y;
    }
    /* SB_OK: the descriptor's check covers the row's arguments, so three_pass skips its own */
    if (j->k == SB_ISA_SYMBOL(sb_softmax_three_pass))
        SB_ISA_SYMBOL(sb_softmax_three_pass_unchecked)(x, y, d->n, &p);
    else
        j->k(x, y, d->n, &p);
}

static void rows_unit(void *ctx, size_t u)
{
    const batch_job *j = ctx;
    size_t r0 = u * j->d->rows / j->units, r1 = (u + 1) * j->d->rows / j->units;
    for (size_t r = r0; r < r1; r++)
        run_row(j, r);
}

static void prepare_unit(void *ctx, size_t u)
{
    const batch_job *j = ctx;
    const sb_softmax_batch_desc *d = j->d;
    size_t i0 = u * SB_BATCH_PREPARE_SEGMENT, len = d->n - i0 < SB_BATCH_PREPARE_SEGMENT ? d->n - i0 : SB_BATCH_PREPARE_SEGMENT;
    const void *m = mask_row(d, j->row);
    if (m)
        m = (const char *)m + i0 * (d->mask_type == SB_SOFTMAX_MASK_F16 ? sizeof(uint16_t) : sizeof(float));
    prepare(d->x + j->row * d->x_stride + i0, m, d->mask_type, d->scale, d->y + j->row * d->y_stride + i0, len);
}

sb_status SB_ISA_SYMBOL(sb_softmax_batch)(const sb_softmax_batch_desc *d)
{
    sb_status st = sb_softmax_batch_check(d);
    if (st != SB_OK || d->rows == 0 || d->n == 0)
        return st;
    batch_job j;
    j.d = d;
    j.k = plan_fn(d->n);
    if (!j.k)
        return SB_EUNSUPPORTED;
    j.transform = d->scale != 1.0f || d->mask_type != SB_SOFTMAX_MASK_NONE;
    j.threads = d->n_threads;
    if (d->n_threads <= 1 || d->rows == 1) {
        if (d->rows == 1 && d->n_threads > 1 && j.k == SB_ISA_SYMBOL(sb_softmax_chunked))
            goto within_rows; /* one long row: its chunks across the threads */
        for (size_t r = 0; r < d->rows; r++)
            run_row(&j, r);
        return SB_OK;
    }
    if (j.k == SB_ISA_SYMBOL(sb_softmax_chunked) && d->rows < d->n_threads * SB_BATCH_UNITS_PER_THREAD)
        goto within_rows;
    j.units = d->n_threads * SB_BATCH_UNITS_PER_THREAD;
    if (j.units > d->rows)
        j.units = d->rows;
    sb_pool_parallel_for(j.units, d->n_threads, rows_unit, &j);
    return SB_OK;

within_rows:
    for (size_t r = 0; r < d->rows; r++) {
        const float *x = d->x + r * d->x_stride;
        float *y = d->y + r * d->y_stride;
        sb_softmax_params p = row_params(d, r);
        if (j.transform) {
            j.row = r;
            sb_pool_parallel_for((d->n + SB_BATCH_PREPARE_SEGMENT - 1) / SB_BATCH_PREPARE_SEGMENT, d->n_threads,
                                 prepare_unit, &j);
            x = y;
        }
        SB_ISA_SYMBOL(sb_softmax_chunked_threads)(x, y, d->n, &p, d->n_threads);
    }
    return SB_OK;
}
