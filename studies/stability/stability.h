/* The numerical stability study of sink-dominated rows: a seeded sweep over sink gaps, row lengths,
 * sink places and kinds, tail shapes and storage precisions; for every registered kernel and every
 * cell, metrics against the MPFR oracle (docs/stability.md defines each one) and the contract verdict
 * from the one checker. No I/O here: `sinkbench stability` (studies/stability/stability_run.c) writes the results. */
#ifndef SINKBENCH_STABILITY_H
#define SINKBENCH_STABILITY_H

#include <stddef.h>
#include <stdint.h>

#include "check/contract.h"
#include "check/rowgen.h"
#include "studies/stability/storage_format.h"

/* What is rounded where. "Exact" is always the softmax of the original binary32 logits. */
typedef enum sb_stability_precision {
    SB_STABILITY_PREC_F32,      /* binary32 logits in, binary32 probabilities out */
    SB_STABILITY_PREC_F16_IN,   /* logits (and a sink logit) rounded to binary16 before the kernel runs */
    SB_STABILITY_PREC_BF16_IN,  /* ... to bfloat16 */
    SB_STABILITY_PREC_F16_OUT,  /* the binary32 kernel's probabilities stored as binary16 (what P·V would read) */
    SB_STABILITY_PREC_BF16_OUT, /* ... as bfloat16 */
    SB_STABILITY_PREC_COUNT
} sb_stability_precision;

const char *sb_stability_precision_name(sb_stability_precision p);
sb_format sb_stability_precision_input_format(sb_stability_precision p);
sb_format sb_stability_precision_output_format(sb_stability_precision p);
/* f32 and the rounded-input precisions run the kernel and are judged by the contract checker (on the
 * row the kernel was given); stored outputs only round what the f32 run produced. */
int sb_stability_precision_runs_kernel(sb_stability_precision p);

typedef enum sb_stability_preset { SB_STABILITY_QUICK, SB_STABILITY_FULL } sb_stability_preset;

/* The sweep is three blocks of rows (docs/stability.md lists their grids). */
typedef enum sb_stability_block {
    SB_BLOCK_THRESHOLDS, /* equal tails, every sink place, coarse gaps plus fine windows at each threshold */
    SB_BLOCK_TAILS,      /* Gaussian, heavy and near-sink tails, every sink place, gaps 0..130 */
    SB_BLOCK_LENGTHS,    /* equal and Gaussian tails, gap x row length 16 .. 1 M (the heat maps) */
    SB_BLOCK_COUNT
} sb_stability_block;
const char *sb_stability_block_name(sb_stability_block b);
int sb_stability_block_from_name(const char *s);  /* -1 when unknown */

typedef struct sb_stability_row {
    sb_stability_block block;
    sb_row_spec spec;
    uint64_t seed;     /* row seed: a hash of the study seed and the spec, the same in every preset */
} sb_stability_row;

/* The rows of a preset, in sweep order (blocks in blocks_mask only; 0: all). *rows is malloc'ed. */
sb_status sb_stability_plan(sb_stability_preset preset, uint64_t seed, unsigned blocks_mask, sb_stability_row **rows,
                       size_t *count);

/* The exact reference of one row, as the metrics need it. */
typedef struct sb_stability_exact {
    size_t n;
    size_t sink_index;   /* the sink token, or SIZE_MAX for a sink logit */
    int logit_sink;      /* the sink is a logit (learned, softmax_1): it has no output entry, no value */
    const float *cr;     /* correctly rounded binary32 result (oracle) */
    const double *y;     /* exact values (oracle, relative error <= 2^-47) */
    const float *v;      /* the values of the attention output sum_i y_i v_i */
    double p_sink;       /* exact sink probability */
    double residual;     /* exact R = sum of every entry but the sink token's */
    double out_tail;                /* exact tail part of sum_i y_i v_i */
    double scale_all, scale_tail;   /* sum_i y_i |v_i| and the same over the tail */
} sb_stability_exact;

/* Fills the attention fields of e from e->y and e->v. */
void sb_stability_exact_attention(sb_stability_exact *e);

