/* The stack's forward pass, optionally carrying one tangent (forward-mode JVP, binary64 only).
 * One orchestration serves the reference, every kernel and precision, and the derivative, so they
 * cannot drift apart. Tangent rows before the first perturbed token are zero by causality and skipped. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "studies/stack/ops.h"
#include "studies/stack/stack_internal.h"

typedef struct ws {
    size_t n, d, f;
    double *u, *r, *q, *k, *v, *kt, *att, *att0, *gl, *g, *o, *w, *r2, *z, *a;
    double *s, *p, *ds;
    float *ktf, *acc, *rowf, *probf;
    /* tangents */
    double *du, *dq, *dk, *dv, *dkt, *datt, *dgl, *dout, *dw, *dz, *da;
} ws;

static void ws_free(ws *w)
{
    free(w->u);
    memset(w, 0, sizeof *w);
}

static sb_status ws_alloc(ws *w, size_t n, size_t d, int tangent)
{
    memset(w, 0, sizeof *w);
    size_t f = STACK_MLP_RATIO;
    w->n = n;
    w->d = d;
    w->f = f;
    size_t nd = n * d, nfd = n * f * d;
    size_t doubles = 11 * nd + 2 * n + 2 * nfd + 3 * n + (tangent ? 9 * nd + 2 * nfd : 0);
    size_t floats = nd + f * d + 2 * n + 2;
    if (nd / d != n || doubles > SIZE_MAX / 16)
        return SB_ENOMEM;
    double *p = malloc(doubles * sizeof(double) + floats * sizeof(float));
    if (!p)
        return SB_ENOMEM;
    double **nd_bufs[11] = {&w->u, &w->q, &w->k, &w->v, &w->kt, &w->att, &w->att0, &w->gl, &w->g, &w->o, &w->w};
    for (int i = 0; i < 11; i++, p += nd)
        *nd_bufs[i] = p;
    w->r = p, p += n;
    w->r2 = p, p += n;
    w->z = p, p += nfd;
    w->a = p, p += nfd;
    w->s = p, p += n;
    w->p = p, p += n;
    w->ds = p, p += n;
    if (tangent) {
        double **t_bufs[9] = {&w->du, &w->dq, &w->dk, &w->dv, &w->dkt, &w->datt, &w->dgl, &w->dout, &w->dw};
        for (int i = 0; i < 9; i++, p += nd)
            *t_bufs[i] = p;
        w->dz = p, p += nfd;
        w->da = p, p += nfd;
    }
    float *pf = (float *)p;
    w->ktf = pf, pf += nd;
    w->acc = pf, pf += f * d + 1;
    w->rowf = pf, pf += n;
    w->probf = pf;
    return SB_OK;
}

static double sink_logit(const sb_stack *s, size_t l, size_t head)
{
    if (!s->cfg.linear)
        return s->layer[l].sink_logit[head];
    if (s->cfg.sink == SB_STACK_SINK_LEARNED)
        return s->cfg.gap;
    return s->cfg.sink == SB_STACK_SINK_SOFTMAX1 ? 0.0 : -INFINITY;
}

/* The additive key bias of sink positions (bos, no_bos); the other modes put their strength elsewhere. */
static double key_gap(const sb_stack *s)
{
    return s->cfg.sink == SB_STACK_SINK_BOS || s->cfg.sink == SB_STACK_SINK_NO_BOS ? s->cfg.gap : 0.0;
}

/* The additive bias of key position j: the gap on sink positions, the content offset elsewhere. */
static double key_bias(const sb_stack *s, const unsigned char *bos, size_t j)
{
    return stack_is_sink_pos(s, bos, j) ? key_gap(s) : s->cfg.content_offset;
}

typedef struct run {
    const sb_stack *s;
    const unsigned char *bos;
    const sb_stack_trace *trace;
    size_t n;
    int tangent;
    size_t t0; /* first row whose tangent may be non-zero */
} run;

