/* Measurements on trained weights (docs/emerge.md "On the trained weights"), each with the sink as
 * trained and removed at inference: the loss the sink is worth, relative last-token drift after a
 * token swap and its locality, the last token's sensitivity profile (exact VJP in binary64), Gu et
 * al.'s repeated-token check, and every registered softmax kernel and bf16/f16 storage through the
 * trained stack against the binary64 pass. The reference of every number is the binary64 build of the
 * same model code with the trained binary32 weights. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emerge_probe.h"

void sb_emerge_probe_options_default(sb_emerge_probe_options *o)
{
    o->sequences = 8;
    o->probes = 4;
    o->kernel_sequences = 2;
    o->kernels = 1;
    o->seed = 20261129;
}

/* How the sink is removed at inference: a sink position (BOS, the fixed first token, or position 0
 * without a template) is masked as a key — with rotary positions that is the same as dropping it; a
 * logit sink is set to -inf; the gate is held open. */
static void removed_exec(const sb_emerge_config *c, unsigned char *mask, size_t T, sb_emerge_exec *e)
{
    memset(mask, 0, T);
    if (c->sink == SB_EMERGE_SINK_LEARNED || c->sink == SB_EMERGE_SINK_SOFTMAX1 || c->sink == SB_EMERGE_SINK_GATE)
        e->sink_off = 1;
    else {
        mask[0] = 1;
        e->key_mask = mask;
    }
}

const char *sb_emerge_removal_name(sb_emerge_sink s)
{
    switch (s) {
    case SB_EMERGE_SINK_BOS: return "BOS masked (dropped)";
    case SB_EMERGE_SINK_FIRST: return "first token masked (dropped)";
    case SB_EMERGE_SINK_NONE: return "position 0 masked (dropped)";
    case SB_EMERGE_SINK_LEARNED: return "sink logit set to -inf";
    case SB_EMERGE_SINK_SOFTMAX1: return "sink logit set to -inf (plain softmax)";
    case SB_EMERGE_SINK_GATE: return "gate held open (1)";
    }
    return "?";
}

static double norm_diff(const double *a, const double *b, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += (a[i] - b[i]) * (a[i] - b[i]);
    return sqrt(s);
}

static double norm(const double *a, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += a[i] * a[i];
    return sqrt(s);
}

/* A content token other than `not`, from the task's alphabet. */
static uint32_t other_token(const sb_emerge_data *d, sb_emerge_rng *r, uint32_t not)
{
    for (;;) {
        uint32_t t = d->kind == SB_EMERGE_DATA_BB ? d->byte_of[sb_emerge_rng_next(r) % SB_EMERGE_BB_SYMBOLS]
                                                  : (uint32_t)('a' + sb_emerge_rng_next(r) % 26);
        if (t != not)
            return t;
    }
}

void sb_emerge_probe_result_free(sb_emerge_probe_result *p)
{
    if (!p)
        return;
    for (int k = 0; k < 2; k++) {
        free(p->drift[k]);
        free(p->sens[k]);
    }
    for (size_t i = 0; i < p->n_kernels; i++)
        free(p->kernel[i].error);
    free(p->kernel);
    free(p->skipped);
    memset(p, 0, sizeof *p);
}

static sb_status add_kernel_run(sb_emerge_probe_result *p, const char *name, const char *precision, int removed,
                                const double *err, size_t n)
{
    sb_emerge_kernel_run *k = realloc(p->kernel, (p->n_kernels + 1) * sizeof *k);
    if (!k)
        return SB_ENOMEM;
    p->kernel = k;
    k += p->n_kernels;
    memset(k, 0, sizeof *k);
    snprintf(k->kernel, sizeof k->kernel, "%s", name);
    snprintf(k->precision, sizeof k->precision, "%s", precision);
    k->removed = removed;
    k->error = malloc(n * sizeof *k->error);
    if (!k->error)
        return SB_ENOMEM;
    memcpy(k->error, err, n * sizeof *err);
    p->n_kernels++;
    return SB_OK;
}

