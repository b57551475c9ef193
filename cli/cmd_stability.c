/* sinkbench stability: the numerical stability study of sink-dominated rows (studies/stability/stability_run.h). */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "io/paths.h"
#include "studies/stability/stability_run.h"

#define MAX_KERNELS 64

static int run_stability(int argc, char **argv)
{
    sb_stability_options o;
    memset(&o, 0, sizeof o);
    o.preset = SB_STABILITY_QUICK;
    o.seed = 20261129;
    o.plots = 1;
    o.progress = 1;
    const char *names[MAX_KERNELS];
    const char *out = NULL;
    char command[512];
    int used = snprintf(command, sizeof command, "sinkbench");
    for (int i = 0; i < argc && used > 0 && (size_t)used < sizeof command; i++)
        used += snprintf(command + used, sizeof command - (size_t)used, " %s", argv[i]);
    enum { OPT_EMULATED = 256, OPT_OUT, OPT_SEED, OPT_KERNEL, OPT_PLOT_DIR, OPT_BLOCK, OPT_VALUE_SCALE };
    static const struct option opts[] = {
        {"quick", no_argument, NULL, 'q'},
        {"full", no_argument, NULL, 'f'},
        {"no-plots", no_argument, NULL, 'P'},
        {"quiet", no_argument, NULL, 'Q'},
        {"emulated", no_argument, NULL, OPT_EMULATED},
        {"out", required_argument, NULL, OPT_OUT},
        {"seed", required_argument, NULL, OPT_SEED},
        {"kernel", required_argument, NULL, OPT_KERNEL},
        {"plot-dir", required_argument, NULL, OPT_PLOT_DIR},
        {"block", required_argument, NULL, OPT_BLOCK},
        {"value-scale", required_argument, NULL, OPT_VALUE_SCALE},
        {NULL, 0, NULL, 0},
    };
    unsigned long long seed;
    int b;
    optind = 0; /* a fresh scan: main's getopt_long has read the global options */
    for (int c; (c = getopt_long(argc, argv, SB_TOOL_OPTSTRING, opts, NULL)) != -1;) {
        switch (c) {
        case 'q':
            o.preset = SB_STABILITY_QUICK;
            break;
        case 'f':
            o.preset = SB_STABILITY_FULL;
            break;
        case 'P':
            o.plots = 0;
            break;
        case 'Q':
            o.progress = 0;
            break;
        case OPT_EMULATED:
            o.include_emulated = 1;
            break;
        case OPT_OUT:
            out = optarg;
            break;
        case OPT_PLOT_DIR:
            o.plot_dir = optarg;
            break;
        case OPT_BLOCK:
            b = sb_stability_block_from_name(optarg);
            if (b < 0)
                return sb_tool_usage_error("stability", "no block named '%s' (thresholds, tails, lengths)", optarg);
            o.blocks_mask |= 1u << b;
            break;
        case OPT_VALUE_SCALE: {
            char *end = NULL;
            o.value_scale = strtod(optarg, &end);
            if (!*optarg || *end || !(o.value_scale > 0) || !(o.value_scale <= 1e6))
                return sb_tool_usage_error("stability", "--value-scale takes a number > 0, not '%s'", optarg);
            break;
        }
        case OPT_SEED:
            if (!sb_tool_parse_u64("stability", "--seed", optarg, &seed))
                return SB_EXIT_USAGE;
            o.seed = seed;
            break;
        case OPT_KERNEL:
            if (o.kernel_count == MAX_KERNELS)
                return sb_tool_usage_error("stability", "at most %d --kernel options", MAX_KERNELS);
            names[o.kernel_count++] = optarg;
            break;
        case 1:
            return sb_tool_usage_error("stability", "unexpected argument '%s'", optarg);
        default:
            return sb_tool_option_error("stability", c, argc, argv, opts);
        }
    }
    if (o.kernel_count)
        o.kernels = names;
    o.command = command;

    char dir[2048];
    if (out)
        snprintf(dir, sizeof dir, "%s", out);
    else if (!sb_output_path_default(SB_OUTPUT_STABILITY, NULL, dir, sizeof dir))
        return sb_tool_error("stability", "the default output folder is too long: %s", dir);
    sb_stability_outcome res;
    int code = sb_stability_run(&o, dir, &res);
    if (code == SB_EXIT_USAGE || !res.summary_path[0])
        return code;
    printf("%s\n", res.summary_path);
    fprintf(stderr,
            "stability: %zu cells (%zu rows x %zu kernels x 5 precisions) in %.1f s; thresholds: %zu/%zu observations "
            "of contract kernels agree with theory; plots: %s%s\n",
            res.cells, res.rows, res.kernels, res.seconds, res.thresholds_agree, res.thresholds,
            res.plots_written > 0 ? "drawn" : "skipped", res.plots_note[0] ? " (see stability.md)" : "");
    if (res.failed)
        fprintf(stderr, "stability: a contract kernel exceeded its bound (see %s)\n", res.summary_path);
    return code;
}

