/* Vector exp for non-positive binary32 arguments, written on vec.h (same prerequisites: one
 * SB_ISA_<ISA> macro, -ffp-contract=off). The API below is stable; kernels/simd/ softmax kernels and
 * the attention kernels build on it.
 *
 * Accuracy (docs/numerics.md, "The vector exp"): exp(x) for x in [-inf, 0] within 1 ulp of the
 * correctly rounded result for every binary32 (measured exhaustively by tests/test_exp_sweep.c),
 * subnormal results rounded gradually down to 2^-149, exactly 0 below about -103.97, exp(-inf) = 0,
 * exp(NaN) = NaN. Arguments above 0 are outside the domain.
 *
 * Algorithm. N = round(x * 8/ln2) = 8k + j (0 <= j < 8), r = x - N ln2/8 (|r| <= 0.0434; 0.0455 on
 * the direct path of sb_vexp_row, where |x| reaches 2^16 and 8/ln2's rounding can move N by one), so
 *     exp(x) = 2^k * 2^(j/8) * exp(r),      exp(r) = 1 + q,   q = r + r^2 (c2 + c3 r + c4 r^2).
 * - N ln2/8 is split Cody-Waite style so that r1 = x - N*C_HI is exact: with a fused FMA, C_HI is
 *   ln2/8 rounded to binary32 (the FMA's product is exact and r1 is representable); without one,
 *   C_HI has 13 bits so that N*C_HI (|N| < 2^11) is exact and the subtraction is exact by Sterbenz.
 *   r = r1 + (dl - N*C_LO) is then rounded once, with |r| < 2^-4, i.e. an error <= 2^-29.
 * - 2^(j/8) comes from an 8-entry table held in registers as hi + lo binary32 pairs (the table can
 *   carry an extra per-row factor, e.g. 1/sum: sb_exp_table_scaled), and
 *       p = T_hi + (T_hi q + T_lo)          (T_lo q, below 2^-28.4 T, left out)
 *   is rounded once, at the end: the value before that rounding is within 0.19 * 2^-24 (with FMA;
 *   0.26 * 2^-24 without) relative of exp(r) T, so the result is within 0.5 + 0.26 ulp; measured
 *   exhaustively: 0.62 ulp.
 * - The degree-4 polynomial (c2 = 1/2, c3, c4 minimax on |r| <= 0.044, binary32 coefficients) is
 *   within 2^-32.2 of exp(r) relative there, 2^-31.5 on |r| <= 0.0455.
 * - 2^k is applied as two exact powers of two, 2^(k+64) then 2^-64 (callers may fold the 2^-64 into
 *   their own constants): the first product is always normal and exact, so only results below
 *   2^-126 are rounded a second time (to the subnormal grid), which costs at most 1 subnormal ulp.
 *
 * Besides the plain sb_vexp(x), the pieces are exposed so that softmax and attention kernels can
 *   - pass an argument as an exact pair d + dl (e.g. x - m split by sb_vf_two_sum, so that the
 *     rounding of x - m, worth up to 64 ulp for |x - m| in [64, 104), never enters the result),
 *   - keep the unrounded hi + lo (to accumulate sums without the final rounding error),
 *   - multiply by a per-row constant inside the table (one rounding for exp(x - m) / S). */
#ifndef SINKBENCH_SIMD_EXP_F32_H
#define SINKBENCH_SIMD_EXP_F32_H

#include "simd/vec.h"

/* Arguments are clamped at this value (exp of it is 0 in binary32; the clamp keeps k in range). */
#define SB_EXP_ARG_MIN (-128.0f)
/* sb_exp_x_floor(m) is valid (and sb_vexp_diff exact) for |m| <= SB_EXP_MAX_SHIFT. */
#define SB_EXP_MAX_SHIFT 134217728.0f /* 2^27 */

/* N = round(x * 8/ln2) via the magic constant 1.5*2^23 + 8*191: the low bits of its bit pattern are
 * then N + 8*191, so bits >> 3 << 23 is the binary32 pattern of 2^(k + 64) and bits & 7 is j. */
