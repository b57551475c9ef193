/* The perturbation study (docs/perturbation.md, "The study"): the plan, the sink modes on the base
 * stack, the sensitivity profiles and the linear limit, and the order of every experiment. Every random
 * choice comes from the study seed (perturb_common.c), so the same options give the same numbers. */
#define _POSIX_C_SOURCE 200809L
#include "studies/stack/perturb_study.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check/rng.h"

enum { TAG_CHECK = 4 };

static void stream(sb_rng *r, uint64_t seed, uint64_t tag, uint64_t a, uint64_t b)
{
    uint64_t x = seed ^ (tag << 56) ^ (a * 0x9e3779b97f4a7c15ull) ^ (b * 0xc2b2ae3d27d4eb4full);
    sb_rng_seed(r, sb_splitmix64(&x));
}

/* ---- 1. every sink mode on the base stack ---- */

typedef struct bufs {
    uint32_t *ids;
    unsigned char *bos;
    double *x, *x2, *h1, *h2, *fm, *sm, *cm, *alpha, *alpha0;
} bufs;

static void bufs_free(bufs *b)
{
    free(b->ids), free(b->bos), free(b->x), free(b->x2), free(b->h1), free(b->h2);
    free(b->fm), free(b->sm), free(b->cm), free(b->alpha), free(b->alpha0);
    memset(b, 0, sizeof *b);
}

static int bufs_alloc(bufs *b, size_t L, size_t H, size_t n, size_t d)
{
    memset(b, 0, sizeof *b);
    b->ids = malloc(n * sizeof *b->ids);
    b->bos = malloc(n);
    b->x = malloc(n * d * sizeof *b->x);
    b->x2 = malloc(n * d * sizeof *b->x);
    b->h1 = malloc((L + 1) * n * d * sizeof *b->x);
    b->h2 = malloc((L + 1) * n * d * sizeof *b->x);
    b->fm = malloc(L * H * n * sizeof *b->x);
    b->sm = malloc(L * H * n * sizeof *b->x);
    b->cm = malloc(L * H * n * sizeof *b->x);
    b->alpha = malloc(L * H * sizeof *b->x);
    b->alpha0 = malloc(L * H * sizeof *b->x);
    if (b->ids && b->bos && b->x && b->x2 && b->h1 && b->h2 && b->fm && b->sm && b->cm && b->alpha && b->alpha0)
        return 1;
    bufs_free(b);
    return 0;
}

