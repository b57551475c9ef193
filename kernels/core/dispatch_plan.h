/* The dispatch plans, for dispatch.c and for the test that every plan entry names a registered
 * kernel (tests/test_api.c). Not installed. */
#ifndef SINKBENCH_DISPATCH_PLAN_H
#define SINKBENCH_DISPATCH_PLAN_H

#include <stddef.h>

typedef enum sb_dispatch_function {
    SB_DISPATCH_SOFTMAX,
    SB_DISPATCH_ATTENTION,
    SB_DISPATCH_SOFTMAX_BATCH,
    SB_DISPATCH_FUNCTIONS
} sb_dispatch_function;

typedef struct sb_dispatch_plan_entry {
    const char *isa;     /* a native ISA name (kernels/core/isa_list.h) */
    size_t min_n;        /* softmax: used for rows with n >= min_n (entries of one ISA sorted by min_n) */
    const char *kernel;  /* a registered kernel's name */
} sb_dispatch_plan_entry;

const sb_dispatch_plan_entry *sb_dispatch_plan(sb_dispatch_function f, size_t *count);

/* The softmax plan of one native ISA resolved to registry kernels: kernel[i] serves rows with
 * n >= min_n[i] (ascending). The batched kernels softmax_batch_<isa> run rows through it, so they
 * give what sb_softmax_f32 gives when dispatch chose that ISA. */
#define SB_SOFTMAX_PLAN_MAX 4
typedef struct sb_softmax_plan {
    size_t count;
    size_t min_n[SB_SOFTMAX_PLAN_MAX];
    const struct sb_softmax_kernel *kernel[SB_SOFTMAX_PLAN_MAX];
} sb_softmax_plan;

/* The plan of isa (a native ISA's name), resolved once per process; NULL when the plan has no entry
 * for isa or names a kernel the registry lacks. */
const sb_softmax_plan *sb_dispatch_softmax_plan_of(const char *isa);

/* The kernel plan gives rows of length n (NULL when plan is NULL or has none for n). */
static inline const struct sb_softmax_kernel *sb_softmax_plan_kernel(const sb_softmax_plan *plan, size_t n)
{
    const struct sb_softmax_kernel *k = NULL;
    for (size_t i = 0; plan && i < plan->count; i++)
        if (n >= plan->min_n[i])
            k = plan->kernel[i];
    return k;
}

/* How many of p[0..n) name, for an ISA of this build, a kernel of function f the registry lacks; the
 * first one is described in err. */
size_t sb_dispatch_plan_check(sb_dispatch_function f, const sb_dispatch_plan_entry *p, size_t n, char *err,
                              size_t err_size);
/* The same over every built-in plan: how many plan entries for ISAs of this build name a kernel the registry lacks (0 when none); the
 * first one is described in err. */
size_t sb_dispatch_plan_verify(char *err, size_t err_size);

#endif
