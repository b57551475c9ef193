/* Which published trends this run reproduces, as sentences built from the measured numbers. A trend
 * counts as reproduced when the measured effect has the published direction and passes the criterion
 * named in its sentence; otherwise the sentence says NOT reproduced. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "studies/stack/perturb_study.h"

#define CRITERION 1.25 /* an effect "exists" when a ratio is at least this (25 %) */

static void add(sb_perturb_results *r, const char *id, int reproduced, double value, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static void add(sb_perturb_results *r, const char *id, int reproduced, double value, const char *fmt, ...)
{
    if (r->n_trends >= sizeof r->trends / sizeof r->trends[0])
        return;
    sb_perturb_trend *t = &r->trends[r->n_trends++];
    snprintf(t->id, sizeof t->id, "%s", id);
    t->value = value;
    t->reproduced = reproduced;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(t->text, sizeof t->text, fmt, ap);
    va_end(ap);
    size_t len = strlen(t->text);
    if (reproduced >= 0)
        snprintf(t->text + len, sizeof t->text - len, " — %s.", reproduced ? "reproduced" : "NOT reproduced");
}

static const char *mode_phrase(const sb_perturb_results *r, sb_stack_sink s, char *buf, size_t size)
{
    switch (s) {
    case SB_STACK_SINK_BOS: snprintf(buf, size, "a BOS sink token (Δ = %g, value × %g)", r->o.gap, r->o.value_scale); break;
    case SB_STACK_SINK_LEARNED: snprintf(buf, size, "a learned per-head sink logit (Δ = %g ± 1)", r->o.gap); break;
    case SB_STACK_SINK_SOFTMAX1: snprintf(buf, size, "softmax1 (sink logit 0)"); break;
    case SB_STACK_SINK_GATED: snprintf(buf, size, "gated attention (gate bias −%g)", r->o.gate_bias); break;
    case SB_STACK_SINK_NO_BOS: snprintf(buf, size, "the no-BOS template (first content token as sink, Δ = %g)", r->o.gap); break;
    default: snprintf(buf, size, "no sink"); break;
    }
    return buf;
}

static double ratio(double a, double b) { return b > 0 ? a / b : INFINITY; }

/* Least-squares slope of log y against log x. */
static double loglog_slope(const size_t *x, const double *y, size_t k)
{
    double sx = 0, sy = 0, sxx = 0, sxy = 0;
    size_t m = 0;
    for (size_t i = 0; i < k; i++) {
        if (!(y[i] > 0))
            continue;
        double lx = log((double)x[i]), ly = log(y[i]);
        sx += lx, sy += ly, sxx += lx * lx, sxy += lx * ly, m++;
    }
    double den = (double)m * sxx - sx * sx;
    return m >= 2 && den != 0 ? ((double)m * sxy - sx * sy) / den : NAN;
}

static const sb_perturb_profile *find_profile(const sb_perturb_results *r, sb_stack_sink s, size_t layers)
{
    for (size_t k = 0; k < r->n_profiles; k++)
        if (r->profile[k].sink == s && r->profile[k].layers == layers)
            return &r->profile[k];
    return NULL;
}

static const sb_perturb_numeric_run *find_numeric(const sb_perturb_results *r, sb_stack_sink s, const char *kernel,
                                          sb_stack_precision p, size_t injected)
{
    for (size_t k = 0; k < r->n_numeric; k++) {
        const sb_perturb_numeric_run *n = &r->numeric[k];
        if (n->sink == s && strcmp(n->kernel, kernel) == 0 && n->precision == p && n->injected == injected)
            return n;
    }
    return NULL;
}

void sb_perturb_trends_compute(sb_perturb_results *r)
{
    size_t L = r->L;
    char buf[160];
    const sb_perturb_mode *none = &r->mode[SB_STACK_SINK_NONE], *bos = &r->mode[SB_STACK_SINK_BOS];
    r->n_trends = 0;

    /* Sinks slow over-mixing: last-token drift after L layers, every mode against none. */
    for (int m = 1; m < PT_MODES; m++) {
        const sb_perturb_mode *md = &r->mode[m];
        double q = ratio(none->last_drift[L], md->last_drift[L]);
        char id[32];
        snprintf(id, sizeof id, "drift_%s", sb_stack_sink_name(md->sink));
        add(r, id, q >= CRITERION, q,
            "With %s, the last token's drift after %zu layers (token %zu %s) is %.3g× %s than without a sink "
            "(%.3g vs %.3g, mean of %zu sequences; criterion: ≥ %.2f× smaller)",
            mode_phrase(r, md->sink, buf, sizeof buf), L, r->j, r->o.swap ? "swapped" : "moved", q >= 1 ? q : 1 / q,
            q >= 1 ? "smaller" : "larger", md->last_drift[L], none->last_drift[L], r->o.sequences, CRITERION);
    }
    add(r, "locality", bos->nonlocal < none->nonlocal, bos->nonlocal,
        "Drift stays local with a sink: %.1f %% of the final layer's drift is on tokens other than the perturbed "
        "one with a BOS sink, %.1f %% without",
        100 * bos->nonlocal, 100 * none->nonlocal);

    /* Mixing grows with depth. */
    double gd = ratio(none->last_drift[L], none->last_drift[1]), gb = ratio(bos->last_drift[L], bos->last_drift[1]);
    add(r, "depth_drift", gd >= CRITERION, gd,
        "Without a sink, mixing grows with depth: last-token drift grows %.3g× from layer 1 to layer %zu "
        "(%.3g → %.3g); with a BOS sink %.3g× (%.3g → %.3g)",
        gd, L, none->last_drift[1], none->last_drift[L], gb, bos->last_drift[1], bos->last_drift[L]);
    add(r, "depth_rank_collapse", none->residual[L] < none->residual[0] && none->residual[L] < bos->residual[L],
        none->residual[L],
        "Rank collapse with depth: the residual ‖V − 1v̄ᵀ‖_F/‖V‖_F falls from %.3f to %.3f over %zu layers without "
        "a sink, and from %.3f to %.3f with a BOS sink",
        none->residual[0], none->residual[L], L, bos->residual[0], bos->residual[L]);

    /* Sensitivity concentrates on the first token with depth (no sink), and the linear limit. */
    const sb_perturb_profile *p1 = find_profile(r, SB_STACK_SINK_NONE, r->sens_depths[0]);
    const sb_perturb_profile *pL = find_profile(r, SB_STACK_SINK_NONE, r->sens_depths[r->n_sens_depths - 1]);
    const sb_perturb_profile *b1 = find_profile(r, SB_STACK_SINK_BOS, r->sens_depths[0]);
    const sb_perturb_profile *bL = find_profile(r, SB_STACK_SINK_BOS, r->sens_depths[r->n_sens_depths - 1]);
    if (p1 && pL && b1 && bL)
        add(r, "sensitivity_first_token", pL->share_first > p1->share_first, pL->share_first,
            "Without a sink, the last token's sensitivity (exact JVP, n = %zu) concentrates on the first token as "
            "depth grows: token 0's share of the profile goes from %.3f (L = %zu) to %.3f (L = %zu); with a BOS "
            "sink %.3f → %.3f",
            r->sens_tokens, p1->share_first, p1->layers, pL->share_first, pL->layers, b1->share_first,
            bL->share_first);
    size_t l8 = r->limit_layers >= 8 ? 8 : r->limit_layers;
    double m1 = r->limit_mass[0], m8 = r->limit_mass[l8 - 1], mL = r->limit_mass[r->limit_layers - 1];
    add(r, "linear_limit", m1 < m8 && m8 < mL && mL > 0.9, mL,
        "Linear limit [(Λ+I)/2]^L (n = %zu): the last token's weight on token 0 is %.4f at L = 1, %.4f at L = %zu "
        "and %.6f at L = %zu (criterion: rising and > 0.9); the linear stack's JVPs match the closed form to %.2g",
        r->limit_tokens, m1, m8, l8, mL, r->limit_layers, r->limit_stack_error);

    /* Mixing grows with context length. */
    size_t kn = r->n_context - 1;
    double c0 = r->context_l1[SB_STACK_SINK_NONE][0], cN = r->context_l1[SB_STACK_SINK_NONE][kn];
    double slope = loglog_slope(r->context_n, r->context_l1[SB_STACK_SINK_NONE], r->n_context);
    add(r, "representational_collapse", ratio(c0, cN) >= 2.0, ratio(c0, cN),
        "Representational collapse: without a sink, ‖y_n([v,a]) − y_{n+1}([v,a,a])‖₁ after %zu layers falls %.3g× "
        "from n = %zu to n = %zu (%.3g → %.3g, log-log slope %.2f; criterion ≥ 2×); with a BOS sink it is %.3g "
        "at n = %zu and %.3g at n = %zu",
        r->context_layers, ratio(c0, cN), r->context_n[0], r->context_n[kn], c0, cN, slope,
        r->context_l1[SB_STACK_SINK_BOS][0], r->context_n[0], r->context_l1[SB_STACK_SINK_BOS][kn],
        r->context_n[kn]);
    double r0 = r->context_residual[SB_STACK_SINK_NONE][0], rN = r->context_residual[SB_STACK_SINK_NONE][kn];
    add(r, "context_rank_collapse", rN < r0, rN,
        "Mixing grows with context: without a sink, the rank-collapse residual after %zu layers goes from %.3f "
        "(n = %zu) to %.3f (n = %zu); with a BOS sink %.3f → %.3f",
        r->context_layers, r0, r->context_n[0], rN, r->context_n[kn], r->context_residual[SB_STACK_SINK_BOS][0],
        r->context_residual[SB_STACK_SINK_BOS][kn]);

    /* Mixing grows with the number of heads (fixed width). */
    size_t kh = r->n_heads - 1;
    double hn = ratio(r->heads_drift[0][kh], r->heads_drift[0][0]), hb = ratio(r->heads_drift[1][kh], r->heads_drift[1][0]);
    add(r, "heads", hn >= CRITERION, hn,
        "Heads at fixed width %zu: without a sink, last-token drift after %zu layers changes %.3g× from H = %zu to "
        "H = %zu (%.3g → %.3g; criterion ≥ %.2f×); with a BOS sink %.3g× (%.3g → %.3g)",
        r->heads_width, r->heads_layers, hn, r->heads[0], r->heads[kh], r->heads_drift[0][0], r->heads_drift[0][kh],
        CRITERION, hb, r->heads_drift[1][0], r->heads_drift[1][kh]);

    /* Sink strength. */
    size_t kg = r->n_gaps - 1;
    int monotone = 1;
    for (size_t k = 1; k < r->n_gaps; k++)
        monotone &= r->gap_drift[SB_STACK_SINK_BOS][k] <= r->gap_drift[SB_STACK_SINK_BOS][k - 1];
    double gq = ratio(r->gap_drift[SB_STACK_SINK_BOS][0], r->gap_drift[SB_STACK_SINK_BOS][kg]);
    add(r, "sink_strength", gq >= CRITERION, gq,
        "Sink strength: with a BOS sink, last-token drift after %zu layers falls %.3g× from Δ = %g to Δ = %g "
        "(%s); learned sink %.3g×, no-BOS template %.3g×, gate bias %.3g× over the same range",
        L, gq, r->gaps[0], r->gaps[kg], monotone ? "monotone" : "not monotone",
        ratio(r->gap_drift[SB_STACK_SINK_LEARNED][0], r->gap_drift[SB_STACK_SINK_LEARNED][kg]),
        ratio(r->gap_drift[SB_STACK_SINK_NO_BOS][0], r->gap_drift[SB_STACK_SINK_NO_BOS][kg]),
        ratio(r->gap_drift[SB_STACK_SINK_GATED][0], r->gap_drift[SB_STACK_SINK_GATED][kg]));

    /* The sink metric. */
    const sb_perturb_mode *nb = &r->mode[SB_STACK_SINK_NO_BOS], *ln = &r->mode[SB_STACK_SINK_LEARNED];
    size_t T = r->n < PT_T ? r->n : PT_T;
    add(r, "sink_metric", bos->sink_rate[0][0] > none->sink_rate[0][0], bos->sink_rate[0][0],
        "Sink metric Sink_1^ε (T = %zu, query row 0 not counted): ε = 0.3: BOS %.1f %%, no-BOS template %.1f %%, "
        "no sink %.1f %%, learned sink %.1f %% (its logit sink takes %.1f %% of the mass outside A); ε = 0.8: BOS "
        "%.1f %%, no sink %.1f %%; counting row 0 (ε = 0.3): BOS %.1f %%, no sink %.1f %%; a repeated-token "
        "input without a sink: %.1f %%",
        T, 100 * bos->sink_rate[0][0], 100 * nb->sink_rate[0][0], 100 * none->sink_rate[0][0],
        100 * ln->sink_rate[0][0], 100 * ln->virtual_sink, 100 * bos->sink_rate[0][1], 100 * none->sink_rate[0][1],
        100 * bos->sink_rate[1][0], 100 * none->sink_rate[1][0], 100 * none->repeated_rate);

    add(r, "jvp_check", -1, r->fd_max_rel_error,
        "Check: forward-mode JVPs agree with central finite differences (step %g) to a relative error of %.2g at "
        "worst over %zu checks",
        r->fd_step, r->fd_max_rel_error, r->fd_checks);

    /* Numerical propagation (an observation of this project, not a published claim). */
    const sb_softmax_kernel *dk = sb_softmax_dispatch(r->n);
    if (dk) {
        const sb_perturb_numeric_run *in = find_numeric(r, SB_STACK_SINK_NONE, dk->name, SB_STACK_F64_KERNEL, 1);
        const sb_perturb_numeric_run *ib = find_numeric(r, SB_STACK_SINK_BOS, dk->name, SB_STACK_F64_KERNEL, 1);
        const sb_perturb_numeric_run *fn = find_numeric(r, SB_STACK_SINK_NONE, dk->name, SB_STACK_F32, 0);
        const sb_perturb_numeric_run *fb = find_numeric(r, SB_STACK_SINK_BOS, dk->name, SB_STACK_F32, 0);
        const sb_perturb_numeric_run *bn = find_numeric(r, SB_STACK_SINK_NONE, dk->name, SB_STACK_BF16, 0);
        const sb_perturb_numeric_run *bb = find_numeric(r, SB_STACK_SINK_BOS, dk->name, SB_STACK_BF16, 0);
        if (in && ib && fn && fb && bn && bb)
            add(r, "numerics", -1, ratio(in->error[L], in->error[1]),
                "Rounding through depth (%s): an error injected by the kernel in layer 1 alone changes %.3g× by "
                "layer %zu without a sink (%.2g → %.2g) and %.3g× with a BOS sink (%.2g → %.2g); all-binary32 "
                "stacks end at %.2g (no sink) and %.2g (BOS), bf16 storage at %.2g and %.2g (relative Frobenius "
                "error vs binary64)",
                dk->name, ratio(in->error[L], in->error[1]), L, in->error[1], in->error[L],
                ratio(ib->error[L], ib->error[1]), ib->error[1], ib->error[L], fn->error[L], fb->error[L],
                bn->error[L], bb->error[L]);
    }
}
