#include "simd/softmax_simd.h"

#include <math.h>

#include "core/kernel_decls.h"

/* The binary64 reference applies the contract's edge rules through sb_softmax_special and computes
 * finite rows within 1 ulp: exactly what the rows the vector path leaves need. */
sb_status sb_simd_softmax_cold(const float *x, float *y, size_t n, const sb_softmax_params *p)
{
    return sb_softmax_reference_f64(x, y, n, p);
}

int sb_simd_has_nan(const float *x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (isnan(x[i]))
            return 1;
    return 0;
}