static sb_status run_mode(sb_perturb_results *r, sb_perturb_mode *m, bufs *b)
{
    size_t L = r->L, n = r->n, d = r->d, H = r->H, nd = n * d, W = r->W, S = r->S;
    size_t T = n < PT_T ? n : PT_T;
    m->strength = m->sink == SB_STACK_SINK_GATED ? r->o.gate_bias : r->o.gap;
    m->drift_abs = sb_perturb_zeros((L + 1) * W);
    m->drift_rel = sb_perturb_zeros((L + 1) * W);
    m->residual = sb_perturb_zeros((L + 1) * W);
    m->map = sb_perturb_zeros((L + 1) * n);
    m->alpha = sb_perturb_zeros(L * H);
    double *alpha0_sum = sb_perturb_zeros(L * H);
    if (!m->drift_abs || !m->drift_rel || !m->residual || !m->map || !m->alpha || !alpha0_sum) {
        free(alpha0_sum);
        return SB_ENOMEM;
    }
    sb_status st = SB_OK;
    for (size_t k = 0; k < W && st == SB_OK; k++) {
        sb_stack_config c = sb_perturb_config(r, m->sink, L, H, d, r->weight_seed[k]);
        sb_stack *s = NULL;
        st = sb_stack_create(&c, &s);
        if (st != SB_OK)
            break;
        double rate = 0, leak = 0, nonlocal = 0;
        double *alpha_k = sb_perturb_zeros(L * H);
        if (!alpha_k)
            st = SB_ENOMEM;
        for (size_t q = 0; q < S && st == SB_OK; q++) {
            sb_perturb_ids(r, c.vocab, m->sink, k, q, n, b->ids);
            sb_stack_embed(s, b->ids, n, b->x, b->bos);
            sb_perturb_input(s, r, k, q, r->j, b->ids, b->x, n, b->x2);
            sb_stack_trace t1 = {0}, t2 = {0};
            t1.hidden = b->h1, t1.first_mass = b->fm, t1.sink_mass = b->sm, t1.content_mass = b->cm;
            t2.hidden = b->h2;
            st = sb_stack_forward(s, NULL, b->x, n, b->bos, NULL, &t1);
            if (st == SB_OK)
                st = sb_stack_forward(s, NULL, b->x2, n, b->bos, NULL, &t2);
            if (st != SB_OK)
                break;
            for (size_t l = 0; l <= L; l++) {
                const double *a = b->h1 + l * nd, *z = b->h2 + l * nd;
                double dd = sb_perturb_dist(a + (n - 1) * d, z + (n - 1) * d, d);
                double hn = sb_perturb_norm(a + (n - 1) * d, d);
                m->drift_abs[l * W + k] += dd / (double)S;
                m->drift_rel[l * W + k] += (hn > 0 ? dd / hn : 0.0) / (double)S;
                m->residual[l * W + k] += sb_stack_collapse_residual(a + d, n - 1, d) / (double)S;
                if (k == 0 && q == 0)
                    for (size_t t = 0; t < n; t++) {
                        double ht = sb_perturb_norm(a + t * d, d);
                        m->map[l * n + t] = ht > 0 ? sb_perturb_dist(a + t * d, z + t * d, d) / ht : 0.0;
                    }
            }
            double total = 0, local = 0;
            for (size_t t = 0; t < n; t++) {
                double v = sb_perturb_dist(b->h1 + L * nd + t * d, b->h2 + L * nd + t * d, d);
                total += v;
                local += t == r->j ? v : 0.0;
            }
            nonlocal += total > 0 ? (total - local) / total : 0.0;
            sb_stack_sink_alpha(b->fm, L, H, n, T, 0, b->alpha);
            sb_stack_sink_alpha(b->fm, L, H, n, T, 1, b->alpha0);
            double vs = 0, lk = 0;
            for (size_t lh = 0; lh < L * H; lh++) {
                alpha_k[lh] += b->alpha[lh] / (double)S;
                m->alpha[lh] += b->alpha[lh] / (double)(S * W);
                alpha0_sum[lh] += b->alpha0[lh] / (double)(S * W);
                for (size_t t = 0; t < T; t++)
                    vs += b->sm[lh * n + t];
                lk += b->cm[lh * n + n - 1];
            }
            m->virtual_sink += vs / (double)(L * H * T) / (double)(S * W);
            leak += lk / (double)(L * H);
        }
        if (st == SB_OK) {
            rate = sb_stack_sink_rate(alpha_k, L * H, 0.3);
            m->rate[k] = rate;
            m->leak[k] = leak / (double)S;
            m->nonlocal[k] = nonlocal / (double)S;
            /* A repeated-token input: position 0 as in the mode, then one content token n-1 times. */
            sb_perturb_ids(r, c.vocab, m->sink, k, 0, n, b->ids);
            for (size_t t = 1; t < n; t++)
                b->ids[t] = b->ids[1];
            if (m->sink == SB_STACK_SINK_NO_BOS)
                b->ids[0] = b->ids[1];
            sb_stack_embed(s, b->ids, n, b->x, b->bos);
            sb_stack_trace t1 = {0};
            t1.first_mass = b->fm;
            st = sb_stack_forward(s, NULL, b->x, n, b->bos, NULL, &t1);
            sb_stack_sink_alpha(b->fm, L, H, n, T, 0, b->alpha);
            m->repeated_rate[k] = sb_stack_sink_rate(b->alpha, L * H, 0.3);
        }
        free(alpha_k);
        sb_stack_destroy(s);
    }
    if (st == SB_OK) {
        const double eps[2] = {0.3, 0.8};
        for (int e = 0; e < 2; e++) {
            m->sink_rate[0][e] = sb_stack_sink_rate(m->alpha, L * H, eps[e]);
            m->sink_rate[1][e] = sb_stack_sink_rate(alpha0_sum, L * H, eps[e]);
        }
        for (size_t lh = 0; lh < L * H; lh++) {
            m->alpha_mean[0] += m->alpha[lh] / (double)(L * H);
            m->alpha_mean[1] += alpha0_sum[lh] / (double)(L * H);
        }
    }
    free(alpha0_sum);
    return st;
}

