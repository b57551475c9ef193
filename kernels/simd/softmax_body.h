/* The loops the softmax kernels are made of, shared by softmax_three_pass.c and softmax_online.c and
 * compiled once per ISA with them. docs/kernels.md describes the algorithms, docs/numerics.md proves
 * their bounds.
 *
 * The cheap loops (max, sums, scaling) are unrolled SB_UNROLL vectors deep with independent
 * accumulators, the exp loops SB_EXP_UNROLL deep (deeper spills registers on 16-register ISAs:
 * measured slower on AVX2); every loop handles the last n % SB_VW entries with a partial vector that
 * never reads or writes past the row. */
#ifndef SINKBENCH_SIMD_SOFTMAX_BODY_H
#define SINKBENCH_SIMD_SOFTMAX_BODY_H

#include <math.h>

#include "core/softmax_internal.h"
#include "simd/exp_f32.h"
#include "simd/softmax_simd.h"

#define SB_UNROLL 4
#if SB_VW == 1
#define SB_EXP_UNROLL 4
#else
#define SB_EXP_UNROLL 2
#endif
#define SB_EXP_BLOCK (SB_EXP_UNROLL * SB_VW)
/* The loops take a constant `direct` (sb_vexp_row); inlining them into both branches of the caller
 * gives one loop per path. */
#if defined(__GNUC__)
#define SB_LOOP_ static inline __attribute__((always_inline))
#else
#define SB_LOOP_ static inline
#endif
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

/* Sum of exp(x_i - m) * 2^64 as binary64 partial sums plus the binary32 rounding errors of the
 * terms, so that the total is the sum of the unrounded terms (docs/numerics.md). Two levels: the
 * loops add at most SB_ERR_FLUSH blocks into fresh partial sums before folding them in here, which
 * keeps the binary64 summation error below 2^-35 relative for any row length up to 2^31. */
typedef struct sb_expsum_ {
    sb_vacc64 sum, err;
} sb_expsum_;

static inline void sb_expsum_init_(sb_expsum_ *a)
{
    a->sum = sb_vacc64_zero();
    a->err = sb_vacc64_zero();
}

/* Multiplies everything accumulated so far by f (the online kernel's rescaling). */
static inline void sb_expsum_scale_(sb_expsum_ *a, double f)
{
    a->sum = sb_vacc64_scale(a->sum, f);
    a->err = sb_vacc64_scale(a->err, f);
}

static inline double sb_expsum_total_(const sb_expsum_ *a)
{
    return sb_vacc64_sum(a->sum) + sb_vacc64_sum(a->err);
}

/* The running-reference step of online and chunked, for a block whose maximum is bm: raises the
 * reference *m to bm when bm is larger, rescaling what the sum holds. Returns 0 for the rows the
 * vector path leaves to the reference (a +inf maximum, a NaN the maximum returned, or a maximum
 * beyond SB_EXP_MAX_SHIFT), 1 otherwise. */
static inline int sb_raise_reference_(float bm, float *m, sb_expsum_ *acc, sb_vexp_row *sh)
{
    if (bm <= *m)
        return 1;
    if (!(bm < INFINITY) || !(fabsf(bm) <= SB_EXP_MAX_SHIFT))
        return 0;
    if (*m > -INFINITY)
        sb_expsum_scale_(acc, exp((double)*m - (double)bm));
    *m = bm;
    *sh = sb_vexp_row_make(bm, 1.0);
    return 1;
}

/* S * 2^64: the terms' sum with the sink's term (logit s, -inf for none) added once, here. NaN when
 * x held a NaN. */
static inline double sb_total_with_sink_(const sb_expsum_ *acc, float s, float m)
{
    double t = sb_expsum_total_(acc);
    return s == -INFINITY ? t : t + exp((double)s - (double)m) * 0x1p64; /* no libm call without a sink */
}

/* One vector: E = RN(exp(x - m) * c) * 2^64 (an exact product, always normal). *err_acc gains the
 * rounding error of that E (exact, by Fast2Sum), scaled the same way. NaN in x gives NaN in E. */
static inline sb_vf sb_exp_term_(sb_vf x, const sb_vexp_row *row, int direct, sb_vf *err_acc)
{
    sb_vexp_parts e = sb_vexp_row_eval(x, row, direct);
    sb_vf p = sb_vf_add(e.hi, e.lo);
    *err_acc = sb_vf_fma(sb_vf_sub(e.lo, sb_vf_sub(p, e.hi)), e.scale, *err_acc);
    return sb_vf_mul(p, e.scale);
}

