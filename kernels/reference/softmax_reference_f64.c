/* The double-precision reference: three passes in binary64, one final rounding to binary32.
 * Its only errors are libm's exp (< 1 ulp of binary64) and the final rounding, so it is within
 * 1 ulp of the correctly rounded result for every row length the API accepts. */
#include <math.h>

#include "core/kernel_decls.h"
#include "core/softmax_internal.h"

sb_status sb_softmax_reference_f64(const float *x, float *y, size_t n, const sb_softmax_params *p)
{
    sb_status st;
    float row_max;
    if (sb_softmax_scalar_begin(x, y, n, p, &st, &row_max))
        return st;

    float s = sb_sink_logit_or_neg_inf(p);
    double m = row_max > s ? row_max : s;
    /* The differences of two binary32 values are exact in binary64 whenever exp of them matters. */
    double sum = exp((double)s - m), comp = 0.0;
    for (size_t i = 0; i < n; i++) {
        double t = exp((double)x[i] - m), u = sum + t; /* Neumaier: exact to ~1 ulp of binary64 at any n */
        comp += fabs(sum) >= fabs(t) ? (sum - u) + t : (t - u) + sum;
        sum = u;
    }
    double inv = 1.0 / (sum + comp);
    for (size_t i = 0; i < n; i++)
        y[i] = (float)(exp((double)x[i] - m) * inv);
    return SB_OK;
}
