/* sinkbench emerge: train small causal transformers on Bigram-Backcopy (and fortune text) and watch
 * sinks form; measure on the trained weights what they do to perturbations and rounding
 * (studies/emerge, docs/emerge.md). */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "emerge.h"
#include "emerge_run.h"
#include "io/paths.h"
#include "io/plot_script.h"

static int parse_size_list(const char *opt, const char *v, size_t *out, size_t *n)
{
    *n = 0;
    const char *p = v;
    while (*p) {
        char *end = NULL;
        if (*p < '0' || *p > '9')
            return sb_tool_usage_error("emerge", "%s: '%s' is not a comma-separated list of positive integers", opt, v), 0;
        unsigned long long x = strtoull(p, &end, 10);
        if (*n >= SB_EMERGE_MAX_LIST || x == 0 || x > 1000000 || (*end && *end != ','))
            return sb_tool_usage_error("emerge", "%s: '%s' is not a list of at most 8 positive integers", opt, v), 0;
        out[(*n)++] = (size_t)x;
        p = *end ? end + 1 : end;
    }
    if (!*n)
        return sb_tool_usage_error("emerge", "%s needs at least one value", opt), 0;
    return 1;
}

static int parse_variants(const char *opt, const char *v, unsigned *mask)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", v);
    *mask = 0;
    char *save = NULL;
    for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        sb_emerge_sink s;
        if (!strcmp(t, "all")) {
            *mask = (1u << SB_EMERGE_SINK_COUNT) - 1;
            continue;
        }
        if (sb_emerge_sink_parse(t, &s) != SB_OK)
            return sb_tool_usage_error("emerge", "%s: unknown variant '%s' (none, bos, first, learned, softmax1, gate, all)",
                                      opt, t), 0;
        *mask |= 1u << s;
    }
    if (!*mask)
        return sb_tool_usage_error("emerge", "%s needs at least one variant", opt), 0;
    return 1;
}

static int parse_size(const char *opt, const char *v, size_t *out)
{
    unsigned long long x;
    if (!sb_tool_parse_u64("emerge", opt, v, &x))
        return 0;
    *out = (size_t)x;
    return 1;
}

int sb_emerge_cli_run(const sb_emerge_study_options *o, const char *dir, int plots, const char *plot_dir, char *summary,
                      size_t summary_size, int *bos_formed)
{
    char err[1024] = "";
    sb_emerge_study *s = NULL;
    sb_status st = sb_emerge_study_run(o, dir, &s, err, sizeof err);
    if (st != SB_OK)
        return st == SB_EINVAL && !s && sb_emerge_study_options_problem(o) ? sb_tool_usage_error("emerge", "%s", err)
                                                                            : sb_tool_error("emerge", "%s", err);
    char note[700] = "Plots skipped: --no-plots.";
    if (plots) {
        char script[4096], where[1024], json[4200];
        if (!sb_plot_find("emerge.py", plot_dir, script, sizeof script, where, sizeof where)) {
            snprintf(note, sizeof note,
                     "Plots skipped: emerge.py not found (looked in %.400s; use --plot-dir or SINKBENCH_PLOT_DIR).", where);
        } else {
            snprintf(json, sizeof json, "%s/emerge.json", dir);
            const char *args[2] = {json, dir};
            sb_plot_run_result pr;
            if (o->progress)
                fprintf(stderr, "emerge: drawing plots\n");
            sb_plot_run(script, args, 2, &pr);
            if (pr.ok)
                note[0] = 0;
            else
                snprintf(note, sizeof note, "Plots skipped: %.480s.", pr.note);
        }
        if (note[0])
            fprintf(stderr, "sinkbench emerge: %s\n", note);
    }
    st = sb_emerge_study_write_markdown(s, note[0] ? note : NULL, err, sizeof err);
    if (summary)
        sb_emerge_study_summary(s, summary, summary_size);
    if (bos_formed)
        *bos_formed = sb_emerge_study_bos_formed(s);
    sb_emerge_study_free(s);
    if (st != SB_OK)
        return sb_tool_error("emerge", "%s", err);
    return SB_EXIT_OK;
}

