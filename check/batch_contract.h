/* The batched softmax's contract checker: one call of a batched kernel judged row by row by the
 * softmax checker (check/contract.h: the oracle on the row sb_softmax_batch_row defines, the NaN,
 * exact-zero and range rules, the ulp bound), plus what a batch adds:
 *   status, no write outside the output rows (guard zones and the padding between rows), inputs
 *   (logits, mask, sinks) untouched, floating-point control state, and the batched promises: row by
 *   row bit-identical to the kernel's row kernel (softmax_batch_<isa>: its plan's kernel for n), the
 *   same bits for every thread count, in place the same bits as out of place.
 * Tests, `sinkbench check`, the fuzz target softmax_batch and the benchmarks all call it. */
#ifndef SINKBENCH_BATCH_CONTRACT_H
#define SINKBENCH_BATCH_CONTRACT_H

#include <stddef.h>
#include <stdint.h>

#include "check/batch_problem.h"
#include "check/contract.h"
#include "sinkbench/softmax_batch.h"

typedef struct sb_batch_contract_result {
    const char *rule;          /* NULL: passed; else the first rule broken: a softmax rule
                                * (sb_violation_name), "status", "out-of-bounds-write",
                                * "padding-written", "input-modified", "fp-control-changed",
                                * "row-kernel", "threads", "in-place", "oracle" */
    size_t row, index;         /* where (SIZE_MAX when not about one row / entry) */
    uint64_t max_ulp;          /* over every row's entries (SB_ULP_INFINITE: a NaN where a number was due) */
    double sum_ulp_error;
    size_t compared, rows;
    char message[640];
} sb_batch_contract_result;

typedef struct sb_batch_run_options {
    const size_t *threads;     /* further thread counts whose output must equal the first call's, bit for bit */
    size_t thread_count;
    int in_place;              /* also run in place (when the problem's x is not broadcast) */
    int skip_oracle;           /* judge only the API-level rules and the bit-identities (peers' big shapes) */
} sb_batch_run_options;

/* Runs k on problem p (its descriptor, with an output of the checker's own: guard zones, NaN-free
 * canaries in the padding) at p->d.n_threads, then at every thread count of o, then in place.
 * out (optional, p->y_span floats) receives the first call's output span. Returns 1 when every
 * rule held. Peers (ulp_bound < 0) are judged against the 2-ulp target like study kernels: the
 * caller decides whether that fails anything. */
int sb_contract_batch_run(const sb_softmax_batch_kernel *k, const sb_batch_problem *p, const sb_batch_run_options *o,
                          sb_batch_contract_result *r, float *out);

/* The descriptor rules every batched kernel must follow: SB_EINVAL without touching memory for
 * every invalid descriptor (NULLs, bad kinds, zero groups, non-finite scale, limits, misaligned
 * pointers, overlapping output rows, outputs overlapping inputs), SB_OK and no writes for zero rows
 * or n == 0. Returns 1 on success. */
int sb_contract_batch_check_api(const sb_softmax_batch_kernel *k, sb_batch_contract_result *r);

#endif