typedef struct sb_stability_metrics {
    double max_ulp;           /* largest integer ulp distance to the correctly rounded value in the output format (inf: a non-finite output) */
    double mean_ulp;          /* mean |y^ - y| / ulp_F(y) over all entries */
    double sink_rel_err;      /* |p^_sink - p_sink| / p_sink; a sink logit's p^ is 1 - sum y^ */
    double resid_tail_rel_err;/* |R^ - R| / R, R^ = sum of the stored tail entries (binary64) */
    double resid_1m_rel_err;  /* |(1 - p^_sink) - R| / R (sink tokens only; NaN otherwise) */
    double resid_bound_ratio; /* |R^ - R| over the bound docs/numerics.md derives from the ulp bound (NaN: not checked) */
    double sum_err;           /* |sum y^ - 1|, with a sink logit |sum y^ - (1 - p_sink)| */
    double tail_max;          /* the largest stored tail entry */
    double p_sink_stored;     /* p^_sink as defined above */
    double attn_err;          /* |o^ - o| / sum_i y_i |v_i| */
    double attn_sink_err;     /* |p^_sink v_s - p_sink v_s| / sum_tail y_j |v_j| (> 1: the sink's error swamps the tail) */
    double attn_tail_err;     /* |o^_tail - o_tail| / sum_tail y_j |v_j| (1: the tail's information is gone) */
    uint64_t tail_count;      /* entries other than the sink token */
    uint64_t tail_zero, tail_subnormal;                   /* stored tail entries that are 0 / subnormal in F */
    uint64_t tail_zero_expected, tail_subnormal_expected; /* ... in the correct rounding of the exact value to F */
    uint64_t tail_early_flush;  /* stored 0 where the correctly rounded value in F is not */
    uint64_t nonfinite;         /* NaN or inf outputs */
} sb_stability_metrics;

/* Measures the stored output y (values of format f) against e. ulp_bound >= 0 also checks the
 * residual mass against the bound it implies; pass a negative value to skip that. */
void sb_stability_measure(const float *y, const sb_stability_exact *e, sb_format f, double ulp_bound, sb_stability_metrics *m);

typedef struct sb_stability_cell {
    uint32_t kernel;        /* index into sb_stability_result.kernels */
    uint8_t precision;      /* sb_stability_precision */
    uint8_t block;          /* sb_stability_block */
    uint8_t contract_checked, contract_ok;
    uint8_t violation;      /* sb_violation of the contract run (SB_V_NONE when ok) */
    sb_row_spec spec;
    uint64_t seed;
    double p_sink, residual;    /* exact, of the original row */
    double kernel_max_ulp;      /* the contract checker's max ulp on the row the kernel was given */
    sb_stability_metrics m;
} sb_stability_cell;

/* Contract verdicts per kernel and precision (the precisions that run the kernel). */
typedef struct sb_stability_verdict {
    size_t cells, failures;
    double max_ulp;           /* largest kernel_max_ulp */
    double max_resid_ratio;   /* largest resid_bound_ratio (f32) */
    size_t first;             /* the failing cell with the smallest gap (then n), or SIZE_MAX */
    char message[384];        /* the checker's message for it */
} sb_stability_verdict;

typedef struct sb_stability_sweep_options {
    sb_stability_preset preset;
    uint64_t seed;
    const char *const *kernels;   /* names to sweep; NULL: every supported kernel and the batched entry point */
    size_t kernel_count;
    int include_emulated;         /* with kernels == NULL: also SIMDe-emulated ISAs */
    unsigned blocks_mask;         /* 1u << sb_stability_block; 0: all */
    double value_scale;           /* kappa: a sink token's value is kappa * N(0, 1), the others N(0, 1);
                                     0 means SB_STABILITY_VALUE_SCALE */
    /* After each row; fraction is the share of the work (row entries) done. */
    void (*progress)(size_t done_rows, size_t total_rows, double fraction, void *ctx);
    void *progress_ctx;
} sb_stability_sweep_options;

