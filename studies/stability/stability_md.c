/* stability.md: the study's summary. Every number in it is read from the sweep's cells. */
#include <inttypes.h>
#include <math.h>
#include <stddef.h>
#include <string.h>

#include "sinkbench/sinkbench.h"
#include "studies/stability/stability_report.h"

const sb_stability_plot sb_stability_plots[] = {
    {"stability-error-vs-gap.png", "max ulp error vs sink gap, per kernel (binary32, every tail shape)"},
    {"stability-flushed-vs-gap.png", "fraction of tail entries stored as 0 / subnormal vs gap, per precision"},
    {"stability-residual-vs-n.png", "relative error of the tail mass vs row length: from the tail entries and as 1 - p_sink"},
    {"stability-heatmap.png", "gap x row length: error of the tail mass and flushed fraction, per precision"},
    {"stability-attention-vs-gap.png", "attention output: the tail's error and the sink's error in units of the tail's contribution"},
};
const size_t sb_stability_plot_count = sizeof sb_stability_plots / sizeof sb_stability_plots[0];

static int token_place(sb_sink_place p) { return p == SB_PLACE_FIRST || p == SB_PLACE_MIDDLE || p == SB_PLACE_LAST; }

static void fmt_err(char *buf, size_t size, double v)
{
    if (isnan(v))
        snprintf(buf, size, "n/a");
    else if (isinf(v))
        snprintf(buf, size, "inf");
    else if (v == 0.0)
        snprintf(buf, size, "0");
    else
        snprintf(buf, size, "%.2g", v);
}

static void fmt_gap(char *buf, size_t size, double v)
{
    if (isnan(v))
        snprintf(buf, size, "—");
    else
        snprintf(buf, size, "%.4f", v);
}

/* The published value each threshold is compared with (docs/numerics.md, section "Thresholds"). */
static const char *docs_value(sb_format f, sb_stability_event e)
{
    static const char *const v[SB_FORMAT_COUNT][SB_EVENT_COUNT] = {
        {"87.34", "103.97", "R < 2⁻²⁴: ln n′ + 16.64"},
        {"9.70", "16.6", "—"},
        {"range like f32: 87.34", "range like f32: 103.97", "ulp(1) = 2⁻⁷"},
    };
    return v[f][e];
}

static void md_header(FILE *f, const sb_stability_report *r)
{
    const sb_stability_result *res = &r->result;
    const sb_cpu_info *c = sb_cpu();
    char feats[256];
    sb_cpu_feature_string(c->features, feats, sizeof feats);
    fprintf(f, "# Stability of sink-dominated softmax rows: %s\n\n", r->host);
    fprintf(f, "- %s sweep, seed %" PRIu64 ": %zu rows × %zu kernels × %d precisions = %zu cells, %.1f s (started %s)\n",
            res->preset == SB_STABILITY_FULL ? "full" : "quick", res->seed, res->rows, res->kernel_count, SB_STABILITY_PREC_COUNT,
            res->cell_count, r->seconds, r->started);
    fprintf(f, "- reproduce: `%s`\n", r->command);
    fprintf(f, "- CPU: %s %s (%s); features: %s; sinkbench %s (%s)\n", c->vendor, c->model, c->arch, feats, sb_version(),
            sb_build_info());
    fprintf(f, "- kernels:");
    for (size_t k = 0; k < res->kernel_count; k++)
        fprintf(f, "%s `%s`", k ? "," : "", res->kernels[k]->name);
    fprintf(f, "\n- data: [stability.json](stability.json) (one record per cell); definitions of every metric: "
               "docs/stability.md\n\n");
    fprintf(f, "Precisions: `f32` binary32 in and out; `f16_in`/`bf16_in` the logits rounded to binary16/bfloat16 "
               "before the kernel runs; `f16_out`/`bf16_out` the binary32 kernel's probabilities stored in "
               "binary16/bfloat16 (what a P·V product in that format reads). \"Exact\" is always the softmax of the "
               "original binary32 logits, so the `_in` rows show what low-precision logits cost, not the kernel's "
               "own error (the contract judges that on the rounded row).\n\n");
}

