/* The perturbation study's measurements (computed by perturb_study.c and the experiment files,
 * judged by perturb_trends.c, written by perturb_write.c). Per-seed arrays hold one value per weight
 * seed, each the mean over that seed's sequences; "x W" in a comment means "times the seed count". */
#ifndef SINKBENCH_CLI_PERTURB_STUDY_H
#define SINKBENCH_CLI_PERTURB_STUDY_H

#include <stddef.h>
#include <stdint.h>

#include "sinkbench/sinkbench.h"
#include "studies/stack/perturb.h"
#include "studies/stack/perturb_stats.h"
#include "studies/stack/stack.h"

#define PT_MODES SB_STACK_SINK_COUNT
#define PT_MAX_LIST 16
#define PT_W SB_PERTURB_MAX_SEEDS
#define PT_T 64 /* the sink metric's window */
#define PT_FORMATS 4 /* f64, f32, bf16, f16 */
#define PT_LEAK_LEVEL 0.01   /* the content mass the context sweep's gap must hold */
#define PT_DRIFT_LEVEL 0.01  /* the relative last-token drift the context sweep's gap must hold */

typedef double sb_perturb_seeds[PT_W];

/* Where one experiment ran: its stack and its sampling, printed beside every verdict. */
typedef struct sb_perturb_setup {
    size_t layers, tokens, heads, width, seeds, sequences;
} sb_perturb_setup;

/* One sink mode on the base stack. */
typedef struct sb_perturb_mode {
    sb_stack_sink sink;
    double strength;          /* gap, or the gate bias for gated */
    double *drift_abs;        /* (L+1) x W: ||h_{n-1} - h'_{n-1}|| after each layer */
    double *drift_rel;        /* (L+1) x W: the same over ||h_{n-1}|| of the unperturbed input */
    double *residual;         /* (L+1) x W: rank-collapse residual of tokens 1..n-1 */
    double *map;              /* (L+1) x n: relative drift per layer and token, seed 0, sequence 0 */
    sb_perturb_seeds nonlocal;      /* share of the final drift on tokens other than the perturbed one */
    sb_perturb_seeds leak;          /* content mass of the last query, mean over layers and heads */
    sb_perturb_seeds rate;          /* Sink_1^0.3 (T = min(64, n), row 0 not counted) */
    sb_perturb_seeds repeated_rate; /* the same on a repeated-token input */
    double *alpha;            /* L x H: alpha_1 without row 0, mean over seeds and sequences */
    double sink_rate[2][2];   /* of the mean alpha: [row 0 counted][eps = 0.3, 0.8] */
    double alpha_mean[2];     /* [row 0 counted] */
    double virtual_sink;      /* mean mass a logit sink took (queries < T, every layer and head) */
} sb_perturb_mode;

/* Sensitivity of the last token to every input token (reverse mode), one stack depth. */
typedef struct sb_perturb_profile {
    sb_stack_sink sink;       /* or SB_STACK_SINK_COUNT for the linear limit */
    size_t layers;
    double *s;                /* tokens: mean over seeds and sequences of S_i */
    sb_perturb_seeds share_first; /* S_0 / sum_i S_i */
    sb_perturb_seeds pr;          /* participation ratio (sum S_i)^2 / sum S_i^2 */
} sb_perturb_profile;

typedef struct sb_perturb_numeric_run {
    sb_stack_sink sink;
    const char *kernel, *isa;
    int peer, emulated, reference;
    sb_stack_precision precision;
    size_t injected;          /* 0: every layer; 1: layer 1 only */
    double *error;            /* L+1: ||H - H_ref||_F / ||H_ref||_F per layer */
} sb_perturb_numeric_run;

typedef enum sb_perturb_kind { SB_KIND_REPRODUCTION = 0, SB_KIND_SANITY, SB_KIND_OBSERVATION } sb_perturb_kind;

