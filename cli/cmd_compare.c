/* sinkbench compare: benchmark files (compare_bench.c, compare_attention.c) or report folders
 * (compare_reports.c); this file is the command: its options and which comparison runs. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "compare.h"
#include "io/bench_results.h"
#include "io/json_helpers.h"

typedef sb_bench_results bench_file;
typedef sb_compare_options options;

static int run_compare(int argc, char **argv)
{
    options o = {"cpu_time", 0.05, NULL, 0};
    const char *paths[26];
    size_t nf = 0;
    static const struct option opts[] = {
        {"json", no_argument, NULL, 'j'},          {"metric", required_argument, NULL, 'm'},
        {"alpha", required_argument, NULL, 'a'},   {"filter", required_argument, NULL, 'f'},
        {NULL, 0, NULL, 0},
    };
    optind = 0; /* a fresh scan: main's getopt_long has read the global options */
    for (int c; (c = getopt_long(argc, argv, SB_TOOL_OPTSTRING, opts, NULL)) != -1;) {
        switch (c) {
        case 'j':
            o.json = 1;
            break;
        case 'm':
            if (strcmp(optarg, "cpu_time") != 0 && strcmp(optarg, "real_time") != 0)
                return sb_tool_usage_error("compare", "--metric must be cpu_time or real_time, not '%s'", optarg);
            o.metric = optarg;
            break;
        case 'a': {
            char *end = NULL;
            o.alpha = strtod(optarg, &end);
            if (!*optarg || *end || !(o.alpha > 0 && o.alpha < 1))
                return sb_tool_usage_error("compare", "--alpha must be a number between 0 and 1, not '%s'", optarg);
            break;
        }
        case 'f':
            o.filter = optarg;
            break;
        case 1: /* a file or folder, in the order given */
            if (nf == sizeof paths / sizeof paths[0])
                return sb_tool_usage_error("compare", "at most %zu files", sizeof paths / sizeof paths[0]);
            paths[nf++] = optarg;
            break;
        default:
            return sb_tool_option_error("compare", c, argc, argv, opts);
        }
    }
    /* after "--": files whose names may start with '-' */
    for (; optind < argc; optind++) {
        if (nf == sizeof paths / sizeof paths[0])
            return sb_tool_usage_error("compare", "at most %zu files", sizeof paths / sizeof paths[0]);
        paths[nf++] = argv[optind];
    }
    if (nf == 0)
        return sb_tool_usage_error("compare", "give one or more benchmark JSON files or report folders");
    size_t dirs = 0;
    for (size_t i = 0; i < nf; i++) {
        struct stat st;
        dirs += stat(paths[i], &st) == 0 && S_ISDIR(st.st_mode);
    }
    if (dirs && dirs != nf)
        return sb_tool_usage_error("compare", "give either report folders or benchmark JSON files, not both");
    if (dirs) {
        if (o.json)
            return sb_tool_usage_error("compare", "--json is for benchmark files; report folders compare as Markdown");
        return sb_compare_reports(paths, nf, &o);
    }
    bench_file files[26];
    size_t loaded = 0;
    int rc = SB_EXIT_OK;
    for (; loaded < nf; loaded++) {
        char err[512];
        if (!sb_bench_results_load(&files[loaded], paths[loaded], o.metric, o.filter, err, sizeof err)) {
            sb_tool_error("compare", "%s", err);
            sb_bench_results_free(&files[loaded]);
            rc = SB_EXIT_ERROR;
            break;
        }
    }
    if (rc == SB_EXIT_OK) {
        json_object *j = o.json ? json_object_new_object() : NULL;
        if (nf == 1) {
            sb_compare_side_by_side(&files[0], &o, j);
            sb_compare_attention(&files[0], &o, j);
            if (!j)
                printf("\n");
            sb_compare_batch(files[0].path, stdout, j, 0);
        } else
            sb_compare_ratio_table(files, nf, &o, j);
        if (j) {
            sb_json_print(stdout, j);
            json_object_put(j);
        }
    }
    for (size_t i = 0; i < loaded; i++)
        sb_bench_results_free(&files[i]);
    return rc;
}