/* ---- 2. sensitivity profiles and the derivative checks ---- */

/* JVP against central differences and VJP against JVP, once per profiled stack (seed 0, sequence 0). */
static void check_derivatives(sb_perturb_results *r, const sb_stack *s, const double *x, size_t n,
                              const unsigned char *bos)
{
    size_t d = sb_stack_get_config(s)->width, nd = n * d;
    double *dx = sb_perturb_zeros(nd), *dy = malloc(nd * sizeof *dy), *w = malloc(nd * sizeof *w);
    double *gx = malloc(nd * sizeof *gx), *xp = malloc(nd * sizeof *xp), *yp = malloc(nd * sizeof *yp);
    double *ym = malloc(nd * sizeof *ym);
    if (dx && dy && w && gx && xp && yp && ym) {
        sb_rng g;
        stream(&g, r->o.seed, TAG_CHECK, n, sb_stack_get_config(s)->layers);
        size_t i = n / 2;
        for (size_t c = 0; c < d; c++)
            dx[i * d + c] = sb_rng_normal(&g);
        for (size_t a = 0; a < nd; a++)
            w[a] = sb_rng_normal(&g);
        if (sb_stack_jvp(s, x, dx, n, bos, NULL, dy) == SB_OK && sb_stack_vjp(s, x, w, n, bos, NULL, gx) == SB_OK) {
            /* Central differences, step 1e-5 (tests/test_stack.c gives the error budget). */
            double h = 1e-5, err = 0;
            for (size_t a = 0; a < nd; a++)
                xp[a] = x[a] + h * dx[a];
            sb_stack_forward(s, NULL, xp, n, bos, yp, NULL);
            for (size_t a = 0; a < nd; a++)
                xp[a] = x[a] - h * dx[a];
            sb_stack_forward(s, NULL, xp, n, bos, ym, NULL);
            for (size_t a = 0; a < nd; a++) {
                double fd = (yp[a] - ym[a]) / (2 * h);
                err += (fd - dy[a]) * (fd - dy[a]);
            }
            double scale = sb_perturb_norm(dy, nd);
            if (scale > 0)
                r->jvp_fd_error = fmax(r->jvp_fd_error, sqrt(err) / scale);
            double lhs = 0, rhs = 0, mag = 0;
            for (size_t a = 0; a < nd; a++) {
                lhs += w[a] * dy[a];
                rhs += gx[a] * dx[a];
                mag += fabs(w[a] * dy[a]) + fabs(gx[a] * dx[a]);
            }
            if (mag > 0)
                r->vjp_adjoint_error = fmax(r->vjp_adjoint_error, fabs(lhs - rhs) / mag);
            r->derivative_checks++;
        }
    }
    free(dx), free(dy), free(w), free(gx), free(xp), free(yp), free(ym);
}