/* One judged claim (or observation), everything a reader needs to check it. */
typedef struct sb_perturb_verdict {
    char id[40];
    sb_perturb_kind kind;
    char claim[320];       /* the claim, in words */
    char source[200];      /* where it is published (paper, section), or why it follows from the setup */
    char quantity[360];    /* what was measured */
    char prediction[360];  /* what the theory predicts, with its formula */
    char criterion[360];   /* the rule, derived from the prediction */
    char sampling[200];    /* stack, seeds and sequences of the interval */
    char result[640];      /* the measured numbers */
    char note[480];        /* what the setup can and cannot show; may be empty */
    sb_perturb_est est;    /* the judged estimate */
    sb_perturb_rule rule;
    double a, b;           /* the rule's thresholds */
    sb_perturb_outcome outcome;
} sb_perturb_verdict;

#define PT_MAX_VERDICTS 40

typedef struct sb_perturb_results {
    sb_perturb_options o;
    size_t L, n, H, d, j, W, S; /* base stack, perturbed token, seeds, sequences */
    uint64_t weight_seed[PT_W];

    /* 1. Every sink mode on the base stack. */
    sb_perturb_mode mode[PT_MODES];

    /* 2. Sensitivity profiles (reverse mode) of the last token: none and bos at several depths. */
    sb_perturb_setup prof;
    size_t sens_depths[PT_MAX_LIST], n_sens_depths, probes;
    sb_perturb_profile profile[2 * PT_MAX_LIST];
    size_t n_profiles;
    double jvp_fd_error;      /* worst relative error of a JVP against central differences */
    double vjp_adjoint_error; /* worst |<w, J dx> - <J^T w, dx>| / sum |terms| */
    size_t derivative_checks;

    /* 3. The linear limit [(Lambda + I)/2]^L. */
    size_t limit_tokens, limit_layers;
    double *limit_mass;       /* limit_layers values: M_{n-1,0} at L = 1.. (temperature as the base) */
    double limit_stack_error; /* max |VJP of the linear stack - M| at the profiled depths */

    /* 4. Context: the gap that holds the leak and the drift, and the sensitivity's spread, vs n. */
    sb_perturb_setup ctx;
    size_t n_ctx, ctx_n[PT_MAX_LIST], ctx_drift_max, ctx_pr_max;
    double gap_leak[PT_MAX_LIST][PT_W];   /* Delta* holding the content mass at PT_LEAK_LEVEL */
    double gap_drift[PT_MAX_LIST][PT_W];  /* Delta* holding the relative drift at PT_DRIFT_LEVEL (NaN: not run) */
    double leak_base[PT_MAX_LIST][PT_W];  /* content mass at the base gap */
    double pr[2][PT_MAX_LIST][PT_W];      /* participation ratio, none / bos (NaN: not run) */
    double pr_linear[PT_MAX_LIST];        /* the same in the linear limit with uniform Lambda */

    /* 5. Heads at a fixed head width. */
    sb_perturb_setup hd;
    size_t head_width, n_heads, heads[PT_MAX_LIST];
    double head_sens[2][PT_MAX_LIST][PT_W];  /* relative sensitivity of the last token to token j */
    double head_bound[2][PT_MAX_LIST][PT_W]; /* the bound's path sum from the traced attention */

    /* 6. Precision meets mixing. */
    sb_perturb_setup prec;
    size_t n_pn, pn[PT_MAX_LIST];
    const char *prec_kernel;
    double coll[PT_FORMATS][PT_MAX_LIST][PT_W]; /* ||y_n([v,a]) - y_{n+1}([v,a,a])||, no sink */
    double coll_err[PT_FORMATS][PT_MAX_LIST][PT_W]; /* error of the format's difference vector */
    double coll_zero[PT_FORMATS][PT_MAX_LIST];  /* share of sequences whose two outputs are identical */
    double coll_signal[2][PT_MAX_LIST][PT_W];   /* f64 ||y_n([v,a]) - y_2([v_0,a])||: none, bos */
    double coll_bos[PT_MAX_LIST][PT_W];         /* f64 collapse distance with a BOS sink */
    sb_perturb_setup snr;
    size_t n_snr;
    double snr_gaps[PT_MAX_LIST];
    double snr_signal[PT_MAX_LIST][PT_W];            /* f64 ||r||: the last token's response to the swap */
    double snr_loss[PT_FORMATS][PT_MAX_LIST][PT_W];  /* ||r_F - r|| / ||r|| */

    /* 7. A content-logit offset b against softmax1 and a learned sink at 0 (and plain softmax). */
    sb_perturb_setup off;
    size_t n_offsets;
    double offsets[PT_MAX_LIST];
    double off_drift[3][PT_MAX_LIST][PT_W]; /* relative last-token drift: none, softmax1, learned */
    double off_mass[3][PT_MAX_LIST][PT_W];  /* content mass of the last query */

    /* 8. A query-dependent gate against the ungated stack scaled to the same attention output norm. */
    sb_perturb_setup gate;
    sb_perturb_seeds gate_drift, scaled_drift, gate_none_drift, gate_scale, gate_mean, gate_sparse;

    /* 9. Sink strength (a sanity check of the imposed sink). */
    sb_perturb_setup str;
    size_t n_gaps;
    double gaps[PT_MAX_LIST];
    double gap_drift_rel[PT_MODES][PT_MAX_LIST][PT_W];

    /* 10. Numerical propagation through depth: every kernel and precision against binary64. */
    sb_perturb_numeric_run *numeric;
    size_t n_numeric;

    sb_perturb_verdict verdicts[PT_MAX_VERDICTS];
    size_t n_verdicts;
    double started, seconds;
} sb_perturb_results;

