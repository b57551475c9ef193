/* sinkbench report: the main job. Runs the default suite on this machine and writes one folder with
 * index.md (what ran, headline numbers, tables, links) and the data of every part. Each part is a step
 * below; a step that fails is listed as missing and the others still run and land. Every file is
 * written atomically. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "io/atomic_file.h"
#include "io/bench_schema.h"
#include "cli.h"
#include "compare.h"
#include "io/outputs_file.h"
#include "io/paths.h"
#include "sinkbench/sinkbench.h"
#include "io/bench_results.h"
#include "studies/stack/perturb.h"
#include "studies/stability/stability_run.h"
#include "emerge_run.h"

#include <spawn.h>
#include <sys/wait.h>

extern char **environ;

/* Built with the project and found at run time (compiled-in build path; SINKBENCH_BENCH overrides). */
#ifndef SB_BENCH_EXE
#define SB_BENCH_EXE ""
#endif

typedef struct report report;

typedef struct report_step {
    const char *name;     /* short name, used in "missing parts" */
    const char *title;    /* progress line */
    /* Runs the part; returns 1 when done, 0 when it could not produce its files, -1 when it was skipped
     * on purpose (an option, or timings under emulation); note says why for 0 and -1. */
    int (*run)(report *r);
    /* Writes its section of index.md (only called when run returned 1). */
    void (*section)(report *r, FILE *f);
} report_step;

struct report {
    char dir[2048];
    int full;
    uint64_t seed;
    int contract_failed;   /* a contract kernel broke the contract somewhere */
    int write_failed;
    int missing_shapes;    /* speed-table shapes (io/bench_schema.h) bench.json lacks: an error */
    char note[512];        /* the current step's reason for failing */
    /* check */
    sb_suite_stats *check;
    size_t nk;
    sb_attention_suite_stats *check_attention;
    size_t na;
    sb_batch_suite_stats *check_batch;
    size_t nb;
    /* stability */
    sb_stability_outcome stab;
    /* perturbation */
    char perturb_summary[65536];
    /* sinks that emerge in training */
    char emerge_summary[4096];
    /* benchmarks */
    int no_bench, no_peers;
    char peers_loaded[1024];
};

static void note(report *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->note, sizeof r->note, fmt, ap);
    va_end(ap);
}

/* Writes one file of the report atomically through writer(). */
static int write_file(report *r, const char *name, void (*writer)(FILE *, void *), void *ctx)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", r->dir, name);
    sb_atomic_file a;
    if (!sb_atomic_open(&a, path)) {
        note(r, "cannot write %s: %s", path, strerror(errno));
        r->write_failed = 1;
        return 0;
    }
    writer(a.f, ctx);
    if (ferror(a.f)) {
        sb_atomic_abort(&a);
        note(r, "write error on %s", path);
        r->write_failed = 1;
        return 0;
    }
    if (!sb_atomic_commit(&a)) {
        note(r, "cannot finish %s: %s", path, strerror(errno));
        r->write_failed = 1;
        return 0;
    }
    return 1;
}

/* ---- info ---------------------------------------------------------------------------------- */

static void write_info(FILE *f, void *ctx)
{
    (void)ctx;
    sb_cli_info_json(f);
}

static int step_info(report *r) { return write_file(r, "info.json", write_info, NULL); }

static void section_info(report *r, FILE *f)
{
    (void)r;
    const sb_cpu_info *c = sb_cpu();
    char feats[256];
    sb_cpu_feature_string(c->features, feats, sizeof feats);
    const char *isa = sb_dispatch_isa();
    fprintf(f, "## Machine and dispatch\n\n");
    char desc[256];
    sb_cli_cpu_description(desc, sizeof desc);
    fprintf(f, "- CPU: %s %s (%s)%s; features: %s\n", c->vendor, c->model, c->arch,
            c->emulated ? " **under emulation: timings are meaningless, accuracy is real**" : "",
            feats[0] ? feats : "(none)");
    fprintf(f, "- microarchitecture and caches: %s\n", desc);
    fprintf(f, "- sinkbench %s (%s)\n", sb_version(), sb_build_info());
    fprintf(f, "- dispatch: %s (%s)\n\n", isa ? isa : "none", sb_dispatch_note());
    fprintf(f, "| row length | dispatched kernel |\n|---:|---|\n");
    static const size_t lengths[] = {16, 4096, (size_t)1 << 20, (size_t)1 << 24};
    for (size_t i = 0; i < sizeof lengths / sizeof lengths[0]; i++) {
        const sb_softmax_kernel *k = sb_softmax_dispatch(lengths[i]);
        fprintf(f, "| %zu | `%s` |\n", lengths[i], k ? k->name : "none");
    }
    fprintf(f, "\nAll registered kernels: [info.json](info.json).\n\n");
}

