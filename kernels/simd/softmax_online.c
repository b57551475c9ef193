/* softmax_online_<isa>: (1) one read of x in blocks that stay in L1: each block's maximum, then
 * the sum of exp(x_i - m) against the running maximum m, rescaled (in binary64) only when a block
 * raises m; the sum is kept in binary64 with the rounding errors of its terms, as in three_pass;
 * (2) y_i = exp(x_i - m) / S computed directly, with 1/S folded into the exp's table, so each
 * output is rounded once. Two passes over memory; two exps per entry. Bound: 1 ulp
 * (docs/numerics.md). */
#include "simd/softmax_body.h"

#define SB_ONLINE_BLOCK 2048 /* floats: 8 KiB, read twice while in L1 */

sb_status SB_ISA_SYMBOL(sb_softmax_online)(const float *x, float *y, size_t n, const sb_softmax_params *p);

sb_status SB_ISA_SYMBOL(sb_softmax_online)(const float *x, float *y, size_t n, const sb_softmax_params *p)
{
    sb_status st = sb_softmax_check_args(x, y, n, p);
    if (st != SB_OK || n == 0)
        return st;
    float s = sb_sink_logit_or_neg_inf(p);
    if (isnan(s) || s == INFINITY || (s > -INFINITY && !(fabsf(s) <= SB_EXP_MAX_SHIFT)))
        return sb_simd_softmax_cold(x, y, n, p);

    float m = s; /* the sink is folded into the running maximum once, at the start */
    sb_vexp_row sh = sb_vexp_row_make(m > -INFINITY ? m : 0.0f, 1.0);
    sb_expsum_ acc;
    sb_expsum_init_(&acc);
    for (size_t b = 0; b < n; b += SB_ONLINE_BLOCK) {
        size_t len = n - b < SB_ONLINE_BLOCK ? n - b : SB_ONLINE_BLOCK;
        float bm = sb_row_max_(x + b, len);
        if (!sb_raise_reference_(bm, &m, &acc, &sh))
            return sb_simd_softmax_cold(x, y, n, p); /* nothing written yet */
        if (m > -INFINITY)
            sb_expsum_run_(x + b, NULL, len, &sh, &acc);
        else if (sb_simd_has_nan(x + b, len)) /* no finite logit yet: the sum cannot see a NaN here */
            return sb_simd_softmax_cold(x, y, n, p);
    }
    if (m == -INFINITY) /* no finite logit (or only NaNs the maximum skipped) */
        return sb_simd_softmax_cold(x, y, n, p);
    double sum = sb_total_with_sink_(&acc, s, m);
    if (isnan(sum)) { /* a NaN in x */
        sb_fill_f32(y, n, NAN);
        return SB_OK;
    }
    sh = sb_vexp_row_make(m, 1.0 / sum);
    sb_exp_scaled_run_(x, y, n, &sh);
    return SB_OK;
}
