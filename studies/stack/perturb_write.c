/* perturb.json (every measured number, per weight seed; no timings, so the same options give the same
 * file) and perturb.md (the verdicts, tables and plots, with the run time). */
#include "studies/stack/perturb_write.h"

#include <math.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "io/json_helpers.h"

static const char *const format_names[PT_FORMATS] = {"f64", "f32", "bf16", "f16"};
static const char *const offset_modes[3] = {"none", "softmax1", "learned"};

/* ---- JSON (json-c trees; series and matrix rows one per line) ---- */

static json_object *series(const double *v, size_t n)
{
    json_object *a = json_object_new_array();
    for (size_t i = 0; i < n; i++)
        json_object_array_add(a, sb_json_new_number(v[i], 0));
    return sb_json_one_line(a);
}

static void numbers(json_object *o, const char *key, const double *v, size_t n)
{
    json_object_object_add(o, key, series(v, n));
}

static void sizes(json_object *o, const char *key, const size_t *v, size_t n)
{
    json_object *a = json_object_new_array();
    for (size_t i = 0; i < n; i++)
        json_object_array_add(a, json_object_new_uint64(v[i]));
    json_object_object_add(o, key, sb_json_one_line(a));
}

/* rows x W per-seed values, one row per line. */
static void seeds_matrix(json_object *o, const char *key, const double (*v)[PT_W], size_t rows, size_t W)
{
    json_object *m = json_object_new_array();
    for (size_t r = 0; r < rows; r++)
        json_object_array_add(m, series(v[r], W));
    json_object_object_add(o, key, m);
}

static void matrix(json_object *o, const char *key, const double *v, size_t rows, size_t cols)
{
    json_object *m = json_object_new_array();
    for (size_t r = 0; r < rows; r++)
        json_object_array_add(m, series(v + r * cols, cols));
    json_object_object_add(o, key, m);
}

static void add_number(json_object *o, const char *key, double v)
{
    json_object_object_add(o, key, sb_json_new_number(v, 0));
}

static void add_uint(json_object *o, const char *key, uint64_t v)
{
    json_object_object_add(o, key, json_object_new_uint64(v));
}

static void add_string(json_object *o, const char *key, const char *s)
{
    json_object_object_add(o, key, sb_json_new_string(s));
}

static void add_bool(json_object *o, const char *key, int v)
{
    json_object_object_add(o, key, json_object_new_boolean(v));
}

static void add_setup(json_object *o, const sb_perturb_setup *s)
{
    json_object *e = json_object_new_object();
    add_uint(e, "layers", s->layers);
    add_uint(e, "tokens", s->tokens);
    add_uint(e, "heads", s->heads);
    add_uint(e, "width", s->width);
    add_uint(e, "seeds", s->seeds);
    add_uint(e, "sequences", s->sequences);
    json_object_object_add(o, "setup", e);
}

static const char *kind_name(sb_perturb_kind k)
{
    return k == SB_KIND_REPRODUCTION ? "reproduction" : k == SB_KIND_SANITY ? "sanity" : "observation";
}

const char *sb_perturb_outcome_word(const sb_perturb_verdict *v)
{
    int sanity = v->kind == SB_KIND_SANITY;
    switch (v->outcome) {
    case SB_OUTCOME_HOLDS: return sanity ? "passed" : "reproduced";
    case SB_OUTCOME_FAILS: return sanity ? "FAILED" : "NOT reproduced";
    case SB_OUTCOME_INCONCLUSIVE: return "inconclusive";
    default: return "observed";
    }
}

static const char *rule_name(sb_perturb_rule r)
{
    return r == SB_RULE_ABOVE ? "above" : r == SB_RULE_BELOW ? "below" : r == SB_RULE_BETWEEN ? "between" : "none";
}