/* Logits of query t against keys 0..t of one head into w->s (binary64) or w->rowf (binary32 arithmetic). */
static void logits_row(const run *R, const stack_prec *pr, ws *w, size_t c0, size_t dh, size_t t)
{
    const sb_stack *s = R->s;
    size_t n = R->n, d = w->d, cnt = t + 1;
    if (s->cfg.linear) {
        for (size_t j = 0; j < cnt; j++)
            w->s[j] = stack_linear_logit(s, t, j) + key_bias(s, R->bos, j);
    } else if (pr->f32) {
        float *row = w->rowf, scale = (float)(s->cfg.temperature / sqrt((double)dh));
        memset(row, 0, cnt * sizeof *row);
        for (size_t c = 0; c < dh; c++) {
            float qc = (float)w->q[t * d + c0 + c];
            const float *kr = w->ktf + (c0 + c) * n;
            for (size_t j = 0; j < cnt; j++)
                row[j] += qc * kr[j];
        }
        for (size_t j = 0; j < cnt; j++)
            row[j] = row[j] * scale + (float)key_bias(s, R->bos, j);
        return;
    } else {
        double scale = s->cfg.temperature / sqrt((double)dh);
        /* Four features per pass over the row (fewer loads and stores); each logit still adds its
         * products in feature order, as the one-feature-per-pass loop did. */
        const double *q = w->q + t * d + c0;
        memset(w->s, 0, cnt * sizeof *w->s);
        size_t c = 0;
        for (; c + 4 <= dh; c += 4) {
            const double *k0 = w->kt + (c0 + c) * n, *k1 = k0 + n, *k2 = k1 + n, *k3 = k2 + n;
            for (size_t j = 0; j < cnt; j++) {
                double v = w->s[j];
                v += q[c] * k0[j];
                v += q[c + 1] * k1[j];
                v += q[c + 2] * k2[j];
                v += q[c + 3] * k3[j];
                w->s[j] = v;
            }
        }
        for (; c < dh; c++) {
            const double *kr = w->kt + (c0 + c) * n;
            for (size_t j = 0; j < cnt; j++)
                w->s[j] += q[c] * kr[j];
        }
        for (size_t j = 0; j < cnt; j++)
            w->s[j] = w->s[j] * scale + key_bias(s, R->bos, j);
    }
    if (pr->kernel)
        for (size_t j = 0; j < cnt; j++)
            w->rowf[j] = (float)w->s[j];
}

/* Records what the trace asks for about query t of head hd in layer l (probabilities in w->p). */
static void trace_row(const run *R, const ws *w, size_t l, size_t hd, size_t t, double sink_mass)
{
    const sb_stack_trace *tr = R->trace;
    size_t n = R->n, H = R->s->cfg.heads, cnt = t + 1, at = (l * H + hd) * n + t;
    if (tr->first_mass)
        tr->first_mass[at] = w->p[0];
    if (tr->sink_mass)
        tr->sink_mass[at] = sink_mass;
    if (tr->content_mass) {
        double c = 0.0;
        for (size_t j = 0; j < cnt; j++)
            c += stack_is_sink_pos(R->s, R->bos, j) ? 0.0 : w->p[j];
        tr->content_mass[at] = c;
    }
    if (tr->attention) {
        double *row = tr->attention + at * n;
        memcpy(row, w->p, cnt * sizeof *row);
        memset(row + cnt, 0, (n - cnt) * sizeof *row);
    }
}

