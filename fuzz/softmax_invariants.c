/* softmax_invariants: relations between a kernel's outputs on related rows, without the oracle, so
 * they hold a kernel to the contract even where the oracle itself could be wrong. For every supported
 * contract kernel k with claimed bound b (study kernels claim nothing and are skipped), on the row x:
 *
 *   api        the contract checker's rules on a guarded, misaligned call: status, guard zones,
 *              untouched input, FP control, NaN/exact-zero rules, outputs in [0, 1], and in place
 *              equal to out of place bit for bit;
 *   sum        rows without a learned sink sum to 1: |sum y - 1| <= (b+1) 2^-23 + n_small (b+1) 2^-149
 *              + n 2^-53, the residual-mass formula of docs/numerics.md with R = 1 (see docs/fuzzing.md
 *              for why b+1 and not b, and for n_small);
 *   order      x_i <= x_j  =>  y_i <= y_j + 2b ulp (the correctly rounded result is monotone; each side
 *              may be off by b);
 *   sink-token a learned sink s gives the same outputs as the row with s inserted as a token (at
 *              aux % (n+1)), within 2b; the token form's outputs also sum to 1;
 *   shift      adding c to every logit and to the sink, for a c with every x_i + c exact in binary32
 *              (the header's shift, else a multiple of the row's finest granule), changes nothing
 *              beyond 2b;
 *   split-merge the row cut into 1 + split % 8 chunks, each run by k without a sink, merged from the
 *              chunks' (max, 1/p_max) pairs with the sink added once, in binary64: within 7b + 9.
 *
 * Each relation is judged by the contract checker (sb_fuzz_relation), with k's output on x as the
 * reference and the relation's bound; docs/fuzzing.md derives the bounds. */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"
#include "check/ulp.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    sb_fuzz_init("softmax_invariants");
    return 0;
}

#define CAP (SB_FUZZ_LONG_MAX_N + 1)
static float y0[CAP], y1[CAP], y2[CAP], x2[CAP];

static _Noreturn void relation_failed(const sb_fuzz_row *row, const sb_softmax_kernel *k, const char *relation,
                                      const sb_contract_result *r)
{
    char rule[96];
    snprintf(rule, sizeof rule, "%s:%s", relation, sb_violation_name(r->violation));
    sb_fuzz_violation(row, k->name, rule, r->index, r->message);
}

static void run(const sb_fuzz_row *row, const sb_softmax_kernel *k, const char *relation, const float *x,
                float *y, size_t n, const sb_softmax_params *p)
{
    sb_status st = k->fn(x, y, n, p);
    if (st != SB_OK) {
        char detail[160];
        snprintf(detail, sizeof detail, "returned %s for a valid row (n=%zu)", sb_status_str(st), n);
        char rule[96];
        snprintf(rule, sizeof rule, "%s:status", relation);
        sb_fuzz_violation(row, k->name, rule, SIZE_MAX, detail);
    }
}

static int has_learned_sink(const sb_softmax_params *p)
{
    return p->sink == SB_SINK_LOGIT && p->sink_logit != -INFINITY;
}

/* Rows whose exact outputs sum to 1 (finite rows without a learned sink): the residual-mass bound
 * with R = 1. Entries whose exact value is subnormal get an absolute allowance; they all have outputs
 * below 2^-125 (for any b < 2^23), so counting those outputs over-counts them safely. */
static void check_sum(const sb_fuzz_row *row, const sb_softmax_kernel *k, const char *relation, const float *y,
                      size_t n)
{
    double sum = 0.0, b1 = k->ulp_bound + 1.0;
    size_t small = 0;
    for (size_t i = 0; i < n; i++) {
        sum += y[i];
        small += y[i] < 0x1p-125f;
    }
    double tol = b1 * 0x1p-23 + (double)small * b1 * 0x1p-149 + (double)n * 0x1p-53;
    if (fabs(sum - 1.0) > tol) {
        char detail[256];
        snprintf(detail, sizeof detail, "%s: outputs sum to %.17g, |sum - 1| = %.3g > %.3g (bound %g ulp, %zu entries "
                 "below 2^-125)", k->name, sum, fabs(sum - 1.0), tol, k->ulp_bound, small);
        sb_fuzz_violation(row, k->name, relation, SIZE_MAX, detail);
    }
}

static const float *sort_keys;
static int by_key(const void *a, const void *b)
{
    float u = sort_keys[*(const size_t *)a], v = sort_keys[*(const size_t *)b];
    return (u > v) - (u < v);
}

/* x_i <= x_j => y_i <= y_j + 2b ulp, in O(n log n): walk x in increasing order, keeping the largest
 * output seen so far (ties in x count both ways). */
