/* A study kernel, outside the contract (ulp_bound < 0): softmax without subtracting the max, as in
 * the formula's definition. exp overflows for logits above ~88.7 and the row turns into inf/inf =
 * NaN; large negative logits underflow to 0/0. Kept to show, in the stability study, what the max
 * subtraction buys. It still validates its arguments like every kernel. */
#include <math.h>

#include "core/kernel_decls.h"
#include "core/softmax_internal.h"

sb_status sb_softmax_naive_f32(const float *x, float *y, size_t n, const sb_softmax_params *p)
{
    sb_status st = sb_softmax_check_args(x, y, n, p);
    if (st != SB_OK || n == 0)
        return st;
    float sum = expf(sb_sink_logit_or_neg_inf(p));
    for (size_t i = 0; i < n; i++) {
        y[i] = expf(x[i]);
        sum += y[i];
    }
    for (size_t i = 0; i < n; i++)
        y[i] /= sum;
    return SB_OK;
}
