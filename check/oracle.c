#include "check/oracle.h"

#include <float.h>
#include <math.h>
#include <mpfr.h>
#include <stdint.h>
#include <stdlib.h>

/* Relative error bound of the binary64 fast path (see the analysis in fast_entry()). */
#define FAST_REL_ERR 0x1p-47

const char *sb_row_class_name(sb_row_class c)
{
    switch (c) {
    case SB_ROW_FINITE: return "finite";
    case SB_ROW_NAN: return "nan";
    case SB_ROW_SINK_INF: return "sink_inf";
    case SB_ROW_POS_INF: return "pos_inf";
    case SB_ROW_NO_MASS: return "no_mass";
    }
    return "?";
}

static float sink_of(const sb_softmax_params *p)
{
    return (p && p->sink == SB_SINK_LOGIT) ? p->sink_logit : -INFINITY;
}

sb_row_class sb_oracle_classify(const float *x, size_t n, const sb_softmax_params *p)
{
    float s = sink_of(p);
    int nan = isnan(s), pos_inf = 0, finite = 0;
    for (size_t i = 0; i < n; i++) {
        nan |= isnan(x[i]);
        pos_inf |= x[i] == INFINITY;
        finite |= isfinite(x[i]);
    }
    if (nan)
        return SB_ROW_NAN;
    if (s == INFINITY)
        return SB_ROW_SINK_INF;
    if (pos_inf)
        return SB_ROW_POS_INF;
    if (!finite)
        return SB_ROW_NO_MASS;
    return SB_ROW_FINITE;
}

/* exp(a - m) for binary32 a and m, a <= m, with relative error <= 2^-52 + 2^-104:
 * a - m is split exactly into hi + lo by TwoSum in binary64 (lo is the rounding error of hi), then
 * exp(hi + lo) = exp(hi) * (1 + lo + O(lo^2)). glibc's exp is < 1 ulp (2^-52 relative). */
static double exp_diff(double a, double m)
{
    double hi = a - m;
    if (hi < -800.0)
        return 0.0;        /* below binary64's range and 2^-700 below binary32's smallest value */
    double ap = hi + m, mp = hi - ap;
    double lo = (a - ap) + (-m - mp);
    return exp(hi) * (1.0 + lo);
}

/* The binary32 rounding (subnormals included) of the exact value of x, computed by MPFR. */
static float mpfr_to_binary32(mpfr_t v)
{
    mpfr_exp_t emin = mpfr_get_emin(), emax = mpfr_get_emax();
    mpfr_t r;
    mpfr_init2(r, 24);
    mpfr_set_emin(-148);
    mpfr_set_emax(128);
    int t = mpfr_set(r, v, MPFR_RNDN);
    t = mpfr_check_range(r, t, MPFR_RNDN);
    mpfr_subnormalize(r, t, MPFR_RNDN);
    float f = mpfr_get_flt(r, MPFR_RNDN);
    mpfr_set_emin(emin);
    mpfr_set_emax(emax);
    mpfr_clear(r);
    return f;
}

static void free_mpfr_caches(void) { mpfr_free_cache(); }

/* MPFR keeps constant caches for the life of the process; free them at exit so LeakSanitizer sees
 * a clean process. */
static void register_cleanup(void)
{
    static int done;
    if (!done) {
        done = 1;
        atexit(free_mpfr_caches);
    }
}

typedef struct slow_state {
    const float *x;
    size_t n;
    float s;
    double m;
    int have_ld;           /* sum_ld computed */
    long double sum_ld;
    mpfr_prec_t prec;      /* precision of sum; 0 until first needed */
    mpfr_t sum;
} slow_state;

/* The middle tier, in long double (64-bit significand on x86, 113 on aarch64): expl is within 1 ulp
 * (2^-63), a - m is exact or within 2^-64 relative, the compensated sum within 2^-62: the quotient is
 * within 2^-60, and LD_REL_ERR keeps a factor of 4 of margin. Its sum over the row is computed once,
 * on the first entry the binary64 tier cannot decide. */
#define LD_REL_ERR 0x1p-58L

static long double ld_exp_diff(float a, double m)
{
    long double d = (long double)a - (long double)m;
    return d < -12000.0L ? 0.0L : expl(d);
}

static int ld_entry(slow_state *st, float xi, float *out)
{
    if (!st->have_ld) {
        long double sum = 0.0L, comp = 0.0L;
        for (size_t i = 0; i <= st->n; i++) {
            long double t = i < st->n ? ld_exp_diff(st->x[i], st->m)
                                      : (st->s == -INFINITY ? 0.0L : ld_exp_diff(st->s, st->m));
            long double u = sum + t;
            comp += fabsl(sum) >= fabsl(t) ? (sum - u) + t : (t - u) + sum;
            sum = u;
        }
        st->sum_ld = sum + comp;
        st->have_ld = 1;
    }
    long double e = ld_exp_diff(xi, st->m) / st->sum_ld;
    float lo = (float)(e * (1.0L - LD_REL_ERR)), hi = (float)(e * (1.0L + LD_REL_ERR));
    *out = lo;
    return lo == hi;
}

/* exp(a - m) at precision prec: a - m is exact at 300 bits (binary32 spans 2^128 .. 2^-149). */
static void mpfr_exp_diff(mpfr_t out, double a, double m, mpfr_prec_t prec)
{
    mpfr_t d;
    mpfr_init2(d, 300);
    mpfr_set_d(d, a, MPFR_RNDN);
    mpfr_sub_d(d, d, m, MPFR_RNDN);
    mpfr_set_prec(out, prec);
    mpfr_exp(out, d, MPFR_RNDN);
    mpfr_clear(d);
}

