/* The contract suite: every registered kernel against the oracle on a fixed, seeded list of rows
 * (sink gaps, sink places, tails, lengths, edge classes, misalignment, in place). `sinkbench check`,
 * the tests and the report run this same list. */
#ifndef SINKBENCH_SUITE_H
#define SINKBENCH_SUITE_H

#include <stddef.h>
#include <stdint.h>

#include "check/contract.h"
#include "check/rowgen.h"

typedef enum sb_suite_level {
    SB_SUITE_QUICK,   /* a few seconds: short rows, 4096, every edge class */
    SB_SUITE_FULL,    /* adds lengths 0..64 exhaustively, 4095/4097 and 1 M rows */
} sb_suite_level;

typedef struct sb_suite_options {
    sb_suite_level level;
    uint64_t seed;
    const char *kernel;      /* only this kernel (NULL: all supported) */
    int include_emulated;    /* also SIMDe-emulated kernels (default in tests: yes) */
    void (*progress)(size_t done, size_t total, void *ctx);
    void *progress_ctx;
} sb_suite_options;

typedef struct sb_suite_stats {
    const sb_softmax_kernel *kernel;
    int skipped;             /* not supported on this CPU */
    int api_ok;
    sb_contract_result api;  /* when !api_ok */
    size_t rows, failures;
    uint64_t max_ulp;
    double sum_ulp_error;
    size_t entries;
    size_t rows_by_rule[SB_V_COUNT];     /* failing rows, by the first rule each row broke */
    sb_contract_result first_by_rule[SB_V_COUNT];
    /* the first failing row, to replay it */
    sb_contract_result first;
    sb_row_spec first_spec;
    uint64_t first_seed;
    sb_run_options first_run;
} sb_suite_stats;

/* Number of rows the suite generates at this level. */
size_t sb_suite_row_count(sb_suite_level level);
/* The i-th row's spec and seed (deterministic from the suite seed). */
void sb_suite_row(sb_suite_level level, uint64_t seed, size_t i, sb_row_spec *spec, uint64_t *row_seed,
                  sb_run_options *run);

/* Runs the suite; stats has sb_softmax_kernel_count() entries (one per registry index).
 * Returns SB_OK, or SB_ENOMEM. */
sb_status sb_suite_run(const sb_suite_options *o, sb_suite_stats *stats);

/* Non-zero when a contract kernel failed (study kernels never fail the suite). */
int sb_suite_failed(const sb_suite_stats *stats, size_t count);

#endif
