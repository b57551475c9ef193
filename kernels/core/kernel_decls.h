/* Declarations of the built-in kernels, for the registry. Not installed. */
#ifndef SINKBENCH_KERNEL_DECLS_H
#define SINKBENCH_KERNEL_DECLS_H

#include "sinkbench/softmax.h"

sb_status sb_softmax_reference_f64(const float *x, float *y, size_t n, const sb_softmax_params *p);
sb_status sb_softmax_scalar_f32(const float *x, float *y, size_t n, const sb_softmax_params *p);
sb_status sb_softmax_naive_f32(const float *x, float *y, size_t n, const sb_softmax_params *p);

#endif
