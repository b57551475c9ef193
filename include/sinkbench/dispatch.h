/* Runtime dispatch: the one choice of ISA behind sb_softmax_f32 and sb_attention. It is made once per
 * process, for both functions alike: the ISA named by the environment variable SINKBENCH_ISA
 * (scalar, sse2, avx2, avx512, neon; it must be a native ISA of this build that the CPU runs), else the
 * best native ISA the CPU runs. The kernels each function runs on that ISA are
 * sb_softmax_dispatch(n) (softmax.h) and sb_attention_dispatch() (attention.h). */
#ifndef SINKBENCH_DISPATCH_H
#define SINKBENCH_DISPATCH_H

#ifdef __cplusplus
extern "C" {
#endif

/* The ISA dispatch chose ("avx2", ...), or NULL when none can serve: SINKBENCH_ISA names one this
 * CPU or build cannot run (both functions then return SB_EUNSUPPORTED). */
const char *sb_dispatch_isa(void);
/* One line saying why: "best ISA for this CPU", "forced by SINKBENCH_ISA=sse2", or the problem. */
const char *sb_dispatch_note(void);

#ifdef __cplusplus
}
#endif
#endif
