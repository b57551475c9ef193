/* sinkbench report: the main job. Runs the default suite on this machine and writes one folder with
 * index.md (what ran, headline numbers, tables, links) and the data of every part. Each part is a step
 * below; a step that fails is listed as missing and the others still run and land. Every file is
 * written atomically. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "atomic_file.h"
#include "cli.h"
#include "outputs_file.h"
#include "sinkbench/sinkbench.h"
#include "stability.h"

typedef struct report report;

typedef struct report_step {
    const char *name;     /* short name, used in "missing parts" */
    const char *title;    /* progress line */
    /* Runs the part; returns 0 when it could not produce its files (note says why), 1 otherwise. */
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
    char note[512];        /* the current step's reason for failing */
    /* check */
    sb_suite_stats *check;
    size_t nk;
    /* stability */
    sb_stability_outcome stab;
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
    const char *isa = sb_softmax_dispatch_isa();
    fprintf(f, "## Machine and dispatch\n\n");
    fprintf(f, "- CPU: %s %s (%s)%s; features: %s\n", c->vendor, c->model, c->arch,
            c->emulated ? " **under emulation: timings are meaningless, accuracy is real**" : "",
            feats[0] ? feats : "(none)");
    fprintf(f, "- sinkbench %s (%s)\n", sb_version(), sb_build_info());
    fprintf(f, "- dispatch: %s (%s)\n\n", isa ? isa : "none", sb_softmax_dispatch_note());
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
    sb_cli_check_json(f, c->r->check, c->r->nk, c->r->seed, c->level);
}

