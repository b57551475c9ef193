/* emerge.md: what the study ran and what it measured, verdicts built from this run's numbers only
 * (docs/emerge.md "Reading emerge.md"). */
#define _POSIX_C_SOURCE 200809L
#include <json-c/json.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emerge_io.h"
#include "emerge_probe.h"
#include "emerge_study.h"

/* "mean [lo, hi]" of a metric; the interval is clipped to [bound_lo, bound_hi] (a t-interval over three
 * seeds can leave a rate's range). */
static void stat_str_in(const sb_emerge_stat *s, double scale, const char *fmt, double bound_lo, double bound_hi,
                        char *buf, size_t size)
{
    char m[24], lo[24], hi[24];
    if (!isfinite(s->mean) || s->n == 0) {
        snprintf(buf, size, "–");
        return;
    }
    snprintf(m, sizeof m, fmt, scale * s->mean);
    if (s->n < 2) {
        snprintf(buf, size, "%s", m);
        return;
    }
    snprintf(lo, sizeof lo, fmt, fmax(scale * s->lo, bound_lo));
    snprintf(hi, sizeof hi, fmt, fmin(scale * s->hi, bound_hi));
    snprintf(buf, size, "%s [%s, %s]", m, lo, hi);
}

static void stat_str(const sb_emerge_stat *s, double scale, const char *fmt, char *buf, size_t size)
{
    stat_str_in(s, scale, fmt, -INFINITY, INFINITY, buf, size);
}

/* rates, attention masses and shares: [0, scale] */
static void stat_str01(const sb_emerge_stat *s, double scale, const char *fmt, char *buf, size_t size)
{
    stat_str_in(s, scale, fmt, 0.0, scale, buf, size);
}

static const sb_emerge_cell *find(const sb_emerge_cell *c, size_t n, sb_emerge_data_kind data, sb_emerge_sink sink,
                                  size_t T, size_t L)
{
    for (size_t i = 0; i < n; i++)
        if (c[i].data == data && c[i].sink == sink && c[i].context == T && c[i].layers == L)
            return &c[i];
    return NULL;
}

typedef struct md {
    const sb_emerge_study *s;
    const char *note;
    sb_emerge_cell *cells;
    size_t nc;
} md;

/* Does the metric rise from the first to the last value of a sweep, beyond the intervals? */
static const char *trend(const sb_emerge_stat *a, const sb_emerge_stat *b)
{
    if (!isfinite(a->mean) || !isfinite(b->mean))
        return "cannot be told (missing values)";
    if (b->lo > a->hi)
        return "rises (the 95 % intervals do not overlap)";
    if (b->hi < a->lo)
        return "falls (the 95 % intervals do not overlap)";
    if (b->mean > a->mean)
        return "rises, but within the 95 % intervals";
    if (b->mean < a->mean)
        return "falls, but within the 95 % intervals";
    return "does not change";
}