#define SB_EXP_MAGIC 0x1.800bf0p+23f  /* 12584440 = 1.5*2^23 + 8*191 */
#define SB_EXP_8_LN2 0x1.715476p+3f   /* 8/ln2 */
#if SB_VEC_FUSED_FMA
#define SB_EXP_C_HI 0x1.62e43p-4f     /* ln2/8 rounded; x - N*C_HI exact under FMA */
#define SB_EXP_C_LO (-0x1.05c61p-32f)
#else
#define SB_EXP_C_HI 0x1.62ep-4f       /* 13 bits: N*C_HI exact for |N| < 2^11 */
#define SB_EXP_C_LO 0x1.0bfbe8p-18f
#endif
#define SB_EXP_P2 0.5f
#define SB_EXP_P3 0x1.555cbp-3f
#define SB_EXP_P4 0x1.5547d8p-5f
#define SB_EXP_2M64 0x1p-64f

/* 2^(j/8), j = 0..7, rounded to binary64 (the tables are built from these in double). */
static const double sb_exp2_eighths[8] = {
    0x1p+0, 0x1.172b83c7d517bp+0, 0x1.306fe0a31b715p+0, 0x1.4bfdad5362a27p+0,
    0x1.6a09e667f3bcdp+0, 0x1.8ace5422aa0dbp+0, 0x1.ae89f995ad3adp+0, 0x1.d5818dcfba487p+0,
};

/* The table as binary32 pairs: hi[j] + lo[j] = 2^(j/8) * scale within 2^-48 relative. */
typedef struct sb_exp_table_f32 {
    float hi[8], lo[8];
} sb_exp_table_f32;

static inline sb_exp_table_f32 sb_exp_table_scaled(double scale)
{
    sb_exp_table_f32 t;
    for (int j = 0; j < 8; j++) {
        double v = sb_exp2_eighths[j] * scale;
        t.hi[j] = (float)v;
        t.lo[j] = (float)(v - (double)t.hi[j]);
    }
    return t;
}

/* The table loaded into registers. */
typedef struct sb_vexp_table {
    sb_vtab8 hi, lo;
} sb_vexp_table;

static inline sb_vexp_table sb_vexp_table_load(const sb_exp_table_f32 *t)
{
    sb_vexp_table v = {sb_vtab8_load(t->hi), sb_vtab8_load(t->lo)};
    return v;
}

/* Error-free transformations. two_sum: s + *err == a + b exactly (no overflow); fast_two_sum needs
 * |a| >= |b| (or a == 0). */
static inline sb_vf sb_vf_two_sum(sb_vf a, sb_vf b, sb_vf *err)
{
    sb_vf s = sb_vf_add(a, b);
    sb_vf bb = sb_vf_sub(s, a);
    *err = sb_vf_add(sb_vf_sub(a, sb_vf_sub(s, bb)), sb_vf_sub(b, bb));
    return s;
}

static inline sb_vf sb_vf_fast_two_sum(sb_vf a, sb_vf b, sb_vf *err)
{
    sb_vf s = sb_vf_add(a, b);
    *err = sb_vf_sub(b, sb_vf_sub(s, a));
    return s;
}

/* exp(d + dl) * table_scale == (hi + lo) * scale * 2^-64, before any rounding of hi + lo, within
 * 0.27 * 2^-24 relative (docs/numerics.md), for d in [SB_EXP_ARG_MIN, 0] and |dl| <= 2^-16. scale is an exact power of two
 * (2^(k+64), normal); hi is the table entry, |lo| <= 0.1 hi. */
typedef struct sb_vexp_parts {
    sb_vf hi, lo, scale;
} sb_vexp_parts;

/* The evaluation behind every entry point: magic = SB_EXP_MAGIC, or the per-row constant of the
 * direct path (sb_vexp_row); with_lo = 0 when dl is known to be 0 (saves an operation). */
