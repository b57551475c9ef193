/* Where benchmark data lives: the cache sizes of this CPU, the cache level each shape is measured
 * at, and the buffers (rotated between iterations when the shape is meant to come from DRAM).
 *
 * Policy (docs/benchmarks.md): the working set of one iteration is x + y of every row. A shape whose
 * working set fits L1d, L2 or half of L3 is measured hot in that level (one x/y pair, used again every
 * iteration). A larger one is measured from DRAM: the loop rotates over enough x/y pairs that
 * consecutive iterations touch at least twice the L3 size, so no iteration finds its data cached.
 * Half of L3, because L3 is shared with the other core and is a victim cache on AMD: a working set
 * near its full size is partly evicted between iterations and belongs to no level cleanly. */
#ifndef SINKBENCH_BENCH_BUFFERS_H
#define SINKBENCH_BENCH_BUFFERS_H

#include <stddef.h>

typedef struct sb_bench_caches {
    size_t l1d, l2, l3;     /* bytes */
    const char *source;     /* sb_cpu()'s source ("cpuinfo", "sysfs", "sysconf") or "assumed" */
} sb_bench_caches;

const sb_bench_caches *sb_bench_cache_sizes(void);

typedef struct sb_bench_layout {
    size_t n, rows;
    size_t row_stride;      /* floats from one row to the next (64-byte aligned rows) */
    size_t set_stride;      /* floats from one x (or y) set to the next */
    size_t sets;            /* x/y pairs the timed loop rotates over */
    size_t set_bytes;       /* x + y of one set: the working set of one iteration */
    int level;              /* 1, 2, 3: the cache level holding the working set; 4: DRAM */
} sb_bench_layout;

void sb_bench_layout_for(size_t n, size_t rows, sb_bench_layout *l);
const char *sb_bench_level_name(int level);   /* "L1", "L2", "L3", "DRAM" */

typedef struct sb_bench_buffers {
    sb_bench_layout layout;
    float *x, *y;           /* sets * set_stride floats each, zero-filled when allocated */
    unsigned long generation;  /* changes whenever the buffers are reallocated */
} sb_bench_buffers;

/* The buffers for a shape. One allocation is live at a time and reused while consecutive benchmarks
 * ask for the same shape (the families register shape by shape). NULL when out of memory. */
sb_bench_buffers *sb_bench_buffers_get(size_t n, size_t rows);
void sb_bench_buffers_release(void);

#endif
