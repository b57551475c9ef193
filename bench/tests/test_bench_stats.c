/* The statistics of `sinkbench compare` (io/bench_stats.h) against known answers: exact Mann-Whitney
 * p-values (checked by enumerating every rank-sum assignment in Python), ties, the normal
 * approximation past 50 runs, and the median. */
#include <math.h>

#include "io/bench_stats.h"
#include "testkit.h"

static void near(double got, double want, double tol, const char *what)
{
    SB_TEST_CHECK(fabs(got - want) <= tol, "%s: got %.17g want %.17g", what, got, want);
}

int main(void)
{
    sb_test_init("test_bench_stats", 0);
    const double a5[] = {1, 2, 3, 4, 5}, b5[] = {6, 7, 8, 9, 10};
    near(sb_mann_whitney_p(a5, 5, b5, 5), 2.0 / 252.0, 1e-15, "separated 5 vs 5: 2/C(10,5)");
    near(sb_mann_whitney_p(b5, 5, a5, 5), 2.0 / 252.0, 1e-15, "symmetric in the order of the samples");
    const double a3[] = {1, 2, 3}, b3[] = {4, 5, 6};
    near(sb_mann_whitney_p(a3, 3, b3, 3), 0.1, 1e-15, "separated 3 vs 3: the smallest p is 0.1");
    const double at[] = {1, 2, 2, 3}, bt[] = {2, 3, 4, 5};
    near(sb_mann_whitney_p(at, 4, bt, 4), 0.2, 1e-15, "ties as midranks");
    const double c3[] = {4, 5, 6};
    near(sb_mann_whitney_p(a5, 5, c3, 3), 0.17857142857142858, 1e-15, "ties across samples, unequal sizes");
    const double x6[] = {10, 11, 12, 13, 14, 15}, y6[] = {10.5, 11.5, 12.5, 13.5, 14.5, 16};
    near(sb_mann_whitney_p(x6, 6, y6, 6), 0.6991341991341992, 1e-15, "interleaved 6 vs 6");
    near(sb_mann_whitney_p(b5, 5, b5, 5), 1.0, 0, "identical samples");
    SB_TEST_CHECK(isnan(sb_mann_whitney_p(a5, 1, b5, 5)), "one repetition: no test");

    /* Past 50 runs: the normal approximation (values from its formula, computed in Python). */
    double l[30], r[30], h[30];
    for (int i = 0; i < 30; i++)
        l[i] = i + 1, r[i] = i + 31, h[i] = i + 1.5;
    near(sb_mann_whitney_p(l, 30, r, 30), 3.019859359162151e-11, 1e-20, "separated 30 vs 30");
    near(sb_mann_whitney_p(l, 30, h, 30), 0.8302552839111963, 1e-12, "interleaved 30 vs 30 (U = 435)");
    near(sb_mann_whitney_p(l, 30, l, 30), 1.0, 1e-12, "identical 30 vs 30 (all ties in pairs)");

    const double m[] = {5, 1, 4, 2, 3};
    near(sb_stat_median(m, 5), 3, 0, "odd count");
    near(sb_stat_median(m, 4), 3, 0, "even count: mean of the middle two (1, 2, 4, 5)");
    SB_TEST_CHECK(isnan(sb_stat_median(m, 0)), "empty");
    SB_TEST_CHECK(m[0] == 5 && m[1] == 1, "input not reordered");
    return sb_test_finish("test_bench_stats");
}