/* ---- contract check -------------------------------------------------------------------------- */

typedef struct check_write {
    report *r;
    sb_suite_level level;
} check_write;

static void write_check(FILE *f, void *ctx)
{
    check_write *c = ctx;
    sb_cli_check_json(f, c->r->check, c->r->nk, c->r->check_attention, c->r->na, c->r->check_batch, c->r->nb,
                      c->r->seed, c->level);
}

static int step_check(report *r)
{
    r->nk = sb_softmax_kernel_count();
    r->na = sb_attention_kernel_count();
    r->check = calloc(r->nk, sizeof *r->check);
    r->check_attention = calloc(r->na ? r->na : 1, sizeof *r->check_attention);
    r->nb = sb_softmax_batch_kernel_count();
    r->check_batch = calloc(r->nb ? r->nb : 1, sizeof *r->check_batch);
    if (!r->check || !r->check_attention || !r->check_batch) {
        note(r, "out of memory");
        return 0;
    }
    sb_suite_level level = r->full ? SB_SUITE_FULL : SB_SUITE_QUICK;
    sb_suite_options o = {level, r->seed, NULL, 0, NULL, NULL};
    if (sb_suite_run(&o, r->check) != SB_OK || sb_attention_suite_run(&o, r->check_attention) != SB_OK ||
        sb_batch_suite_run(&o, r->check_batch) != SB_OK) {
        note(r, "out of memory while running the suite");
        return 0;
    }
    if (sb_suite_failed(r->check, r->nk) || sb_attention_suite_failed(r->check_attention, r->na) ||
        sb_batch_suite_failed(r->check_batch, r->nb))
        r->contract_failed = 1;
    check_write cw = {r, level};
    return write_file(r, "check.json", write_check, &cw);
}

