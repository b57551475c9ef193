/* The textbook kernel as most code writes it, in binary32 throughout: per row, the scores as
 * sequential dot products, the exact maximum (sink included), then expf(s - m), and the sums of the
 * weights and of the weighted values accumulated key by key. No workspace: the scores are computed
 * twice instead of stored. Rows whose scores or outputs are not all finite go to the binary64 row evaluation,
 * which decides the contract's edge cases for every kernel. Ignores n_splits and n_threads.
 *
 * Its sums run over all n keys sequentially, so its bound grows like 2n (docs/numerics.md). */
#include <math.h>

#include "attention/attention_internal.h"
#include "attention/attention_kernels.h"

/* fl(fl(scale * (q . k)) + mask), with the dot product summed in order. */
static float score_f32(const sb_attention_desc *d, const float *q, const void *krow, float mk)
{
    float dot = 0.0f;
    for (size_t c = 0; c < d->head_dim; c++)
        dot += q[c] * sb_attention_kv_at(d->kv_type, krow, c);
    return d->scale * dot + mk;
}

/* Returns 0 when the row needs the binary64 evaluation. */
static int row_f32(const sb_attention_desc *d, size_t i, size_t h)
{
    const size_t hd = d->head_dim, g = h / sb_attention_group(d);
    const float *q = sb_attention_q_row(d, i, h), *mrow = sb_attention_mask_row(d, i);
    const float sigma = sb_attention_sink_logit(d, h);
    const sb_attention_vis vis = sb_attention_visible(d, sb_attention_pos(d, i));
    const size_t r_lo[2] = {0, vis.lo}, r_hi[2] = {vis.sink_end, vis.hi};
    if (isnan(sigma) || sigma == INFINITY)
        return 0;

    float m = sigma;
    int any = 0;
    for (int r = 0; r < 2; r++)
        for (size_t j = r_lo[r]; j < r_hi[r]; j++) {
            float mk = mrow ? mrow[j] : 0.0f;
            if (mk == -INFINITY)
                continue;
            float s = score_f32(d, q, sb_attention_k_row(d, g, j), mk);
            if (!isfinite(s))
                return 0;
            m = s > m ? s : m;
            any = 1;
        }
    float *out = sb_attention_out_row(d, i, h);
    for (size_t c = 0; c < hd; c++)
        out[c] = 0.0f;
    if (!any)
        return 1; /* nothing visible: zeros, with or without a sink */

    float l = sigma > -INFINITY ? expf(sigma - m) : 0.0f;
    for (int r = 0; r < 2; r++)
        for (size_t j = r_lo[r]; j < r_hi[r]; j++) {
            float mk = mrow ? mrow[j] : 0.0f;
            if (mk == -INFINITY)
                continue;
            float w = expf(score_f32(d, q, sb_attention_k_row(d, g, j), mk) - m);
            l += w;
            const void *vrow = sb_attention_v_row(d, g, j);
            for (size_t c = 0; c < hd; c++)
                out[c] += w * sb_attention_kv_at(d->kv_type, vrow, c);
        }
    int finite = 1;
    for (size_t c = 0; c < hd; c++) {
        out[c] /= l;
        finite &= isfinite(out[c]) != 0;
    }
    /* The binary32 sums of w v can overflow (values near FLT_MAX) where the exact mean is finite:
     * such rows, like those with a non-finite v, go to the binary64 evaluation (found by
     * fuzz/attention_diff). */
    return finite;
}

static void row(const sb_attention_desc *d, size_t i, size_t h)
{
    if (!row_f32(d, i, h))
        sb_attention_row_f64_store(d, i, h);
}

sb_status sb_attention_scalar_f32(const sb_attention_desc *d) { return sb_attention_each_row(d, row); }
