/* Distances between binary32 values, the unit every error bound in sinkbench is stated in. */
#ifndef SINKBENCH_ULP_H
#define SINKBENCH_ULP_H

#include <stdint.h>

#define SB_ULP_INFINITE UINT64_MAX

/* Integer ulp distance: how many binary32 values lie between a and b, counting one end. +0 and -0
 * are the same point; subnormals are spaced 2^-149 like everything below 2^-125. Both NaN: 0;
 * one NaN: SB_ULP_INFINITE. */
uint64_t sb_ulp_distance(float a, float b);

/* Spacing of binary32 at |v| (2^-149 for |v| < 2^-125). */
double sb_ulp_of(double v);

/* |got - exact| in units of the binary32 spacing at exact (fractional; for means and plots). */
double sb_ulp_error(float got, double exact);

#endif