static void section_check(report *r, FILE *f)
{
    sb_suite_level level = r->full ? SB_SUITE_FULL : SB_SUITE_QUICK;
    fprintf(f, "## Contract check\n\n");
    fprintf(f, "Every kernel against the correctly rounded MPFR oracle on %zu seeded rows (seed %" PRIu64
               ", %s suite), under the numerics contract (docs/numerics.md). Raw: [check.json](check.json).\n\n",
            sb_suite_row_count(level), r->seed, level == SB_SUITE_FULL ? "full" : "quick");
    fprintf(f, "| kernel | isa | algorithm | max ulp | bound | mean ulp | verdict |\n|---|---|---|---:|---:|---:|---|\n");
    for (size_t i = 0; i < r->nk; i++) {
        const sb_suite_stats *s = &r->check[i];
        if (s->skipped)
            continue;
        char maxu[32], bound[32];
        sb_cli_ulp_text(s->kernel->ulp_bound, s->max_ulp, bound, maxu);
        char verdict[160];
        if (!s->api_ok)
            snprintf(verdict, sizeof verdict, "**FAIL (API)**");
        else if (!s->failures)
            snprintf(verdict, sizeof verdict, "ok");
        else {
            /* name the rules broken: the story of the cases a kernel gets wrong */
            int used = snprintf(verdict, sizeof verdict, "%s:", s->kernel->ulp_bound < 0 ? "breaks" : "**FAIL**");
            for (int v = 1; v < SB_V_COUNT && used < (int)sizeof verdict; v++)
                if (s->rows_by_rule[v])
                    used += snprintf(verdict + used, sizeof verdict - (size_t)used, " %s (%zu)",
                                     sb_violation_name((sb_violation)v), s->rows_by_rule[v]);
        }
        fprintf(f, "| `%s` | %s | %s | %s | %s | %.3g | %s |\n", s->kernel->name, s->kernel->isa,
                s->kernel->algorithm, maxu, bound, s->entries ? s->sum_ulp_error / (double)s->entries : 0.0,
                verdict);
    }
    fprintf(f, "\n");
    fprintf(f, "Attention kernels against the binary64 attention reference on %zu seeded problems (decode, "
               "split-KV, causal prefill; MHA/GQA/MQA; f32/f16/bf16 KV; masks, sink tokens, learned sinks and "
               "softmax_1 with gaps up to 120; NaN and infinities). Error in units of 2^-24 R max|v| (R: the keys' "
               "share of the mass); a tolerance ratio of at most 1 passes (docs/attention.md).\n\n",
            sb_attention_suite_case_count(level));
    fprintf(f, "| attention kernel | isa | algorithm | problems | max error | max tolerance ratio | verdict |\n"
               "|---|---|---|---:|---:|---:|---|\n");
    for (size_t i = 0; i < r->na; i++) {
        const sb_attention_suite_stats *s = &r->check_attention[i];
        if (s->skipped)
            continue;
        char verdict[700];
        if (!s->failures)
            snprintf(verdict, sizeof verdict, "ok");
        else
            snprintf(verdict, sizeof verdict, "%s: %zu problems, first: %s (%s)",
                     s->kernel->error_bound ? "**FAIL**" : "breaks", s->failures, s->first_label,
                     s->first.rule ? s->first.rule : "?");
        char ratio[32];
        if (s->kernel->error_bound)
            snprintf(ratio, sizeof ratio, "%.3g", s->max_ratio);
        else
            snprintf(ratio, sizeof ratio, "study");
        fprintf(f, "| `%s` | %s | %s | %zu | %.3g | %s | %s |\n", s->kernel->name, s->kernel->isa,
                s->kernel->algorithm, s->problems, s->max_c, ratio, verdict);
    }
    fprintf(f, "\n");
    fprintf(f, "Batched softmax kernels (`sb_softmax_batch`'s per ISA, peers' batched entry points) on %zu seeded "
               "batches at 1 to 4 threads: every row against the oracle on the scaled and masked row, and bit for "
               "bit equal to the row kernel, across thread counts and in place.\n\n",
            sb_batch_suite_case_count(level));
    fprintf(f, "| batched kernel | isa | problems | rows | max ulp | bound | verdict |\n|---|---|---:|---:|---:|---:|---|\n");
    for (size_t i = 0; i < r->nb; i++) {
        const sb_batch_suite_stats *s = &r->check_batch[i];
        if (s->skipped)
            continue;
        char maxu[32], bound[32], verdict[700];
        sb_cli_ulp_text(s->kernel->ulp_bound, s->max_ulp, bound, maxu);
        if (!s->api_ok)
            snprintf(verdict, sizeof verdict, "**FAIL (API)**");
        else if (!s->failures)
            snprintf(verdict, sizeof verdict, "ok");
        else
            snprintf(verdict, sizeof verdict, "%s: %zu problems, first: %s (%s)",
                     s->kernel->ulp_bound >= 0 ? "**FAIL**" : "breaks", s->failures, s->first_label,
                     s->first.rule ? s->first.rule : "?");
        fprintf(f, "| `%s` | %s | %zu | %zu | %s | %s | %s |\n", s->kernel->name, s->kernel->isa, s->problems, s->rows,
                maxu, bound, verdict);
    }
    fprintf(f, "\n");
}

/* ---- outputs for cross-machine comparison ---------------------------------------------------------- */

static void write_outputs(FILE *f, void *ctx)
{
    sb_outputs_write(f, ctx); /* a short write sets the stream's error flag, which write_file checks */
}

static int step_outputs(report *r)
{
    sb_outputs outs;
    if (!sb_outputs_collect(&outs, r->seed, 0)) {
        note(r, "out of memory");
        return 0;
    }
    int ok = write_file(r, "outputs.bin", write_outputs, &outs);
    sb_outputs_free(&outs);
    return ok;
}

static void section_outputs(report *r, FILE *f)
{
    (void)r;
    fprintf(f, "## Outputs for comparison\n\n`outputs.bin` holds every contract kernel's outputs on fixed "
               "seeded rows; `sinkbench compare` uses it to find where ISAs and machines differ bit for bit.\n\n");
}

/* ---- stability study ------------------------------------------------------------------------------ */

static int step_stability(report *r)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/stability", r->dir);
    sb_stability_options o;
    memset(&o, 0, sizeof o);
    o.preset = r->full ? SB_STABILITY_FULL : SB_STABILITY_QUICK;
    o.seed = r->seed;
    o.plots = 1;
    o.progress = isatty(fileno(stderr));
    int rc = sb_stability_run(&o, dir, &r->stab);
    if (rc == SB_EXIT_FAILED)
        r->contract_failed = 1;
    if (rc == SB_EXIT_OK || rc == SB_EXIT_FAILED)
        return 1;
    note(r, "the stability study stopped (exit %d)", rc);
    return 0;
}