static inline sb_vexp_parts sb_vexp_eval_(sb_vf d, sb_vf dl, sb_vf magic, const sb_vexp_table *tab, int with_lo)
{
    sb_vf t = sb_vf_fma(d, sb_vf_set1(SB_EXP_8_LN2), magic);
    sb_vf nf = sb_vf_sub(t, magic);
    sb_vf r1 = sb_vf_fnma(nf, sb_vf_set1(SB_EXP_C_HI), d); /* exact */
    sb_vf r = with_lo ? sb_vf_add(r1, sb_vf_fnma(nf, sb_vf_set1(SB_EXP_C_LO), dl))
                      : sb_vf_fnma(nf, sb_vf_set1(SB_EXP_C_LO), r1);
    sb_vi tb = sb_vf_as_vi(t);
    sb_vf th = sb_vtab8_lookup(&tab->hi, tb);
    sb_vf tl = sb_vtab8_lookup(&tab->lo, tb);
    sb_vf p = sb_vf_fma(sb_vf_fma(sb_vf_set1(SB_EXP_P4), r, sb_vf_set1(SB_EXP_P3)), r, sb_vf_set1(SB_EXP_P2));
    sb_vf q = sb_vf_fma(sb_vf_mul(r, r), p, r);
    sb_vexp_parts out;
    out.hi = th;
    out.lo = sb_vf_fma(th, q, tl); /* T_lo * q (< 2^-28.5 T) left out */
    out.scale = sb_vi_as_vf(SB_VI_SHL(SB_VI_SRL(tb, 3), 23));
    return out;
}

static inline sb_vexp_parts sb_vexp_eval(sb_vf d, sb_vf dl, const sb_vexp_table *tab)
{
    return sb_vexp_eval_(d, dl, sb_vf_set1(SB_EXP_MAGIC), tab, 1);
}

/* The largest binary32 <= m - 110: clamping x at it keeps x - m in [-126, 0] for |m| <= 2^27
 * (and turns -inf into a finite argument whose exp is 0). */
static inline float sb_exp_x_floor(float m)
{
    double v = (double)m - 110.0; /* exact */
    float f = (float)v;
    if ((double)f > v)
        f = nextafterf(f, -INFINITY);
    return f;
}

/* The unscaled table, 2^(j/8) as binary32 hi + lo (what sb_exp_table_scaled(1.0) computes). */
static const sb_exp_table_f32 sb_exp_table_unit = {
    {0x1p+0f, 0x1.172b84p+0f, 0x1.306fep+0f, 0x1.4bfdaep+0f, 0x1.6a09e6p+0f, 0x1.8ace54p+0f, 0x1.ae89fap+0f,
     0x1.d5818ep+0f},
    {0.0f, -0x1.c15742p-27f, 0x1.4636e2p-25f, -0x1.593abcp-25f, 0x1.9fcef4p-26f, 0x1.15506ep-27f,
     -0x1.a94b14p-26f, -0x1.822dbcp-27f},
};

/* exp(x), x <= 0 (see the top of this file). */
static inline sb_vf sb_vexp(sb_vf x)
{
    sb_vexp_table tab = sb_vexp_table_load(&sb_exp_table_unit);
    x = sb_vf_max(sb_vf_set1(SB_EXP_ARG_MIN), x); /* NaN in the second operand stays NaN */
    sb_vexp_parts e = sb_vexp_eval(x, sb_vf_zero(), &tab);
    return sb_vf_mul(sb_vf_mul(sb_vf_add(e.hi, e.lo), e.scale), sb_vf_set1(SB_EXP_2M64));
}

/* exp(x - m) * table_scale with x - m exact, for x <= m, |m| <= SB_EXP_MAX_SHIFT,
 * x_floor = sb_exp_x_floor(m), neg_m = -m; x may be -inf. Rounded once (plus the subnormal step). */
static inline sb_vf sb_vexp_diff(sb_vf x, sb_vf neg_m, sb_vf x_floor, const sb_vexp_table *tab)
{
    sb_vf dl, d = sb_vf_two_sum(sb_vf_max(x_floor, x), neg_m, &dl);
    sb_vexp_parts e = sb_vexp_eval(d, dl, tab);
    return sb_vf_mul(sb_vf_mul(sb_vf_add(e.hi, e.lo), e.scale), sb_vf_set1(SB_EXP_2M64));
}