static json_object *verdicts(const sb_perturb_results *r)
{
    json_object *a = json_object_new_array();
    for (size_t k = 0; k < r->n_verdicts; k++) {
        const sb_perturb_verdict *v = &r->verdicts[k];
        json_object *e = json_object_new_object();
        add_string(e, "id", v->id);
        add_string(e, "kind", kind_name(v->kind));
        add_string(e, "outcome", sb_perturb_outcome_word(v));
        add_string(e, "claim", v->claim);
        add_string(e, "source", v->source);
        add_string(e, "quantity", v->quantity);
        add_string(e, "prediction", v->prediction);
        add_string(e, "criterion", v->criterion);
        add_string(e, "result", v->result);
        add_string(e, "sampling", v->sampling);
        if (v->note[0])
            add_string(e, "note", v->note);
        json_object *est = json_object_new_object();
        add_number(est, "mean", v->est.mean);
        add_number(est, "lo", v->est.lo);
        add_number(est, "hi", v->est.hi);
        add_bool(est, "log_scale", v->est.log);
        add_uint(est, "seeds", v->est.n);
        json_object_object_add(e, "estimate", est);
        add_string(e, "rule", rule_name(v->rule));
        double ab[2] = {v->a, v->b};
        numbers(e, "thresholds", ab, v->rule == SB_RULE_BETWEEN ? 2 : v->rule == SB_RULE_NONE ? 0 : 1);
        json_object_array_add(a, e);
    }
    return a;
}

static json_object *config(const sb_perturb_results *r)
{
    const sb_perturb_options *o = &r->o;
    json_object *c = json_object_new_object();
    add_uint(c, "layers", r->L);
    add_uint(c, "tokens", r->n);
    add_uint(c, "heads", r->H);
    add_uint(c, "width", r->d);
    add_bool(c, "norm", o->norm);
    add_bool(c, "mlp", o->mlp);
    add_number(c, "temperature", o->temperature);
    add_number(c, "gap", o->gap);
    add_number(c, "value_scale", o->value_scale);
    add_number(c, "gate_bias", o->gate_bias);
    add_number(c, "gate_gain", o->gate_gain);
    add_uint(c, "seeds", r->W);
    add_uint(c, "sequences", r->S);
    json_object *ws = json_object_new_array();
    for (size_t k = 0; k < r->W; k++)
        json_object_array_add(ws, json_object_new_uint64(r->weight_seed[k]));
    json_object_object_add(c, "weight_seeds", sb_json_one_line(ws));
    add_string(c, "perturbation", o->swap ? "swap" : "add");
    if (!o->swap)
        add_number(c, "perturb_size", o->perturb_size);
    add_uint(c, "perturbed_token", r->j);
    return c;
}

static json_object *modes(const sb_perturb_results *r)
{
    size_t L = r->L, W = r->W;
    json_object *a = json_object_new_array();
    for (int m = 0; m < PT_MODES; m++) {
        const sb_perturb_mode *md = &r->mode[m];
        json_object *e = json_object_new_object();
        add_string(e, "mode", sb_stack_sink_name(md->sink));
        add_number(e, "strength", md->strength);
        matrix(e, "drift_rel", md->drift_rel, L + 1, W);
        matrix(e, "drift_abs", md->drift_abs, L + 1, W);
        matrix(e, "rank_collapse_residual", md->residual, L + 1, W);
        numbers(e, "nonlocal_share", md->nonlocal, W);
        numbers(e, "content_mass", md->leak, W);
        matrix(e, "drift_map", md->map, L + 1, r->n);
        json_object *sm = json_object_new_object();
        numbers(sm, "sink_0.3", md->rate, W);
        numbers(sm, "repeated_tokens_sink_0.3", md->repeated_rate, W);
        add_number(sm, "pooled_sink_0.3", md->sink_rate[0][0]);
        add_number(sm, "pooled_sink_0.8", md->sink_rate[0][1]);
        add_number(sm, "pooled_sink_0.3_with_row0", md->sink_rate[1][0]);
        add_number(sm, "pooled_sink_0.8_with_row0", md->sink_rate[1][1]);
        add_number(sm, "alpha_mean", md->alpha_mean[0]);
        add_number(sm, "alpha_mean_with_row0", md->alpha_mean[1]);
        add_number(sm, "logit_sink_mass", md->virtual_sink);
        matrix(sm, "alpha", md->alpha, L, r->H);
        json_object_object_add(e, "sink_metric", sm);
        json_object_array_add(a, e);
    }
    return a;
}

