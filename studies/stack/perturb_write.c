/* perturb.json (every measured number; no timings, so the same seed gives the same file) and
 * perturb.md (the trends, tables and plots, with the run time). */
#include "studies/stack/perturb_write.h"

#include <math.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "io/json_helpers.h"

/* Series and matrix rows are written one per line (json-c's pretty printer would give each number a
 * line of its own); records and objects one member per line. */
static void numbers(json_object *o, const char *key, const double *v, size_t n)
{
    json_object *a = json_object_new_array();
    for (size_t i = 0; i < n; i++)
        json_object_array_add(a, sb_json_new_number(v[i], 0));
    json_object_object_add(o, key, sb_json_one_line(a));
}

static void sizes(json_object *o, const char *key, const size_t *v, size_t n)
{
    json_object *a = json_object_new_array();
    for (size_t i = 0; i < n; i++)
        json_object_array_add(a, json_object_new_uint64(v[i]));
    json_object_object_add(o, key, sb_json_one_line(a));
}

static void matrix(json_object *o, const char *key, const double *v, size_t rows, size_t cols)
{
    json_object *m = json_object_new_array();
    for (size_t r = 0; r < rows; r++) {
        json_object *row = json_object_new_array();
        for (size_t c = 0; c < cols; c++)
            json_object_array_add(row, sb_json_new_number(v[r * cols + c], 0));
        json_object_array_add(m, sb_json_one_line(row));
    }
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

static const char *profile_name(const sb_perturb_profile *p)
{
    return p->sink == SB_STACK_SINK_COUNT ? "linear_limit" : sb_stack_sink_name(p->sink);
}

static json_object *config(const sb_perturb_results *r)
{
    const sb_perturb_options *o = &r->o;
    json_object *c = json_object_new_object();
    add_uint(c, "layers", r->L);
    add_uint(c, "tokens", r->n);
    add_uint(c, "heads", r->H);
    add_uint(c, "width", r->d);
    json_object_object_add(c, "norm", json_object_new_boolean(o->norm));
    json_object_object_add(c, "mlp", json_object_new_boolean(o->mlp));
    add_number(c, "temperature", o->temperature);
    add_number(c, "gap", o->gap);
    add_number(c, "gate_bias", o->gate_bias);
    add_number(c, "value_scale", o->value_scale);
    add_uint(c, "sequences", o->sequences);
    add_string(c, "perturbation", o->swap ? "swap" : "add");
    if (!o->swap)
        add_number(c, "perturb_size", o->perturb_size);
    add_uint(c, "perturbed_token", r->j);
    return c;
}

static json_object *modes(const sb_perturb_results *r)
{
    json_object *list = json_object_new_array();
    for (int m = 0; m < PT_MODES; m++) {
        const sb_perturb_mode *md = &r->mode[m];
        json_object *e = json_object_new_object();
        add_string(e, "mode", sb_stack_sink_name(md->sink));
        add_number(e, "strength", md->strength);
        numbers(e, "last_token_drift", md->last_drift, r->L + 1);
        add_number(e, "nonlocal_share", md->nonlocal);
        numbers(e, "rank_collapse_residual", md->residual, r->L + 1);
        matrix(e, "drift_map", md->map, r->L + 1, r->n);
        json_object *sink = json_object_new_object();
        add_number(sink, "sink_0.3", md->sink_rate[0][0]);
        add_number(sink, "sink_0.8", md->sink_rate[0][1]);
        add_number(sink, "alpha_mean", md->alpha_mean[0]);
        add_number(sink, "sink_0.3_with_row0", md->sink_rate[1][0]);
        add_number(sink, "sink_0.8_with_row0", md->sink_rate[1][1]);
        add_number(sink, "alpha_mean_with_row0", md->alpha_mean[1]);
        add_number(sink, "virtual_sink_mass", md->virtual_sink);
        add_number(sink, "repeated_tokens_sink_0.3", md->repeated_rate);
        matrix(sink, "alpha", md->alpha, r->L, r->H);
        json_object_object_add(e, "sink_metric", sink);
        json_object_array_add(list, e);
    }
    return list;
}

static void add_sensitivity(json_object *doc, const sb_perturb_results *r)
{
    json_object *sens = json_object_new_object();
    add_uint(sens, "tokens", r->sens_tokens);
    add_uint(sens, "probes", r->sens_probes);
    json_object *profiles = json_object_new_array();
    for (size_t k = 0; k < r->n_profiles; k++) {
        const sb_perturb_profile *p = &r->profile[k];
        json_object *e = json_object_new_object();
        add_string(e, "mode", profile_name(p));
        add_uint(e, "layers", p->layers);
        add_number(e, "share_first", p->share_first);
        numbers(e, "s", p->s, r->sens_tokens);
        json_object_array_add(profiles, e);
    }
    json_object_object_add(sens, "profiles", profiles);
    json_object *fd = json_object_new_object();
    add_number(fd, "step", r->fd_step);
    add_uint(fd, "checks", r->fd_checks);
    add_number(fd, "max_rel_error", r->fd_max_rel_error);
    json_object_object_add(sens, "fd_check", fd);
    json_object_object_add(doc, "sensitivity", sens);

    json_object *limit = json_object_new_object();
    add_uint(limit, "tokens", r->limit_tokens);
    add_number(limit, "temperature", r->o.temperature);
    numbers(limit, "mass_first", r->limit_mass, r->limit_layers);
    add_number(limit, "stack_max_error", r->limit_stack_error);
    json_object_object_add(doc, "limit", limit);
}

static void add_sweeps(json_object *doc, const sb_perturb_results *r)
{
    json_object *context = json_object_new_object();
    add_uint(context, "layers", r->context_layers);
    sizes(context, "tokens", r->context_n, r->n_context);
    json_object *cmodes = json_object_new_array();
    for (int m = 0; m < PT_MODES; m++) {
        json_object *e = json_object_new_object();
        add_string(e, "mode", sb_stack_sink_name((sb_stack_sink)m));
        const char *keys[3] = {"distance_l1", "distance_rel", "rank_collapse_residual"};
        const double *vals[3] = {r->context_l1[m], r->context_rel[m], r->context_residual[m]};
        for (int q = 0; q < 3; q++) {
            json_object *a = json_object_new_array();
            for (size_t k = 0; k < r->n_context; k++) /* null: not measured at that length */
                json_object_array_add(a, r->context_has[m][k] ? sb_json_new_number(vals[q][k], 0) : NULL);
            json_object_object_add(e, keys[q], sb_json_one_line(a));
        }
        json_object_array_add(cmodes, e);
    }
    json_object_object_add(context, "modes", cmodes);
    json_object_object_add(doc, "context", context);

    json_object *heads = json_object_new_object();
    add_uint(heads, "width", r->heads_width);
    add_uint(heads, "layers", r->heads_layers);
    add_uint(heads, "sequences", r->sweep_sequences);
    sizes(heads, "heads", r->heads, r->n_heads);
    numbers(heads, "none_last_token_drift", r->heads_drift[0], r->n_heads);
    numbers(heads, "bos_last_token_drift", r->heads_drift[1], r->n_heads);
    numbers(heads, "none_rank_collapse_residual", r->heads_residual[0], r->n_heads);
    numbers(heads, "bos_rank_collapse_residual", r->heads_residual[1], r->n_heads);
    json_object_object_add(doc, "heads", heads);

    json_object *strength = json_object_new_object();
    add_uint(strength, "sequences", r->sweep_sequences);
    numbers(strength, "gaps", r->gaps, r->n_gaps);
    static const sb_stack_sink swept[] = {SB_STACK_SINK_BOS, SB_STACK_SINK_LEARNED, SB_STACK_SINK_NO_BOS,
                                          SB_STACK_SINK_GATED};
    for (size_t m = 0; m < sizeof swept / sizeof *swept; m++)
        numbers(strength, sb_stack_sink_name(swept[m]), r->gap_drift[swept[m]], r->n_gaps);
    json_object_object_add(doc, "strength", strength);
}

static json_object *numerics(const sb_perturb_results *r)
{
    json_object *list = json_object_new_array();
    for (size_t k = 0; k < r->n_numeric; k++) {
        const sb_perturb_numeric_run *n = &r->numeric[k];
        json_object *e = json_object_new_object();
        add_string(e, "mode", sb_stack_sink_name(n->sink));
        add_string(e, "kernel", n->kernel);
        add_string(e, "precision", sb_stack_precision_name(n->precision));
        add_uint(e, "injected_layers", n->injected);
        numbers(e, "error", n->error, r->L + 1);
        json_object_array_add(list, e);
    }
    return list;
}

void sb_perturb_write_json(FILE *f, const sb_perturb_results *r)
{
    json_object *doc = json_object_new_object();
    add_string(doc, "tool", "sinkbench perturb");
    add_string(doc, "version", sb_version());
    add_string(doc, "level", r->o.level == SB_PERTURB_FULL ? "full" : "quick");
    add_uint(doc, "seed", r->o.seed);
    json_object_object_add(doc, "config", config(r));
    json_object *trends = json_object_new_array();
    for (size_t k = 0; k < r->n_trends; k++) {
        const sb_perturb_trend *t = &r->trends[k];
        json_object *e = json_object_new_object();
        add_string(e, "id", t->id);
        if (t->reproduced < 0)
            add_string(e, "kind", "observation");
        else
            json_object_object_add(e, "reproduced", json_object_new_boolean(t->reproduced));
        add_number(e, "value", t->value);
        add_string(e, "text", t->text);
        json_object_array_add(trends, e);
    }
    json_object_object_add(doc, "trends", trends);
    json_object_object_add(doc, "modes", modes(r));
    add_sensitivity(doc, r);
    add_sweeps(doc, r);
    json_object_object_add(doc, "numerics", numerics(r));
    sb_json_print(f, doc);
    json_object_put(doc);
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
