/* perturb.json (every measured number, per weight seed; no timings, so the same options give the same
 * file) and perturb.md (the verdicts, tables and plots, with the run time). */
#include "studies/stack/perturb_write.h"

#include <math.h>
#include <string.h>
#include <unistd.h>

#include "io/json.h"

static const char *const format_names[PT_FORMATS] = {"f64", "f32", "bf16", "f16"};
static const char *const offset_modes[3] = {"none", "softmax1", "learned"};

/* ---- JSON ---- */

static void numbers(sb_json *j, const char *key, const double *v, size_t n)
{
    if (key)
        sb_json_key(j, key);
    sb_json_array_begin(j);
    for (size_t i = 0; i < n; i++)
        sb_json_number(j, v[i]);
    sb_json_array_end(j);
}

static void sizes(sb_json *j, const char *key, const size_t *v, size_t n)
{
    sb_json_key(j, key);
    sb_json_array_begin(j);
    for (size_t i = 0; i < n; i++)
        sb_json_uint(j, v[i]);
    sb_json_array_end(j);
}

/* rows x W per-seed values, one row per line. */
static void seeds_matrix(sb_json *j, const char *key, const double (*v)[PT_W], size_t rows, size_t W)
{
    sb_json_key(j, key);
    sb_json_array_begin(j);
    for (size_t r = 0; r < rows; r++)
        numbers(j, NULL, v[r], W);
    sb_json_array_end(j);
}

static void matrix(sb_json *j, const char *key, const double *v, size_t rows, size_t cols)
{
    sb_json_key(j, key);
    sb_json_array_begin(j);
    for (size_t r = 0; r < rows; r++)
        numbers(j, NULL, v + r * cols, cols);
    sb_json_array_end(j);
}

