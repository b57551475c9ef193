/* Runtime dispatch, one for softmax, batched softmax and attention: which registered kernel
 * sb_softmax_f32, sb_softmax_batch and sb_attention run.
 *
 * The ISA is chosen once per process, for all three: SINKBENCH_ISA when set (it must name a native
 * ISA of this build that the CPU runs), else the first native ISA, best first (kernels/core/isa_list.h),
 * that the CPU runs and every plan covers with kernels that exist, run here and are not emulations.
 * Then each plan lists, per ISA, the kernel to use (softmax: from a row length on). Crossovers are
 * measured, not guessed: docs/dispatch.md records the measurement and the command that reproduces
 * it. Every softmax kernel in the plan is a contract kernel with a bound of at most 2 ulp. A plan
 * entry naming a kernel the registry does not have is a build error that sb_dispatch_plan_verify()
 * reports and a test checks; dispatch never silently skips it. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/dispatch_plan.h"
#include "core/isa_list.h"
#include "sinkbench/attention.h"
#include "sinkbench/dispatch.h"
#include "sinkbench/softmax.h"
#include "sinkbench/softmax_batch.h"

/* The plans (the data) live in dispatch_plan.c, which depends on nothing: the batched kernels read
 * their ISA's softmax plan from there without depending on the registry or on this file. */

/* The native ISAs, best first, with their CPU checks. */
typedef struct native_isa {
    const char *name;
    int (*supported)(void);
} native_isa;
static const native_isa native_isas[] = {
#define SB_NATIVE(suffix, isa, supported, flags) {isa, supported},
    SB_FOR_EACH_NATIVE_ISA(SB_NATIVE)
#undef SB_NATIVE
};
#define NATIVE_LEN (sizeof native_isas / sizeof native_isas[0])

static struct {
    const sb_softmax_kernel *softmax[SB_SOFTMAX_PLAN_MAX];
    size_t softmax_min_n[SB_SOFTMAX_PLAN_MAX];
    size_t softmax_count;
    const sb_attention_kernel *attention;
    const sb_softmax_batch_kernel *batch;
    const char *isa;
    char note[256];
} chosen;
static pthread_once_t chosen_once = PTHREAD_ONCE_INIT;

static const char *const function_name[SB_DISPATCH_FUNCTIONS] = {"softmax", "attention", "batched softmax"};

static const void *find(sb_dispatch_function f, const char *name)
{
    switch (f) {
    case SB_DISPATCH_SOFTMAX:
        return sb_softmax_kernel_find(name);
    case SB_DISPATCH_ATTENTION:
        return sb_attention_kernel_find(name);
    default:
        return sb_softmax_batch_kernel_find(name);
    }
}

/* What isa_problem needs of a kernel of any of the three registries. */
static void kernel_runs(sb_dispatch_function f, const void *k, int *runs, unsigned *flags)
{
    if (f == SB_DISPATCH_SOFTMAX) {
        *runs = ((const sb_softmax_kernel *)k)->supported();
        *flags = ((const sb_softmax_kernel *)k)->flags;
    } else if (f == SB_DISPATCH_ATTENTION) {
        *runs = ((const sb_attention_kernel *)k)->supported();
        *flags = ((const sb_attention_kernel *)k)->flags;
    } else {
        *runs = ((const sb_softmax_batch_kernel *)k)->supported();
        *flags = ((const sb_softmax_batch_kernel *)k)->flags;
    }
}

/* Why the plans cannot serve isa on this CPU ("" when they can). */
static void isa_problem(const native_isa *isa, char *why, size_t size)
{
    why[0] = 0;
    if (!isa->supported()) {
        snprintf(why, size, "this CPU lacks %s", isa->name);
        return;
    }
    for (int f = 0; f < SB_DISPATCH_FUNCTIONS; f++) {
        size_t n, covered = 0;
        const sb_dispatch_plan_entry *p = sb_dispatch_plan((sb_dispatch_function)f, &n);
        for (size_t i = 0; i < n; i++) {
            if (strcmp(p[i].isa, isa->name) != 0)
                continue;
            covered++;
            const void *k = find((sb_dispatch_function)f, p[i].kernel);
            unsigned flags = 0;
            int runs = 0;
            if (k)
                kernel_runs((sb_dispatch_function)f, k, &runs, &flags);
            if (!k) {
                snprintf(why, size, "the dispatch plan names %s, which is not registered", p[i].kernel);
                return;
            }
            if (!runs || (flags & SB_KERNEL_EMULATED)) {
                snprintf(why, size, "%s does not run natively here", p[i].kernel);
                return;
            }
        }
        if (!covered) {
            snprintf(why, size, "the %s dispatch plan has no kernel for %s", function_name[f], isa->name);
            return;
        }
    }
}