/* Accumulates exp(x_i - m) * 2^64 for i in [0, n); with store (the three-pass kernel) also stores
 * the rounded terms in y (y may be x) and converts them back from there. The accumulators and row
 * constants live in locals: through the pointers, every store to y could alias them. */
SB_LOOP_ void sb_expsum_loop_(const float *x, float *y, size_t n, const sb_vexp_row *row_in, sb_expsum_ *a,
                              int direct, int store, int sum)
{
    const sb_vexp_row row = *row_in;
    sb_vacc64 s[2] = {sb_vacc64_zero(), sb_vacc64_zero()}; /* two chains hide the adds' latency */
    sb_vf e[SB_EXP_UNROLL];
    for (int u = 0; u < SB_EXP_UNROLL; u++)
        e[u] = sb_vf_zero();
    size_t blocks = 0, i = 0;
    for (; i + SB_EXP_BLOCK <= n; i += SB_EXP_BLOCK) {
        sb_vf r[SB_EXP_UNROLL];
        for (int u = 0; u < SB_EXP_UNROLL; u++)
            r[u] = sb_exp_term_(sb_vf_loadu(x + i + u * SB_VW), &row, direct, &e[u]);
        for (int u = 0; u < SB_EXP_UNROLL; u++) {
            if (store)
                sb_vf_storeu(y + i + u * SB_VW, r[u]);
            if (store && sum)
                s[u & 1] = sb_vacc64_add_mem(s[u & 1], y + i + u * SB_VW);
            else if (sum)
                s[u & 1] = sb_vacc64_add(s[u & 1], r[u]);
        }
        if (++blocks == SB_ERR_FLUSH) {
            for (int u = 0; u < SB_EXP_UNROLL; u++) {
                a->err = sb_vacc64_add(a->err, e[u]);
                e[u] = sb_vf_zero();
            }
            a->sum = sb_vacc64_merge(a->sum, sb_vacc64_merge(s[0], s[1]));
            s[0] = s[1] = sb_vacc64_zero();
            blocks = 0;
        }
    }
    for (; i < n; i += SB_VW) {
        size_t rem = n - i;
        sb_vf r, err = sb_vf_zero();
        if (rem >= SB_VW) {
            r = sb_exp_term_(sb_vf_loadu(x + i), &row, direct, &err);
            if (store)
                sb_vf_storeu(y + i, r);
        } else {
            sb_vm live = sb_vm_first(rem);
            r = sb_exp_term_(sb_vf_load_part(x + i, rem, -INFINITY), &row, direct, &err);
            r = sb_vf_select(live, r, sb_vf_zero());
            err = sb_vf_select(live, err, sb_vf_zero());
            if (store)
                sb_vf_store_part(y + i, r, rem);
        }
        e[0] = sb_vf_add(e[0], err);
        if (sum)
            s[0] = sb_vacc64_add(s[0], r);
    }
    for (int u = 0; u < SB_EXP_UNROLL; u++)
        a->err = sb_vacc64_add(a->err, e[u]);
    a->sum = sb_vacc64_merge(a->sum, sb_vacc64_merge(s[0], s[1]));
}

/* Adds y[0..n) (the stored terms) to the binary64 sums, two levels as above. */
static inline void sb_sum_run_(const float *y, size_t n, sb_expsum_ *a)
{
    sb_vacc64 s0 = sb_vacc64_zero(), s1 = s0, s2 = s0, s3 = s0;
    size_t blocks = 0, i = 0;
    for (; i + SB_BLOCK <= n; i += SB_BLOCK) {
        s0 = sb_vacc64_add_mem(s0, y + i);
        s1 = sb_vacc64_add_mem(s1, y + i + SB_VW);
        s2 = sb_vacc64_add_mem(s2, y + i + 2 * SB_VW);
        s3 = sb_vacc64_add_mem(s3, y + i + 3 * SB_VW);
        if (++blocks == SB_ERR_FLUSH) {
            a->sum = sb_vacc64_merge(a->sum, sb_vacc64_merge(sb_vacc64_merge(s0, s1), sb_vacc64_merge(s2, s3)));
            s0 = s1 = s2 = s3 = sb_vacc64_zero();
            blocks = 0;
        }
    }
    for (; i < n; i += SB_VW)
        s0 = n - i >= SB_VW ? sb_vacc64_add_mem(s0, y + i) : sb_vacc64_add(s0, sb_vf_load_part(y + i, n - i, 0.0f));
    a->sum = sb_vacc64_merge(a->sum, sb_vacc64_merge(sb_vacc64_merge(s0, s1), sb_vacc64_merge(s2, s3)));
}

