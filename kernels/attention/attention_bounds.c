/* The error bounds the built-in attention kernels claim, as functions of the call (docs/numerics.md,
 * "Attention", derives them). Each returns c in  max|o - o_exact| <= c * 2^-24 * max|v|  (plus
 * c * 2^-149 absolute, for values near the subnormal range). score_size is the largest
 * |scale| * sum_c |q_c k_jc| + |mask_j| over the row's visible keys. */
#include <math.h>

#include "attention/attention_internal.h"
#include "attention/attention_kernels.h"

double sb_attention_bound_reference(const sb_attention_desc *d, double score_size)
{
    (void)d;
    (void)score_size;
    return 1.0; /* one rounding of a value within 2^-45 relative of the exact one */
}

/* Scores: a dot product of d terms, the scale and the mask: (d + 3) * score_size absolute, which the
 * softmax turns into twice that relative (numerator and denominator). */
static double score_term(const sb_attention_desc *d, double score_size)
{
    return 2.0 * ((double)d->head_dim + 3.0) * score_size;
}

double sb_attention_bound_textbook(const sb_attention_desc *d, double score_size)
{
    double n = (double)d->n_keys;
    /* sequential sums of n terms (numerator and denominator), exp(s - m) with s - m rounded (its
     * mass-weighted size is at most ln(n + 1)), expf, the products and the division */
    return 2.0 * n + score_term(d, score_size) + 2.0 * log(n + 1.0) + 6.0;
}

double sb_attention_bound_flash(const sb_attention_desc *d, double score_size)
{
    double n = (double)d->n_keys, S = d->n_splits > 1 ? (double)d->n_splits : 1.0, B = SB_ATTN_BLOCK;
    double chunk = ceil(n / S);
    /* depth of the sums: within a block, across a chunk's blocks (two key ranges), across chunks */
    double L = B + ceil(chunk / B) + S + 2.0;
    /* on each side of the quotient: exp of an exact difference (1), the lazy rescales (2, weighted
     * by the mass they touch), the merge factor and its product (2), unfused products (1); then the
     * reciprocal and its product (2), and slack for second-order terms */
    return 2.0 * L + score_term(d, score_size) + 16.0;
}
