/* Google Benchmark JSON reports read back (as sinkbench-bench writes them): per benchmark run, the
 * per-repetition times in ns, their median and spread, the entry with the counters and label, or the
 * reason it was skipped. Used by `sinkbench compare` (and the report). */
#ifndef SINKBENCH_BENCH_RESULTS_H
#define SINKBENCH_BENCH_RESULTS_H

#include <stddef.h>

#include "io/json_helpers.h"

typedef struct sb_bench_series {
    const char *name;        /* run_name (points into the document) */
    double *t;               /* per-repetition times, ns per iteration */
    size_t nt, cap;
    double median_agg;       /* the file's own median aggregate, when only aggregates were written */
    int has_median_agg;
    const json_object *entry; /* the first repetition's entry (counters, label) */
    const char *error;       /* error_message of a skipped run */
    double median, spread;   /* ns; spread = (max - min) / median, NAN with one repetition */
    int usable;              /* not skipped, and has a time */
} sb_bench_series;

typedef struct sb_bench_results {
    char *path;              /* a copy of the path it was loaded from, owned (freed by sb_bench_results_free) */
    json_object *doc;        /* the parsed report (json-c) */
    sb_bench_series *s;
    size_t ns, cap;
} sb_bench_results;

/* Reads path; metric is "cpu_time" or "real_time"; filter (optional) keeps names containing it.
 * Returns 0 with a one-line reason naming the file in err; r must be freed either way. */
int sb_bench_results_load(sb_bench_results *r, const char *path, const char *metric, const char *filter,
                          char *err, size_t err_size);
void sb_bench_results_free(sb_bench_results *r);
const sb_bench_series *sb_bench_results_find(const sb_bench_results *r, const char *name);
/* A string of the report's context, "?" when absent. */
const char *sb_bench_results_context(const sb_bench_results *r, const char *key);
/* The value of key=VALUE in the run's label ("role=peer isa=avx2 ..."); "" when absent. */
void sb_bench_series_label(const sb_bench_series *s, const char *key, char *out, size_t size);
/* A counter of the run (its first repetition); NAN when absent. */
double sb_bench_series_counter(const sb_bench_series *s, const char *key);

#endif
