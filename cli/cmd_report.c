/* sinkbench report: the main job. Runs the default suite on this machine and writes one folder with
 * index.md (what ran, headline numbers, links) and the JSON of every part. Each part is written
 * atomically as it finishes; a part that fails is listed as missing and the rest still lands. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "atomic_file.h"
#include "outputs_file.h"
#include "cli.h"
#include "sinkbench/sinkbench.h"

typedef struct report {
    char dir[2048];
    int parts_ok, parts_failed;
    char missing[1024];
} report;

static int write_part(report *r, const char *name, void (*writer)(FILE *, void *), void *ctx)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", r->dir, name);
    sb_atomic_file a;
    if (!sb_atomic_open(&a, path)) {
        fprintf(stderr, "sinkbench report: cannot write %s: %s\n", path, strerror(errno));
        goto failed;
    }
    writer(a.f, ctx);
    if (ferror(a.f)) {
        sb_atomic_abort(&a);
        fprintf(stderr, "sinkbench report: write error on %s\n", path);
        goto failed;
    }
    if (!sb_atomic_commit(&a)) {
        fprintf(stderr, "sinkbench report: cannot finish %s: %s\n", path, strerror(errno));
        goto failed;
    }
    r->parts_ok++;
    return 1;
failed:
    r->parts_failed++;
    snprintf(r->missing + strlen(r->missing), sizeof r->missing - strlen(r->missing), "%s%s",
             r->missing[0] ? ", " : "", name);
    return 0;
}

static void write_info(FILE *f, void *ctx)
{
    (void)ctx;
    sb_cli_info_json(f);
}

typedef struct check_ctx {
    sb_suite_stats *st;
    size_t nk;
    uint64_t seed;
    sb_suite_level level;
} check_ctx;

static void write_check(FILE *f, void *ctx)
{
    check_ctx *c = ctx;
    sb_cli_check_json(f, c->st, c->nk, c->seed, c->level);
}

static void write_outputs(FILE *f, void *ctx)
{
    sb_outputs_write(f, ctx); /* a short write sets the stream's error flag, which write_part checks */
}

typedef struct index_ctx {
    report *r;
    check_ctx *check;
    int check_ran;
    const char *started;
    double seconds;
} index_ctx;

static void write_index(FILE *f, void *ctx)
{
    index_ctx *x = ctx;
    const sb_cpu_info *c = sb_cpu();
    char feats[256], host[256] = "unknown";
    sb_cpu_feature_string(c->features, feats, sizeof feats);
    gethostname(host, sizeof host - 1);
    const sb_softmax_kernel *d = sb_softmax_dispatch(4096);
    fprintf(f, "# sinkbench report: %s\n\n", host);
    fprintf(f, "- started: %s, took %.1f s\n- sinkbench %s (%s)\n- CPU: %s %s (%s); features: %s\n",
            x->started, x->seconds, sb_version(), sb_build_info(), c->vendor, c->model, c->arch, feats);
    fprintf(f, "- dispatch: %s (%s); n = 4096 runs `%s`\n\n", sb_softmax_dispatch_isa() ? sb_softmax_dispatch_isa() : "none",
            sb_softmax_dispatch_note(), d ? d->name : "none");
    fprintf(f, "## Contract check\n\n");
    if (!x->check_ran) {
        fprintf(f, "Not run (see missing parts).\n\n");
    } else {
        check_ctx *k = x->check;
        fprintf(f, "Every kernel against the MPFR oracle on %zu seeded rows (seed %" PRIu64 ", %s suite). "
                   "Raw data: [check.json](check.json).\n\n",
                sb_suite_row_count(k->level), k->seed, k->level == SB_SUITE_FULL ? "full" : "quick");
        fprintf(f, "| kernel | isa | algorithm | max ulp | bound | mean ulp | verdict |\n|---|---|---|---:|---:|---:|---|\n");
        for (size_t i = 0; i < k->nk; i++) {
            const sb_suite_stats *s = &k->st[i];
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
            const char *verdict = !s->api_ok ? "FAIL (API)"
                                  : !s->failures ? "ok"
                                  : s->kernel->ulp_bound < 0 ? "breaks (study kernel)" : "**FAIL**";
            fprintf(f, "| %s | %s | %s | %s | %s | %.3f | %s |\n", s->kernel->name, s->kernel->isa,
                    s->kernel->algorithm, maxu, bound, s->entries ? s->sum_ulp_error / (double)s->entries : 0.0,
                    verdict);
        }
        fprintf(f, "\n");
    }
    fprintf(f, "## Parts\n\n- [info.json](info.json): CPU, dispatch, registered kernels\n");
    if (x->check_ran)
        fprintf(f, "- [check.json](check.json): contract check per kernel\n");
    if (!strstr(x->r->missing, "outputs.bin"))
        fprintf(f, "- outputs.bin: every contract kernel's outputs on fixed seeded rows, for `sinkbench compare`\n");
    if (x->r->missing[0])
        fprintf(f, "\n**Missing parts:** %s\n", x->r->missing);
}