/* Rows up to this length sum the stored terms in a separate pass over y (still in L2), which is
 * faster than converting them inside the exp loop; longer rows sum inside it (one read less from
 * memory). */
#define SB_SUM_AFTER_MAX 65536

static inline void sb_expsum_run_(const float *x, float *y, size_t n, const sb_vexp_row *row, sb_expsum_ *a)
{
    int after = y && n <= SB_SUM_AFTER_MAX;
    if (row->direct && y && after)
        sb_expsum_loop_(x, y, n, row, a, 1, 1, 0);
    else if (row->direct && y)
        sb_expsum_loop_(x, y, n, row, a, 1, 1, 1);
    else if (row->direct)
        sb_expsum_loop_(x, y, n, row, a, 1, 0, 1);
    else if (y && after)
        sb_expsum_loop_(x, y, n, row, a, 0, 1, 0);
    else if (y)
        sb_expsum_loop_(x, y, n, row, a, 0, 1, 1);
    else
        sb_expsum_loop_(x, y, n, row, a, 0, 0, 1);
    if (after)
        sb_sum_run_(y, n, a);
}

/* Multiplication by a binary64 factor r with one rounding (within 2^-47 before it): with a fused FMA
 * as the pair r_hi + r_lo of binary32 values, v r_hi + v r_lo in one FMA; without one, in binary64. */
typedef struct sb_scaler_ {
    sb_vf vh, vl;
    double r;
} sb_scaler_;

static inline sb_scaler_ sb_scaler_make_(double r)
{
    sb_scaler_ sc;
    float rh = (float)r, rl = (float)(r - (double)rh);
    sc.vh = sb_vf_set1(rh);
    sc.vl = sb_vf_set1(rl);
    sc.r = r;
    return sc;
}

static inline sb_vf sb_scaler_apply_(sb_vf v, const sb_scaler_ *sc)
{
#if SB_VEC_FUSED_FMA
    return sb_vf_fma(v, sc->vh, sb_vf_mul(v, sc->vl));
#else
    return sb_vf_mul_f64(v, sc->r);
#endif
}

/* y_i = RN(e_i * r) for a binary64 factor r, rounded once (within 2^-47 before that rounding). */
static inline void sb_scale_run_(const float *e, float *y, size_t n, double r)
{
    const sb_scaler_ sc = sb_scaler_make_(r);
    size_t i = 0;
    for (; i + SB_BLOCK <= n; i += SB_BLOCK)
        for (int u = 0; u < SB_UNROLL; u++)
            sb_vf_storeu(y + i + u * SB_VW, sb_scaler_apply_(sb_vf_loadu(e + i + u * SB_VW), &sc));
    for (; i + SB_VW <= n; i += SB_VW)
        sb_vf_storeu(y + i, sb_scaler_apply_(sb_vf_loadu(e + i), &sc));
    if (i < n)
        sb_vf_store_part(y + i, sb_scaler_apply_(sb_vf_load_part(e + i, n - i, 0.0f), &sc), n - i);
}

/* y_i = exp(x_i - m) * c, c folded into the table (rounded once, then scaled by an exact power of
 * two: a second rounding only for subnormal results). */
static inline sb_vf sb_exp_scaled_(sb_vf x, const sb_vexp_row *row, int direct)
{
    sb_vexp_parts e = sb_vexp_row_eval(x, row, direct);
    return sb_vf_mul(sb_vf_add(e.hi, e.lo), e.scale);
}

SB_LOOP_ void sb_exp_scaled_loop_(const float *x, float *y, size_t n, const sb_vexp_row *row_in, int direct)
{
    const sb_vexp_row row = *row_in;
    size_t i = 0;
    for (; i + SB_EXP_BLOCK <= n; i += SB_EXP_BLOCK)
        for (int u = 0; u < SB_EXP_UNROLL; u++)
            sb_vf_storeu(y + i + u * SB_VW, sb_exp_scaled_(sb_vf_loadu(x + i + u * SB_VW), &row, direct));
    for (; i + SB_VW <= n; i += SB_VW)
        sb_vf_storeu(y + i, sb_exp_scaled_(sb_vf_loadu(x + i), &row, direct));
    if (i < n)
        sb_vf_store_part(y + i, sb_exp_scaled_(sb_vf_load_part(x + i, n - i, -INFINITY), &row, direct), n - i);
}

static inline void sb_exp_scaled_run_(const float *x, float *y, size_t n, const sb_vexp_row *row)
{
    if (row->direct)
        sb_exp_scaled_loop_(x, y, n, row, 1);
    else
        sb_exp_scaled_loop_(x, y, n, row, 0);
}

#endif
