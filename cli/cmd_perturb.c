/* sinkbench perturb: perturbation propagation through a synthetic attention stack, with and without
 * sinks (studies/stack/, docs/perturbation.md). */
#include <getopt.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "io/paths.h"
#include "studies/stack/perturb.h"

static int parse_size(const char *opt, const char *v, size_t *out)
{
    unsigned long long x;
    if (!sb_tool_parse_u64("perturb", opt, v, &x))
        return 0;
    *out = (size_t)x;
    return 1;
}

static int parse_double(const char *opt, const char *v, double *out)
{
    char *end = NULL;
    *out = strtod(v, &end);
    if (!*v || *end) {
        sb_tool_usage_error("perturb", "%s: '%s' is not a number", opt, v);
        return 0;
    }
    return 1;
}

enum {
    OPT_QUICK = 256, OPT_FULL, OPT_NO_PLOTS, OPT_QUIET, OPT_NO_NORM, OPT_NO_MLP, OPT_OUT, OPT_SEED, OPT_LAYERS,
    OPT_TOKENS, OPT_HEADS, OPT_WIDTH, OPT_SEQUENCES, OPT_PERTURB_TOKEN, OPT_GAP, OPT_GATE_BIAS, OPT_VALUE_SCALE,
    OPT_TEMPERATURE, OPT_PLOT_DIR, OPT_PERTURB, OPT_SEEDS, OPT_GATE_GAIN, OPT_CONTEXT_MAX,
};
static const struct option perturb_options[] = {
    {"quick", no_argument, NULL, OPT_QUICK},
    {"full", no_argument, NULL, OPT_FULL},
    {"no-plots", no_argument, NULL, OPT_NO_PLOTS},
    {"quiet", no_argument, NULL, OPT_QUIET},
    {"no-norm", no_argument, NULL, OPT_NO_NORM},
    {"no-mlp", no_argument, NULL, OPT_NO_MLP},
    {"out", required_argument, NULL, OPT_OUT},
    {"seed", required_argument, NULL, OPT_SEED},
    {"layers", required_argument, NULL, OPT_LAYERS},
    {"tokens", required_argument, NULL, OPT_TOKENS},
    {"heads", required_argument, NULL, OPT_HEADS},
    {"width", required_argument, NULL, OPT_WIDTH},
    {"sequences", required_argument, NULL, OPT_SEQUENCES},
    {"perturb-token", required_argument, NULL, OPT_PERTURB_TOKEN},
    {"gap", required_argument, NULL, OPT_GAP},
    {"gate-bias", required_argument, NULL, OPT_GATE_BIAS},
    {"value-scale", required_argument, NULL, OPT_VALUE_SCALE},
    {"temperature", required_argument, NULL, OPT_TEMPERATURE},
    {"plot-dir", required_argument, NULL, OPT_PLOT_DIR},
    {"perturb", required_argument, NULL, OPT_PERTURB},
    {"seeds", required_argument, NULL, OPT_SEEDS},
    {"gate-gain", required_argument, NULL, OPT_GATE_GAIN},
    {"context-max", required_argument, NULL, OPT_CONTEXT_MAX},
    {NULL, 0, NULL, 0},
};

