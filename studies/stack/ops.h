/* The stack's numeric building blocks, each in binary64 or in binary32 arithmetic, with 16-bit storage
 * rounding where asked. Buffers are binary64 throughout; in the binary32 modes every stored value is
 * representable in the storage format, so converting it to float is exact. Not installed. */
#ifndef SINKBENCH_STACK_OPS_H
#define SINKBENCH_STACK_OPS_H

#include <stddef.h>

#include "studies/stack/stack.h"

/* How one layer computes. */
typedef struct stack_prec {
    sb_stack_precision p;
    int f32;                         /* binary32 arithmetic: dot products and sums accumulate in float */
    int kernel;                      /* softmax by the kernel on binary32 logits */
    const sb_softmax_kernel *k;
} stack_prec;

stack_prec stack_prec_of(sb_stack_precision p, const sb_softmax_kernel *k);

/* Rounds x[0..count) to the storage format (no-op in binary64). Elementwise results are computed in
 * binary64 and rounded once here, i.e. correctly rounded binary32 elementwise functions. */
void stack_store(const stack_prec *pr, double *x, size_t count);

/* out (rows x m) = a (rows x k) W (k x m), rows below row0 set to 0 (they are known to be zero).
 * Binary32 mode uses wf and accumulates in float in the order kk = 0..k-1 (acc: m floats). */
void stack_matmul(const stack_prec *pr, const double *a, size_t row0, size_t rows, size_t k, const double *w,
                  const float *wf, size_t m, double *out, float *acc);

/* out (rows x k) (+)= a (rows x m) W^T with W (k x m), in binary64: the reverse pass of stack_matmul.
 * accumulate: add to out instead of overwriting it. */
void stack_matmul_t(const double *a, size_t rows, size_t m, const double *w, size_t k, double *out, int accumulate);

/* u = h / r per row with r = sqrt(mean(h^2) + eps) (r: rows values kept for the tangent). */
void stack_rmsnorm(const stack_prec *pr, const double *h, size_t rows, size_t d, double *u, double *r);
/* du = (dh - u (u.dh) / d) / r for rows >= row0; rows below are 0. The Jacobian (I - u u^T / d) / r is
 * symmetric, so the same call is also the reverse pass. */
void stack_rmsnorm_jvp(const double *u, const double *r, const double *dh, size_t row0, size_t rows, size_t d,
                       double *du);

/* p = softmax of s[0..n) with a sink logit (-inf: none), exactly as docs/numerics.md defines it, in
 * binary64. Returns the sink's share of the mass. */
double stack_softmax_f64(const double *s, size_t n, double sink, double *p);

double stack_sigmoid(double x);
double stack_silu(double x);
double stack_silu_derivative(double x);

#endif