static int step_check(report *r)
{
    r->nk = sb_softmax_kernel_count();
    r->check = calloc(r->nk, sizeof *r->check);
    if (!r->check) {
        note(r, "out of memory");
        return 0;
    }
    sb_suite_level level = r->full ? SB_SUITE_FULL : SB_SUITE_QUICK;
    sb_suite_options o = {level, r->seed, NULL, 0, NULL, NULL};
    if (sb_suite_run(&o, r->check) != SB_OK) {
        note(r, "out of memory while running the suite");
        return 0;
    }
    if (sb_suite_failed(r->check, r->nk))
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
        if (s->max_ulp == UINT64_MAX)
            snprintf(maxu, sizeof maxu, "inf/NaN");
        else
            snprintf(maxu, sizeof maxu, "%" PRIu64, s->max_ulp);
        if (s->kernel->ulp_bound >= 0)
            snprintf(bound, sizeof bound, "%g", s->kernel->ulp_bound);
        else
            snprintf(bound, sizeof bound, "study");
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
    o.preset = r->full ? SB_STAB_FULL : SB_STAB_QUICK;
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

/* ---- the suite ---------------------------------------------------------------------------------- */

static const report_step steps[] = {
    {"info", "environment and dispatch", step_info, section_info},
    {"check", "contract check of every kernel", step_check, section_check},
    {"outputs", "outputs of every kernel on fixed rows", step_outputs, section_outputs},
    {"stability", "stability study of sink-dominated rows", step_stability, section_stability},
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
    int missing = 0;
    for (size_t i = 0; i < NSTEPS; i++)
        missing += !x->ran[i];
    if (missing) {
        fprintf(f, "**Missing parts:**\n\n");
        for (size_t i = 0; i < NSTEPS; i++)
            if (!x->ran[i])
                fprintf(f, "- %s: %s\n", steps[i].name, x->why[i]);
        fprintf(f, "\n");
    }
    for (size_t i = 0; i < NSTEPS; i++)
        if (x->ran[i])
            steps[i].section(x->r, f);
}

static int run_report(int argc, char **argv)
{
    const char *out = NULL;
    report r;
    memset(&r, 0, sizeof r);
    r.seed = 20261129;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--out") == 0) {
            if (++i >= argc)
                return sb_cli_usage_error("report", "--out needs a directory");
            out = argv[i];
        } else if (strcmp(argv[i], "--full") == 0) {
            r.full = 1;
        } else if (strcmp(argv[i], "--seed") == 0) {
            if (++i >= argc)
                return sb_cli_usage_error("report", "--seed needs a value");
            unsigned long long s;
            if (!sb_cli_parse_u64("report", "--seed", argv[i], &s))
                return SB_EXIT_USAGE;
            r.seed = s;
        } else {
            return sb_cli_usage_error("report", "unknown option '%s'", argv[i]);
        }
    }
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    char started[64], date[16];
    strftime(started, sizeof started, "%Y-%m-%d %H:%M:%S %z", &tm);
    strftime(date, sizeof date, "%Y%m%d", &tm);
    if (out) {
        snprintf(r.dir, sizeof r.dir, "%s", out);
    } else {
        char host[128] = "host";
        gethostname(host, sizeof host - 1);
        const char *isa = sb_softmax_dispatch_isa();
        snprintf(r.dir, sizeof r.dir, "reports/%s-%s-%s", host, isa ? isa : "none", date);
    }
    if (!sb_mkdir_p(r.dir))
        return sb_cli_error("report", "cannot create %s: %s", r.dir, strerror(errno));

    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int ran[NSTEPS];
    char why[NSTEPS][512];
    for (size_t i = 0; i < NSTEPS; i++) {
        fprintf(stderr, "report: [%zu/%zu] %s\n", i + 1, NSTEPS, steps[i].title);
        r.note[0] = 0;
        ran[i] = steps[i].run(&r);
        snprintf(why[i], sizeof why[i], "%s", r.note[0] ? r.note : "failed");
        if (!ran[i])
            fprintf(stderr, "report: %s is missing: %s\n", steps[i].name, why[i]);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    index_ctx ix = {&r, ran, why, started,
                    (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec)};
    int index_ok = write_file(&r, "index.md", write_index, &ix);
    free(r.check);
    if (!index_ok)
        return sb_cli_error("report", "%s", r.note);
    printf("%s/index.md\n", r.dir);
    int missing = 0;
    for (size_t i = 0; i < NSTEPS; i++)
        missing += !ran[i];
    if (r.contract_failed)
        fprintf(stderr, "report: a contract kernel failed its check (see index.md)\n");
    return missing ? SB_EXIT_ERROR : r.contract_failed ? SB_EXIT_FAILED : SB_EXIT_OK;
}

const sb_command sb_cmd_report = {
    "report",
    "run the default suite on this machine and write a report folder",
    "usage: sinkbench report [--out DIR] [--full] [--seed N]\n\n"
    "Runs the default suite on this machine and writes DIR (default\n"
    "reports/<host>-<isa>-<YYYYMMDD>/): index.md (what ran, headline numbers, tables, plots, links)\n"
    "and the data of every part:\n"
    "  info.json       CPU, dispatch, every registered kernel\n"
    "  check.json      every kernel against the MPFR oracle under docs/numerics.md\n"
    "  outputs.bin     every kernel's outputs on fixed rows, for 'sinkbench compare'\n"
    "  stability/      the stability study (--quick preset, or --full)\n"
    "Every file is written atomically; a part that fails is listed as missing in index.md and the\n"
    "others are still written. The path of index.md is printed on stdout, progress on stderr.\n"
    "Kernels from --plugin libraries take part like built-in ones.\n\n"
    "options:\n"
    "  --out DIR   where to write (created if needed)\n"
    "  --full      the deep runs (full contract suite, full studies)\n"
    "  --seed N    seed of every generated input (default 20261129)\n\n"
    "exit status: 0 done and every contract kernel passed, 1 a contract kernel failed, 2 usage error,\n"
    "3 a part is missing (could not run or be written)\n\n"
    "examples:\n"
    "  sinkbench report\n"
    "  sinkbench --plugin ./libmine.so report --out /tmp/mine\n",
    run_report,
};
