/* The error bounds the built-in attention kernels claim, as functions of the call (attention.h,
 * sb_attention_bound; docs/numerics.md, "Attention", derives them). First-order terms, each counted
 * once for the numerator and once for the denominator of the softmax quotient; the errors of both
 * are proportional to the keys' weights, hence to the residual mass R. */
#include <math.h>

#include "attention/attention_internal.h"
#include "attention/attention_kernels.h"

sb_attention_bound sb_attention_bound_reference(const sb_attention_desc *d, double score_size)
{
    (void)d;
    (void)score_size;
    sb_attention_bound b = {1.0, 0.0, 0.0, 0.0}; /* one rounding of a value within 2^-44 of the exact one */
    return b;
}

/* Scores: a dot product of d terms, the scale and the mask: (d + 3) * score_size absolute, i.e.
 * relative error of the weights, on both sides of the quotient. */
static double score_term(const sb_attention_desc *d, double score_size)
{
    return 2.0 * ((double)d->head_dim + 3.0) * score_size;
}

/* The terms above are first order: a relative error e of the weights is really a factor in
 * [e^-e, e^e], i.e. e^e - 1 <= e (1 + e) for e <= 1. Past e = 2^-6 (huge scores: 2 (d+3) u A, the
 * score term, alone reaches it for A around 2^17 / d) the linear analysis says nothing useful: a
 * score off by more than 1 can move the whole mass to another key, and the reference's R can underflow
 * to 0 while the kernel's is 1. Then only the trivial bound holds: both outputs are weighted means of
 * the visible v, |o_hat - o| <= 2 max|v| (plus the rounding of the sums). Found by fuzz/attention_diff
 * (textbook kernel, scores near 6e19 from a mask entry). */
static sb_attention_bound second_order(sb_attention_bound b, double n)
{
    double e = b.rel * 0x1p-24;
    if (e > 0x1p-6) {
        b.rel = 0.0;
        b.floor_mass = 0.0;
        b.floor += 2.0 + (n + 8.0) * 0x1p-23;
    } else {
        b.rel *= 1.0 + e;
    }
    return b;
}

sb_attention_bound sb_attention_bound_textbook(const sb_attention_desc *d, double score_size)
{
    double n = (double)d->n_keys, sink = 0.0;
    if (d->sink == SB_ATTENTION_SINK_LOGITS)
        for (size_t h = 0; h < d->n_heads; h++)
            if (isfinite(d->sink_logits[h]) && fabs((double)d->sink_logits[h]) > sink)
                sink = fabs((double)d->sink_logits[h]);
    /* sequential binary32 sums of n terms; s - m rounded (|s - m| <= 2 score_size + |sink|); expf,
     * the products, the division. Weights below 2^-126 are subnormal: 2^-149 each, over l >= 1.
     * Products w v that underflow (tiny v) err by 2^-150 each, absolutely, over l >= 1. */
    sb_attention_bound b = {2.0 * n + score_term(d, score_size) + 2.0 * (2.0 * score_size + sink) + 6.0, 0.0,
                            (n + 1.0) * 0x1p-149, (n + 1.0) * 0x1p-150};
    return second_order(b, n);
}

sb_attention_bound sb_attention_bound_flash(const sb_attention_desc *d, double score_size)
{
    double n = (double)d->n_keys, S = d->n_splits > 1 ? (double)d->n_splits : 1.0, B = SB_ATTENTION_BLOCK;
    double chunk = ceil(n / S); /* the merge is binary64: the split count adds nothing else */
    /* depth of the binary32 sums: within a block, across a chunk's blocks (two key ranges) */
    double L = B + ceil(chunk / B) + 2.0;
    /* exp of an exact difference (1), lazy rescales (2, weighted by the mass they touch), unfused
     * products (1), on both sides; the binary64 merge and the final rounding (1); slack for
     * second-order terms. Subnormal weights: 2^-149 each, relative to a chunk whose largest weight
     * is >= e^-T, i.e. at most n 2^-149 e^8 R max|v| < n 2^-137 R max|v|. Products w v that underflow
     * (tiny v; weights are <= e^-8 after a lazy rescale) err by 2^-150 each, absolutely, over a chunk
     * sum >= e^-8: n 2^-150 e^8 < n 2^-138 (found by fuzz/attention_diff: v near FLT_MIN). */
    sb_attention_bound b = {2.0 * L + score_term(d, score_size) + 16.0, (n + 1.0) * 0x1p-137, 0.0,
                            (n + 1.0) * 0x1p-138};
    return second_order(b, n);
}
