/* The sweeps of the perturbation study (docs/perturbation.md): heads at a fixed head width against the
 * bound's path sum, a content-logit offset against softmax1 and a learned sink, a query-dependent gate
 * at matched output norm, the sink strength, and every kernel's rounding through depth. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "studies/stack/perturb_study.h"

/* ---- heads ---- */

/* The bound's path sum from token j to the last token: [prod_l (I + sum_h A^(l,h))]_{n-1, j}, with the
 * traced attention (L x H x n x n). Heads are summed: that is how the multi-head bound grows with H. */
static double path_sum(const double *att, size_t L, size_t H, size_t n, size_t j, double *row, double *tmp)
{
    memset(row, 0, n * sizeof *row);
    row[n - 1] = 1.0;
    for (size_t l = L; l-- > 0;) {
        memcpy(tmp, row, n * sizeof *tmp);
        for (size_t h = 0; h < H; h++) {
            const double *A = att + (l * H + h) * n * n;
            for (size_t t = 0; t < n; t++) {
                double rt = row[t];
                if (rt == 0.0)
                    continue;
                for (size_t i = 0; i <= t; i++)
                    tmp[i] += rt * A[t * n + i];
            }
        }
        memcpy(row, tmp, n * sizeof *row);
    }
    return row[j];
}

sb_status sb_perturb_run_heads(sb_perturb_results *r)
{
    size_t n = r->hd.tokens, L = r->hd.layers, j = n / 2;
    sb_status st = SB_OK;
    for (size_t hi = 0; hi < r->n_heads && st == SB_OK; hi++) {
        size_t H = r->heads[hi], d = H * r->head_width, nd = n * d;
        uint32_t *ids = malloc(n * sizeof *ids);
        unsigned char *bos = malloc(n);
        double *x = malloc(nd * sizeof *x), *y = malloc(nd * sizeof *x), *sv = malloc(n * sizeof *sv);
        double *att = malloc(L * H * n * n * sizeof *att), *row = malloc(n * sizeof *row), *tmp = malloc(n * sizeof *tmp);
        if (!ids || !bos || !x || !y || !sv || !att || !row || !tmp)
            st = SB_ENOMEM;
        for (int m = 0; m < 2 && st == SB_OK; m++)
            for (size_t k = 0; k < r->W && st == SB_OK; k++) {
                sb_stack_config c = sb_perturb_config(r, m ? SB_STACK_SINK_BOS : SB_STACK_SINK_NONE, L, H, d,
                                                      r->weight_seed[k]);
                sb_stack *s = NULL;
                st = sb_stack_create(&c, &s);
                double sens = 0, bound = 0;
                for (size_t q = 0; q < r->hd.sequences && st == SB_OK; q++) {
                    sb_perturb_ids(r, c.vocab, c.sink, k, q, n, ids);
                    sb_stack_embed(s, ids, n, x, bos);
                    sb_stack_trace tr = {0};
                    tr.attention = att;
                    st = sb_stack_forward(s, NULL, x, n, bos, y, &tr);
                    if (st == SB_OK)
                        st = sb_perturb_profile_of(s, x, n, bos, r->probes, r->o.seed + 31 * k + q, sv);
                    if (st != SB_OK)
                        break;
                    /* Relative sensitivity: relative change of the last output per relative change of
                     * token j, so that widths of 8 to 128 compare. */
                    double hn = sb_perturb_norm(y + (n - 1) * d, d), xn = sb_perturb_norm(x + j * d, d);
                    sens += sv[j] * xn / hn;
                    bound += path_sum(att, L, H, n, j, row, tmp);
                }
                r->head_sens[m][hi][k] = sens / (double)r->hd.sequences;
                r->head_bound[m][hi][k] = bound / (double)r->hd.sequences;
                sb_stack_destroy(s);
            }
        free(ids), free(bos), free(x), free(y), free(sv), free(att), free(row), free(tmp);
    }
    return st;
}

/* ---- content-logit offset ---- */