static void md_thresholds(FILE *f, const sb_stability_report *r, size_t focus)
{
    const sb_stability_result *res = &r->result;
    size_t n_thr = 0;
    for (size_t i = 0; i < r->threshold_count; i++)
        if (r->thresholds[i].block == SB_BLOCK_THRESHOLDS && (n_thr == 0 || r->thresholds[i].n < n_thr))
            n_thr = r->thresholds[i].n;
    fprintf(f, "## Thresholds: theory against observation\n\n");
    fprintf(f, "Rows of n′ equal tail logits one gap Δ below the sink (n′ = n − 1 for a sink token, n for a sink "
               "logit). Each tail entry is `e^-Δ / (1 + n′e^-Δ)`; theory Δ* is the gap past which the stored "
               "tail entry rounds below the smallest normal (subnormal), to 0, or the stored sink probability rounds "
               "to exactly 1 (round to nearest even in the output format). Observed: the first swept gap at which "
               "it happens for `%s`, sink token first, n = %zu. *Agree* counts, over every contract kernel, sink "
               "place, block and length, the observations where theory falls between the last swept gap without "
               "the event and the first with it (gaps as the kernel sees them after input rounding), and the event "
               "persists at every larger gap.\n\n",
            res->kernel_count ? res->kernels[focus]->name : "-", n_thr);
    fprintf(f, "| precision | stored as | event | docs/numerics.md | theory Δ* (n′ = %zu) | observed | previous swept | "
               "agree |\n|---|---|---|---|---:|---:|---:|---:|\n",
            n_thr ? n_thr - 1 : 0);
    for (int p = 0; p < SB_STABILITY_PREC_COUNT; p++)
        for (int e = 0; e < SB_EVENT_COUNT; e++) {
            const sb_stability_threshold *shown = NULL;
            size_t total = 0, agree = 0;
            for (size_t i = 0; i < r->threshold_count; i++) {
                const sb_stability_threshold *t = &r->thresholds[i];
                if (t->precision != p || t->event != e || res->kernels[t->kernel]->ulp_bound < 0)
                    continue;
                total++;
                agree += t->agrees != 0;
                if (t->kernel == focus && t->block == SB_BLOCK_THRESHOLDS && t->place == SB_PLACE_FIRST && t->n == n_thr)
                    shown = t;
            }
            if (!total)
                continue;
            sb_format of = sb_stability_precision_output_format((sb_stability_precision)p);
            char th[32] = "—", ob[32] = "—", pr[32] = "—";
            if (shown) {
                fmt_gap(th, sizeof th, shown->theory);
                fmt_gap(ob, sizeof ob, shown->observed);
                fmt_gap(pr, sizeof pr, shown->previous);
            }
            fprintf(f, "| %s | %s | %s | %s | %s | %s | %s | %zu/%zu |\n", sb_stability_precision_name((sb_stability_precision)p),
                    sb_format_get(of)->name, sb_stability_event_name((sb_stability_event)e), docs_value(of, (sb_stability_event)e), th,
                    ob, pr, agree, total);
        }
    size_t listed = 0;
    for (size_t i = 0; i < r->threshold_count; i++) {
        const sb_stability_threshold *t = &r->thresholds[i];
        if (t->agrees || res->kernels[t->kernel]->ulp_bound < 0)
            continue;
        if (listed++ == 0)
            fprintf(f, "\nDisagreements (contract kernels):\n\n");
        if (listed <= 30)
            fprintf(f, "- `%s` %s %s, %s block, sink %s, n = %zu: theory %.4f, observed %.4f after %.4f%s\n",
                    res->kernels[t->kernel]->name, sb_stability_precision_name((sb_stability_precision)t->precision),
                    sb_stability_event_name((sb_stability_event)t->event), sb_stability_block_name((sb_stability_block)t->block),
                    sb_place_name(t->place), t->n, t->theory, t->observed, t->previous,
                    t->monotone ? "" : " (not monotone: the event comes and goes)");
    }
    if (listed > 30)
        fprintf(f, "- ... %zu more in stability.json\n", listed - 30);
    fprintf(f, "\nThe binary16 zero threshold: `e^-Δ` drops below binary16's smallest subnormal 2⁻²⁴ at Δ = 16.64 "
               "(the number docs/numerics.md quotes), but a value above 2⁻²⁵ still rounds up to 2⁻²⁴, so a stored "
               "tail entry becomes 0 only past Δ = 25 ln 2 = 17.33 (short tails). bfloat16 has binary32's exponent "
               "range but 7 fraction bits: its smallest subnormal is 2⁻¹³³, so bfloat16 tails vanish past "
               "Δ = 134 ln 2 = 92.88, not 103.97.\n\n");
}

