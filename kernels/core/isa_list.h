/* The ISA copies this build compiles (cmake/SinkbenchIsa.cmake defines SB_HAVE_ISA_<ISA> for each),
 * as one list both registries expand: X(suffix, isa name, CPU check, flags). Not installed.
 * The SIMDe emulations (AVX-512 on AVX2, NEON on x86) are flagged SB_KERNEL_EMULATED: tested, never
 * dispatched. */
#ifndef SINKBENCH_ISA_LIST_H
#define SINKBENCH_ISA_LIST_H

#include "sinkbench/cpu.h"
#include "sinkbench/softmax.h"

#if defined(SB_HAVE_ISA_SSE2)
#define SB_ISA_LIST_SSE2_(X) X(sse2, "sse2", sb_cpu_supports_sse2, 0)
#else
#define SB_ISA_LIST_SSE2_(X)
#endif
#if defined(SB_HAVE_ISA_AVX2)
#define SB_ISA_LIST_AVX2_(X) X(avx2, "avx2", sb_cpu_supports_avx2, 0)
#else
#define SB_ISA_LIST_AVX2_(X)
#endif
#if defined(SB_HAVE_ISA_AVX512)
#define SB_ISA_LIST_AVX512_(X) X(avx512, "avx512", sb_cpu_supports_avx512, 0)
#else
#define SB_ISA_LIST_AVX512_(X)
#endif
#if defined(SB_HAVE_ISA_AVX512_EMULATED)
#define SB_ISA_LIST_AVX512_EMULATED_(X) X(avx512_emulated, "avx512", sb_cpu_supports_avx2, SB_KERNEL_EMULATED)
#else
#define SB_ISA_LIST_AVX512_EMULATED_(X)
#endif
#if defined(SB_HAVE_ISA_NEON) && defined(__aarch64__)
#define SB_ISA_LIST_NEON_(X) X(neon, "neon", sb_cpu_supports_neon, 0)
#elif defined(SB_HAVE_ISA_NEON)
#define SB_ISA_LIST_NEON_(X) X(neon, "neon", sb_cpu_supports_scalar, SB_KERNEL_EMULATED)
#else
#define SB_ISA_LIST_NEON_(X)
#endif

#define SB_FOR_EACH_ISA(X)                                                                                   \
    X(scalar, "scalar", sb_cpu_supports_scalar, 0)                                                          \
    SB_ISA_LIST_SSE2_(X) SB_ISA_LIST_AVX2_(X) SB_ISA_LIST_AVX512_(X) SB_ISA_LIST_AVX512_EMULATED_(X)        \
    SB_ISA_LIST_NEON_(X)

#endif
