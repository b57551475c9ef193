/* The tables every tool iterates: tests, benchmarks, fuzzers, reports and the CLI. Adding a kernel
 * is one line in builtin[] (one row) or batch_builtin[] (batched). */
#include <string.h>

#include "core/dispatch_plan.h"
#include "core/isa_list.h"
#include "core/kernel_decls.h"
#include "core/kernel_table.h"
#include "sinkbench/cpu.h"
#include "sinkbench/softmax.h"
#include "sinkbench/softmax_batch.h"

static const sb_softmax_kernel builtin[] = {
    /* name                     isa       algorithm    supported               fn                         ulp  flags */
    {"softmax_reference_f64", "scalar", "reference", sb_cpu_supports_scalar, sb_softmax_reference_f64, 1.0, 0},
    {"softmax_scalar_f32",    "scalar", "textbook",  sb_cpu_supports_scalar, sb_softmax_scalar_f32,   66.0, 0},
    {"softmax_naive_f32",     "scalar", "naive",     sb_cpu_supports_scalar, sb_softmax_naive_f32,    -1.0, 0},
    /* kernels/simd/ (docs/kernels.md; bounds proved in docs/numerics.md) */
#define SB_SIMD_SOFTMAX(isa, isa_name, supported, flags)                                                         \
    {"softmax_three_pass_" #isa, isa_name, "three_pass", supported, sb_softmax_three_pass_##isa, 2.0, flags}, \
    {"softmax_online_" #isa, isa_name, "online", supported, sb_softmax_online_##isa, 1.0, flags},            \
    {"softmax_chunked_" #isa, isa_name, "chunked", supported, sb_softmax_chunked_##isa, 2.0, flags},
    SB_FOR_EACH_ISA(SB_SIMD_SOFTMAX)
#undef SB_SIMD_SOFTMAX
};

static sb_softmax_kernel registered[256];
static sb_kernel_table table = {builtin, sizeof builtin / sizeof builtin[0], registered, 0,
                                sizeof registered / sizeof registered[0], sizeof(sb_softmax_kernel)};

size_t sb_softmax_kernel_count(void) { return sb_kernel_table_count(&table); }
const sb_softmax_kernel *sb_softmax_kernel_at(size_t i) { return sb_kernel_table_at(&table, i); }
const sb_softmax_kernel *sb_softmax_kernel_find(const char *name) { return sb_kernel_table_find(&table, name); }

sb_status sb_softmax_register(const sb_softmax_kernel *k)
{
    if (!k || !k->name || !k->isa || !k->algorithm || !k->supported || !k->fn || !k->name[0])
        return SB_EINVAL;
    void *added;
    sb_status st = sb_kernel_table_add(&table, k, &added);
    if (st == SB_OK)
        ((sb_softmax_kernel *)added)->flags |= SB_KERNEL_PLUGIN;
    return st;
}

/* The kernel the softmax plan of isa lists for rows of length n (kernels/core/dispatch_plan.c): what
 * softmax_batch_<isa> promises to equal row by row. */
static const sb_softmax_kernel *plan_kernel(const char *isa, size_t n)
{
    size_t count;
    const sb_dispatch_plan_entry *e = sb_dispatch_plan(SB_DISPATCH_SOFTMAX, &count);
    const char *name = NULL;
    for (size_t i = 0; i < count; i++)
        if (strcmp(e[i].isa, isa) == 0 && n >= e[i].min_n)
            name = e[i].kernel;
    return name ? sb_softmax_kernel_find(name) : NULL;
}
#define SB_BATCH_ROW_KERNEL(isa, isa_name, supported, flags) \
    static const sb_softmax_kernel *batch_row_kernel_##isa(size_t n) { return plan_kernel(isa_name, n); }
SB_FOR_EACH_NATIVE_ISA(SB_BATCH_ROW_KERNEL)
#undef SB_BATCH_ROW_KERNEL

/* Batched kernels: one per native ISA, each running its rows through that ISA's dispatch plan
 * (kernels/simd/softmax_batch.c); their bound is the plan's largest (every plan kernel has 2 ulp). */
static const sb_softmax_batch_kernel batch_builtin[] = {
#define SB_BATCH_SOFTMAX(isa, isa_name, supported, flags)                                                  \
    {"softmax_batch_" #isa, isa_name, "batched", supported, sb_softmax_batch_##isa, 2.0, flags, \
     batch_row_kernel_##isa},
    SB_FOR_EACH_NATIVE_ISA(SB_BATCH_SOFTMAX)
#undef SB_BATCH_SOFTMAX
};

static sb_softmax_batch_kernel batch_registered[64];
static sb_kernel_table batch_table = {batch_builtin, sizeof batch_builtin / sizeof batch_builtin[0], batch_registered, 0,
                                      sizeof batch_registered / sizeof batch_registered[0],
                                      sizeof(sb_softmax_batch_kernel)};

size_t sb_softmax_batch_kernel_count(void) { return sb_kernel_table_count(&batch_table); }
const sb_softmax_batch_kernel *sb_softmax_batch_kernel_at(size_t i) { return sb_kernel_table_at(&batch_table, i); }
const sb_softmax_batch_kernel *sb_softmax_batch_kernel_find(const char *name)
{
    return sb_kernel_table_find(&batch_table, name);
}

sb_status sb_softmax_batch_register(const sb_softmax_batch_kernel *k)
{
    if (!k || !k->name || !k->isa || !k->algorithm || !k->supported || !k->fn || !k->name[0])
        return SB_EINVAL;
    void *added;
    sb_status st = sb_kernel_table_add(&batch_table, k, &added);
    if (st == SB_OK)
        ((sb_softmax_batch_kernel *)added)->flags |= SB_KERNEL_PLUGIN;
    return st;
}