/* Attention of every head; values already in w->v (the linear limit: the layer input). */
static sb_status attention(const run *R, const stack_prec *pr, ws *w, size_t l)
{
    const sb_stack *s = R->s;
    size_t n = R->n, d = w->d, H = s->cfg.heads, dh = s->head_dim;
    double scale = s->cfg.temperature / sqrt((double)dh);
    for (size_t hd = 0; hd < H; hd++) {
        size_t c0 = hd * dh;
        double sl = sink_logit(s, l, hd);
        sb_softmax_params params = {sl == -INFINITY ? SB_SINK_NONE : SB_SINK_LOGIT, (float)sl};
        for (size_t t = 0; t < n; t++) {
            size_t cnt = t + 1;
            logits_row(R, pr, w, c0, dh, t);
            double sink_mass;
            if (pr->kernel) {
                if (pr->k->fn(w->rowf, w->probf, cnt, &params) != SB_OK)
                    return SB_EUNSUPPORTED;
                double total = 0.0;
                for (size_t j = 0; j < cnt; j++)
                    w->p[j] = w->probf[j];
                stack_store(pr, w->p, cnt);
                for (size_t j = 0; j < cnt; j++)
                    total += w->p[j];
                sink_mass = sl == -INFINITY ? 0.0 : 1.0 - total;
            } else {
                sink_mass = stack_softmax_f64(w->s, cnt, sl, w->p);
            }
            if (R->trace)
                trace_row(R, w, l, hd, t, sink_mass);

            double *out = w->att + t * d + c0;
            if (pr->f32) {
                float *acc = w->acc;
                memset(acc, 0, dh * sizeof *acc);
                for (size_t j = 0; j < cnt; j++) {
                    float pj = (float)w->p[j];
                    const double *vj = w->v + j * d + c0;
                    for (size_t c = 0; c < dh; c++)
                        acc[c] += pj * (float)vj[c];
                }
                for (size_t c = 0; c < dh; c++)
                    out[c] = acc[c];
            } else {
                /* Eight outputs at a time held in registers; each sums over j in order. */
                for (size_t c = 0; c < dh; c += 8) {
                    double acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
                    const double *vc = w->v + c0 + c;
                    if (c + 8 <= dh) {
                        for (size_t j = 0; j < cnt; j++)
                            for (int e = 0; e < 8; e++)
                                acc[e] += w->p[j] * vc[j * d + e];
                    } else {
                        for (size_t j = 0; j < cnt; j++)
                            for (size_t e = 0; e < dh - c; e++)
                                acc[e] += w->p[j] * vc[j * d + e];
                    }
                    for (size_t e = 0; e < 8 && c + e < dh; e++)
                        out[c + e] = acc[e];
                }
            }
            if (!R->tangent || t < R->t0)
                continue;
            /* dp_j = p_j (ds_j - sum_i p_i ds_i), with or without a logit sink (it is a constant). */
            double *dout = w->datt + t * d + c0;
            memset(dout, 0, dh * sizeof *dout);
            double mean_ds = 0.0;
            if (!s->cfg.linear) {
                memset(w->ds, 0, cnt * sizeof *w->ds);
                for (size_t c = 0; c < dh; c++) {
                    double qc = w->q[t * d + c0 + c], dqc = w->dq[t * d + c0 + c];
                    const double *kr = w->kt + (c0 + c) * n, *dkr = w->dkt + (c0 + c) * n;
                    for (size_t j = 0; j < cnt; j++)
                        w->ds[j] += dqc * kr[j] + qc * dkr[j];
                }
                for (size_t j = 0; j < cnt; j++) {
                    w->ds[j] *= scale;
                    mean_ds += w->p[j] * w->ds[j];
                }
            }
            for (size_t j = 0; j < cnt; j++) {
                double pj = w->p[j], dpj = s->cfg.linear ? 0.0 : pj * (w->ds[j] - mean_ds);
                const double *vj = w->v + j * d + c0, *dvj = w->dv + j * d + c0;
                for (size_t c = 0; c < dh; c++)
                    dout[c] += dpj * vj[c] + pj * dvj[c];
            }
        }
    }
    stack_store(pr, w->att, n * d);
    return SB_OK;
}

static void scale_sink_values(const run *R, const stack_prec *pr, double *v, double *dv, size_t d)
{
    const sb_stack *s = R->s;
    for (size_t j = 0; j < R->n; j++) {
        if (!stack_is_sink_pos(s, R->bos, j))
            continue;
        for (size_t c = 0; c < d; c++) {
            v[j * d + c] *= s->cfg.value_scale;
            if (dv)
                dv[j * d + c] *= s->cfg.value_scale;
        }
        stack_store(pr, v + j * d, d);
    }
}