static void section_stability(report *r, FILE *f)
{
    const sb_stability_outcome *s = &r->stab;
    fprintf(f, "## Stability of sink-dominated rows\n\n");
    fprintf(f, "%zu cells (%zu kernels; sink gap 0–130, lengths, sink places, tails, f32/f16/bf16) in %.1f s. "
               "Contract kernels %s their bounds on every cell. Flush thresholds observed where theory puts them: "
               "%zu of %zu. Summary: [stability/stability.md](stability/stability.md).\n\n",
            s->cells, s->kernels, s->seconds, s->failed ? "**exceed**" : "stay within", s->thresholds_agree,
            s->thresholds);
    if (s->plots_written)
        fprintf(f, "![error vs gap](stability/stability-error-vs-gap.png)\n\n");
    else if (s->plots_note[0])
        fprintf(f, "Plots skipped: %s\n\n", s->plots_note);
}

/* ---- perturbation study ---------------------------------------------------------------------------- */

static int step_perturb(report *r)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/perturb", r->dir);
    sb_perturb_options o;
    sb_perturb_options_default(&o, r->full ? SB_PERTURB_FULL : SB_PERTURB_QUICK);
    o.seed = r->seed;
    o.plots = 1;
    o.progress = isatty(fileno(stderr));
    int rc = sb_perturb_run(&o, dir, r->perturb_summary, sizeof r->perturb_summary);
    if (rc == SB_EXIT_OK)
        return 1;
    note(r, "the perturbation study stopped (exit %d)", rc);
    return 0;
}

static void section_perturb(report *r, FILE *f)
{
    fprintf(f, "## Perturbation through stacked attention layers\n\n"
               "A synthetic causal attention stack with every sink mode, over several weight seeds: which claims of "
               "\"Why do LLMs attend to the first token?\" (and of the papers around it) this run reproduces, each "
               "against a criterion derived from its prediction, measured now; consequences of the imposed sink are "
               "listed apart. Details, sources and formulas: [perturb/perturb.md](perturb/perturb.md).\n\n");
    fprintf(f, "%s\n\n", r->perturb_summary[0] ? r->perturb_summary : "(no summary)");
    static const char *const plots[] = {"perturb_precision.png", "perturb_precision_snr.png"};
    for (size_t i = 0; i < sizeof plots / sizeof *plots; i++) {
        char path[4200];
        snprintf(path, sizeof path, "%s/perturb/%s", r->dir, plots[i]);
        if (access(path, R_OK) == 0)
            fprintf(f, "![%s](perturb/%s)\n\n", plots[i], plots[i]);
    }
}

/* ---- sinks that emerge in training ---------------------------------------------------------------- */

static int step_emerge(report *r)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/emerge", r->dir);
    sb_emerge_study_options o;
    sb_emerge_study_options_default(&o, SB_EMERGE_QUICK); /* the full study takes an hour or more: a sample is linked */
    o.seed = r->seed;
    o.progress = isatty(fileno(stderr));
    const char *steps = getenv("SINKBENCH_REPORT_EMERGE_STEPS"); /* slow builds (sanitizers) train less */
    if (steps && *steps && strtoull(steps, NULL, 10) > 0)
        o.steps = (size_t)strtoull(steps, NULL, 10);
    int rc = sb_emerge_cli_run(&o, dir, 1, NULL, r->emerge_summary, sizeof r->emerge_summary, NULL);
    if (rc == SB_EXIT_OK)
        return 1;
    note(r, "the emerge study stopped (exit %d)", rc);
    return 0;
}

static void section_emerge(report *r, FILE *f)
{
    fprintf(f, "## Sinks that emerge in training\n\n"
               "Small causal transformers trained here on Bigram-Backcopy (`sinkbench emerge --quick`: 1 layer, 1 head, "
               "context 64, a BOS token and no BOS); whether a sink formed, and the last token's drift after a token "
               "swap with the sink as trained and removed. Details: [emerge/emerge.md](emerge/emerge.md). The full study "
               "(every sink variant, context lengths 32–256, depths 1–4, 3 seeds, fortune text) is committed as a "
               "sample: reports/sample-emerge/emerge.md in the source tree (docs/emerge.md).\n\n");
    fprintf(f, "%s\n", r->emerge_summary[0] ? r->emerge_summary : "(no summary)\n");
}