static void slow_sum(slow_state *st, mpfr_prec_t prec)
{
    if (st->prec >= prec)
        return;
    if (st->prec)
        mpfr_clear(st->sum);
    mpfr_init2(st->sum, prec);
    mpfr_t t;
    mpfr_init2(t, prec);
    mpfr_set_zero(st->sum, 1);
    if (st->s != -INFINITY) {
        mpfr_exp_diff(t, st->s, st->m, prec);
        mpfr_add(st->sum, st->sum, t, MPFR_RNDN);
    }
    for (size_t i = 0; i < st->n; i++) {
        if (st->x[i] == -INFINITY)
            continue;
        mpfr_exp_diff(t, st->x[i], st->m, prec);
        mpfr_add(st->sum, st->sum, t, MPFR_RNDN);
    }
    mpfr_clear(t);
    st->prec = prec;
}

/* Each exp and add is correctly rounded at prec, so the quotient's relative error is below
 * (n + 3) * 2^-prec; mpfr_can_round() decides from that whether rounding to 24 bits is certain. */
static float slow_entry(slow_state *st, float xi)
{
    if (xi == -INFINITY)
        return 0.0f;
    int log2n = 1;
    while (((size_t)1 << log2n) < st->n + 3)
        log2n++;
    for (mpfr_prec_t prec = 128;; prec *= 2) {
        slow_sum(st, prec);
        mpfr_t q;
        mpfr_init2(q, prec);
        mpfr_exp_diff(q, xi, st->m, prec);
        mpfr_div(q, q, st->sum, MPFR_RNDN);
        /* Below 2^-200 the binary32 result is 0 whatever the last bits are. */
        int done = mpfr_zero_p(q) || mpfr_get_exp(q) < -200 ||
                   mpfr_can_round(q, prec - log2n - 2, MPFR_RNDN, MPFR_RNDZ, 24 + 1) || prec >= 4096;
        if (done) {
            float f = mpfr_to_binary32(q);
            mpfr_clear(q);
            return f;
        }
        mpfr_clear(q);
    }
}

static void fill_special(const float *x, size_t n, sb_row_class c, sb_oracle *o)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += x[i] == INFINITY;
    float share = k ? (float)(1.0 / (double)k) : 0.0f;
    double share_d = k ? 1.0 / (double)k : 0.0;
    o->residual = 0.0;
    o->sink_p = 0.0;
    for (size_t i = 0; i < n; i++) {
        float v = 0.0f;
        double e = 0.0;
        if (c == SB_ROW_NAN) {
            v = NAN;
            e = NAN;
        } else if (c == SB_ROW_POS_INF && x[i] == INFINITY) {
            v = share;
            e = share_d;
        }
        o->y[i] = v;
        if (o->exact)
            o->exact[i] = e;
        if (i == o->sink_index)
            o->sink_p = e;
        else
            o->residual += e;
    }
    if (c == SB_ROW_NAN) {
        o->residual = NAN;
        o->sink_p = NAN;
    } else if (c == SB_ROW_SINK_INF) {
        o->sink_p = 1.0;
    }
}

sb_status sb_oracle_softmax(const float *x, size_t n, const sb_softmax_params *p, sb_oracle *o, int mpfr_only)
{
    o->mpfr_entries = 0;
    o->sink_p = 0.0;
    o->residual = 0.0;
    o->max_p = -INFINITY;
    o->log_sum = -INFINITY;
    o->row_class = sb_oracle_classify(x, n, p);
    if (o->row_class != SB_ROW_FINITE) {
        fill_special(x, n, o->row_class, o);
        return SB_OK;
    }

    float s = sink_of(p);
    double m = s;
    for (size_t i = 0; i < n; i++)
        m = x[i] > m ? x[i] : m;

    /* Neumaier-compensated sum of terms each within 2^-52 relative: the sum is within
     * 2^-52 + n*2^-106 relative, so below 2^-51 for every n the API accepts. */
    double sum = 0.0, comp = 0.0;
    for (size_t i = 0; i <= n; i++) {
        double t = i < n ? exp_diff(x[i], m) : (s == -INFINITY ? 0.0 : exp_diff(s, m));
        double u = sum + t;
        comp += fabs(sum) >= fabs(t) ? (sum - u) + t : (t - u) + sum;
        sum = u;
    }
    sum += comp;
    o->max_p = m;
    o->log_sum = log(sum);
    /* Quotient error: 2^-52 (numerator) + 2^-51 (sum) + 2^-53 (division) < 2^-49.5, and FAST_REL_ERR
     * leaves a factor of 4 of margin. */

    slow_state st = {x, n, s, m, 0, 0.0L, 0, {{0}}};
    double res = 0.0, res_c = 0.0;
    o->sink_p = s == -INFINITY ? 0.0 : exp_diff(s, m) / sum;
    for (size_t i = 0; i < n; i++) {
        double e = exp_diff(x[i], m) / sum;
        float f;
        float lo = (float)(e * (1.0 - FAST_REL_ERR)), hi = (float)(e * (1.0 + FAST_REL_ERR));
        if (!mpfr_only && (lo == hi || ld_entry(&st, x[i], &f))) {
            if (lo == hi)
                f = lo;
        } else {
            f = slow_entry(&st, x[i]);
            o->mpfr_entries++;
        }
        o->y[i] = f;
        if (o->exact)
            o->exact[i] = e;
        if (i == o->sink_index) {
            o->sink_p = e;
        } else {
            double u = res + e;
            res_c += fabs(res) >= fabs(e) ? (res - u) + e : (e - u) + res;
            res = u;
        }
    }
    o->residual = res + res_c;
    if (st.prec) {
        mpfr_clear(st.sum);
        register_cleanup();
    }
    return SB_OK;
}
