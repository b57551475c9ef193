/* sinkbench check: every kernel against the MPFR oracle under the numerics contract. */
#define _POSIX_C_SOURCE 200809L
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "io/json_helpers.h"
#include "check/attention_suite.h"
#include "check/batch_suite.h"
#include "check/suite.h"
#include "sinkbench/sinkbench.h"

static void progress(size_t done, size_t total, void *ctx)
{
    (void)ctx;
    if (done == total || done % 64 == 0)
        fprintf(stderr, "\rcheck: row %zu/%zu", done, total);
    if (done == total)
        fputs("\r                          \r", stderr);
}

static void print_text(const sb_suite_stats *st, size_t nk, uint64_t seed, sb_suite_level level)
{
    size_t ran = 0;
    for (size_t k = 0; k < nk; k++)
        ran += !st[k].skipped;
    if (!ran) /* --kernel named an attention kernel */
        return;
    printf("contract check (%s, seed %" PRIu64 "): every kernel against the MPFR oracle\n\n",
           level == SB_SUITE_FULL ? "full" : "quick", seed);
    printf("%-34s %6s %9s %9s %10s  %s\n", "kernel", "rows", "max ulp", "bound", "mean ulp", "verdict");
    for (size_t k = 0; k < nk; k++) {
        const sb_suite_stats *s = &st[k];
        if (s->skipped)
            continue;
        char maxu[32], bound[32];
        sb_cli_ulp_text(s->kernel->ulp_bound, s->max_ulp, bound, maxu);
        const char *verdict = !s->api_ok ? "FAIL (API)"
                              : s->failures == 0 ? "ok"
                              : s->kernel->ulp_bound < 0 ? "breaks (study kernel)" : "FAIL";
        printf("%-34s %6zu %9s %9s %10.3g  %s\n", s->kernel->name, s->rows, maxu, bound,
               s->entries ? s->sum_ulp_error / (double)s->entries : 0.0, verdict);
    }
    for (size_t k = 0; k < nk; k++) {
        const sb_suite_stats *s = &st[k];
        if (s->skipped)
            continue;
        if (!s->api_ok)
            printf("\n%s\n", s->api.message);
        else if (s->failures) {
            printf("\n%s%s: %zu of %zu rows break the contract%s\n", s->kernel->name,
                   s->kernel->ulp_bound < 0 ? " (study kernel)" : "", s->failures, s->rows,
                   s->kernel->ulp_bound < 0 ? " (judged against the 2-ulp target)" : "");
            for (int v = 1; v < SB_V_COUNT; v++)
                if (s->rows_by_rule[v])
                    printf("  %-20s %5zu rows, e.g. %s\n", sb_violation_name((sb_violation)v), s->rows_by_rule[v],
                           s->first_by_rule[v].message);
            printf("  first failing row: n=%zu gap=%g tail=%s sink=%s edge=%s offset=%g row seed %" PRIu64
                   " misalign %zu%s\n",
                   s->first_spec.n, s->first_spec.gap, sb_tail_name(s->first_spec.tail),
                   sb_place_name(s->first_spec.place), sb_edge_name(s->first_spec.edge), s->first_spec.offset,
                   s->first_seed, s->first_run.misalign, s->first_run.in_place ? " in-place" : "");
        }
    }
}

