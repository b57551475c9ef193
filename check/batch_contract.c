#include "check/batch_contract.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check/fpenv.h"
#include "check/guarded.h"
#include "check/oracle.h"
#include "check/ulp.h"

static const uint32_t CANARY_BITS = 0x4b5a5a5au; /* padding between output rows: must stay */

static void reset(sb_batch_contract_result *r)
{
    memset(r, 0, sizeof *r);
    r->row = r->index = SIZE_MAX;
}

static int fail(sb_batch_contract_result *r, const char *kernel, const char *rule, size_t row, size_t index,
                const char *fmt, ...)
{
    if (r->rule)
        return 0; /* keep the first */
    r->rule = rule;
    r->row = row;
    r->index = index;
    char detail[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    if (row != SIZE_MAX && index != SIZE_MAX)
        snprintf(r->message, sizeof r->message, "%s: row %zu index %zu: %s [%s]", kernel, row, index, detail, rule);
    else if (row != SIZE_MAX)
        snprintf(r->message, sizeof r->message, "%s: row %zu: %s [%s]", kernel, row, detail, rule);
    else
        snprintf(r->message, sizeof r->message, "%s: %s [%s]", kernel, detail, rule);
    return 0;
}



/* Whether entry i of a span of rows with this stride lies in a row. */
static int in_row(size_t i, size_t rows, size_t stride, size_t n)
{
    if (rows <= 1 || stride == 0)
        return i < n;
    return i % stride < n;
}

static int same_bits(float a, float b) { return (isnan(a) && isnan(b)) || memcmp(&a, &b, sizeof a) == 0; }

/* Copies of the inputs, to tell whether a call changed them. */
typedef struct inputs {
    size_t x_bytes, mask_bytes, sink_bytes;
    void *x, *mask, *sinks;
} inputs;

static size_t mask_used_rows(const sb_softmax_batch_desc *d)
{
    size_t g = d->rows ? (d->rows - 1) / d->rows_per_mask_row + 1 : 0;
    return g < d->mask_rows ? g : d->mask_rows;
}

static int inputs_save(inputs *in, const sb_batch_problem *p)
{
    const sb_softmax_batch_desc *d = &p->d;
    memset(in, 0, sizeof *in);
    in->x_bytes = p->x_span * sizeof(float);
    if (d->mask_type != SB_SOFTMAX_MASK_NONE)
        in->mask_bytes = sb_batch_span(mask_used_rows(d), d->mask_stride, d->n) *
                         (d->mask_type == SB_SOFTMAX_MASK_F16 ? 2 : 4);
    if (d->sink == SB_SOFTMAX_BATCH_SINK_LOGITS)
        in->sink_bytes = d->n_heads * sizeof(float);
    in->x = malloc(in->x_bytes + 1);
    in->mask = malloc(in->mask_bytes + 1);
    in->sinks = malloc(in->sink_bytes + 1);
    if (!in->x || !in->mask || !in->sinks)
        return 0;
    memcpy(in->x, d->x, in->x_bytes);
    if (in->mask_bytes)
        memcpy(in->mask, d->mask, in->mask_bytes);
    if (in->sink_bytes)
        memcpy(in->sinks, d->sink_logits, in->sink_bytes);
    return 1;
}

static int inputs_same(const inputs *in, const sb_batch_problem *p)
{
    const sb_softmax_batch_desc *d = &p->d;
    return memcmp(in->x, d->x, in->x_bytes) == 0 && (!in->mask_bytes || memcmp(in->mask, d->mask, in->mask_bytes) == 0) &&
           (!in->sink_bytes || memcmp(in->sinks, d->sink_logits, in->sink_bytes) == 0);
}

static void inputs_free(inputs *in)
{
    free(in->x);
    free(in->mask);
    free(in->sinks);
}

/* One call of k on d with a fresh guarded output (canaries in the padding); checks status, guards,
 * padding, inputs and the FP control state. g receives the output buffer (the caller frees it: sb_guarded_free). */
static int run_once(const sb_softmax_batch_kernel *k, const sb_batch_problem *p, size_t threads, const inputs *in,
                    sb_guarded *g, sb_batch_contract_result *r)
{
    sb_softmax_batch_desc d = p->d;
    if (!sb_guarded_alloc(g, p->y_span, p->misalign, CANARY_BITS))
        return fail(r, k->name, "status", SIZE_MAX, SIZE_MAX, "out of memory in the checker");
    d.y = g->data;
    d.n_threads = threads;
    unsigned long before = sb_fp_control();
    sb_status st = k->fn(&d);
    unsigned long after = sb_fp_control();
    if (st != SB_OK)
        return fail(r, k->name, "status", SIZE_MAX, SIZE_MAX, "returned %s for a valid descriptor (%zu threads)",
                    sb_status_str(st), threads);
    if (after != before)
        return fail(r, k->name, "fp-control-changed", SIZE_MAX, SIZE_MAX, "FP control word 0x%lx -> 0x%lx", before,
                    after);
    if (!sb_guarded_intact(g))
        return fail(r, k->name, "out-of-bounds-write", SIZE_MAX, SIZE_MAX, "wrote outside the output span");
    for (size_t i = 0; i < p->y_span; i++) {
        uint32_t u;
        memcpy(&u, &g->data[i], sizeof u);
        if (!in_row(i, d.rows, d.y_stride, d.n) && u != CANARY_BITS)
            return fail(r, k->name, "padding-written", i / (d.y_stride ? d.y_stride : 1), SIZE_MAX,
                        "wrote the padding between output rows (offset %zu, stride %zu)", i, d.y_stride);
    }
    if (!inputs_same(in, p))
        return fail(r, k->name, "input-modified", SIZE_MAX, SIZE_MAX, "changed its logits, mask or sink logits");
    return 1;
}

static int compare_outputs(const sb_softmax_batch_kernel *k, const sb_softmax_batch_desc *d, const float *a,
                           size_t a_stride, const float *b, size_t b_stride, const char *rule, const char *what,
                           sb_batch_contract_result *r)
{
    for (size_t row = 0; row < d->rows; row++)
        for (size_t j = 0; j < d->n; j++) {
            float u = a[row * a_stride + j], v = b[row * b_stride + j];
            if (!same_bits(u, v))
                return fail(r, k->name, rule, row, j, "%s: got %a want %a", what, (double)u, (double)v);
        }
    return 1;
}

int sb_contract_batch_run(const sb_softmax_batch_kernel *k, const sb_batch_problem *p, const sb_batch_run_options *o,
                          sb_batch_contract_result *r, float *out)
{
    reset(r);
    static const sb_batch_run_options none = {NULL, 0, 0, 0};
    if (!o)
        o = &none;
    const sb_softmax_batch_desc *d = &p->d;
    inputs in;
    sb_guarded first = {0}, again = {0};
    float *t = NULL, *want = NULL, *z = NULL;
    double *exact = NULL;
    if (!inputs_save(&in, p)) {
        fail(r, k->name, "status", SIZE_MAX, SIZE_MAX, "out of memory in the checker");
        goto done;
    }
    if (!run_once(k, p, d->n_threads, &in, &first, r))
        goto done;
    if (out && p->y_span)
        memcpy(out, first.data, p->y_span * sizeof(float));

    /* row by row: the softmax contract on the row the descriptor defines, and the row kernel */
    size_t n = d->n;
    t = malloc((n ? n : 1) * sizeof *t);
    want = malloc((n ? n : 1) * sizeof *want);
    z = malloc((n ? n : 1) * sizeof *z);
    exact = malloc((n ? n : 1) * sizeof *exact);
    if (!t || !want || !z || !exact) {
        fail(r, k->name, "status", SIZE_MAX, SIZE_MAX, "out of memory in the checker");
        goto done;
    }
    const sb_softmax_kernel *rk = k->row_kernel ? k->row_kernel(n) : NULL;
    /* the rows judged as a softmax kernel with the batched kernel's name and bound */
    sb_softmax_kernel as_row = {k->name, k->isa, k->algorithm, k->supported, NULL, k->ulp_bound, k->flags};
    for (size_t row = 0; row < d->rows && n; row++) {
        sb_softmax_params prm;
        sb_softmax_batch_row(d, row, t, &prm);
        const float *y = first.data + row * d->y_stride;
        if (!o->skip_oracle) {
            sb_oracle orc;
            memset(&orc, 0, sizeof orc);
            orc.y = want;
            orc.exact = exact;
            orc.sink_index = SIZE_MAX;
            if (sb_oracle_softmax(t, n, &prm, &orc, 0) != SB_OK) {
                fail(r, k->name, "oracle", row, SIZE_MAX, "the oracle ran out of memory");
                goto done;
            }
            sb_contract_result cr;
            memset(&cr, 0, sizeof cr);
            cr.index = cr.max_ulp_index = SIZE_MAX;
            int ok = sb_contract_compare(&as_row, t, n, &prm, y, &orc, &cr);
            if (cr.max_ulp > r->max_ulp)
                r->max_ulp = cr.max_ulp;
            r->sum_ulp_error += cr.sum_ulp_error;
            r->compared += cr.compared;
            if (!ok)
                fail(r, k->name, sb_violation_name(cr.violation), row, cr.index, "%s", cr.message);
        }
        if (rk && !r->rule) {
            sb_status st = rk->fn(t, z, n, &prm);
            for (size_t j = 0; j < n && st == SB_OK; j++)
                if (!same_bits(y[j], z[j])) {
                    fail(r, k->name, "row-kernel", row, j, "got %a, %s on the same row gives %a", (double)y[j],
                         rk->name, (double)z[j]);
                    break;
                }
        }
        r->rows++;
    }
    if (r->rule)
        goto done;

    /* every other thread count: the same bits */
    for (size_t i = 0; i < o->thread_count; i++) {
        sb_guarded_free(&again);
        if (!run_once(k, p, o->threads[i], &in, &again, r))
            goto done;
        char what[64];
        snprintf(what, sizeof what, "%zu threads against %zu", o->threads[i], d->n_threads);
        if (!compare_outputs(k, d, again.data, d->y_stride, first.data, d->y_stride, "threads", what, r))
            goto done;
    }

    /* in place: y == x with x's stride, the same bits as out of place, x's padding untouched */
    if (o->in_place && p->in_place && d->rows && n) {
        sb_guarded io;
        if (!sb_guarded_alloc(&io, p->x_span, p->misalign, CANARY_BITS)) {
            fail(r, k->name, "status", SIZE_MAX, SIZE_MAX, "out of memory in the checker");
            goto done;
        }
        memcpy(io.data, d->x, p->x_span * sizeof(float));
        sb_softmax_batch_desc dd = *d;
        dd.x = dd.y = io.data;
        dd.y_stride = dd.x_stride;
        sb_status st = k->fn(&dd);
        if (st != SB_OK)
            fail(r, k->name, "status", SIZE_MAX, SIZE_MAX, "returned %s in place", sb_status_str(st));
        else if (!sb_guarded_intact(&io))
            fail(r, k->name, "out-of-bounds-write", SIZE_MAX, SIZE_MAX, "wrote outside the rows in place");
        else {
            for (size_t i = 0; i < p->x_span && !r->rule; i++)
                if (!in_row(i, d->rows, d->x_stride, n) && memcmp(&io.data[i], &d->x[i], sizeof(float)) != 0)
                    fail(r, k->name, "padding-written", SIZE_MAX, SIZE_MAX, "wrote between the rows in place");
            if (!r->rule)
                compare_outputs(k, d, io.data, d->x_stride, first.data, d->y_stride, "in-place", "in place", r);
        }
        sb_guarded_free(&io);
    }

done:
    inputs_free(&in);
    sb_guarded_free(&first);
    sb_guarded_free(&again);
    free(t);
    free(want);
    free(z);
    free(exact);
    return r->rule == NULL;
}

int sb_contract_batch_check_api(const sb_softmax_batch_kernel *k, sb_batch_contract_result *r)
{
    reset(r);
    enum { N = 8, ROWS = 3 };
    _Alignas(16) float x[ROWS * N + 4], y[ROWS * N + 4], mask[N + 2], sinks[4];
    _Alignas(16) uint16_t mask16[N + 2];
    for (int i = 0; i < ROWS * N + 4; i++)
        x[i] = (float)(i % 11) * 0.5f;
    for (int i = 0; i < N + 2; i++) {
        mask[i] = 0.0f;
        mask16[i] = 0;
    }
    for (int i = 0; i < 4; i++)
        sinks[i] = 1.0f;
    const float canary = 12345.0f;
    sb_softmax_batch_desc good;
    sb_softmax_batch_desc_init(&good, ROWS, N);
    good.x = x;
    good.y = y;

    typedef struct bad {
        const char *what;
        sb_softmax_batch_desc d;
        int null_desc;
        sb_status expect;
    } bad;
    bad cases[40];
    size_t nc = 0;
#define CASE(text, expr, want)                    \
    do {                                          \
        bad *c_ = &cases[nc++];                   \
        c_->what = text;                          \
        c_->d = good;                             \
        c_->null_desc = 0;                        \
        c_->expect = want;                        \
        sb_softmax_batch_desc *d = &c_->d;        \
        (void)d;                                  \
        expr;                                     \
    } while (0)
    CASE("NULL descriptor", cases[nc - 1].null_desc = 1, SB_EINVAL);
    CASE("rows == 0 with NULL pointers", (d->rows = 0, d->x = NULL, d->y = NULL), SB_OK);
    CASE("n == 0 with NULL pointers", (d->n = 0, d->x = NULL, d->y = NULL), SB_OK);
    CASE("NULL x", d->x = NULL, SB_EINVAL);
    CASE("NULL y", d->y = NULL, SB_EINVAL);
    CASE("x not aligned to a float", d->x = (const float *)(const void *)((const char *)x + 1), SB_EINVAL);
    CASE("y not aligned to a float", d->y = (float *)(void *)((char *)y + 2), SB_EINVAL);
    CASE("rows above the limit", d->rows = SB_SOFTMAX_BATCH_MAX_ROWS + 1, SB_EINVAL);
    CASE("n above the limit", d->n = SB_SOFTMAX_MAX_N + 1, SB_EINVAL);
    CASE("threads above the limit", d->n_threads = SB_SOFTMAX_BATCH_MAX_THREADS + 1, SB_EINVAL);
    CASE("NaN scale", d->scale = NAN, SB_EINVAL);
    CASE("infinite scale", d->scale = -INFINITY, SB_EINVAL);
    CASE("unknown mask type", d->mask_type = (sb_softmax_mask_type)7, SB_EINVAL);
    CASE("unknown sink kind", d->sink = (sb_softmax_batch_sink)9, SB_EINVAL);
    CASE("output rows overlapping (y_stride < n)", d->y_stride = N - 1, SB_EINVAL);
    CASE("y overlapping x one float ahead", (d->x = x, d->y = x + 1, d->x_stride = d->y_stride = N), SB_EINVAL);
    CASE("in place with different strides", (d->y = x, d->rows = 2, d->x_stride = N, d->y_stride = N + 1), SB_EINVAL);
    CASE("x broadcast into y overlapping it", (d->x_stride = 0, d->y = x + 2, d->rows = 2), SB_EINVAL);
    CASE("span past the address space", (d->x_stride = SIZE_MAX / 2), SB_EINVAL);
    CASE("NULL mask", (d->mask_type = SB_SOFTMAX_MASK_F32, d->mask = NULL), SB_EINVAL);
    CASE("mask_rows == 0", (d->mask_type = SB_SOFTMAX_MASK_F32, d->mask = mask, d->mask_rows = 0), SB_EINVAL);
    CASE("rows_per_mask_row == 0", (d->mask_type = SB_SOFTMAX_MASK_F16, d->mask = mask16, d->rows_per_mask_row = 0),
         SB_EINVAL);
    CASE("f16 mask not aligned", (d->mask_type = SB_SOFTMAX_MASK_F16, d->mask = (const char *)mask16 + 1), SB_EINVAL);
    CASE("mask overlapping y", (d->mask_type = SB_SOFTMAX_MASK_F32, d->mask = y + N, d->mask_stride = 0), SB_EINVAL);
    CASE("NULL sink logits", (d->sink = SB_SOFTMAX_BATCH_SINK_LOGITS, d->sink_logits = NULL), SB_EINVAL);
    CASE("n_heads == 0", (d->sink = SB_SOFTMAX_BATCH_SINK_LOGITS, d->sink_logits = sinks, d->n_heads = 0), SB_EINVAL);
    CASE("rows_per_head == 0", (d->sink = SB_SOFTMAX_BATCH_SINK_LOGITS, d->sink_logits = sinks, d->rows_per_head = 0),
         SB_EINVAL);
    CASE("sink logits overlapping y",
         (d->sink = SB_SOFTMAX_BATCH_SINK_LOGITS, d->sink_logits = y + 5, d->n_heads = 2), SB_EINVAL);
#undef CASE
    for (size_t c = 0; c < nc; c++) {
        for (int i = 0; i < ROWS * N + 4; i++)
            y[i] = canary;
        float xs[ROWS * N + 4];
        memcpy(xs, x, sizeof x);
        sb_status st = k->fn(cases[c].null_desc ? NULL : &cases[c].d);
        if (st != cases[c].expect)
            return fail(r, k->name, "status", SIZE_MAX, SIZE_MAX, "%s: returned %s, want %s", cases[c].what,
                        sb_status_str(st), sb_status_str(cases[c].expect));
        for (int i = 0; i < ROWS * N + 4; i++)
            if (y[i] != canary)
                return fail(r, k->name, "out-of-bounds-write", SIZE_MAX, (size_t)i, "%s: wrote to y", cases[c].what);
        if (memcmp(xs, x, sizeof x) != 0)
            return fail(r, k->name, "input-modified", SIZE_MAX, SIZE_MAX, "%s: changed x", cases[c].what);
    }
    return 1;
}