sb_status sb_emerge_probe(const sb_emerge_model *m, const sb_emerge_data *d, sb_emerge_matmul how,
                          const sb_emerge_probe_options *o, sb_emerge_probe_result *p)
{
    if (!m || !d || !o || !p || !m->params || o->sequences < 1 || o->probes < 1 || o->kernel_sequences < 1)
        return SB_EINVAL;
    memset(p, 0, sizeof *p);
    const sb_emerge_config *c = &m->config;
    size_t T = c->context, L = c->layers, d_ = c->width, np = m->n_params, S = o->sequences, H = c->heads;
    size_t KS = o->kernel_sequences < S ? o->kernel_sequences : S;
    p->layers = L;
    p->tokens = T;
    p->perturbed = T / 2;
    double *w = malloc(np * sizeof *w), *grad = malloc(np * sizeof *grad), *base = malloc((L + 1) * T * d_ * sizeof *base),
           *dout = calloc(T * d_, sizeof *dout), *first = malloc(L * H * T * sizeof *first), *ref = NULL,
           *nll = malloc(S * T * sizeof *nll);
    uint32_t *ids = malloc(S * T * sizeof *ids), *pert = malloc(T * sizeof *pert);
    int32_t *tg = malloc(S * T * sizeof *tg);
    unsigned char *mask = malloc(T);
    float *tmp32 = NULL;
    sb_emerge_acts a, one, a32, one2;
    memset(&one2, 0, sizeof one2);
    memset(&a, 0, sizeof a);
    memset(&one, 0, sizeof one);
    memset(&a32, 0, sizeof a32);
    p->drift[0] = calloc(L + 1, sizeof(double));
    p->drift[1] = calloc(L + 1, sizeof(double));
    p->sens[0] = calloc(T, sizeof(double));
    p->sens[1] = calloc(T, sizeof(double));
    sb_status st = SB_ENOMEM;
    if (!w || !grad || !base || !dout || !first || !nll || !ids || !pert || !tg || !mask || !p->drift[0] ||
        !p->drift[1] || !p->sens[0] || !p->sens[1])
        goto done;
    if ((st = sb_emerge_acts_alloc(&a, c, S, T, sizeof(double))) != SB_OK ||
        (st = sb_emerge_acts_alloc(&one, c, 1, T, sizeof(double))) != SB_OK)
        goto done;
    for (size_t i = 0; i < np; i++)
        w[i] = (double)m->params[i];
    for (size_t s = 0; s < S; s++)
        sb_emerge_data_sequence(d, c->sink, T, 1, o->seed, s, ids + s * T, tg + s * T, NULL);
    const double *A = a.mem, *O = one.mem;

    for (int removed = 0; removed <= 1; removed++) {
        sb_emerge_exec e = {NULL, 0, NULL, SB_EMERGE_STORE_NATIVE, how};
        if (removed)
            removed_exec(c, mask, T, &e);
        /* the loss with and without the sink, on the same targets (a masked position predicts nothing) */
        int32_t *tg2 = malloc(S * T * sizeof *tg2);
        if (!tg2) {
            st = SB_ENOMEM;
            goto done;
        }
        memcpy(tg2, tg, S * T * sizeof *tg2);
        for (size_t s = 0; s < S; s++)
            tg2[s * T] = -1;
        sb_emerge_loss l = {0, 0, nll};
        st = sb_emerge_forward_f64(c, w, &e, &a, ids, S, T, tg2, &l);
        free(tg2);
        if (st != SB_OK)
            goto done;
        p->val_loss[removed] = l.sum / (double)l.count;
        /* sink metric of the evaluated model */
        sb_emerge_acts_sink_stats(c, &a, first, NULL, NULL, NULL, NULL);
        double alpha[SB_EMERGE_MAX_LAYERS * SB_EMERGE_MAX_HEADS];
        size_t win = T < 64 ? T : 64;
        if ((st = sb_stack_sink_alpha(first, L, H, T, win, 0, alpha)) != SB_OK)
            goto done;
        p->sink_rate[removed] = sb_stack_sink_rate(alpha, L * H, 0.3);

        /* drift of the last token after a swap at T/2, and how much of the final drift left that token */
        sb_emerge_rng r = {sb_emerge_hash(o->seed, 0xd71f, 0)};
        double local_sum = 0.0;
        for (size_t s = 0; s < S; s++) {
            const uint32_t *seq = ids + s * T;
            if ((st = sb_emerge_forward_f64(c, w, &e, &one, seq, 1, T, NULL, NULL)) != SB_OK)
                goto done;
            for (size_t l2 = 0; l2 <= L; l2++)
                memcpy(base + l2 * T * d_, O + one.h[l2], T * d_ * sizeof *base);
            memcpy(pert, seq, T * sizeof *pert);
            pert[p->perturbed] = other_token(d, &r, seq[p->perturbed]);
            if ((st = sb_emerge_forward_f64(c, w, &e, &one, pert, 1, T, NULL, NULL)) != SB_OK)
                goto done;
            for (size_t l2 = 0; l2 <= L; l2++) {
                const double *x = base + (l2 * T + T - 1) * d_, *y = O + one.h[l2] + (T - 1) * d_;
                double nx = norm(x, d_);
                p->drift[removed][l2] += (nx > 0 ? norm_diff(x, y, d_) / nx : 0.0) / (double)S;
            }
            double on = 0.0, all = 0.0;
            for (size_t t = 1; t < T; t++) {
                double dt = norm_diff(base + (L * T + t) * d_, O + one.h[L] + t * d_, d_);
                all += dt;
                if (t == p->perturbed)
                    on += dt;
            }
            local_sum += all > 0 ? (all - on) / all : 0.0;
        }
        p->off_token_share[removed] = local_sum / (double)S;

        /* sensitivity of the last token's final hidden state to each input: VJPs with unit probes */
        const uint32_t *seq = ids;
        if ((st = sb_emerge_forward_f64(c, w, &e, &one, seq, 1, T, NULL, NULL)) != SB_OK)
            goto done;
        for (size_t q = 0; q < o->probes; q++) {
            sb_emerge_rng pr = {sb_emerge_hash(o->seed, 0x5e45, q)};
            double nn = 0.0;
            for (size_t i = 0; i < d_; i++) {
                double z = sb_emerge_rng_normal(&pr);
                dout[(T - 1) * d_ + i] = z;
                nn += z * z;
            }
            for (size_t i = 0; i < d_; i++)
                dout[(T - 1) * d_ + i] /= sqrt(nn);
            memset(grad, 0, np * sizeof *grad);
            if ((st = sb_emerge_backward_f64(c, w, &e, &one, seq, 1, T, NULL, 1.0, dout, grad)) != SB_OK)
                goto done;
            for (size_t t = 0; t < T; t++) {
                double g = norm(O + one.dx + t * d_, d_);
                p->sens[removed][t] += g * g / (double)o->probes;
            }
        }
        double ssum = 0.0;
        for (size_t t = 0; t < T; t++)
            ssum += p->sens[removed][t] = sqrt(p->sens[removed][t]);
        p->sens_first_share[removed] = ssum > 0 ? p->sens[removed][0] / ssum : 0.0;
    }
    memset(dout, 0, T * d_ * sizeof *dout);

    /* Gu et al. report no sink on a sequence of one repeated token: here after the template's first token */
    {
        uint32_t rep = d->kind == SB_EMERGE_DATA_BB ? d->byte_of[10] : 'e';
        for (size_t t = 0; t < T; t++)
            pert[t] = rep;
        if (c->sink == SB_EMERGE_SINK_BOS)
            pert[0] = SB_EMERGE_BOS;
        else if (c->sink == SB_EMERGE_SINK_FIRST)
            pert[0] = d->kind == SB_EMERGE_DATA_BB ? d->byte_of[SB_EMERGE_BB_TRIGGERS] : '\n';
        if ((st = sb_emerge_forward_f64(c, w, NULL, &one, pert, 1, T, NULL, NULL)) != SB_OK)
            goto done;
        sb_emerge_acts_sink_stats(c, &one, first, NULL, NULL, NULL, NULL);
        double alpha[SB_EMERGE_MAX_LAYERS * SB_EMERGE_MAX_HEADS], s = 0;
        size_t win = T < 64 ? T : 64;
        if ((st = sb_stack_sink_alpha(first, L, H, T, win, 0, alpha)) != SB_OK)
            goto done;
        p->repeated_rate = sb_stack_sink_rate(alpha, L * H, 0.3);
        for (size_t i = 0; i < L * H; i++)
            s += alpha[i];
        p->repeated_alpha = s / (double)(L * H);
        /* and literally one token everywhere, position 0 included (no BOS, no template token) */
        for (size_t t = 0; t < T; t++)
            pert[t] = rep;
        if ((st = sb_emerge_forward_f64(c, w, NULL, &one, pert, 1, T, NULL, NULL)) != SB_OK)
            goto done;
        sb_emerge_acts_sink_stats(c, &one, first, NULL, NULL, NULL, NULL);
        if ((st = sb_stack_sink_alpha(first, L, H, T, win, 0, alpha)) != SB_OK)
            goto done;
        p->repeated_plain_rate = sb_stack_sink_rate(alpha, L * H, 0.3);
        s = 0;
        for (size_t i = 0; i < L * H; i++)
            s += alpha[i];
        p->repeated_plain_alpha = s / (double)(L * H);
    }

    /* every kernel (and bf16/f16 storage) through the trained stack, error per layer vs binary64 */
    if (o->kernels) {
        size_t n = KS * T * d_;
        ref = malloc((L + 1) * n * sizeof *ref);
        tmp32 = malloc(np * sizeof *tmp32);
        double *errl = malloc((L + 1) * sizeof *errl);
        if (!ref || !tmp32 || !errl || (st = sb_emerge_acts_alloc(&a32, c, KS, T, sizeof(float))) != SB_OK ||
            (st = sb_emerge_acts_alloc(&one2, c, KS, T, sizeof(double))) != SB_OK) {
            free(errl);
            st = SB_ENOMEM;
            goto done;
        }
        memcpy(tmp32, m->params, np * sizeof *tmp32);
        const float *F32 = a32.mem;
        size_t nk = sb_softmax_kernel_count();
        for (int removed = 0; removed <= 1; removed++) {
            sb_emerge_exec e = {NULL, 0, NULL, SB_EMERGE_STORE_NATIVE, how};
            if (removed)
                removed_exec(c, mask, T, &e);
            if ((st = sb_emerge_forward_f64(c, w, &e, &a, ids, KS, T, NULL, NULL)) != SB_OK) {
                free(errl);
                goto done;
            }
            for (size_t l2 = 0; l2 <= L; l2++)
                memcpy(ref + l2 * n, A + a.h[l2], n * sizeof *ref);
            /* every kernel twice (binary32 model; binary64 model with the kernel's softmax), then the
             * dispatched kernel with bf16 and f16 storage */
            for (size_t k = 0; k < 2 * nk + 2; k++) {
                size_t ki = k < 2 * nk ? k % nk : 0;
                int f64k = k >= nk && k < 2 * nk;
                const sb_softmax_kernel *K = k < 2 * nk ? sb_softmax_kernel_at(ki) : sb_softmax_dispatch(T);
                const char *prec = k < nk ? "f32" : f64k ? "f64+kernel" : k == 2 * nk ? "bf16" : "f16";
                if (!K)
                    continue;
                if (!K->supported()) {
                    if (!removed && k < nk) {
                        sb_emerge_skipped *sk = realloc(p->skipped, (p->n_skipped + 1) * sizeof *sk);
                        if (sk) {
                            p->skipped = sk;
                            snprintf(sk[p->n_skipped].kernel, sizeof sk->kernel, "%s", K->name);
                            snprintf(sk[p->n_skipped].why, sizeof sk->why, "this CPU cannot run it (%s)", K->isa);
                            p->n_skipped++;
                        }
                    }
                    continue;
                }
                sb_emerge_exec e32 = e;
                e32.softmax = K->fn;
                e32.storage = k < 2 * nk ? SB_EMERGE_STORE_NATIVE
                                         : k == 2 * nk ? SB_EMERGE_STORE_BF16 : SB_EMERGE_STORE_F16;
                sb_status s32 = f64k ? sb_emerge_forward_f64(c, w, &e32, &one2, ids, KS, T, NULL, NULL)
                                     : sb_emerge_forward_f32(c, tmp32, &e32, &a32, ids, KS, T, NULL, NULL);
                if (s32 != SB_OK) {
                    if (!removed) {
                        sb_emerge_skipped *sk = realloc(p->skipped, (p->n_skipped + 1) * sizeof *sk);
                        if (sk) {
                            p->skipped = sk;
                            snprintf(sk[p->n_skipped].kernel, sizeof sk->kernel, "%s", K->name);
                            snprintf(sk[p->n_skipped].why, sizeof sk->why, "returned %s", sb_status_str(s32));
                            p->n_skipped++;
                        }
                    }
                    continue;
                }
                for (size_t l2 = 0; l2 <= L; l2++) {
                    double num = 0, den = 0;
                    for (size_t s = 0; s < KS; s++)
                        for (size_t t = removed && e.key_mask ? 1 : 0; t < T; t++) /* a dropped token is no output */
                            for (size_t i = 0; i < d_; i++) {
                                size_t at = (s * T + t) * d_ + i;
                                double x = ref[l2 * n + at],
                                       y = f64k ? ((const double *)one2.mem)[one2.h[l2] + at] : (double)F32[a32.h[l2] + at];
                                num += (y - x) * (y - x);
                                den += x * x;
                            }
                    errl[l2] = den > 0 ? sqrt(num / den) : 0.0;
                }
                if ((st = add_kernel_run(p, K->name, prec, removed, errl, L + 1)) != SB_OK) {
                    free(errl);
                    goto done;
                }
            }
        }
        free(errl);
    }
    st = SB_OK;
done:
    free(w);
    free(grad);
    free(base);
    free(dout);
    free(first);
    free(ref);
    free(nll);
    free(ids);
    free(pert);
    free(tg);
    free(mask);
    free(tmp32);
    sb_emerge_acts_free(&a);
    sb_emerge_acts_free(&one);
    sb_emerge_acts_free(&a32);
    sb_emerge_acts_free(&one2);
    if (st != SB_OK)
        sb_emerge_probe_result_free(p);
    return st;
}