static void print_attention_text(const sb_attention_suite_stats *st, size_t na, sb_suite_level level)
{
    size_t ran = 0;
    for (size_t k = 0; k < na; k++)
        ran += !st[k].skipped;
    if (!ran) /* --kernel named a softmax kernel */
        return;
    printf("attention contract check (%zu seeded problems): every attention kernel against the binary64 "
           "reference\nerror in units of 2^-24 * R * max|v| (R: the keys' share of the mass); tolerance "
           "ratio <= 1 passes\n\n",
           sb_attention_suite_case_count(level));
    printf("%-34s %8s %7s %11s %11s  %s\n", "attention kernel", "problems", "rows", "max error", "max ratio",
           "verdict");
    for (size_t k = 0; k < na; k++) {
        const sb_attention_suite_stats *s = &st[k];
        if (s->skipped)
            continue;
        const char *verdict = !s->failures                ? "ok"
                              : !s->kernel->error_bound ? "breaks (study kernel)"
                                                        : "FAIL";
        char ratio[32] = "study"; /* a study kernel claims no bound: no ratio to show */
        if (s->kernel->error_bound)
            snprintf(ratio, sizeof ratio, "%.3g", s->max_ratio);
        printf("%-34s %8zu %7zu %11.3g %11s  %s\n", s->kernel->name, s->problems, s->rows, s->max_c, ratio,
               verdict);
    }
    for (size_t k = 0; k < na; k++) {
        const sb_attention_suite_stats *s = &st[k];
        if (!s->skipped && s->failures)
            printf("\n%s: %zu of %zu problems break the contract; first: problem %zu (%s), rule '%s'\n  %s\n",
                   s->kernel->name, s->failures, s->problems, s->first_case, s->first_label,
                   s->first.rule ? s->first.rule : "?", s->first.message);
    }
}

/* The record of one kernel: its name, ISA and algorithm. */
static json_object *kernel_json(const char *name, const char *isa, const char *algorithm)
{
    json_object *e = json_object_new_object();
    json_object_object_add(e, "name", sb_json_new_string(name));
    json_object_object_add(e, "isa", sb_json_new_string(isa));
    json_object_object_add(e, "algorithm", sb_json_new_string(algorithm));
    return e;
}

/* A kernel's largest error ("inf" when a result was not finite) and mean error in ulp, into its record. */
static void add_ulp_error(json_object *e, uint64_t max_ulp, double sum_ulp_error, size_t entries)
{
    if (max_ulp == UINT64_MAX)
        json_object_object_add(e, "max_ulp", sb_json_new_string("inf"));
    else
        json_object_object_add(e, "max_ulp", json_object_new_uint64(max_ulp));
    json_object_object_add(e, "mean_ulp", sb_json_new_number(entries ? sum_ulp_error / (double)entries : 0.0, 0));
}

static void print_batch_text(const sb_batch_suite_stats *st, size_t nb, sb_suite_level level)
{
    size_t ran = 0;
    for (size_t k = 0; k < nb; k++)
        ran += !st[k].skipped;
    if (!ran) /* --kernel named another registry's kernel */
        return;
    printf("\nbatched softmax contract check (%zu seeded problems at 1-4 threads): every row against the MPFR "
           "oracle on the\nrow the descriptor defines; bit-identical to the row kernel, across thread counts and in place\n\n",
           sb_batch_suite_case_count(level));
    printf("%-34s %8s %7s %9s %9s  %s\n", "batched kernel", "problems", "rows", "max ulp", "bound", "verdict");
    for (size_t k = 0; k < nb; k++) {
        const sb_batch_suite_stats *s = &st[k];
        if (s->skipped)
            continue;
        char maxu[32], bound[32];
        sb_cli_ulp_text(s->kernel->ulp_bound, s->max_ulp, bound, maxu);
        const char *verdict = !s->api_ok ? "FAIL (API)"
                              : !s->failures ? "ok"
                              : s->kernel->ulp_bound < 0 ? "breaks (peer)" : "FAIL";
        printf("%-34s %8zu %7zu %9s %9s  %s\n", s->kernel->name, s->problems, s->rows, maxu, bound, verdict);
    }
    for (size_t k = 0; k < nb; k++) {
        const sb_batch_suite_stats *s = &st[k];
        if (s->skipped)
            continue;
        if (!s->api_ok)
            printf("\n%s\n", s->api.message);
        else if (s->failures)
            printf("\n%s: %zu of %zu problems break the contract; first: problem %zu (%s), rule '%s'\n  %s\n",
                   s->kernel->name, s->failures, s->problems, s->first_case, s->first_label,
                   s->first.rule ? s->first.rule : "?", s->first.message);
    }
}

