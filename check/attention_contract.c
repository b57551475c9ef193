#include "check/attention_contract.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attention/attention_internal.h"
#include "check/fpenv.h"

static const char *kv_name(sb_kv_type t) { return t == SB_KV_F16 ? "f16" : t == SB_KV_BF16 ? "bf16" : "f32"; }

static int fail(sb_attention_contract_result *r, const sb_attention_kernel *k, const sb_attention_desc *d,
                const char *rule, size_t i, size_t h, size_t c, double got, double want, const char *extra)
{
    r->ok = 0;
    r->rule = rule;
    r->query = i;
    r->head = h;
    r->component = c;
    r->got = got;
    r->want = want;
    snprintf(r->message, sizeof r->message,
             "%s: %s: H=%zu H_kv=%zu d=%zu n=%zu n_q=%zu kv=%s splits=%zu threads=%zu: query %zu head %zu "
             "component %zu: got %.9g want %.9g%s%s",
             k->name, rule, d->n_heads, d->n_kv_heads, d->head_dim, d->n_keys, d->n_queries, kv_name(d->kv_type),
             d->n_splits, d->n_threads, i, h, c, got, want, extra ? ": " : "", extra ? extra : "");
    return 0;
}

int sb_attention_expected_init(const sb_attention_desc *d, sb_attention_expected *e)
{
    memset(e, 0, sizeof *e);
    e->rows = d->n_queries * d->n_heads;
    e->head_dim = d->head_dim;
    size_t rows = e->rows ? e->rows : 1;
    e->o = malloc(rows * d->head_dim * sizeof *e->o);
    e->rule = malloc(rows);
    e->v_max = malloc(rows * sizeof *e->v_max);
    e->score_size = malloc(rows * sizeof *e->score_size);
    e->residual = malloc(rows * sizeof *e->residual);
    if (!e->o || !e->rule || !e->v_max || !e->score_size || !e->residual) {
        sb_attention_expected_free(e);
        return 0;
    }
    for (size_t i = 0; i < d->n_queries; i++)
        for (size_t h = 0; h < d->n_heads; h++) {
            size_t row = i * d->n_heads + h;
            e->rule[row] = (unsigned char)sb_attention_row_f64_mass(d, i, h, e->o + row * d->head_dim, &e->residual[row]);
            sb_attention_row_sizes(d, i, h, &e->v_max[row], &e->score_size[row]);
        }
    return 1;
}

void sb_attention_expected_free(sb_attention_expected *e)
{
    free(e->o);
    free(e->rule);
    free(e->v_max);
    free(e->score_size);
    free(e->residual);
    memset(e, 0, sizeof *e);
}

double sb_attention_tolerance(const sb_attention_kernel *k, const sb_attention_desc *d, double v_max, double residual,
                              double score_size)
{
    if (!k->error_bound)
        return INFINITY;
    sb_attention_bound b = k->error_bound(d, score_size);
    return (b.rel * 0x1p-24 + b.floor_mass) * residual * v_max + b.floor * v_max + b.floor_abs + 0x1p-149;
}

int sb_attention_contract_compare(const sb_attention_kernel *k, const sb_attention_desc *d,
                                  const sb_attention_expected *e, sb_attention_contract_result *r)
{
    memset(r, 0, sizeof *r);
    r->ok = 1;
    const size_t hd = d->head_dim;
    if (e->rows != d->n_queries * d->n_heads || e->head_dim != hd)
        return fail(r, k, d, "expected values of another shape", 0, 0, 0, 0, 0, NULL);
    for (size_t i = 0; i < d->n_queries; i++)
        for (size_t h = 0; h < d->n_heads; h++) {
            const float *out = sb_attention_out_row(d, i, h);
            size_t row = i * d->n_heads + h;
            const double *want = e->o + row * hd;
            sb_attention_rule rule = (sb_attention_rule)e->rule[row];
            if (rule == SB_ATTENTION_ROW_NAN || rule == SB_ATTENTION_ROW_ZERO) {
                r->rows_special++;
                for (size_t c = 0; c < hd; c++) {
                    if (rule == SB_ATTENTION_ROW_NAN && !isnan(out[c]) && r->ok)
                        fail(r, k, d, "NaN row", i, h, c, out[c], NAN, "a NaN reached a score or the sink");
                    if (rule == SB_ATTENTION_ROW_ZERO && out[c] != 0.0f && r->ok)
                        fail(r, k, d, "zero row", i, h, c, out[c], 0.0,
                             "fully masked, or +inf sink: exactly 0, never NaN");
                }
                continue;
            }
            double v_max = e->v_max[row], score_size = e->score_size[row];
            if (rule == SB_ATTENTION_ROW_PLUS_INF) {
                r->rows_special++;
                score_size = 0.0;
            } else {
                r->rows_formula++;
            }
            double R = e->residual[row], tol = sb_attention_tolerance(k, d, v_max, R, score_size);
            for (size_t c = 0; c < hd; c++) {
                double got = out[c];
                if (!isfinite(want[c]) || !isfinite(got)) {
                    if (isfinite(want[c]) != isfinite(got) && k->error_bound && r->ok)
                        fail(r, k, d, "non-finite value", i, h, c, got, want[c],
                             "a non-finite v of a visible key gives a non-finite component, and only then");
                    continue;
                }
                double err = fabs(got - want[c]);
                if (R * v_max > 0x1p-100) { /* not where the subnormal floor decides */
                    double cm = err / (0x1p-24 * R * v_max);
                    r->max_c = cm > r->max_c ? cm : r->max_c;
                }
                double ratio = tol > 0 ? err / tol : (err > 0 ? INFINITY : 0.0);
                r->max_ratio = ratio > r->max_ratio ? ratio : r->max_ratio;
                if (err > tol && k->error_bound && r->ok) {
                    char extra[160];
                    snprintf(extra, sizeof extra, "error %.3g > bound %.3g (max|v| = %.4g, R = %.4g, score size %.4g)",
                             err, tol, v_max, R, score_size);
                    fail(r, k, d, "error bound", i, h, c, got, want[c], extra);
                }
            }
        }
    if (r->ok)
        snprintf(r->message, sizeof r->message, "%s: ok (max c %.4g, max error/bound %.3g)", k->name, r->max_c,
                 r->max_ratio);
    return r->ok;
}

