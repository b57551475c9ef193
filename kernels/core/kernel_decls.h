/* Declarations of the built-in kernels, for the registry. Not installed. */
#ifndef SINKBENCH_KERNEL_DECLS_H
#define SINKBENCH_KERNEL_DECLS_H

#include "sinkbench/softmax.h"

sb_status sb_softmax_reference_f64(const float *x, float *y, size_t n, const sb_softmax_params *p);
sb_status sb_softmax_scalar_f32(const float *x, float *y, size_t n, const sb_softmax_params *p);
sb_status sb_softmax_naive_f32(const float *x, float *y, size_t n, const sb_softmax_params *p);

/* kernels/simd/: one source per algorithm, compiled per ISA (suffix = ISA). */
#define SB_DECLARE_SIMD_SOFTMAX(isa)                                                                      \
    sb_status sb_softmax_three_pass_##isa(const float *x, float *y, size_t n, const sb_softmax_params *p); \
    sb_status sb_softmax_online_##isa(const float *x, float *y, size_t n, const sb_softmax_params *p);     \
    sb_status sb_softmax_chunked_##isa(const float *x, float *y, size_t n, const sb_softmax_params *p);
SB_DECLARE_SIMD_SOFTMAX(scalar)
SB_DECLARE_SIMD_SOFTMAX(sse2)
SB_DECLARE_SIMD_SOFTMAX(avx2)
SB_DECLARE_SIMD_SOFTMAX(avx512)
SB_DECLARE_SIMD_SOFTMAX(avx512_emulated)
SB_DECLARE_SIMD_SOFTMAX(neon)

#endif
