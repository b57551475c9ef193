/* Batched, fused softmax: the shape an inference engine calls softmax in. `rows` rows of `n` logits
 * each (heads x queries x keys flattened to rows), with an optional scale and an optional additive
 * mask applied first, a sink logit per head (gpt-oss) or softmax_1, and a thread count.
 *
 * Row r (0 <= r < rows) is, exactly:
 *
 *   t_j   = RN(RN(scale * x[r*x_stride + j]) + mask_j)        j = 0 .. n-1, binary32 arithmetic
 *   y[r*y_stride + 0 .. n) = sb_softmax_f32(t, n, {sink of row r})          bit for bit
 *
 * where mask_j is entry j of mask row (r / rows_per_mask_row) % mask_rows (0 without a mask; an f16
 * mask is converted exactly to binary32 first) and the sink of row r is sink_logits[(r /
 * rows_per_head) % n_heads] (SB_SOFTMAX_BATCH_SINK_LOGITS), 0 (SB_SOFTMAX_BATCH_SINK_SOFTMAX1) or none.
 * With scale 1 the product is x itself (exact); without a mask the sum is skipped. So the result is
 * what a user gets by computing the scaled and masked row in binary32 (one rounding for the product,
 * one for the sum, no fused multiply-add) and calling sb_softmax_f32 on it, on any CPU, for every
 * thread count: the numerics contract (docs/numerics.md) applies to t row by row, its edge rules
 * included (x = +inf with a -inf mask gives NaN, as +inf + -inf does). docs/kernels.md, "Batched
 * softmax", describes the threading. */
#ifndef SINKBENCH_SOFTMAX_BATCH_H
#define SINKBENCH_SOFTMAX_BATCH_H

#include <stddef.h>
#include "sinkbench/softmax.h"
#include "sinkbench/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum sb_softmax_mask_type {
    SB_SOFTMAX_MASK_NONE = 0,
    SB_SOFTMAX_MASK_F32 = 1, /* mask is const float * */
    SB_SOFTMAX_MASK_F16 = 2  /* mask is const uint16_t * holding IEEE binary16 (ggml's mask type) */
} sb_softmax_mask_type;

typedef enum sb_softmax_batch_sink {
    SB_SOFTMAX_BATCH_SINK_NONE = 0,
    SB_SOFTMAX_BATCH_SINK_LOGITS = 1,  /* a learned logit per head: sink_logits[head of the row] */
    SB_SOFTMAX_BATCH_SINK_SOFTMAX1 = 2 /* logit 0 for every row (softmax_1, "off by one") */
} sb_softmax_batch_sink;

/* Limits; larger values give SB_EINVAL. Rows are at most SB_SOFTMAX_MAX_N long (softmax.h). */
#define SB_SOFTMAX_BATCH_MAX_ROWS ((size_t)1 << 31)
#define SB_SOFTMAX_BATCH_MAX_THREADS 256u

/* One batched call. Strides count elements (floats for x and y, mask elements for the mask).
 * Input rows may overlap or repeat (x_stride 0 broadcasts one row); output rows must not overlap each
 * other (rows > 1: y_stride >= n) and the output span must not overlap any input span, except in
 * place: y == x with y_stride == x_stride. Fields a call does not use (the mask's with
 * SB_SOFTMAX_MASK_NONE, the sinks' without SB_SOFTMAX_BATCH_SINK_LOGITS) are ignored.
 * sb_softmax_batch_desc_init() fills in a dense default. */
