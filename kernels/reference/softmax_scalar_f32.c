/* The textbook "safe" softmax as most code writes it: binary32 arithmetic and libm expf, with the
 * max subtracted first. Two concessions make it a usable baseline: the sum is kept in binary64 (a
 * binary32 sum of millions of terms stalls at 2^24), and the division is done per entry.
 *
 * Its bound is dominated by the rounding of x - m in binary32: for |x - m| in [64, 104) that
 * difference carries up to 2^-18 absolute error, i.e. exp(x - m) up to 2^-18 relative, which is 64
 * ulp at the bottom of a binade; expf and the division add under 2 ulp: bound 66 (docs/numerics.md). */
#include <math.h>

#include "core/kernel_decls.h"
#include "core/softmax_internal.h"

sb_status sb_softmax_scalar_f32(const float *x, float *y, size_t n, const sb_softmax_params *p)
{
    sb_status st;
    float row_max;
    if (sb_softmax_scalar_begin(x, y, n, p, &st, &row_max))
        return st;

    float s = sb_sink_logit_or_neg_inf(p);
    float m = fmaxf(row_max, s);
    double sum = expf(s - m);
    for (size_t i = 0; i < n; i++) {
        float e = expf(x[i] - m);
        y[i] = e;
        sum += e;
    }
    for (size_t i = 0; i < n; i++)
        y[i] = (float)((double)y[i] / sum);
    return SB_OK;
}
