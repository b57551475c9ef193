/* Where the three-pass kernel's time goes: each of its loops timed alone on one row (the same inline
 * code the kernel is built from, tests/softmax_pass_probes.c), the whole kernel from the registry,
 * and two alternatives the 2-ulp bound rules out, for the price of the bound. Not a test (speed is
 * never asserted); docs/kernels.md ("Where the time goes") comes from it:
 *
 *   build/release/tests/measure_passes avx2 4096
 *
 * Thread CPU time per call, from batches of calls (measure_clock.h: the median of 101 batches, the
 * best of three); a row of n logits with a sink token 15 above a Gaussian tail (the report's default
 * row), x and y distinct and 64-byte aligned. ns per vector = ns per call / ceil(n / lanes). */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check/rowgen.h"
#include "measure_clock.h"
#include "sinkbench/sinkbench.h"
#include "softmax_passes.h"

typedef struct call_ctx {
    const sb_pass_probe *pr; /* NULL: the kernel */
    const sb_softmax_kernel *k;
    const float *x;
    float *y;
    size_t n;
    float m;
} call_ctx;

/* Every loop leaves y as it found it or rewrites it from x (scale multiplies by 1), so each call
 * sees the same data. */
static void call(void *ctx)
{
    call_ctx *c = ctx;
    if (c->pr)
        c->pr->run(c->x, c->y, c->n, c->m);
    else
        c->k->fn(c->x, c->y, c->n, NULL);
}

/* ns per call: the best of three medians of 101 samples of about 0.2 ms or more */
static double median_ns(const sb_pass_probe *pr, const sb_softmax_kernel *k, const float *x, float *y, size_t n,
                        float m)
{
    call_ctx c = {pr, k, x, y, n, m};
    double t = sb_measure_median(call, &c, 1 + 400000 / n, 101, 3);
    if (t < 0.0) {
        fprintf(stderr, "measure_passes: out of memory\n");
        exit(3);
    }
    return t * 1e9;
}

int main(int argc, char **argv)
{
    const char *isa = argc > 1 && argv[1][0] ? argv[1] : sb_dispatch_isa(); /* "": the dispatched one */
    long long nl = argc > 2 ? atoll(argv[2]) : 4096;
    const sb_pass_isa *pi = NULL;
    for (size_t i = 0; isa && i < SB_PASS_ISA_COUNT; i++)
        if (strcmp(sb_pass_isas[i].name, isa) == 0)
            pi = &sb_pass_isas[i];
    if (argc > 3 || !pi || nl < 16 || nl > (1LL << 24)) {
        fprintf(stderr, "usage: measure_passes [isa (\"\": the dispatched one)] [n: 16 .. 16777216]\nisas built:");
        for (size_t i = 0; i < SB_PASS_ISA_COUNT; i++)
            fprintf(stderr, " %s", sb_pass_isas[i].name);
        fprintf(stderr, "\n");
        return 2;
    }
    char kname[64];
    snprintf(kname, sizeof kname, "softmax_three_pass_%s", isa);
    const sb_softmax_kernel *k = NULL;
    for (size_t i = 0; i < sb_softmax_kernel_count(); i++)
        if (strcmp(sb_softmax_kernel_at(i)->name, kname) == 0)
            k = sb_softmax_kernel_at(i);
    if (!k || !k->supported()) {
        fprintf(stderr, "measure_passes: %s does not run on this CPU\n", kname);
        return 3;
    }
    const sb_pass_probe *pr;
    size_t lanes, np = pi->probes(&pr, &lanes);
    size_t n = (size_t)nl, vecs = (n + lanes - 1) / lanes;
    size_t bytes = (n * sizeof(float) + 63) / 64 * 64; /* aligned_alloc: a multiple of the alignment */
    float *x = aligned_alloc(64, bytes), *y = aligned_alloc(64, bytes);
    if (!x || !y) {
        fprintf(stderr, "measure_passes: out of memory\n");
        return 3;
    }
    sb_row_spec spec = {n, 15.0, SB_TAIL_GAUSSIAN, 4.0, SB_PLACE_FIRST, SB_EDGE_NONE, 0.0};
    sb_softmax_params p;
    sb_row_generate(&spec, 42, x, &p);
    float m = x[0];
    for (size_t i = 1; i < n; i++)
        m = x[i] > m ? x[i] : m;
    k->fn(x, y, n, NULL); /* y starts as the output; exp_store then leaves the terms there, as in the kernel */

    double total = median_ns(NULL, k, x, y, n, m), parts = 0.0;
    printf("%s, n = %zu (%zu vectors of %zu lanes); thread CPU time, medians\n", kname, n, vecs, lanes);
    printf("%-20s %12s %12s %8s  %s\n", "loop", "ns/call", "ns/vector", "share", "what");
    printf("%-20s %12.1f %12.3f %7.1f%%  %s\n", "kernel", total, total / (double)vecs, 100.0,
           "the registered kernel, all passes");
    for (int alt = 0; alt <= 1; alt++) {
        if (alt)
            printf("%-20s %12.1f %12.3f %7.1f%%  %s\n", "(sum of the loops)", parts, parts / (double)vecs,
                   100.0 * parts / total, "the loops the kernel runs at this n, timed one by one");
        for (size_t i = 0; i < np; i++) {
            if (sb_pass_alternative(&pr[i]) != alt)
                continue;
            double t = median_ns(&pr[i], k, x, y, n, m);
            int used = sb_pass_used(&pr[i], n);
            if (used)
                parts += t;
            printf("%-20s %12.1f %12.3f %7.1f%%  %s%s\n", pr[i].name, t, t / (double)vecs, 100.0 * t / total,
                   alt ? "not used: " : used ? "" : "not at this n: ", pr[i].what);
        }
    }
    free(x);
    free(y);
    return 0;
}
