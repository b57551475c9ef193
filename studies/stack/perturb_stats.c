/* Statistics of the perturbation study (perturb_stats.h). */
#include "studies/stack/perturb_stats.h"

#include <math.h>

double sb_perturb_t975(size_t df)
{
    /* Student's t, two-sided 95 %: the table for small df, then the Cornish-Fisher expansion, which is
     * within 1e-4 of the exact quantile from df = 30 on. */
    static const double table[30] = {12.7062, 4.3027, 3.1824, 2.7764, 2.5706, 2.4469, 2.3646, 2.3060, 2.2622, 2.2281,
                                     2.2010,  2.1788, 2.1604, 2.1448, 2.1314, 2.1199, 2.1098, 2.1009, 2.0930, 2.0860,
                                     2.0796,  2.0739, 2.0687, 2.0639, 2.0595, 2.0555, 2.0518, 2.0484, 2.0452, 2.0423};
    if (df == 0)
        return INFINITY;
    if (df <= 30)
        return table[df - 1];
    double z = 1.959964, v = (double)df;
    return z + (z * z * z + z) / (4 * v) + (5 * pow(z, 5) + 16 * z * z * z + 3 * z) / (96 * v * v);
}

static sb_perturb_est est(const double *v, size_t n, int log_scale)
{
    sb_perturb_est e = {NAN, NAN, NAN, NAN, 0, 0, log_scale};
    double sum = 0.0;
    for (size_t i = 0; i < n; i++) {
        double x = log_scale ? (v[i] > 0 ? log(v[i]) : NAN) : v[i];
        if (!isfinite(x)) {
            e.missing++;
            continue;
        }
        sum += x;
        e.n++;
    }
    if (e.n == 0)
        return e;
    double mean = sum / (double)e.n, ss = 0.0;
    for (size_t i = 0; i < n; i++) {
        double x = log_scale ? (v[i] > 0 ? log(v[i]) : NAN) : v[i];
        if (isfinite(x))
            ss += (x - mean) * (x - mean);
    }
    e.sd = e.n > 1 ? sqrt(ss / (double)(e.n - 1)) : 0.0;
    double half = e.n > 1 ? sb_perturb_t975(e.n - 1) * e.sd / sqrt((double)e.n) : 0.0;
    e.mean = log_scale ? exp(mean) : mean;
    e.lo = log_scale ? exp(mean - half) : mean - half;
    e.hi = log_scale ? exp(mean + half) : mean + half;
    return e;
}

sb_perturb_est sb_perturb_est_of(const double *v, size_t n) { return est(v, n, 0); }

sb_perturb_est sb_perturb_est_log(const double *v, size_t n) { return est(v, n, 1); }

double sb_perturb_mean(const double *v, size_t n) { return est(v, n, 0).mean; }

sb_perturb_est sb_perturb_est_ratio(const double *a, const double *b, size_t n)
{
    double r[64];
    size_t m = n < 64 ? n : 64;
    for (size_t i = 0; i < m; i++)
        r[i] = b[i] > 0 ? a[i] / b[i] : NAN;
    return est(r, m, 1);
}

double sb_perturb_slope(const double *x, const double *y, size_t k)
{
    double sx = 0, sy = 0, sxx = 0, sxy = 0;
    size_t m = 0;
    for (size_t i = 0; i < k; i++) {
        if (!isfinite(x[i]) || !isfinite(y[i]))
            continue;
        sx += x[i], sy += y[i], sxx += x[i] * x[i], sxy += x[i] * y[i], m++;
    }
    double den = (double)m * sxx - sx * sx;
    return m >= 2 && den != 0 ? ((double)m * sxy - sx * sy) / den : NAN;
}

static double cross(const double *x, const double *y, size_t k, double c, int down)
{
    for (size_t i = 0; i + 1 < k; i++) {
        if (!isfinite(y[i]) || !isfinite(y[i + 1]))
            continue;
        int hit = down ? (y[i] >= c && c > y[i + 1]) : (y[i] < c && c <= y[i + 1]);
        if (hit)
            return x[i] + (x[i + 1] - x[i]) * (c - y[i]) / (y[i + 1] - y[i]);
    }
    return NAN;
}

double sb_perturb_cross_down(const double *x, const double *y, size_t k, double c) { return cross(x, y, k, c, 1); }

double sb_perturb_cross_up(const double *x, const double *y, size_t k, double c) { return cross(x, y, k, c, 0); }

sb_perturb_outcome sb_perturb_judge(sb_perturb_rule rule, double lo, double hi, double a, double b)
{
    if (rule == SB_RULE_NONE)
        return SB_OUTCOME_OBSERVED;
    if (isnan(lo) || isnan(hi))
        return SB_OUTCOME_INCONCLUSIVE;
    switch (rule) {
    case SB_RULE_ABOVE: return lo > a ? SB_OUTCOME_HOLDS : hi < a ? SB_OUTCOME_FAILS : SB_OUTCOME_INCONCLUSIVE;
    case SB_RULE_BELOW: return hi < a ? SB_OUTCOME_HOLDS : lo > a ? SB_OUTCOME_FAILS : SB_OUTCOME_INCONCLUSIVE;
    case SB_RULE_BETWEEN:
        return a < lo && hi < b ? SB_OUTCOME_HOLDS : (hi < a || lo > b) ? SB_OUTCOME_FAILS : SB_OUTCOME_INCONCLUSIVE;
    default: return SB_OUTCOME_INCONCLUSIVE;
    }
}