/* One option of the second pass; 0 after printing a usage error. */
static int apply_option(int c, const char *v, sb_perturb_level level, sb_perturb_options *o, const char **out)
{
    unsigned long long seed;
    switch (c) {
    case OPT_QUICK:
    case OPT_FULL:
        if ((c == OPT_QUICK) != (level == SB_PERTURB_QUICK)) {
            sb_tool_usage_error("perturb", "--quick and --full exclude each other");
            return 0;
        }
        return 1;
    case OPT_NO_PLOTS:
        o->plots = 0;
        return 1;
    case OPT_QUIET:
        o->progress = 0;
        return 1;
    case OPT_NO_NORM:
        o->norm = 0;
        return 1;
    case OPT_NO_MLP:
        o->mlp = 0;
        return 1;
    case OPT_OUT:
        *out = v;
        return 1;
    case OPT_SEED:
        if (!sb_tool_parse_u64("perturb", "--seed", v, &seed))
            return 0;
        o->seed = seed;
        return 1;
    case OPT_LAYERS:
        return parse_size("--layers", v, &o->layers);
    case OPT_TOKENS:
        return parse_size("--tokens", v, &o->tokens);
    case OPT_HEADS:
        return parse_size("--heads", v, &o->heads);
    case OPT_WIDTH:
        return parse_size("--width", v, &o->width);
    case OPT_SEQUENCES:
        return parse_size("--sequences", v, &o->sequences);
    case OPT_SEEDS:
        return parse_size("--seeds", v, &o->seeds);
    case OPT_CONTEXT_MAX:
        return parse_size("--context-max", v, &o->context_max);
    case OPT_GATE_GAIN:
        return parse_double("--gate-gain", v, &o->gate_gain);
    case OPT_PERTURB_TOKEN:
        return parse_size("--perturb-token", v, &o->perturbed_token);
    case OPT_GAP:
        return parse_double("--gap", v, &o->gap);
    case OPT_GATE_BIAS:
        return parse_double("--gate-bias", v, &o->gate_bias);
    case OPT_VALUE_SCALE:
        return parse_double("--value-scale", v, &o->value_scale);
    case OPT_TEMPERATURE:
        return parse_double("--temperature", v, &o->temperature);
    case OPT_PLOT_DIR:
        o->plot_dir = v;
        return 1;
    case OPT_PERTURB:
        if (strcmp(v, "swap") == 0) {
            o->swap = 1;
            return 1;
        }
        if (strncmp(v, "add:", 4) == 0) {
            o->swap = 0;
            return parse_double("--perturb", v + 4, &o->perturb_size);
        }
        sb_tool_usage_error("perturb", "--perturb takes 'swap' or 'add:SIZE', not '%s'", v);
        return 0;
    }
    return 0;
}

static int run_perturb(int argc, char **argv)
{
    /* Two passes: --full changes the defaults every other option then overrides, so the level is read
     * first (problems are reported by the second pass). */
    sb_perturb_level level = SB_PERTURB_QUICK;
    optind = 0; /* a fresh scan: main's getopt_long has read the global options */
    for (int c; (c = getopt_long(argc, argv, SB_TOOL_OPTSTRING, perturb_options, NULL)) != -1;)
        if (c == OPT_FULL)
            level = SB_PERTURB_FULL;
    sb_perturb_options o;
    sb_perturb_options_default(&o, level);
    o.progress = 1;
    const char *out = NULL;
    optind = 0;
    for (int c; (c = getopt_long(argc, argv, SB_TOOL_OPTSTRING, perturb_options, NULL)) != -1;) {
        if (c == 1)
            return sb_tool_usage_error("perturb", "unexpected argument '%s'", optarg);
        if (c == '?' || c == ':')
            return sb_tool_option_error("perturb", c, argc, argv, perturb_options);
        if (!apply_option(c, optarg, level, &o, &out))
            return SB_EXIT_USAGE;
    }
    char dir[2048];
    if (out)
        snprintf(dir, sizeof dir, "%s", out);
    else if (!sb_output_path_default(SB_OUTPUT_PERTURB, NULL, dir, sizeof dir))
        return sb_tool_error("perturb", "the default output folder is too long: %s", dir);
    int rc = sb_perturb_run(&o, dir, NULL, 0);
    if (rc == SB_EXIT_OK)
        printf("%s/perturb.md\n", dir);
    return rc;
}