static void batch_json(json_object *doc, const sb_batch_suite_stats *st, size_t nb, sb_suite_level level)
{
    json_object_object_add(doc, "batch_problems", json_object_new_uint64(sb_batch_suite_case_count(level)));
    json_object *kernels = json_object_new_array();
    for (size_t k = 0; k < nb && st; k++) {
        const sb_batch_suite_stats *s = &st[k];
        if (s->skipped)
            continue;
        json_object *e = kernel_json(s->kernel->name, s->kernel->isa, s->kernel->algorithm);
        json_object_object_add(e, "ulp_bound", sb_json_new_number(s->kernel->ulp_bound, 0));
        json_object_object_add(e, "api_ok", json_object_new_boolean(s->api_ok));
        json_object_object_add(e, "problems", json_object_new_uint64(s->problems));
        json_object_object_add(e, "rows", json_object_new_uint64(s->rows));
        json_object_object_add(e, "failing_problems", json_object_new_uint64(s->failures));
        add_ulp_error(e, s->max_ulp, s->sum_ulp_error, s->entries);
        if (!s->api_ok)
            json_object_object_add(e, "first_failure", sb_json_new_string(s->api.message));
        else if (s->failures) {
            json_object_object_add(e, "first_failure_problem", sb_json_new_string(s->first_label));
            json_object_object_add(e, "first_failure", sb_json_new_string(s->first.message));
        }
        json_object_array_add(kernels, e);
    }
    json_object_object_add(doc, "batch_kernels", kernels);
}

static void attention_json(json_object *doc, const sb_attention_suite_stats *st, size_t na, sb_suite_level level)
{
    json_object_object_add(doc, "attention_problems", json_object_new_uint64(sb_attention_suite_case_count(level)));
    json_object *kernels = json_object_new_array();
    for (size_t k = 0; k < na && st; k++) {
        const sb_attention_suite_stats *s = &st[k];
        if (s->skipped)
            continue;
        json_object *e = kernel_json(s->kernel->name, s->kernel->isa, s->kernel->algorithm);
        json_object_object_add(e, "bound", sb_json_new_string(s->kernel->error_bound && s->kernel->bound_text
                                                                  ? s->kernel->bound_text
                                                                  : "study"));
        json_object_object_add(e, "problems", json_object_new_uint64(s->problems));
        json_object_object_add(e, "rows", json_object_new_uint64(s->rows));
        json_object_object_add(e, "failing_problems", json_object_new_uint64(s->failures));
        json_object_object_add(e, "max_error_units", sb_json_new_number(s->max_c, 0));
        json_object_object_add(e, "max_tolerance_ratio", sb_json_new_number(s->max_ratio, 0));
        if (s->failures) {
            json_object_object_add(e, "first_failure_problem", sb_json_new_string(s->first_label));
            json_object_object_add(e, "first_failure", sb_json_new_string(s->first.message));
        }
        json_object_array_add(kernels, e);
    }
    json_object_object_add(doc, "attention_kernels", kernels);
}

void sb_cli_ulp_text(double bound, uint64_t max_ulp, char bound_text[32], char max_text[32])
{
    if (bound >= 0)
        snprintf(bound_text, 32, "%g", bound);
    else
        snprintf(bound_text, 32, "study");
    if (!max_text)
        return;
    if (max_ulp == UINT64_MAX)
        snprintf(max_text, 32, "inf/NaN");
    else
        snprintf(max_text, 32, "%" PRIu64, max_ulp);
}