/* exp(x - m) * c for a whole row: x <= m (any x, -inf included), one maximum m with
 * |m| <= SB_EXP_MAX_SHIFT, one binary64 factor c (e.g. 2^-64 / sum).
 *
 * Two ways to make x - m exact, chosen per row by sb_vexp_row_make:
 *   direct (fused FMA and |m| <= SB_EXP_DIRECT_MAX): exp(x - m) = exp(x) e^-m, and x itself is
 *     reduced: N = round(x 8/ln2) with the per-row magic constant 1.5*2^23 + 8*(191 - K),
 *     K = round(m/ln2), so that 2^(k - K + 64) comes out of the same bit pattern; 2^K e^-m c sits in
 *     the table. x - N*C_HI is exact under FMA for |x| <= 2^16 + 128 (both on the 2^-27 grid,
 *     |result| < 2^-3). No subtraction of m at all.
 *   two_sum (otherwise): d + dl = x - m exactly (TwoSum), then exp(d + dl).
 * Both give (hi + lo) * scale == exp(x - m) * c * 2^64 within 0.27 * 2^-24 before rounding hi + lo.
 * sb_vexp_row_eval must be called with direct equal to row->direct and a constant, so that the
 * compiler keeps one path per loop: if (row.direct) loop(.., 1); else loop(.., 0); */
#define SB_EXP_DIRECT_MAX 65536.0f /* 2^16 */

typedef struct sb_vexp_row {
    sb_vf magic, x_floor, neg_m;
    sb_vexp_table tab;
    int direct;
} sb_vexp_row;

static inline sb_vexp_row sb_vexp_row_make(float m, double c)
{
    sb_vexp_row row;
    sb_exp_table_f32 t;
    row.x_floor = sb_vf_set1(sb_exp_x_floor(m));
    row.neg_m = sb_vf_set1(-m);
#if SB_VEC_FUSED_FMA
    row.direct = fabsf(m) <= SB_EXP_DIRECT_MAX;
#else
    row.direct = 0; /* x - N*C_HI is exact only for small N without FMA */
#endif
    if (row.direct) {
        double k = nearbyint((double)m * 0x1.71547652b82fep+0); /* K = round(m / ln2) */
        /* 2^K e^-m = exp(K ln2 - m): ln2 split so that K*ln2_hi (|K| < 2^17, 36-bit ln2_hi) and the
         * subtraction (Sterbenz) are exact; the result is within about 1 ulp of binary64 */
        double e = exp((k * 0x1.62e42fefa0000p-1 - (double)m) + k * 0x1.cf79abc9e3b3ap-40);
        row.magic = sb_vf_set1(0x1.8p23f + (float)(8.0 * (191.0 - k)));
        t = sb_exp_table_scaled(e * c);
    } else {
        row.magic = sb_vf_set1(SB_EXP_MAGIC);
        t = sb_exp_table_scaled(c);
    }
    row.tab = sb_vexp_table_load(&t);
    return row;
}

/* The two_sum path with c = 1 whatever m is: what sb_vexp_row_make(m, 1.0) gives when it does not
 * choose the direct path, without the binary64 exp behind the direct path's table nor a table to
 * build. For short rows, whose call is all latency: the direct path saves a few operations per
 * vector but puts a libm exp and the table's construction before the first one. */
static inline sb_vexp_row sb_vexp_row_make_two_sum(float m)
{
    sb_vexp_row row;
    row.x_floor = sb_vf_set1(sb_exp_x_floor(m));
    row.neg_m = sb_vf_set1(-m);
    row.direct = 0;
    row.magic = sb_vf_set1(SB_EXP_MAGIC);
    row.tab = sb_vexp_table_load(&sb_exp_table_unit);
    return row;
}

static inline sb_vexp_parts sb_vexp_row_eval(sb_vf x, const sb_vexp_row *row, int direct)
{
    if (direct)
        return sb_vexp_eval_(sb_vf_max(row->x_floor, x), sb_vf_zero(), row->magic, &row->tab, 0);
    sb_vf dl, d = sb_vf_two_sum(sb_vf_max(row->x_floor, x), row->neg_m, &dl);
    return sb_vexp_eval_(d, dl, row->magic, &row->tab, 1);
}

#endif
