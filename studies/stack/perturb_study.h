/* The perturbation study's measurements, as computed by study.c and written by write.c. */
#ifndef SINKBENCH_CLI_PERTURB_STUDY_H
#define SINKBENCH_CLI_PERTURB_STUDY_H

#include <stddef.h>

#include "studies/stack/perturb.h"
#include "sinkbench/sinkbench.h"
#include "studies/stack/stack.h"

#define PT_MODES SB_STACK_SINK_COUNT
#define PT_MAX_LIST 16
#define PT_T 64 /* the sink metric's window */

/* One sink mode on the base stack (drift, collapse with depth, sink metric). */
typedef struct sb_perturb_mode {
    sb_stack_sink sink;
    double strength;      /* gap, or the gate bias for gated */
    double *last_drift;   /* L+1: mean over sequences of ||h_{n-1} - h'_{n-1}|| per layer */
    double *map;          /* (L+1) x n: ||h_t - h'_t|| per layer and token, sequence 0 */
    double nonlocal;      /* mean share of the final layer's drift on tokens other than the perturbed one */
    double *residual;     /* L+1: rank-collapse residual of tokens 1..n-1, mean over sequences */
    double *alpha;        /* L x H: alpha_1 without query row 0, mean over sequences */
    double sink_rate[2][2];  /* [query row 0 counted][eps = 0.3, 0.8] */
    double alpha_mean[2];    /* [row 0 counted]: mean alpha over layers and heads */
    double virtual_sink;  /* mean mass a logit sink took (queries < T, every layer and head) */
    double repeated_rate; /* Sink_1^0.3 (row 0 not counted) on a repeated-token input */
} sb_perturb_mode;

typedef struct sb_perturb_profile {
    sb_stack_sink sink; /* or SB_STACK_SINK_COUNT for the linear limit */
    size_t layers;
    double *s;          /* tokens: sensitivity of the last token's output to each input token */
    double share_first; /* s[0] / sum s */
} sb_perturb_profile;

typedef struct sb_perturb_numeric_run {
    sb_stack_sink sink;
    const char *kernel;
    sb_stack_precision precision;
    size_t injected;    /* 0: every layer; 1: layer 1 only */
    double *error;      /* L+1: ||H - H_ref||_F / ||H_ref||_F per layer */
} sb_perturb_numeric_run;

typedef struct sb_perturb_trend {
    char id[32];
    char text[640];
    double value;
    int reproduced; /* 1, 0, or -1 for an observation that is not a published claim */
} sb_perturb_trend;

typedef struct sb_perturb_results {
    sb_perturb_options o;
    size_t L, n, H, d, j;   /* base stack and perturbed token */
    size_t sweep_sequences; /* sequences per point of the head and strength sweeps */
    sb_perturb_mode mode[PT_MODES];

    /* Sensitivity profiles (JVP) of the last token. */
    size_t sens_tokens, sens_probes, sens_depths[PT_MAX_LIST], n_sens_depths;
    sb_perturb_profile profile[3 * PT_MAX_LIST]; /* none, bos, linear limit per depth */
    size_t n_profiles;
    double fd_max_rel_error, fd_step;
    size_t fd_checks;

    /* Linear limit: M_{n-1,0} of [(Lambda+I)/2]^l for l = 1..limit_layers, closed form vs stack. */
    size_t limit_tokens, limit_layers;
    double *limit_mass;       /* limit_layers values */
    double limit_stack_error; /* max |JVP of the linear stack - M| over tokens at the profiled depths */

    /* Context sweep: representational collapse and rank collapse at layer context_layers vs n. */
    size_t context_layers, n_context, context_n[PT_MAX_LIST];
    double context_l1[PT_MODES][PT_MAX_LIST], context_rel[PT_MODES][PT_MAX_LIST];
    double context_residual[PT_MODES][PT_MAX_LIST];
    int context_has[PT_MODES][PT_MAX_LIST];

    /* Head sweep at fixed width. */
    size_t heads_width, heads_layers, n_heads, heads[PT_MAX_LIST];
    double heads_drift[2][PT_MAX_LIST], heads_residual[2][PT_MAX_LIST]; /* none, bos */

    /* Strength sweep: last-token drift after L layers vs gap. */
    size_t n_gaps;
    double gaps[PT_MAX_LIST];
    double gap_drift[PT_MODES][PT_MAX_LIST];

    /* Numerical propagation. */
    sb_perturb_numeric_run *numeric;
    size_t n_numeric;

    sb_perturb_trend trends[32];
    size_t n_trends;
    double started, seconds; /* monotonic clock at the start; the whole run's duration */
} sb_perturb_results;

/* Runs every experiment; SB_OK or the first stack error. */
sb_status sb_perturb_study_run(const sb_perturb_options *o, sb_perturb_results *r);
void sb_perturb_results_free(sb_perturb_results *r);
/* Fills r->trends from the measurements. */
void sb_perturb_trends_compute(sb_perturb_results *r);

#endif
