/* softmax_three_pass_<isa>: (1) the row maximum m; (2) e_i = exp(x_i - m), stored in y, and their
 * sum S, kept in binary64 together with the rounding errors of the stored e_i, so that S is the
 * sum of the unrounded terms; (3) y_i = e_i / S, as one correctly rounded product by 1/S.
 * Three passes over memory; one exp per entry. Bound: 2 ulp (docs/numerics.md). */
#include "simd/softmax_body.h"

#define SB_SHORT_ROW 128 /* entries; docs/kernels.md, "Short rows" */

sb_status SB_ISA_SYMBOL(sb_softmax_three_pass)(const float *x, float *y, size_t n, const sb_softmax_params *p);
sb_status SB_ISA_SYMBOL(sb_softmax_three_pass_unchecked)(const float *x, float *y, size_t n, const sb_softmax_params *p);

sb_status SB_ISA_SYMBOL(sb_softmax_three_pass)(const float *x, float *y, size_t n, const sb_softmax_params *p)
{
    sb_status st = sb_softmax_check_args(x, y, n, p);
    if (st != SB_OK || n == 0)
        return st;
    return SB_ISA_SYMBOL(sb_softmax_three_pass_unchecked)(x, y, n, p);
}

/* A row of at most one vector, in registers: the operations of the loops below on one vector,
 * without the loops, the stores and the reloads (same values: a call on a short row is all latency).
 * The terms' sum sb_sum_run_ would take from the stored terms is the binary64 sum of the same
 * vector, and adding the loops' zero accumulators is exact. */
static sb_status short_row(const float *x, float *y, size_t n, const sb_softmax_params *p)
{
    float s = sb_sink_logit_or_neg_inf(p);
    sb_vf xv = n == SB_VW ? sb_vf_loadu(x) : sb_vf_load_part(x, n, -INFINITY);
    float xmax = sb_vf_reduce_max(xv);
    float m = xmax > s ? xmax : s;
    if (!(xmax > -INFINITY && xmax < INFINITY) || isnan(s) || s == INFINITY || !(fabsf(m) <= SB_EXP_MAX_SHIFT))
        return sb_simd_softmax_cold(x, y, n, p);
    sb_vexp_row sh = sb_vexp_row_make_two_sum(m);
    sb_vf err = sb_vf_zero();
    sb_vf r = sb_exp_term_(xv, &sh, 0, &err);
    if (n < SB_VW) {
        sb_vm live = sb_vm_first(n);
        r = sb_vf_select(live, r, sb_vf_zero());
        err = sb_vf_select(live, err, sb_vf_zero());
    }
    sb_expsum_ acc = {sb_vacc64_add(sb_vacc64_zero(), r), sb_vacc64_add(sb_vacc64_zero(), err)};
    double sum = sb_total_with_sink_(&acc, s, m);
    if (isnan(sum)) { /* a NaN in x */
        sb_fill_f32(y, n, NAN);
        return SB_OK;
    }
    const sb_scaler_ sc = sb_scaler_make_(1.0 / sum);
    if (n == SB_VW)
        sb_vf_storeu(y, sb_scaler_apply_(r, &sc));
    else
        sb_vf_store_part(y, sb_scaler_apply_(r, &sc), n);
    return SB_OK;
}

/* The kernel for arguments already checked (n >= 1): the batched kernel's rows, whose descriptor
 * check covers what sb_softmax_check_args would. */
sb_status SB_ISA_SYMBOL(sb_softmax_three_pass_unchecked)(const float *x, float *y, size_t n, const sb_softmax_params *p)
{
    if (n <= SB_VW)
        return short_row(x, y, n, p);
    float s = sb_sink_logit_or_neg_inf(p);
    float xmax = sb_row_max_(x, n);
    float m = xmax > s ? xmax : s;
    if (!(xmax > -INFINITY && xmax < INFINITY) || isnan(s) || s == INFINITY || !(fabsf(m) <= SB_EXP_MAX_SHIFT))
        return sb_simd_softmax_cold(x, y, n, p);

    /* short rows take the two_sum path: no libm exp and no table to build before the first vector */
    sb_vexp_row sh = n < SB_SHORT_ROW ? sb_vexp_row_make_two_sum(m) : sb_vexp_row_make(m, 1.0);
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
