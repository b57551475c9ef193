/* `sinkbench compare`: benchmark files (compare_bench.c, compare_attention.c) and report folders
 * (compare_reports.c), chosen by cmd_compare.c. */
#ifndef SINKBENCH_COMPARE_H
#define SINKBENCH_COMPARE_H

#include <stddef.h>
#include <stdio.h>

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

/* One benchmark file (path): the batched softmax tables (compare_batch.c), Markdown on out or, when j
 * is not NULL, the "batch" array of j. Returns how many of io/bench_schema.h's batched shapes (a shape
 * at 1 and 2 threads counts once) lack a usable result of ours at either thread count. strict (the
 * report): each such shape is an error line; else (compare) shapes without results are left out. */
size_t sb_compare_batch(const char *path, FILE *out, json_object *j, int strict);

/* Report folders: machines, speed, accuracy, bit-for-bit differences (Markdown on stdout).
 * Returns a CLI exit code. */
int sb_compare_reports(const char *const *dirs, size_t n, const sb_compare_options *o);

#endif