enum {
    OPT_QUICK = 1000, OPT_FULL, OPT_OUT, OPT_SEED, OPT_TASK_SEED, OPT_SEEDS, OPT_STEPS, OPT_TOKENS, OPT_THREADS,
    OPT_WIDTH, OPT_HEADS, OPT_LR, OPT_EVAL, OPT_CONTEXTS, OPT_DEPTHS, OPT_DEEP, OPT_VARIANTS, OPT_DEEP_VARIANTS,
    OPT_TEXT, OPT_NO_TEXT, OPT_TEXT_DIR, OPT_MATMUL, OPT_CKPT, OPT_KEEP, OPT_NO_PLOTS, OPT_PLOT_DIR, OPT_QUIET
};

static const struct option long_options[] = {
    {"quick", no_argument, NULL, OPT_QUICK},
    {"full", no_argument, NULL, OPT_FULL},
    {"out", required_argument, NULL, OPT_OUT},
    {"seed", required_argument, NULL, OPT_SEED},
    {"task-seed", required_argument, NULL, OPT_TASK_SEED},
    {"seeds", required_argument, NULL, OPT_SEEDS},
    {"steps", required_argument, NULL, OPT_STEPS},
    {"tokens-per-step", required_argument, NULL, OPT_TOKENS},
    {"threads", required_argument, NULL, OPT_THREADS},
    {"width", required_argument, NULL, OPT_WIDTH},
    {"heads", required_argument, NULL, OPT_HEADS},
    {"lr", required_argument, NULL, OPT_LR},
    {"eval-every", required_argument, NULL, OPT_EVAL},
    {"contexts", required_argument, NULL, OPT_CONTEXTS},
    {"depths", required_argument, NULL, OPT_DEPTHS},
    {"deep-depths", required_argument, NULL, OPT_DEEP},
    {"variants", required_argument, NULL, OPT_VARIANTS},
    {"deep-variants", required_argument, NULL, OPT_DEEP_VARIANTS},
    {"text", no_argument, NULL, OPT_TEXT},
    {"no-text", no_argument, NULL, OPT_NO_TEXT},
    {"text-dir", required_argument, NULL, OPT_TEXT_DIR},
    {"matmul", required_argument, NULL, OPT_MATMUL},
    {"checkpoint-every", required_argument, NULL, OPT_CKPT},
    {"keep-checkpoints", no_argument, NULL, OPT_KEEP},
    {"no-plots", no_argument, NULL, OPT_NO_PLOTS},
    {"plot-dir", required_argument, NULL, OPT_PLOT_DIR},
    {"quiet", no_argument, NULL, OPT_QUIET},
    {NULL, 0, NULL, 0},
};

