/* The formats a probability can be stored in (binary32, binary16, bfloat16), described by their
 * significand width and exponent range, with rounding, spacing and ulp distance in each. The stability
 * study measures stored probabilities in the unit of the format that holds them. */
#ifndef SINKBENCH_STORAGE_FORMAT_H
#define SINKBENCH_STORAGE_FORMAT_H

#include <stdint.h>

typedef enum sb_format { SB_FORMAT_F32, SB_FORMAT_F16, SB_FORMAT_BF16, SB_FORMAT_COUNT } sb_format;

typedef struct sb_format_info {
    const char *name;      /* "f32", "f16", "bf16" */
    int precision;         /* significand bits, the implicit one included: 24, 11, 8 */
    int emin;              /* exponent of the smallest normal number: -126, -14, -126 */
    double min_normal;     /* 2^emin */
    double min_subnormal;  /* 2^(emin - precision + 1): 2^-149, 2^-24, 2^-133 */
} sb_format_info;

const sb_format_info *sb_format_get(sb_format f);

/* A binary32 value rounded to the format (round to nearest even, subnormals kept). */
float sb_format_round(float v, sb_format f);

/* The correctly rounded value of a binary64 number in the format (round to nearest even, subnormals
 * kept; overflow is not handled: the study only rounds values in [0, 1] and logits below 2^15). */
double sb_format_round_double(double v, sb_format f);

/* Spacing of the format at |v| (its smallest subnormal below the normal range). */
double sb_format_ulp_of(double v, sb_format f);

/* Integer ulp distance between two values of the format (both must be representable in it): the
 * number of format values between them, counting one end; +0 and -0 are one point. NaN against NaN
 * is 0, NaN against a number UINT64_MAX. */
uint64_t sb_format_ulp_distance(float a, float b, sb_format f);

#endif
