/* The loops the softmax kernels are made of, shared by softmax_three_pass.c and softmax_online.c and
 * compiled once per ISA with them. docs/kernels.md describes the algorithms, docs/numerics.md proves
 * their bounds.
 *
 * Every loop is unrolled SB_UNROLL vectors deep with independent accumulators, and handles the last
 * n % SB_VW entries with a partial vector that never reads or writes past the row. */
#ifndef SINKBENCH_SIMD_SOFTMAX_BODY_H
#define SINKBENCH_SIMD_SOFTMAX_BODY_H

#include <math.h>

#include "core/softmax_internal.h"
#include "simd/exp_f32.h"
#include "simd/softmax_simd.h"

#define SB_UNROLL 4
#define SB_BLOCK (SB_UNROLL * SB_VW)
/* The binary32 accumulators of rounding errors are flushed into binary64 every this many blocks
 * (per lane at most SB_ERR_FLUSH terms: their own rounding stays below 2^-12 of their sum). */
#define SB_ERR_FLUSH 4096

/* max_i x_i over the row. A NaN may be dropped (x86 max) or returned (NEON); callers detect NaN
 * from the sum, never from this. */
static inline float sb_row_max_(const float *x, size_t n)
{
    sb_vf m0 = sb_vf_set1(-INFINITY), m1 = m0, m2 = m0, m3 = m0;
    size_t i = 0;
    for (; i + SB_BLOCK <= n; i += SB_BLOCK) {
        m0 = sb_vf_max(sb_vf_loadu(x + i), m0);
        m1 = sb_vf_max(sb_vf_loadu(x + i + SB_VW), m1);
        m2 = sb_vf_max(sb_vf_loadu(x + i + 2 * SB_VW), m2);
        m3 = sb_vf_max(sb_vf_loadu(x + i + 3 * SB_VW), m3);
    }
    for (; i + SB_VW <= n; i += SB_VW)
        m0 = sb_vf_max(sb_vf_loadu(x + i), m0);
    if (i < n)
        m1 = sb_vf_max(sb_vf_load_part(x + i, n - i, -INFINITY), m1);
    return sb_vf_reduce_max(sb_vf_max(sb_vf_max(m0, m1), sb_vf_max(m2, m3)));
}

/* Row constants for exp(x - m): -m, the clamp for x, and the exp table (possibly scaled). */
typedef struct sb_shift_ {
    sb_vf neg_m, x_floor;
    sb_vexp_table tab;
} sb_shift_;

static inline sb_shift_ sb_shift_make_(float m, double table_scale)
{
    sb_shift_ s;
    sb_exp_table_f32 t = sb_exp_table_scaled(table_scale);
    s.neg_m = sb_vf_set1(-m);
    s.x_floor = sb_vf_set1(sb_exp_x_floor(m));
    s.tab = sb_vexp_table_load(&t);
    return s;
}

/* Sum of exp(x_i - m) * 2^64 as binary64 partial sums plus the binary32 rounding errors of the
 * terms, so that the total is the sum of the unrounded terms (docs/numerics.md). */
typedef struct sb_expsum_ {
    sb_vacc64 sum, err;
    sb_vf e[SB_UNROLL];
    size_t blocks;
} sb_expsum_;

static inline void sb_expsum_init_(sb_expsum_ *a)
{
    a->sum = sb_vacc64_zero();
    a->err = sb_vacc64_zero();
    for (int u = 0; u < SB_UNROLL; u++)
        a->e[u] = sb_vf_zero();
    a->blocks = 0;
}

static inline void sb_expsum_flush_(sb_expsum_ *a)
{
    for (int u = 0; u < SB_UNROLL; u++) {
        a->err = sb_vacc64_add(a->err, a->e[u]);
        a->e[u] = sb_vf_zero();
    }
    a->blocks = 0;
}

/* Multiplies everything accumulated so far by f (the online kernel's rescaling). */
static inline void sb_expsum_scale_(sb_expsum_ *a, double f)
{
    sb_expsum_flush_(a);
    a->sum = sb_vacc64_scale(a->sum, f);
    a->err = sb_vacc64_scale(a->err, f);
}

static inline double sb_expsum_total_(sb_expsum_ *a)
{
    sb_expsum_flush_(a);
    return sb_vacc64_sum(a->sum) + sb_vacc64_sum(a->err);
}

/* One vector: E = RN(exp(x - m)) * 2^64 (exact product: always normal), and its rounding error
 * (exact, by Fast2Sum) times 2^64. NaN in x gives NaN in E. */