static sb_status run_profile(sb_perturb_results *r, sb_perturb_profile *p)
{
    size_t n = r->prof.tokens, d = r->d, nd = n * d;
    p->s = sb_perturb_zeros(n);
    uint32_t *ids = malloc(n * sizeof *ids);
    unsigned char *bos = malloc(n);
    double *x = malloc(nd * sizeof *x), *sv = malloc(n * sizeof *sv);
    sb_status st = p->s && ids && bos && x && sv ? SB_OK : SB_ENOMEM;
    for (size_t k = 0; k < r->W && st == SB_OK; k++) {
        sb_stack_config c = sb_perturb_config(r, p->sink, p->layers, r->H, d, r->weight_seed[k]);
        sb_stack *s = NULL;
        st = sb_stack_create(&c, &s);
        double share = 0, pr = 0;
        for (size_t q = 0; q < r->prof.sequences && st == SB_OK; q++) {
            sb_perturb_ids(r, c.vocab, p->sink, k, q, n, ids);
            sb_stack_embed(s, ids, n, x, bos);
            st = sb_perturb_profile_of(s, x, n, bos, r->probes, r->o.seed + 7919 * k + q, sv);
            double total = 0;
            for (size_t i = 0; i < n; i++) {
                total += sv[i];
                p->s[i] += sv[i] / (double)(r->W * r->prof.sequences);
            }
            share += total > 0 ? sv[0] / total : 0.0;
            pr += sb_perturb_participation(sv, n);
            if (k == 0 && q == 0 && st == SB_OK)
                check_derivatives(r, s, x, n, bos);
        }
        p->share_first[k] = share / (double)r->prof.sequences;
        p->pr[k] = pr / (double)r->prof.sequences;
        sb_stack_destroy(s);
    }
    free(ids), free(bos), free(x), free(sv);
    return st;
}

static sb_status run_profiles(sb_perturb_results *r)
{
    sb_status st = SB_OK;
    for (size_t k = 0; k < r->n_sens_depths && st == SB_OK; k++)
        for (int kind = 0; kind < 2 && st == SB_OK; kind++) {
            sb_perturb_profile *p = &r->profile[r->n_profiles++];
            p->sink = kind == 0 ? SB_STACK_SINK_NONE : SB_STACK_SINK_BOS;
            p->layers = r->sens_depths[k];
            st = run_profile(r, p);
        }
    return st;
}

/* ---- 3. the linear limit ---- */

static sb_status run_limit(sb_perturb_results *r)
{
    sb_stack_config c = sb_perturb_config(r, SB_STACK_SINK_NONE, 1, 1, r->d, r->o.seed);
    c.linear = 1;
    size_t n = r->limit_tokens;
    double *lam = malloc(n * n * sizeof *lam), *m = malloc(n * n * sizeof *m);
    r->limit_mass = sb_perturb_zeros(r->limit_layers);
    sb_status st = lam && m && r->limit_mass ? SB_OK : SB_ENOMEM;
    sb_stack *s = NULL;
    if (st == SB_OK)
        st = sb_stack_create(&c, &s);
    if (st == SB_OK)
        st = sb_stack_linear_attention(s, n, NULL, lam);
    for (size_t l = 1; l <= r->limit_layers && st == SB_OK; l++) {
        st = sb_stack_limit_matrix(lam, n, l, m);
        r->limit_mass[l - 1] = m[(n - 1) * n];
    }
    sb_stack_destroy(s);
    /* The linear stack's reverse-mode sensitivities are exactly the last row of [(Lambda+I)/2]^L. */
    static const size_t depths[] = {1, 4, 16, 64};
    double *x = malloc(n * c.width * sizeof *x), *w = sb_perturb_zeros(n * c.width), *gx = malloc(n * c.width * sizeof *gx);
    if (!x || !w || !gx)
        st = SB_ENOMEM;
    for (size_t di = 0; di < 4 && st == SB_OK; di++) {
        c.layers = depths[di];
        st = sb_stack_create(&c, &s);
        if (st != SB_OK)
            break;
        sb_rng g;
        stream(&g, r->o.seed, TAG_CHECK, n, 999);
        for (size_t a = 0; a < n * c.width; a++)
            x[a] = sb_rng_normal(&g);
        w[(n - 1) * c.width] = 1.0;
        st = sb_stack_vjp(s, x, w, n, NULL, NULL, gx);
        if (st == SB_OK)
            st = sb_stack_linear_attention(s, n, NULL, lam);
        if (st == SB_OK)
            st = sb_stack_limit_matrix(lam, n, c.layers, m);
        for (size_t i = 0; i < n && st == SB_OK; i++)
            r->limit_stack_error = fmax(r->limit_stack_error, fabs(gx[i * c.width] - m[(n - 1) * n + i]));
        sb_stack_destroy(s);
    }
    free(lam), free(m), free(x), free(w), free(gx);
    return st;
}