static void transpose(const double *a, size_t n, size_t d, double *at)
{
    for (size_t t = 0; t < n; t++)
        for (size_t c = 0; c < d; c++)
            at[c * n + t] = a[t * d + c];
}

static sb_status layer_linear(const run *R, const stack_prec *pr, ws *w, size_t l, double *h, double *dh)
{
    size_t nd = R->n * w->d;
    memcpy(w->v, h, nd * sizeof *h);
    if (R->tangent && dh)
        memcpy(w->dv, dh, nd * sizeof *dh);
    scale_sink_values(R, pr, w->v, R->tangent ? w->dv : NULL, w->d);
    sb_status st = attention(R, pr, w, l);
    if (st != SB_OK)
        return st;
    for (size_t i = 0; i < nd; i++)
        h[i] = 0.5 * (h[i] + w->att[i]);
    stack_store(pr, h, nd);
    if (R->tangent)
        for (size_t i = R->t0 * w->d; i < nd; i++)
            dh[i] = 0.5 * (dh[i] + w->datt[i]);
    return SB_OK;
}

/* u = RMSNorm(h) or h; du likewise. */
static void normed(const run *R, const stack_prec *pr, ws *w, const double *h, const double *dh, double *u,
                   double *r, double *du)
{
    size_t n = R->n, d = w->d;
    if (R->s->cfg.norm) {
        stack_rmsnorm(pr, h, n, d, u, r);
        if (R->tangent)
            stack_rmsnorm_jvp(u, r, dh, R->t0, n, d, du);
    } else {
        memcpy(u, h, n * d * sizeof *u);
        if (R->tangent)
            memcpy(du, dh, n * d * sizeof *du);
    }
}

static void residual_add(const run *R, const stack_prec *pr, size_t nd, double *h, const double *o, double *dh,
                         const double *dout)
{
    for (size_t i = 0; i < nd; i++)
        h[i] += o[i];
    stack_store(pr, h, nd);
    if (R->tangent)
        for (size_t i = 0; i < nd; i++)
            dh[i] += dout[i];
}

