/* What every fuzz harness shares: start-up (plugins, API rules), the kernels a case runs, relations
 * between two outputs judged by the one contract checker, and the violation report that aborts (the
 * crash AFL++ and libFuzzer record). docs/fuzzing.md describes the harnesses. */
#ifndef SINKBENCH_FUZZ_CHECK_H
#define SINKBENCH_FUZZ_CHECK_H

#include <stddef.h>
#include <stdint.h>

#include "fuzz_input.h"
#include "check/contract.h"
#include "sinkbench/attention.h"
#include "sinkbench/softmax_batch.h"

/* The libFuzzer interface, implemented by each harness (AFL++'s driver and replay_main.c call it too). */
int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Loads SINKBENCH_PLUGINS (so users' kernels are fuzzed like built-in ones), reads
 * SINKBENCH_FUZZ_KERNELS (comma-separated names: fuzz only those) and checks the API rules of every
 * supported kernel it will run once (sb_contract_check_api). Exits with status 3 when a plugin fails
 * to load or the list names no kernel; aborts with a report when a kernel breaks an API rule. */
void sb_fuzz_init(const char *target);

/* Names the harness in violation reports (sb_fuzz_init does it too; harnesses without kernels call
 * only this). */
void sb_fuzz_set_target(const char *target);

/* Name of the input being run (set by the replay binary; printed with a violation). */
extern const char *sb_fuzz_input_name;

/* The kernels one case runs, in registry order: every supported kernel when the header's selector is
 * 0, else the selected one if this CPU supports it; only those SINKBENCH_FUZZ_KERNELS names, if set. With contract_only, study kernels (ulp_bound < 0)
 * are left out. Returns the count (at most cap). */
size_t sb_fuzz_kernels(const sb_fuzz_row *row, int contract_only, const sb_softmax_kernel **out, size_t cap);

/* Registry indices of kernels that ran at least once (for the replay summary). */
int sb_fuzz_kernel_ran(size_t registry_index);

/* The attention harnesses' start-up: sb_fuzz_init, then every supported attention kernel must refuse
 * invalid descriptors (SB_EINVAL, output untouched); aborts with rule=invalid-descriptor otherwise. */
void sb_fuzz_attention_init(const char *target);

/* The attention kernels one case runs, in registry order: every supported one for selector 0, else
 * attention registry index (selector - 1) % count if supported; only SINKBENCH_FUZZ_KERNELS names,
 * if set. Returns the count (at most cap). */
size_t sb_fuzz_attention_kernels(unsigned selector, const sb_attention_kernel **out, size_t cap);
int sb_fuzz_attention_kernel_ran(size_t registry_index);

/* The batched kernels one case runs, in registry order: every supported one for selector 0, else
 * batched registry index (selector - 1) % count if supported; only SINKBENCH_FUZZ_KERNELS names, if
 * set. Returns the count (at most cap). */
size_t sb_fuzz_batch_kernels(unsigned selector, const sb_softmax_batch_kernel **out, size_t cap);
int sb_fuzz_batch_kernel_ran(size_t registry_index);

/* Judges got against ref as if ref were the oracle's answer, through sb_contract_compare, under the
 * label "<kernel>[<relation>]" and the given ulp bound. The row class comes from sb_oracle_classify,
 * so the NaN, exact-zero and range rules apply as for any kernel output. Returns 1 when it holds. */
int sb_fuzz_relation(const sb_softmax_kernel *k, const char *relation, double bound, const float *x, size_t n,
                     const sb_softmax_params *p, const float *got, const float *ref, sb_contract_result *r);

/* Prints "<target>: VIOLATION kernel=<kernel> rule=<rule> index=<i>", the detail, the input's name and
 * the decoded row to stderr, then aborts. */
_Noreturn void sb_fuzz_violation(const sb_fuzz_row *row, const char *kernel, const char *rule, size_t index,
                                 const char *detail);

/* Same, from a checker result. */
_Noreturn void sb_fuzz_contract_violation(const sb_fuzz_row *row, const sb_softmax_kernel *k,
                                          const sb_contract_result *r);

/* A scratch file for harnesses whose code under test takes a path: in memory (/dev/shm) unless
 * TMPDIR says otherwise, unlinked at once and reached through /proc/self/fd, so a fuzzer killing the
 * process leaves nothing behind (without /proc it stays named and is removed at exit). Up to 4 per
 * process; exits with status 3 when none can be made. */
const char *sb_fuzz_scratch_file(void);
/* Replaces the contents of a scratch file; exits with status 3 on an I/O error. */
void sb_fuzz_scratch_write(const char *path, const uint8_t *data, size_t size);

/* Is v one of the rules every kernel follows, study kernels included (status, guard zones, input,
 * floating-point control, in place)? */
int sb_fuzz_api_rule(sb_violation v);

#endif
