/* The dispatch plans: which registered kernel serves each native ISA (softmax: from a row length on),
 * by name. Data only, depending on nothing, so that dispatch (dispatch.c), the registry's batched
 * entries and the batched kernels (kernels/simd/softmax_batch.c) all read the same plan without
 * a circle of dependencies between them. Crossovers are measured, not guessed: docs/dispatch.md
 * records the measurement and the command that reproduces it. */
#include "core/dispatch_plan.h"
#include "core/isa_list.h"

static const sb_dispatch_plan_entry softmax_plan[] = {
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
#define SOFTMAX_PLAN_LEN (sizeof softmax_plan / sizeof softmax_plan[0])

/* Attention: the flash kernel of the chosen ISA, whatever the shape (docs/attention.md). */
static const sb_dispatch_plan_entry attention_plan[] = {
#define SB_FLASH_PLAN(suffix, isa, supported, flags) {isa, 0, "attention_flash_" #suffix},
    SB_FOR_EACH_NATIVE_ISA(SB_FLASH_PLAN)
#undef SB_FLASH_PLAN
};
#define ATTENTION_PLAN_LEN (sizeof attention_plan / sizeof attention_plan[0])

/* Batched softmax: the batched kernel of the chosen ISA, which runs every row through that ISA's
 * softmax plan above (so a row gives what sb_softmax_f32 gives), threads and all. */
static const sb_dispatch_plan_entry batch_plan[] = {
#define SB_BATCH_PLAN(suffix, isa, supported, flags) {isa, 0, "softmax_batch_" #suffix},
    SB_FOR_EACH_NATIVE_ISA(SB_BATCH_PLAN)
#undef SB_BATCH_PLAN
};
#define BATCH_PLAN_LEN (sizeof batch_plan / sizeof batch_plan[0])

const sb_dispatch_plan_entry *sb_dispatch_plan(sb_dispatch_function f, size_t *count)
{
    switch (f) {
    case SB_DISPATCH_SOFTMAX:
        *count = SOFTMAX_PLAN_LEN;
        return softmax_plan;
    case SB_DISPATCH_ATTENTION:
        *count = ATTENTION_PLAN_LEN;
        return attention_plan;
    default:
        *count = BATCH_PLAN_LEN;
        return batch_plan;
    }
}
