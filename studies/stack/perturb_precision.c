/* Precision meets mixing (docs/perturbation.md, "Precision meets mixing"; Barbero et al. 2024, §4):
 *
 * - Representational collapse in every format: the last outputs of [v, a] (n tokens) and [v, a, a]
 *   (n + 1) come from one forward pass of n + 1 tokens (causality: position n-1 of the longer input is
 *   the last output of the shorter one, bit for bit). Their distance in f64, f32, bf16 and f16 storage,
 *   and the error of each format's difference vector, ||(y_n^F - y_{n+1}^F) - (y_n - y_{n+1})||: where
 *   it reaches the f64 distance, the format can no longer resolve what mixing leaves of the difference.
 * - Signal-to-rounding: the last token's response r = y(x') - y(x) to a swapped token on the BOS stack,
 *   per sink gap and format; ||r_F - r|| / ||r|| above 1 means the format loses more than everything
 *   the sink lets through. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "studies/stack/perturb_study.h"

static const sb_stack_precision formats[PT_FORMATS] = {SB_STACK_F64, SB_STACK_F32, SB_STACK_BF16, SB_STACK_F16};

static sb_status collapse_point(sb_perturb_results *r, size_t k, size_t i)
{
    const sb_perturb_setup *p = &r->prec;
    size_t n = r->pn[i], L = p->layers, H = p->heads, d = p->width, m = n + 1;
    const sb_softmax_kernel *kern = sb_softmax_kernel_find(r->prec_kernel);
    sb_stack *none = NULL, *bos = NULL;
    sb_stack_config c = sb_perturb_config(r, SB_STACK_SINK_NONE, L, H, d, r->weight_seed[k]);
    sb_stack_config cb = sb_perturb_config(r, SB_STACK_SINK_BOS, L, H, d, r->weight_seed[k]);
    uint32_t *ids = malloc(m * sizeof *ids);
    unsigned char *bm = malloc(m);
    double *x = malloc(m * d * sizeof *x), *y64 = malloc(m * d * sizeof *x), *y = malloc(m * d * sizeof *x);
    double y2[2 * 64];
    sb_status st = ids && bm && x && y64 && y && d <= 64 ? SB_OK : SB_ENOMEM;
    if (st == SB_OK)
        st = sb_stack_create(&c, &none);
    if (st == SB_OK)
        st = sb_stack_create(&cb, &bos);
    /* The BOS stack's collapse (binary64) only up to n = 1024: it serves the observation, not a verdict. */
    int with_bos = n <= 1024;
    for (int f = 0; f < PT_FORMATS; f++) {
        r->coll[f][i][k] = r->coll_err[f][i][k] = 0;
    }
    r->coll_signal[0][i][k] = r->coll_signal[1][i][k] = r->coll_bos[i][k] = with_bos ? 0 : NAN;
    for (size_t q = 0; q < p->sequences && st == SB_OK; q++) {
        for (int sb = 0; sb < 2 && st == SB_OK; sb++) {
            if (sb == 1 && !with_bos)
                break;
            const sb_stack *s = sb ? bos : none;
            sb_perturb_ids(r, c.vocab, sb ? SB_STACK_SINK_BOS : SB_STACK_SINK_NONE, k, 1000 + q, m, ids);
            ids[n] = ids[n - 1]; /* [v, a, a] */
            sb_stack_embed(s, ids, m, x, bm);
            for (int f = 0; f < (sb ? 1 : PT_FORMATS) && st == SB_OK; f++) {
                sb_stack_exec e = {formats[f], kern, 0};
                double *out = f == 0 ? y64 : y;
                st = sb_stack_forward(s, f == 0 ? NULL : &e, x, m, bm, out, NULL);
                if (st != SB_OK)
                    break;
                double dist = sb_perturb_dist(out + (n - 1) * d, out + n * d, d);
                if (sb) {
                    r->coll_bos[i][k] += dist / (double)p->sequences;
                } else {
                    r->coll[f][i][k] += dist / (double)p->sequences;
                    /* The error of the difference vector itself: where it reaches the f64 distance, the
                     * format's difference is mostly rounding (errors shared by both outputs cancel here). */
                    double e2 = 0;
                    for (size_t c2 = 0; c2 < d; c2++) {
                        double df = out[(n - 1) * d + c2] - out[n * d + c2], d64 = y64[(n - 1) * d + c2] - y64[n * d + c2];
                        e2 += (df - d64) * (df - d64);
                    }
                    r->coll_err[f][i][k] += sqrt(e2) / (double)p->sequences;
                    if (dist == 0.0)
                        r->coll_zero[f][i] += 1.0 / (double)(p->sequences * r->W);
                }
            }
            /* The context's signal: how far the n - 2 middle tokens moved the last output away from what
             * the first token and a alone give. */
            if (st == SB_OK && with_bos) {
                uint32_t two[2] = {ids[0], ids[n - 1]};
                unsigned char b2[2];
                double x2[2 * 64];
                sb_stack_embed(s, two, 2, x2, b2);
                st = sb_stack_forward(s, NULL, x2, 2, b2, y2, NULL);
                r->coll_signal[sb][i][k] += sb_perturb_dist(y64 + (n - 1) * d, y2 + d, d) / (double)p->sequences;
            }
        }
    }
    sb_stack_destroy(none);
    sb_stack_destroy(bos);
    free(ids), free(bm), free(x), free(y64), free(y);
    return st;
}

