/* The stability sweep: every planned row through every selected kernel in every precision. Each row
 * is generated and solved by the oracle once; its rounded-input variants once per 16-bit format. */
#include "studies/stability/stability.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check/rng.h"
#include "check/ulp.h"
#include "sinkbench/cpu.h"
#include "sinkbench/softmax_batch.h"

#define NROUNDED 2   /* rounded-input variants: f16, bf16 */
static const sb_stability_precision rounded_prec[NROUNDED] = {SB_STABILITY_PREC_F16_IN, SB_STABILITY_PREC_BF16_IN};

typedef struct row_buffers {
    size_t cap;
    float *x, *cr, *v, *y32, *y, *stored;
    double *exact;
    float *xr[NROUNDED], *crr[NROUNDED];
    double *exr[NROUNDED];
} row_buffers;

static void buffers_free(row_buffers *b)
{
    float **f[] = {&b->x, &b->cr, &b->v, &b->y32, &b->y, &b->stored, &b->xr[0], &b->xr[1], &b->crr[0], &b->crr[1]};
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) {
        free(*f[i]);
        *f[i] = NULL;
    }
    free(b->exact);
    free(b->exr[0]);
    free(b->exr[1]);
    b->exact = b->exr[0] = b->exr[1] = NULL;
    b->cap = 0;
}

static int buffers_reserve(row_buffers *b, size_t n)
{
    if (n <= b->cap)
        return 1;
    buffers_free(b);
    size_t fs = n * sizeof(float), ds = n * sizeof(double);
    b->x = malloc(fs), b->cr = malloc(fs), b->v = malloc(fs), b->y32 = malloc(fs), b->y = malloc(fs);
    b->stored = malloc(fs), b->exact = malloc(ds);
    int ok = b->x && b->cr && b->v && b->y32 && b->y && b->stored && b->exact;
    for (int j = 0; j < NROUNDED; j++) {
        b->xr[j] = malloc(fs), b->crr[j] = malloc(fs), b->exr[j] = malloc(ds);
        ok = ok && b->xr[j] && b->crr[j] && b->exr[j];
    }
    if (!ok) {
        buffers_free(b);
        return 0;
    }
    b->cap = n;
    return 1;
}

const sb_stability_verdict *sb_stability_verdict_of(const sb_stability_result *r, size_t kernel, sb_stability_precision p)
{
    return &r->verdicts[kernel * SB_STABILITY_PREC_COUNT + (size_t)p];
}

static sb_stability_cell *new_cell(sb_stability_result *r)
{
    if (r->cell_count == r->cell_cap) {
        size_t cap = r->cell_cap ? 2 * r->cell_cap : 4096;
        sb_stability_cell *c = realloc(r->cells, cap * sizeof *c);
        if (!c)
            return NULL;
        r->cells = c;
        r->cell_cap = cap;
    }
    sb_stability_cell *c = &r->cells[r->cell_count++];
    memset(c, 0, sizeof *c);
    return c;
}

/* A new cell for kernel ki, precision prec on this row (metrics still to fill in). */
static sb_stability_cell *start_cell(sb_stability_result *r, const sb_stability_row *row, size_t ki, sb_stability_precision prec,
                                const sb_stability_exact *e)
{
    sb_stability_cell *c = new_cell(r);
    if (!c)
        return NULL;
    c->kernel = (uint32_t)ki;
    c->precision = (uint8_t)prec;
    c->block = (uint8_t)row->block;
    c->spec = row->spec;
    c->seed = row->seed;
    c->p_sink = e->p_sink;
    c->residual = e->residual;
    return c;
}

