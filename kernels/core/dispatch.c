/* Runtime dispatch: which registered kernel sb_softmax_f32 runs, by CPU and row length.
 * The plan lists, per ISA, the kernel to use from a row length on. Crossovers are measured, not
 * guessed: docs/dispatch.md records the measurement and the command that reproduces it. Every
 * kernel in the plan is a contract kernel with a bound of at most 2 ulp. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sinkbench/cpu.h"
#include "sinkbench/softmax.h"

typedef struct plan_entry {
    const char *isa;
    size_t min_n;        /* used for rows with n >= min_n (entries of one ISA sorted by min_n) */
    const char *kernel;
} plan_entry;

static const plan_entry plan[] = {
    /* three_pass below 128 K entries; chunked (three_pass with its second read of x from L2) from
     * there on, where x no longer stays in L2 between the passes: measured 6-37 % faster on AVX2,
     * up to 2 % on scalar. SSE2 (compute-bound, no FMA) keeps three_pass: chunked was not ahead
     * consistently at any length there. online was never the fastest (docs/dispatch.md). avx512
     * and neon follow avx2 until measured on such CPUs. */
    {"avx512", 0, "softmax_three_pass_avx512"},
    {"avx512", (size_t)1 << 17, "softmax_chunked_avx512"},
    {"avx2", 0, "softmax_three_pass_avx2"},
    {"avx2", (size_t)1 << 17, "softmax_chunked_avx2"},
    {"sse2", 0, "softmax_three_pass_sse2"},
    {"neon", 0, "softmax_three_pass_neon"},
    {"neon", (size_t)1 << 17, "softmax_chunked_neon"},
    {"scalar", 0, "softmax_three_pass_scalar"},
    {"scalar", (size_t)1 << 17, "softmax_chunked_scalar"},
};
#define PLAN_LEN (sizeof plan / sizeof plan[0])

/* ISAs from best to worst; the first one the CPU runs natively and the plan covers wins. */
static const char *const isa_order[] = {"avx512", "avx2", "sse2", "neon", "scalar"};

static struct {
    const sb_softmax_kernel *kernel[PLAN_LEN];
    size_t min_n[PLAN_LEN];
    size_t count;
    const char *isa;
    char note[160];
} chosen;
static pthread_once_t chosen_once = PTHREAD_ONCE_INIT;

static int isa_usable(const char *isa)
{
    int any = 0;
    for (size_t i = 0; i < PLAN_LEN; i++) {
        if (strcmp(plan[i].isa, isa) != 0)
            continue;
        const sb_softmax_kernel *k = sb_softmax_kernel_find(plan[i].kernel);
        if (!k || !k->supported() || (k->flags & SB_KERNEL_EMULATED))
            return 0;
        any = 1;
    }
    return any;
}

static void take_isa(const char *isa)
{
    chosen.isa = isa;
    for (size_t i = 0; i < PLAN_LEN; i++) {
        if (strcmp(plan[i].isa, isa) != 0)
            continue;
        chosen.kernel[chosen.count] = sb_softmax_kernel_find(plan[i].kernel);
        chosen.min_n[chosen.count] = plan[i].min_n;
        chosen.count++;
    }
}

static void resolve(void)
{
    const char *want = getenv("SINKBENCH_ISA");
    if (want && *want) {
        for (size_t i = 0; i < sizeof isa_order / sizeof isa_order[0]; i++) {
            if (strcmp(want, isa_order[i]) == 0 && isa_usable(isa_order[i])) {
                take_isa(isa_order[i]);
                snprintf(chosen.note, sizeof chosen.note, "forced by SINKBENCH_ISA=%s", want);
                return;
            }
        }
        snprintf(chosen.note, sizeof chosen.note,
                 "SINKBENCH_ISA=%s is not an ISA this CPU and build can run (try scalar, sse2, avx2, avx512, neon)",
                 want);
        return;
    }
    for (size_t i = 0; i < sizeof isa_order / sizeof isa_order[0]; i++) {
        if (isa_usable(isa_order[i])) {
            take_isa(isa_order[i]);
            snprintf(chosen.note, sizeof chosen.note, "best ISA for this CPU");
            return;
        }
    }
    snprintf(chosen.note, sizeof chosen.note, "no dispatchable kernel");
}

const sb_softmax_kernel *sb_softmax_dispatch(size_t n)
{
    pthread_once(&chosen_once, resolve);
    const sb_softmax_kernel *k = NULL;
    for (size_t i = 0; i < chosen.count; i++)
        if (n >= chosen.min_n[i])
            k = chosen.kernel[i];
    return k;
}

const char *sb_softmax_dispatch_isa(void)
{
    pthread_once(&chosen_once, resolve);
    return chosen.isa;
}

const char *sb_softmax_dispatch_note(void)
{
    pthread_once(&chosen_once, resolve);
    return chosen.note;
}