const sb_command sb_cmd_stability = {
    "stability",
    "numerical stability study of sink-dominated rows: sweep, metrics, plots",
    "usage: sinkbench stability [--quick | --full] [--out DIR] [--seed N] [--kernel NAME]...\n"
    "                           [--block NAME]... [--value-scale K] [--no-plots] [--plot-dir DIR]\n"
    "                           [--emulated] [--quiet]\n\n"
    "Sweeps every supported kernel (plugins included) over sink-dominated rows: sink gap 0..130 with fine\n"
    "steps around every rounding threshold, row length 16 .. 1 M, the sink as a token (first, middle, last),\n"
    "a learned logit or softmax_1, equal / Gaussian / heavy / near-sink tails, in five precisions (f32;\n"
    "f16 and bf16 logits; f16 and bf16 stored probabilities). Each cell is measured against the MPFR\n"
    "oracle: ulp errors, sink probability, tail mass from the tail entries and as 1 - p_sink, sum, flushed\n"
    "and subnormal tail entries, and the error of an attention output split into sink and tail parts\n"
    "(values N(0, 1), the sink token's K times smaller, as trained sinks' values are).\n"
    "Every kernel run also goes through the contract checker. Writes to DIR:\n"
    "  stability.json   one record per cell, plus verdicts and thresholds (same seed: same cells)\n"
    "  stability.md     summary: thresholds observed vs theory, where each kernel exceeds its bound or\n"
    "                   loses its tail, tail mass and attention tables\n"
    "  stability-*.png  plots (Debian's /usr/bin/python3 + matplotlib; skipped with a note if missing)\n"
    "The path of stability.md is printed on stdout. Definitions: docs/stability.md.\n\n"
    "options:\n"
    "  --quick          the small sweep, seconds (default; what 'sinkbench report' runs)\n"
    "  --full           the deep sweep: lengths up to 1 M, finer gaps, minutes\n"
    "  --out DIR        where to write (default reports/stability-<host>-<YYYYMMDD>)\n"
    "  --seed N         seed of every row and value (default 20261129)\n"
    "  --kernel NAME    sweep this kernel only (repeatable)\n"
    "  --block NAME     only this block of rows (repeatable): thresholds (equal tails, fine gaps at\n"
    "                   every threshold), tails (tail shapes x sink places), lengths (gap x n)\n"
    "  --value-scale K  the sink token's value is K * N(0, 1) in the attention metrics (default 0.01)\n"
    "  --emulated       also the SIMDe-emulated kernels of foreign ISAs\n"
    "  --no-plots       write JSON and Markdown only\n"
    "  --plot-dir DIR   folder holding stability.py (default: $SINKBENCH_PLOT_DIR, else the installed\n"
    "                   share/sinkbench/plot beside the executable, else the source tree's reports/plot);\n"
    "                   $SINKBENCH_PYTHON overrides /usr/bin/python3\n"
    "  --quiet          no progress line on stderr\n\n"
    "exit status: 0 done, 1 a contract kernel exceeded its bound, 2 usage error (unknown or unsupported\n"
    "kernel), 3 a file could not be written\n\n"
    "examples:\n"
    "  sinkbench stability --quick --out /tmp/stab\n"
    "  sinkbench stability --full --kernel softmax_scalar_f32 --kernel softmax_reference_f64\n"
    "  sinkbench --plugin ./libmy_kernel.so stability --kernel my_softmax\n",
    run_stability,
};
