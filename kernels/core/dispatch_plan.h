/* The dispatch plans (dispatch_plan.c), for dispatch.c, the batched kernels (which run their ISA's
 * softmax plan row by row) and the test that every plan entry names a registered kernel
 * (tests/test_api.c). Not installed. */
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

/* The most softmax plan entries one ISA has. */
#define SB_SOFTMAX_PLAN_MAX 4

/* How many of p[0..n) name, for an ISA of this build, a kernel of function f the registry lacks; the
 * first one is described in err. */
size_t sb_dispatch_plan_check(sb_dispatch_function f, const sb_dispatch_plan_entry *p, size_t n, char *err,
                              size_t err_size);
/* The same over every built-in plan: how many plan entries for ISAs of this build name a kernel the registry lacks (0 when none); the
 * first one is described in err. */
size_t sb_dispatch_plan_verify(char *err, size_t err_size);

#endif
