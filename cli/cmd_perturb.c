/* sinkbench perturb: perturbation propagation through a synthetic attention stack, with and without
 * sinks (studies/stack/, docs/perturbation.md). */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
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

static void default_dir(char *buf, size_t size)
{
    char host[128] = "host", date[16] = "today";
    gethostname(host, sizeof host - 1);
    time_t now = time(NULL);
    struct tm tm;
    if (localtime_r(&now, &tm))
        strftime(date, sizeof date, "%Y%m%d", &tm);
    snprintf(buf, size, "reports/perturb-%s-%s", host, date);
}

static int run_perturb(int argc, char **argv)
{
    sb_perturb_level level = SB_PERTURB_QUICK;
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--full") == 0)
            level = SB_PERTURB_FULL;
    sb_perturb_options o;
    sb_perturb_options_default(&o, level);
    o.progress = 1;
    const char *out = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--quick") == 0 || strcmp(a, "--full") == 0) {
            if ((a[2] == 'q') != (level == SB_PERTURB_QUICK))
                return sb_tool_usage_error("perturb", "--quick and --full exclude each other");
            continue;
        }
        if (strcmp(a, "--no-plots") == 0) {
            o.plots = 0;
            continue;
        }
        if (strcmp(a, "--quiet") == 0) {
            o.progress = 0;
            continue;
        }
        if (strcmp(a, "--no-norm") == 0 || strcmp(a, "--no-mlp") == 0) {
            *(a[5] == 'n' ? &o.norm : &o.mlp) = 0;
            continue;
        }
        static const char *const with_value[] = {"--out", "--seed", "--layers", "--tokens", "--heads", "--width",
                                                 "--sequences", "--perturb-token", "--gap", "--gate-bias",
                                                 "--value-scale", "--temperature", "--plot-dir", "--perturb",
                                                 "--seeds", "--gate-gain", "--context-max"};
        int known = 0;
        for (size_t k = 0; k < sizeof with_value / sizeof *with_value; k++)
            known |= strcmp(a, with_value[k]) == 0;
        if (!known)
            return sb_tool_usage_error("perturb", a[0] == '-' ? "unknown option '%s'" : "unexpected argument '%s'", a);
        if (i + 1 >= argc)
            return sb_tool_usage_error("perturb", "%s needs a value", a);
        const char *v = argv[++i];
        int ok = 1;
        unsigned long long seed;
        if (strcmp(a, "--out") == 0)
            out = v;
        else if (strcmp(a, "--seed") == 0)
            ok = sb_tool_parse_u64("perturb", a, v, &seed) && ((o.seed = seed), 1);
        else if (strcmp(a, "--layers") == 0)
            ok = parse_size(a, v, &o.layers);
        else if (strcmp(a, "--tokens") == 0)
            ok = parse_size(a, v, &o.tokens);
        else if (strcmp(a, "--heads") == 0)
            ok = parse_size(a, v, &o.heads);
        else if (strcmp(a, "--width") == 0)
            ok = parse_size(a, v, &o.width);
        else if (strcmp(a, "--sequences") == 0)
            ok = parse_size(a, v, &o.sequences);
        else if (strcmp(a, "--seeds") == 0)
            ok = parse_size(a, v, &o.seeds);
        else if (strcmp(a, "--context-max") == 0)
            ok = parse_size(a, v, &o.context_max);
        else if (strcmp(a, "--gate-gain") == 0)
            ok = parse_double(a, v, &o.gate_gain);
        else if (strcmp(a, "--perturb-token") == 0)
            ok = parse_size(a, v, &o.perturbed_token);
        else if (strcmp(a, "--gap") == 0)
            ok = parse_double(a, v, &o.gap);
        else if (strcmp(a, "--gate-bias") == 0)
            ok = parse_double(a, v, &o.gate_bias);
        else if (strcmp(a, "--value-scale") == 0)
            ok = parse_double(a, v, &o.value_scale);
        else if (strcmp(a, "--temperature") == 0)
            ok = parse_double(a, v, &o.temperature);
        else if (strcmp(a, "--plot-dir") == 0)
            o.plot_dir = v;
        else if (strcmp(a, "--perturb") == 0) {
            if (strcmp(v, "swap") == 0)
                o.swap = 1;
            else if (strncmp(v, "add:", 4) == 0) {
                o.swap = 0;
                ok = parse_double(a, v + 4, &o.perturb_size);
            } else
                return sb_tool_usage_error("perturb", "--perturb takes 'swap' or 'add:SIZE', not '%s'", v);
        }
        if (!ok)
            return SB_EXIT_USAGE;
    }
    char dir[2048];
    if (out)
        snprintf(dir, sizeof dir, "%s", out);
    else
        default_dir(dir, sizeof dir);
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