static sb_status layer_full(const run *R, const stack_prec *pr, ws *w, size_t l, double *h, double *dh)
{
    const sb_stack *s = R->s;
    const stack_weights *W = &s->layer[l];
    size_t n = R->n, d = w->d, fd = w->f * d, nd = n * d, t0 = R->t0;
    int tg = R->tangent;
    stack_prec exact = stack_prec_of(SB_STACK_F64, NULL);

    normed(R, pr, w, h, dh, w->u, w->r, w->du);
    stack_matmul(pr, w->u, 0, n, d, W->wq, W->wq_f, d, w->q, w->acc);
    stack_matmul(pr, w->u, 0, n, d, W->wk, W->wk_f, d, w->k, w->acc);
    stack_matmul(pr, w->u, 0, n, d, W->wv, W->wv_f, d, w->v, w->acc);
    if (tg) {
        stack_matmul(&exact, w->du, t0, n, d, W->wq, NULL, d, w->dq, NULL);
        stack_matmul(&exact, w->du, t0, n, d, W->wk, NULL, d, w->dk, NULL);
        stack_matmul(&exact, w->du, t0, n, d, W->wv, NULL, d, w->dv, NULL);
        transpose(w->dk, n, d, w->dkt);
    }
    scale_sink_values(R, pr, w->v, tg ? w->dv : NULL, d);
    transpose(w->k, n, d, w->kt);
    if (pr->f32)
        for (size_t i = 0; i < nd; i++)
            w->ktf[i] = (float)w->kt[i];
    sb_status st = attention(R, pr, w, l);
    if (st != SB_OK)
        return st;

    /* The head outputs before the gate and the constant scale: the reverse pass needs them. */
    memcpy(w->att0, w->att, nd * sizeof *w->att0);
    double gain = s->cfg.gate_gain, c = s->cfg.attn_scale;
    if (s->cfg.sink == SB_STACK_SINK_GATED) {
        stack_matmul(pr, w->u, 0, n, d, W->wg, W->wg_f, d, w->gl, w->acc);
        for (size_t i = 0; i < nd; i++)
            w->g[i] = stack_sigmoid(gain * w->gl[i] - s->cfg.gap);
        stack_store(pr, w->g, nd);
        if (tg) {
            stack_matmul(&exact, w->du, t0, n, d, W->wg, NULL, d, w->dgl, NULL);
            for (size_t i = t0 * d; i < nd; i++)
                w->datt[i] = w->datt[i] * w->g[i] + w->att[i] * w->g[i] * (1.0 - w->g[i]) * gain * w->dgl[i];
        }
        for (size_t i = 0; i < nd; i++)
            w->att[i] *= w->g[i];
        stack_store(pr, w->att, nd);
    }
    if (c != 1.0) {
        for (size_t i = 0; i < nd; i++)
            w->att[i] *= c;
        stack_store(pr, w->att, nd);
        if (tg)
            for (size_t i = t0 * d; i < nd; i++)
                w->datt[i] *= c;
    }
    if (R->trace && R->trace->gate_energy) {
        double *e = R->trace->gate_energy;
        for (size_t i = 0; i < nd; i++) {
            e[0] += w->att0[i] * w->att0[i];
            e[1] += w->att[i] * w->att[i];
        }
        if (s->cfg.sink == SB_STACK_SINK_GATED)
            for (size_t i = 0; i < nd; i++) {
                e[2] += w->g[i];
                e[3] += w->g[i] < 0.1;
            }
    }
    stack_matmul(pr, w->att, 0, n, d, W->wo, W->wo_f, d, w->o, w->acc);
    if (tg)
        stack_matmul(&exact, w->datt, t0, n, d, W->wo, NULL, d, w->dout, NULL);
    residual_add(R, pr, nd, h, w->o, dh, w->dout);

    if (!s->cfg.mlp)
        return SB_OK;
    normed(R, pr, w, h, dh, w->w, w->r2, w->dw);
    stack_matmul(pr, w->w, 0, n, d, W->w1, W->w1_f, fd, w->z, w->acc);
    if (tg) {
        stack_matmul(&exact, w->dw, t0, n, d, W->w1, NULL, fd, w->dz, NULL);
        for (size_t i = t0 * fd; i < n * fd; i++)
            w->da[i] = stack_silu_derivative(w->z[i]) * w->dz[i];
    }
    for (size_t i = 0; i < n * fd; i++)
        w->a[i] = stack_silu(w->z[i]);
    stack_store(pr, w->a, n * fd);
    stack_matmul(pr, w->a, 0, n, fd, W->w2, W->w2_f, d, w->o, w->acc);
    if (tg)
        stack_matmul(&exact, w->da, t0, n, fd, W->w2, NULL, d, w->dout, NULL);
    residual_add(R, pr, nd, h, w->o, dh, w->dout);
    return SB_OK;
}

static sb_status check_exec(const sb_stack_exec *e)
{
    if (!e)
        return SB_OK;
    if ((unsigned)e->precision >= SB_STACK_PRECISION_COUNT)
        return SB_EINVAL;
    if (e->precision == SB_STACK_F64)
        return SB_OK;
    if (!e->kernel || !e->kernel->fn || !e->kernel->supported)
        return SB_EINVAL;
    return e->kernel->supported() ? SB_OK : SB_EUNSUPPORTED;
}

static stack_prec layer_prec(const sb_stack_exec *e, size_t l)
{
    if (!e || (e->kernel_layers && l >= e->kernel_layers))
        return stack_prec_of(SB_STACK_F64, NULL);
    return stack_prec_of(e->precision, e->kernel);
}

