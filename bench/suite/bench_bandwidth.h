/* The roofline's memory side: read and copy bandwidth at the working set (and rotation) of every
 * softmax shape and every attention decode working set, measured in the same run. */
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

/* The read bandwidth alone (bytes per second), probed when not measured yet; the probe only reads,
 * so whatever the shape's buffers hold survives it (attention keeps its KV cache there). */
int sb_bench_read_bandwidth_for(size_t n, size_t rows, double *read);

/* Registers bandwidth/read (and, unless read_only, bandwidth/copy and bandwidth/memcpy) for a
 * shape, once: a shape already registered is not registered again. 0 when out of memory. */
int sb_bench_register_bandwidth(size_t n, size_t rows, int read_only);

#endif
