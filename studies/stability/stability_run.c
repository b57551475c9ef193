/* sb_stability_run: the sweep, then stability.json, the plots and stability.md, each written atomically. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "io/atomic_file.h"
#include "io/tool.h"
#include "io/plot_script.h"
#include "sinkbench/sinkbench.h"
#include "studies/stability/stability_run.h"
#include "studies/stability/stability_report.h"

static double now_seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

typedef struct progress_state {
    double start, last;
    int tty, last_decile;
} progress_state;

/* On a terminal one line redrawn four times a second; in a log one line per tenth of the work. */
static void progress(size_t done, size_t total, double fraction, void *ctx)
{
    progress_state *s = ctx;
    double t = now_seconds();
    int decile = (int)(10 * fraction);
    if (done != total && (s->tty ? t - s->last < 0.25 : decile == s->last_decile))
        return;
    s->last = t;
    s->last_decile = decile;
    double eta = fraction > 0 ? (t - s->start) * (1.0 - fraction) / fraction : 0.0;
    fprintf(stderr, "%sstability: %3d%% (row %zu/%zu), %.1f s, about %.0f s left%s", s->tty ? "\r" : "",
            (int)(100 * fraction), done, total, t - s->start, eta, s->tty && done != total ? "" : "\n");
    fflush(stderr);
}

static int write_file(const char *dir, const char *name, void (*writer)(FILE *, void *), void *ctx, char *path,
                      size_t path_size)
{
    snprintf(path, path_size, "%s/%s", dir, name);
    sb_atomic_file a;
    if (!sb_atomic_open(&a, path)) {
        fprintf(stderr, "sinkbench stability: cannot write %s: %s\n", path, strerror(errno));
        return 0;
    }
    writer(a.f, ctx);
    if (ferror(a.f)) {
        sb_atomic_abort(&a);
        fprintf(stderr, "sinkbench stability: write error on %s\n", path);
        return 0;
    }
    if (!sb_atomic_commit(&a)) {
        fprintf(stderr, "sinkbench stability: cannot finish %s: %s\n", path, strerror(errno));
        return 0;
    }
    return 1;
}

static void write_json(FILE *f, void *ctx) { sb_stability_write_json(f, ctx); }
static void write_md(FILE *f, void *ctx) { sb_stability_write_md(f, ctx); }

int sb_stability_run(const sb_stability_options *o, const char *out_dir, sb_stability_outcome *out)
{
    memset(out, 0, sizeof *out);
    for (size_t i = 0; o->kernels && i < o->kernel_count; i++) {
        const sb_softmax_kernel *k = sb_stability_kernel_find(o->kernels[i]);
        if (!k)
            return sb_tool_usage_error("stability", "no kernel named '%s' (see 'sinkbench info')", o->kernels[i]);
        if (!k->supported())
            return sb_tool_usage_error("stability", "kernel '%s' does not run on this CPU (see 'sinkbench info')",
                                      o->kernels[i]);
    }
    if (!sb_mkdir_p(out_dir))
        return sb_tool_error("stability", "cannot create %s: %s", out_dir, strerror(errno));

    sb_stability_report rep;
    memset(&rep, 0, sizeof rep);
    rep.options = o;
    time_t wall = time(NULL);
    struct tm tm;
    localtime_r(&wall, &tm);
    strftime(rep.started, sizeof rep.started, "%Y-%m-%d %H:%M:%S %z", &tm);
    if (gethostname(rep.host, sizeof rep.host - 1) != 0)
        snprintf(rep.host, sizeof rep.host, "unknown");
    if (o->command)
        snprintf(rep.command, sizeof rep.command, "%s", o->command);
    else
    {
        int w = snprintf(rep.command, sizeof rep.command, "sinkbench stability --%s --seed %" PRIu64,
                         o->preset == SB_STABILITY_FULL ? "full" : "quick", o->seed);
        if (o->value_scale > 0 && o->value_scale != SB_STABILITY_VALUE_SCALE && w > 0 && (size_t)w < sizeof rep.command)
            snprintf(rep.command + w, sizeof rep.command - (size_t)w, " --value-scale %g", o->value_scale);
    }

    progress_state ps = {now_seconds(), 0.0, isatty(STDERR_FILENO), -1};
    sb_stability_sweep_options so = {o->preset, o->seed, o->kernels, o->kernel_count, o->include_emulated, o->blocks_mask,
                          o->value_scale, o->progress ? progress : NULL, &ps};
    double t0 = now_seconds();
    sb_status st = sb_stability_sweep(&so, &rep.result);
    rep.seconds = now_seconds() - t0;
    if (st == SB_OK)
        st = sb_stability_thresholds(&rep.result, &rep.thresholds, &rep.threshold_count);
    if (st != SB_OK) {
        sb_stability_result_free(&rep.result);
        free(rep.thresholds);
        return sb_tool_error("stability", "%s while running the sweep", sb_status_str(st));
    }

    char path[4096];
    int ok = write_file(out_dir, "stability.json", write_json, &rep, path, sizeof path);
    if (o->plots && ok) {
        char script[4096], note[448];
        if (!sb_plot_find("stability.py", o->plot_dir, script, sizeof script, note, sizeof note)) {
            snprintf(rep.plots_note, sizeof rep.plots_note, "stability.py not found in %s", note);
        } else {
            const char *args[] = {path, out_dir};
            sb_plot_run_result pr;
            sb_plot_run(script, args, 2, &pr);
            rep.plots_written = pr.files;
            if (!pr.ok)
                snprintf(rep.plots_note, sizeof rep.plots_note, "%s", pr.note);
        }
        if (rep.plots_note[0])
            fprintf(stderr, "sinkbench stability: plots skipped: %s\n", rep.plots_note);
    } else if (!o->plots) {
        snprintf(rep.plots_note, sizeof rep.plots_note, "--no-plots was given");
    }
    ok &= write_file(out_dir, "stability.md", write_md, &rep, out->summary_path, sizeof out->summary_path);

    out->rows = rep.result.rows;
    out->cells = rep.result.cell_count;
    out->kernels = rep.result.kernel_count;
    out->seconds = rep.seconds;
    out->failed = sb_stability_failed(&rep.result);
    for (size_t i = 0; i < rep.threshold_count; i++) {
        if (rep.result.kernels[rep.thresholds[i].kernel]->ulp_bound < 0)
            continue;
        out->thresholds++;
        out->thresholds_agree += rep.thresholds[i].agrees != 0;
    }
    out->plots_written = rep.plots_written;
    snprintf(out->plots_note, sizeof out->plots_note, "%s", rep.plots_note);
    sb_stability_result_free(&rep.result);
    free(rep.thresholds);
    if (!ok)
        return SB_EXIT_ERROR;
    return out->failed ? SB_EXIT_FAILED : SB_EXIT_OK;
}