/* The default kappa: trained sinks carry small values (the perturbation study's stack uses the same
 * 0.01); N(0, 1) for the sink too would overstate the sink's part of the attention error by ~1/kappa. */
#define SB_STABILITY_VALUE_SCALE 0.01

typedef struct sb_stability_result {
    sb_stability_preset preset;
    uint64_t seed;
    double value_scale;           /* the kappa the sweep used */
    const sb_softmax_kernel **kernels;
    size_t kernel_count;
    size_t rows;
    sb_stability_cell *cells;
    size_t cell_count, cell_cap;
    sb_stability_verdict *verdicts;    /* kernel_count * SB_STABILITY_PREC_COUNT, index k * SB_STABILITY_PREC_COUNT + precision */
} sb_stability_result;

/* The batched entry point as the sweep runs it (SB_STABILITY_BATCH_KERNEL): each row as a batch of
 * one row through sb_softmax_batch, its sink as a learned per-head logit, on two threads (one under
 * emulation). Swept after the registry's kernels, or when named. */
#define SB_STABILITY_BATCH_KERNEL "sb_softmax_batch"
/* A registered kernel by name, or the batched entry point; NULL when neither. */
const sb_softmax_kernel *sb_stability_kernel_find(const char *name);

/* Runs the sweep. SB_EINVAL: a named kernel is unknown or unsupported on this CPU; SB_ENOMEM. */
sb_status sb_stability_sweep(const sb_stability_sweep_options *o, sb_stability_result *r);
void sb_stability_result_free(sb_stability_result *r);
const sb_stability_verdict *sb_stability_verdict_of(const sb_stability_result *r, size_t kernel, sb_stability_precision p);
/* Non-zero when a contract kernel (ulp_bound >= 0) exceeded its bound in some cell. */
int sb_stability_failed(const sb_stability_result *r);

/* ---- Thresholds: where the theory of docs/numerics.md says a tail is lost, and where it is. ---- */

typedef enum sb_stability_event {
    SB_EVENT_TAIL_SUBNORMAL, /* the largest stored tail entry is below F's smallest normal */
    SB_EVENT_TAIL_ZERO,      /* every stored tail entry is 0 */
    SB_EVENT_SINK_ONE,       /* the stored sink probability is exactly 1 (sink tokens) */
    SB_EVENT_COUNT
} sb_stability_event;
const char *sb_stability_event_name(sb_stability_event e);

/* The gap past which event e happens in format f for a row of n_tail equal tail logits one gap below
 * the sink: each tail entry is y_t = e^-gap / (1 + n_tail e^-gap) and the sink's 1 - n_tail y_t. */
double sb_stability_theory_gap(sb_stability_event e, sb_format f, double n_tail);
/* The gap the kernel actually sees for a requested gap (rowgen rounds it to binary32, the rounded-input
 * precisions round it again). */
double sb_stability_effective_gap(double gap, sb_stability_precision p);
int sb_stability_event_holds(const sb_stability_cell *c, sb_stability_event e);

typedef struct sb_stability_threshold {
    uint32_t kernel;
    uint8_t precision, event, block;
    sb_sink_place place;
    size_t n;
    double theory;     /* sb_stability_theory_gap for this row's tail count and the output format */
    double observed;   /* first swept gap at which the event holds (NaN: never) */
    double previous;   /* the swept gap just below it (NaN: none) */
    int monotone;      /* the event also holds at every larger swept gap */
    int agrees;        /* theory lies in (effective(previous), effective(observed)] */
} sb_stability_threshold;

/* One entry per kernel, precision, event, block, sink place and n over the equal-tail rows (sink-one
 * only for sink tokens). *out is malloc'ed. */
sb_status sb_stability_thresholds(const sb_stability_result *r, sb_stability_threshold **out, size_t *count);

/* The kernel the per-precision tables and plots follow: the one dispatch picks for n = 4096 when it was
 * swept, else the first swept kernel. */
const sb_softmax_kernel *sb_stability_focus_kernel(const sb_stability_result *r, size_t *index);

#endif