static sb_status run_stack(const sb_stack *s, const sb_stack_exec *exec, const double *x, const double *dx,
                           size_t n, const unsigned char *bos, double *y, double *dy, const sb_stack_trace *trace)
{
    if (!s || !x || n == 0 || n > SB_STACK_MAX_TOKENS)
        return SB_EINVAL;
    sb_status st = check_exec(exec);
    if (st != SB_OK)
        return st;
    size_t d = s->cfg.width, nd = n * d, L = s->cfg.layers;
    run R = {s, bos, trace, n, dx != NULL, 0};
    if (R.tangent) {
        R.t0 = n;
        for (size_t i = 0; i < nd && R.t0 == n; i++)
            if (dx[i] != 0.0)
                R.t0 = i / d;
    }
    ws w;
    st = ws_alloc(&w, n, d, R.tangent);
    if (st != SB_OK)
        return st;
    double *h = malloc(nd * sizeof *h * (R.tangent ? 2 : 1));
    if (!h) {
        ws_free(&w);
        return SB_ENOMEM;
    }
    double *dh = R.tangent ? h + nd : NULL;
    memcpy(h, x, nd * sizeof *h);
    if (R.tangent)
        memcpy(dh, dx, nd * sizeof *dh);
    stack_prec p0 = layer_prec(exec, 0);
    stack_store(&p0, h, nd);
    if (trace && trace->hidden)
        memcpy(trace->hidden, h, nd * sizeof *h);
    for (size_t l = 0; l < L && st == SB_OK; l++) {
        stack_prec pr = layer_prec(exec, l);
        st = s->cfg.linear ? layer_linear(&R, &pr, &w, l, h, dh) : layer_full(&R, &pr, &w, l, h, dh);
        if (st == SB_OK && trace && trace->hidden)
            memcpy(trace->hidden + (l + 1) * nd, h, nd * sizeof *h);
    }
    if (st == SB_OK && y)
        memcpy(y, h, nd * sizeof *h);
    if (st == SB_OK && dy)
        memcpy(dy, dh, nd * sizeof *dh);
    free(h);
    ws_free(&w);
    return st;
}

sb_status sb_stack_forward(const sb_stack *s, const sb_stack_exec *exec, const double *x, size_t n,
                           const unsigned char *bos, double *y, const sb_stack_trace *trace)
{
    return run_stack(s, exec, x, NULL, n, bos, y, NULL, trace);
}

sb_status sb_stack_jvp(const sb_stack *s, const double *x, const double *dx, size_t n, const unsigned char *bos,
                       double *y, double *dy)
{
    if (!dx || !dy)
        return SB_EINVAL;
    return run_stack(s, NULL, x, dx, n, bos, y, dy, NULL);
}

/* ---- reverse mode ----------------------------------------------------------------------------------
 * Each layer's internals are recomputed in binary64 from its input (kept from the forward pass), then
 * the cotangent is carried back through the MLP, the output projection, the gate and scale, the
 * attention rows (probabilities recomputed one row at a time, so memory stays O(n) per head) and the
 * projections. The formulas are the transposes of the JVP's (docs/perturbation.md). */

/* Reverse pass of every head's attention: w->datt (n x d, the cotangent of the head outputs before the
 * gate and scale) into w->dq, w->dk, w->dv (n x d). Needs w->q, w->kt, w->v of the recomputed layer. */
