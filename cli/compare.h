/* `sinkbench compare`: benchmark files (compare_bench.c, compare_attention.c) and report folders
 * (compare_reports.c), chosen by cmd_compare.c. */
#ifndef SINKBENCH_COMPARE_H
#define SINKBENCH_COMPARE_H

#include <stddef.h>

#include "io/bench_results.h"
#include "io/json_helpers.h"

typedef struct sb_compare_options {
    const char *metric;      /* cpu_time or real_time */
    double alpha;            /* significance level of the * mark */
    const char *filter;      /* only benchmarks whose name contains it */
    int json;
} sb_compare_options;

/* Each table prints as text, or, when j is not NULL (--json), adds its members to the object j. */

/* One benchmark file: per softmax shape every kernel side by side, and the bandwidth (compare_bench.c). */
void sb_compare_side_by_side(const sb_bench_results *f, const sb_compare_options *o, json_object *j);

/* Two or more benchmark files: per benchmark, medians, spread, ratio to the first, Mann-Whitney U. */
void sb_compare_ratio_table(sb_bench_results *files, size_t nf, const sb_compare_options *o, json_object *j);

/* One benchmark file: the attention benchmarks side by side and their ratios (compare_attention.c);
 * nothing when the file has none. */
void sb_compare_attention(const sb_bench_results *f, const sb_compare_options *o, json_object *j);

/* Report folders: machines, speed, accuracy, bit-for-bit differences (Markdown on stdout).
 * Returns a CLI exit code. */
int sb_compare_reports(const char *const *dirs, size_t n, const sb_compare_options *o);

#endif
