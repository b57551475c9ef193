/* Shared pieces every softmax kernel uses, so that the numerics contract's edge cases are decided in
 * one place (docs/numerics.md, "Edge cases"). Not installed. */
#ifndef SINKBENCH_SOFTMAX_INTERNAL_H
#define SINKBENCH_SOFTMAX_INTERNAL_H

#include <math.h>
#include <stddef.h>
#include "sinkbench/softmax.h"

/* The sink's logit, or -inf when the row has no sink (a -inf sink is the same as none). */
static inline float sb_sink_logit_or_neg_inf(const sb_softmax_params *p)
{
    return (p && p->sink == SB_SINK_LOGIT) ? p->sink_logit : -INFINITY;
}

/* Finishes rows whose result does not come from the finite formula, given the row's maximum over x
 * (any NaN found while computing it reported through saw_nan; row_max may then be anything):
 *   NaN in x or a NaN sink       -> every y NaN
 *   +inf sink                    -> every y 0 (the sink takes all mass)
 *   k entries +inf               -> those 1/k (correctly rounded), the rest 0
 *   no finite mass (max = -inf)  -> every y 0, with or without a sink
 * Returns 1 when y was written, 0 when the kernel continues with the finite path. Safe in place. */
int sb_softmax_special(const float *x, float *y, size_t n, const sb_softmax_params *p, float row_max,
                       int saw_nan);

/* The shared start of the scalar kernels (the references): checks the arguments, finds the row's
 * maximum and finishes the rows the special cases above decide. Returns 1 when the kernel is done
 * (*st says how), 0 when it continues with the finite formula from *row_max. */
int sb_softmax_scalar_begin(const float *x, float *y, size_t n, const sb_softmax_params *p, sb_status *st,
                            float *row_max);

/* Fills y[0..n) with v. */
void sb_fill_f32(float *y, size_t n, float v);

#endif
