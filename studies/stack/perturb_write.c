/* perturb.json (every measured number; no timings, so the same seed gives the same file) and
 * perturb.md (the trends, tables and plots, with the run time). */
#include "studies/stack/perturb_write.h"

#include <math.h>
#include <string.h>
#include <unistd.h>

#include "io/json.h"

static void numbers(sb_json *j, const char *key, const double *v, size_t n)
{
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

static void matrix(sb_json *j, const char *key, const double *v, size_t rows, size_t cols)
{
    sb_json_key(j, key);
    sb_json_array_begin(j);
    for (size_t r = 0; r < rows; r++) {
        sb_json_array_begin(j);
        for (size_t c = 0; c < cols; c++)
            sb_json_number(j, v[r * cols + c]);
        sb_json_array_end(j);
    }
    sb_json_array_end(j);
}

static const char *profile_name(const sb_perturb_profile *p)
{
    return p->sink == SB_STACK_SINK_COUNT ? "linear_limit" : sb_stack_sink_name(p->sink);
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
    sb_json_kv_number(j, "gate_bias", o->gate_bias);
    sb_json_kv_number(j, "value_scale", o->value_scale);
    sb_json_kv_uint(j, "sequences", o->sequences);
    sb_json_kv_string(j, "perturbation", o->swap ? "swap" : "add");
    if (!o->swap)
        sb_json_kv_number(j, "perturb_size", o->perturb_size);
    sb_json_kv_uint(j, "perturbed_token", r->j);
    sb_json_object_end(j);
}

static void write_modes(sb_json *j, const sb_perturb_results *r)
{
    sb_json_key(j, "modes");
    sb_json_array_begin(j);
    for (int m = 0; m < PT_MODES; m++) {
        const sb_perturb_mode *md = &r->mode[m];
        sb_json_object_begin(j);
        sb_json_kv_string(j, "mode", sb_stack_sink_name(md->sink));
        sb_json_kv_number(j, "strength", md->strength);
        numbers(j, "last_token_drift", md->last_drift, r->L + 1);
        sb_json_kv_number(j, "nonlocal_share", md->nonlocal);
        numbers(j, "rank_collapse_residual", md->residual, r->L + 1);
        matrix(j, "drift_map", md->map, r->L + 1, r->n);
        sb_json_key(j, "sink_metric");
        sb_json_object_begin(j);
        sb_json_kv_number(j, "sink_0.3", md->sink_rate[0][0]);
        sb_json_kv_number(j, "sink_0.8", md->sink_rate[0][1]);
        sb_json_kv_number(j, "alpha_mean", md->alpha_mean[0]);
        sb_json_kv_number(j, "sink_0.3_with_row0", md->sink_rate[1][0]);
        sb_json_kv_number(j, "sink_0.8_with_row0", md->sink_rate[1][1]);
        sb_json_kv_number(j, "alpha_mean_with_row0", md->alpha_mean[1]);
        sb_json_kv_number(j, "virtual_sink_mass", md->virtual_sink);
        sb_json_kv_number(j, "repeated_tokens_sink_0.3", md->repeated_rate);
        matrix(j, "alpha", md->alpha, r->L, r->H);
        sb_json_object_end(j);
        sb_json_object_end(j);
    }
    sb_json_array_end(j);
}

static void write_sensitivity(sb_json *j, const sb_perturb_results *r)
{
    sb_json_key(j, "sensitivity");
    sb_json_object_begin(j);
    sb_json_kv_uint(j, "tokens", r->sens_tokens);
    sb_json_kv_uint(j, "probes", r->sens_probes);
    sb_json_key(j, "profiles");
    sb_json_array_begin(j);
    for (size_t k = 0; k < r->n_profiles; k++) {
        const sb_perturb_profile *p = &r->profile[k];
        sb_json_object_begin(j);
        sb_json_kv_string(j, "mode", profile_name(p));
        sb_json_kv_uint(j, "layers", p->layers);
        sb_json_kv_number(j, "share_first", p->share_first);
        numbers(j, "s", p->s, r->sens_tokens);
        sb_json_object_end(j);
    }
    sb_json_array_end(j);
    sb_json_key(j, "fd_check");
    sb_json_object_begin(j);
    sb_json_kv_number(j, "step", r->fd_step);
    sb_json_kv_uint(j, "checks", r->fd_checks);
    sb_json_kv_number(j, "max_rel_error", r->fd_max_rel_error);
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

static void write_sweeps(sb_json *j, const sb_perturb_results *r)
{
    sb_json_key(j, "context");
    sb_json_object_begin(j);
    sb_json_kv_uint(j, "layers", r->context_layers);
    sizes(j, "tokens", r->context_n, r->n_context);
    sb_json_key(j, "modes");
    sb_json_array_begin(j);
    for (int m = 0; m < PT_MODES; m++) {
        sb_json_object_begin(j);
        sb_json_kv_string(j, "mode", sb_stack_sink_name((sb_stack_sink)m));
        const char *keys[3] = {"distance_l1", "distance_rel", "rank_collapse_residual"};
        const double *vals[3] = {r->context_l1[m], r->context_rel[m], r->context_residual[m]};
        for (int q = 0; q < 3; q++) {
            sb_json_key(j, keys[q]);
            sb_json_array_begin(j);
            for (size_t k = 0; k < r->n_context; k++)
                if (r->context_has[m][k])
                    sb_json_number(j, vals[q][k]);
                else
                    sb_json_null(j);
            sb_json_array_end(j);
        }
        sb_json_object_end(j);
    }
    sb_json_array_end(j);
    sb_json_object_end(j);

    sb_json_key(j, "heads");
    sb_json_object_begin(j);
    sb_json_kv_uint(j, "width", r->heads_width);
    sb_json_kv_uint(j, "layers", r->heads_layers);
    sb_json_kv_uint(j, "sequences", r->sweep_sequences);
    sizes(j, "heads", r->heads, r->n_heads);
    numbers(j, "none_last_token_drift", r->heads_drift[0], r->n_heads);
    numbers(j, "bos_last_token_drift", r->heads_drift[1], r->n_heads);
    numbers(j, "none_rank_collapse_residual", r->heads_residual[0], r->n_heads);
    numbers(j, "bos_rank_collapse_residual", r->heads_residual[1], r->n_heads);
    sb_json_object_end(j);

    sb_json_key(j, "strength");
    sb_json_object_begin(j);
    sb_json_kv_uint(j, "sequences", r->sweep_sequences);
    numbers(j, "gaps", r->gaps, r->n_gaps);
    static const sb_stack_sink swept[] = {SB_STACK_SINK_BOS, SB_STACK_SINK_LEARNED, SB_STACK_SINK_NO_BOS,
                                          SB_STACK_SINK_GATED};
    for (size_t m = 0; m < sizeof swept / sizeof *swept; m++)
        numbers(j, sb_stack_sink_name(swept[m]), r->gap_drift[swept[m]], r->n_gaps);
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
    sb_json_key(&j, "trends");
    sb_json_array_begin(&j);
    for (size_t k = 0; k < r->n_trends; k++) {
        const sb_perturb_trend *t = &r->trends[k];
        sb_json_object_begin(&j);
        sb_json_kv_string(&j, "id", t->id);
        if (t->reproduced < 0)
            sb_json_kv_string(&j, "kind", "observation");
        else
            sb_json_kv_bool(&j, "reproduced", t->reproduced);
        sb_json_kv_number(&j, "value", t->value);
        sb_json_kv_string(&j, "text", t->text);
        sb_json_object_end(&j);
    }
    sb_json_array_end(&j);
    write_modes(&j, r);
    write_sensitivity(&j, r);
    write_sweeps(&j, r);
    write_numerics(&j, r);
    sb_json_object_end(&j);
}

void sb_perturb_summary(const sb_perturb_results *r, char *out, size_t size)
{
    if (!out || !size)
        return;
    out[0] = 0;
    size_t len = 0;
    for (size_t k = 0; k < r->n_trends && len + 1 < size; k++) {
        int w = snprintf(out + len, size - len, "- %s\n", r->trends[k].text);
        if (w < 0)
            break;
        len += (size_t)w;
    }
}

static int exists(const char *dir, const char *name)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return access(path, R_OK) == 0;
}

static void plot_link(FILE *f, const char *dir, const char *name, const char *caption)
{
    if (exists(dir, name))
        fprintf(f, "![%s](%s)\n\n*%s*\n\n", caption, name, caption);
}

void sb_perturb_write_markdown(FILE *f, const sb_perturb_results *r, const char *dir, const char *plot_note)
{
    const sb_perturb_options *o = &r->o;
    size_t L = r->L;
    fprintf(f, "# Perturbation propagation through a synthetic attention stack\n\n");
    fprintf(f, "`sinkbench perturb --%s --seed %llu` — %zu layers, %zu heads, width %zu, %zu tokens, RMSNorm %s, "
               "MLP %s, temperature %g; sink gap Δ = %g, gate bias %g, sink value × %g; token %zu %s; "
               "means over %zu sequences. Took %.1f s. Definitions: docs/perturbation.md. Raw data: "
               "[perturb.json](perturb.json).\n\n",
            o->level == SB_PERTURB_FULL ? "full" : "quick", (unsigned long long)o->seed, L, r->H, r->d, r->n,
            o->norm ? "on" : "off", o->mlp ? "on" : "off", o->temperature, o->gap, o->gate_bias, o->value_scale, r->j,
            o->swap ? "swapped for another token" : "moved", o->sequences, r->seconds);
    fprintf(f, "## Trends (measured in this run)\n\n");
    for (size_t k = 0; k < r->n_trends; k++)
        fprintf(f, "- %s\n", r->trends[k].text);

    fprintf(f, "\n## Sink modes on the base stack\n\n| mode | last-token drift, layer 1 | layer %zu | off-token "
               "drift share | rank-collapse residual, layer %zu | Sink^0.3 | Sink^0.8 | Sink^0.3 (row 0) | mean α "
               "| logit-sink mass |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n",
            L, L);
    for (int m = 0; m < PT_MODES; m++) {
        const sb_perturb_mode *md = &r->mode[m];
        fprintf(f, "| %s | %.3g | %.3g | %.1f %% | %.3f | %.1f %% | %.1f %% | %.1f %% | %.3f | %.3f |\n",
                sb_stack_sink_name(md->sink), md->last_drift[1], md->last_drift[L], 100 * md->nonlocal, md->residual[L],
                100 * md->sink_rate[0][0], 100 * md->sink_rate[0][1], 100 * md->sink_rate[1][0], md->alpha_mean[0],
                md->virtual_sink);
    }

    fprintf(f, "\n## Numerical error through depth (relative Frobenius error vs binary64)\n\n"
               "| sink | kernel | precision | injected | layer 1 | layer %zu |\n|---|---|---|---|---:|---:|\n",
            L);
    for (size_t k = 0; k < r->n_numeric; k++) {
        const sb_perturb_numeric_run *n = &r->numeric[k];
        fprintf(f, "| %s | %s | %s | %s | %.3g | %.3g |\n", sb_stack_sink_name(n->sink), n->kernel,
                sb_stack_precision_name(n->precision), n->injected ? "layer 1 only" : "every layer", n->error[1],
                n->error[L]);
    }

    fprintf(f, "\n## Plots\n\n");
    if (plot_note && plot_note[0])
        fprintf(f, "%s\n\n", plot_note);
    plot_link(f, dir, "perturb_drift_map.png", "Drift ‖h_t − h'_t‖ per layer and token, without and with a BOS sink");
    plot_link(f, dir, "perturb_drift_last.png", "Last-token drift vs layer for every sink mode");
    plot_link(f, dir, "perturb_sensitivity.png", "Sensitivity of the last token to each input token (exact JVP)");
    plot_link(f, dir, "perturb_collapse.png", "Rank collapse vs depth and representational collapse vs n");
    plot_link(f, dir, "perturb_sweeps.png", "Last-token drift vs heads and vs sink strength; the linear limit");
    plot_link(f, dir, "perturb_numerics.png", "Numerical error vs layer, every kernel and precision");
    fprintf(f, "Reproduce: `sinkbench perturb --%s --seed %llu`.\n", o->level == SB_PERTURB_FULL ? "full" : "quick",
            (unsigned long long)o->seed);
}
