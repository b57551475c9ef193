/* The perturbation study behind `sinkbench perturb` (docs/perturbation.md): runs the synthetic stack
 * with every sink mode, measures drift, sensitivities, collapse, the sink metric and numerical error
 * through depth, states which published trends it reproduces (measured numbers), and writes
 * perturb.json, perturb.md and PNG plots into one folder. `sinkbench report` calls sb_perturb_run. */
#ifndef SINKBENCH_CLI_PERTURB_H
#define SINKBENCH_CLI_PERTURB_H

#include <stddef.h>
#include <stdint.h>

typedef enum sb_perturb_level { SB_PERTURB_QUICK = 0, SB_PERTURB_FULL = 1 } sb_perturb_level;

typedef struct sb_perturb_options {
    sb_perturb_level level;
    uint64_t seed;
    /* The base stack (sb_perturb_options_default fills them for the level). */
    size_t layers, tokens, heads, width;
    size_t sequences;        /* random sequences averaged per measurement */
    int norm, mlp;
    double temperature, gap, gate_bias, value_scale;
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
 * created). summary (may be NULL) receives a Markdown list of the measured trends for an index page.
 * Returns a CLI exit code: 0 done, 2 invalid options (message on stderr), 3 runtime error. A trend
 * that is not reproduced is a finding, not an error. */
int sb_perturb_run(const sb_perturb_options *o, const char *out_dir, char *summary, size_t summary_size);

#endif