void sb_cli_check_json(FILE *f, const sb_suite_stats *st, size_t nk, const sb_attention_suite_stats *at, size_t na,
                       const sb_batch_suite_stats *bt, size_t nb, uint64_t seed, sb_suite_level level)
{
    json_object *doc = json_object_new_object();
    json_object_object_add(doc, "level", sb_json_new_string(level == SB_SUITE_FULL ? "full" : "quick"));
    json_object_object_add(doc, "seed", json_object_new_uint64(seed));
    json_object_object_add(doc, "rows", json_object_new_uint64(sb_suite_row_count(level)));
    json_object *kernels = json_object_new_array();
    for (size_t k = 0; k < nk; k++) {
        const sb_suite_stats *s = &st[k];
        if (s->skipped)
            continue;
        json_object *e = kernel_json(s->kernel->name, s->kernel->isa, s->kernel->algorithm);
        json_object_object_add(e, "ulp_bound", sb_json_new_number(s->kernel->ulp_bound, 0));
        json_object_object_add(e, "api_ok", json_object_new_boolean(s->api_ok));
        json_object_object_add(e, "rows", json_object_new_uint64(s->rows));
        json_object_object_add(e, "failing_rows", json_object_new_uint64(s->failures));
        add_ulp_error(e, s->max_ulp, s->sum_ulp_error, s->entries);
        json_object *by_rule = json_object_new_object();
        for (int v = 1; v < SB_V_COUNT; v++)
            if (s->rows_by_rule[v])
                json_object_object_add(by_rule, sb_violation_name((sb_violation)v),
                                       json_object_new_uint64(s->rows_by_rule[v]));
        json_object_object_add(e, "failing_rows_by_rule", by_rule);
        if (!s->api_ok)
            json_object_object_add(e, "first_failure", sb_json_new_string(s->api.message));
        else if (s->failures)
            json_object_object_add(e, "first_failure", sb_json_new_string(s->first.message));
        json_object_array_add(kernels, e);
    }
    json_object_object_add(doc, "kernels", kernels);
    attention_json(doc, at, na, level);
    batch_json(doc, bt, nb, level);
    json_object_object_add(doc, "passed",
                           json_object_new_boolean(!sb_suite_failed(st, nk) && !(at && sb_attention_suite_failed(at, na)) &&
                                                   !(bt && sb_batch_suite_failed(bt, nb))));
    sb_json_print(f, doc);
    json_object_put(doc);
}

static int run_check(int argc, char **argv)
{
    sb_suite_options o = {SB_SUITE_QUICK, 20261129, NULL, 1, progress, NULL};
    int json = 0, quiet = 0;
    enum { OPT_SEED = 256, OPT_KERNEL };
    static const struct option opts[] = {
        {"json", no_argument, NULL, 'j'},         {"full", no_argument, NULL, 'f'},
        {"quick", no_argument, NULL, 'q'},        {"quiet", no_argument, NULL, 'Q'},
        {"seed", required_argument, NULL, OPT_SEED}, {"kernel", required_argument, NULL, OPT_KERNEL},
        {NULL, 0, NULL, 0},
    };
    unsigned long long seed;
    optind = 0; /* a fresh scan: main's getopt_long has read the global options */
    for (int c; (c = getopt_long(argc, argv, SB_TOOL_OPTSTRING, opts, NULL)) != -1;) {
        switch (c) {
        case 'j':
            json = 1;
            break;
        case 'f':
            o.level = SB_SUITE_FULL;
            break;
        case 'q':
            o.level = SB_SUITE_QUICK;
            break;
        case 'Q':
            quiet = 1;
            break;
        case OPT_SEED:
            if (!sb_tool_parse_u64("check", "--seed", optarg, &seed))
                return SB_EXIT_USAGE;
            o.seed = seed;
            break;
        case OPT_KERNEL:
            if (!sb_softmax_kernel_find(optarg) && !sb_attention_kernel_find(optarg) &&
                !sb_softmax_batch_kernel_find(optarg))
                return sb_tool_usage_error("check", "no kernel named '%s' (see 'sinkbench info')", optarg);
            o.kernel = optarg;
            break;
        case 1:
            return sb_tool_usage_error("check", "unexpected argument '%s'", optarg);
        default:
            return sb_tool_option_error("check", c, argc, argv, opts);
        }
    }
    if (quiet || json || !isatty(fileno(stderr)))
        o.progress = NULL;
    size_t nk = sb_softmax_kernel_count(), na = sb_attention_kernel_count(), nb = sb_softmax_batch_kernel_count();
    sb_suite_stats *st = calloc(nk, sizeof *st);
    sb_attention_suite_stats *at = calloc(na ? na : 1, sizeof *at);
    sb_batch_suite_stats *bt = calloc(nb ? nb : 1, sizeof *bt);
    if (!st || !at || !bt) {
        free(st);
        free(at);
        free(bt);
        return sb_tool_error("check", "out of memory");
    }
    if (sb_suite_run(&o, st) != SB_OK || sb_attention_suite_run(&o, at) != SB_OK || sb_batch_suite_run(&o, bt) != SB_OK) {
        free(st);
        free(at);
        free(bt);
        return sb_tool_error("check", "out of memory while running the suite");
    }
    if (json) {
        sb_cli_check_json(stdout, st, nk, at, na, bt, nb, o.seed, o.level);
    } else {
        print_text(st, nk, o.seed, o.level);
        fputs("\n", stdout);
        print_attention_text(at, na, o.level);
        print_batch_text(bt, nb, o.level);
    }
    int failed = sb_suite_failed(st, nk) || sb_attention_suite_failed(at, na) || sb_batch_suite_failed(bt, nb);
    free(st);
    free(at);
    free(bt);
    return failed ? SB_EXIT_FAILED : SB_EXIT_OK;
}