static void md_contract(FILE *f, const sb_stability_report *r)
{
    const sb_stability_result *res = &r->result;
    fprintf(f, "## Contract: where each kernel first exceeds its bound\n\n");
    fprintf(f, "Every kernel run goes through the contract checker (check/contract.h) against the oracle "
               "of the row the kernel was given (for `_in` precisions: the rounded row). Binary32 cells also check "
               "the tail mass against the bound the ulp bound implies (`|R̂ − R| ≤ (b + ½)·2⁻²³·R + n_sub·(b + ½)"
               "·2⁻¹⁴⁹`); \"residual use\" is the largest fraction of that bound used. Study kernels claim nothing and "
               "are measured against the 2-ulp target.\n\n");
    fprintf(f, "| kernel | bound | f32 max ulp | f16_in max ulp | bf16_in max ulp | residual use | failing cells | "
               "first failure |\n|---|---:|---:|---:|---:|---:|---:|---|\n");
    for (size_t k = 0; k < res->kernel_count; k++) {
        const sb_softmax_kernel *kr = res->kernels[k];
        char bound[32], u[3][32], resid[32];
        if (kr->ulp_bound >= 0)
            snprintf(bound, sizeof bound, "%g", kr->ulp_bound);
        else
            snprintf(bound, sizeof bound, "study");
        size_t failures = 0, cells = 0;
        const sb_stability_verdict *first = NULL;
        const sb_stability_cell *first_cell = NULL;
        sb_stability_precision first_prec = SB_STABILITY_PREC_F32;
        const sb_stability_precision runs[3] = {SB_STABILITY_PREC_F32, SB_STABILITY_PREC_F16_IN, SB_STABILITY_PREC_BF16_IN};
        for (int i = 0; i < 3; i++) {
            const sb_stability_verdict *v = sb_stability_verdict_of(res, k, runs[i]);
            fmt_err(u[i], sizeof u[i], v->max_ulp);
            failures += v->failures;
            cells += v->cells;
            if (v->first != SIZE_MAX) {
                const sb_stability_cell *c = &res->cells[v->first];
                if (!first_cell || c->spec.gap < first_cell->spec.gap) {
                    first = v;
                    first_cell = c;
                    first_prec = runs[i];
                }
            }
        }
        fmt_err(resid, sizeof resid, sb_stability_verdict_of(res, k, SB_STABILITY_PREC_F32)->max_resid_ratio);
        fprintf(f, "| `%s` | %s | %s | %s | %s | %s | %zu/%zu | ", kr->name, bound, u[0], u[1], u[2], resid, failures, cells);
        if (!first)
            fprintf(f, "none%s |\n", kr->ulp_bound >= 0 ? " (within its bound everywhere)" : "");
        else
            fprintf(f, "%s Δ = %g, n = %zu, sink %s, %s tail: %s |\n", sb_stability_precision_name(first_prec), first_cell->spec.gap,
                    first_cell->spec.n, sb_place_name(first_cell->spec.place), sb_tail_name(first_cell->spec.tail),
                    first->message);
    }
    fprintf(f, "\n");
}

typedef int (*cell_pred)(const sb_stability_cell *c);
static int pred_early_flush(const sb_stability_cell *c) { return c->m.tail_early_flush > 0; }
static int pred_whole_tail(const sb_stability_cell *c) { return c->m.tail_max == 0.0 && c->m.tail_count > 0; }
static int pred_sink_one(const sb_stability_cell *c) { return token_place(c->spec.place) && c->m.p_sink_stored == 1.0; }
static int pred_sink_swamps(const sb_stability_cell *c) { return c->m.attn_sink_err > 1.0; }
static int pred_tail_half_lost(const sb_stability_cell *c) { return c->m.attn_tail_err > 0.5; }

/* The cell with the smallest gap (then n) where pred holds, among kernel k's cells in precision p. */
static const sb_stability_cell *first_where(const sb_stability_result *res, size_t k, int p, cell_pred pred)
{
    const sb_stability_cell *best = NULL;
    for (size_t i = 0; i < res->cell_count; i++) {
        const sb_stability_cell *c = &res->cells[i];
        if (c->kernel != k || c->precision != p || !pred(c))
            continue;
        if (!best || c->spec.gap < best->spec.gap || (c->spec.gap == best->spec.gap && c->spec.n < best->spec.n))
            best = c;
    }
    return best;
}

