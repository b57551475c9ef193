/* What every benchmark family of the suite shares: the preset being run and the family table.
 *
 * A family (softmax, bandwidth, and later attention) is one source file with one function that
 * registers its benchmarks for the chosen preset; bench_main.c lists the families in the order they
 * run. Adding attention benchmarks is: write bench_attention.c with sb_bench_add_attention(), add its
 * cases to the presets (bench_presets.c) and one line to the table in bench_main.c. */
#ifndef SINKBENCH_BENCH_SUITE_H
#define SINKBENCH_BENCH_SUITE_H

#include <stddef.h>
#include <stdint.h>

/* One softmax input shape: rows of n logits with a sink token gap above the largest tail logit. */
typedef struct sb_bench_case {
    size_t n;
    int gap;          /* sink logit minus the largest tail logit (rowgen's Delta) */
    size_t rows;
} sb_bench_case;

typedef struct sb_bench_preset {
    const char *name;             /* "quick", "full" */
    const char *summary;
    const sb_bench_case *softmax; /* in the order they run */
    size_t nsoftmax;
    double min_time;              /* seconds, Google Benchmark's --benchmark_min_time */
    int repetitions;
} sb_bench_preset;

typedef struct sb_bench_config {
    const sb_bench_preset *preset;
    uint64_t seed;                /* every input row comes from kernels/oracle/rowgen with this seed */
    size_t max_n;                 /* cases with longer rows are left out (0: none) */
} sb_bench_config;

/* Whether a case is in this run (the --max-n cap). */
int sb_bench_case_wanted(const sb_bench_config *cfg, const sb_bench_case *c);

const sb_bench_preset *sb_bench_preset_find(const char *name);
/* The presets, NULL-terminated, for --help. */
extern const sb_bench_preset *const sb_bench_presets[];

/* The families. Each returns 0 when it could not register (out of memory). */
int sb_bench_add_bandwidth(const sb_bench_config *cfg);
int sb_bench_add_softmax(const sb_bench_config *cfg);

#endif