/* A failure that comes earlier in (gap, n) replaces the verdict's first one. */
static void record_failure(sb_stability_result *r, size_t cell_index, const char *message)
{
    const sb_stability_cell *c = &r->cells[cell_index];
    sb_stability_verdict *v = &r->verdicts[c->kernel * SB_STABILITY_PREC_COUNT + c->precision];
    v->failures++;
    const sb_stability_cell *f = v->first == SIZE_MAX ? NULL : &r->cells[v->first];
    if (!f || c->spec.gap < f->spec.gap || (c->spec.gap == f->spec.gap && c->spec.n < f->spec.n)) {
        v->first = cell_index;
        snprintf(v->message, sizeof v->message, "%s", message);
    }
}

/* Runs kernel ki on (x, p) under the contract checker, measures its output against the original row and
 * records the cell. The output stays in y. */
static sb_status run_kernel(sb_stability_result *r, const sb_stability_row *row, size_t ki, sb_stability_precision prec, const float *x,
                            const sb_softmax_params *p, const sb_oracle *want, const sb_stability_exact *e, float *y)
{
    const sb_softmax_kernel *k = r->kernels[ki];
    sb_contract_result cres;
    int ok = sb_contract_run(k, x, row->spec.n, p, want, NULL, &cres, y);
    sb_stability_cell *c = start_cell(r, row, ki, prec, e);
    if (!c)
        return SB_ENOMEM;
    c->contract_checked = 1;
    c->kernel_max_ulp = cres.max_ulp == SB_ULP_INFINITE ? INFINITY : (double)cres.max_ulp;
    /* The residual bound is checked where the row is the original one (f32), with the bound the
     * checker applies (study kernels: the 2-ulp target). */
    double bound = prec == SB_STABILITY_PREC_F32 ? (k->ulp_bound >= 0 ? floor(k->ulp_bound) : 2.0) : -1.0;
    sb_stability_measure(y, e, SB_FORMAT_F32, bound, &c->m);
    c->violation = (uint8_t)cres.violation;
    char message[384];
    snprintf(message, sizeof message, "%s", cres.message);
    if (ok && c->m.resid_bound_ratio > 1.0) {
        ok = 0;
        c->violation = SB_V_ULP;
        snprintf(message, sizeof message, "%s: n=%zu: tail mass off by %.3g relative, %.3g times what a %g-ulp bound allows",
                 k->name, row->spec.n, c->m.resid_tail_rel_err, c->m.resid_bound_ratio, bound);
    }
    c->contract_ok = (uint8_t)ok;
    size_t index = r->cell_count - 1;
    sb_stability_verdict *v = &r->verdicts[ki * SB_STABILITY_PREC_COUNT + prec];
    v->cells++;
    if (c->kernel_max_ulp > v->max_ulp || isnan(c->kernel_max_ulp))
        v->max_ulp = isnan(c->kernel_max_ulp) ? INFINITY : c->kernel_max_ulp;
    if (c->m.resid_bound_ratio > v->max_resid_ratio)
        v->max_resid_ratio = c->m.resid_bound_ratio;
    if (!ok)
        record_failure(r, index, message);
    return SB_OK;
}

/* The f32 output stored in a 16-bit format: no kernel run, no contract, only the storage's effect. */
static sb_status stored_cell(sb_stability_result *r, const sb_stability_row *row, size_t ki, sb_stability_precision prec,
                             const float *y32, float *stored, const sb_stability_exact *e)
{
    sb_format f = sb_stability_precision_output_format(prec);
    for (size_t i = 0; i < row->spec.n; i++)
        stored[i] = sb_format_round(y32[i], f);
    sb_stability_cell *c = start_cell(r, row, ki, prec, e);
    if (!c)
        return SB_ENOMEM;
    c->kernel_max_ulp = NAN;
    sb_stability_measure(stored, e, f, -1.0, &c->m);
    return SB_OK;
}

