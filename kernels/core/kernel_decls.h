/* Declarations of the built-in softmax kernels, for the registry. Not installed. */
#ifndef SINKBENCH_KERNEL_DECLS_H
#define SINKBENCH_KERNEL_DECLS_H

#include "core/isa_list.h"
#include "sinkbench/softmax.h"
#include "sinkbench/softmax_batch.h"

sb_status sb_softmax_reference_f64(const float *x, float *y, size_t n, const sb_softmax_params *p);
sb_status sb_softmax_scalar_f32(const float *x, float *y, size_t n, const sb_softmax_params *p);
sb_status sb_softmax_naive_f32(const float *x, float *y, size_t n, const sb_softmax_params *p);

/* kernels/simd/: one source per algorithm, compiled per ISA (suffix = ISA). */
#define SB_DECLARE_SIMD_SOFTMAX(isa, isa_name, supported, flags)                                          \
    sb_status sb_softmax_three_pass_##isa(const float *x, float *y, size_t n, const sb_softmax_params *p); \
    sb_status sb_softmax_three_pass_unchecked_##isa(const float *x, float *y, size_t n,                  \
                                                    const sb_softmax_params *p);                          \
    sb_status sb_softmax_online_##isa(const float *x, float *y, size_t n, const sb_softmax_params *p);     \
    sb_status sb_softmax_chunked_##isa(const float *x, float *y, size_t n, const sb_softmax_params *p);     \
    sb_status sb_softmax_chunked_threads_##isa(const float *x, float *y, size_t n, const sb_softmax_params *p, \
                                               size_t threads);                                             \
    sb_status sb_softmax_batch_##isa(const sb_softmax_batch_desc *d);
SB_FOR_EACH_ISA(SB_DECLARE_SIMD_SOFTMAX)
#undef SB_DECLARE_SIMD_SOFTMAX

#endif