static void md_tail_loss(FILE *f, const sb_stability_report *r)
{
    const sb_stability_result *res = &r->result;
    static const cell_pred preds[] = {pred_early_flush, pred_whole_tail, pred_sink_one, pred_sink_swamps,
                                      pred_tail_half_lost};
    fprintf(f, "## Where each kernel loses its tail\n\n");
    fprintf(f, "The smallest swept gap Δ at which, in any cell of that kernel and precision: a tail entry is stored "
               "as 0 although its correct rounding is not (*early flush*: the kernel's doing, or the input "
               "rounding's for `_in`); every tail entry is 0 (*tail gone*); the stored sink probability is exactly 1 "
               "(sink tokens); the sink's error in the attention output exceeds the whole tail's contribution "
               "(*sink error > tail*); the tail's part of the attention output is off by more than half its size "
               "(*tail half lost*). In brackets: n, sink place, tail shape of that cell.\n\n");
    fprintf(f, "| kernel | precision | early flush | tail gone | p_sink = 1 | sink error > tail | tail half lost |\n"
               "|---|---|---|---|---|---|---|\n");
    for (size_t k = 0; k < res->kernel_count; k++)
        for (int p = 0; p < SB_STABILITY_PREC_COUNT; p++) {
            fprintf(f, "| `%s` | %s |", res->kernels[k]->name, sb_stability_precision_name((sb_stability_precision)p));
            for (size_t q = 0; q < sizeof preds / sizeof preds[0]; q++) {
                const sb_stability_cell *c = first_where(res, k, p, preds[q]);
                if (c)
                    fprintf(f, " %g (%zu, %s, %s) |", c->spec.gap, c->spec.n, sb_place_name(c->spec.place),
                            sb_tail_name(c->spec.tail));
                else
                    fprintf(f, " never |");
            }
            fprintf(f, "\n");
        }
    fprintf(f, "\n");
}

/* The cell of kernel k, precision p in the lengths block with this tail, n and gap (sink first). */
static const sb_stability_cell *find_cell(const sb_stability_result *res, size_t k, int p, sb_tail tail, size_t n, double gap)
{
    for (size_t i = 0; i < res->cell_count; i++) {
        const sb_stability_cell *c = &res->cells[i];
        if (c->kernel == k && c->precision == p && c->block == SB_BLOCK_LENGTHS && c->spec.tail == tail &&
            c->spec.n == n && c->spec.gap == gap && c->spec.place == SB_PLACE_FIRST)
            return c;
    }
    return NULL;
}

static void lengths_grid(const sb_stability_result *res, size_t k, size_t *n_max, size_t *n_mid, double *gaps, size_t *ngaps,
                         size_t cap)
{
    *n_max = 0;
    *ngaps = 0;
    size_t ns[32], nn = 0;
    for (size_t i = 0; i < res->cell_count; i++) {
        const sb_stability_cell *c = &res->cells[i];
        if (c->kernel != k || c->precision != SB_STABILITY_PREC_F32 || c->block != SB_BLOCK_LENGTHS)
            continue;
        int seen = 0;
        for (size_t j = 0; j < nn; j++)
            seen |= ns[j] == c->spec.n;
        if (!seen && nn < 32)
            ns[nn++] = c->spec.n;
        seen = 0;
        for (size_t j = 0; j < *ngaps; j++)
            seen |= gaps[j] == c->spec.gap;
        if (!seen && *ngaps < cap)
            gaps[(*ngaps)++] = c->spec.gap;
    }
    *n_mid = 0;
    for (size_t j = 0; j < nn; j++) {
        *n_max = ns[j] > *n_max ? ns[j] : *n_max;
        if (ns[j] <= 4096 && ns[j] > *n_mid)
            *n_mid = ns[j];
    }
}

/* One row per swept gap of the lengths block (focus kernel, this tail and n, sink first): two metrics per
 * precision, side by side ("a | b") or as "a / b". */
static void metric_pairs(FILE *f, const sb_stability_result *res, size_t focus, sb_tail tail, size_t n, const double *gaps,
                         size_t ngaps, size_t off_a, size_t off_b, int side_by_side)
{
    for (size_t g = 0; g < ngaps; g++) {
        const sb_stability_cell *c0 = find_cell(res, focus, SB_STABILITY_PREC_F32, tail, n, gaps[g]);
        if (!c0)
            continue;
        fprintf(f, "| %g |", gaps[g]);
        if (side_by_side)
            fprintf(f, " %.3g |", c0->residual);
        for (int p = 0; p < SB_STABILITY_PREC_COUNT; p++) {
            const sb_stability_cell *c = find_cell(res, focus, p, tail, n, gaps[g]);
            char a[32] = "—", b[32] = "—";
            if (c) {
                fmt_err(a, sizeof a, *(const double *)((const char *)&c->m + off_a));
                fmt_err(b, sizeof b, *(const double *)((const char *)&c->m + off_b));
            }
            fprintf(f, side_by_side ? " %s | %s |" : " %s / %s |", a, b);
        }
        fprintf(f, "\n");
    }
    fprintf(f, "\n");
}