static sb_status snr_point(sb_perturb_results *r, size_t k, size_t gi)
{
    const sb_perturb_setup *p = &r->snr;
    size_t n = p->tokens, d = p->width, nd = n * d;
    const sb_softmax_kernel *kern = sb_softmax_kernel_find(r->prec_kernel);
    sb_stack_config c = sb_perturb_config(r, SB_STACK_SINK_BOS, p->layers, p->heads, d, r->weight_seed[k]);
    c.gap = r->snr_gaps[gi];
    sb_stack *s = NULL;
    uint32_t *ids = malloc(n * sizeof *ids);
    unsigned char *bm = malloc(n);
    double *x = malloc(nd * sizeof *x), *x2 = malloc(nd * sizeof *x), *ya = malloc(nd * sizeof *x);
    double *yb = malloc(nd * sizeof *x), *ra = malloc(d * sizeof *x), *rb = malloc(d * sizeof *x);
    sb_status st = ids && bm && x && x2 && ya && yb && ra && rb ? sb_stack_create(&c, &s) : SB_ENOMEM;
    r->snr_signal[gi][k] = 0;
    for (int f = 0; f < PT_FORMATS; f++)
        r->snr_loss[f][gi][k] = 0;
    for (size_t q = 0; q < p->sequences && st == SB_OK; q++) {
        sb_perturb_ids(r, c.vocab, c.sink, k, q, n, ids);
        sb_stack_embed(s, ids, n, x, bm);
        sb_perturb_input(s, r, k, q, r->j < n ? r->j : n / 2, ids, x, n, x2);
        for (int f = 0; f < PT_FORMATS && st == SB_OK; f++) {
            sb_stack_exec e = {formats[f], kern, 0};
            st = sb_stack_forward(s, f ? &e : NULL, x, n, bm, ya, NULL);
            if (st == SB_OK)
                st = sb_stack_forward(s, f ? &e : NULL, x2, n, bm, yb, NULL);
            if (st != SB_OK)
                break;
            double *resp = f ? rb : ra;
            for (size_t cc = 0; cc < d; cc++)
                resp[cc] = yb[(n - 1) * d + cc] - ya[(n - 1) * d + cc];
            double sig = sb_perturb_norm(ra, d);
            if (f == 0)
                r->snr_signal[gi][k] += sig / (double)p->sequences;
            else
                r->snr_loss[f][gi][k] += (sig > 0 ? sb_perturb_dist(rb, ra, d) / sig : NAN) / (double)p->sequences;
        }
    }
    sb_stack_destroy(s);
    free(ids), free(bm), free(x), free(x2), free(ya), free(yb), free(ra), free(rb);
    return st;
}

sb_status sb_perturb_run_precision(sb_perturb_results *r)
{
    const sb_softmax_kernel *kern = sb_softmax_dispatch(4096);
    if (!kern)
        return SB_EUNSUPPORTED;
    r->prec_kernel = kern->name;
    sb_status st = SB_OK;
    for (size_t i = 0; i < r->n_pn && st == SB_OK; i++) {
        if (r->pn[i] >= 1024) {
            char line[96];
            snprintf(line, sizeof line, "  precision meets mixing, n = %zu", r->pn[i]);
            sb_perturb_progress(r, line);
        }
        for (size_t k = 0; k < r->W && st == SB_OK; k++)
            st = collapse_point(r, k, i);
    }
    for (size_t g = 0; g < r->n_snr && st == SB_OK; g++)
        for (size_t k = 0; k < r->W && st == SB_OK; k++)
            st = snr_point(r, k, g);
    return st;
}
