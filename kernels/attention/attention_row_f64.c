/* One attention row in binary64, exactly as docs/numerics.md ("Attention") states the contract.
 *
 * Products of two binary32 values are exact in binary64, a sum of at most 1024 of them is within
 * 2^-43 of the exact dot product relative to sum |q_c k_c|, and the softmax sums and the weighted sum
 * of V are Neumaier-compensated, so the row is within about 2^-45 (relative to max|v|) of the exact
 * value for every n the API accepts; rounding to binary32 adds half an ulp. */
#include <math.h>

#include "attention/attention_internal.h"

/* What a visible key contributes. */
enum key_class { KEY_MASKED, KEY_NAN, KEY_PLUS_INF, KEY_FINITE };

static enum key_class key_score(const sb_attention_desc *d, const float *q, const void *krow, float mk, double *s)
{
    if (mk == -INFINITY)
        return KEY_MASKED;
    if (isnan(mk))
        return KEY_NAN;
    double dot = 0.0;
    int finite = 1;
    for (size_t c = 0; c < d->head_dim; c++) {
        float kc = sb_attention_kv_at(d->kv_type, krow, c);
        finite &= isfinite(q[c]) && isfinite(kc);
        dot += (double)q[c] * (double)kc;
    }
    if (!finite)
        return KEY_NAN; /* a non-finite q or k reaching a score: the row is NaN */
    if (mk == INFINITY)
        return KEY_PLUS_INF;
    *s = (double)d->scale * dot + (double)mk;
    return KEY_FINITE;
}

/* Neumaier step: sum + t with the rounding error collected in comp. */
static inline void neumaier(double *sum, double *comp, double t)
{
    double u = *sum + t;
    *comp += fabs(*sum) >= fabs(t) ? (*sum - u) + t : (t - u) + *sum;
    *sum = u;
}

static void fill(double *o, size_t n, double v)
{
    for (size_t c = 0; c < n; c++)
        o[c] = v;
}

sb_attention_rule sb_attention_row_f64(const sb_attention_desc *d, size_t i, size_t h, double *o)
{
    double residual;
    return sb_attention_row_f64_mass(d, i, h, o, &residual);
}

sb_attention_rule sb_attention_row_f64_mass(const sb_attention_desc *d, size_t i, size_t h, double *o, double *residual)
{
    const size_t hd = d->head_dim, g = h / sb_attention_group(d);
    const float *q = sb_attention_q_row(d, i, h), *mrow = sb_attention_mask_row(d, i);
    const double sigma = sb_attention_sink_logit(d, h);
    const sb_attention_vis vis = sb_attention_visible(d, sb_attention_pos(d, i));
    const size_t r_lo[2] = {0, vis.lo}, r_hi[2] = {vis.sink_end, vis.hi};

    /* pass 1: which rule decides the row, and the maximum */
    int nan = isnan(sigma);
    size_t n_plus_inf = 0;
    double m = -INFINITY, s;
    for (int r = 0; r < 2 && !nan; r++)
        for (size_t j = r_lo[r]; j < r_hi[r] && !nan; j++) {
            switch (key_score(d, q, sb_attention_k_row(d, g, j), mrow ? mrow[j] : 0.0f, &s)) {
            case KEY_NAN: nan = 1; break;
            case KEY_PLUS_INF: n_plus_inf++; break;
            case KEY_FINITE: m = s > m ? s : m; break;
            case KEY_MASKED: break;
            }
        }
    *residual = 0.0;
    if (nan) {
        fill(o, hd, NAN);
        return SB_ATTENTION_ROW_NAN;
    }
    if (sigma == INFINITY || (m == -INFINITY && n_plus_inf == 0)) {
        fill(o, hd, 0.0); /* the sink takes all mass, or nothing is visible: zeros, never NaN */
        return SB_ATTENTION_ROW_ZERO;
    }

    /* pass 2: weights (+inf keys share the mass equally) and the weighted sum of V */
    double comp[SB_ATTENTION_MAX_HEAD_DIM];
    fill(o, hd, 0.0);
    fill(comp, hd, 0.0);
    double M = sigma > m ? sigma : m, z = 0.0, zc = 0.0;
    for (int r = 0; r < 2; r++)
        for (size_t j = r_lo[r]; j < r_hi[r]; j++) {
            enum key_class kc = key_score(d, q, sb_attention_k_row(d, g, j), mrow ? mrow[j] : 0.0f, &s);
            double w;
            if (n_plus_inf)
                w = kc == KEY_PLUS_INF ? 1.0 : 0.0;
            else
                w = kc == KEY_FINITE ? exp(s - M) : 0.0;
            if (kc == KEY_MASKED || (n_plus_inf && kc != KEY_PLUS_INF))
                continue; /* masked keys' values are never used */
            neumaier(&z, &zc, w);
            const void *vrow = sb_attention_v_row(d, g, j);
            for (size_t c = 0; c < hd; c++)
                neumaier(&o[c], &comp[c], w * (double)sb_attention_kv_at(d->kv_type, vrow, c));
        }
    double zk = z + zc, zt = zk; /* the keys' sum, then with the sink */
    if (n_plus_inf == 0 && sigma > -INFINITY)
        zt += exp(sigma - M);
    *residual = zk / zt;
    for (size_t c = 0; c < hd; c++)
        o[c] = (o[c] + comp[c]) / zt;
    return n_plus_inf ? SB_ATTENTION_ROW_PLUS_INF : SB_ATTENTION_ROW_FORMULA;
}

void sb_attention_row_f64_store(const sb_attention_desc *d, size_t i, size_t h)
{
    double o[SB_ATTENTION_MAX_HEAD_DIM];
    sb_attention_row_f64(d, i, h, o);
    float *out = sb_attention_out_row(d, i, h);
    for (size_t c = 0; c < d->head_dim; c++)
        out[c] = (float)o[c];
}

void sb_attention_row_sizes(const sb_attention_desc *d, size_t i, size_t h, double *v_max, double *score_size)
{
    const size_t hd = d->head_dim, g = h / sb_attention_group(d);
    const float *q = sb_attention_q_row(d, i, h), *mrow = sb_attention_mask_row(d, i);
    const sb_attention_vis vis = sb_attention_visible(d, sb_attention_pos(d, i));
    const size_t r_lo[2] = {0, vis.lo}, r_hi[2] = {vis.sink_end, vis.hi};
    double vm = 0.0, ss = 0.0;
    for (int r = 0; r < 2; r++)
        for (size_t j = r_lo[r]; j < r_hi[r]; j++) {
            float mk = mrow ? mrow[j] : 0.0f;
            if (mk == -INFINITY)
                continue;
            const void *krow = sb_attention_k_row(d, g, j), *vrow = sb_attention_v_row(d, g, j);
            double a = 0.0;
            for (size_t c = 0; c < hd; c++) {
                a += fabs((double)q[c] * (double)sb_attention_kv_at(d->kv_type, krow, c));
                double v = fabs((double)sb_attention_kv_at(d->kv_type, vrow, c));
                vm = v > vm && v < INFINITY ? v : vm; /* an infinite v only decides its own component */
            }
            a = fabs((double)d->scale) * a + fabs((double)mk);
            ss = a > ss ? a : ss;
        }
    *v_max = vm;
    *score_size = ss;
}