/* FNV-1a over a byte range: detects any change to an input. */
static uint64_t hash_span(sb_attention_span s)
{
    uint64_t hsh = 1469598103934665603ull;
    for (const unsigned char *p = (const unsigned char *)s.lo; p < (const unsigned char *)s.hi; p++)
        hsh = (hsh ^ *p) * 1099511628211ull;
    return hsh;
}

#define SENTINEL 0x7fbadbadu /* a NaN payload no kernel produces */

static uint32_t bits_at(const float *p)
{
    uint32_t u;
    memcpy(&u, p, sizeof u);
    return u;
}

int sb_attention_contract_run(const sb_attention_kernel *k, const sb_attention_desc *d,
                              const sb_attention_expected *e, sb_attention_contract_result *r)
{
    memset(r, 0, sizeof *r);
    r->ok = 1;
    sb_attention_span sp[SB_ATTENTION_SPANS];
    if (sb_attention_check(d) != SB_OK || !sb_attention_spans(d, sp))
        return fail(r, k, d, "invalid test descriptor", 0, 0, 0, 0, 0, NULL);
    uint64_t before[SB_ATTENTION_SPANS];
    for (int s = 0; s < SB_ATTENTION_SPANS; s++)
        before[s] = s == SB_ATTENTION_SPAN_OUT ? 0 : hash_span(sp[s]);
    float *o0 = (float *)sp[SB_ATTENTION_SPAN_OUT].lo, *o1 = (float *)sp[SB_ATTENTION_SPAN_OUT].hi;
    uint32_t sentinel = SENTINEL;
    for (float *p = o0; p < o1; p++)
        memcpy(p, &sentinel, sizeof sentinel);

    unsigned long fp = sb_fp_control();
    sb_status st = k->fn(d);
    if (sb_fp_control() != fp)
        return fail(r, k, d, "floating-point control state changed", 0, 0, 0, 0, 0, NULL);
    if (st != SB_OK)
        return fail(r, k, d, "status", 0, 0, 0, st, SB_OK, sb_status_str(st));
    for (int s = 0; s < SB_ATTENTION_SPANS; s++)
        if (s != SB_ATTENTION_SPAN_OUT && hash_span(sp[s]) != before[s])
            return fail(r, k, d, "input modified", 0, 0, 0, s, 0, "q, k, v, mask, sinks = 0..4");

    /* every row written, nothing between rows */
    size_t rows = 0;
    for (size_t i = 0; i < d->n_queries; i++)
        for (size_t h = 0; h < d->n_heads; h++) {
            const float *row = sb_attention_out_row(d, i, h);
            for (size_t c = 0; c < d->head_dim; c++)
                if (bits_at(row + c) == SENTINEL)
                    return fail(r, k, d, "output not written", i, h, c, row[c], 0, NULL);
            rows++;
        }
    size_t untouched = 0;
    for (const float *p = o0; p < o1; p++)
        untouched += bits_at(p) == SENTINEL;
    if (untouched != (size_t)(o1 - o0) - rows * d->head_dim)
        return fail(r, k, d, "wrote outside the output rows", 0, 0, 0, (double)untouched,
                    (double)((size_t)(o1 - o0) - rows * d->head_dim), "padding between rows changed");
    return sb_attention_contract_compare(k, d, e, r);
}