/* ---- the plan ---- */

static void plan(sb_perturb_results *r)
{
    const sb_perturb_options *o = &r->o;
    int full = o->level == SB_PERTURB_FULL;
    r->L = o->layers;
    r->n = o->tokens;
    r->H = o->heads;
    r->d = o->width;
    r->W = o->seeds;
    r->S = o->sequences;
    r->j = o->perturbed_token == SIZE_MAX ? o->tokens / 2 : o->perturbed_token;
    for (size_t k = 0; k < r->W; k++)
        r->weight_seed[k] = o->seed + k;

    size_t ptok = r->n < 32 ? r->n : 32;
    r->prof = (sb_perturb_setup){r->L, ptok, r->H, r->d, r->W, r->S};
    r->probes = 2;
    static const size_t depths[] = {1, 4, 16, 32, 64};
    for (size_t k = 0; k < sizeof depths / sizeof *depths; k++)
        if (depths[k] < r->L)
            r->sens_depths[r->n_sens_depths++] = depths[k];
    r->sens_depths[r->n_sens_depths++] = r->L;
    r->limit_tokens = ptok;
    r->limit_layers = 64;

    /* Context: a narrower, shallower stack (head width 8 like the base) so that n reaches 4096. */
    size_t cmax = o->context_max ? o->context_max : full ? 64 * r->n : 16 * r->n;
    cmax = cmax > 4096 ? 4096 : cmax;
    r->ctx = (sb_perturb_setup){r->L < 4 ? r->L : 4, 0, 2, 16, r->W, r->S};
    for (size_t n = 16; n <= cmax && r->n_ctx < PT_MAX_LIST; n *= 4)
        r->ctx_n[r->n_ctx++] = n;
    if (r->n_ctx == 0)
        r->ctx_n[r->n_ctx++] = 16;
    r->ctx.tokens = r->ctx_n[r->n_ctx - 1];
    /* The drift's gap and the participation ratio take a search and a reverse pass per point: one step
     * of 4 fewer. */
    r->ctx_drift_max = r->n_ctx > 1 ? r->ctx_n[r->n_ctx - 2] : r->ctx_n[0];
    r->ctx_pr_max = r->ctx_drift_max;

    r->head_width = 8;
    r->hd = (sb_perturb_setup){r->L < 4 ? r->L : 4, r->n, 0, 0, r->W, r->S};
    for (size_t h = 1; h <= (full ? 16u : 8u); h *= 2)
        r->heads[r->n_heads++] = h;

    r->prec = (sb_perturb_setup){r->L < 4 ? r->L : 4, r->ctx_n[r->n_ctx - 1], 2, 16, r->W, r->S};
    r->n_pn = r->n_ctx;
    memcpy(r->pn, r->ctx_n, sizeof r->pn);
    /* The sweeps below are consequences or observations at one point each: --quick runs them shallower
     * and coarser (a whole quick study must stay near a minute: `sinkbench report` runs it). */
    size_t sweep_layers = full ? 16 : 8;
    r->snr = (sb_perturb_setup){r->L < 8 ? r->L : 8, r->n, r->H, r->d, r->W, r->S};
    for (size_t g = 0; g <= 16; g += full ? 2 : 4)
        r->snr_gaps[r->n_snr++] = (double)g;

    r->off = (sb_perturb_setup){r->L < sweep_layers ? r->L : sweep_layers, r->n, r->H, r->d, r->W, r->S};
    static const double offsets[] = {4, 2, 0, -2, -4, -6, -8};
    r->n_offsets = sizeof offsets / sizeof *offsets;
    memcpy(r->offsets, offsets, sizeof offsets);

    r->gate = (sb_perturb_setup){r->L, r->n, r->H, r->d, r->W, r->S};

    r->str = (sb_perturb_setup){r->L < sweep_layers ? r->L : sweep_layers, r->n, r->H, r->d, r->W, r->S};
    static const double gaps_full[] = {0, 2, 4, 8, 12, 16}, gaps_quick[] = {0, 4, 8, 16};
    r->n_gaps = full ? sizeof gaps_full / sizeof *gaps_full : sizeof gaps_quick / sizeof *gaps_quick;
    memcpy(r->gaps, full ? gaps_full : gaps_quick, r->n_gaps * sizeof *r->gaps);
}

