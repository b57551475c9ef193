/* The input format of the softmax_batch harness (docs/fuzzing.md, "softmax_batch"): a 32-byte header
 * that decodes to a batched-softmax descriptor (shape, strides, misalignment, scale, mask type,
 * layout and fill, sinks per head or softmax_1, thread count, in place), then raw binary32 values:
 * the sink logits and the mask when the header asks for raw ones, then the logits, cycled to fill
 * every row. Every byte string is a valid input; a non-finite scale makes an invalid descriptor, which
 * every kernel must refuse without writing. Shared by the harness and the seed generator. */
#ifndef SINKBENCH_FUZZ_BATCH_H
#define SINKBENCH_FUZZ_BATCH_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "check/batch_problem.h"

#define SB_FUZZ_BATCH_HEADER_SIZE 32

/* header.flags */
#define SB_FUZZ_BATCH_IN_PLACE 0x01u   /* also run in place */
#define SB_FUZZ_BATCH_BROADCAST 0x02u  /* x_stride 0 */
#define SB_FUZZ_BATCH_LONG 0x04u       /* rows of 131072 .. 196607 entries (the chunked kernel), at most 2 */
#define SB_FUZZ_BATCH_RAW_SINKS 0x08u  /* the sink logits are the first n_heads raw floats */
#define SB_FUZZ_BATCH_RAW_MASK 0x10u   /* the mask's values are the next raw floats (cycled) */

typedef struct sb_fuzz_batch_header {
    uint8_t kernel;        /*  0: 0 = every batched kernel and sb_softmax_batch; k: registry index (k - 1) % count */
    uint8_t flags;         /*  1: SB_FUZZ_BATCH_* */
    uint8_t rows;          /*  2: 1 + rows % 12 (long rows: 1 + rows % 2) */
    uint8_t mask;          /*  3: type mask % 3 (none, f32, f16), fill (mask / 3) % 3 (random, causal, all) */
    uint16_t n;            /*  4: n % 301 (long rows: 131072 + n) */
    uint8_t x_pad, y_pad;  /*  6, 7: % 8 */
    uint8_t misalign;      /*  8: % 16 floats */
    uint8_t mask_rows;     /*  9: 1 + % 6 */
    uint8_t rows_per_mask_row; /* 10: 1 + % 4 */
    uint8_t mask_pad;      /* 11: % 4 */
    uint8_t sink;          /* 12: % 3: none, logits, softmax_1 */
    uint8_t n_heads;       /* 13: 1 + % 8 */
    uint8_t rows_per_head; /* 14: 1 + % 5 */
    uint8_t threads;       /* 15: 1 + % 4 */
    float scale;           /* 16: 0 means 1; non-finite: an invalid descriptor */
    float sink_gap;        /* 20: head h's logit is sink_gap * (h + 1) / n_heads (without RAW_SINKS) */
    uint32_t mask_seed;    /* 24: the generated mask's random values */
    uint32_t reserved;     /* 28 */
} sb_fuzz_batch_header;

/* A decoded input: the problem (buffers sized to exactly its spans, NaN in the padding) and the
 * header. */
typedef struct sb_fuzz_batch {
    sb_fuzz_batch_header h;
    sb_batch_problem p;
    int valid;             /* 0: the descriptor is invalid on purpose (non-finite scale) */
    size_t threads;
} sb_fuzz_batch;

/* Decodes data; 0 when out of memory. sb_fuzz_batch_free releases it. */
int sb_fuzz_batch_decode(const uint8_t *data, size_t size, sb_fuzz_batch *b);
void sb_fuzz_batch_free(sb_fuzz_batch *b);

/* Writes h and count raw floats into out (cap bytes); returns the length, 0 when it does not fit. */
size_t sb_fuzz_batch_encode(const sb_fuzz_batch_header *h, const float *raw, size_t count, uint8_t *out, size_t cap);

/* One paragraph describing a decoded input, for violation reports. */
void sb_fuzz_batch_describe(const sb_fuzz_batch *b, FILE *f);

#endif