static int run_emerge(int argc, char **argv)
{
    /* the level first: it sets the defaults the other options change */
    int level = -1;
    for (int i = 1; i < argc; i++) {
        int q = !strcmp(argv[i], "--quick"), f = !strcmp(argv[i], "--full");
        if ((q || f) && level >= 0 && level != f)
            return sb_tool_usage_error("emerge", "--quick and --full exclude each other");
        if (q || f)
            level = f;
        if (!strcmp(argv[i], "--"))
            break;
    }
    sb_emerge_study_options o;
    sb_emerge_study_options_default(&o, level == 1 ? SB_EMERGE_FULL : SB_EMERGE_QUICK);
    const char *out = NULL, *plot_dir = NULL;
    int plots = 1, ok = 1, c;
    unsigned long long u;
    opterr = 0; /* our messages, with the command's name and a hint */
    optind = 0; /* a fresh scan: main's getopt_long has read the global options */
    while (ok && (c = getopt_long(argc, argv, SB_TOOL_OPTSTRING, long_options, NULL)) != -1) {
        switch (c) {
        case OPT_QUICK:
        case OPT_FULL: break;
        case OPT_OUT: out = optarg; break;
        case OPT_SEED: ok = sb_tool_parse_u64("emerge", "--seed", optarg, &u) && ((o.seed = u), 1); break;
        case OPT_TASK_SEED: ok = sb_tool_parse_u64("emerge", "--task-seed", optarg, &u) && ((o.task_seed = u), 1); break;
        case OPT_SEEDS: ok = parse_size("--seeds", optarg, &o.seeds); break;
        case OPT_STEPS: ok = parse_size("--steps", optarg, &o.steps); break;
        case OPT_TOKENS: ok = parse_size("--tokens-per-step", optarg, &o.tokens_per_step); break;
        case OPT_THREADS: ok = parse_size("--threads", optarg, &o.threads); break;
        case OPT_WIDTH: ok = parse_size("--width", optarg, &o.width); break;
        case OPT_HEADS: ok = parse_size("--heads", optarg, &o.heads); break;
        case OPT_EVAL: ok = parse_size("--eval-every", optarg, &o.eval_every); break;
        case OPT_CKPT: ok = parse_size("--checkpoint-every", optarg, &o.checkpoint_every); break;
        case OPT_LR: {
            char *end = NULL;
            o.lr = strtod(optarg, &end);
            if (!*optarg || *end)
                return sb_tool_usage_error("emerge", "--lr: '%s' is not a number", optarg);
            break;
        }
        case OPT_CONTEXTS: ok = parse_size_list("--contexts", optarg, o.contexts, &o.n_contexts); break;
        case OPT_DEPTHS: ok = parse_size_list("--depths", optarg, o.depths, &o.n_depths); break;
        case OPT_DEEP:
            if (!strcmp(optarg, "none"))
                o.n_deep = 0;
            else
                ok = parse_size_list("--deep-depths", optarg, o.deep, &o.n_deep);
            if (ok && o.n_deep && !o.deep_variants)
                o.deep_variants = 1u << SB_EMERGE_SINK_BOS | 1u << SB_EMERGE_SINK_NONE;
            break;
        case OPT_VARIANTS: ok = parse_variants("--variants", optarg, &o.variants); break;
        case OPT_DEEP_VARIANTS: ok = parse_variants("--deep-variants", optarg, &o.deep_variants); break;
        case OPT_TEXT: o.text = 1; break;
        case OPT_NO_TEXT: o.text = 0; break;
        case OPT_TEXT_DIR: o.text_dir = optarg; break;
        case OPT_MATMUL:
            if (!strcmp(optarg, "own"))
                o.matmul = SB_EMERGE_MATMUL_OWN;
            else if (!strcmp(optarg, "blas"))
                o.matmul = SB_EMERGE_MATMUL_BLAS;
            else
                return sb_tool_usage_error("emerge", "--matmul takes 'own' or 'blas', not '%s'", optarg);
            break;
        case OPT_KEEP: o.keep_checkpoints = 1; break;
        case OPT_NO_PLOTS: plots = 0; break;
        case OPT_PLOT_DIR: plot_dir = optarg; break;
        case OPT_QUIET: o.progress = 0; break;
        case 1: return sb_tool_usage_error("emerge", "unexpected argument '%s'", optarg);
        default: return sb_tool_option_error("emerge", c, argc, argv, long_options);
        }
    }
    if (!ok)
        return SB_EXIT_USAGE;
    const char *why = sb_emerge_study_options_problem(&o);
    if (why)
        return sb_tool_usage_error("emerge", "%s", why);
    char dir[2048];
    if (out)
        snprintf(dir, sizeof dir, "%s", out);
    else if (!sb_output_path_default(SB_OUTPUT_EMERGE, o.level == SB_EMERGE_FULL ? "full" : NULL, dir, sizeof dir))
        return sb_tool_error("emerge", "the default output folder is too long: %s", dir);
    char summary[8192];
    int rc = sb_emerge_cli_run(&o, dir, plots, plot_dir, summary, sizeof summary, NULL);
    if (rc != SB_EXIT_OK)
        return rc;
    fputs(summary, stdout);
    printf("%s/emerge.md\n", dir);
    return SB_EXIT_OK;
}