static void add_sensitivity(json_object *doc, const sb_perturb_results *r)
{
    json_object *s = json_object_new_object();
    add_setup(s, &r->prof);
    add_uint(s, "probes", r->probes);
    json_object *profiles = json_object_new_array();
    for (size_t k = 0; k < r->n_profiles; k++) {
        const sb_perturb_profile *p = &r->profile[k];
        json_object *e = json_object_new_object();
        add_string(e, "mode", sb_stack_sink_name(p->sink));
        add_uint(e, "layers", p->layers);
        numbers(e, "s", p->s, r->prof.tokens);
        numbers(e, "share_first", p->share_first, r->W);
        numbers(e, "participation", p->pr, r->W);
        json_object_array_add(profiles, e);
    }
    json_object_object_add(s, "profiles", profiles);
    json_object *chk = json_object_new_object();
    add_uint(chk, "checks", r->derivative_checks);
    add_number(chk, "jvp_vs_differences", r->jvp_fd_error);
    add_number(chk, "vjp_vs_jvp", r->vjp_adjoint_error);
    json_object_object_add(s, "derivative_checks", chk);
    json_object_object_add(doc, "sensitivity", s);

    json_object *lim = json_object_new_object();
    add_uint(lim, "tokens", r->limit_tokens);
    add_number(lim, "temperature", r->o.temperature);
    numbers(lim, "mass_first", r->limit_mass, r->limit_layers);
    add_number(lim, "stack_max_error", r->limit_stack_error);
    json_object_object_add(doc, "limit", lim);
}

static json_object *context(const sb_perturb_results *r)
{
    json_object *c = json_object_new_object();
    add_setup(c, &r->ctx);
    sizes(c, "tokens", r->ctx_n, r->n_ctx);
    add_number(c, "leak_level", PT_LEAK_LEVEL);
    add_number(c, "drift_level", PT_DRIFT_LEVEL);
    seeds_matrix(c, "gap_leak", (const double(*)[PT_W])r->gap_leak, r->n_ctx, r->W);
    seeds_matrix(c, "gap_drift", (const double(*)[PT_W])r->gap_drift, r->n_ctx, r->W);
    seeds_matrix(c, "participation_none", (const double(*)[PT_W])r->pr[0], r->n_ctx, r->W);
    seeds_matrix(c, "participation_bos", (const double(*)[PT_W])r->pr[1], r->n_ctx, r->W);
    numbers(c, "participation_linear", r->pr_linear, r->n_ctx);
    return c;
}

static json_object *heads(const sb_perturb_results *r)
{
    json_object *h = json_object_new_object();
    add_setup(h, &r->hd);
    add_uint(h, "head_width", r->head_width);
    sizes(h, "heads", r->heads, r->n_heads);
    seeds_matrix(h, "sensitivity_none", (const double(*)[PT_W])r->head_sens[0], r->n_heads, r->W);
    seeds_matrix(h, "sensitivity_bos", (const double(*)[PT_W])r->head_sens[1], r->n_heads, r->W);
    seeds_matrix(h, "path_sum_none", (const double(*)[PT_W])r->head_bound[0], r->n_heads, r->W);
    seeds_matrix(h, "path_sum_bos", (const double(*)[PT_W])r->head_bound[1], r->n_heads, r->W);
    return h;
}

static json_object *precision(const sb_perturb_results *r)
{
    json_object *p = json_object_new_object();
    add_setup(p, &r->prec);
    add_string(p, "kernel", r->prec_kernel);
    sizes(p, "tokens", r->pn, r->n_pn);
    json_object *fmts = json_object_new_array();
    for (int f = 0; f < PT_FORMATS; f++) {
        json_object *e = json_object_new_object();
        add_string(e, "format", format_names[f]);
        seeds_matrix(e, "distance", (const double(*)[PT_W])r->coll[f], r->n_pn, r->W);
        seeds_matrix(e, "difference_error", (const double(*)[PT_W])r->coll_err[f], r->n_pn, r->W);
        numbers(e, "identical_share", r->coll_zero[f], r->n_pn);
        json_object_array_add(fmts, e);
    }
    json_object_object_add(p, "formats", fmts);
    seeds_matrix(p, "distance_bos", (const double(*)[PT_W])r->coll_bos, r->n_pn, r->W);
    seeds_matrix(p, "signal_none", (const double(*)[PT_W])r->coll_signal[0], r->n_pn, r->W);
    seeds_matrix(p, "signal_bos", (const double(*)[PT_W])r->coll_signal[1], r->n_pn, r->W);
    json_object *snr = json_object_new_object();
    add_setup(snr, &r->snr);
    numbers(snr, "gaps", r->snr_gaps, r->n_snr);
    seeds_matrix(snr, "signal", (const double(*)[PT_W])r->snr_signal, r->n_snr, r->W);
    for (int f = 1; f < PT_FORMATS; f++) {
        char key[32];
        snprintf(key, sizeof key, "loss_%s", format_names[f]);
        seeds_matrix(snr, key, (const double(*)[PT_W])r->snr_loss[f], r->n_snr, r->W);
    }
    json_object_object_add(p, "signal_to_rounding", snr);
    return p;
}