static void write_md(FILE *f, const md *m)
{
    const sb_emerge_study *s = m->s;
    const sb_emerge_study_options *o = &s->o;
    size_t L0 = o->n_depths ? o->depths[0] : o->deep[0];
    double tps = 0, wall = 0;
    size_t ntps = 0, done = 0, back = 0;
    for (size_t i = 0; i < s->n; i++)
        if (s->runs[i].done) {
            done++;
            if (isfinite(s->runs[i].wall_seconds))
                wall += s->runs[i].wall_seconds;
            back += s->runs[i].read_back;
            if (isfinite(s->runs[i].tokens_per_second) && s->runs[i].layers == L0) {
                tps += s->runs[i].tokens_per_second;
                ntps++;
            }
        }
    fprintf(f, "# sinkbench emerge: sinks that emerge in training\n\n");
    fprintf(f, "%s study: %zu runs (%zu read back from an earlier invocation), %.0f s in this invocation, %.0f s of wall "
               "time over all runs (training and measurements, summed). Every run: "
               "pre-norm causal transformer, width %zu, %zu head%s per layer, byte vocabulary, %zu AdamW steps of %zu "
               "tokens (lr %g, warm-up then cosine), seeds %llu + k, k < %zu. Matrix products: %s. Mean training speed at "
               "depth %zu: %.0f tokens/s (forward + backward + update, %zu threads). Raw data: [emerge.json](emerge.json), "
               "one file per run in `runs/`. Method and reading: docs/emerge.md.\n\n",
            o->level == SB_EMERGE_FULL ? "Full" : "Quick", done, back, s->seconds, wall, o->width, o->heads,
            o->heads > 1 ? "s" : "", o->steps, o->tokens_per_step, o->lr, (unsigned long long)o->seed, o->seeds,
            o->matmul == SB_EMERGE_MATMUL_BLAS ? "OpenBLAS cblas_sgemm" : "our own loops", L0,
            ntps ? tps / (double)ntps : NAN, o->threads);
    fprintf(f, "Data: %s (bigram entropy %.2f bits per step)%s%s.\n\n", s->bb.source, s->bb.bigram_entropy,
            o->text ? "; " : "", o->text ? s->text.source : "");
    fprintf(f, "A **sink formed** when Sink₁^0.3 ≥ 50 %%: at least half of the heads put more than 0.3 of their "
               "attention on position 0 (α₁, Gu et al. 2025, window T = min(64, context), query row 0 not counted). "
               "Intervals are 95 %% t-intervals over seeds, clipped to the metric's range.\n\n");
    if (m->note)
        fprintf(f, "%s\n\n", m->note);
    else
        fprintf(f, "![sink over training](emerge_sink_over_steps.png)\n\n");

    /* sink formation vs variant and context */
    fprintf(f, "## Did a sink form? Bigram-Backcopy, depth %zu\n\n", L0);
    fprintf(f, "Sink₁^0.3 (%%) and mean α₁ at the end of training, per variant and training context length.\n\n| variant |");
    for (size_t ti = 0; ti < o->n_contexts; ti++)
        fprintf(f, " T = %zu |", o->contexts[ti]);
    fprintf(f, "\n|---|");
    for (size_t ti = 0; ti < o->n_contexts; ti++)
        fprintf(f, "---|");
    fprintf(f, "\n");
    for (int v = 0; v < SB_EMERGE_SINK_COUNT; v++) {
        if (!(o->variants >> v & 1))
            continue;
        fprintf(f, "| `%s` |", sb_emerge_sink_name((sb_emerge_sink)v));
        for (size_t ti = 0; ti < o->n_contexts; ti++) {
            const sb_emerge_cell *c = find(m->cells, m->nc, SB_EMERGE_DATA_BB, (sb_emerge_sink)v, o->contexts[ti], L0);
            char a[96], b[96];
            if (!c) {
                fprintf(f, " – |");
                continue;
            }
            stat_str01(&c->stat[SB_EM_RATE03], 100, "%.0f", a, sizeof a);
            stat_str01(&c->stat[SB_EM_ALPHA], 1, "%.3f", b, sizeof b);
            fprintf(f, " %s %%, α₁ %s |", a, b);
        }
        fprintf(f, "\n");
    }
    fprintf(f, "\n");
    if (!m->note && o->n_contexts > 1)
        fprintf(f, "![sink vs context length](emerge_context.png)\n\n");

    /* what each variant's sink takes */
    fprintf(f, "### Where the mass goes (T = %zu, depth %zu)\n\n", o->contexts[o->n_contexts > 1 ? 1 : 0], L0);
    fprintf(f, "| variant | α₁ (position 0) | logit-sink mass | gate closure | ‖v₀‖ / median ‖v_t‖ | ‖h₀‖ / median ‖h_t‖ | "
               "copy loss (nats) |\n|---|---|---|---|---|---|---|\n");
    for (int v = 0; v < SB_EMERGE_SINK_COUNT; v++) {
        const sb_emerge_cell *c =
            find(m->cells, m->nc, SB_EMERGE_DATA_BB, (sb_emerge_sink)v, o->contexts[o->n_contexts > 1 ? 1 : 0], L0);
        if (!c)
            continue;
        char a[96], b[96], g[96], vr[96], nr[96], cl[96];
        stat_str01(&c->stat[SB_EM_ALPHA], 1, "%.3f", a, sizeof a);
        stat_str01(&c->stat[SB_EM_LOGIT_MASS], 1, "%.3f", b, sizeof b);
        stat_str01(&c->stat[SB_EM_GATE_CLOSURE], 1, "%.3f", g, sizeof g);
        stat_str(&c->stat[SB_EM_VALUE_RATIO], 1, "%.2f", vr, sizeof vr);
        stat_str(&c->stat[SB_EM_NORM_RATIO], 1, "%.2f", nr, sizeof nr);
        stat_str(&c->stat[SB_EM_COPY_LOSS], 1, "%.3f", cl, sizeof cl);
        fprintf(f, "| `%s` | %s | %s | %s | %s | %s | %s |\n", sb_emerge_sink_name((sb_emerge_sink)v), a, b, g, vr, nr, cl);
    }
    fprintf(f, "\n");

    /* depth */
    if (o->n_deep) {
        fprintf(f, "## Depth\n\nMean α₁ over every head and Sink₁^0.3 (%%) at the end of training.\n\n| variant | layers |");
        for (size_t ti = 0; ti < o->n_contexts; ti++)
            fprintf(f, " T = %zu |", o->contexts[ti]);
        fprintf(f, "\n|---|---|");
        for (size_t ti = 0; ti < o->n_contexts; ti++)
            fprintf(f, "---|");
        fprintf(f, "\n");
        for (int v = 0; v < SB_EMERGE_SINK_COUNT; v++) {
            if (!(o->deep_variants >> v & 1))
                continue;
            size_t depths[2 * SB_EMERGE_MAX_LIST], nd = 0;
            for (size_t i = 0; i < o->n_depths; i++)
                depths[nd++] = o->depths[i];
            for (size_t i = 0; i < o->n_deep; i++)
                depths[nd++] = o->deep[i];
            for (size_t di = 0; di < nd; di++) {
                fprintf(f, "| `%s` | %zu |", sb_emerge_sink_name((sb_emerge_sink)v), depths[di]);
                for (size_t ti = 0; ti < o->n_contexts; ti++) {
                    const sb_emerge_cell *c =
                        find(m->cells, m->nc, SB_EMERGE_DATA_BB, (sb_emerge_sink)v, o->contexts[ti], depths[di]);
                    char a[96], b[96];
                    if (!c) {
                        fprintf(f, " – |");
                        continue;
                    }
                    stat_str01(&c->stat[SB_EM_ALPHA], 1, "%.3f", a, sizeof a);
                    stat_str01(&c->stat[SB_EM_RATE03], 100, "%.0f", b, sizeof b);
                    fprintf(f, " α₁ %s, %s %% |", a, b);
                }
                fprintf(f, "\n");
            }
        }
        fprintf(f, "\n");
        if (!m->note)
            fprintf(f, "![sink vs depth](emerge_depth.png)\n\n");
    }

    if (o->text) {
        fprintf(f, "## Natural text (fortunes), depth %zu, T = %zu\n\n| variant | Sink₁^0.3 (%%) | α₁ | validation loss "
                   "(nats/byte) |\n|---|---|---|---|\n", o->text_depth, o->text_context);
        for (int v = SB_EMERGE_SINK_NONE; v <= SB_EMERGE_SINK_BOS; v++) {
            const sb_emerge_cell *c =
                find(m->cells, m->nc, SB_EMERGE_DATA_TEXT, (sb_emerge_sink)v, o->text_context, o->text_depth);
            if (!c)
                continue;
            char a[96], b[96], l[96];
            stat_str01(&c->stat[SB_EM_RATE03], 100, "%.0f", a, sizeof a);
            stat_str01(&c->stat[SB_EM_ALPHA], 1, "%.3f", b, sizeof b);
            stat_str(&c->stat[SB_EM_VAL_LOSS], 1, "%.3f", l, sizeof l);
            fprintf(f, "| `%s` | %s | %s | %s |\n", sb_emerge_sink_name((sb_emerge_sink)v), a, b, l);
        }
        fprintf(f, "\n");
    }

    /* the sink removed at inference */
    size_t Tm = o->contexts[o->n_contexts > 1 ? 1 : 0];
    size_t Ld = o->n_deep ? o->deep[o->n_deep - 1] : L0;
    for (int pass = 0; pass < (o->n_deep ? 2 : 1); pass++) {
        size_t Lp = pass ? Ld : L0;
        fprintf(f, "## The sink removed at inference (T = %zu, depth %zu)\n\n", Tm, Lp);
        fprintf(f, "Relative drift of the last token's final hidden state after swapping token %zu, as trained and with "
                   "the sink removed; the share of the final drift away from the swapped token (locality); the share "
                   "of the last token's exact sensitivity (VJP) on position 0; the validation loss the sink is "
                   "worth.\n\n| variant | removal | drift as trained | drift removed | removed / trained | off-token share "
                   "(trained → removed) | position-0 sensitivity share | loss increase (nats) |\n"
                   "|---|---|---|---|---|---|---|---|\n",
                Tm / 2);
        for (int v = 0; v < SB_EMERGE_SINK_COUNT; v++) {
            const sb_emerge_cell *c = find(m->cells, m->nc, SB_EMERGE_DATA_BB, (sb_emerge_sink)v, Tm, Lp);
            if (!c)
                continue;
            char a[96], b[96], r[96], o1[96], o2[96], s1[96], li[96];
            stat_str(&c->stat[SB_EM_DRIFT], 1, "%.3g", a, sizeof a);
            stat_str(&c->stat[SB_EM_DRIFT_REMOVED], 1, "%.3g", b, sizeof b);
            stat_str(&c->stat[SB_EM_DRIFT_RATIO], 1, "%.2f", r, sizeof r);
            stat_str01(&c->stat[SB_EM_OFF_SHARE], 1, "%.2f", o1, sizeof o1);
            stat_str01(&c->stat[SB_EM_OFF_SHARE_REMOVED], 1, "%.2f", o2, sizeof o2);
            stat_str01(&c->stat[SB_EM_SENS_SHARE], 1, "%.3f", s1, sizeof s1);
            stat_str(&c->stat[SB_EM_LOSS_INCREASE], 1, "%.3f", li, sizeof li);
            fprintf(f, "| `%s` | %s | %s | %s | %s | %s → %s | %s | %s |\n", sb_emerge_sink_name((sb_emerge_sink)v),
                    sb_emerge_removal_name((sb_emerge_sink)v), a, b, r, o1, o2, s1, li);
        }
        fprintf(f, "\n");
    }
    if (!m->note)
        fprintf(f, "![drift with and without the sink](emerge_drift.png)\n\n![sensitivity profile](emerge_sensitivity.png)\n\n");

    /* repeated tokens */
    fprintf(f, "## Repeated tokens (Gu et al.)\n\nSink₁^0.3 on a sequence of one repeated token, after the template's "
               "first token (BOS, the fixed first token) and with the token at every position, T = %zu, depth %zu; Gu et "
               "al. report 0 %% for LLMs on repeated tokens.\n\n| variant | on data | repeated, template kept | repeated "
               "everywhere |\n|---|---|---|---|\n", Tm, L0);
    for (int v = 0; v < SB_EMERGE_SINK_COUNT; v++) {
        const sb_emerge_cell *c = find(m->cells, m->nc, SB_EMERGE_DATA_BB, (sb_emerge_sink)v, Tm, L0);
        if (!c)
            continue;
        char a[96], b[96], p2[96];
        stat_str01(&c->stat[SB_EM_RATE03], 100, "%.0f", a, sizeof a);
        stat_str01(&c->stat[SB_EM_REPEATED], 100, "%.0f", b, sizeof b);
        stat_str01(&c->stat[SB_EM_REPEATED_PLAIN], 100, "%.0f", p2, sizeof p2);
        fprintf(f, "| `%s` | %s %% | %s %% | %s %% |\n", sb_emerge_sink_name((sb_emerge_sink)v), a, b, p2);
    }
    fprintf(f, "\n");

    /* kernels: the representative run */
    const sb_emerge_run *rep = NULL;
    for (size_t i = 0; i < s->n; i++) {
        const sb_emerge_run *r = &s->runs[i];
        if (r->done && r->data == SB_EMERGE_DATA_BB && r->sink == SB_EMERGE_SINK_BOS && r->context == Tm &&
            r->seed_index == 0 && (!rep || r->layers > rep->layers))
            rep = r;
    }
    if (rep) {
        json_object *p = NULL, *ks = NULL, *sk = NULL;
        json_object_object_get_ex(rep->json, "probe", &p);
        json_object_object_get_ex(p, "kernels", &ks);
        json_object_object_get_ex(p, "skipped_kernels", &sk);
        fprintf(f, "## Kernel rounding through the trained stack (`%s`)\n\nThe same weights and inputs (2 validation "
                   "sequences) through the binary32 model with each registered softmax kernel, and with bf16/f16 "
                   "storage of every activation and probability (dispatched kernel), against the binary64 model: "
                   "‖H − H_ref‖_F / ‖H_ref‖_F after the last layer.\n\n| kernel | storage | sink as trained | sink "
                   "removed |\n|---|---|---|---|\n", rep->id);
        size_t nk = ks ? json_object_array_length(ks) : 0;
        for (size_t i = 0; i < nk; i++) {
            json_object *k = json_object_array_get_idx(ks, i), *rm, *name, *prec, *err;
            json_object_object_get_ex(k, "removed", &rm);
            if (json_object_get_boolean(rm))
                continue;
            json_object_object_get_ex(k, "kernel", &name);
            json_object_object_get_ex(k, "precision", &prec);
            json_object_object_get_ex(k, "error", &err);
            double e0 = json_object_get_double(json_object_array_get_idx(err, json_object_array_length(err) - 1)), e1 = NAN;
            for (size_t j = 0; j < nk; j++) {
                json_object *k2 = json_object_array_get_idx(ks, j), *rm2, *n2, *p2, *er2;
                json_object_object_get_ex(k2, "removed", &rm2);
                json_object_object_get_ex(k2, "kernel", &n2);
                json_object_object_get_ex(k2, "precision", &p2);
                json_object_object_get_ex(k2, "error", &er2);
                if (json_object_get_boolean(rm2) && !strcmp(json_object_get_string(n2), json_object_get_string(name)) &&
                    !strcmp(json_object_get_string(p2), json_object_get_string(prec)))
                    e1 = json_object_get_double(json_object_array_get_idx(er2, json_object_array_length(er2) - 1));
            }
            fprintf(f, "| `%s` | %s | %.3g | %.3g |\n", json_object_get_string(name), json_object_get_string(prec), e0, e1);
        }
        size_t ns = sk ? json_object_array_length(sk) : 0;
        if (ns) {
            fprintf(f, "\nSkipped kernels:");
            for (size_t i = 0; i < ns; i++) {
                json_object *k = json_object_array_get_idx(sk, i), *name, *why;
                json_object_object_get_ex(k, "kernel", &name);
                json_object_object_get_ex(k, "why", &why);
                fprintf(f, "%s `%s` (%s)", i ? "," : "", json_object_get_string(name), json_object_get_string(why));
            }
            fprintf(f, ".\n");
        }
        fprintf(f, "\n");
        if (!m->note)
            fprintf(f, "![kernel rounding](emerge_kernels.png)\n\n");
    }

    /* verdicts */
    fprintf(f, "## What this run shows\n\nEach line is built from the numbers above.\n\n");
    for (int v = 0; v < SB_EMERGE_SINK_COUNT; v++) {
        if (!(o->variants >> v & 1))
            continue;
        const sb_emerge_cell *c = find(m->cells, m->nc, SB_EMERGE_DATA_BB, (sb_emerge_sink)v, Tm, L0);
        if (!c)
            continue;
        size_t formed = 0;
        for (size_t k = 0; k < c->n; k++)
            formed += c->values[SB_EM_RATE03][k] >= SB_EMERGE_FORMED;
        fprintf(f, "- `%s` (T = %zu, depth %zu): a sink formed in %zu of %zu seeds (Sink₁^0.3 ≥ 50 %%); mean α₁ %.3f.\n",
                sb_emerge_sink_name((sb_emerge_sink)v), Tm, L0, formed, c->n, c->stat[SB_EM_ALPHA].mean);
    }
    if (o->n_contexts > 1)
        for (int v = 0; v < SB_EMERGE_SINK_COUNT; v++) {
            const sb_emerge_cell *a =
                find(m->cells, m->nc, SB_EMERGE_DATA_BB, (sb_emerge_sink)v, o->contexts[0], L0);
            const sb_emerge_cell *b =
                find(m->cells, m->nc, SB_EMERGE_DATA_BB, (sb_emerge_sink)v, o->contexts[o->n_contexts - 1], L0);
            if (!(o->variants >> v & 1) || !a || !b)
                continue;
            fprintf(f, "- Training context %zu → %zu, `%s`: α₁ %.3f → %.3f, %s.\n", o->contexts[0],
                    o->contexts[o->n_contexts - 1], sb_emerge_sink_name((sb_emerge_sink)v), a->stat[SB_EM_ALPHA].mean,
                    b->stat[SB_EM_ALPHA].mean, trend(&a->stat[SB_EM_ALPHA], &b->stat[SB_EM_ALPHA]));
        }
    if (o->n_deep)
        for (int v = 0; v < SB_EMERGE_SINK_COUNT; v++) {
            if (!(o->deep_variants >> v & 1))
                continue;
            const sb_emerge_cell *a = find(m->cells, m->nc, SB_EMERGE_DATA_BB, (sb_emerge_sink)v, Tm, L0);
            const sb_emerge_cell *b = find(m->cells, m->nc, SB_EMERGE_DATA_BB, (sb_emerge_sink)v, Tm, Ld);
            if (!a || !b)
                continue;
            fprintf(f, "- Depth %zu → %zu, `%s`, T = %zu: α₁ %.3f → %.3f, %s.\n", L0, Ld,
                    sb_emerge_sink_name((sb_emerge_sink)v), Tm, a->stat[SB_EM_ALPHA].mean, b->stat[SB_EM_ALPHA].mean,
                    trend(&a->stat[SB_EM_ALPHA], &b->stat[SB_EM_ALPHA]));
        }
    for (int v = 0; v < SB_EMERGE_SINK_COUNT; v++) {
        const sb_emerge_cell *c = find(m->cells, m->nc, SB_EMERGE_DATA_BB, (sb_emerge_sink)v, Tm, L0);
        if (!c || !(o->variants >> v & 1))
            continue;
        const sb_emerge_stat *r = &c->stat[SB_EM_DRIFT_RATIO];
        fprintf(f, "- `%s`, %s: last-token drift × %.2f (removed / trained%s).\n", sb_emerge_sink_name((sb_emerge_sink)v),
                sb_emerge_removal_name((sb_emerge_sink)v), r->mean,
                r->n < 2 ? "" : r->lo > 1 ? "; above 1 beyond the 95 % interval" : r->hi < 1 ? "; below 1 beyond the 95 % interval"
                                                                                 : "; 1 lies within the 95 % interval");
    }
    fprintf(f, "\n");
}

sb_status sb_emerge_study_write_markdown(const sb_emerge_study *s, const char *plots_note, char *err, size_t err_size)
{
    if (!s)
        return SB_EINVAL;
    md m = {s, plots_note, calloc(s->n ? s->n : 1, sizeof(sb_emerge_cell)), 0};
    if (!m.cells) {
        snprintf(err, err_size, "out of memory");
        return SB_ENOMEM;
    }
    m.nc = sb_emerge_cells(s, m.cells, s->n);
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f) {
        free(m.cells);
        snprintf(err, err_size, "out of memory");
        return SB_ENOMEM;
    }
    write_md(f, &m);
    fclose(f);
    char path[4200];
    snprintf(path, sizeof path, "%s/emerge.md", s->dir);
    sb_status st = sb_atomic_write_bytes(path, text, len, NULL, 0, err, err_size) ? SB_OK : SB_EINVAL;
    free(text);
    free(m.cells);
    return st;
}