static void take(const native_isa *isa)
{
    chosen.isa = isa->name;
    size_t n;
    const sb_dispatch_plan_entry *p = sb_dispatch_plan(SB_DISPATCH_SOFTMAX, &n);
    for (size_t i = 0; i < n; i++)
        if (strcmp(p[i].isa, isa->name) == 0 && chosen.softmax_count < SB_SOFTMAX_PLAN_MAX) {
            chosen.softmax[chosen.softmax_count] = sb_softmax_kernel_find(p[i].kernel);
            chosen.softmax_min_n[chosen.softmax_count++] = p[i].min_n;
        }
    p = sb_dispatch_plan(SB_DISPATCH_ATTENTION, &n);
    for (size_t i = 0; i < n; i++)
        if (strcmp(p[i].isa, isa->name) == 0)
            chosen.attention = sb_attention_kernel_find(p[i].kernel);
    p = sb_dispatch_plan(SB_DISPATCH_SOFTMAX_BATCH, &n);
    for (size_t i = 0; i < n; i++)
        if (strcmp(p[i].isa, isa->name) == 0)
            chosen.batch = sb_softmax_batch_kernel_find(p[i].kernel);
}

static void resolve(void)
{
    char why[128];
    const char *want = getenv("SINKBENCH_ISA");
    if (want && *want) {
        for (size_t i = 0; i < NATIVE_LEN; i++) {
            if (strcmp(want, native_isas[i].name) != 0)
                continue;
            isa_problem(&native_isas[i], why, sizeof why);
            if (why[0]) {
                snprintf(chosen.note, sizeof chosen.note, "SINKBENCH_ISA=%s cannot run: %s", want, why);
                return;
            }
            take(&native_isas[i]);
            snprintf(chosen.note, sizeof chosen.note, "forced by SINKBENCH_ISA=%s", want);
            return;
        }
        snprintf(chosen.note, sizeof chosen.note,
                 "SINKBENCH_ISA=%s is not a native ISA of this build (try %s)", want, SB_ISA_NATIVE_NAMES);
        return;
    }
    char skipped[200] = "";
    for (size_t i = 0; i < NATIVE_LEN; i++) {
        isa_problem(&native_isas[i], why, sizeof why);
        if (!why[0]) {
            take(&native_isas[i]);
            snprintf(chosen.note, sizeof chosen.note, "best ISA for this CPU%s%s", skipped[0] ? "; " : "", skipped);
            return;
        }
        /* A plan problem (not a missing CPU feature) is worth saying even when a lesser ISA serves. */
        if (native_isas[i].supported() && !skipped[0])
            snprintf(skipped, sizeof skipped, "%s skipped: %s", native_isas[i].name, why);
    }
    snprintf(chosen.note, sizeof chosen.note, "no dispatchable kernel%s%s", skipped[0] ? ": " : "", skipped);
}

const sb_softmax_kernel *sb_softmax_dispatch(size_t n)
{
    pthread_once(&chosen_once, resolve);
    const sb_softmax_kernel *k = NULL;
    for (size_t i = 0; i < chosen.softmax_count; i++)
        if (n >= chosen.softmax_min_n[i])
            k = chosen.softmax[i];
    return k;
}

const sb_attention_kernel *sb_attention_dispatch(void)
{
    pthread_once(&chosen_once, resolve);
    return chosen.attention;
}

const sb_softmax_batch_kernel *sb_softmax_batch_dispatch(void)
{
    pthread_once(&chosen_once, resolve);
    return chosen.batch;
}

const char *sb_dispatch_isa(void)
{
    pthread_once(&chosen_once, resolve);
    return chosen.isa;
}

const char *sb_dispatch_note(void)
{
    pthread_once(&chosen_once, resolve);
    return chosen.note;
}

size_t sb_dispatch_plan_check(sb_dispatch_function f, const sb_dispatch_plan_entry *p, size_t n, char *err,
                              size_t err_size)
{
    size_t bad = 0;
    if (err && err_size)
        err[0] = 0;
    for (size_t i = 0; i < n; i++) {
        int known_isa = 0;
        for (size_t j = 0; j < NATIVE_LEN; j++)
            known_isa |= strcmp(native_isas[j].name, p[i].isa) == 0;
        /* Entries for ISAs this build does not compile (avx512 on aarch64) are fine. */
        if (!known_isa || find(f, p[i].kernel))
            continue;
        if (err && err_size && !bad)
            snprintf(err, err_size, "the %s plan names %s for %s, which is not registered", function_name[f],
                     p[i].kernel, p[i].isa);
        bad++;
    }
    return bad;
}

size_t sb_dispatch_plan_verify(char *err, size_t err_size)
{
    size_t bad = 0;
    if (err && err_size)
        err[0] = 0;
    for (int f = 0; f < SB_DISPATCH_FUNCTIONS; f++) {
        size_t n;
        const sb_dispatch_plan_entry *p = sb_dispatch_plan((sb_dispatch_function)f, &n);
        char e[256];
        size_t b = sb_dispatch_plan_check((sb_dispatch_function)f, p, n, e, sizeof e);
        if (b && !bad && err && err_size)
            snprintf(err, err_size, "%s", e);
        bad += b;
    }
    return bad;
}
