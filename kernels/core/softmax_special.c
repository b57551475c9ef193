#include "core/softmax_internal.h"

#include <math.h>

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
