/* What the measurement tools (measure_dispatch, measure_passes) share: thread CPU time, and the
 * median behind their figures. Speed is never asserted: they only print. */
#ifndef SINKBENCH_TEST_MEASURE_CLOCK_H
#define SINKBENCH_TEST_MEASURE_CLOCK_H

#include <stdlib.h>
#include <time.h>

/* CPU time of the calling thread: time lost to other jobs on a shared machine is not counted */
static inline double sb_thread_seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static inline int sb_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Seconds per call of fn(ctx): the best of `rounds` medians of `reps` samples, each sample `batch`
 * back-to-back calls, so that reading the clock (a few hundred ns with this clock) is not counted
 * for short calls: pick batch so that a sample lasts 0.1 ms or more. One warm-up call per round.
 * Negative when out of memory. SINKBENCH_MEASURE_QUICK=1 makes it one call, timed once: the smoke
 * tests run the tools that way (under the sanitizers and qemu too), where only finishing counts. */
static inline double sb_measure_median(void (*fn)(void *ctx), void *ctx, size_t batch, int reps, int rounds)
{
    const char *quick = getenv("SINKBENCH_MEASURE_QUICK");
    if (quick && quick[0] == '1')
        batch = 1, reps = 1, rounds = 1;
    double *t = malloc((size_t)reps * sizeof *t), best = 1e300;
    if (!t)
        return -1.0;
    for (int round = 0; round < rounds; round++) {
        fn(ctx);
        for (int r = 0; r < reps; r++) {
            double a = sb_thread_seconds();
            for (size_t b = 0; b < batch; b++)
                fn(ctx);
            t[r] = (sb_thread_seconds() - a) / (double)batch;
        }
        qsort(t, (size_t)reps, sizeof *t, sb_cmp_double);
        if (t[reps / 2] < best)
            best = t[reps / 2];
    }
    free(t);
    return best;
}

#endif
