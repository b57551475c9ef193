#include "check/ulp.h"

#include <math.h>
#include <string.h>

static int64_t ordered(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    int64_t mag = (int64_t)(u & 0x7fffffffu);
    return (u >> 31) ? -mag : mag;
}

uint64_t sb_ulp_distance(float a, float b)
{
    if (isnan(a) || isnan(b))
        return (isnan(a) && isnan(b)) ? 0 : SB_ULP_INFINITE;
    int64_t d = ordered(a) - ordered(b);
    return (uint64_t)(d < 0 ? -d : d);
}

double sb_ulp_of(double v)
{
    v = fabs(v);
    if (v < 0x1p-125)
        return 0x1p-149;
    int e;
    frexp(v, &e);          /* v = f * 2^e with f in [0.5, 1) */
    if (e > 128)
        e = 128;
    return ldexp(1.0, e - 24);
}

double sb_ulp_error(float got, double exact)
{
    if (isnan(got) || isnan(exact))
        return (isnan(got) && isnan(exact)) ? 0.0 : INFINITY;
    if (isinf(exact) || isinf(got))
        return got == exact ? 0.0 : INFINITY;
    return fabs((double)got - exact) / sb_ulp_of(exact);
}