static void md_residual(FILE *f, const sb_stability_report *r, size_t focus)
{
    const sb_stability_result *res = &r->result;
    size_t n_max, n_mid, ngaps;
    double gaps[64];
    lengths_grid(res, focus, &n_max, &n_mid, gaps, &ngaps, 64);
    if (!ngaps)
        return;
    fprintf(f, "## The tail mass: from the tail entries vs 1 − p_sink\n\n");
    fprintf(f, "`%s`, n = %zu equal tail logits below a sink token at index 0. Relative error of the tail mass R "
               "measured from the stored tail entries (*tail*) and as 1 − stored p_sink (*1−p*), per precision.\n\n",
            res->kernels[focus]->name, n_max);
    fprintf(f, "| Δ | exact R |");
    for (int p = 0; p < SB_STABILITY_PREC_COUNT; p++)
        fprintf(f, " %s tail | %s 1−p |", sb_stability_precision_name((sb_stability_precision)p), sb_stability_precision_name((sb_stability_precision)p));
    fprintf(f, "\n|---:|---:|");
    for (int p = 0; p < SB_STABILITY_PREC_COUNT; p++)
        fprintf(f, "---:|---:|");
    fprintf(f, "\n");
    metric_pairs(f, res, focus, SB_TAIL_EQUAL, n_max, gaps, ngaps, offsetof(sb_stability_metrics, resid_tail_rel_err),
                 offsetof(sb_stability_metrics, resid_1m_rel_err), 1);

    fprintf(f, "## Attention output: what survives of the tail\n\n");
    fprintf(f, "`%s`, n = %zu Gaussian tail logits, sink token first; values v_i ~ N(0, 1), the sink token's κ·N(0, 1) "
               "with κ = %g (trained sinks carry small values; κ = 1 would overstate the sink's part by ~1/κ). Each "
               "entry: the error of the tail's part of Σ y_i v_i and the error of the sink's part, both in units of "
               "the tail's contribution Σ_tail y_j |v_j| (tail / sink; 1 means the tail's information is gone or "
               "drowned). One row, one layer: how such errors travel through a stack of layers and compete with "
               "mixing is in the perturbation study's *precision meets mixing* tables (`sinkbench perturb`; in a "
               "report, [../perturb/perturb.md](../perturb/perturb.md#precision-meets-mixing)).\n\n",
            res->kernels[focus]->name, n_mid, res->value_scale);
    fprintf(f, "| Δ |");
    for (int p = 0; p < SB_STABILITY_PREC_COUNT; p++)
        fprintf(f, " %s |", sb_stability_precision_name((sb_stability_precision)p));
    fprintf(f, "\n|---:|");
    for (int p = 0; p < SB_STABILITY_PREC_COUNT; p++)
        fprintf(f, "---|");
    fprintf(f, "\n");
    metric_pairs(f, res, focus, SB_TAIL_GAUSSIAN, n_mid, gaps, ngaps, offsetof(sb_stability_metrics, attn_tail_err),
                 offsetof(sb_stability_metrics, attn_sink_err), 0);
}

static void md_plots(FILE *f, const sb_stability_report *r)
{
    fprintf(f, "## Plots\n\n");
    if (r->plots_note[0])
        fprintf(f, "Plots were not drawn: %s. Redraw them from the JSON with "
                   "`/usr/bin/python3 reports/plot/stability.py stability.json .`\n\n",
                r->plots_note);
    if (r->plots_written <= 0)
        return;
    for (size_t i = 0; i < sb_stability_plot_count; i++)
        fprintf(f, "- %s\n\n  ![%s](%s)\n\n", sb_stability_plots[i].caption, sb_stability_plots[i].file,
                sb_stability_plots[i].file);
}

void sb_stability_write_md(FILE *f, const sb_stability_report *r)
{
    size_t focus = 0;
    sb_stability_focus_kernel(&r->result, &focus);
    md_header(f, r);
    md_thresholds(f, r, focus);
    md_contract(f, r);
    md_tail_loss(f, r);
    md_residual(f, r, focus);
    md_plots(f, r);
}