sb_status sb_perturb_study_run(const sb_perturb_options *o, sb_perturb_results *r)
{
    memset(r, 0, sizeof *r);
    r->o = *o;
    r->started = sb_perturb_now();
    plan(r);
    bufs b;
    if (!bufs_alloc(&b, r->L, r->H, r->n, r->d))
        return SB_ENOMEM;
    sb_status st = SB_OK;
    sb_perturb_progress(r, "[1/10] every sink mode on the base stack: drift, collapse, sink metric");
    for (int m = 0; m < PT_MODES && st == SB_OK; m++) {
        r->mode[m].sink = (sb_stack_sink)m;
        st = run_mode(r, &r->mode[m], &b);
    }
    bufs_free(&b);
    static const struct {
        const char *what;
        sb_status (*fn)(sb_perturb_results *);
    } steps[] = {
        {"[2/10] sensitivity profiles (reverse mode) and the derivative checks", run_profiles},
        {"[3/10] the linear limit [(Lambda+I)/2]^L", run_limit},
        {"[4/10] context: the gap that holds the leak and the drift, participation ratio", sb_perturb_run_context},
        {"[5/10] heads at a fixed head width: measured sensitivity and the bound's path sum", sb_perturb_run_heads},
        {"[6/10] precision meets mixing: collapse and signal-to-rounding in f64/f32/bf16/f16", sb_perturb_run_precision},
        {"[7/10] a content-logit offset against softmax1 and a learned sink", sb_perturb_run_offsets},
        {"[8/10] a query-dependent gate at matched output norm", sb_perturb_run_gate},
        {"[9/10] sink strength", sb_perturb_run_strength},
        {"[10/10] numerical propagation: every kernel and precision vs binary64", sb_perturb_run_numerics},
    };
    for (size_t i = 0; i < sizeof steps / sizeof *steps && st == SB_OK; i++) {
        sb_perturb_progress(r, steps[i].what);
        st = steps[i].fn(r);
    }
    if (st == SB_OK)
        sb_perturb_trends_compute(r);
    return st;
}

void sb_perturb_results_free(sb_perturb_results *r)
{
    for (int m = 0; m < PT_MODES; m++) {
        free(r->mode[m].drift_abs);
        free(r->mode[m].drift_rel);
        free(r->mode[m].residual);
        free(r->mode[m].map);
        free(r->mode[m].alpha);
    }
    for (size_t k = 0; k < r->n_profiles; k++)
        free(r->profile[k].s);
    free(r->limit_mass);
    for (size_t k = 0; k < r->n_numeric; k++)
        free(r->numeric[k].error);
    free(r->numeric);
    memset(r, 0, sizeof *r);
}