sb_status sb_perturb_run_offsets(sb_perturb_results *r)
{
    static const sb_stack_sink modes[3] = {SB_STACK_SINK_NONE, SB_STACK_SINK_SOFTMAX1, SB_STACK_SINK_LEARNED};
    const sb_perturb_setup *p = &r->off;
    sb_status st = SB_OK;
    for (size_t bi = 0; bi < r->n_offsets && st == SB_OK; bi++)
        for (int m = 0; m < 3 && st == SB_OK; m++)
            for (size_t k = 0; k < r->W && st == SB_OK; k++) {
                sb_stack_config c = sb_perturb_config(r, modes[m], p->layers, p->heads, p->width, r->weight_seed[k]);
                c.content_offset = r->offsets[bi];
                if (modes[m] == SB_STACK_SINK_LEARNED)
                    c.gap = 0.0; /* per-head sink logits N(0, 1) around 0: softmax1 with a spread */
                sb_stack *s = NULL;
                st = sb_stack_create(&c, &s);
                if (st == SB_OK)
                    st = sb_perturb_drift(r, s, k, p->sequences, p->tokens, r->j, &r->off_drift[m][bi][k], NULL,
                                          &r->off_mass[m][bi][k]);
                sb_stack_destroy(s);
            }
    return st;
}

/* ---- gate at matched output norm ---- */

sb_status sb_perturb_run_gate(sb_perturb_results *r)
{
    const sb_perturb_setup *p = &r->gate;
    size_t n = p->tokens, d = p->width, nd = n * d;
    uint32_t *ids = malloc(n * sizeof *ids);
    unsigned char *bos = malloc(n);
    double *x = malloc(nd * sizeof *x);
    sb_status st = ids && bos && x ? SB_OK : SB_ENOMEM;
    for (size_t k = 0; k < r->W && st == SB_OK; k++) {
        sb_stack_config c = sb_perturb_config(r, SB_STACK_SINK_GATED, p->layers, p->heads, d, r->weight_seed[k]);
        sb_stack *s = NULL;
        st = sb_stack_create(&c, &s);
        /* The gate's output-norm ratio on the seed's own (unperturbed) sequences. */
        double e[4] = {0, 0, 0, 0};
        for (size_t q = 0; q < p->sequences && st == SB_OK; q++) {
            sb_perturb_ids(r, c.vocab, c.sink, k, q, n, ids);
            sb_stack_embed(s, ids, n, x, bos);
            sb_stack_trace tr = {0};
            tr.gate_energy = e;
            st = sb_stack_forward(s, NULL, x, n, bos, NULL, &tr);
        }
        double count = (double)(p->sequences * p->layers * nd);
        r->gate_scale[k] = e[0] > 0 ? sqrt(e[1] / e[0]) : NAN;
        r->gate_mean[k] = e[2] / count;
        r->gate_sparse[k] = e[3] / count;
        if (st == SB_OK)
            st = sb_perturb_drift(r, s, k, p->sequences, n, r->j, &r->gate_drift[k], NULL, NULL);
        sb_stack_destroy(s);
        s = NULL;
        /* The same stack without a gate, its attention output times the matched constant. */
        sb_stack_config cs = sb_perturb_config(r, SB_STACK_SINK_NONE, p->layers, p->heads, d, r->weight_seed[k]);
        cs.attn_scale = r->gate_scale[k];
        if (st == SB_OK)
            st = sb_stack_create(&cs, &s);
        if (st == SB_OK)
            st = sb_perturb_drift(r, s, k, p->sequences, n, r->j, &r->scaled_drift[k], NULL, NULL);
        sb_stack_destroy(s);
        r->gate_none_drift[k] = r->mode[SB_STACK_SINK_NONE].drift_rel[p->layers * r->W + k];
    }
    free(ids), free(bos), free(x);
    return st;
}

/* ---- sink strength ---- */

sb_status sb_perturb_run_strength(sb_perturb_results *r)
{
    static const sb_stack_sink swept[] = {SB_STACK_SINK_BOS, SB_STACK_SINK_LEARNED, SB_STACK_SINK_NO_BOS,
                                          SB_STACK_SINK_GATED};
    const sb_perturb_setup *p = &r->str;
    sb_status st = SB_OK;
    for (size_t m = 0; m < sizeof swept / sizeof *swept; m++)
        for (size_t g = 0; g < r->n_gaps && st == SB_OK; g++)
            for (size_t k = 0; k < r->W && st == SB_OK; k++) {
                sb_stack_config c = sb_perturb_config(r, swept[m], p->layers, p->heads, p->width, r->weight_seed[k]);
                c.gap = r->gaps[g];
                sb_stack *s = NULL;
                st = sb_stack_create(&c, &s);
                if (st == SB_OK)
                    st = sb_perturb_drift(r, s, k, p->sequences, p->tokens, r->j, &r->gap_drift_rel[swept[m]][g][k],
                                          NULL, NULL);
                sb_stack_destroy(s);
            }
    return st;
}