static sb_status eval_row(sb_stability_result *r, const sb_stability_row *row, row_buffers *b)
{
    size_t n = row->spec.n;
    if (!buffers_reserve(b, n))
        return SB_ENOMEM;
    sb_softmax_params p;
    sb_oracle want = {0};
    want.y = b->cr;
    want.exact = b->exact;
    want.sink_index = sb_row_generate(&row->spec, row->seed, b->x, &p);
    if (sb_oracle_softmax(b->x, n, &p, &want, 0) != SB_OK)
        return SB_ENOMEM;

    /* The values of the attention output: the same for every kernel and precision of this row. A sink
     * token's value is kappa times smaller, as in trained models (docs/stability.md). */
    sb_rng rng;
    sb_rng_seed(&rng, row->seed ^ 0x76616c7565735f76ull);
    for (size_t i = 0; i < n; i++)
        b->v[i] = (float)sb_rng_normal(&rng);
    if (want.sink_index < n)
        b->v[want.sink_index] = (float)(r->value_scale * (double)b->v[want.sink_index]);
    sb_stability_exact e = {n, want.sink_index, p.sink == SB_SINK_LOGIT, b->cr, b->exact, b->v, want.sink_p,
                       want.residual, 0, 0, 0};
    sb_stability_exact_attention(&e);

    /* The rounded-input rows, each with its own oracle: the contract judges a kernel on the row it was
     * given; the metrics compare with the original row. */
    sb_softmax_params pr[NROUNDED];
    sb_oracle wr[NROUNDED];
    for (int j = 0; j < NROUNDED; j++) {
        sb_format f = sb_stability_precision_input_format(rounded_prec[j]);
        for (size_t i = 0; i < n; i++)
            b->xr[j][i] = sb_format_round(b->x[i], f);
        pr[j] = p;
        pr[j].sink_logit = sb_format_round(p.sink_logit, f);
        memset(&wr[j], 0, sizeof wr[j]);
        wr[j].y = b->crr[j];
        wr[j].exact = b->exr[j];
        wr[j].sink_index = want.sink_index;
        if (sb_oracle_softmax(b->xr[j], n, &pr[j], &wr[j], 0) != SB_OK)
            return SB_ENOMEM;
    }

    for (size_t ki = 0; ki < r->kernel_count; ki++) {
        sb_status st = run_kernel(r, row, ki, SB_STABILITY_PREC_F32, b->x, &p, &want, &e, b->y32);
        for (int j = 0; j < NROUNDED && st == SB_OK; j++)
            st = run_kernel(r, row, ki, rounded_prec[j], b->xr[j], &pr[j], &wr[j], &e, b->y);
        if (st == SB_OK)
            st = stored_cell(r, row, ki, SB_STABILITY_PREC_F16_OUT, b->y32, b->stored, &e);
        if (st == SB_OK)
            st = stored_cell(r, row, ki, SB_STABILITY_PREC_BF16_OUT, b->y32, b->stored, &e);
        if (st != SB_OK)
            return st;
    }
    return SB_OK;
}

/* One row as a batch of one: the batched entry point under the same checker as every kernel (guards,
 * in place, the contract). The row API's argument rules come first, as the descriptor cannot express
 * a partial overlap or a NULL with n > 0 differently. */
static sb_status batch_row(const float *x, float *y, size_t n, const sb_softmax_params *p)
{
    sb_status st = sb_softmax_check_args(x, y, n, p);
    if (st != SB_OK || n == 0)
        return st;
    sb_softmax_batch_desc d;
    sb_softmax_batch_desc_init(&d, 1, n);
    d.x = x;
    d.y = y;
    if (p && p->sink == SB_SINK_LOGIT) {
        d.sink = SB_SOFTMAX_BATCH_SINK_LOGITS;
        d.sink_logits = &p->sink_logit;
    }
    d.n_threads = sb_cpu()->emulated ? 1 : 2; /* qemu-user hangs in pthread_create */
    return sb_softmax_batch(&d);
}

static int batch_runs(void) { return sb_softmax_batch_dispatch() != NULL; }

static const sb_softmax_kernel batch_kernel = {SB_STABILITY_BATCH_KERNEL, "dispatch", "batched", batch_runs, batch_row,
                                               2.0, 0};