static inline sb_vf sb_exp_term_(sb_vf x, const sb_shift_ *s, sb_vf *err_scaled)
{
    sb_vf dl, d = sb_vf_two_sum(sb_vf_max(s->x_floor, x), s->neg_m, &dl);
    sb_vexp_parts e = sb_vexp_eval(d, dl, &s->tab);
    sb_vf p = sb_vf_add(e.hi, e.lo);
    *err_scaled = sb_vf_mul(sb_vf_sub(e.lo, sb_vf_sub(p, e.hi)), e.scale);
    return sb_vf_mul(p, e.scale);
}

/* Accumulates exp(x_i - m) * 2^64 for i in [0, n); stores the rounded terms in y when y != NULL
 * (the three-pass kernel; y may be x). */
static inline void sb_expsum_run_(const float *x, float *y, size_t n, const sb_shift_ *s, sb_expsum_ *a)
{
    size_t i = 0;
    for (; i + SB_BLOCK <= n; i += SB_BLOCK) {
        sb_vf r[SB_UNROLL];
        for (int u = 0; u < SB_UNROLL; u++) {
            sb_vf err;
            r[u] = sb_exp_term_(sb_vf_loadu(x + i + u * SB_VW), s, &err);
            a->e[u] = sb_vf_add(a->e[u], err);
        }
        for (int u = 0; u < SB_UNROLL; u++) {
            if (y)
                sb_vf_storeu(y + i + u * SB_VW, r[u]);
            a->sum = sb_vacc64_add(a->sum, r[u]);
        }
        if (++a->blocks == SB_ERR_FLUSH)
            sb_expsum_flush_(a);
    }
    for (; i < n; i += SB_VW) {
        size_t rem = n - i;
        sb_vf err, r;
        if (rem >= SB_VW) {
            r = sb_exp_term_(sb_vf_loadu(x + i), s, &err);
            if (y)
                sb_vf_storeu(y + i, r);
        } else {
            sb_vm live = sb_vm_first(rem);
            r = sb_exp_term_(sb_vf_load_part(x + i, rem, -INFINITY), s, &err);
            r = sb_vf_select(live, r, sb_vf_zero());
            err = sb_vf_select(live, err, sb_vf_zero());
            if (y)
                sb_vf_store_part(y + i, r, rem);
        }
        a->e[0] = sb_vf_add(a->e[0], err);
        a->sum = sb_vacc64_add(a->sum, r);
    }
    sb_expsum_flush_(a);
}

/* y_i = RN(e_i * r) for a binary64 factor r, rounded once (within 2^-47 before that rounding). */
static inline void sb_scale_run_(const float *e, float *y, size_t n, double r)
{
#if SB_VEC_FUSED_FMA
    float rh = (float)r, rl = (float)(r - (double)rh);
    sb_vf vh = sb_vf_set1(rh), vl = sb_vf_set1(rl);
#define SB_SCALE_(v) sb_vf_fma((v), vh, sb_vf_mul((v), vl))
#else
#define SB_SCALE_(v) sb_vf_mul_f64((v), r)
#endif
    size_t i = 0;
    for (; i + SB_BLOCK <= n; i += SB_BLOCK)
        for (int u = 0; u < SB_UNROLL; u++)
            sb_vf_storeu(y + i + u * SB_VW, SB_SCALE_(sb_vf_loadu(e + i + u * SB_VW)));
    for (; i + SB_VW <= n; i += SB_VW)
        sb_vf_storeu(y + i, SB_SCALE_(sb_vf_loadu(e + i)));
    if (i < n)
        sb_vf_store_part(y + i, SB_SCALE_(sb_vf_load_part(e + i, n - i, 0.0f)), n - i);
#undef SB_SCALE_
}

/* y_i = exp(x_i - m) * c, c folded into the table (rounded once, then scaled by an exact power of
 * two: a second rounding only for subnormal results). */
static inline sb_vf sb_exp_scaled_(sb_vf x, const sb_shift_ *s)
{
    sb_vf dl, d = sb_vf_two_sum(sb_vf_max(s->x_floor, x), s->neg_m, &dl);
    sb_vexp_parts e = sb_vexp_eval(d, dl, &s->tab);
    return sb_vf_mul(sb_vf_add(e.hi, e.lo), e.scale);
}

static inline void sb_exp_scaled_run_(const float *x, float *y, size_t n, const sb_shift_ *s)
{
    size_t i = 0;
    for (; i + SB_BLOCK <= n; i += SB_BLOCK)
        for (int u = 0; u < SB_UNROLL; u++)
            sb_vf_storeu(y + i + u * SB_VW, sb_exp_scaled_(sb_vf_loadu(x + i + u * SB_VW), s));
    for (; i + SB_VW <= n; i += SB_VW)
        sb_vf_storeu(y + i, sb_exp_scaled_(sb_vf_loadu(x + i), s));
    if (i < n)
        sb_vf_store_part(y + i, sb_exp_scaled_(sb_vf_load_part(x + i, n - i, -INFINITY), s), n - i);
}

#endif
