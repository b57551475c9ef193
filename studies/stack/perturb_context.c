/* Context (docs/perturbation.md, "Context"): how strong a sink must be as the context grows, and how
 * many source tokens the last token listens to.
 *
 * - The leak's gap: Delta*(n) at which the last query's content mass (mean over layers and heads) is
 *   PT_LEAK_LEVEL, on the BOS stack. With the hidden states fixed, a BOS key bias moves the content mass
 *   of every head in closed form, c(D) = c0 / (c0 + (1 - c0) e^(D - D0)); the study solves for the level
 *   with the logits traced at a trial gap, reruns at the solution and solves again (two forward passes).
 * - The drift's gap: Delta*(n) at which the last token's relative drift (token n/2 swapped; mean over the
 *   seed's sequences) is PT_DRIFT_LEVEL, found by bracketing and interpolating ln(drift) in Delta.
 * - The participation ratio (sum S_i)^2 / sum S_i^2 of the last token's sensitivity profile (reverse
 *   mode), without and with a BOS sink, and the same for the linear limit with uniform Lambda. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "studies/stack/perturb_study.h"

/* Mean over layers and heads of the last query's content mass at gap D, from masses c0 traced at D0. */
static double leak_at(const double *c0, size_t lh, size_t n, double d0, double d)
{
    double m = 0, f = exp(d - d0);
    for (size_t i = 0; i < lh; i++) {
        double c = c0[i * n + n - 1];
        m += c / (c + (1.0 - c) * f);
    }
    return m / (double)lh;
}

/* The gap where leak_at reaches level (bisection; the leak falls monotonically with the gap). */
static double solve_leak(const double *c0, size_t lh, size_t n, double d0, double level)
{
    double lo = d0 - 40, hi = d0 + 40;
    for (int it = 0; it < 200 && hi - lo > 1e-9; it++) {
        double mid = 0.5 * (lo + hi);
        if (leak_at(c0, lh, n, d0, mid) > level)
            lo = mid;
        else
            hi = mid;
    }
    return 0.5 * (lo + hi);
}

static sb_status leak_gap(sb_perturb_results *r, size_t k, size_t n, double guess, double *out)
{
    const sb_perturb_setup *cx = &r->ctx;
    size_t L = cx->layers, H = cx->heads, d = cx->width, nd = n * d;
    uint32_t *ids = malloc(n * sizeof *ids);
    unsigned char *bos = malloc(n);
    double *x = malloc(nd * sizeof *x), *cm = malloc(L * H * n * sizeof *cm);
    sb_status st = ids && bos && x && cm ? SB_OK : SB_ENOMEM;
    double sum = 0;
    for (size_t q = 0; q < cx->sequences && st == SB_OK; q++) {
        double gap = guess;
        for (int pass = 0; pass < 2 && st == SB_OK; pass++) {
            sb_stack_config c = sb_perturb_config(r, SB_STACK_SINK_BOS, L, H, d, r->weight_seed[k]);
            c.gap = gap;
            sb_stack *s = NULL;
            st = sb_stack_create(&c, &s);
            if (st != SB_OK)
                break;
            sb_perturb_ids(r, c.vocab, c.sink, k, q, n, ids);
            sb_stack_embed(s, ids, n, x, bos);
            sb_stack_trace tr = {0};
            tr.content_mass = cm;
            st = sb_stack_forward(s, NULL, x, n, bos, NULL, &tr);
            sb_stack_destroy(s);
            if (st == SB_OK)
                gap = solve_leak(cm, L * H, n, gap, PT_LEAK_LEVEL);
        }
        sum += gap;
    }
    *out = sum / (double)cx->sequences;
    free(ids), free(bos), free(x), free(cm);
    return st;
}

static sb_status drift_at(sb_perturb_results *r, size_t k, size_t n, double gap, double *rel)
{
    const sb_perturb_setup *cx = &r->ctx;
    sb_stack_config c = sb_perturb_config(r, SB_STACK_SINK_BOS, cx->layers, cx->heads, cx->width, r->weight_seed[k]);
    c.gap = gap;
    sb_stack *s = NULL;
    sb_status st = sb_stack_create(&c, &s);
    if (st == SB_OK)
        st = sb_perturb_drift(r, s, k, cx->sequences, n, n / 2, rel, NULL, NULL);
    sb_stack_destroy(s);
    return st;
}

/* Delta* for the drift: bracket the level in steps of 4 from the start (down to a negative key bias of
 * -8, which pushes attention off BOS), then regula falsi on ln(drift), close to linear in the gap once the
 * sink dominates. NaN when even -8 keeps the drift below the level: the content alone dilutes token j
 * enough. */