static void add_sweeps(json_object *doc, const sb_perturb_results *r)
{
    json_object *off = json_object_new_object();
    add_setup(off, &r->off);
    numbers(off, "offsets", r->offsets, r->n_offsets);
    for (int m = 0; m < 3; m++) {
        char key[48];
        snprintf(key, sizeof key, "%s_drift_rel", offset_modes[m]);
        seeds_matrix(off, key, (const double(*)[PT_W])r->off_drift[m], r->n_offsets, r->W);
        snprintf(key, sizeof key, "%s_content_mass", offset_modes[m]);
        seeds_matrix(off, key, (const double(*)[PT_W])r->off_mass[m], r->n_offsets, r->W);
    }
    json_object_object_add(doc, "offsets", off);

    json_object *g = json_object_new_object();
    add_setup(g, &r->gate);
    add_number(g, "gate_gain", r->o.gate_gain);
    add_number(g, "gate_bias", r->o.gate_bias);
    numbers(g, "gated_drift_rel", r->gate_drift, r->W);
    numbers(g, "scaled_drift_rel", r->scaled_drift, r->W);
    numbers(g, "none_drift_rel", r->gate_none_drift, r->W);
    numbers(g, "matched_scale", r->gate_scale, r->W);
    numbers(g, "gate_mean", r->gate_mean, r->W);
    numbers(g, "gate_below_0.1", r->gate_sparse, r->W);
    json_object_object_add(doc, "gate", g);

    json_object *st = json_object_new_object();
    add_setup(st, &r->str);
    numbers(st, "gaps", r->gaps, r->n_gaps);
    static const sb_stack_sink swept[] = {SB_STACK_SINK_BOS, SB_STACK_SINK_LEARNED, SB_STACK_SINK_NO_BOS,
                                          SB_STACK_SINK_GATED};
    for (size_t m = 0; m < sizeof swept / sizeof *swept; m++)
        seeds_matrix(st, sb_stack_sink_name(swept[m]), (const double(*)[PT_W])r->gap_drift_rel[swept[m]], r->n_gaps,
                     r->W);
    json_object_object_add(doc, "strength", st);
}

static json_object *numerics(const sb_perturb_results *r)
{
    json_object *a = json_object_new_array();
    for (size_t k = 0; k < r->n_numeric; k++) {
        const sb_perturb_numeric_run *n = &r->numeric[k];
        json_object *e = json_object_new_object();
        add_string(e, "mode", sb_stack_sink_name(n->sink));
        add_string(e, "kernel", n->kernel);
        add_string(e, "isa", n->isa);
        add_string(e, "group", n->peer ? "peer" : n->reference ? "reference" : "ours");
        add_bool(e, "emulated", n->emulated);
        add_string(e, "precision", sb_stack_precision_name(n->precision));
        add_uint(e, "injected_layers", n->injected);
        numbers(e, "error", n->error, r->L + 1);
        json_object_array_add(a, e);
    }
    return a;
}

void sb_perturb_write_json(FILE *f, const sb_perturb_results *r)
{
    json_object *doc = json_object_new_object();
    add_string(doc, "tool", "sinkbench perturb");
    add_string(doc, "version", sb_version());
    add_string(doc, "level", r->o.level == SB_PERTURB_FULL ? "full" : "quick");
    add_uint(doc, "seed", r->o.seed);
    json_object_object_add(doc, "config", config(r));
    json_object_object_add(doc, "verdicts", verdicts(r));
    json_object_object_add(doc, "modes", modes(r));
    add_sensitivity(doc, r);
    json_object_object_add(doc, "context", context(r));
    json_object_object_add(doc, "heads", heads(r));
    json_object_object_add(doc, "precision", precision(r));
    add_sweeps(doc, r);
    json_object_object_add(doc, "numerics", numerics(r));
    sb_json_print(f, doc);
    json_object_put(doc);
}

