/* Decode latency of sb_attention with 1 and 2 threads: the measurement behind the thread pool
 * (docs/attention.md, "Threads"). Not a test (speed is never asserted). Public API only, so the same
 * binary runs against another build's libsinkbench (LD_LIBRARY_PATH), which is how the pool was
 * compared with the threads started per call:
 *
 *   build/release/tests/measure_threads [samples]
 *
 * Decode (one query per head), H = 32 query heads over H_kv = 8 KV heads, d = 128, f32 KV, learned
 * sinks, dense head-major cache, n keys in {64, 256, 4 K, 32 K}, splits 1 and 4 (4: two parallel
 * phases per call, the chunks and their merge). Per shape: the median wall-clock time of one call
 * over `samples` samples (each a batch of calls lasting about 2 ms or more), and the process CPU time
 * per call (every thread's, so helpers that spin while waiting show there). One line per shape. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "measure_clock.h"
#include "sinkbench/sinkbench.h"

#define HEADS 32
#define KV_HEADS 8
#define DIM 128

static double seconds(clockid_t c)
{
    struct timespec t;
    clock_gettime(c, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* xorshift: inputs need only be reproducible, not good */
static float next_value(uint64_t *s)
{
    *s ^= *s << 13, *s ^= *s >> 7, *s ^= *s << 17;
    return (float)((double)(*s >> 11) * 0x1p-53 * 2.0 - 1.0);
}

int main(int argc, char **argv)
{
    int samples = argc > 1 ? atoi(argv[1]) : 31;
    const char *quick = getenv("SINKBENCH_MEASURE_QUICK");
    int is_quick = quick && quick[0] == '1';
    if (samples < 1) {
        fprintf(stderr, "usage: measure_threads [samples >= 1]\n");
        return 2;
    }
    static const size_t lengths[] = {64, 256, 4096, 32768}, threads[] = {1, 2}, splits[] = {1, 4};
    size_t max_n = is_quick ? 256 : lengths[sizeof lengths / sizeof lengths[0] - 1];
    size_t kv = (size_t)KV_HEADS * max_n * DIM;
    float *k = malloc(kv * sizeof *k), *v = malloc(kv * sizeof *v), q[HEADS * DIM], out[HEADS * DIM],
          sinks[HEADS];
    if (!k || !v) {
        fprintf(stderr, "measure_threads: out of memory\n");
        return 1;
    }
    uint64_t s = 0x9e3779b97f4a7c15u;
    for (size_t i = 0; i < kv; i++)
        k[i] = next_value(&s), v[i] = next_value(&s);
    for (size_t i = 0; i < HEADS * DIM; i++)
        q[i] = next_value(&s);
    for (size_t h = 0; h < HEADS; h++)
        sinks[h] = 2.0f + next_value(&s);
    const char *pool = getenv("SINKBENCH_THREAD_POOL");
    printf("# sinkbench %s, SINKBENCH_THREAD_POOL=%s; decode H=%d H_kv=%d d=%d f32, %d samples\n", sb_version(),
           pool ? pool : "(unset)", HEADS, KV_HEADS, DIM, samples);
    double *t = malloc((size_t)samples * sizeof *t);
    if (!t)
        return 1;
    int rc = 0;
    for (size_t li = 0; li < sizeof lengths / sizeof lengths[0] && lengths[li] <= max_n; li++)
        for (size_t si = 0; si < sizeof splits / sizeof splits[0]; si++)
            for (size_t ti = 0; ti < sizeof threads / sizeof threads[0]; ti++) {
                size_t n = lengths[li];
                sb_attention_desc d;
                sb_attention_desc_init(&d, HEADS, KV_HEADS, DIM, n, 1);
                /* the cache is laid out for max_n keys, so every n reads the same buffers */
                d.k = k, d.v = v, d.q = q, d.out = out;
                d.k_stride_head = d.v_stride_head = max_n * DIM;
                d.sink = SB_ATTENTION_SINK_LOGITS, d.sink_logits = sinks;
                d.n_splits = splits[si];
                d.n_threads = threads[ti];
                if (sb_attention(&d) != SB_OK) { /* warm-up: the pool starts here */
                    fprintf(stderr, "measure_threads: sb_attention failed at n = %zu\n", n);
                    rc = 1;
                    continue;
                }
                double one = seconds(CLOCK_MONOTONIC);
                sb_attention(&d);
                one = seconds(CLOCK_MONOTONIC) - one;
                size_t batch = is_quick ? 1 : 1 + (size_t)(2e-3 / (one > 1e-7 ? one : 1e-7));
                int reps = is_quick ? 1 : samples;
                double cpu0 = seconds(CLOCK_PROCESS_CPUTIME_ID);
                for (int r = 0; r < reps; r++) {
                    double a = seconds(CLOCK_MONOTONIC);
                    for (size_t b = 0; b < batch; b++)
                        sb_attention(&d);
                    t[r] = (seconds(CLOCK_MONOTONIC) - a) / (double)batch;
                }
                double cpu = (seconds(CLOCK_PROCESS_CPUTIME_ID) - cpu0) / ((double)batch * reps);
                qsort(t, (size_t)reps, sizeof *t, sb_cmp_double);
                printf("n=%zu splits=%zu threads=%zu wall_us=%.2f cpu_us=%.2f min_us=%.2f max_us=%.2f\n", n,
                       splits[si], threads[ti], 1e6 * t[reps / 2], 1e6 * cpu, 1e6 * t[0], 1e6 * t[reps - 1]);
                fflush(stdout);
            }
    free(t);
    free(k);
    free(v);
    return rc;
}
