/* The per-ISA halves of the vector tests (tests/simd_isa_checks.c, compiled once per ISA built),
 * as a table: the ISAs come from the SB_HAVE_ISA_* definitions CMake sets. */
#ifndef SINKBENCH_TEST_SIMD_ISAS_H
#define SINKBENCH_TEST_SIMD_ISAS_H

#include <stdint.h>
#include <stdio.h>

#include "sinkbench/cpu.h"

typedef struct simd_isa {
    const char *name;
    int (*supported)(void);
    int native;                 /* 0: a SIMDe emulation (checked, but not "the" ISA of this CPU) */
    size_t (*vec)(FILE *log, uint64_t seed);
    void (*exp_batch)(const float *x, float *y, size_t n);
    int (*fused_fma)(void);
} simd_isa;

#define SIMD_ISA_DECLARE(isa)                                                   \
    size_t sb_test_vec_##isa(FILE *log, uint64_t seed);                         \
    void sb_test_exp_batch_##isa(const float *x, float *y, size_t n);           \
    int sb_test_fused_fma_##isa(void);
#define SIMD_ISA(isa, supported, native) \
    {#isa, supported, native, sb_test_vec_##isa, sb_test_exp_batch_##isa, sb_test_fused_fma_##isa}

SIMD_ISA_DECLARE(scalar)
#if defined(SB_HAVE_ISA_SSE2)
SIMD_ISA_DECLARE(sse2)
#endif
#if defined(SB_HAVE_ISA_AVX2)
SIMD_ISA_DECLARE(avx2)
#endif
#if defined(SB_HAVE_ISA_AVX512)
SIMD_ISA_DECLARE(avx512)
#endif
#if defined(SB_HAVE_ISA_AVX512_EMULATED)
SIMD_ISA_DECLARE(avx512_emulated)
#endif
#if defined(SB_HAVE_ISA_NEON)
SIMD_ISA_DECLARE(neon)
#endif

static const simd_isa simd_isas[] = {
    SIMD_ISA(scalar, sb_cpu_supports_scalar, 1),
#if defined(SB_HAVE_ISA_SSE2)
    SIMD_ISA(sse2, sb_cpu_supports_sse2, 1),
#endif
#if defined(SB_HAVE_ISA_AVX2)
    SIMD_ISA(avx2, sb_cpu_supports_avx2, 1),
#endif
#if defined(SB_HAVE_ISA_AVX512)
    SIMD_ISA(avx512, sb_cpu_supports_avx512, 1),
#endif
#if defined(SB_HAVE_ISA_AVX512_EMULATED)
    SIMD_ISA(avx512_emulated, sb_cpu_supports_avx2, 0),
#endif
#if defined(SB_HAVE_ISA_NEON) && defined(__aarch64__)
    SIMD_ISA(neon, sb_cpu_supports_neon, 1),
#elif defined(SB_HAVE_ISA_NEON)
    SIMD_ISA(neon, sb_cpu_supports_scalar, 0),
#endif
};
#define SIMD_ISA_COUNT (sizeof simd_isas / sizeof simd_isas[0])

#endif
