/* softmax_three_pass_<isa>: (1) the row maximum m; (2) e_i = exp(x_i - m), stored in y, and their
 * sum S, kept in binary64 together with the rounding errors of the stored e_i, so that S is the
 * sum of the unrounded terms; (3) y_i = e_i / S, as one correctly rounded product by 1/S.
 * Three passes over memory; one exp per entry. Bound: 2 ulp (docs/numerics.md). */
#include "simd/softmax_body.h"

sb_status SB_ISA_SYMBOL(sb_softmax_three_pass)(const float *x, float *y, size_t n, const sb_softmax_params *p);

sb_status SB_ISA_SYMBOL(sb_softmax_three_pass)(const float *x, float *y, size_t n, const sb_softmax_params *p)
{
    sb_status st = sb_softmax_check_args(x, y, n, p);
    if (st != SB_OK || n == 0)
        return st;
    float s = sb_sink_logit_or_neg_inf(p);
    float xmax = sb_row_max_(x, n);
    float m = xmax > s ? xmax : s;
    if (!(xmax > -INFINITY && xmax < INFINITY) || isnan(s) || s == INFINITY || !(fabsf(m) <= SB_EXP_MAX_SHIFT))
        return sb_simd_softmax_cold(x, y, n, p);

    sb_vexp_row sh = sb_vexp_row_make(m, 1.0);
    sb_expsum_ acc;
    sb_expsum_init_(&acc);
    sb_expsum_run_(x, y, n, &sh, &acc);
    /* the sink is added once, here; its term and the sum are both scaled by 2^64 */
    double sum = sb_total_with_sink_(&acc, s, m);
    if (isnan(sum)) { /* a NaN in x (the maximum may have skipped it); x may be overwritten by now */
        sb_fill_f32(y, n, NAN);
        return SB_OK;
    }
    sb_scale_run_(y, y, n, 1.0 / sum);
    return SB_OK;
}