const sb_command sb_cmd_check = {
    "check",
    "check every kernel against the MPFR oracle under the numerics contract",
    "usage: sinkbench check [--quick | --full] [--seed N] [--kernel NAME] [--json] [--quiet]\n\n"
    "Runs every registered kernel this CPU supports on a fixed list of seeded rows (sink gaps 0..120,\n"
    "sink first/middle/last, learned sinks and softmax_1, five tail shapes, every edge class of\n"
    "docs/numerics.md, misaligned and in-place calls) and compares each output with the correctly\n"
    "rounded result from the MPFR oracle. Prints, per kernel, the largest ulp error seen, its claimed\n"
    "bound and a verdict; a failure names the row (spec and seed) so it can be replayed.\n"
    "Then every attention kernel against the binary64 attention reference on a fixed list of seeded\n"
    "problems (decode, split-KV, causal prefill; MHA/GQA/MQA; f32/f16/bf16 KV; masks, windows with sink\n"
    "tokens, learned sinks and softmax_1 with gaps up to 120; NaN and infinities), against each kernel's\n"
    "stated bound (docs/attention.md). Then every batched softmax kernel (softmax_batch_<isa>, peers' batched\n"
    "entry points) on seeded batches (decode and prefill shapes, f32/f16 masks, per-head sinks, strides, in\n"
    "place, 1 to 4 threads): each row against the oracle, and bit for bit equal to its row kernel, across\n"
    "thread counts and in place. Study kernels (bound 'study') are measured but never fail the check.\n\n"
    "options:\n"
    "  --quick        about 450 rows, a few seconds (default)\n"
    "  --full         also every length 0..80, rows of 4095, 4097, 64 K and 1 M, and attention\n"
    "                 problems with 32 K keys and 256 x 256 prefill\n"
    "  --seed N       suite seed (default 20261129); the same seed gives the same rows\n"
    "  --kernel NAME  check one kernel only (softmax, attention or batched)\n"
    "  --json         results as JSON on stdout\n"
    "  --quiet        no progress line on stderr\n\n"
    "exit status: 0 every contract kernel passed, 1 a contract kernel failed, 2 usage error\n\n"
    "examples:\n"
    "  sinkbench check\n"
    "  sinkbench check --full --kernel softmax_scalar_f32\n"
    "  sinkbench check --kernel attention_flash_avx2\n",
    run_check,
};