/* ---- Markdown ---- */

static void est_cell(char *buf, size_t size, const double *v, size_t W, int log_scale)
{
    sb_perturb_est e = log_scale ? sb_perturb_est_log(v, W) : sb_perturb_est_of(v, W);
    if (isnan(e.mean))
        snprintf(buf, size, "—");
    else
        snprintf(buf, size, "%.3g [%.3g, %.3g]", e.mean, e.lo, e.hi);
}

/* The precision-meets-mixing tables, also embedded in the report's index page. */
static size_t precision_tables(char *out, size_t size, const sb_perturb_results *r)
{
    size_t len = 0, W = r->W;
#define OUT(...)                                                                                                      \
    do {                                                                                                              \
        if (len < size) {                                                                                             \
            int w_ = snprintf(out + len, size - len, __VA_ARGS__);                                                    \
            len += w_ > 0 ? (size_t)w_ : 0;                                                                           \
        }                                                                                                             \
    } while (0)
    OUT("Representational collapse in every storage format (no sink; L = %zu, H = %zu, d = %zu; kernel `%s`; "
        "geometric means [95 %% interval] over %zu weight seeds × %zu sequences): the binary64 distance "
        "‖y_n([v,a]) − y_{n+1}([v,a,a])‖ against the error of each format's difference vector, "
        "‖(y_n^F − y_{n+1}^F) − (y_n − y_{n+1})‖. Where the error reaches the distance, rounding dominates what "
        "mixing leaves of the difference; *identical* counts sequences whose two outputs are the same bits.\n\n",
        r->prec.layers, r->prec.heads, r->prec.width, r->prec_kernel ? r->prec_kernel : "-", W, r->prec.sequences);
    OUT("| n | f64 distance | f32: error of the difference | bf16 | f16 | identical: f32 / bf16 / f16 |\n"
        "|---:|---|---|---|---|---|\n");
    for (size_t i = 0; i < r->n_pn; i++) {
        char c[PT_FORMATS][64];
        double v[PT_W];
        for (int f = 0; f < PT_FORMATS; f++) {
            for (size_t k = 0; k < W; k++)
                v[k] = f ? r->coll_err[f][i][k] : r->coll[0][i][k];
            est_cell(c[f], sizeof c[f], v, W, 1);
        }
        OUT("| %zu | %s | %s | %s | %s | %.0f %% / %.0f %% / %.0f %% |\n", r->pn[i], c[0], c[1], c[2], c[3],
            100 * r->coll_zero[1][i], 100 * r->coll_zero[2][i], 100 * r->coll_zero[3][i]);
    }
    OUT("\nSignal-to-rounding on the BOS stack (L = %zu, n = %zu, d = %zu): the last token's response r to a "
        "swapped token, and the share of it each format gets wrong, ‖r_F − r‖/‖r‖ (above 100 %%: the format loses "
        "more than everything the sink lets through).\n\n| Δ | ‖r‖ (f64) | f32 | bf16 | f16 |\n|---:|---|---|---|---|\n",
        r->snr.layers, r->snr.tokens, r->snr.width);
    for (size_t g = 0; g < r->n_snr; g++) {
        double v[PT_W];
        for (size_t k = 0; k < W; k++)
            v[k] = r->snr_signal[g][k];
        char sig[64];
        est_cell(sig, sizeof sig, v, W, 1);
        OUT("| %g | %s |", r->snr_gaps[g], sig);
        for (int f = 1; f < PT_FORMATS; f++) {
            for (size_t k = 0; k < W; k++)
                v[k] = r->snr_loss[f][g][k];
            double m = sb_perturb_mean(v, W);
            OUT(" %s%.3g %%%s |", m >= 1 ? "**" : "", 100 * m, m >= 1 ? "**" : "");
        }
        OUT("\n");
    }
#undef OUT
    return len;
}