static sb_status drift_gap(sb_perturb_results *r, size_t k, size_t n, double start, double *out)
{
    const double floor_gap = -8.0;
    double target = log(PT_DRIFT_LEVEL), a = start, fa, b, fb = 0, rel;
    *out = NAN;
    sb_status st = drift_at(r, k, n, a, &rel);
    if (st != SB_OK)
        return st;
    fa = log(rel) - target;
    int bracketed = 0;
    for (int tries = 0; tries < 8 && !bracketed; tries++) {
        b = a + (fa > 0 ? 4.0 : -4.0);
        if (b < floor_gap)
            b = floor_gap;
        st = drift_at(r, k, n, b, &rel);
        if (st != SB_OK)
            return st;
        fb = log(rel) - target;
        bracketed = (fa > 0) != (fb > 0);
        if (!bracketed) {
            if (b == floor_gap)
                return SB_OK;
            a = b, fa = fb;
        }
    }
    if (!bracketed)
        return SB_OK;
    for (int it = 0; it < 4; it++) {
        double m = a - fa * (b - a) / (fb - fa);
        st = drift_at(r, k, n, m, &rel);
        if (st != SB_OK)
            return st;
        double fm = log(rel) - target;
        if (fabs(fm) < 0.02) {
            *out = m;
            return SB_OK;
        }
        if ((fm > 0) == (fa > 0))
            a = m, fa = fm;
        else
            b = m, fb = fm;
    }
    *out = a - fa * (b - a) / (fb - fa);
    return SB_OK;
}

static sb_status participation(sb_perturb_results *r, size_t k, size_t n, int with_sink, double *out)
{
    const sb_perturb_setup *cx = &r->ctx;
    size_t d = cx->width, nd = n * d;
    sb_stack_config c = sb_perturb_config(r, with_sink ? SB_STACK_SINK_BOS : SB_STACK_SINK_NONE, cx->layers, cx->heads,
                                          d, r->weight_seed[k]);
    sb_stack *s = NULL;
    uint32_t *ids = malloc(n * sizeof *ids);
    unsigned char *bos = malloc(n);
    double *x = malloc(nd * sizeof *x), *sv = malloc(n * sizeof *sv);
    sb_status st = ids && bos && x && sv ? sb_stack_create(&c, &s) : SB_ENOMEM;
    double sum = 0;
    for (size_t q = 0; q < cx->sequences && st == SB_OK; q++) {
        sb_perturb_ids(r, c.vocab, c.sink, k, q, n, ids);
        sb_stack_embed(s, ids, n, x, bos);
        st = sb_perturb_profile_of(s, x, n, bos, r->probes, r->o.seed + 104729 * k + q, sv);
        sum += sb_perturb_participation(sv, n);
    }
    *out = sum / (double)cx->sequences;
    sb_stack_destroy(s);
    free(ids), free(bos), free(x), free(sv);
    return st;
}

/* The last row of [(U + I)/2]^L for the uniform causal U (U_tj = 1/(t+1)), in O(n L): row <- row (U+I)/2
 * with (row U)_j = sum_{t >= j} row_t / (t + 1). Its participation ratio is the linear model's
 * prediction of how many source tokens the last token listens to. */
static double linear_participation(size_t n, size_t layers)
{
    double *row = sb_perturb_zeros(n);
    if (!row)
        return NAN;
    row[n - 1] = 1.0;
    for (size_t l = 0; l < layers; l++) {
        double suffix = 0;
        for (size_t j = n; j-- > 0;) {
            suffix += row[j] / (double)(j + 1);
            row[j] = 0.5 * (row[j] + suffix);
        }
    }
    double pr = sb_perturb_participation(row, n);
    free(row);
    return pr;
}

sb_status sb_perturb_run_context(sb_perturb_results *r)
{
    sb_status st = SB_OK;
    double level_term = log((1.0 - PT_LEAK_LEVEL) / PT_LEAK_LEVEL);
    for (size_t i = 0; i < r->n_ctx && st == SB_OK; i++) {
        size_t n = r->ctx_n[i];
        char line[128];
        snprintf(line, sizeof line, "  context n = %zu", n);
        if (n >= 1024)
            sb_perturb_progress(r, line);
        r->pr_linear[i] = linear_participation(n, r->ctx.layers);
        for (size_t k = 0; k < r->W && st == SB_OK; k++) {
            /* Start from the previous n's gap moved by ln 4 (what the leak's law predicts), or from the
             * law itself for the first n. */
            double guess = i == 0 ? log((double)n) + level_term : r->gap_leak[i - 1][k] + log((double)n / (double)r->ctx_n[i - 1]);
            st = leak_gap(r, k, n, guess, &r->gap_leak[i][k]);
            r->gap_drift[i][k] = NAN;
            r->pr[0][i][k] = r->pr[1][i][k] = NAN;
            if (st == SB_OK && n <= r->ctx_drift_max)
                st = drift_gap(r, k, n, r->gap_leak[i][k], &r->gap_drift[i][k]);
            if (st == SB_OK && n <= r->ctx_pr_max)
                st = participation(r, k, n, 0, &r->pr[0][i][k]);
            if (st == SB_OK && n <= r->ctx_pr_max)
                st = participation(r, k, n, 1, &r->pr[1][i][k]);
        }
    }
    return st;
}
