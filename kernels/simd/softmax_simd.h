/* Baseline-compiled helpers shared by the per-ISA softmax kernels (kernels/simd/). Not installed. */
#ifndef SINKBENCH_SIMD_SOFTMAX_SIMD_H
#define SINKBENCH_SIMD_SOFTMAX_SIMD_H

#include <stddef.h>

#include "sinkbench/softmax.h"

/* The rows the vector path does not take: a NaN, a +inf logit or sink, no finite logit, or a
 * row maximum beyond 2^27 in magnitude (where x - m no longer fits the exp's argument range). They
 * go to the binary64 reference (edge rules through sb_softmax_special; 1 ulp otherwise). Reads x,
 * so it must be called before anything is written to y. */
sb_status sb_simd_softmax_cold(const float *x, float *y, size_t n, const sb_softmax_params *p);

/* Non-zero when x[0..n) holds a NaN. */
int sb_simd_has_nan(const float *x, size_t n);

#endif