static void verdict_block(FILE *f, const sb_perturb_verdict *v)
{
    fprintf(f, "### %s — **%s**\n\n", v->claim, sb_perturb_outcome_word(v));
    fprintf(f, "- *Source:* %s\n- *Measured:* %s\n- *Prediction:* %s\n- *Criterion:* %s\n- *Result:* %s\n"
               "- *Sampling:* %s\n",
            v->source, v->quantity, v->prediction, v->criterion, v->result, v->sampling);
    if (v->note[0])
        fprintf(f, "- *Note:* %s\n", v->note);
    fprintf(f, "\n");
}

static int exists(const char *dir, const char *name)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return access(path, R_OK) == 0;
}

const sb_perturb_plot sb_perturb_plots[] = {
    {"perturb_drift.png", "How far does one swapped token move the last token? Relative drift vs layer, every sink mode"},
    {"perturb_drift_map.png", "Where does the change go? Relative drift per layer and token, without and with a BOS sink"},
    {"perturb_sensitivity.png", "Which input tokens does the last token depend on, as depth grows? (reverse mode)"},
    {"perturb_context.png", "How strong must the sink be as n grows? Δ* for the leak and for one token's drift vs n"},
    {"perturb_participation.png", "How many source tokens does the last token listen to? Participation ratio vs n"},
    {"perturb_heads.png", "Do more heads mix more? Measured sensitivity and the bound's path sum vs H (head width 8)"},
    {"perturb_offset.png", "Where does softmax₁ start to help? Drift ratio vs the content-logit offset b, with 1/m"},
    {"perturb_precision.png", "When does rounding swamp what mixing leaves? Collapse distance vs each format's rounding"},
    {"perturb_precision_snr.png", "Which sink gap leaves a format nothing to resolve? Response lost vs Δ per format"},
    {"perturb_collapse.png", "Do the tokens' representations merge with depth? Rank-collapse residual per sink mode"},
    {"perturb_strength.png", "Sanity check: a stronger imposed sink cuts drift more"},
    {"perturb_numerics.png", "How does each kernel's rounding travel through depth? Kernels grouped; storage precisions"},
};
const size_t sb_perturb_plot_count = sizeof sb_perturb_plots / sizeof sb_perturb_plots[0];

