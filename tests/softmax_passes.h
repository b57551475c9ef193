/* The per-ISA probes of measure_passes (tests/softmax_pass_probes.c, compiled once per ISA built),
 * and on the driver's side their table, expanded from the library's ISA list. */
#ifndef SINKBENCH_TEST_SOFTMAX_PASSES_H
#define SINKBENCH_TEST_SOFTMAX_PASSES_H

#include <stddef.h>

typedef struct sb_pass_probe {
    const char *name, *what;
    /* the kernel runs this loop for rows of used_from .. used_to entries; used_from > used_to: an
     * alternative it never runs */
    size_t used_from, used_to;
    void (*run)(const float *x, float *y, size_t n, float m);
} sb_pass_probe;

static inline int sb_pass_used(const sb_pass_probe *p, size_t n) { return n >= p->used_from && n <= p->used_to; }
static inline int sb_pass_alternative(const sb_pass_probe *p) { return p->used_from > p->used_to; }

typedef struct sb_pass_isa {
    const char *name; /* the kernels' suffix: softmax_three_pass_<name> */
    size_t (*probes)(const sb_pass_probe **out, size_t *lanes); /* lanes: binary32 lanes per vector */
} sb_pass_isa;

#if !defined(SB_ISA_SUFFIX) /* the driver's side: one entry per ISA copy built (kernels/core/isa_list.h) */
#include "core/isa_list.h"

#define SB_PASS_ISA_DECLARE_(suffix, isa, check, flags) \
    size_t sb_softmax_pass_probes_##suffix(const sb_pass_probe **out, size_t *lanes);
SB_FOR_EACH_ISA(SB_PASS_ISA_DECLARE_)
#undef SB_PASS_ISA_DECLARE_

#define SB_PASS_ISA_(suffix, isa, check, flags) {#suffix, sb_softmax_pass_probes_##suffix},
static const sb_pass_isa sb_pass_isas[] = {SB_FOR_EACH_ISA(SB_PASS_ISA_)};
#undef SB_PASS_ISA_
#define SB_PASS_ISA_COUNT (sizeof sb_pass_isas / sizeof sb_pass_isas[0])
#endif

#endif
