#include "simd/softmax_simd.h"

#include <math.h>

#include "core/kernel_decls.h"
#include "core/softmax_internal.h"

sb_status sb_simd_softmax_cold(const float *x, float *y, size_t n, const sb_softmax_params *p)
{
    float row_max = -INFINITY;
    int saw_nan = 0;
    for (size_t i = 0; i < n; i++) {
        saw_nan |= isnan(x[i]);
        row_max = fmaxf(row_max, x[i]);
    }
    if (sb_softmax_special(x, y, n, p, row_max, saw_nan))
        return SB_OK;
    return sb_softmax_reference_f64(x, y, n, p);
}

int sb_simd_has_nan(const float *x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (isnan(x[i]))
            return 1;
    return 0;
}