static void attention_vjp(const run *R, ws *w, size_t l)
{
    const sb_stack *s = R->s;
    size_t n = R->n, d = w->d, H = s->cfg.heads, dh = s->head_dim;
    double scale = s->cfg.temperature / sqrt((double)dh);
    stack_prec exact = stack_prec_of(SB_STACK_F64, NULL);
    memset(w->dq, 0, n * d * sizeof *w->dq);
    memset(w->dk, 0, n * d * sizeof *w->dk);
    memset(w->dv, 0, n * d * sizeof *w->dv);
    for (size_t hd = 0; hd < H; hd++) {
        size_t c0 = hd * dh;
        double sl = sink_logit(s, l, hd);
        for (size_t t = 0; t < n; t++) {
            size_t cnt = t + 1;
            logits_row(R, &exact, w, c0, dh, t);
            stack_softmax_f64(w->s, cnt, sl, w->p);
            const double *gt = w->datt + t * d + c0;
            double mean = 0.0;
            for (size_t j = 0; j < cnt; j++) {
                const double *vj = w->v + j * d + c0;
                double dp = 0.0;
                for (size_t c = 0; c < dh; c++)
                    dp += gt[c] * vj[c];
                w->ds[j] = dp; /* dL/dp_j for now */
                mean += w->p[j] * dp;
                double pj = w->p[j], *dvj = w->dv + j * d + c0;
                for (size_t c = 0; c < dh; c++)
                    dvj[c] += pj * gt[c];
            }
            if (s->cfg.linear)
                continue; /* fixed logits: no path through the scores */
            /* ds_j = p_j (dp_j - sum_i p_i dp_i), with or without a logit sink (a constant with no value). */
            for (size_t j = 0; j < cnt; j++)
                w->ds[j] = w->p[j] * (w->ds[j] - mean) * scale;
            const double *qt = w->q + t * d + c0;
            double *dqt = w->dq + t * d + c0;
            for (size_t c = 0; c < dh; c++) {
                const double *kr = w->kt + (c0 + c) * n;
                double acc = 0.0;
                for (size_t j = 0; j < cnt; j++)
                    acc += w->ds[j] * kr[j];
                dqt[c] += acc;
            }
            for (size_t j = 0; j < cnt; j++) {
                double *dkj = w->dk + j * d + c0, dsj = w->ds[j];
                for (size_t c = 0; c < dh; c++)
                    dkj[c] += dsj * qt[c];
            }
        }
    }
    /* Values of sink positions were scaled by value_scale. */
    for (size_t j = 0; j < n; j++)
        if (stack_is_sink_pos(s, R->bos, j))
            for (size_t c = 0; c < d; c++)
                w->dv[j * d + c] *= s->cfg.value_scale;
}

/* g: dL/dh^(l+1) in, dL/dh^(l) out; h_in = h^(l); hbuf: n x d scratch. */
static sb_status layer_vjp(const run *R, ws *w, size_t l, const double *h_in, double *g, double *hbuf)
{
    const sb_stack *s = R->s;
    size_t n = R->n, d = w->d, fd = w->f * d, nd = n * d;
    stack_prec exact = stack_prec_of(SB_STACK_F64, NULL);
    run F = *R;
    F.tangent = 0;
    F.trace = NULL;
    memcpy(hbuf, h_in, nd * sizeof *hbuf);
    if (s->cfg.linear) {
        /* h' = (h + A v)/2 with v = h, sink rows scaled: dL/dh = g/2 + scale(A^T g/2). */
        memcpy(w->v, h_in, nd * sizeof *w->v);
        scale_sink_values(&F, &exact, w->v, NULL, d);
        for (size_t i = 0; i < nd; i++)
            w->datt[i] = 0.5 * g[i];
        attention_vjp(&F, w, l);
        for (size_t i = 0; i < nd; i++)
            g[i] = 0.5 * g[i] + w->dv[i];
        return SB_OK;
    }
    /* The layer's internals, in binary64 (no tangent: w->dkt is only a non-NULL placeholder). */
    sb_status st = layer_full(&F, &exact, w, l, hbuf, w->dkt);
    if (st != SB_OK)
        return st;
    const stack_weights *W = &s->layer[l];
    double *gmid = w->dout;
    memcpy(gmid, g, nd * sizeof *gmid);
    if (s->cfg.mlp) {
        stack_matmul_t(g, n, d, W->w2, fd, w->da, 0);
        for (size_t i = 0; i < n * fd; i++)
            w->dz[i] = w->da[i] * stack_silu_derivative(w->z[i]);
        stack_matmul_t(w->dz, n, fd, W->w1, d, w->dw, 0);
        if (s->cfg.norm) {
            stack_rmsnorm_jvp(w->w, w->r2, w->dw, 0, n, d, w->du);
            for (size_t i = 0; i < nd; i++)
                gmid[i] += w->du[i];
        } else {
            for (size_t i = 0; i < nd; i++)
                gmid[i] += w->dw[i];
        }
    }
    /* o = a W_o with a = attn_scale * att0 (* gate): back to the head outputs att0. */
    stack_matmul_t(gmid, n, d, W->wo, d, w->datt, 0);
    double c = s->cfg.attn_scale, gain = s->cfg.gate_gain;
    int gated = s->cfg.sink == SB_STACK_SINK_GATED;
    for (size_t i = 0; i < nd; i++) {
        double da = w->datt[i] * c;
        if (gated) {
            w->dgl[i] = da * w->att0[i] * w->g[i] * (1.0 - w->g[i]) * gain;
            da *= w->g[i];
        }
        w->datt[i] = da;
    }
    attention_vjp(&F, w, l);
    /* du = dq W_q^T + dk W_k^T + dv W_v^T (+ dgl W_g^T), then through the norm. */
    stack_matmul_t(w->dq, n, d, W->wq, d, w->du, 0);
    stack_matmul_t(w->dk, n, d, W->wk, d, w->du, 1);
    stack_matmul_t(w->dv, n, d, W->wv, d, w->du, 1);
    if (gated)
        stack_matmul_t(w->dgl, n, d, W->wg, d, w->du, 1);
    if (s->cfg.norm) {
        stack_rmsnorm_jvp(w->u, w->r, w->du, 0, n, d, w->dw);
        for (size_t i = 0; i < nd; i++)
            g[i] = gmid[i] + w->dw[i];
    } else {
        for (size_t i = 0; i < nd; i++)
            g[i] = gmid[i] + w->du[i];
    }
    return SB_OK;
}