const sb_command sb_cmd_emerge = {
    "emerge",
    "train small transformers in C and measure the attention sinks that form",
    "usage: sinkbench emerge [--quick | --full] [--out DIR] [options]\n\n"
    "Trains small causal transformers (pre-norm, RMSNorm, rotary positions, multi-head attention, SiLU MLP,\n"
    "byte vocabulary, AdamW; hand-written gradients) on the Bigram-Backcopy task of Guo et al. 2024 and on\n"
    "fortune text, with one sink variant per run: none (no BOS), bos (a BOS token, Gemma), first (a fixed\n"
    "content token first, Qwen), learned (a learned per-head sink logit, gpt-oss), softmax1 (sink logit\n"
    "0), gate (a sigmoid output gate, Qiu et al. 2025). It measures Sink_1^eps (Gu et al. 2025, eps 0.3\n"
    "and 0.8) per layer and head during training, and on the trained weights - with the sink as trained\n"
    "and removed at inference - the last-token drift after a token swap, its locality, the exact\n"
    "sensitivity profile (VJP), the repeated-token check, and every registered softmax kernel and\n"
    "bf16/f16 storage through the trained stack against binary64. Writes DIR/emerge.json, emerge.md,\n"
    "emerge_*.png and runs/<id>.json. Prints whether a sink formed (either way) and the path of\n"
    "emerge.md. A killed run continues where it stopped when started again with the same options and\n"
    "DIR: finished runs are read back, checkpointed runs resume (checkpoints/<id>.ckpt, docs/emerge.md).\n\n"
    "options:\n"
    "  --quick               Bigram-Backcopy, 1 layer of 1 head, context 64, bos and none, 800 steps\n"
    "                        (default; under a minute on 2 cores)\n"
    "  --full                every variant x contexts 32,64,128,256 x 3 seeds at depth 1, depths 2 and 4\n"
    "                        for bos and none, fortune text (bos, none) at depth 2, context 128; 1000 steps\n"
    "                        each (about 1.5 h on 2 cores; progress with tokens/s and ETA on stderr)\n"
    "  --out DIR             where to write (default reports/emerge[-full]-<host>-<YYYYMMDD>)\n"
    "  --seed N              weights and batches; seed k of a cell uses N + k (default 20261129)\n"
    "  --task-seed N         the Bigram-Backcopy bigram table (default 20261129)\n"
    "  --seeds K             seeds per cell (default 1 quick, 3 full)\n"
    "  --steps N             AdamW steps per run (default 800 quick, 1000 full)\n"
    "  --tokens-per-step N   tokens per step; sequences per step = N / context (default 1024)\n"
    "  --threads N           threads (default 2; results do not depend on it)\n"
    "  --width D             model width (default 64; MLP hidden 4D)\n"
    "  --heads H             heads per layer (default 1, as Guo et al.)\n"
    "  --lr X                peak learning rate (default 0.01)\n"
    "  --eval-every N        measure every N steps (default 25)\n"
    "  --contexts LIST       training context lengths, e.g. 32,64 (4..1024)\n"
    "  --depths LIST         depths every variant trains at (default 1)\n"
    "  --deep-depths LIST|none  further depths for the depth sweep (full: 2,4)\n"
    "  --variants LIST       variants of the main grid: none,bos,first,learned,softmax1,gate or all\n"
    "  --deep-variants LIST  variants of the depth sweep (default bos,none)\n"
    "  --text, --no-text     also train on fortune text (default: full yes, quick no)\n"
    "  --text-dir DIR        fortune files (default /usr/share/games/fortunes, Debian package fortunes)\n"
    "  --matmul own|blas     matrix products: our loops or OpenBLAS cblas_sgemm (default blas when built)\n"
    "  --checkpoint-every N  steps between checkpoints (default 100; 0: none)\n"
    "  --keep-checkpoints    keep each run's final checkpoint (default: deleted once its JSON is written)\n"
    "  --no-plots            skip the plots\n"
    "  --plot-dir DIR        folder of emerge.py (default: $SINKBENCH_PLOT_DIR, the installed copy, the source\n"
    "                        tree); $SINKBENCH_PYTHON picks the interpreter (default /usr/bin/python3)\n"
    "  --quiet               no progress on stderr\n\n"
    "exit status: 0 done (a sink that does not form is a finding, not an error), 2 usage error,\n"
    "3 runtime error (unwritable folder, a foreign or broken checkpoint, no fortune text, divergence)\n\n"
    "examples:\n"
    "  sinkbench emerge --quick --out /tmp/emerge\n"
    "  sinkbench emerge --full --out reports/sample-emerge\n"
    "  sinkbench emerge --variants bos,learned --contexts 64,256 --steps 1000 --seeds 2\n",
    run_emerge,
};
