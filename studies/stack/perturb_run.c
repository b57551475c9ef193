/* sb_perturb_run: options, the study, then perturb.json, the plots and perturb.md, each atomically. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "io/atomic_file.h"
#include "io/tool.h"
#include "studies/stack/perturb_write.h"
#include "io/plot_script.h"

void sb_perturb_options_default(sb_perturb_options *o, sb_perturb_level level)
{
    int full = level == SB_PERTURB_FULL;
    memset(o, 0, sizeof *o);
    o->level = level;
    o->seed = 20261129;
    o->seeds = full ? 8 : 4;
    o->sequences = full ? 8 : 2;
    o->layers = full ? 32 : 16;
    o->tokens = 64;
    o->heads = 4;
    o->width = 32;
    o->norm = 1;
    o->mlp = 1;
    o->temperature = 1.0;
    o->gap = 10.0;
    o->value_scale = 0.01;
    o->gate_gain = 4.0;
    o->gate_bias = 5.0;
    o->swap = 1;
    o->perturb_size = 1.0;
    o->perturbed_token = SIZE_MAX;
    o->plots = 1;
}

static const char *invalid(const sb_perturb_options *o)
{
    if (o->layers < 1 || o->layers > 1024)
        return "--layers must be 1..1024";
    if (o->tokens < 8 || o->tokens > 4096)
        return "--tokens must be 8..4096";
    if (o->width < 1 || o->width > 4096 || o->heads < 1 || o->width % o->heads)
        return "--width must be 1..4096 and a multiple of --heads";
    if (o->seeds < 1 || o->seeds > SB_PERTURB_MAX_SEEDS)
        return "--seeds must be 1..32";
    if (o->sequences < 1 || o->sequences > 1000)
        return "--sequences must be 1..1000";
    if (o->context_max && (o->context_max < 16 || o->context_max > 4096))
        return "--context-max must be 16..4096";
    if (o->perturbed_token != SIZE_MAX && (o->perturbed_token < 1 || o->perturbed_token >= o->tokens))
        return "--perturb-token must be 1..tokens-1 (position 0 holds BOS or the sink)";
    if (!isfinite(o->gap) || !isfinite(o->gate_bias) || !isfinite(o->value_scale))
        return "--gap, --gate-bias and --value-scale must be finite";
    if (!isfinite(o->gate_gain) || o->gate_gain < 0)
        return "--gate-gain must be finite and >= 0";
    if (!isfinite(o->temperature) || o->temperature < 0)
        return "--temperature must be finite and >= 0";
    if (!o->swap && !(isfinite(o->perturb_size) && o->perturb_size > 0))
        return "--perturb add:SIZE needs a finite SIZE > 0";
    return NULL;
}

static int write_file(const char *dir, const char *name, void (*fn)(FILE *, void *), void *ctx)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return sb_atomic_write(path, fn, ctx, "sinkbench perturb");
}

static void json_writer(FILE *f, void *ctx) { sb_perturb_write_json(f, ctx); }

/* Draws the plots from dir/perturb.json; on failure note says why (no script, no python, no matplotlib). */
static void plot(const sb_perturb_options *o, const char *dir, char *note, size_t note_size)
{
    char script[4096], where[1024], json[4096];
    if (!sb_plot_find("perturb.py", o->plot_dir, script, sizeof script, where, sizeof where)) {
        snprintf(note, note_size, "Plots skipped: perturb.py not found (looked in %.400s; use --plot-dir or "
                                  "SINKBENCH_PLOT_DIR).", where);
        return;
    }
    snprintf(json, sizeof json, "%s/perturb.json", dir);
    const char *args[2] = {json, dir};
    sb_plot_run_result pr;
    sb_plot_run(script, args, 2, &pr);
    if (pr.ok)
        note[0] = 0;
    else
        snprintf(note, note_size, "Plots skipped: %.480s.", pr.note);
}

typedef struct md_ctx {
    const sb_perturb_results *r;
    const char *dir, *note;
} md_ctx;

static void md_writer(FILE *f, void *ctx)
{
    const md_ctx *m = ctx;
    sb_perturb_write_markdown(f, m->r, m->dir, m->note);
}

int sb_perturb_run(const sb_perturb_options *o, const char *out_dir, char *summary, size_t summary_size)
{
    const char *why = invalid(o);
    if (why)
        return sb_tool_usage_error("perturb", "%s", why);
    if (!sb_mkdir_p(out_dir))
        return sb_tool_error("perturb", "cannot create %s: %s", out_dir, strerror(errno));
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    sb_perturb_results *r = malloc(sizeof *r);
    if (!r)
        return sb_tool_error("perturb", "out of memory");
    sb_status st = sb_perturb_study_run(o, r);
    if (st != SB_OK) {
        sb_perturb_results_free(r);
        free(r);
        return sb_tool_error("perturb", "the study stopped: %s", sb_status_str(st));
    }
    int ok = write_file(out_dir, "perturb.json", json_writer, r);
    char note[512] = "Plots skipped: --no-plots.";
    if (ok && o->plots) {
        if (o->progress)
            fprintf(stderr, "perturb: drawing plots\n");
        plot(o, out_dir, note, sizeof note);
        if (note[0])
            fprintf(stderr, "sinkbench perturb: %s\n", note);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    r->seconds = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
    md_ctx mc = {r, out_dir, note};
    ok = ok && write_file(out_dir, "perturb.md", md_writer, &mc);
    sb_perturb_summary(r, summary, summary_size);
    if (o->progress)
        fprintf(stderr, "perturb: done in %.1f s\n", r->seconds);
    sb_perturb_results_free(r);
    free(r);
    return ok ? SB_EXIT_OK : SB_EXIT_ERROR;
}
