/* The numerics contract checker (docs/numerics.md): the one piece of code that decides whether a
 * kernel's output is right. Tests, fuzzers, the CLI's `check`, the stability study and reports all
 * call it, so they can never disagree about what "correct" means. */
#ifndef SINKBENCH_CONTRACT_H
#define SINKBENCH_CONTRACT_H

#include <stddef.h>
#include <stdint.h>

#include "check/oracle.h"
#include "sinkbench/softmax.h"

typedef enum sb_violation {
    SB_V_NONE = 0,
    SB_V_STATUS,          /* wrong status code (valid input not SB_OK, invalid input not SB_EINVAL) */
    SB_V_NAN_EXPECTED,    /* the row has a NaN (or NaN sink) but an output is not NaN */
    SB_V_NAN_UNEXPECTED,  /* an output is NaN where the contract gives a number */
    SB_V_NOT_ZERO,        /* a masked entry, a +inf-sink row or a massless row must give exactly 0 */
    SB_V_RANGE,           /* an output outside [0, 1] */
    SB_V_ULP,             /* error above the kernel's ulp_bound */
    SB_V_OUT_OF_BOUNDS,   /* wrote outside y[0..n) (or wrote anything for n == 0) */
    SB_V_INPUT_MODIFIED,  /* changed x when running out of place */
    SB_V_FP_CONTROL,      /* left MXCSR / FPCR changed */
    SB_V_IN_PLACE,        /* in-place result differs from the out-of-place result */
    SB_V_COUNT
} sb_violation;

typedef struct sb_contract_result {
    sb_violation violation;  /* the first violation found, SB_V_NONE when the kernel passed */
    size_t index;            /* its entry, or SIZE_MAX when it is not about one entry */
    float got, want;
    uint64_t max_ulp;        /* largest integer ulp distance to the correctly rounded value */
    size_t max_ulp_index;
    double sum_ulp_error;    /* sum of fractional ulp errors against the exact values (for means) */
    size_t compared;         /* entries that entered max_ulp / sum_ulp_error */
    char message[384];       /* one line naming kernel, n, index, got and want, and the rule */
} sb_contract_result;

const char *sb_violation_name(sb_violation v);

/* Compares y (the kernel's output for x, n, params) with the oracle's expectation and fills in the
 * statistics. Returns 1 when the output obeys the contract. Study kernels (ulp_bound < 0) are judged
 * against the 2-ulp target of the accurate kernels, so a report can say where they break; whether
 * that fails anything is the caller's decision (sb_suite_failed() ignores them). */
int sb_contract_compare(const sb_softmax_kernel *k, const float *x, size_t n, const sb_softmax_params *p,
                        const float *y, const sb_oracle *want, sb_contract_result *r);

typedef struct sb_run_options {
    size_t misalign;   /* floats past a 64-byte boundary for x and y (0..15) */
    int in_place;      /* also run with y == x and require the same output */
} sb_run_options;

/* Runs k on a private, guarded, misaligned copy of x and checks everything the contract says about
 * one call: status, untouched input and guard zones, floating-point control state, the values
 * (sb_contract_compare) and, when asked, in-place equality. y_out (optional, n entries) receives the
 * out-of-place output. Returns 1 on success; SB_ENOMEM-like failures are reported as SB_V_STATUS with
 * a message saying so. */
int sb_contract_run(const sb_softmax_kernel *k, const float *x, size_t n, const sb_softmax_params *p,
                    const sb_oracle *want, const sb_run_options *opt, sb_contract_result *r, float *y_out);

/* The API rules every kernel (study kernels too) must follow: SB_EINVAL for NULL pointers with
 * n > 0, partial overlap, n > SB_SOFTMAX_MAX_N and unknown sink kinds, without touching memory;
 * SB_OK and no writes for n == 0. Returns 1 on success. */
int sb_contract_check_api(const sb_softmax_kernel *k, sb_contract_result *r);

#endif