typedef struct sb_softmax_batch_desc {
    size_t rows;               /* 0 .. SB_SOFTMAX_BATCH_MAX_ROWS; 0 does nothing (SB_OK) */
    size_t n;                  /* logits per row, 0 .. SB_SOFTMAX_MAX_N; 0 does nothing (SB_OK) */

    const float *x;            /* row r at x + r * x_stride */
    size_t x_stride;
    float *y;                  /* row r at y + r * y_stride */
    size_t y_stride;

    float scale;               /* multiplies every logit before the mask and the max; finite (0 allowed) */

    sb_softmax_mask_type mask_type;
    const void *mask;          /* mask row k at mask + k * mask_stride elements, n entries each */
    size_t mask_stride;        /* 0: one mask row for every row */
    size_t mask_rows;          /* >= 1: mask rows cycled through */
    size_t rows_per_mask_row;  /* >= 1: consecutive rows sharing one mask row. Row r uses mask row
                                * (r / rows_per_mask_row) % mask_rows: [heads x queries x keys] scores
                                * with a causal [queries x keys] mask: mask_rows = queries, 1 row each;
                                * [queries x heads x keys]: mask_rows = queries, heads rows each. */

    sb_softmax_batch_sink sink;
    const float *sink_logits;  /* n_heads logits (SB_SOFTMAX_BATCH_SINK_LOGITS): -inf is no sink, +inf
                                * takes all mass (row 0), NaN makes the row NaN */
    size_t n_heads;            /* >= 1 */
    size_t rows_per_head;      /* >= 1. Row r's head is (r / rows_per_head) % n_heads */

    size_t n_threads;          /* 0 or 1: the calling thread; more: the library's persistent thread pool
                                * (docs/attention.md, "The thread pool"), across rows and, for rows long
                                * enough for the chunked kernel, across a row's chunks. The result is
                                * bit-identical for every thread count. */
} sb_softmax_batch_desc;

/* Fills d for rows x n dense rows (strides n), scale 1, no mask, no sink, one thread; the caller then
 * sets x and y. */
void sb_softmax_batch_desc_init(sb_softmax_batch_desc *d, size_t rows, size_t n);

/* Checks every rule above without touching the data: SB_OK or SB_EINVAL (a NULL d or pointer, an
 * unknown mask type or sink kind, a non-finite scale, a zero count or group, sizes above the limits, a
 * pointer not aligned to its element, a span past the address space, overlapping output rows, an
 * output overlapping an input other than in place). Every batched kernel calls it first. */
sb_status sb_softmax_batch_check(const sb_softmax_batch_desc *d);

/* Row r as the softmax sees it: t[0..n) = the scaled and masked logits above, *params = the row's
 * sink. The one definition the kernels, the contract checker and the peers share. d must be valid
 * and r < rows. */
void sb_softmax_batch_row(const sb_softmax_batch_desc *d, size_t r, float *t, sb_softmax_params *params);

/* Best batched kernel for this CPU (honours SINKBENCH_ISA): SB_EINVAL for an invalid descriptor
 * (nothing written), SB_EUNSUPPORTED when no kernel runs. Row by row bit-identical to sb_softmax_f32
 * on the row sb_softmax_batch_row gives. Allocates nothing. */
sb_status sb_softmax_batch(const sb_softmax_batch_desc *d);

typedef sb_status (*sb_softmax_batch_fn)(const sb_softmax_batch_desc *d);

typedef struct sb_softmax_batch_kernel {
    const char *name;       /* "softmax_batch_avx2", "peer_onednn_batch", ... */
    const char *isa;
    const char *algorithm;  /* "batched" (ours: the ISA's dispatch plan per row), or the peer's */
    int (*supported)(void);
    sb_softmax_batch_fn fn;
    double ulp_bound;       /* claimed bound per entry of t's softmax; < 0: claims nothing (peers) */
    unsigned flags;         /* SB_KERNEL_* (softmax.h) */
    /* The single-row kernel whose output this one equals bit for bit on every row of length n, or
     * NULL (peers). For softmax_batch_<isa>: the kernel the <isa> dispatch plan lists for n. */
    const sb_softmax_kernel *(*row_kernel)(size_t n);
} sb_softmax_batch_kernel;

/* The batched registry: built-in kernels first, then those added with sb_softmax_batch_register()
 * (plugins: peers' batched entry points). Indices are stable for the life of the process. */
size_t sb_softmax_batch_kernel_count(void);
const sb_softmax_batch_kernel *sb_softmax_batch_kernel_at(size_t i);
const sb_softmax_batch_kernel *sb_softmax_batch_kernel_find(const char *name);

/* Adds a kernel (copied; strings must outlive the process). SB_EINVAL for a NULL required field or a
 * duplicate name, SB_ENOMEM when full. Not thread-safe: register before other threads use it. */
sb_status sb_softmax_batch_register(const sb_softmax_batch_kernel *kernel);

/* The batched kernel sb_softmax_batch uses: softmax_batch_<isa> for the ISA of sb_dispatch_isa()
 * (dispatch.h), or NULL when no ISA can serve. */
const sb_softmax_batch_kernel *sb_softmax_batch_dispatch(void);

#ifdef __cplusplus
}
#endif
#endif
