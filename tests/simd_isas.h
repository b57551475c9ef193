/* The per-ISA halves of the vector tests (tests/simd_isa_checks.c, compiled once per ISA built),
 * as a table expanded from the library's ISA list (kernels/core/isa_list.h). */
#ifndef SINKBENCH_TEST_SIMD_ISAS_H
#define SINKBENCH_TEST_SIMD_ISAS_H

#include <stdint.h>
#include <stdio.h>

#include "core/isa_list.h"

typedef struct simd_isa {
    const char *name;
    int (*supported)(void);
    int native;                 /* 0: a SIMDe emulation (checked, but not "the" ISA of this CPU) */
    size_t (*vec)(FILE *log, uint64_t seed);
    void (*exp_batch)(const float *x, float *y, size_t n);
    int (*fused_fma)(void);
} simd_isa;

#define SIMD_ISA_DECLARE(isa, isa_name, supported, flags)                       \
    size_t sb_test_vec_##isa(FILE *log, uint64_t seed);                         \
    void sb_test_exp_batch_##isa(const float *x, float *y, size_t n);           \
    int sb_test_fused_fma_##isa(void);
SB_FOR_EACH_ISA(SIMD_ISA_DECLARE)
#undef SIMD_ISA_DECLARE

#define SIMD_ISA(isa, isa_name, supported, flags) \
    {#isa, supported, !((flags) & SB_KERNEL_EMULATED), sb_test_vec_##isa, sb_test_exp_batch_##isa, sb_test_fused_fma_##isa},
static const simd_isa simd_isas[] = {SB_FOR_EACH_ISA(SIMD_ISA)};
#undef SIMD_ISA
#define SIMD_ISA_COUNT (sizeof simd_isas / sizeof simd_isas[0])

#endif