static void check_order(const sb_fuzz_row *row, const sb_softmax_kernel *k, const float *y)
{
    static size_t idx[CAP];
    size_t n = row->n;
    for (size_t i = 0; i < n; i++)
        idx[i] = i;
    sort_keys = row->x;
    qsort(idx, n, sizeof idx[0], by_key);
    uint64_t bound = 2 * (uint64_t)k->ulp_bound;
    float best = -1.0f;
    size_t best_i = SIZE_MAX;
    for (size_t g = 0; g < n;) {
        size_t e = g;
        while (e < n && row->x[idx[e]] == row->x[idx[g]])
            e++;
        for (size_t j = g; j < e; j++)
            if (y[idx[j]] > best) {
                best = y[idx[j]];
                best_i = idx[j];
            }
        for (size_t j = g; j < e; j++) {
            size_t i = idx[j];
            if (best > y[i] && sb_ulp_distance(best, y[i]) > bound) {
                char detail[320];
                snprintf(detail, sizeof detail, "%s: x[%zu]=%a <= x[%zu]=%a but y[%zu]=%a is %llu ulp above "
                         "y[%zu]=%a (allowed 2b = %llu)", k->name, best_i, (double)row->x[best_i], i,
                         (double)row->x[i], best_i, (double)best, (unsigned long long)sb_ulp_distance(best, y[i]),
                         i, (double)y[i], (unsigned long long)bound);
                sb_fuzz_violation(row, k->name, "order", i, detail);
            }
        }
        g = e;
    }
}

/* A learned sink s is the same as a token with logit s in the row (docs/numerics.md), except that a
 * +inf sink takes all mass even from +inf entries, which a +inf token shares. */
static void check_sink_token(const sb_fuzz_row *row, const sb_softmax_kernel *k, const float *y, sb_row_class c)
{
    size_t n = row->n;
    float s = row->params.sink_logit;
    if (row->params.sink != SB_SINK_LOGIT || isnan(s) || n + 1 > CAP)
        return;
    for (size_t i = 0; s == INFINITY && i < n; i++)
        if (row->x[i] == INFINITY)
            return;
    size_t t = row->h.aux % (n + 1);
    memcpy(x2, row->x, t * sizeof *x2);
    x2[t] = s;
    memcpy(x2 + t + 1, row->x + t, (n - t) * sizeof *x2);
    sb_softmax_params none = {SB_SINK_NONE, 0.0f};
    run(row, k, "sink-token", x2, y1, n + 1, &none);
    memcpy(y2, y1, t * sizeof *y2);
    memcpy(y2 + t, y1 + t + 1, (n - t) * sizeof *y2);
    sb_contract_result r;
    if (!sb_fuzz_relation(k, "sink-token", 2 * k->ulp_bound, row->x, n, &row->params, y, y2, &r))
        relation_failed(row, k, "sink-token", &r);
    if (c == SB_ROW_FINITE && sb_oracle_classify(x2, n + 1, &none) == SB_ROW_FINITE)
        check_sum(row, k, "sum-with-token", y1, n + 1);
}

/* a + c in binary32 without rounding? */
static int exact_sum(float a, float c, float *out)
{
    double s = (double)a + c, bb = s - a;
    double err = (a - (s - bb)) + (c - bb); /* TwoSum: the rounding error of s */
    float f = (float)s;
    if (err != 0.0 || !isfinite(f) || (double)f != s)
        return 0;
    *out = f;
    return 1;
}

static int shift_row(const sb_fuzz_row *row, float c, float *xs, sb_softmax_params *ps)
{
    for (size_t i = 0; i < row->n; i++)
        if (!isfinite(row->x[i]))
            xs[i] = row->x[i];
        else if (!exact_sum(row->x[i], c, &xs[i]))
            return 0;
    *ps = row->params;
    return ps->sink != SB_SINK_LOGIT || !isfinite(ps->sink_logit) || exact_sum(ps->sink_logit, c, &ps->sink_logit);
}

/* The value of the lowest set bit of a finite non-zero binary32 value. */
static double granule(float f)
{
    int e;
    double m = frexp(f, &e);
    uint32_t bits = (uint32_t)(fabs(m) * 0x1p24);
    while (!(bits & 1u)) {
        bits >>= 1;
        e++;
    }
    return ldexp(1.0, e - 24);
}

/* The shift: the header's if exact, else K * q with q the finest granule of the row, which keeps every
 * x_i + c an integer multiple of q below 2^24 q (exact). 0 when the row spans too many binades. */
static float pick_shift(const sb_fuzz_row *row, float *xs, sb_softmax_params *ps)
{
    float c0 = row->h.shift;
    if (isfinite(c0) && c0 != 0.0f && shift_row(row, c0, xs, ps))
        return c0;
    double q = INFINITY, big = 0.0;
    for (size_t i = 0; i <= row->n; i++) {
        float v = i < row->n ? row->x[i] : (row->params.sink == SB_SINK_LOGIT ? row->params.sink_logit : 0.0f);
        if (!isfinite(v) || v == 0.0f)
            continue;
        double g = granule(v);
        q = g < q ? g : q;
        big = fabs(v) > big ? fabs(v) : big;
    }
    if (q == INFINITY)
        q = 1.0;
    double limit = floor((0x1p24 * q - big) / q) - 1.0;
    if (limit < 1.0)
        return 0.0f;
    double want = isfinite(c0) ? nearbyint(c0 / q) : 1.0;
    want = want > limit ? limit : (want < -limit ? -limit : want);
    if (want == 0.0)
        want = 1.0;
    float c = (float)(want * q);
    return shift_row(row, c, xs, ps) ? c : 0.0f;
}

