/* The perturbation study behind `sinkbench perturb` (docs/perturbation.md): runs the synthetic stack
 * with every sink mode over several weight seeds and sequences, measures drift (relative to the hidden
 * state's norm), exact sensitivities, collapse, the sink metric, the gap a sink needs as the context
 * grows, heads at a fixed head width, a content-logit offset against softmax1, a query-dependent gate
 * at matched output norm, and what rounding does to mixing in f32/bf16/f16; judges each published
 * claim against a criterion derived from its prediction, with 95 % intervals over the weight seeds,
 * and lists consequences of the imposed sink apart as sanity checks. Writes perturb.json, perturb.md
 * and PNG plots into one folder. `sinkbench report` calls sb_perturb_run. */
#ifndef SINKBENCH_CLI_PERTURB_H
#define SINKBENCH_CLI_PERTURB_H

#include <stddef.h>
#include <stdint.h>

typedef enum sb_perturb_level { SB_PERTURB_QUICK = 0, SB_PERTURB_FULL = 1 } sb_perturb_level;

/* Most weight seeds a run can use. */
#define SB_PERTURB_MAX_SEEDS 32

typedef struct sb_perturb_options {
    sb_perturb_level level;
    uint64_t seed;           /* weight seed k of the run is seed + k; sequences come from (seed, k, index) */
    size_t seeds;            /* weight seeds (the replication unit of every interval), 1..32 */
    size_t sequences;        /* random sequences per weight seed */
    /* The base stack (sb_perturb_options_default fills them for the level). */
    size_t layers, tokens, heads, width;
    int norm, mlp;
    double temperature, gap, value_scale;
    double gate_bias, gate_gain; /* gated: gate = sigmoid(gate_gain * u W_g - gate_bias) */
    size_t context_max;      /* the context sweep's largest n (0: by level, from --tokens) */
    /* The perturbation: swap token `perturbed_token` for another (swap = 1) or add perturb_size * u. */
    int swap;
    double perturb_size;
    size_t perturbed_token;  /* SIZE_MAX: tokens / 2 */
    /* Output. */
    int plots;               /* 0: skip the plots */
    const char *plot_dir;    /* folder of perturb.py; NULL: SINKBENCH_PLOT_DIR, installed copy, source tree */
    int progress;            /* progress lines on stderr */
} sb_perturb_options;

void sb_perturb_options_default(sb_perturb_options *o, sb_perturb_level level);

/* Runs the study and writes out_dir/perturb.json, perturb.md and perturb_*.png (atomically; out_dir is
 * created). summary (may be NULL) receives Markdown for an index page: the reproductions, the sanity
 * checks and the precision-meets-mixing table. Returns a CLI exit code: 0 done, 2 invalid options
 * (message on stderr), 3 runtime error. A claim that is not reproduced is a finding, not an error. */
int sb_perturb_run(const sb_perturb_options *o, const char *out_dir, char *summary, size_t summary_size);

#endif