const sb_command sb_cmd_compare = {
    "compare",
    "compare benchmark results: kernels side by side, or machines/builds against each other",
    "usage: sinkbench compare [--metric cpu_time|real_time] [--alpha P] [--filter TEXT] [--json] FILE.json...\n"
    "       sinkbench compare [--metric M] [--alpha P] [--filter TEXT] REPORT_DIR...\n\n"
    "Reads the Google Benchmark JSON written by sinkbench-bench (bench/, docs/benchmarks.md).\n\n"
    "One file: per softmax shape (n, sink gap, rows), every kernel side by side, fastest first: its\n"
    "role (dispatch = sb_softmax_f32 as a user calls it, kernel, study, peer), ns per row (median over\n"
    "repetitions), spread ((max - min) / median), the ratio to sb_softmax_f32 ('t/ours'), its max ulp\n"
    "error on the same inputs and the fraction of the memory-bandwidth bound it reaches; and the read,\n"
    "copy and memcpy bandwidth measured at the same working sets. Skipped benchmarks are listed with\n"
    "their reason. Then the attention benchmarks per case (decode, prefill, threads), every kernel with\n"
    "ms per call, spread, time over sb_attention's, KV GB/s and the fraction of the read-bandwidth bound\n"
    "(decode), GFLOP/s and the fraction of the run's FMA peak, and its error over its bound; the f16/f32\n"
    "and bf16/f32 time ratios, split-KV over unsplit, 2 threads over 1 (wall clock), the FMA peak per ISA.\n"
    "Then the batched softmax per shape (decode, prefill, 64 M row, 8 entries): sb_softmax_batch and each\n"
    "peer at 1 and 2 threads (wall clock), time over ours, max ulp, the share of the copy roofline of the\n"
    "same shape and thread count; the thread scaling; the per-call time on the 8-entry row.\n\n"
    "Two or more files (two CPUs, builds or ISAs; the first is the baseline A): per benchmark of A, the\n"
    "median and spread in every file, the ratio X/A (below 1: X is faster) and a two-sided Mann-Whitney\n"
    "U p-value over the repetitions (exact up to 50 runs in total; needs >= 2 repetitions on each side,\n"
    "and >= 4 each to ever reach p < 0.05), marked * when p < alpha; then the geometric mean ratio.\n\n"
    "Report folders (written by 'sinkbench report' on several machines or builds: x86 with AVX-512,\n"
    "AVX2 only, SSE2 only, aarch64 under qemu): a Markdown comparison on stdout of the machines, the\n"
    "speed ratios of their bench.json (as above; emulated runs left out), the accuracy of every kernel\n"
    "in each (check.json), and where the kernels' outputs differ bit for bit on identical inputs\n"
    "(outputs.bin: share of identical entries and max ulp distance, against the same kernel in the first\n"
    "report and against its binary64 reference). One folder compares its own ISAs.\n\n"
    "options:\n"
    "  --metric M    cpu_time (default: what the runs were timed by) or real_time\n"
    "  --alpha P     significance level for the * mark (default 0.05)\n"
    "  --filter TEXT only benchmarks whose name contains TEXT\n"
    "  --json        the tables as JSON on stdout\n\n"
    "exit status: 0 done, 2 usage error, 3 a file cannot be read or is not a benchmark report\n\n"
    "examples:\n"
    "  sinkbench compare reports/bench-myhost-quick-20260101-120000.json\n"
    "  sinkbench compare zen3.json zen4.json --filter n:4096/\n"
    "  sinkbench compare avx2.json avx512.json --json > ratios.json\n"
    "  sinkbench compare reports/zen4-avx512-20261129 reports/zen4-avx2-20261129 reports/qemu-neon-20261129\n",
    run_compare,
};
