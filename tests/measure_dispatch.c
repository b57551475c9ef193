/* Measures what the dispatch plan in kernels/core/dispatch.c needs: for one ISA, the time per entry
 * of every contract kernel of that ISA with a bound of at most 2 ulp (three_pass, online, chunked,
 * ...: taken from the registry) at row lengths 2^10 .. 2^max, the fastest at each length, and the
 * plan that follows (the fastest kernel from each length on). Not a test (speed is never asserted);
 * the numbers behind docs/dispatch.md come from it:
 *
 *   build/release/tests/measure_dispatch avx2 24
 *
 * Medians of many samples on the same buffers (x and y distinct, 64-byte aligned), the best of three
 * such medians, short rows timed in batches of calls (measure_clock.h); logits N(0, 4^2)-like, no
 * sink. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check/rowgen.h"
#include "measure_clock.h"
#include "sinkbench/sinkbench.h"

typedef struct call_ctx {
    const sb_softmax_kernel *k;
    const float *x;
    float *y;
    size_t n;
} call_ctx;

static void call_kernel(void *ctx)
{
    call_ctx *c = ctx;
    c->k->fn(c->x, c->y, c->n, NULL);
}

static double median_seconds(const sb_softmax_kernel *k, const float *x, float *y, size_t n)
{
    call_ctx c = {k, x, y, n};
    int reps = n <= 65536 ? 101 : n <= ((size_t)1 << 20) ? 31 : 7;
    double t = sb_measure_median(call_kernel, &c, 1 + 200000 / n, reps, 3);
    return t < 0.0 ? 1e300 : t;
}

#define MAX_KERNELS 8

int main(int argc, char **argv)
{
    const char *isa = argc > 1 && argv[1][0] ? argv[1] : sb_dispatch_isa(); /* "": the dispatched one */
    int max_log2 = argc > 2 ? atoi(argv[2]) : 24;
    if (!isa || max_log2 < 10 || max_log2 > 28) {
        fprintf(stderr, "usage: measure_dispatch [isa (\"\": the dispatched one)] [max_log2_n 10..28]\n");
        return 2;
    }
    const sb_softmax_kernel *k[MAX_KERNELS];
    size_t nk = 0;
    for (size_t i = 0; i < sb_softmax_kernel_count() && nk < MAX_KERNELS; i++) {
        const sb_softmax_kernel *c = sb_softmax_kernel_at(i);
        if (strcmp(c->isa, isa) == 0 && c->flags == 0 && c->ulp_bound >= 0 && c->ulp_bound <= 2 &&
            strcmp(c->algorithm, "reference") != 0 && c->supported())
            k[nk++] = c;
    }
    if (nk == 0) {
        fprintf(stderr, "measure_dispatch: no contract kernel of ISA '%s' with a bound <= 2 ulp runs on this CPU\n", isa);
        return 3;
    }
    size_t max_n = (size_t)1 << max_log2;
    float *x = aligned_alloc(64, max_n * sizeof *x), *y = aligned_alloc(64, max_n * sizeof *y);
    if (!x || !y) {
        fprintf(stderr, "measure_dispatch: out of memory\n");
        return 3;
    }
    sb_row_spec spec = {max_n, 0.0, SB_TAIL_GAUSSIAN, 4.0, SB_PLACE_NONE, SB_EDGE_NONE, 0.0};
    sb_softmax_params p;
    sb_row_generate(&spec, 42, x, &p);
    memset(y, 0, max_n * sizeof *y);
    printf("ns per entry (thread CPU time), x and y distinct\n%-10s", "n");
    for (size_t j = 0; j < nk; j++)
        printf(" %26s", k[j]->name);
    printf("  fastest\n");
    size_t fastest[64], rows = 0;
    for (size_t n = 1024; n <= max_n && rows < 64; n *= 2, rows++) {
        printf("%-10zu", n);
        double best = 1e300;
        for (size_t j = 0; j < nk; j++) {
            double t = median_seconds(k[j], x, y, n);
            printf(" %26.3f", t * 1e9 / (double)n);
            if (t < best) {
                best = t;
                fastest[rows] = j;
            }
        }
        printf("  %s\n", k[fastest[rows]]->name);
        fflush(stdout);
    }
    /* runs of the same fastest kernel; noise can split a run: re-measure before changing the plan */
    printf("plan for %s:", isa);
    size_t start = 0;
    for (size_t r = 1; r <= rows; r++)
        if (r == rows || fastest[r] != fastest[r - 1]) {
            printf(" n >= %zu: %s;", start == 0 ? (size_t)0 : (size_t)1024 << start, k[fastest[r - 1]]->name);
            start = r;
        }
    printf("\n");
    free(x);
    free(y);
    return 0;
}
