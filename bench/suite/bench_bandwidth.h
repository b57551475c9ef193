/* The roofline's memory side: read and copy bandwidth at the working set (and rotation) of every
 * softmax shape, measured in the same run. */
#ifndef SINKBENCH_BENCH_BANDWIDTH_H
#define SINKBENCH_BENCH_BANDWIDTH_H

#include "bench_buffers.h"

typedef struct sb_bench_bw {
    double read;   /* bytes read per second */
    double copy;   /* bytes read + written per second: the best of our copy loop and memcpy */
} sb_bench_bw;

/* Bandwidth for this shape: the best figure the bandwidth benchmarks measured for it (runs of at
 * least 1 ms), or, when they did not run (filtered out, too short), a probe run now with the same
 * loops. Uses the live buffers (sb_bench_buffers_get) of the shape. 0 when out of memory. */
int sb_bench_bandwidth_for(size_t n, size_t rows, sb_bench_bw *out);

#endif