static int run_report(int argc, char **argv)
{
    const char *out = NULL;
    sb_suite_level level = SB_SUITE_QUICK;
    unsigned long long seed = 20261129;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--out") == 0) {
            if (++i >= argc)
                return sb_cli_usage_error("report", "--out needs a directory");
            out = argv[i];
        } else if (strcmp(argv[i], "--full") == 0) {
            level = SB_SUITE_FULL;
        } else if (strcmp(argv[i], "--seed") == 0) {
            if (++i >= argc)
                return sb_cli_usage_error("report", "--seed needs a value");
            if (!sb_cli_parse_u64("report", "--seed", argv[i], &seed))
                return SB_EXIT_USAGE;
        } else {
            return sb_cli_usage_error("report", "unknown option '%s'", argv[i]);
        }
    }
    report r;
    memset(&r, 0, sizeof r);
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

    fprintf(stderr, "report: [1/3] environment and dispatch\n");
    write_part(&r, "info.json", write_info, NULL);

    fprintf(stderr, "report: [2/3] contract check of every kernel\n");
    size_t nk = sb_softmax_kernel_count();
    check_ctx cc = {calloc(nk, sizeof(sb_suite_stats)), nk, seed, level};
    int check_ran = 0, failed = 0;
    if (cc.st) {
        sb_suite_options o = {level, seed, NULL, 0, NULL, NULL};
        if (sb_suite_run(&o, cc.st) == SB_OK) {
            check_ran = write_part(&r, "check.json", write_check, &cc);
            failed = sb_suite_failed(cc.st, nk);
        }
    }
    if (!check_ran && !strstr(r.missing, "check.json"))
        snprintf(r.missing + strlen(r.missing), sizeof r.missing - strlen(r.missing), "%scheck.json",
                 r.missing[0] ? ", " : "");

    fprintf(stderr, "report: [3/3] outputs of every kernel on fixed rows (for cross-machine comparison)\n");
    sb_outputs outs;
    if (sb_outputs_collect(&outs, seed, 0)) {
        write_part(&r, "outputs.bin", write_outputs, &outs);
        sb_outputs_free(&outs);
    } else {
        r.parts_failed++;
        snprintf(r.missing + strlen(r.missing), sizeof r.missing - strlen(r.missing), "%soutputs.bin",
                 r.missing[0] ? ", " : "");
    }

    clock_gettime(CLOCK_MONOTONIC, &t1);
    index_ctx ix = {&r, &cc, check_ran, started,
                    (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec)};
    write_part(&r, "index.md", write_index, &ix);
    free(cc.st);
    printf("%s/index.md\n", r.dir);
    if (r.missing[0])
        fprintf(stderr, "report: missing parts: %s\n", r.missing);
    if (failed)
        fprintf(stderr, "report: a contract kernel failed its check (see index.md)\n");
    return r.parts_failed || !check_ran ? SB_EXIT_ERROR : failed ? SB_EXIT_FAILED : SB_EXIT_OK;
}

const sb_command sb_cmd_report = {
    "report",
    "run the default suite on this machine and write a report folder",
    "usage: sinkbench report [--out DIR] [--full] [--seed N]\n\n"
    "Runs the default suite on this machine and writes DIR (default\n"
    "reports/<host>-<isa>-<YYYYMMDD>/) with index.md (what ran, headline numbers, tables, links) and the\n"
    "JSON of every part. Parts so far: info.json (CPU, dispatch, kernels) and check.json (every kernel\n"
    "against the MPFR oracle). Every file is written atomically; a part that fails is listed as missing\n"
    "and the others are still written. The path of index.md is printed on stdout.\n\n"
    "options:\n"
    "  --out DIR   where to write (created if needed)\n"
    "  --full      the deep runs (full contract suite)\n"
    "  --seed N    seed of every generated input (default 20261129)\n\n"
    "exit status: 0 done and every contract kernel passed, 1 a kernel failed its check, 2 usage error,\n"
    "3 a part could not be written\n\n"
    "examples:\n"
    "  sinkbench report\n"
    "  sinkbench report --out /tmp/my-report --full\n",
    run_report,
};