void sb_perturb_write_markdown(FILE *f, const sb_perturb_results *r, const char *dir, const char *plot_note)
{
    const sb_perturb_options *o = &r->o;
    size_t L = r->L, W = r->W;
    fprintf(f, "# Perturbation propagation through a synthetic attention stack\n\n");
    fprintf(f, "`sinkbench perturb --%s --seed %llu` — base stack: %zu layers, %zu heads, width %zu, %zu tokens, RMSNorm "
               "%s, MLP %s, temperature %g; sink gap Δ = %g, sink value × %g; gate σ(%g·uW_g − %g); token %zu %s. "
               "Intervals: 95 %% over %zu weight seeds (%llu–%llu), each the mean of %zu sequences%s. Took %.1f s. "
               "Definitions: docs/perturbation.md. Raw data: [perturb.json](perturb.json).\n\n",
            o->level == SB_PERTURB_FULL ? "full" : "quick", (unsigned long long)o->seed, L, r->H, r->d, r->n,
            o->norm ? "on" : "off", o->mlp ? "on" : "off", o->temperature, o->gap, o->value_scale, o->gate_gain,
            o->gate_bias, r->j, o->swap ? "swapped for another token" : "moved", W,
            (unsigned long long)r->weight_seed[0], (unsigned long long)r->weight_seed[W - 1], r->S,
            (W < 8 || r->S < 8) ? " — fewer than the 8 × 8 of `--full`: read the intervals as a smoke test" : "",
            r->seconds);
    fprintf(f, "The sink in this stack is *imposed* (a key bias Δ on BOS, its value × κ; or a fixed logit), not "
               "learned. Reproductions test published claims that such a stack can test; sanity checks are "
               "consequences of imposing the sink and check the setup; observations have no published prediction. "
               "How each criterion follows from its prediction: docs/perturbation.md, \"Verdicts\".\n\n");
    static const char *const heads[3] = {"Reproductions", "Sanity checks (consequences of the imposed sink)",
                                         "Observations"};
    for (int kind = 0; kind < 3; kind++) {
        fprintf(f, "## %s\n\n", heads[kind]);
        for (size_t k = 0; k < r->n_verdicts; k++)
            if ((int)r->verdicts[k].kind == kind)
                verdict_block(f, &r->verdicts[k]);
    }

    fprintf(f, "## Sink modes on the base stack\n\nMeans over seeds of per-seed means; relative drift is "
               "‖h_{n−1} − h′_{n−1}‖/‖h_{n−1}‖.\n\n| mode | relative drift, layer 1 | layer %zu | absolute drift, "
               "layer %zu | content mass (last query) | off-token share | rank-collapse residual, layer %zu | "
               "Sink^0.3 | Sink^0.3, repeated tokens | logit-sink mass |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n",
            L, L, L);
    for (int m = 0; m < PT_MODES; m++) {
        const sb_perturb_mode *md = &r->mode[m];
        fprintf(f, "| %s | %.3g | %.3g | %.3g | %.3g | %.1f %% | %.3f | %.0f %% | %.0f %% | %.3f |\n",
                sb_stack_sink_name(md->sink), sb_perturb_mean(md->drift_rel + W, W), sb_perturb_mean(md->drift_rel + L * W, W),
                sb_perturb_mean(md->drift_abs + L * W, W), sb_perturb_mean(md->leak, W), 100 * sb_perturb_mean(md->nonlocal, W),
                sb_perturb_mean(md->residual + L * W, W), 100 * sb_perturb_mean(md->rate, W), 100 * sb_perturb_mean(md->repeated_rate, W),
                md->virtual_sink);
    }

    fprintf(f, "\n## Context\n\nL = %zu, H = %zu, d = %zu. Δ* holds the last query's content mass at %g %% (leak) "
               "or the relative drift at %g %% (drift); participation ratio of the last token's sensitivity "
               "profile.\n\n| n | ln n | Δ* leak | Δ* drift | participation: none | BOS | linear model |\n"
               "|---:|---:|---|---|---|---|---:|\n",
            r->ctx.layers, r->ctx.heads, r->ctx.width, 100 * PT_LEAK_LEVEL, 100 * PT_DRIFT_LEVEL);
    for (size_t i = 0; i < r->n_ctx; i++) {
        char a[64], b[64], c[64], d[64];
        est_cell(a, sizeof a, r->gap_leak[i], W, 0);
        est_cell(b, sizeof b, r->gap_drift[i], W, 0);
        est_cell(c, sizeof c, r->pr[0][i], W, 0);
        est_cell(d, sizeof d, r->pr[1][i], W, 0);
        fprintf(f, "| %zu | %.2f | %s | %s | %s | %s | %.1f |\n", r->ctx_n[i], log((double)r->ctx_n[i]), a, b, c, d,
                r->pr_linear[i]);
    }

    fprintf(f, "\n## Heads at head width %zu\n\nL = %zu, n = %zu; no sink. Relative sensitivity of the last token to "
               "token %zu, and the bound's path sum [Π_l (I + Σ_h A)]_{n−1,j} from the traced attention.\n\n"
               "| H | width | sensitivity, no sink | with BOS | path sum, no sink | with BOS |\n|---:|---:|---|---|---|---|\n",
            r->head_width, r->hd.layers, r->hd.tokens, r->hd.tokens / 2);
    for (size_t i = 0; i < r->n_heads; i++) {
        char a[64], b[64], c[64], d[64];
        est_cell(a, sizeof a, r->head_sens[0][i], W, 1);
        est_cell(b, sizeof b, r->head_sens[1][i], W, 1);
        est_cell(c, sizeof c, r->head_bound[0][i], W, 1);
        est_cell(d, sizeof d, r->head_bound[1][i], W, 1);
        fprintf(f, "| %zu | %zu | %s | %s | %s | %s |\n", r->heads[i], r->heads[i] * r->head_width, a, b, c, d);
    }

    fprintf(f, "\n## Content-logit offset\n\nL = %zu. Relative last-token drift (means over seeds) and the last "
               "query's content mass.\n\n| b | none | softmax₁ | learned (0 ± 1) | none / softmax₁ | content mass: "
               "softmax₁ | learned |\n|---:|---:|---:|---:|---|---:|---:|\n",
            r->off.layers);
    for (size_t i = 0; i < r->n_offsets; i++) {
        char q[64];
        double a[PT_W];
        for (size_t k = 0; k < W; k++)
            a[k] = r->off_drift[0][i][k] / r->off_drift[1][i][k];
        est_cell(q, sizeof q, a, W, 1);
        fprintf(f, "| %g | %.3g | %.3g | %.3g | %s | %.3g | %.3g |\n", r->offsets[i], sb_perturb_mean(r->off_drift[0][i], W),
                sb_perturb_mean(r->off_drift[1][i], W), sb_perturb_mean(r->off_drift[2][i], W), q, sb_perturb_mean(r->off_mass[1][i], W),
                sb_perturb_mean(r->off_mass[2][i], W));
    }

    fprintf(f, "\n## Precision meets mixing\n\n");
    char buf[8192];
    precision_tables(buf, sizeof buf, r);
    fputs(buf, f);

    fprintf(f, "\n## Numerical error through depth (relative Frobenius error vs binary64)\n\nSeed %llu, sequence 0.\n\n"
               "| sink | kernel | group | precision | injected | layer 1 | layer %zu |\n|---|---|---|---|---|---:|---:|\n",
            (unsigned long long)r->weight_seed[0], L);
    for (size_t k = 0; k < r->n_numeric; k++) {
        const sb_perturb_numeric_run *n = &r->numeric[k];
        fprintf(f, "| %s | %s | %s | %s | %s | %.3g | %.3g |\n", sb_stack_sink_name(n->sink), n->kernel,
                n->peer ? "peer" : n->reference ? "reference" : n->isa, sb_stack_precision_name(n->precision),
                n->injected ? "layer 1 only" : "every layer", n->error[1], n->error[L]);
    }

    fprintf(f, "\n## Plots\n\n");
    if (plot_note && plot_note[0])
        fprintf(f, "%s\n\n", plot_note);
    for (size_t i = 0; i < sb_perturb_plot_count; i++)
        if (exists(dir, sb_perturb_plots[i].file))
            fprintf(f, "![%s](%s)\n\n*%s*\n\n", sb_perturb_plots[i].caption, sb_perturb_plots[i].file,
                    sb_perturb_plots[i].caption);
    fprintf(f, "Reproduce: `sinkbench perturb --%s --seed %llu --seeds %zu --sequences %zu`.\n",
            o->level == SB_PERTURB_FULL ? "full" : "quick", (unsigned long long)o->seed, W, r->S);
}

