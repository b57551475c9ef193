#include "studies/stability/storage_format.h"

#include <math.h>

#include "check/ulp.h"
#include "sinkbench/convert.h"

static const sb_format_info formats[SB_FORMAT_COUNT] = {
    {"f32", 24, -126, 0x1p-126, 0x1p-149},
    {"f16", 11, -14, 0x1p-14, 0x1p-24},
    {"bf16", 8, -126, 0x1p-126, 0x1p-133},
};

const sb_format_info *sb_format_get(sb_format f) { return &formats[(unsigned)f < SB_FORMAT_COUNT ? f : 0]; }

float sb_format_round(float v, sb_format f)
{
    switch (f) {
    case SB_FORMAT_F16: return sb_round_f16(v);
    case SB_FORMAT_BF16: return sb_round_bf16(v);
    default: return v;
    }
}

double sb_format_round_double(double v, sb_format f)
{
    const sb_format_info *fi = sb_format_get(f);
    if (v == 0.0 || !isfinite(v))
        return v;
    int e = ilogb(v);
    if (e < fi->emin)
        e = fi->emin;
    /* Scaling by a power of two is exact; nearbyint rounds to nearest even in the default mode. */
    return ldexp(nearbyint(ldexp(v, fi->precision - 1 - e)), e - fi->precision + 1);
}

double sb_format_ulp_of(double v, sb_format f)
{
    const sb_format_info *fi = sb_format_get(f);
    v = fabs(v);
    if (!(v >= fi->min_normal))
        return fi->min_subnormal;
    return ldexp(1.0, ilogb(v) - fi->precision + 1);
}

static int64_t ordered_f16(float v)
{
    uint16_t h = sb_f32_to_f16(v);
    int64_t mag = h & 0x7fff;
    return (h >> 15) ? -mag : mag;
}

uint64_t sb_format_ulp_distance(float a, float b, sb_format f)
{
    if (f == SB_FORMAT_F16) {
        if (isnan(a) || isnan(b))
            return (isnan(a) && isnan(b)) ? 0 : UINT64_MAX;
        int64_t d = ordered_f16(a) - ordered_f16(b);
        return (uint64_t)(d < 0 ? -d : d);
    }
    uint64_t d = sb_ulp_distance(a, b);
    /* bfloat16 values are the binary32 values whose low 16 bits are zero. */
    return (f == SB_FORMAT_BF16 && d != SB_ULP_INFINITE) ? d >> 16 : d;
}
