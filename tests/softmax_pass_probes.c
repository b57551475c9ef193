/* Per-ISA half of measure_passes: the loops of the three-pass kernel (kernels/simd/softmax_body.h,
 * the same inline code the kernel is built from), callable one at a time, and two alternatives that
 * the 2-ulp bound rules out, to price what the bound costs. Compiled once per ISA, like the kernels.
 * Timing only: the alternatives' results are never used. */
#include <stdint.h>

#include "simd/softmax_body.h"
#include "softmax_passes.h"

/* One run of a probe over x[0..n) into y, for a row whose maximum is m. Results that y does not
 * take end in probe_sink, so that the compiler keeps the loops that make them. */
static sb_expsum_ probe_acc;
static volatile float probe_sink;
static volatile double probe_one = 1.0; /* a factor the compiler cannot fold away */

static void run_max(const float *x, float *y, size_t n, float m)
{
    (void)m;
    (void)y;
    probe_sink = sb_row_max_(x, n);
}

/* pass 2 as the kernel runs it: with sum, the binary64 sum inside the loop (the stored terms read
 * back: rows > 64 K), else only stored (rows <= 64 K sum them in pass 2b). sum must be a constant. */
SB_LOOP_ void exp_store_(const float *x, float *y, size_t n, float m, const int sum)
{
    sb_vexp_row row = sb_vexp_row_make(m, 1.0);
    sb_expsum_init_(&probe_acc);
    if (row.direct)
        sb_expsum_loop_(x, y, n, &row, &probe_acc, 1, 1, sum);
    else
        sb_expsum_loop_(x, y, n, &row, &probe_acc, 0, 1, sum);
    probe_sink = (float)sb_expsum_total_(&probe_acc);
}

static void run_exp_store(const float *x, float *y, size_t n, float m) { exp_store_(x, y, n, m, 0); }
static void run_exp_store_sum(const float *x, float *y, size_t n, float m) { exp_store_(x, y, n, m, 1); }

static void run_sum(const float *x, float *y, size_t n, float m)
{
    (void)x;
    (void)m;
    sb_expsum_init_(&probe_acc);
    sb_sum_run_(y, n, &probe_acc);
    probe_sink = (float)sb_expsum_total_(&probe_acc);
}

static void run_scale(const float *x, float *y, size_t n, float m)
{
    (void)x;
    (void)m;
    sb_scale_run_(y, y, n, probe_one); /* the kernel's loop; a factor of 1 keeps y for the next call */
}

/* exp(x - m) stored, rounded once, without the Fast2Sum that keeps its rounding error for the sum
 * (the loop of the online kernel's last pass) */
static void run_exp_store_no_err(const float *x, float *y, size_t n, float m)
{
    sb_vexp_row row = sb_vexp_row_make(m, 1.0);
    sb_exp_scaled_run_(x, y, n, &row);
}

/* the textbook pass 2: exp(x - m) stored and summed in binary32 lanes, no error term (direct: a
 * constant, as in the kernel's loops) */
SB_LOOP_ size_t exp_store_f32_sum_(const float *x, float *y, size_t n, const sb_vexp_row *row, const int direct)
{
    sb_vf s0 = sb_vf_zero(), s1 = s0;
    size_t i = 0;
    for (; i + 2 * SB_VW <= n; i += 2 * SB_VW) {
        sb_vf a = sb_exp_scaled_(sb_vf_loadu(x + i), row, direct);
        sb_vf b = sb_exp_scaled_(sb_vf_loadu(x + i + SB_VW), row, direct);
        sb_vf_storeu(y + i, a);
        sb_vf_storeu(y + i + SB_VW, b);
        s0 = sb_vf_add(s0, a);
        s1 = sb_vf_add(s1, b);
    }
    probe_sink = sb_vf_reduce_add(sb_vf_add(s0, s1));
    return i;
}

static void run_exp_store_f32_sum(const float *x, float *y, size_t n, float m)
{
    const sb_vexp_row row = sb_vexp_row_make(m, 1.0);
    size_t i = row.direct ? exp_store_f32_sum_(x, y, n, &row, 1) : exp_store_f32_sum_(x, y, n, &row, 0);
    if (i < n)
        sb_exp_scaled_run_(x + i, y + i, n - i, &row);
}

#define ALL 0, SIZE_MAX
#define SHORT 0, SB_SUM_AFTER_MAX
#define LONG SB_SUM_AFTER_MAX + 1, SIZE_MAX
#define NEVER 1, 0
static const sb_pass_probe probes[] = {
    {"max", "pass 1: the row maximum", ALL, run_max},
    {"exp_store", "pass 2: e_i = exp(x_i - m) stored, rounding errors kept (binary32)", SHORT, run_exp_store},
    {"sum", "pass 2b: binary64 sum of the stored e_i", SHORT, run_sum},
    {"exp_store_sum", "pass 2 + 2b in one loop", LONG, run_exp_store_sum},
    {"scale", "pass 3: y_i = e_i * (1/S), one rounding (timed with 1/S = 1)", ALL, run_scale},
    {"exp_store_no_err", "pass 2 without keeping the rounding errors", NEVER, run_exp_store_no_err},
    {"exp_store_f32_sum", "pass 2 + 2b as a textbook kernel: binary32 sum, no error terms", NEVER,
     run_exp_store_f32_sum},
};

size_t SB_ISA_SYMBOL(sb_softmax_pass_probes)(const sb_pass_probe **out, size_t *lanes);
size_t SB_ISA_SYMBOL(sb_softmax_pass_probes)(const sb_pass_probe **out, size_t *lanes)
{
    *out = probes;
    *lanes = SB_VW;
    return sizeof probes / sizeof probes[0];
}