static void check_shift(const sb_fuzz_row *row, const sb_softmax_kernel *k, const float *y)
{
    sb_softmax_params ps;
    float c = pick_shift(row, x2, &ps);
    if (c == 0.0f)
        return;
    run(row, k, "shift", x2, y1, row->n, &ps);
    sb_contract_result r;
    if (!sb_fuzz_relation(k, "shift", 2 * k->ulp_bound, x2, row->n, &ps, y1, y, &r)) {
        sb_contract_result with_c = r;
        snprintf(with_c.message, sizeof with_c.message, "%.300s (shift c=%a)", r.message, (double)c);
        relation_failed(row, k, "shift", &with_c);
    }
}

/* Split-KV in miniature: each chunk's softmax without the sink gives p = 1/S_c at its largest logit
 * m_c; the merge weights chunk c by exp(m_c - M) / (p_c D), D = sum_c exp(m_c - M) / p_c + exp(s - M),
 * adding the sink exactly once. */
static void check_split_merge(const sb_fuzz_row *row, const sb_softmax_kernel *k, const float *y)
{
    size_t n = row->n, chunks = 1 + row->h.split % 8;
    if (n == 0)
        return;
    if (chunks > n)
        chunks = n;
    size_t len = (n + chunks - 1) / chunks;
    float s = row->params.sink == SB_SINK_LOGIT ? row->params.sink_logit : -INFINITY;
    double big_m = s, weight[8], denom = 0.0;
    float m[8];
    for (size_t c = 0; c * len < n; c++) {
        size_t a = c * len, e = a + len < n ? a + len : n, arg = a;
        m[c] = -INFINITY;
        for (size_t i = a; i < e; i++)
            if (row->x[i] > m[c]) {
                m[c] = row->x[i];
                arg = i;
            }
        big_m = m[c] > big_m ? m[c] : big_m;
        run(row, k, "split-merge", row->x + a, y1 + a, e - a, NULL);
        weight[c] = 0.0;
        if (m[c] == -INFINITY)
            continue;
        float p = y1[arg];
        if (!(p > 0.0f && p <= 1.0f)) {
            char detail[200];
            snprintf(detail, sizeof detail, "chunk [%zu, %zu) without sink: output %a at its largest logit %a",
                     a, e, (double)p, (double)m[c]);
            sb_fuzz_violation(row, k->name, "split-merge:chunk", arg, detail);
        }
        weight[c] = 1.0 / p;
    }
    for (size_t c = 0; c * len < n; c++)
        if (m[c] != -INFINITY) {
            weight[c] *= exp((double)m[c] - big_m);
            denom += weight[c];
        }
    if (s != -INFINITY)
        denom += exp((double)s - big_m);
    for (size_t c = 0; c * len < n; c++) {
        size_t a = c * len, e = a + len < n ? a + len : n;
        for (size_t i = a; i < e; i++)
            y2[i] = (float)((double)y1[i] * (weight[c] / denom));
    }
    sb_contract_result r;
    if (!sb_fuzz_relation(k, "split-merge", 7 * k->ulp_bound + 9, row->x, n, &row->params, y2, y, &r))
        relation_failed(row, k, "split-merge", &r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static float x[SB_FUZZ_LONG_MAX_N];
    sb_fuzz_row row;
    sb_fuzz_decode_row(data, size, x, &row);
    size_t count = sb_softmax_kernel_count();
    const sb_softmax_kernel **ks = calloc(count, sizeof *ks);
    if (!ks) {
        fprintf(stderr, "softmax_invariants: out of memory\n");
        abort();
    }
    size_t nk = sb_fuzz_kernels(&row, 1, ks, count);
    sb_row_class c = sb_oracle_classify(x, row.n, &row.params);
    sb_run_options opt = {row.misalign, 1};
    for (size_t i = 0; i < nk; i++) {
        const sb_softmax_kernel *k = ks[i];
        run(&row, k, "api", x, y0, row.n, row.p);
        sb_oracle self;
        memset(&self, 0, sizeof self);
        self.y = y0;
        self.sink_index = SIZE_MAX;
        self.row_class = c;
        sb_contract_result r;
        if (!sb_contract_run(k, x, row.n, row.p, &self, &opt, &r, NULL))
            sb_fuzz_contract_violation(&row, k, &r);
        if (c == SB_ROW_FINITE && !has_learned_sink(&row.params))
            check_sum(&row, k, "sum", y0, row.n);
        if (c != SB_ROW_NAN)
            check_order(&row, k, y0);
        check_sink_token(&row, k, y0, c);
        check_shift(&row, k, y0);
        if (c == SB_ROW_FINITE)
            check_split_merge(&row, k, y0);
    }
    free(ks);
    return 0;
}