/* Runs every experiment; SB_OK or the first stack error. */
sb_status sb_perturb_study_run(const sb_perturb_options *o, sb_perturb_results *r);
void sb_perturb_results_free(sb_perturb_results *r);
/* Fills r->verdicts from the measurements. */
void sb_perturb_trends_compute(sb_perturb_results *r);

/* ---- shared by the experiment files (perturb_common.c) ---- */

/* The stack of an experiment: the base options with this sink, depth, heads and width. */
sb_stack_config sb_perturb_config(const sb_perturb_results *r, sb_stack_sink sink, size_t layers, size_t heads,
                                  size_t width, uint64_t weight_seed);
/* Sequence q of weight seed k: content tokens, BOS first except for no_bos; shorter draws are prefixes
 * of longer ones. */
void sb_perturb_ids(const sb_perturb_results *r, size_t vocab, sb_stack_sink sink, size_t k, uint64_t q, size_t n,
                    uint32_t *ids);
/* x2 = x with token j swapped for another content token (or moved by perturb_size * a unit vector). */
void sb_perturb_input(const sb_stack *s, const sb_perturb_results *r, size_t k, uint64_t q, size_t j,
                      const uint32_t *ids, const double *x, size_t n, double *x2);
/* Relative and absolute last-token drift of stack s after its last layer, mean over sequences 0..S-1 of
 * seed k; n tokens, token j perturbed. Optionally the content mass of the last query (mean over layers,
 * heads and sequences). */
sb_status sb_perturb_drift(const sb_perturb_results *r, const sb_stack *s, size_t k, size_t S, size_t n, size_t j,
                           double *rel, double *abs_drift, double *mass);
/* The sensitivity profile of the last token of a stack on input x: S_i over `probes` random unit
 * cotangents (reverse mode); s receives n values. */
sb_status sb_perturb_profile_of(const sb_stack *s, const double *x, size_t n, const unsigned char *bos, size_t probes,
                                uint64_t probe_seed, double *s_out);
double sb_perturb_participation(const double *s, size_t n);
double sb_perturb_norm(const double *a, size_t k);
double sb_perturb_dist(const double *a, const double *b, size_t k);
void sb_perturb_progress(const sb_perturb_results *r, const char *what);
double sb_perturb_now(void); /* monotonic seconds */
double *sb_perturb_zeros(size_t n);
double *sb_perturb_nans(size_t n);

sb_status sb_perturb_run_context(sb_perturb_results *r);
sb_status sb_perturb_run_precision(sb_perturb_results *r);
sb_status sb_perturb_run_heads(sb_perturb_results *r);
sb_status sb_perturb_run_offsets(sb_perturb_results *r);
sb_status sb_perturb_run_gate(sb_perturb_results *r);
sb_status sb_perturb_run_strength(sb_perturb_results *r);
sb_status sb_perturb_run_numerics(sb_perturb_results *r);

#endif