/* ---- benchmarks ------------------------------------------------------------------------------------ */

/* Runs argv[0] with stdout and stderr to log (NULL: ours); returns its exit status, or -1. */
static int spawn_wait(const char *const *argv, const char *log)
{
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    if (log) {
        posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        posix_spawn_file_actions_adddup2(&fa, STDOUT_FILENO, STDERR_FILENO);
    }
    fflush(NULL);
    pid_t pid;
    int err = posix_spawn(&pid, argv[0], &fa, NULL, (char *const *)argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (err)
        return -1;
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static const char *bench_exe(void)
{
    const char *e = getenv("SINKBENCH_BENCH");
    if (e && *e)
        return e;
    static char beside[4200];
    char self[4096];
    if (sb_self_dir(self, sizeof self)) {
        snprintf(beside, sizeof beside, "%s/sinkbench-bench", self); /* the installed layout */
        if (access(beside, X_OK) == 0)
            return beside;
    }
    return access(SB_BENCH_EXE, X_OK) == 0 ? SB_BENCH_EXE : NULL;
}

static int step_bench(report *r)
{
    if (r->no_bench) {
        note(r, "skipped (--no-bench)");
        return -1;
    }
    if (sb_cpu()->emulated) {
        note(r, "skipped: running under emulation, timings would mean nothing");
        return -1;
    }
    const char *exe = bench_exe();
    if (!exe) {
        note(r, "sinkbench-bench is not built (Google Benchmark missing: install libbenchmark-dev)");
        return 0;
    }
    char out[4096], log[4096];
    snprintf(out, sizeof out, "%s/bench.json", r->dir);
    snprintf(log, sizeof log, "%s/bench.log", r->dir);
    const char *argv[] = {exe, r->full ? "--full" : "--quick", "--out", out, r->no_peers ? "--no-peers" : NULL, NULL};
    int rc = spawn_wait(argv, log);
    if (rc != 0) {
        note(r, "%s exited with status %d (see bench.log)", exe, rc);
        return 0;
    }
    return 1;
}

/* The headline: at gap 15 (a sink-dominated row), for L1, L3 and DRAM sizes. */
/* The attention cases of bench.json (decode: K/V bandwidth and roofline; prefill: GFLOP/s and the
 * share of the FMA peak measured in the same run), with the error the contract checker measured on
 * the timed inputs. */
static void section_bench_attention(FILE *f, const char *path)
{
    sb_bench_results b;
    char err[512];
    memset(&b, 0, sizeof b);
    if (!sb_bench_results_load(&b, path, "cpu_time", SB_BENCH_ATTENTION, err, sizeof err) || b.ns == 0) {
        sb_bench_results_free(&b);
        return;
    }
    fprintf(f, "**Attention** (H = 32, H_kv = 8, learned sinks; decode: roofline = K/V bytes over the read "
               "bandwidth of the same working set; prefill: share of the FMA peak; error in units of 2^-24 R max|v|; "
               "every case: `sinkbench compare bench.json`)\n\n"
               "| case | ms | GB/s | roofline | GFLOP/s | FMA peak | max error |\n|---|---:|---:|---:|---:|---:|---:|\n");
    for (size_t i = 0; i < b.ns; i++) {
        const sb_bench_series *s = &b.s[i];
        if (!s->usable)
            continue;
        double gbps = sb_bench_series_counter(s, SB_BENCH_C_GBPS), roof = sb_bench_series_counter(s, SB_BENCH_C_ROOFLINE),
               gf = sb_bench_series_counter(s, SB_BENCH_C_GFLOPS), peak = sb_bench_series_counter(s, SB_BENCH_C_FMA_PEAK_FRAC);
        char c_gb[32] = "", c_roof[32] = "", c_gf[32] = "", c_peak[32] = "";
        if (gbps > 0)
            snprintf(c_gb, sizeof c_gb, "%.1f", gbps);
        if (roof > 0)
            snprintf(c_roof, sizeof c_roof, "%.0f %%", 100.0 * roof);
        if (gf > 0)
            snprintf(c_gf, sizeof c_gf, "%.1f", gf);
        if (peak > 0)
            snprintf(c_peak, sizeof c_peak, "%.0f %%", 100.0 * peak);
        fprintf(f, "| `%s` | %.3f | %s | %s | %s | %s | %.2g |\n", s->name + strlen(SB_BENCH_ATTENTION), s->median * 1e-6,
                c_gb, c_roof, c_gf, c_peak, sb_bench_series_counter(s, SB_BENCH_C_MAX_ERR_U));
    }
    fprintf(f, "\n");
    sb_bench_results_free(&b);
}

static void section_bench(report *r, FILE *f)
{
    char path[4096], err[512];
    snprintf(path, sizeof path, "%s/bench.json", r->dir);
    sb_bench_results b;
    memset(&b, 0, sizeof b);
    fprintf(f, "## Speed, side by side with the peers\n\n");
    if (!sb_bench_results_load(&b, path, "cpu_time", SB_BENCH_SOFTMAX, err, sizeof err)) {
        fprintf(f, "Could not read bench.json: %s\n\n", err);
        sb_bench_results_free(&b);
        return;
    }
    fprintf(f, "Google Benchmark, single thread, CPU time, median of the repetitions; the same inputs' max ulp "
               "against the oracle beside each time; roofline = fraction of the read/copy bandwidth bound measured "
               "in the same run. `sb_softmax_f32` is what the API dispatches to. Raw: [bench.json](bench.json); "
               "every kernel and shape: `sinkbench compare bench.json`.\n\n");
    for (size_t sh = 0; sh < sb_bench_report_shape_count; sh++) {
        const sb_bench_softmax_shape_spec *spec = &sb_bench_report_shapes[sh];
        char shape[96], ours_name[160];
        sb_bench_softmax_shape(shape, sizeof shape, spec->n, spec->gap, spec->rows);
        sb_bench_softmax_name(ours_name, sizeof ours_name, SB_BENCH_SOFTMAX_API, spec->n, spec->gap, spec->rows);
        const sb_bench_series *ours = sb_bench_results_find(&b, ours_name);
        if (!ours || !ours->usable) {
            /* The bench step ran but a shape this table needs is missing or was skipped: an error the
             * reader must see, not a table that silently shrinks. */
            fprintf(f, "**%s**: **error**: bench.json has %s `%s` (%s)\n\n", shape, ours ? "no usable result for" : "no",
                    ours_name, ours && ours->error ? ours->error : "the preset did not run this shape");
            r->missing_shapes++;
            continue;
        }
        char disp[128];
        sb_bench_series_label(ours, SB_BENCH_LABEL_KERNEL, disp, sizeof disp);
        fprintf(f, "**%s** (ours: `%s`)\n\n| kernel | ns/row | ours is N× faster | max ulp | roofline |\n|---|---:|---:|---:|---:|\n",
                shape, disp[0] ? disp : SB_BENCH_SOFTMAX_API);
        for (size_t i = 0; i < b.ns; i++) {
            const sb_bench_series *s = &b.s[i];
            if (!s->usable || !strstr(s->name, shape))
                continue;
            char role[32];
            sb_bench_series_label(s, SB_BENCH_LABEL_ROLE, role, sizeof role);
            if (s != ours && strcmp(role, SB_BENCH_ROLE_PEER) != 0)
                continue;
            const char *k = s->name + strlen(SB_BENCH_SOFTMAX);
            fprintf(f, "| `%.*s` | %.0f | %.2f | %.0f | %.0f %% |\n", (int)(strchr(k, '/') - k), k, s->median,
                    s->median / ours->median, sb_bench_series_counter(s, SB_BENCH_C_MAX_ULP),
                    100.0 * sb_bench_series_counter(s, SB_BENCH_C_ROOFLINE));
        }
        fprintf(f, "\n");
    }
    sb_bench_results_free(&b);
    section_bench_attention(f, path);
    r->missing_shapes += sb_compare_batch(path, f, NULL, 1);
}

/* ---- the suite ---------------------------------------------------------------------------------- */

static const report_step steps[] = {
    {"info", "environment and dispatch", step_info, section_info},
    {"check", "contract check of every kernel", step_check, section_check},
    {"outputs", "outputs of every kernel on fixed rows", step_outputs, section_outputs},
    {"stability", "stability study of sink-dominated rows", step_stability, section_stability},
    {"perturb", "perturbation through stacked attention layers", step_perturb, section_perturb},
    {"emerge", "sinks that emerge in training (quick)", step_emerge, section_emerge},
    {"bench", "benchmarks with peers and roofline", step_bench, section_bench},
};
#define NSTEPS (sizeof steps / sizeof steps[0])

typedef struct index_ctx {
    report *r;
    const int *ran;
    char (*why)[512];
    const char *started;
    double seconds;
} index_ctx;

static void write_index(FILE *f, void *ctx)
{
    index_ctx *x = ctx;
    char host[256] = "unknown";
    gethostname(host, sizeof host - 1);
    fprintf(f, "# sinkbench report: %s\n\n", host);
    fprintf(f, "Started %s; took %.0f s; %s run, seed %" PRIu64 ". Reproduce: `sinkbench report%s --seed %" PRIu64 "`.\n\n",
            x->started, x->seconds, x->r->full ? "full" : "default", x->r->seed, x->r->full ? " --full" : "", x->r->seed);
    if (x->r->peers_loaded[0])
        fprintf(f, "Peers loaded as plugins (study kernels: measured, never failing a check): %s.\n\n", x->r->peers_loaded);
    for (int want = 0; want >= -1; want--) {
        int any = 0;
        for (size_t i = 0; i < NSTEPS; i++) {
            if (x->ran[i] != want)
                continue;
            if (!any++)
                fprintf(f, "%s\n\n", want == 0 ? "**Missing parts** (they failed; the rest of the report is complete):"
                                                 : "Skipped parts:");
            fprintf(f, "- %s: %s\n", steps[i].name, x->why[i]);
        }
        if (any)
            fprintf(f, "\n");
    }
    for (size_t i = 0; i < NSTEPS; i++)
        if (x->ran[i] == 1)
            steps[i].section(x->r, f);
}

/* sb_plugin_load_list's report: the file names of the peers loaded, for index.md. */
static void note_peer(void *ctx, const char *path, sb_status status, const char *reason)
{
    report *r = ctx;
    if (status != SB_OK) {
        fprintf(stderr, "report: peer left out: %s\n", reason);
        return;
    }
    const char *base = strrchr(path, '/');
    size_t len = strlen(r->peers_loaded);
    snprintf(r->peers_loaded + len, sizeof r->peers_loaded - len, "%s%s", len ? ", " : "", base ? base + 1 : path);
}

static int run_report(int argc, char **argv)
{
    const char *out = NULL;
    report r;
    memset(&r, 0, sizeof r);
    r.seed = 20261129;
    enum { OPT_OUT = 256, OPT_FULL, OPT_NO_BENCH, OPT_NO_PEERS, OPT_SEED };
    static const struct option opts[] = {
        {"out", required_argument, NULL, OPT_OUT},    {"full", no_argument, NULL, OPT_FULL},
        {"no-bench", no_argument, NULL, OPT_NO_BENCH}, {"no-peers", no_argument, NULL, OPT_NO_PEERS},
        {"seed", required_argument, NULL, OPT_SEED},   {NULL, 0, NULL, 0},
    };
    unsigned long long seed;
    optind = 0; /* a fresh scan: main's getopt_long has read the global options */
    for (int c; (c = getopt_long(argc, argv, SB_TOOL_OPTSTRING, opts, NULL)) != -1;) {
        switch (c) {
        case OPT_OUT:
            out = optarg;
            break;
        case OPT_FULL:
            r.full = 1;
            break;
        case OPT_NO_BENCH:
            r.no_bench = 1;
            break;
        case OPT_NO_PEERS:
            r.no_peers = 1;
            break;
        case OPT_SEED:
            if (!sb_tool_parse_u64("report", "--seed", optarg, &seed))
                return SB_EXIT_USAGE;
            r.seed = seed;
            break;
        case 1:
            return sb_tool_usage_error("report", "unexpected argument '%s'", optarg);
        default:
            return sb_tool_option_error("report", c, argc, argv, opts);
        }
    }
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    char started[64];
    strftime(started, sizeof started, "%Y-%m-%d %H:%M:%S %z", &tm);
    if (out)
        snprintf(r.dir, sizeof r.dir, "%s", out);
    else if (!sb_output_path_default(SB_OUTPUT_REPORT, sb_dispatch_isa(), r.dir, sizeof r.dir))
        return sb_tool_error("report", "the default output folder is too long: %s", r.dir);
    if (!sb_mkdir_p(r.dir))
        return sb_tool_error("report", "cannot create %s: %s", r.dir, strerror(errno));

    /* The peers built with the project (the installed copies when this program is installed) join the
     * contract check and the studies as study kernels: the report shows the rows they get wrong. A peer
     * that fails to load is left out with a note on stderr. */
    if (!r.no_peers) {
        char peers[8192];
        if (!sb_peer_plugins_default(peers, sizeof peers))
            fprintf(stderr, "report: the list of peer plugins is too long; peers left out\n");
        else
            sb_plugin_load_list(peers, SB_PLUGIN_SKIP_MISSING | SB_PLUGIN_KEEP_GOING, note_peer, &r, NULL, 0);
    }

    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int ran[NSTEPS];
    char why[NSTEPS][512];
    for (size_t i = 0; i < NSTEPS; i++) {
        fprintf(stderr, "report: [%zu/%zu] %s\n", i + 1, NSTEPS, steps[i].title);
        r.note[0] = 0;
        ran[i] = steps[i].run(&r);
        snprintf(why[i], sizeof why[i], "%s", r.note[0] ? r.note : "failed");
        if (ran[i] == 0)
            fprintf(stderr, "report: %s is missing: %s\n", steps[i].name, why[i]);
        else if (ran[i] < 0)
            fprintf(stderr, "report: %s %s\n", steps[i].name, why[i]);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    index_ctx ix = {&r, ran, why, started,
                    (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec)};
    int index_ok = write_file(&r, "index.md", write_index, &ix);
    free(r.check);
    free(r.check_attention);
    free(r.check_batch);
    if (!index_ok)
        return sb_tool_error("report", "%s", r.note);
    printf("%s/index.md\n", r.dir);
    int missing = 0;
    for (size_t i = 0; i < NSTEPS; i++)
        missing += ran[i] == 0;
    if (r.contract_failed)
        fprintf(stderr, "report: a contract kernel failed its check (see index.md)\n");
    if (r.missing_shapes)
        fprintf(stderr, "report: bench.json lacks %d shape(s) the speed tables need (see index.md)\n", r.missing_shapes);
    return missing || r.missing_shapes ? SB_EXIT_ERROR : r.contract_failed ? SB_EXIT_FAILED : SB_EXIT_OK;
}

const sb_command sb_cmd_report = {
    "report",
    "run the default suite on this machine and write a report folder",
    "usage: sinkbench report [--out DIR] [--full] [--seed N] [--no-bench] [--no-peers]\n\n"
    "Runs the default suite on this machine and writes DIR (default\n"
    "reports/<host>-<isa>-<YYYYMMDD>/): index.md (what ran, headline numbers, tables, plots, links)\n"
    "and the data of every part:\n"
    "  info.json       CPU, dispatch, every registered kernel\n"
    "  check.json      every kernel against the MPFR oracle under docs/numerics.md\n"
    "  outputs.bin     every kernel's outputs on fixed rows, for 'sinkbench compare'\n"
    "  stability/      the stability study (--quick preset, or --full)\n"
    "  perturb/        the perturbation study through stacked attention layers\n"
    "  emerge/         small transformers trained on Bigram-Backcopy: does a sink form (emerge --quick)\n"
    "  bench.json      benchmarks with the peers and the roofline (sinkbench-bench)\n"
    "Every file is written atomically; a part that fails is listed as missing in index.md and the\n"
    "others are still written. The path of index.md is printed on stdout, progress on stderr.\n"
    "Kernels from --plugin libraries take part like built-in ones.\n\n"
    "options:\n"
    "  --out DIR   where to write (created if needed)\n"
    "  --full      the deep runs (full contract suite, full studies)\n"
    "  --seed N    seed of every generated input (default 20261129)\n"
    "  --no-bench  skip the benchmarks\n"
    "  --no-peers  leave out the peers (XNNPACK, oneDNN, SLEEF, Highway, PyTorch plugins built with the project)\n\n"
    "environment: SINKBENCH_BENCH=path of sinkbench-bench (default: beside this program, or the build tree);\n"
    "  SINKBENCH_REPORT_EMERGE_STEPS=N trains the emerge part N steps instead of 800 (for slow builds)\n\n"
    "exit status: 0 done and every contract kernel passed, 1 a contract kernel failed, 2 usage error,\n"
    "3 a part is missing (could not run or be written, or bench.json lacks a shape the speed tables need)\n\n"
    "examples:\n"
    "  sinkbench report\n"
    "  sinkbench --plugin ./libmine.so report --out /tmp/mine\n",
    run_report,
};
