/* Statistics of repeated benchmark measurements, for `sinkbench compare` and the report. */
#ifndef SINKBENCH_BENCH_STATS_H
#define SINKBENCH_BENCH_STATS_H

#include <stddef.h>

/* Median of v[0..n); NAN for n == 0 (or when out of memory). v is not reordered. */
double sb_stat_median(const double *v, size_t n);

/* Two-sided Mann-Whitney U p-value of samples a and b; NAN when either has fewer than 2 values.
 * Exact (the permutation distribution of the rank sum, ties as midranks) when na + nb <= 50, the
 * normal approximation with tie and continuity corrections beyond. */
double sb_mann_whitney_p(const double *a, size_t na, const double *b, size_t nb);

#endif