const sb_command sb_cmd_perturb = {
    "perturb",
    "perturbation propagation through a synthetic attention stack, with and without sinks",
    "usage: sinkbench perturb [--quick | --full] [--out DIR] [--seed N] [options]\n\n"
    "Builds a synthetic transformer stack (causal multi-head attention, residuals, RMSNorm, MLP, seeded\n"
    "random weights) with every sink mode (none, bos, learned, softmax1, gated, no_bos) over several\n"
    "weight seeds and sequences, changes one input token and measures how the change spreads (drift\n"
    "relative to the hidden state's norm, exact sensitivities by reverse mode, rank and representational\n"
    "collapse, the sink metric Sink_1^eps), then re-specified experiments: the gap a sink needs to hold\n"
    "its leak and one token's drift as n grows (vs ln n) and the participation ratio of the sensitivity;\n"
    "heads at a fixed head width against the bound's path sum; a content-logit offset against softmax1;\n"
    "a query-dependent gate at matched output norm; collapse and signal-to-rounding in f64/f32/bf16/f16\n"
    "(precision meets mixing); every kernel's rounding through depth. Each published claim gets a verdict\n"
    "(reproduced / NOT reproduced / inconclusive) from a criterion derived from its prediction, with a\n"
    "95 % interval over the weight seeds; consequences of the imposed sink are listed apart as sanity\n"
    "checks. Writes DIR/perturb.json, perturb.md and perturb_*.png. Progress goes to stderr; the path\n"
    "of perturb.md to stdout. The same options give the same perturb.json.\n\n"
    "options:\n"
    "  --quick             16 layers, 4 weight seeds x 2 sequences, n up to 16 x tokens, coarser sweeps\n"
    "                      (default; about half a minute of CPU)\n"
    "  --full              32 layers, 8 weight seeds x 8 sequences, n up to 4096 (tens of minutes)\n"
    "  --out DIR           where to write (default reports/perturb-<host>-<YYYYMMDD>)\n"
    "  --seed N            weight seed k is N + k; tokens and probes follow from N (default 20261129)\n"
    "  --seeds W           weight seeds: every interval is over them (1..32; default 4, 8 with --full)\n"
    "  --sequences S       random sequences per weight seed (default 2; 8 with --full)\n"
    "  --layers L          base depth (default 16; 32 with --full)\n"
    "  --tokens N          base sequence length (default 64; the sink metric uses T = min(64, N))\n"
    "  --heads H --width D heads and width of the base stack (default 4 and 32)\n"
    "  --context-max N     largest n of the context and precision sweeps (16..4096; default 16 x tokens,\n"
    "                      64 x tokens with --full, at most 4096)\n"
    "  --gap DELTA         logit gap of the bos, learned and no_bos sinks (default 10)\n"
    "  --gate-gain G --gate-bias B   gated attention: gate = sigmoid(G u W_g - B) (default 4 and 5:\n"
    "                      query-dependent and sparse)\n"
    "  --value-scale K     value of a BOS / no-BOS sink position times K (default 0.01)\n"
    "  --temperature T     logits are T q.k / sqrt(d_head) (default 1)\n"
    "  --no-norm           no RMSNorm;  --no-mlp   no MLP\n"
    "  --perturb swap|add:SIZE   swap the token for another (default) or add SIZE * a unit vector\n"
    "  --perturb-token J   which token (default tokens/2)\n"
    "  --no-plots          skip the plots\n"
    "  --plot-dir DIR      folder of perturb.py (default: $SINKBENCH_PLOT_DIR, else the installed copy,\n"
    "                      else the source tree); $SINKBENCH_PYTHON picks the interpreter (default\n"
    "                      /usr/bin/python3; without matplotlib the plots are skipped with a note)\n"
    "  --quiet             no progress on stderr\n\n"
    "exit status: 0 done (a claim that is not reproduced is reported, not an error), 2 usage error,\n"
    "3 a file could not be written or the study failed\n\n"
    "examples:\n"
    "  sinkbench perturb --quick --out /tmp/perturb\n"
    "  sinkbench perturb --full --seed 7\n"
    "  sinkbench perturb --gap 6 --layers 16 --seeds 8 --perturb add:0.5 --no-plots\n",
    run_perturb,
};
