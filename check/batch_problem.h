/* Seeded batched-softmax problems (include/sinkbench/softmax_batch.h): a descriptor with its own
 * buffers, allocated to exactly the spans the descriptor describes (so AddressSanitizer sees a read
 * past them), padding between rows filled with NaN (a kernel that reads it gives NaN), the rows'
 * logits drawn by check/rowgen. Tests, `sinkbench check`, the fuzz seed generator and the benchmarks
 * build their batched inputs here. Part of sinkbench_check. */
#ifndef SINKBENCH_BATCH_PROBLEM_H
#define SINKBENCH_BATCH_PROBLEM_H

#include <stddef.h>
#include <stdint.h>

#include "check/rowgen.h"
#include "sinkbench/softmax_batch.h"

typedef enum sb_batch_mask_fill {
    SB_BATCH_MASK_RANDOM,  /* small additive values (|v| <= 2), about a fifth -inf */
    SB_BATCH_MASK_CAUSAL,  /* mask row k sees entries j <= k + n - mask_rows: 0 there, -inf after
                            * (prefill: mask_rows queries, the last mask_rows positions of n keys) */
    SB_BATCH_MASK_ALL,     /* every entry -inf: fully masked rows (zeros, or the sink takes the mass) */
    SB_BATCH_MASK_FILLS
} sb_batch_mask_fill;

typedef struct sb_batch_spec {
    size_t rows, n;
    size_t x_pad, y_pad;       /* row strides n + pad */
    int x_broadcast;           /* x_stride 0: every row reads the same logits */
    size_t misalign;           /* floats past a 64-byte boundary, x and y (0..15) */
    float scale;               /* 0 means 1 */
    sb_softmax_mask_type mask_type;
    sb_batch_mask_fill mask_fill;
    size_t mask_rows, rows_per_mask_row, mask_pad;
    sb_softmax_batch_sink sink;
    size_t n_heads, rows_per_head;
    double sink_gap;           /* head h's logit: sink_gap * (h + 1) / n_heads above the rows' largest
                                * tail logit (rowgen puts it at the row's offset) */
    int sink_edge;             /* 0, or head 0's logit is 1: NaN, 2: +inf, 3: -inf */
    sb_row_spec row;           /* the rows' logits (n is taken from above; a learned-sink place gives
                                * no sink here: sinks come from the fields above) */
    int edge_every;            /* row.edge applies to rows r with r % edge_every == 1 (0: every row) */
    size_t threads;
    int in_place;              /* the checker also runs the call in place */
} sb_batch_spec;

typedef struct sb_batch_problem {
    sb_softmax_batch_desc d;   /* x, mask and sinks point into the buffers below; y is NULL (the
                                * checker gives each call its own guarded output) */
    float *x;                  /* allocation base of the logits */
    void *mask;
    float *sinks;
    size_t x_span, y_span;     /* floats spanned by the rows of x and of y */
    size_t misalign;
    int in_place;
} sb_batch_problem;

/* Builds the problem of spec with seed: SB_OK or SB_ENOMEM. */
sb_status sb_batch_problem_make(const sb_batch_spec *spec, uint64_t seed, sb_batch_problem *p);
void sb_batch_problem_free(sb_batch_problem *p);

/* Floats spanned by `rows` rows of n with stride s (0 for rows == 0 or n == 0). */
size_t sb_batch_span(size_t rows, size_t stride, size_t n);

/* One line describing spec, for messages. */
void sb_batch_spec_describe(const sb_batch_spec *spec, char *buf, size_t size);

#endif
