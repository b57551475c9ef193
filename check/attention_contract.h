/* The attention contract checker (docs/numerics.md, "Attention"): the one piece of code that decides
 * whether an attention kernel's output is right. Tests (and later fuzzers, benchmarks' sanity checks
 * and reports) call it. Part of sinkbench_check. */
#ifndef SINKBENCH_ATTENTION_CONTRACT_H
#define SINKBENCH_ATTENTION_CONTRACT_H

#include <stddef.h>

#include "sinkbench/attention.h"

typedef struct sb_attention_contract_result {
    int ok;
    const char *rule;        /* the first rule broken ("error bound", "NaN row", ...), NULL when ok */
    size_t query, head, component;
    double got, want;
    double max_c;            /* largest error seen on formula rows in units of 2^-24 * R * max|v| */
    double max_ratio;        /* largest error / the kernel's tolerance (<= 1 passes) */
    size_t rows_formula;     /* rows decided by the formula */
    size_t rows_special;     /* rows decided by an edge-case rule (NaN, zeros, +inf mask) */
    char message[512];       /* one line naming kernel, shape, row, component, got and want */
} sb_attention_contract_result;

/* The reference's answer for every row of a call, computed once and shared by every kernel and
 * variant (splits, threads) checked on the same inputs. */
typedef struct sb_attention_expected {
    size_t rows, head_dim;
    double *o;              /* rows x head_dim, row (i, h) at (i * n_heads + h) * head_dim */
    unsigned char *rule;    /* sb_attention_rule of each row */
    double *v_max, *score_size, *residual; /* per row: max|v| and score_size over the visible keys, R */
} sb_attention_expected;

/* Computes it (binary64 reference) for d's inputs; 0 when memory runs out. */
int sb_attention_expected_init(const sb_attention_desc *d, sb_attention_expected *e);
void sb_attention_expected_free(sb_attention_expected *e);

/* The tolerance of kernel k for a row with the given max|v|, residual mass R and score_size. */
double sb_attention_tolerance(const sb_attention_kernel *k, const sb_attention_desc *d, double v_max, double residual,
                              double score_size);

/* Compares d->out (the kernel's output for d) with the binary64 reference, row by row:
 *   NaN rule     every component NaN
 *   zero rule    every component exactly 0 (either sign)
 *   otherwise    a component is non-finite exactly when the reference's is; finite components within
 *                the kernel's bound (attention.h, sb_attention_bound) for the row's max|v|, residual
 *                mass R and score_size (0 for +inf-mask rows, whose weights are exact).
 * Kernels without a bound (study kernels) only get the statistics. Returns 1 when the output obeys. */
int sb_attention_contract_compare(const sb_attention_kernel *k, const sb_attention_desc *d,
                                  const sb_attention_expected *e, sb_attention_contract_result *r);

/* Runs k on d and checks everything one call must do: SB_OK, every output row written, nothing else
 * in the output's span written (padding between rows), inputs unchanged, the floating-point control
 * state unchanged; then sb_attention_contract_compare against e. Returns 1 on success. */
int sb_attention_contract_run(const sb_attention_kernel *k, const sb_attention_desc *d,
                              const sb_attention_expected *e, sb_attention_contract_result *r);

#endif
