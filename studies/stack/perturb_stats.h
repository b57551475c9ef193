/* Statistics of the perturbation study: the replication unit is the weight seed. Each seed's value is
 * the mean over its sequences; intervals are 95 % Student-t intervals over the seeds' values (ratios
 * and growth factors on a log scale, reported back as factors). A verdict compares such an interval
 * with a threshold derived from the prediction (docs/perturbation.md, "Verdicts"). Internal to the
 * study. */
#ifndef SINKBENCH_PERTURB_STATS_H
#define SINKBENCH_PERTURB_STATS_H

#include <stddef.h>

/* An estimate over seeds: the mean of the per-seed values and its 95 % interval. With log set, the
 * values were logarithms and mean/lo/hi are reported as exp(.) (geometric mean and its interval). */
typedef struct sb_perturb_est {
    double mean, lo, hi;
    double sd;   /* standard deviation of the per-seed values (on the log scale for log estimates) */
    size_t n;    /* seeds that contributed (non-finite values are left out and counted in missing) */
    size_t missing;
    int log;
} sb_perturb_est;

/* The 0.975 quantile of Student's t with df degrees of freedom (df >= 1). */
double sb_perturb_t975(size_t df);

/* Mean and interval of v[0..n) (non-finite values skipped). One value: the interval is that value. */
sb_perturb_est sb_perturb_est_of(const double *v, size_t n);
/* The same for positive quantities on a log scale: ln v, then exp back (v <= 0 or non-finite skipped). */
sb_perturb_est sb_perturb_est_log(const double *v, size_t n);
/* The mean of the finite values of v[0..n) (NaN when there are none): est_of's mean. */
double sb_perturb_mean(const double *v, size_t n);
/* Per-seed ratios a[k] / b[k] on a log scale. */
sb_perturb_est sb_perturb_est_ratio(const double *a, const double *b, size_t n);

/* Least-squares slope of y on x over the points with finite x and y (NAN with fewer than two). */
double sb_perturb_slope(const double *x, const double *y, size_t k);

/* Where a piecewise-linear curve y(x) (x increasing) first crosses level c going down (y[i] >= c >
 * y[i+1]), interpolated linearly in (x, y); NAN if it never does. */
double sb_perturb_cross_down(const double *x, const double *y, size_t k, double c);
/* The same going up (y[i] < c <= y[i+1]). */
double sb_perturb_cross_up(const double *x, const double *y, size_t k, double c);

/* How a verdict's interval is judged against its threshold(s). */
typedef enum sb_perturb_rule {
    SB_RULE_ABOVE,   /* holds when lo > a; fails when hi < a; otherwise inconclusive */
    SB_RULE_BELOW,   /* holds when hi < a; fails when lo > a */
    SB_RULE_BETWEEN, /* holds when a < lo and hi < b; fails when hi < a or lo > b */
    SB_RULE_NONE     /* an observation: no criterion */
} sb_perturb_rule;

typedef enum sb_perturb_outcome {
    SB_OUTCOME_HOLDS = 0,    /* reproduced / sanity check passed */
    SB_OUTCOME_FAILS,        /* not reproduced / sanity check failed: the interval is on the wrong side */
    SB_OUTCOME_INCONCLUSIVE, /* the interval straddles the threshold */
    SB_OUTCOME_OBSERVED      /* an observation: measured, not judged */
} sb_perturb_outcome;

/* Applies the rule to [lo, hi] (on the estimate's reported scale). NaN bounds: inconclusive. */
sb_perturb_outcome sb_perturb_judge(sb_perturb_rule rule, double lo, double hi, double a, double b);

#endif