const sb_softmax_kernel *sb_stability_kernel_find(const char *name)
{
    if (name && strcmp(name, SB_STABILITY_BATCH_KERNEL) == 0)
        return &batch_kernel;
    return sb_softmax_kernel_find(name);
}

static sb_status select_kernels(const sb_stability_sweep_options *o, sb_stability_result *r)
{
    size_t total = sb_softmax_kernel_count() + 1;
    r->kernels = calloc(total, sizeof *r->kernels);
    if (!r->kernels)
        return SB_ENOMEM;
    if (o->kernels) {
        for (size_t i = 0; i < o->kernel_count; i++) {
            const sb_softmax_kernel *k = sb_stability_kernel_find(o->kernels[i]);
            if (!k || !k->supported())
                return SB_EINVAL;
            int dup = 0;
            for (size_t j = 0; j < r->kernel_count; j++)
                dup |= r->kernels[j] == k;
            if (!dup)
                r->kernels[r->kernel_count++] = k;
        }
        return SB_OK;
    }
    for (size_t i = 0; i + 1 < total; i++) {
        const sb_softmax_kernel *k = sb_softmax_kernel_at(i);
        if (k->supported() && (o->include_emulated || !(k->flags & SB_KERNEL_EMULATED)))
            r->kernels[r->kernel_count++] = k;
    }
    if (batch_kernel.supported())
        r->kernels[r->kernel_count++] = &batch_kernel;
    return SB_OK;
}

sb_status sb_stability_sweep(const sb_stability_sweep_options *o, sb_stability_result *r)
{
    memset(r, 0, sizeof *r);
    r->preset = o->preset;
    r->seed = o->seed;
    r->value_scale = o->value_scale > 0 ? o->value_scale : SB_STABILITY_VALUE_SCALE;
    sb_status st = select_kernels(o, r);
    if (st != SB_OK)
        return st;
    r->verdicts = calloc((r->kernel_count ? r->kernel_count : 1) * SB_STABILITY_PREC_COUNT, sizeof *r->verdicts);
    if (!r->verdicts)
        return SB_ENOMEM;
    for (size_t i = 0; i < r->kernel_count * SB_STABILITY_PREC_COUNT; i++)
        r->verdicts[i].first = SIZE_MAX;

    sb_stability_row *rows = NULL;
    st = sb_stability_plan(o->preset, o->seed, o->blocks_mask, &rows, &r->rows);
    if (st != SB_OK)
        return st;
    double work = 0.0, done = 0.0;
    for (size_t i = 0; i < r->rows; i++)
        work += (double)rows[i].spec.n;
    row_buffers b;
    memset(&b, 0, sizeof b);
    for (size_t i = 0; i < r->rows && st == SB_OK; i++) {
        st = eval_row(r, &rows[i], &b);
        done += (double)rows[i].spec.n;
        if (o->progress)
            o->progress(i + 1, r->rows, work > 0 ? done / work : 1.0, o->progress_ctx);
    }
    buffers_free(&b);
    free(rows);
    return st;
}

void sb_stability_result_free(sb_stability_result *r)
{
    free(r->kernels);
    free(r->cells);
    free(r->verdicts);
    memset(r, 0, sizeof *r);
}

int sb_stability_failed(const sb_stability_result *r)
{
    for (size_t k = 0; k < r->kernel_count; k++) {
        if (r->kernels[k]->ulp_bound < 0)
            continue;
        for (int p = 0; p < SB_STABILITY_PREC_COUNT; p++)
            if (sb_stability_verdict_of(r, k, (sb_stability_precision)p)->failures)
                return 1;
    }
    return 0;
}

const sb_softmax_kernel *sb_stability_focus_kernel(const sb_stability_result *r, size_t *index)
{
    const sb_softmax_kernel *d = sb_softmax_dispatch(4096);
    for (size_t k = 0; k < r->kernel_count; k++)
        if (r->kernels[k] == d) {
            *index = k;
            return d;
        }
    *index = 0;
    return r->kernel_count ? r->kernels[0] : NULL;
}
