/* Measures what the dispatch plan in kernels/core/dispatch.c needs: for one ISA, the time per entry
 * of softmax_three_pass_<isa> and softmax_online_<isa> at row lengths 2^10 .. 2^max, and the first
 * length from which online is faster (the crossover). Not a test (speed is never asserted); the
 * numbers behind docs/dispatch.md come from it:
 *
 *   build/release/tests/measure_dispatch avx2 24
 *
 * Medians of many runs on the same buffers (x and y distinct, 64-byte aligned), the best of three
 * such medians; logits N(0, 4^2)-like, no sink. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "oracle/rowgen.h"
#include "sinkbench/sinkbench.h"

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median_seconds(const sb_softmax_kernel *k, const float *x, float *y, size_t n)
{
    int reps = n <= 65536 ? 301 : n <= ((size_t)1 << 20) ? 31 : 7;
    double *t = malloc((size_t)reps * sizeof *t), best = 1e300;
    if (!t)
        return best;
    for (int round = 0; round < 3; round++) {
        k->fn(x, y, n, NULL);
        for (int r = 0; r < reps; r++) {
            double a = now();
            k->fn(x, y, n, NULL);
            t[r] = now() - a;
        }
        qsort(t, (size_t)reps, sizeof *t, cmp_double);
        if (t[reps / 2] < best)
            best = t[reps / 2];
    }
    free(t);
    return best;
}

int main(int argc, char **argv)
{
    const char *isa = argc > 1 ? argv[1] : sb_softmax_dispatch_isa();
    int max_log2 = argc > 2 ? atoi(argv[2]) : 24;
    if (!isa || max_log2 < 10 || max_log2 > 28) {
        fprintf(stderr, "usage: measure_dispatch [isa] [max_log2_n 10..28]\n");
        return 2;
    }
    char a[64], b[64];
    snprintf(a, sizeof a, "softmax_three_pass_%s", isa);
    snprintf(b, sizeof b, "softmax_online_%s", isa);
    const sb_softmax_kernel *three = sb_softmax_kernel_find(a), *online = sb_softmax_kernel_find(b);
    if (!three || !online || !three->supported() || !online->supported()) {
        fprintf(stderr, "measure_dispatch: %s or %s is not registered or not supported on this CPU\n", a, b);
        return 3;
    }
    size_t max_n = (size_t)1 << max_log2, crossover = 0;
    float *x = aligned_alloc(64, max_n * sizeof *x), *y = aligned_alloc(64, max_n * sizeof *y);
    if (!x || !y) {
        fprintf(stderr, "measure_dispatch: out of memory\n");
        return 3;
    }
    sb_row_spec spec = {max_n, 0.0, SB_TAIL_GAUSSIAN, 4.0, SB_PLACE_NONE, SB_EDGE_NONE, 0.0};
    sb_softmax_params p;
    sb_row_generate(&spec, 42, x, &p);
    memset(y, 0, max_n * sizeof *y);
    printf("%-10s %18s %18s %8s\n", "n", "three_pass ns/entry", "online ns/entry", "online/3p");
    for (size_t n = 1024; n <= max_n; n *= 2) {
        double t3 = median_seconds(three, x, y, n), to = median_seconds(online, x, y, n);
        printf("%-10zu %18.3f %18.3f %8.2f\n", n, t3 * 1e9 / (double)n, to * 1e9 / (double)n, to / t3);
        fflush(stdout);
        if (to < t3 && !crossover)
            crossover = n;
        if (to >= t3)
            crossover = 0; /* the crossover is where online stays faster */
    }
    if (crossover)
        printf("online is faster from n = %zu on\n", crossover);
    else
        printf("three_pass is faster at every length measured\n");
    free(x);
    free(y);
    return 0;
}
