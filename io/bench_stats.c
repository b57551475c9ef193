#include "io/bench_stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double sb_stat_median(const double *v, size_t n)
{
    if (n == 0)
        return NAN;
    double *c = malloc(n * sizeof *c);
    if (!c)
        return NAN;
    memcpy(c, v, n * sizeof *c);
    qsort(c, n, sizeof *c, cmp_double);
    double m = n % 2 ? c[n / 2] : 0.5 * (c[n / 2 - 1] + c[n / 2]);
    free(c);
    return m;
}

double sb_mann_whitney_p(const double *a, size_t na, const double *b, size_t nb)
{
    if (na < 2 || nb < 2)
        return NAN;
    size_t n = na + nb;
    double *v = malloc(n * sizeof *v);
    size_t *order = malloc(n * sizeof *order);
    long *rank2 = malloc(n * sizeof *rank2);   /* doubled midranks: integers even with ties */
    if (!v || !order || !rank2) {
        free(v), free(order), free(rank2);
        return NAN;
    }
    memcpy(v, a, na * sizeof *v);
    memcpy(v + na, b, nb * sizeof *v);
    for (size_t i = 0; i < n; i++)
        order[i] = i;
    for (size_t i = 1; i < n; i++)   /* insertion sort of indices by value: n is small */
        for (size_t j = i; j > 0 && v[order[j - 1]] > v[order[j]]; j--) {
            size_t t = order[j];
            order[j] = order[j - 1], order[j - 1] = t;
        }
    double tie_term = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j + 1 < n && v[order[j + 1]] == v[order[i]])
            j++;
        for (size_t k = i; k <= j; k++)
            rank2[order[k]] = (long)(i + 1 + j + 1);   /* 2 x the mean of ranks i+1 .. j+1 */
        double t = (double)(j - i + 1);
        tie_term += t * t * t - t;
        i = j + 1;
    }
    long w2 = 0;
    for (size_t i = 0; i < na; i++)
        w2 += rank2[i];
    double p;
    if (n <= 50) {
        /* count[k][s]: subsets of k of the first items with doubled rank sum s (exact in double up to
         * C(50,25) ~ 1.3e14 < 2^53). */
        long smax = (long)(n * (n + 1));
        size_t width = (size_t)smax + 1;
        double *count = calloc((na + 1) * width, sizeof *count);
        if (!count) {
            free(v), free(order), free(rank2);
            return NAN;
        }
        count[0] = 1;
        for (size_t i = 0; i < n; i++)
            for (size_t k = (i + 1 < na ? i + 1 : na); k >= 1; k--) {
                long r = rank2[i];
                for (long s = smax; s >= r; s--)
                    count[k * width + (size_t)s] += count[(k - 1) * width + (size_t)(s - r)];
            }
        double total = 0, low = 0, high = 0;
        for (long s = 0; s <= smax; s++) {
            double c = count[na * width + (size_t)s];
            total += c;
            if (s <= w2)
                low += c;
            if (s >= w2)
                high += c;
        }
        free(count);
        p = 2.0 * fmin(low, high) / total;
    } else {
        double u = (double)w2 / 2.0 - (double)na * (double)(na + 1) / 2.0;
        double mean = (double)na * (double)nb / 2.0;
        double var = (double)na * (double)nb / 12.0 * ((double)(n + 1) - tie_term / ((double)n * (double)(n - 1)));
        double z = var > 0 ? (fabs(u - mean) - 0.5) / sqrt(var) : 0.0;
        p = z > 0 ? erfc(z / sqrt(2.0)) : 1.0;
    }
    free(v), free(order), free(rank2);
    return p > 1.0 ? 1.0 : p;
}