static void setup(sb_json *j, const sb_perturb_setup *s)
{
    sb_json_key(j, "setup");
    sb_json_object_begin(j);
    sb_json_kv_uint(j, "layers", s->layers);
    sb_json_kv_uint(j, "tokens", s->tokens);
    sb_json_kv_uint(j, "heads", s->heads);
    sb_json_kv_uint(j, "width", s->width);
    sb_json_kv_uint(j, "seeds", s->seeds);
    sb_json_kv_uint(j, "sequences", s->sequences);
    sb_json_object_end(j);
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

static void write_verdicts(sb_json *j, const sb_perturb_results *r)
{
    sb_json_key(j, "verdicts");
    sb_json_array_begin(j);
    for (size_t k = 0; k < r->n_verdicts; k++) {
        const sb_perturb_verdict *v = &r->verdicts[k];
        sb_json_object_begin(j);
        sb_json_kv_string(j, "id", v->id);
        sb_json_kv_string(j, "kind", kind_name(v->kind));
        sb_json_kv_string(j, "outcome", sb_perturb_outcome_word(v));
        sb_json_kv_string(j, "claim", v->claim);
        sb_json_kv_string(j, "source", v->source);
        sb_json_kv_string(j, "quantity", v->quantity);
        sb_json_kv_string(j, "prediction", v->prediction);
        sb_json_kv_string(j, "criterion", v->criterion);
        sb_json_kv_string(j, "result", v->result);
        sb_json_kv_string(j, "sampling", v->sampling);
        if (v->note[0])
            sb_json_kv_string(j, "note", v->note);
        sb_json_key(j, "estimate");
        sb_json_object_begin(j);
        sb_json_kv_number(j, "mean", v->est.mean);
        sb_json_kv_number(j, "lo", v->est.lo);
        sb_json_kv_number(j, "hi", v->est.hi);
        sb_json_kv_bool(j, "log_scale", v->est.log);
        sb_json_kv_uint(j, "seeds", v->est.n);
        sb_json_object_end(j);
        sb_json_kv_string(j, "rule", rule_name(v->rule));
        double ab[2] = {v->a, v->b};
        numbers(j, "thresholds", ab, v->rule == SB_RULE_BETWEEN ? 2 : v->rule == SB_RULE_NONE ? 0 : 1);
        sb_json_object_end(j);
    }
    sb_json_array_end(j);
}

static void write_config(sb_json *j, const sb_perturb_results *r)
{
    const sb_perturb_options *o = &r->o;
    sb_json_key(j, "config");
    sb_json_object_begin(j);
    sb_json_kv_uint(j, "layers", r->L);
    sb_json_kv_uint(j, "tokens", r->n);
    sb_json_kv_uint(j, "heads", r->H);
    sb_json_kv_uint(j, "width", r->d);
    sb_json_kv_bool(j, "norm", o->norm);
    sb_json_kv_bool(j, "mlp", o->mlp);
    sb_json_kv_number(j, "temperature", o->temperature);
    sb_json_kv_number(j, "gap", o->gap);
    sb_json_kv_number(j, "value_scale", o->value_scale);
    sb_json_kv_number(j, "gate_bias", o->gate_bias);
    sb_json_kv_number(j, "gate_gain", o->gate_gain);
    sb_json_kv_uint(j, "seeds", r->W);
    sb_json_kv_uint(j, "sequences", r->S);
    sb_json_key(j, "weight_seeds");
    sb_json_array_begin(j);
    for (size_t k = 0; k < r->W; k++)
        sb_json_uint(j, r->weight_seed[k]);
    sb_json_array_end(j);
    sb_json_kv_string(j, "perturbation", o->swap ? "swap" : "add");
    if (!o->swap)
        sb_json_kv_number(j, "perturb_size", o->perturb_size);
    sb_json_kv_uint(j, "perturbed_token", r->j);
    sb_json_object_end(j);
}

static void write_modes(sb_json *j, const sb_perturb_results *r)
{
    size_t L = r->L, W = r->W;
    sb_json_key(j, "modes");
    sb_json_array_begin(j);
    for (int m = 0; m < PT_MODES; m++) {
        const sb_perturb_mode *md = &r->mode[m];
        sb_json_object_begin(j);
        sb_json_kv_string(j, "mode", sb_stack_sink_name(md->sink));
        sb_json_kv_number(j, "strength", md->strength);
        matrix(j, "drift_rel", md->drift_rel, L + 1, W);
        matrix(j, "drift_abs", md->drift_abs, L + 1, W);
        matrix(j, "rank_collapse_residual", md->residual, L + 1, W);
        numbers(j, "nonlocal_share", md->nonlocal, W);
        numbers(j, "content_mass", md->leak, W);
        matrix(j, "drift_map", md->map, L + 1, r->n);
        sb_json_key(j, "sink_metric");
        sb_json_object_begin(j);
        numbers(j, "sink_0.3", md->rate, W);
        numbers(j, "repeated_tokens_sink_0.3", md->repeated_rate, W);
        sb_json_kv_number(j, "pooled_sink_0.3", md->sink_rate[0][0]);
        sb_json_kv_number(j, "pooled_sink_0.8", md->sink_rate[0][1]);
        sb_json_kv_number(j, "pooled_sink_0.3_with_row0", md->sink_rate[1][0]);
        sb_json_kv_number(j, "pooled_sink_0.8_with_row0", md->sink_rate[1][1]);
        sb_json_kv_number(j, "alpha_mean", md->alpha_mean[0]);
        sb_json_kv_number(j, "alpha_mean_with_row0", md->alpha_mean[1]);
        sb_json_kv_number(j, "logit_sink_mass", md->virtual_sink);
        matrix(j, "alpha", md->alpha, L, r->H);
        sb_json_object_end(j);
        sb_json_object_end(j);
    }
    sb_json_array_end(j);
}

static void write_sensitivity(sb_json *j, const sb_perturb_results *r)
{
    sb_json_key(j, "sensitivity");
    sb_json_object_begin(j);
    setup(j, &r->prof);
    sb_json_kv_uint(j, "probes", r->probes);
    sb_json_key(j, "profiles");
    sb_json_array_begin(j);
    for (size_t k = 0; k < r->n_profiles; k++) {
        const sb_perturb_profile *p = &r->profile[k];
        sb_json_object_begin(j);
        sb_json_kv_string(j, "mode", sb_stack_sink_name(p->sink));
        sb_json_kv_uint(j, "layers", p->layers);
        numbers(j, "s", p->s, r->prof.tokens);
        numbers(j, "share_first", p->share_first, r->W);
        numbers(j, "participation", p->pr, r->W);
        sb_json_object_end(j);
    }
    sb_json_array_end(j);
    sb_json_key(j, "derivative_checks");
    sb_json_object_begin(j);
    sb_json_kv_uint(j, "checks", r->derivative_checks);
    sb_json_kv_number(j, "jvp_vs_differences", r->jvp_fd_error);
    sb_json_kv_number(j, "vjp_vs_jvp", r->vjp_adjoint_error);
    sb_json_object_end(j);
    sb_json_object_end(j);

    sb_json_key(j, "limit");
    sb_json_object_begin(j);
    sb_json_kv_uint(j, "tokens", r->limit_tokens);
    sb_json_kv_number(j, "temperature", r->o.temperature);
    numbers(j, "mass_first", r->limit_mass, r->limit_layers);
    sb_json_kv_number(j, "stack_max_error", r->limit_stack_error);
    sb_json_object_end(j);
}

static void write_context(sb_json *j, const sb_perturb_results *r)
{
    sb_json_key(j, "context");
    sb_json_object_begin(j);
    setup(j, &r->ctx);
    sizes(j, "tokens", r->ctx_n, r->n_ctx);
    sb_json_kv_number(j, "leak_level", PT_LEAK_LEVEL);
    sb_json_kv_number(j, "drift_level", PT_DRIFT_LEVEL);
    seeds_matrix(j, "gap_leak", (const double(*)[PT_W])r->gap_leak, r->n_ctx, r->W);
    seeds_matrix(j, "gap_drift", (const double(*)[PT_W])r->gap_drift, r->n_ctx, r->W);
    seeds_matrix(j, "participation_none", (const double(*)[PT_W])r->pr[0], r->n_ctx, r->W);
    seeds_matrix(j, "participation_bos", (const double(*)[PT_W])r->pr[1], r->n_ctx, r->W);
    numbers(j, "participation_linear", r->pr_linear, r->n_ctx);
    sb_json_object_end(j);
}

static void write_heads(sb_json *j, const sb_perturb_results *r)
{
    sb_json_key(j, "heads");
    sb_json_object_begin(j);
    setup(j, &r->hd);
    sb_json_kv_uint(j, "head_width", r->head_width);
    sizes(j, "heads", r->heads, r->n_heads);
    seeds_matrix(j, "sensitivity_none", (const double(*)[PT_W])r->head_sens[0], r->n_heads, r->W);
    seeds_matrix(j, "sensitivity_bos", (const double(*)[PT_W])r->head_sens[1], r->n_heads, r->W);
    seeds_matrix(j, "path_sum_none", (const double(*)[PT_W])r->head_bound[0], r->n_heads, r->W);
    seeds_matrix(j, "path_sum_bos", (const double(*)[PT_W])r->head_bound[1], r->n_heads, r->W);
    sb_json_object_end(j);
}

static void write_precision(sb_json *j, const sb_perturb_results *r)
{
    sb_json_key(j, "precision");
    sb_json_object_begin(j);
    setup(j, &r->prec);
    sb_json_kv_string(j, "kernel", r->prec_kernel);
    sizes(j, "tokens", r->pn, r->n_pn);
    sb_json_key(j, "formats");
    sb_json_array_begin(j);
    for (int f = 0; f < PT_FORMATS; f++) {
        sb_json_object_begin(j);
        sb_json_kv_string(j, "format", format_names[f]);
        seeds_matrix(j, "distance", (const double(*)[PT_W])r->coll[f], r->n_pn, r->W);
        seeds_matrix(j, "difference_error", (const double(*)[PT_W])r->coll_err[f], r->n_pn, r->W);
        numbers(j, "identical_share", r->coll_zero[f], r->n_pn);
        sb_json_object_end(j);
    }
    sb_json_array_end(j);
    seeds_matrix(j, "distance_bos", (const double(*)[PT_W])r->coll_bos, r->n_pn, r->W);
    seeds_matrix(j, "signal_none", (const double(*)[PT_W])r->coll_signal[0], r->n_pn, r->W);
    seeds_matrix(j, "signal_bos", (const double(*)[PT_W])r->coll_signal[1], r->n_pn, r->W);
    sb_json_key(j, "signal_to_rounding");
    sb_json_object_begin(j);
    setup(j, &r->snr);
    numbers(j, "gaps", r->snr_gaps, r->n_snr);
    seeds_matrix(j, "signal", (const double(*)[PT_W])r->snr_signal, r->n_snr, r->W);
    for (int f = 1; f < PT_FORMATS; f++) {
        char key[32];
        snprintf(key, sizeof key, "loss_%s", format_names[f]);
        seeds_matrix(j, key, (const double(*)[PT_W])r->snr_loss[f], r->n_snr, r->W);
    }
    sb_json_object_end(j);
    sb_json_object_end(j);
}

static void write_sweeps(sb_json *j, const sb_perturb_results *r)
{
    sb_json_key(j, "offsets");
    sb_json_object_begin(j);
    setup(j, &r->off);
    numbers(j, "offsets", r->offsets, r->n_offsets);
    for (int m = 0; m < 3; m++) {
        char key[48];
        snprintf(key, sizeof key, "%s_drift_rel", offset_modes[m]);
        seeds_matrix(j, key, (const double(*)[PT_W])r->off_drift[m], r->n_offsets, r->W);
        snprintf(key, sizeof key, "%s_content_mass", offset_modes[m]);
        seeds_matrix(j, key, (const double(*)[PT_W])r->off_mass[m], r->n_offsets, r->W);
    }
    sb_json_object_end(j);

    sb_json_key(j, "gate");
    sb_json_object_begin(j);
    setup(j, &r->gate);
    sb_json_kv_number(j, "gate_gain", r->o.gate_gain);
    sb_json_kv_number(j, "gate_bias", r->o.gate_bias);
    numbers(j, "gated_drift_rel", r->gate_drift, r->W);
    numbers(j, "scaled_drift_rel", r->scaled_drift, r->W);
    numbers(j, "none_drift_rel", r->gate_none_drift, r->W);
    numbers(j, "matched_scale", r->gate_scale, r->W);
    numbers(j, "gate_mean", r->gate_mean, r->W);
    numbers(j, "gate_below_0.1", r->gate_sparse, r->W);
    sb_json_object_end(j);

    sb_json_key(j, "strength");
    sb_json_object_begin(j);
    setup(j, &r->str);
    numbers(j, "gaps", r->gaps, r->n_gaps);
    static const sb_stack_sink swept[] = {SB_STACK_SINK_BOS, SB_STACK_SINK_LEARNED, SB_STACK_SINK_NO_BOS,
                                          SB_STACK_SINK_GATED};
    for (size_t m = 0; m < sizeof swept / sizeof *swept; m++)
        seeds_matrix(j, sb_stack_sink_name(swept[m]), (const double(*)[PT_W])r->gap_drift_rel[swept[m]], r->n_gaps,
                     r->W);
    sb_json_object_end(j);
}

static void write_numerics(sb_json *j, const sb_perturb_results *r)
{
    sb_json_key(j, "numerics");
    sb_json_array_begin(j);
    for (size_t k = 0; k < r->n_numeric; k++) {
        const sb_perturb_numeric_run *n = &r->numeric[k];
        sb_json_object_begin(j);
        sb_json_kv_string(j, "mode", sb_stack_sink_name(n->sink));
        sb_json_kv_string(j, "kernel", n->kernel);
        sb_json_kv_string(j, "isa", n->isa);
        sb_json_kv_string(j, "group", n->peer ? "peer" : n->reference ? "reference" : "ours");
        sb_json_kv_bool(j, "emulated", n->emulated);
        sb_json_kv_string(j, "precision", sb_stack_precision_name(n->precision));
        sb_json_kv_uint(j, "injected_layers", n->injected);
        numbers(j, "error", n->error, r->L + 1);
        sb_json_object_end(j);
    }
    sb_json_array_end(j);
}

void sb_perturb_write_json(FILE *f, const sb_perturb_results *r)
{
    sb_json j;
    sb_json_init(&j, f);
    sb_json_set_inline_depth(&j, 4); /* each series, map row and record on one line */
    sb_json_object_begin(&j);
    sb_json_kv_string(&j, "tool", "sinkbench perturb");
    sb_json_kv_string(&j, "version", sb_version());
    sb_json_kv_string(&j, "level", r->o.level == SB_PERTURB_FULL ? "full" : "quick");
    sb_json_kv_uint(&j, "seed", r->o.seed);
    write_config(&j, r);
    write_verdicts(&j, r);
    write_modes(&j, r);
    write_sensitivity(&j, r);
    write_context(&j, r);
    write_heads(&j, r);
    write_precision(&j, r);
    write_sweeps(&j, r);
    write_numerics(&j, r);
    sb_json_object_end(&j);
}

/* ---- Markdown ---- */

static double seed_mean(const double *v, size_t n)
{
    double s = 0;
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (isfinite(v[i]))
            s += v[i], m++;
    return m ? s / (double)m : NAN;
}

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
            double m = seed_mean(v, W);
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
                sb_stack_sink_name(md->sink), seed_mean(md->drift_rel + W, W), seed_mean(md->drift_rel + L * W, W),
                seed_mean(md->drift_abs + L * W, W), seed_mean(md->leak, W), 100 * seed_mean(md->nonlocal, W),
                seed_mean(md->residual + L * W, W), 100 * seed_mean(md->rate, W), 100 * seed_mean(md->repeated_rate, W),
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
        fprintf(f, "| %g | %.3g | %.3g | %.3g | %s | %.3g | %.3g |\n", r->offsets[i], seed_mean(r->off_drift[0][i], W),
                seed_mean(r->off_drift[1][i], W), seed_mean(r->off_drift[2][i], W), q, seed_mean(r->off_mass[1][i], W),
                seed_mean(r->off_mass[2][i], W));
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
