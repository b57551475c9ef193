#include "core/softmax_internal.h"

#include <math.h>
#include <stdint.h>

void sb_fill_f32(float *y, size_t n, float v)
{
    for (size_t i = 0; i < n; i++)
        y[i] = v;
}

int sb_softmax_special(const float *x, float *y, size_t n, const sb_softmax_params *p, float row_max,
                       int saw_nan)
{
    float s = sb_sink_logit_or_neg_inf(p);
    if (saw_nan || isnan(row_max) || isnan(s)) {
        sb_fill_f32(y, n, NAN);
        return 1;
    }
    if (s == INFINITY) {
        sb_fill_f32(y, n, 0.0f);
        return 1;
    }
    if (row_max == INFINITY) {
        size_t k = 0;
        for (size_t i = 0; i < n; i++)
            k += x[i] == INFINITY;
        float share = (float)(1.0 / (double)k); /* one rounding of an exact quotient: correctly rounded */
        for (size_t i = 0; i < n; i++)
            y[i] = x[i] == INFINITY ? share : 0.0f;
        return 1;
    }
    if (row_max == -INFINITY) {
        sb_fill_f32(y, n, 0.0f);
        return 1;
    }
    return 0;
}

sb_status sb_softmax_check_args(const float *x, const float *y, size_t n, const sb_softmax_params *params)
{
    if (n == 0)
        return SB_OK;
    if (!x || !y || n > SB_SOFTMAX_MAX_N)
        return SB_EINVAL;
    if (params && params->sink != SB_SINK_NONE && params->sink != SB_SINK_LOGIT)
        return SB_EINVAL;
    uintptr_t xs = (uintptr_t)x, ys = (uintptr_t)y, bytes = (uintptr_t)(n * sizeof(float));
    if (xs != ys && xs < ys + bytes && ys < xs + bytes)
        return SB_EINVAL; /* partial overlap: in place means y == x exactly */
    return SB_OK;
}

int sb_softmax_scalar_begin(const float *x, float *y, size_t n, const sb_softmax_params *p, sb_status *st,
                            float *row_max)
{
    *st = sb_softmax_check_args(x, y, n, p);
    if (*st != SB_OK || n == 0)
        return 1;
    float m = -INFINITY;
    int saw_nan = 0;
    for (size_t i = 0; i < n; i++) {
        saw_nan |= isnan(x[i]);
        m = x[i] > m ? x[i] : m; /* a NaN is caught by saw_nan, whatever this comparison makes of it */
    }
    *row_max = m;
    return sb_softmax_special(x, y, n, p, m, saw_nan);
}
