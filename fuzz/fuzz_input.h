/* The structured fuzz input shared by every softmax harness, the replay binaries and the seed generator
 * (docs/fuzzing.md, "Input format"): a 28-byte header followed by raw binary32 logits.
 *
 * The header lets a mutation reach the rows that matter in a few steps: one byte turns on a learned
 * sink, a relative sink gap of 1e4, a fully masked row or a misaligned in-place call; the raw floats
 * reach NaN, +-inf, +-FLT_MAX and subnormals directly (softmax.dict lists their bit patterns). Every
 * byte string is a valid input: missing header bytes read as 0, missing floats are cycled. */
#ifndef SINKBENCH_FUZZ_INPUT_H
#define SINKBENCH_FUZZ_INPUT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "sinkbench/softmax.h"

#define SB_FUZZ_HEADER_SIZE 28
/* Row length from the 16-bit length field: below SB_FUZZ_LONG_CODE a short row, n = length % 257; from
 * it on a long row, n = 257 + (length - SB_FUZZ_LONG_CODE) % 3843, up to 4099 (block edges 4095..4097
 * are 0xfefe..0xff00). A random field gives a long row 1 time in 16: long rows cost ~30 short ones. */
#define SB_FUZZ_SHORT_MAX_N 256
#define SB_FUZZ_LONG_MAX_N 4099
#define SB_FUZZ_LONG_CODE 0xf000u

/* header.flags */
#define SB_FUZZ_IN_PLACE 0x01u      /* also run in place (y == x) */
#define SB_FUZZ_NULL_PARAMS 0x02u   /* pass params = NULL when the row has no sink (allowed by the API) */
#define SB_FUZZ_TRANSFORM 0x04u     /* x = raw * scale + offset instead of raw */
#define SB_FUZZ_SINK_RELATIVE 0x08u /* the sink's value is (largest unmasked logit) + sink_logit */
#define SB_FUZZ_MISALIGN_SHIFT 4    /* bits 4..7: floats past a 64-byte boundary (0..15) */

typedef enum sb_fuzz_sink_mode {   /* header.sink_mode % 4 */
    SB_FUZZ_SINK_NONE,
    SB_FUZZ_SINK_LEARNED,          /* SB_SINK_LOGIT with the header's value (gpt-oss) */
    SB_FUZZ_SINK_SOFTMAX1,         /* SB_SINK_LOGIT with logit 0 */
    SB_FUZZ_SINK_TOKEN             /* a sink token in the row at sink_pos % n, with the header's value */
} sb_fuzz_sink_mode;

typedef enum sb_fuzz_mask {        /* header.mask % 8; mask_param is p below */
    SB_FUZZ_MASK_NONE,
    SB_FUZZ_MASK_ALL,              /* every entry, the sink token included: a fully masked row */
    SB_FUZZ_MASK_STRIDE,           /* entries i with i % (2 + p % 15) == 0 */
    SB_FUZZ_MASK_CAUSAL,           /* all but the first p*n/255 entries */
    SB_FUZZ_MASK_WINDOW,           /* all but the last p*n/255 entries (and the sink token) */
    SB_FUZZ_MASK_PERIODIC,         /* entry i when bit i % 8 of p is set */
    SB_FUZZ_MASK_ALL_BUT_ONE,      /* all but the sink token (or entry p % n) */
    SB_FUZZ_MASK_RANDOM,           /* about half, from sb_rng seeded with p */
    SB_FUZZ_MASK_COUNT
} sb_fuzz_mask;
#define SB_FUZZ_MASK_FLT_MAX 0x08u  /* header.mask bit 3: mask with -FLT_MAX instead of -inf */

/* The header, field by field, little-endian, at these byte offsets. */
typedef struct sb_fuzz_header {
    uint8_t kernel;      /*  0: 0 = every kernel; k = registry index (k - 1) % count */
    uint8_t flags;       /*  1: SB_FUZZ_* */
    uint16_t length;     /*  2: row length, see SB_FUZZ_LONG_CODE */
    uint8_t sink_mode;   /*  4: sb_fuzz_sink_mode */
    uint8_t mask;        /*  5: sb_fuzz_mask | SB_FUZZ_MASK_FLT_MAX */
    uint8_t mask_param;  /*  6 */
    uint8_t split;       /*  7: harness-specific (softmax_invariants: chunk count) */
    uint16_t sink_pos;   /*  8: index of a sink token, modulo n */
    uint16_t aux;        /* 10: harness-specific (softmax_invariants: token position) */
    float sink_logit;    /* 12 */
    float scale;         /* 16: with SB_FUZZ_TRANSFORM */
    float offset;        /* 20: with SB_FUZZ_TRANSFORM */
    float shift;         /* 24: harness-specific (softmax_invariants: the shift) */
} sb_fuzz_header;

/* A decoded row. */
typedef struct sb_fuzz_row {
    sb_fuzz_header h;
    size_t n;
    const float *x;            /* the caller's buffer, n entries */
    sb_softmax_params params;
    const sb_softmax_params *p;  /* what kernels get: &params, or NULL (SB_FUZZ_NULL_PARAMS, no sink) */
    size_t sink_index;         /* the sink token's index, or SIZE_MAX */
    size_t misalign;
    int in_place;
    size_t raw_floats;         /* whole floats after the header (cycled to n) */
} sb_fuzz_row;

/* Reads fixed-size fields out of a byte string with memcpy; once it is exhausted every field is 0.
 * Future harnesses (attention_diff, stack_jvp) decode their own headers with it. */
typedef struct sb_fuzz_reader {
    const uint8_t *p;
    size_t left;
} sb_fuzz_reader;

uint8_t sb_fuzz_take_u8(sb_fuzz_reader *r);
uint16_t sb_fuzz_take_u16(sb_fuzz_reader *r);
float sb_fuzz_take_f32(sb_fuzz_reader *r);
/* Fills dst[0..n) with the reader's remaining whole floats, cycled; zeros when there are none.
 * Returns how many floats the reader held. */
size_t sb_fuzz_take_floats(sb_fuzz_reader *r, float *dst, size_t n);

/* The writers matching the readers (little-endian), for encoders: advance *p. */
void sb_fuzz_put_le(uint8_t **p, uint32_t v, size_t bytes);
void sb_fuzz_put_f32(uint8_t **p, float f);

void sb_fuzz_decode_header(sb_fuzz_reader *r, sb_fuzz_header *h);

/* Decodes data into x (capacity SB_FUZZ_LONG_MAX_N floats) and row. */
void sb_fuzz_decode_row(const uint8_t *data, size_t size, float *x, sb_fuzz_row *row);

/* The length field that decodes to n (n <= SB_FUZZ_LONG_MAX_N). */
uint16_t sb_fuzz_length_code(size_t n);

/* Writes header h and count raw floats; returns the number of bytes (cap must allow
 * SB_FUZZ_HEADER_SIZE + 4 * count). */
size_t sb_fuzz_encode(const sb_fuzz_header *h, const float *raw, size_t count, uint8_t *out, size_t cap);

/* One paragraph describing a decoded row, for violation reports. */
void sb_fuzz_describe(const sb_fuzz_row *row, FILE *f);

const char *sb_fuzz_sink_mode_name(unsigned mode);
const char *sb_fuzz_mask_name(unsigned mask);

#endif
