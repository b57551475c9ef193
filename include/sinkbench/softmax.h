/* Softmax over one row of binary32 logits, with optional attention sinks.
 *
 * Semantics (docs/numerics.md is normative):
 *   m   = max(max_j x_j, s)                       s = sink logit, or -inf without a sink
 *   y_i = exp(x_i - m) / (sum_j exp(x_j - m) + exp(s - m))
 * A learned per-head sink (gpt-oss) is SB_SINK_LOGIT with its logit; softmax_1 ("off by one") is
 * SB_SINK_LOGIT with logit 0. The sink adds to the denominator only; it has no output entry. */
#ifndef SINKBENCH_SOFTMAX_H
#define SINKBENCH_SOFTMAX_H

#include <stddef.h>
#include "sinkbench/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum sb_sink_kind { SB_SINK_NONE = 0, SB_SINK_LOGIT = 1 } sb_sink_kind;

typedef struct sb_softmax_params {
    sb_sink_kind sink;
    float sink_logit;
} sb_softmax_params;

/* Longest row any kernel accepts; longer rows give SB_EINVAL. The error bounds are tested up to 16 M. */
#define SB_SOFTMAX_MAX_N ((size_t)1 << 31)

/* Best kernel for this CPU and row length. params may be NULL (no sink). y == x is allowed (in place);
 * any other overlap of x and y is SB_EINVAL. n == 0 is SB_OK and writes nothing. */
sb_status sb_softmax_f32(const float *x, float *y, size_t n, const sb_softmax_params *params);

typedef sb_status (*sb_softmax_fn)(const float *x, float *y, size_t n, const sb_softmax_params *params);

/* Kernel flags. */
#define SB_KERNEL_EMULATED 1u  /* a foreign ISA emulated by SIMDe: tested for correctness, never dispatched */
#define SB_KERNEL_PLUGIN   2u  /* registered at run time by a plugin */
#define SB_KERNEL_PEER     4u  /* another project's kernel behind an adapter (XNNPACK, oneDNN, ...) */

typedef struct sb_softmax_kernel {
    const char *name;       /* "softmax_three_pass_avx512", "softmax_reference_f64", ... */
    const char *isa;        /* "scalar", "sse2", "avx2", "avx512", "neon" */
    const char *algorithm;  /* "three_pass", "online", "reference", "naive", ... */
    int (*supported)(void); /* non-zero when this CPU can run it */
    sb_softmax_fn fn;
    double ulp_bound;       /* claimed max error in ulp under docs/numerics.md; < 0: study kernel outside the contract */
    unsigned flags;         /* SB_KERNEL_* */
} sb_softmax_kernel;

/* The registry: built-in kernels first, then those added with sb_softmax_register(). Indices are
 * stable for the life of the process. */
size_t sb_softmax_kernel_count(void);
const sb_softmax_kernel *sb_softmax_kernel_at(size_t i);
const sb_softmax_kernel *sb_softmax_kernel_find(const char *name);

/* Adds a kernel (copied; the strings must outlive the process, as a plugin's literals do).
 * SB_EINVAL for a NULL field or a duplicate name, SB_ENOMEM when full. Not thread-safe: register
 * before other threads use the registry. */
sb_status sb_softmax_register(const sb_softmax_kernel *kernel);

/* The kernel sb_softmax_f32 uses for rows of length n on this CPU, on the ISA of sb_dispatch_isa()
 * (dispatch.h: honours SINKBENCH_ISA); NULL when no ISA can serve. */
const sb_softmax_kernel *sb_softmax_dispatch(size_t n);

/* Checks the arguments every kernel must reject; kernels call it first. */
sb_status sb_softmax_check_args(const float *x, const float *y, size_t n, const sb_softmax_params *params);

#ifdef __cplusplus
}
#endif
#endif