void sb_perturb_summary(const sb_perturb_results *r, char *out, size_t size)
{
    if (!out || !size)
        return;
    out[0] = 0;
    size_t len = 0;
#define OUT(...)                                                                                                      \
    do {                                                                                                              \
        if (len < size) {                                                                                             \
            int w_ = snprintf(out + len, size - len, __VA_ARGS__);                                                    \
            len += w_ > 0 ? (size_t)w_ : 0;                                                                           \
        }                                                                                                             \
    } while (0)
    OUT("Intervals: 95 %% over %zu weight seeds × %zu sequences%s. The sink is imposed, not learned: sanity checks "
        "are consequences of that.\n\n",
        r->W, r->S, (r->W < 8 || r->S < 8) ? " (fewer than a full run's 8 × 8)" : "");
    static const char *const heads[3] = {"Reproductions (published claims)",
                                         "Sanity checks (consequences of the imposed sink)", "Observations"};
    for (int kind = 0; kind < 3; kind++) {
        OUT("**%s**\n\n", heads[kind]);
        for (size_t k = 0; k < r->n_verdicts; k++) {
            const sb_perturb_verdict *v = &r->verdicts[k];
            if ((int)v->kind != kind)
                continue;
            OUT("- %s — **%s**: %s", v->claim, sb_perturb_outcome_word(v), v->result);
            if (v->rule != SB_RULE_NONE)
                OUT(" *(criterion: %s)*", v->criterion);
            OUT("\n");
        }
        OUT("\n");
    }
    OUT("**Precision meets mixing**\n\n");
    if (len < size)
        len += precision_tables(out + len, size - len, r);
#undef OUT
}
