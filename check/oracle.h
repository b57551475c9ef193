/* The MPFR oracle: the correctly rounded binary32 softmax of a row, with sinks, subnormal results
 * included, under the numerics contract's edge-case rules.
 *
 * Fast path with a proof, slow path on doubt (Ziv's strategy): each entry is first computed in
 * binary64 with a rigorous relative error bound (2^-47); when the binary32 rounding of the whole
 * interval [y(1-e), y(1+e)] is one value, that value is the correctly rounded result. Otherwise the
 * entry is recomputed in long double (bound 2^-58), and when that cannot decide either, with MPFR at
 * increasing precision until mpfr_can_round() says the rounding is
 * certain, then rounded to binary32 with the binary32 exponent range (subnormals included). */
#ifndef SINKBENCH_ORACLE_H
#define SINKBENCH_ORACLE_H

#include <stddef.h>

#include "sinkbench/softmax.h"

typedef enum sb_row_class {
    SB_ROW_FINITE,      /* the finite formula applies */
    SB_ROW_NAN,         /* NaN in x or a NaN sink: every output NaN */
    SB_ROW_SINK_INF,    /* +inf sink: every output 0 */
    SB_ROW_POS_INF,     /* k entries +inf share the mass: 1/k each, the rest 0 */
    SB_ROW_NO_MASS      /* no finite logit (all -inf), with or without a finite sink: all 0 */
} sb_row_class;

typedef struct sb_oracle {
    float *y;            /* out, n entries (caller's): correctly rounded binary32 softmax */
    double *exact;       /* out, optional (NULL): each exact value rounded to binary64 (rel. err <= 2^-47) */
    size_t sink_index;   /* in: index of a sink token in the row, or SIZE_MAX */
    sb_row_class row_class;
    double sink_p;       /* probability of the sink: the learned logit's, or y[sink_index]'s */
    double residual;     /* mass of every row entry except sink_index, summed from those entries */
    double max_p;        /* m = max(max_j x_j, s) used by the finite formula (double) */
    double log_sum;      /* log(sum_j exp(x_j - m) + exp(s - m)) */
    size_t mpfr_entries; /* how many entries needed the MPFR slow path */
} sb_oracle;

/* Computes the expected output of x[0..n) under params (NULL: no sink). n == 0 is fine.
 * mpfr_only forces the slow path for every entry (to test the fast path). SB_ENOMEM on failure. */
sb_status sb_oracle_softmax(const float *x, size_t n, const sb_softmax_params *params, sb_oracle *o,
                            int mpfr_only);

/* Classifies a row by the contract's edge-case rules (independently of any kernel). */
sb_row_class sb_oracle_classify(const float *x, size_t n, const sb_softmax_params *params);

const char *sb_row_class_name(sb_row_class c);

#endif