sb_status sb_stack_vjp(const sb_stack *s, const double *x, const double *wbar, size_t n, const unsigned char *bos,
                       double *y, double *gx)
{
    if (!s || !x || !wbar || !gx || n == 0 || n > SB_STACK_MAX_TOKENS)
        return SB_EINVAL;
    size_t d = s->cfg.width, nd = n * d, L = s->cfg.layers;
    double *hid = malloc((L + 2) * nd * sizeof *hid);
    if (!hid)
        return SB_ENOMEM;
    sb_stack_trace tr = {0};
    tr.hidden = hid;
    sb_status st = run_stack(s, NULL, x, NULL, n, bos, y, NULL, &tr);
    ws w;
    if (st == SB_OK)
        st = ws_alloc(&w, n, d, 1);
    if (st != SB_OK) {
        free(hid);
        return st;
    }
    run R = {s, bos, NULL, n, 0, 0};
    double *hbuf = hid + (L + 1) * nd;
    memcpy(gx, wbar, nd * sizeof *gx);
    for (size_t l = L; l-- > 0 && st == SB_OK;)
        st = layer_vjp(&R, &w, l, hid + l * nd, gx, hbuf);
    ws_free(&w);
    free(hid);
    return st;
}

sb_status sb_stack_linear_attention(const sb_stack *s, size_t n, const unsigned char *bos, double *lambda)
{
    if (!s || !s->cfg.linear || !lambda || n == 0 || n > SB_STACK_MAX_TOKENS)
        return SB_EINVAL;
    double *row = malloc(n * sizeof *row);
    if (!row)
        return SB_ENOMEM;
    double sl = sink_logit(s, 0, 0);
    for (size_t t = 0; t < n; t++) {
        for (size_t j = 0; j <= t; j++)
            row[j] = stack_linear_logit(s, t, j) + key_bias(s, bos, j);
        stack_softmax_f64(row, t + 1, sl, lambda + t * n);
        memset(lambda + t * n + t + 1, 0, (n - t - 1) * sizeof *lambda);
    }
    free(row);
    return SB_OK;
}