/* ---- numerics ---- */

/* Every supported kernel at f32 and f64+kernel (all layers; layer 1 only), and the dispatch kernel with
 * bf16 and f16 storage, against the binary64 reference, without a sink and with a BOS sink; seed 0,
 * sequence 0 (an observation of this project, not a published claim). */
sb_status sb_perturb_run_numerics(sb_perturb_results *r)
{
    size_t L = r->L, n = r->n, d = r->d, nd = n * d, nk = sb_softmax_kernel_count();
    r->numeric = calloc(2 * (3 * nk + 2), sizeof *r->numeric);
    uint32_t *ids = malloc(n * sizeof *ids);
    unsigned char *bos = malloc(n);
    double *x = malloc(nd * sizeof *x), *ref = malloc((L + 1) * nd * sizeof *x), *h = malloc((L + 1) * nd * sizeof *x);
    sb_status st = r->numeric && ids && bos && x && ref && h ? SB_OK : SB_ENOMEM;
    const sb_softmax_kernel *dispatch = sb_softmax_dispatch(n);
    for (int m = 0; m < 2 && st == SB_OK; m++) {
        sb_stack_config c = sb_perturb_config(r, m ? SB_STACK_SINK_BOS : SB_STACK_SINK_NONE, L, r->H, d, r->weight_seed[0]);
        sb_stack *s = NULL;
        st = sb_stack_create(&c, &s);
        if (st != SB_OK)
            break;
        sb_perturb_ids(r, c.vocab, c.sink, 0, 0, n, ids);
        sb_stack_embed(s, ids, n, x, bos);
        sb_stack_trace tr = {0}, th = {0};
        tr.hidden = ref;
        th.hidden = h;
        st = sb_stack_forward(s, NULL, x, n, bos, NULL, &tr);
        for (size_t ki = 0; ki <= nk && st == SB_OK; ki++) {
            const sb_softmax_kernel *k = ki < nk ? sb_softmax_kernel_at(ki) : dispatch;
            if (!k || !k->supported())
                continue;
            static const sb_stack_precision per_kernel[] = {SB_STACK_F32, SB_STACK_F64_KERNEL, SB_STACK_F64_KERNEL};
            static const sb_stack_precision storage[] = {SB_STACK_BF16, SB_STACK_F16};
            size_t runs = ki < nk ? 3 : 2;
            for (size_t v = 0; v < runs && st == SB_OK; v++) {
                sb_stack_exec e = {ki < nk ? per_kernel[v] : storage[v], k, ki < nk && v == 2 ? 1 : 0};
                sb_perturb_numeric_run *nr = &r->numeric[r->n_numeric];
                nr->sink = c.sink;
                nr->kernel = k->name;
                nr->isa = k->isa;
                nr->peer = (k->flags & SB_KERNEL_PEER) != 0;
                nr->emulated = (k->flags & SB_KERNEL_EMULATED) != 0;
                nr->reference = strcmp(k->algorithm, "reference") == 0 || strcmp(k->algorithm, "textbook") == 0 ||
                                strcmp(k->algorithm, "naive") == 0;
                nr->precision = e.precision;
                nr->injected = e.kernel_layers;
                nr->error = sb_perturb_zeros(L + 1);
                if (!nr->error) {
                    st = SB_ENOMEM;
                    break;
                }
                r->n_numeric++;
                st = sb_stack_forward(s, &e, x, n, bos, NULL, &th);
                for (size_t l = 0; l <= L && st == SB_OK; l++) {
                    double rn = sb_perturb_norm(ref + l * nd, nd);
                    nr->error[l] = rn > 0 ? sb_perturb_dist(h + l * nd, ref + l * nd, nd) / rn : 0.0;
                }
            }
        }
        sb_stack_destroy(s);
    }
    free(ids), free(bos), free(x), free(ref), free(h);
    return st;
}
