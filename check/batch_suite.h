/* The batched-softmax contract suite: every registered batched kernel (ours per ISA, peers' batched
 * entry points) on a fixed list of seeded problems (decode and prefill shapes, f32 and f16 masks,
 * causal and random, [heads x queries] and [queries x heads] layouts, per-head learned sinks and
 * softmax_1, padding, misalignment, broadcast logits, in place, short rows and rows long enough for
 * the chunked kernel, the contract's edge rows) through the one batched checker
 * (check/batch_contract.h), at 1 to 4 threads. `sinkbench check` and the tests run this list. */
#ifndef SINKBENCH_BATCH_SUITE_H
#define SINKBENCH_BATCH_SUITE_H

#include <stddef.h>
#include <stdint.h>

#include "check/batch_contract.h"
#include "check/suite.h"

typedef struct sb_batch_suite_stats {
    const sb_softmax_batch_kernel *kernel;
    int skipped;              /* not supported here, or not the kernel asked for */
    int api_ok;
    sb_batch_contract_result api; /* when !api_ok */
    size_t problems, rows, failures;
    uint64_t max_ulp;
    double sum_ulp_error;
    size_t entries;
    sb_batch_contract_result first;  /* the first failing problem */
    size_t first_case;
    const char *first_label;
} sb_batch_suite_stats;

size_t sb_batch_suite_case_count(sb_suite_level level);
/* The i-th problem's label, spec and seed (deterministic from the suite seed). */
const char *sb_batch_suite_case(sb_suite_level level, uint64_t seed, size_t i, sb_batch_spec *spec, uint64_t *case_seed);

/* The thread counts every problem is also run at (one under emulation: qemu-user hangs in
 * pthread_create); *count receives how many. */
const size_t *sb_batch_suite_threads(size_t *count);

/* Runs the suite; stats has sb_softmax_batch_kernel_count() entries. o->kernel selects one batched
 * kernel by name (another registry's name selects none). SB_OK or SB_ENOMEM. */
sb_status sb_batch_suite_run(const sb_suite_options *o, sb_batch_suite_stats *stats);

/* Non-zero when a kernel with a bound failed, or any kernel broke the descriptor rules. */
int sb_batch_suite_failed(const sb_batch_suite_stats *stats, size_t count);

#endif
