/* The attention contract suite: every registered attention kernel against the binary64 reference on
 * a fixed, seeded list of problems (decode, split-KV and causal prefill; MHA, GQA and MQA; head
 * dimensions on and off the vector path; f32, f16 and bf16 KV; masks, windows with sink tokens,
 * learned sinks and softmax_1 with gaps up to 120; padding, misalignment, threads; NaN and infinity
 * in q, k, v and the mask). `sinkbench check`, the report and the tests run this same list through
 * the one checker (attention_contract.h). Part of sinkbench_check. */
#ifndef SINKBENCH_ATTENTION_SUITE_H
#define SINKBENCH_ATTENTION_SUITE_H

#include <stddef.h>
#include <stdint.h>

#include "check/attention_contract.h"
#include "check/attention_problem.h"
#include "check/suite.h"

typedef struct sb_attention_suite_stats {
    const sb_attention_kernel *kernel;
    int skipped;              /* not supported on this CPU, emulated and not asked for, or not selected */
    size_t problems, rows, failures;   /* failures: problems with a broken rule */
    size_t rows_formula, rows_special;
    double max_c;             /* largest error in units of 2^-24 * R * max|v| over formula rows */
    double max_ratio;         /* largest error / tolerance (<= 1 passes) */
    sb_attention_contract_result first;  /* the first failure */
    size_t first_case;
    const char *first_label;
} sb_attention_suite_stats;

/* Number of problems at this level, and the i-th one's label, spec and seed (deterministic from the
 * suite seed). */
size_t sb_attention_suite_case_count(sb_suite_level level);
const char *sb_attention_suite_case(sb_suite_level level, uint64_t seed, size_t i, sb_attention_spec *spec,
                                    uint64_t *case_seed);

/* Builds case i (inputs, specials, and the reference's answer); 0 when memory runs out. */
int sb_attention_suite_build(sb_suite_level level, uint64_t seed, size_t i, sb_attention_problem *p,
                             sb_attention_expected *e);

/* Runs the suite; stats has sb_attention_kernel_count() entries (one per registry index). o->kernel,
 * when set, selects one attention kernel by name (a softmax kernel name selects none).
 * Returns SB_OK, or SB_ENOMEM. */
sb_status sb_attention_suite_run(const sb_suite_options *o, sb_attention_suite_stats *stats);

/* Non-zero when a kernel with a bound failed (study kernels never fail the suite). */
int sb_attention_suite_failed(const sb_attention_suite_stats *stats, size_t count);

#endif
