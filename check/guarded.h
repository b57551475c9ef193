/* Float buffers with guard zones on both sides, for the contract checkers: a kernel that writes past its
 * output (or before it) changes a guard, which sb_guarded_intact sees. */
#ifndef SINKBENCH_CHECK_GUARDED_H
#define SINKBENCH_CHECK_GUARDED_H

#include <stddef.h>
#include <stdint.h>

#define SB_GUARD_FLOATS 16
/* A signalling-NaN pattern no kernel writes. */
#define SB_GUARD_BITS 0x7fa5a5a5u

/* base: the allocation (free with sb_guarded_free); data: the payload of n floats, starting misalign % 16
 * floats past a 64-byte boundary, SB_GUARD_FLOATS after base at least. */
typedef struct sb_guarded {
    float *base, *data;
    size_t n;
} sb_guarded;

/* Allocates, sets every guard float to SB_GUARD_BITS and every payload float to the bits fill; 0 when out
 * of memory (g->base is then NULL). */
int sb_guarded_alloc(sb_guarded *g, size_t n, size_t misalign, uint32_t fill);
/* 1 when no float outside the payload changed. */
int sb_guarded_intact(const sb_guarded *g);
void sb_guarded_free(sb_guarded *g);

#endif
