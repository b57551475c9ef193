/* outputs.bin: every kernel's outputs on a fixed list of seeded rows, so that reports from different
 * machines and ISAs can be compared bit for bit (`sinkbench compare`). Little-endian, versioned:
 *
 *   "SBOUTS01"  u32 version(1)  u32 rows  u32 kernels  u32 total_floats  u64 seed
 *   rows    x { u32 n }
 *   kernels x { char name[64]; char isa[16]; char algorithm[16]; f32 outputs[total_floats] }
 */
#ifndef SINKBENCH_OUTPUTS_FILE_H
#define SINKBENCH_OUTPUTS_FILE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef struct sb_outputs_kernel {
    char name[64], isa[16], algorithm[16];
    float *y;                 /* total_floats entries */
} sb_outputs_kernel;

typedef struct sb_outputs {
    uint64_t seed;
    uint32_t rows;
    uint32_t *row_n;          /* rows entries */
    uint32_t total_floats;
    uint32_t kernels;
    sb_outputs_kernel *k;
} sb_outputs;

/* Runs every supported, non-emulated contract kernel (emulated too when include_emulated) on the
 * fixed row list and fills o. 0 on failure (out of memory). */
int sb_outputs_collect(sb_outputs *o, uint64_t seed, int include_emulated);
int sb_outputs_write(FILE *f, const sb_outputs *o);
/* Reads a file written by sb_outputs_write; on failure returns 0 and a reason in err. */
int sb_outputs_read(const char *path, sb_outputs *o, char *err, size_t err_size);
void sb_outputs_free(sb_outputs *o);
const sb_outputs_kernel *sb_outputs_find(const sb_outputs *o, const char *name);

#endif
