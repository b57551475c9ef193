/* The experiments of the perturbation study (docs/perturbation.md, "Measurements"). Every random
 * choice comes from the study seed, so the same seed gives the same numbers. */
#define _POSIX_C_SOURCE 200809L
#include "studies/stack/perturb_study.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check/rng.h"

enum { TAG_TOKENS = 1, TAG_PERTURB = 2, TAG_PROBE = 3 };

static void stream(sb_rng *r, uint64_t seed, uint64_t tag, uint64_t i, uint64_t k)
{
    sb_rng_seed(r, seed ^ (tag << 56) ^ (i * 0x9e3779b97f4a7c15ull) ^ (k * 0xc2b2ae3d27d4eb4full));
}

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* One line per stage on stderr: wall time since the study started and the process CPU time. */
static void progress(const sb_perturb_results *r, const char *what)
{
    if (r->o.progress)
        fprintf(stderr, "perturb: %6.1f s (%.1f s CPU)  %s\n", now() - r->started, (double)clock() / CLOCKS_PER_SEC,
                what);
}

static sb_stack_config config_for(const sb_perturb_options *o, sb_stack_sink sink, size_t layers, size_t heads,
                                  size_t width)
{
    sb_stack_config c;
    sb_stack_config_default(&c);
    c.layers = layers;
    c.heads = heads;
    c.width = width;
    c.norm = o->norm;
    c.mlp = o->mlp;
    c.temperature = o->temperature;
    c.sink = sink;
    c.gap = sink == SB_STACK_SINK_GATED ? o->gate_bias : o->gap;
    c.value_scale = o->value_scale;
    c.seed = o->seed;
    return c;
}

/* Sequence `seq`: content tokens 1..n-1 shared by every mode; position 0 holds BOS, except in the
 * no_bos template where it holds a content token. Prefixes of longer draws are the shorter ones. */
static void make_ids(const sb_perturb_options *o, size_t vocab, sb_stack_sink sink, uint64_t seq, size_t n,
                     uint32_t *ids)
{
    sb_rng r;
    stream(&r, o->seed, TAG_TOKENS, seq, 0);
    for (size_t t = 0; t < n; t++)
        ids[t] = 1 + (uint32_t)sb_rng_below(&r, vocab - 1);
    if (sink != SB_STACK_SINK_NO_BOS)
        ids[0] = SB_STACK_BOS_ID;
}

/* x2 = x with token j perturbed: swapped for another content token, or moved by size * unit vector. */
static void perturb_input(const sb_stack *s, const sb_perturb_options *o, uint64_t seq, size_t j, const uint32_t *ids,
                          const double *x, size_t n, double *x2)
{
    size_t d = sb_stack_get_config(s)->width, vocab = sb_stack_get_config(s)->vocab;
    memcpy(x2, x, n * d * sizeof *x);
    sb_rng r;
    stream(&r, o->seed, TAG_PERTURB, seq, 0);
    if (o->swap) {
        uint32_t id;
        do
            id = 1 + (uint32_t)sb_rng_below(&r, vocab - 1);
        while (id == ids[j]);
        sb_stack_embed(s, &id, 1, x2 + j * d, NULL);
        return;
    }
    double norm = 0, *u = x2 + j * d;
    double tmp[SB_STACK_MAX_WIDTH];
    for (size_t c = 0; c < d; c++) {
        tmp[c] = sb_rng_normal(&r);
        norm += tmp[c] * tmp[c];
    }
    for (size_t c = 0; c < d; c++)
        u[c] += o->perturb_size * tmp[c] / sqrt(norm);
}

static double dist(const double *a, const double *b, size_t k)
{
    double s = 0;
    for (size_t i = 0; i < k; i++)
        s += (a[i] - b[i]) * (a[i] - b[i]);
    return sqrt(s);
}

static double norm2(const double *a, size_t k)
{
    double s = 0;
    for (size_t i = 0; i < k; i++)
        s += a[i] * a[i];
    return sqrt(s);
}

typedef struct bufs {
    uint32_t *ids;
    unsigned char *bos;
    double *x, *x2, *h1, *h2, *fm, *sm, *alpha, *alpha0;
} bufs;

static void bufs_free(bufs *b)
{
    free(b->ids), free(b->bos), free(b->x), free(b->x2), free(b->h1), free(b->h2);
    free(b->fm), free(b->sm), free(b->alpha), free(b->alpha0);
    memset(b, 0, sizeof *b);
}

static int bufs_alloc(bufs *b, size_t L, size_t H, size_t n, size_t d)
{
    memset(b, 0, sizeof *b);
    b->ids = malloc((n + 1) * sizeof *b->ids);
    b->bos = malloc(n + 1);
    b->x = malloc((n + 1) * d * sizeof *b->x);
    b->x2 = malloc((n + 1) * d * sizeof *b->x);
    b->h1 = malloc((L + 1) * (n + 1) * d * sizeof *b->x);
    b->h2 = malloc((L + 1) * (n + 1) * d * sizeof *b->x);
    b->fm = malloc(L * H * (n + 1) * sizeof *b->x);
    b->sm = malloc(L * H * (n + 1) * sizeof *b->x);
    b->alpha = malloc(L * H * sizeof *b->x);
    b->alpha0 = malloc(L * H * sizeof *b->x);
    if (b->ids && b->bos && b->x && b->x2 && b->h1 && b->h2 && b->fm && b->sm && b->alpha && b->alpha0)
        return 1;
    bufs_free(b);
    return 0;
}

static double *zeros(size_t count) { return calloc(count ? count : 1, sizeof(double)); }

/* Drift, collapse with depth and the sink metric for one sink mode on the base stack. */
static sb_status run_mode(sb_perturb_results *r, sb_perturb_mode *m, bufs *b)
{
    const sb_perturb_options *o = &r->o;
    size_t L = r->L, n = r->n, H = r->H, d = r->d, nd = n * d, S = o->sequences, T = n < PT_T ? n : PT_T;
    sb_stack_config c = config_for(o, m->sink, L, H, d);
    m->strength = c.gap;
    sb_stack *s = NULL;
    sb_status st = sb_stack_create(&c, &s);
    if (st != SB_OK)
        return st;
    m->last_drift = zeros(L + 1);
    m->map = zeros((L + 1) * n);
    m->residual = zeros(L + 1);
    m->alpha = zeros(L * H);
    double *alpha0_sum = zeros(L * H);
    if (!m->last_drift || !m->map || !m->residual || !m->alpha || !alpha0_sum) {
        free(alpha0_sum);
        sb_stack_destroy(s);
        return SB_ENOMEM;
    }
    for (size_t q = 0; q < S && st == SB_OK; q++) {
        make_ids(o, c.vocab, m->sink, q, n, b->ids);
        sb_stack_embed(s, b->ids, n, b->x, b->bos);
        perturb_input(s, o, q, r->j, b->ids, b->x, n, b->x2);
        sb_stack_trace t1 = {.hidden = b->h1, .first_mass = b->fm, .sink_mass = b->sm}, t2 = {.hidden = b->h2};
        st = sb_stack_forward(s, NULL, b->x, n, b->bos, NULL, &t1);
        if (st == SB_OK)
            st = sb_stack_forward(s, NULL, b->x2, n, b->bos, NULL, &t2);
        if (st != SB_OK)
            break;
        for (size_t l = 0; l <= L; l++) {
            const double *a = b->h1 + l * nd, *z = b->h2 + l * nd;
            m->last_drift[l] += dist(a + (n - 1) * d, z + (n - 1) * d, d) / (double)S;
            m->residual[l] += sb_stack_collapse_residual(a + d, n - 1, d) / (double)S;
            if (q == 0)
                for (size_t t = 0; t < n; t++)
                    m->map[l * n + t] = dist(a + t * d, z + t * d, d);
        }
        double total = 0, local = 0;
        for (size_t t = 0; t < n; t++) {
            double v = dist(b->h1 + L * nd + t * d, b->h2 + L * nd + t * d, d);
            total += v;
            local += t == r->j ? v : 0.0;
        }
        m->nonlocal += (total > 0 ? (total - local) / total : 0.0) / (double)S;
        sb_stack_sink_alpha(b->fm, L, H, n, T, 0, b->alpha);
        sb_stack_sink_alpha(b->fm, L, H, n, T, 1, b->alpha0);
        double vs = 0;
        for (size_t lh = 0; lh < L * H; lh++) {
            m->alpha[lh] += b->alpha[lh] / (double)S;
            alpha0_sum[lh] += b->alpha0[lh] / (double)S;
            for (size_t t = 0; t < T; t++)
                vs += b->sm[lh * n + t];
        }
        m->virtual_sink += vs / (double)(L * H * T) / (double)S;
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
        /* A repeated-token input: position 0 as in the mode, then one content token n-1 times. */
        make_ids(o, c.vocab, m->sink, 0, n, b->ids);
        for (size_t t = 1; t < n; t++)
            b->ids[t] = b->ids[1];
        sb_stack_embed(s, b->ids, n, b->x, b->bos);
        sb_stack_trace t1 = {.hidden = NULL, .first_mass = b->fm, .sink_mass = NULL};
        st = sb_stack_forward(s, NULL, b->x, n, b->bos, NULL, &t1);
        sb_stack_sink_alpha(b->fm, L, H, n, T, 0, b->alpha);
        m->repeated_rate = sb_stack_sink_rate(b->alpha, L * H, 0.3);
    }
    free(alpha0_sum);
    sb_stack_destroy(s);
    return st;
}

/* Sensitivity of the last token to every input token: S_i = sqrt(mean_p ||J_{n-1,i} u_p||^2) over unit
 * random probes u_p; with a finite-difference check of one JVP per profile. */
static sb_status run_profile(sb_perturb_results *r, sb_perturb_profile *p, int linear)
{
    const sb_perturb_options *o = &r->o;
    size_t n = r->sens_tokens, P = r->sens_probes;
    sb_stack_config c = config_for(o, p->sink == SB_STACK_SINK_COUNT ? SB_STACK_SINK_NONE : p->sink, p->layers, r->H,
                                   r->d);
    if (linear) {
        c.linear = 1;
        c.heads = 1;
    }
    sb_stack *s = NULL;
    sb_status st = sb_stack_create(&c, &s);
    if (st != SB_OK)
        return st;
    size_t d = c.width, nd = n * d;
    uint32_t *ids = malloc(n * sizeof *ids);
    unsigned char *bos = malloc(n);
    double *x = malloc(nd * sizeof *x), *dx = zeros(nd), *dy = malloc(nd * sizeof *x);
    double *xp = malloc(nd * sizeof *x), *yp = malloc(nd * sizeof *x), *ym = malloc(nd * sizeof *x);
    p->s = zeros(n);
    if (!ids || !bos || !x || !dx || !dy || !xp || !yp || !ym || !p->s)
        st = SB_ENOMEM;
    if (st == SB_OK) {
        make_ids(o, c.vocab, linear ? SB_STACK_SINK_NO_BOS : p->sink, 0, n, ids);
        sb_stack_embed(s, ids, n, x, bos);
    }
    double total = 0;
    for (size_t i = 0; i < n && st == SB_OK; i++) {
        double acc = 0;
        for (size_t k = 0; k < P && st == SB_OK; k++) {
            sb_rng rng;
            stream(&rng, o->seed, TAG_PROBE, i, k);
            memset(dx, 0, nd * sizeof *dx);
            for (size_t cc = 0; cc < d; cc++)
                dx[i * d + cc] = sb_rng_normal(&rng);
            double un = norm2(dx + i * d, d);
            for (size_t cc = 0; cc < d; cc++)
                dx[i * d + cc] /= un;
            st = sb_stack_jvp(s, x, dx, n, bos, NULL, dy);
            double e = norm2(dy + (n - 1) * d, d);
            acc += e * e;
            if (st == SB_OK && k == 0 && i == n / 2 && !linear) {
                /* Central differences, step 1e-5 (see tests/test_stack.c for the error budget). The linear
                 * limit is checked against its closed form instead: its tiny sensitivities after many
                 * layers are below what a difference quotient can resolve. */
                double h = r->fd_step;
                for (size_t a = 0; a < nd; a++)
                    xp[a] = x[a] + h * dx[a];
                sb_stack_forward(s, NULL, xp, n, bos, yp, NULL);
                for (size_t a = 0; a < nd; a++)
                    xp[a] = x[a] - h * dx[a];
                sb_stack_forward(s, NULL, xp, n, bos, ym, NULL);
                double err = 0;
                for (size_t a = 0; a < nd; a++) {
                    double fd = (yp[a] - ym[a]) / (2 * h);
                    err += (fd - dy[a]) * (fd - dy[a]);
                }
                err = sqrt(err) / norm2(dy, nd);
                r->fd_max_rel_error = fmax(r->fd_max_rel_error, err);
                r->fd_checks++;
            }
        }
        p->s[i] = sqrt(acc / (double)P);
        total += p->s[i];
    }
    p->share_first = total > 0 ? p->s[0] / total : 0.0;
    if (st == SB_OK && linear) {
        /* The linear stack's sensitivities are exactly the last row of [(Lambda+I)/2]^L. */
        double *lam = malloc(n * n * sizeof *lam), *m = malloc(n * n * sizeof *m);
        if (lam && m && sb_stack_linear_attention(s, n, bos, lam) == SB_OK &&
            sb_stack_limit_matrix(lam, n, p->layers, m) == SB_OK)
            for (size_t i = 0; i < n; i++)
                r->limit_stack_error = fmax(r->limit_stack_error, fabs(p->s[i] - m[(n - 1) * n + i]));
        else
            st = SB_ENOMEM;
        free(lam), free(m);
    }
    free(ids), free(bos), free(x), free(dx), free(dy), free(xp), free(yp), free(ym);
    sb_stack_destroy(s);
    return st;
}

static sb_status run_sensitivity(sb_perturb_results *r)
{
    sb_status st = SB_OK;
    r->fd_step = 1e-5;
    for (size_t k = 0; k < r->n_sens_depths && st == SB_OK; k++)
        for (int kind = 0; kind < 3 && st == SB_OK; kind++) {
            sb_perturb_profile *p = &r->profile[r->n_profiles++];
            p->sink = kind == 0 ? SB_STACK_SINK_NONE : kind == 1 ? SB_STACK_SINK_BOS : SB_STACK_SINK_COUNT;
            p->layers = r->sens_depths[k];
            st = run_profile(r, p, kind == 2);
        }
    return st;
}

/* M_{n-1,0} of [(Lambda+I)/2]^l for l = 1..limit_layers (closed form). */
static sb_status run_limit(sb_perturb_results *r)
{
    sb_stack_config c = config_for(&r->o, SB_STACK_SINK_NONE, 1, 1, r->d);
    c.linear = 1;
    sb_stack *s = NULL;
    sb_status st = sb_stack_create(&c, &s);
    if (st != SB_OK)
        return st;
    size_t n = r->limit_tokens;
    double *lam = malloc(n * n * sizeof *lam), *m = malloc(n * n * sizeof *m);
    r->limit_mass = zeros(r->limit_layers);
    if (!lam || !m || !r->limit_mass)
        st = SB_ENOMEM;
    if (st == SB_OK)
        st = sb_stack_linear_attention(s, n, NULL, lam);
    for (size_t l = 1; l <= r->limit_layers && st == SB_OK; l++) {
        st = sb_stack_limit_matrix(lam, n, l, m);
        r->limit_mass[l - 1] = m[(n - 1) * n];
    }
    free(lam), free(m);
    sb_stack_destroy(s);
    return st;
}

/* Representational collapse ||y_n([v, a]) - y_{n+1}([v, a, a])||_1 and the rank-collapse residual vs n. */
static sb_status run_context(sb_perturb_results *r)
{
    const sb_perturb_options *o = &r->o;
    sb_status st = SB_OK;
    size_t nmax = r->context_n[r->n_context - 1], d = r->d, L = r->context_layers;
    size_t S = o->sequences < 2 ? o->sequences : 2;
    uint32_t *ids = malloc((nmax + 1) * sizeof *ids);
    unsigned char *bos = malloc(nmax + 1);
    double *x = malloc((nmax + 1) * d * sizeof *x), *ya = malloc(nmax * d * sizeof *x);
    double *yb = malloc((nmax + 1) * d * sizeof *x);
    if (!ids || !bos || !x || !ya || !yb)
        st = SB_ENOMEM;
    for (int mi = 0; mi < PT_MODES && st == SB_OK; mi++) {
        sb_stack_config c = config_for(o, (sb_stack_sink)mi, L, r->H, d);
        sb_stack *s = NULL;
        st = sb_stack_create(&c, &s);
        for (size_t k = 0; k < r->n_context && st == SB_OK; k++) {
            size_t n = r->context_n[k];
            /* Beyond 1024 tokens only the two modes the headline compares (cost grows as n^2). */
            if (n > 1024 && mi != SB_STACK_SINK_NONE && mi != SB_STACK_SINK_BOS)
                continue;
            if (o->progress && n >= 1024) {
                char line[96];
                snprintf(line, sizeof line, "  context: %s, n = %zu", sb_stack_sink_name(c.sink), n);
                progress(r, line);
            }
            double l1 = 0, rel = 0, res = 0;
            size_t Sn = n > 1024 ? 1 : S; /* one sequence beyond 1024 tokens */
            for (size_t q = 0; q < Sn && st == SB_OK; q++) {
                make_ids(o, c.vocab, c.sink, 100 + q, n, ids);
                ids[n] = ids[n - 1];
                sb_stack_embed(s, ids, n + 1, x, bos);
                st = sb_stack_forward(s, NULL, x, n, bos, ya, NULL);
                if (st == SB_OK)
                    st = sb_stack_forward(s, NULL, x, n + 1, bos, yb, NULL);
                double a = 0, na = 0;
                for (size_t cc = 0; cc < d; cc++) {
                    a += fabs(ya[(n - 1) * d + cc] - yb[n * d + cc]);
                    na += fabs(ya[(n - 1) * d + cc]);
                }
                l1 += a / (double)Sn;
                rel += a / na / (double)Sn;
                res += sb_stack_collapse_residual(ya + d, n - 1, d) / (double)Sn;
            }
            r->context_l1[mi][k] = l1;
            r->context_rel[mi][k] = rel;
            r->context_residual[mi][k] = res;
            r->context_has[mi][k] = 1;
        }
        sb_stack_destroy(s);
    }
    free(ids), free(bos), free(x), free(ya), free(yb);
    return st;
}

/* Last-token drift after L layers for one stack configuration, mean over sequences. */
static sb_status drift_after(sb_perturb_results *r, const sb_stack_config *c, double *drift, double *residual)
{
    const sb_perturb_options *o = &r->o;
    size_t n = r->n, d = c->width, S = r->sweep_sequences;
    sb_stack *s = NULL;
    sb_status st = sb_stack_create(c, &s);
    if (st != SB_OK)
        return st;
    uint32_t *ids = malloc(n * sizeof *ids);
    unsigned char *bos = malloc(n);
    double *x = malloc(n * d * sizeof *x), *x2 = malloc(n * d * sizeof *x);
    double *y = malloc(n * d * sizeof *x), *y2 = malloc(n * d * sizeof *x);
    if (!ids || !bos || !x || !x2 || !y || !y2)
        st = SB_ENOMEM;
    *drift = 0;
    if (residual)
        *residual = 0;
    for (size_t q = 0; q < S && st == SB_OK; q++) {
        make_ids(o, c->vocab, c->sink, q, n, ids);
        sb_stack_embed(s, ids, n, x, bos);
        perturb_input(s, o, q, r->j, ids, x, n, x2);
        st = sb_stack_forward(s, NULL, x, n, bos, y, NULL);
        if (st == SB_OK)
            st = sb_stack_forward(s, NULL, x2, n, bos, y2, NULL);
        *drift += dist(y + (n - 1) * d, y2 + (n - 1) * d, d) / (double)S;
        if (residual)
            *residual += sb_stack_collapse_residual(y + d, n - 1, d) / (double)S;
    }
    free(ids), free(bos), free(x), free(x2), free(y), free(y2);
    sb_stack_destroy(s);
    return st;
}

static sb_status run_heads(sb_perturb_results *r)
{
    sb_status st = SB_OK;
    for (size_t k = 0; k < r->n_heads && st == SB_OK; k++)
        for (int m = 0; m < 2 && st == SB_OK; m++) {
            sb_stack_config c = config_for(&r->o, m ? SB_STACK_SINK_BOS : SB_STACK_SINK_NONE, r->heads_layers,
                                           r->heads[k], r->heads_width);
            st = drift_after(r, &c, &r->heads_drift[m][k], &r->heads_residual[m][k]);
        }
    return st;
}

static sb_status run_gaps(sb_perturb_results *r)
{
    static const sb_stack_sink swept[] = {SB_STACK_SINK_BOS, SB_STACK_SINK_LEARNED, SB_STACK_SINK_NO_BOS,
                                          SB_STACK_SINK_GATED};
    sb_status st = SB_OK;
    for (size_t m = 0; m < sizeof swept / sizeof *swept; m++)
        for (size_t k = 0; k < r->n_gaps && st == SB_OK; k++) {
            sb_stack_config c = config_for(&r->o, swept[m], r->L, r->H, r->d);
            c.gap = r->gaps[k];
            st = drift_after(r, &c, &r->gap_drift[swept[m]][k], NULL);
        }
    return st;
}

/* Every supported kernel at f32 and f64+kernel (all layers, and layer 1 only), and the dispatch kernel
 * with bf16 and f16 storage, against the binary64 reference, without a sink and with a BOS sink. */
static sb_status run_numerics(sb_perturb_results *r)
{
    const sb_perturb_options *o = &r->o;
    size_t L = r->L, n = r->n, d = r->d, nd = n * d, nk = sb_softmax_kernel_count();
    r->numeric = calloc(2 * (3 * nk + 2), sizeof *r->numeric);
    uint32_t *ids = malloc(n * sizeof *ids);
    unsigned char *bos = malloc(n);
    double *x = malloc(nd * sizeof *x), *ref = malloc((L + 1) * nd * sizeof *x), *h = malloc((L + 1) * nd * sizeof *x);
    sb_status st = r->numeric && ids && bos && x && ref && h ? SB_OK : SB_ENOMEM;
    const sb_softmax_kernel *dispatch = sb_softmax_dispatch(n);
    for (int m = 0; m < 2 && st == SB_OK; m++) {
        sb_stack_config c = config_for(o, m ? SB_STACK_SINK_BOS : SB_STACK_SINK_NONE, L, r->H, d);
        sb_stack *s = NULL;
        st = sb_stack_create(&c, &s);
        if (st != SB_OK)
            break;
        make_ids(o, c.vocab, c.sink, 0, n, ids);
        sb_stack_embed(s, ids, n, x, bos);
        sb_stack_trace tr = {.hidden = ref, .first_mass = NULL, .sink_mass = NULL}, th = {.hidden = h};
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
                nr->precision = e.precision;
                nr->injected = e.kernel_layers;
                nr->error = zeros(L + 1);
                if (!nr->error) {
                    st = SB_ENOMEM;
                    break;
                }
                r->n_numeric++;
                st = sb_stack_forward(s, &e, x, n, bos, NULL, &th);
                for (size_t l = 0; l <= L && st == SB_OK; l++) {
                    double rn = norm2(ref + l * nd, nd);
                    nr->error[l] = rn > 0 ? dist(h + l * nd, ref + l * nd, nd) / rn : 0.0;
                }
            }
        }
        sb_stack_destroy(s);
    }
    free(ids), free(bos), free(x), free(ref), free(h);
    return st;
}

static void plan(sb_perturb_results *r)
{
    const sb_perturb_options *o = &r->o;
    int full = o->level == SB_PERTURB_FULL;
    r->L = o->layers;
    r->n = o->tokens;
    r->H = o->heads;
    r->d = o->width;
    r->j = o->perturbed_token == SIZE_MAX ? o->tokens / 2 : o->perturbed_token;

    r->sens_tokens = r->n < 32 ? r->n : full ? (r->n < 64 ? r->n : 64) : 32;
    r->sens_probes = full ? 4 : 2;
    static const size_t depths[] = {1, 4, 16, 32, 64};
    for (size_t k = 0; k < sizeof depths / sizeof *depths; k++)
        if (depths[k] <= r->L)
            r->sens_depths[r->n_sens_depths++] = depths[k];
    if (r->n_sens_depths == 0 || r->sens_depths[r->n_sens_depths - 1] != r->L)
        r->sens_depths[r->n_sens_depths++] = r->L;

    r->limit_tokens = r->sens_tokens;
    r->limit_layers = 64;

    r->context_layers = r->L < 8 ? r->L : 8;
    size_t nmax = full ? 8192 : 4 * r->n < 8192 ? 4 * r->n : 8192;
    for (size_t n = 16; n <= nmax; n *= 2)
        r->context_n[r->n_context++] = n;

    /* Fixed width for every head count up to 32: 64 for the default width 32, less for narrow stacks. */
    r->heads_width = (2 * r->d + 31) / 32 * 32;
    r->heads_width = r->heads_width < 32 ? 32 : r->heads_width > 64 ? 64 : r->heads_width;
    r->heads_layers = full ? r->L : (r->L < 16 ? r->L : 16);
    for (size_t h = 1; h <= 32; h *= 2)
        r->heads[r->n_heads++] = h;

    r->sweep_sequences = full || o->sequences < 2 ? o->sequences : 2;
    static const double gaps[] = {0, 2, 4, 6, 8, 10, 12, 16};
    r->n_gaps = sizeof gaps / sizeof *gaps;
    memcpy(r->gaps, gaps, sizeof gaps);
}

sb_status sb_perturb_study_run(const sb_perturb_options *o, sb_perturb_results *r)
{
    memset(r, 0, sizeof *r);
    r->o = *o;
    r->started = now();
    plan(r);
    bufs b;
    if (!bufs_alloc(&b, r->L, r->H, r->n, r->d))
        return SB_ENOMEM;
    sb_status st = SB_OK;
    progress(r, "[1/7] drift, collapse with depth and the sink metric for every sink mode");
    for (int m = 0; m < PT_MODES && st == SB_OK; m++) {
        r->mode[m].sink = (sb_stack_sink)m;
        st = run_mode(r, &r->mode[m], &b);
    }
    bufs_free(&b);
    if (st == SB_OK) {
        progress(r, "[2/7] sensitivity profiles (forward-mode JVP) and finite-difference checks");
        st = run_sensitivity(r);
    }
    if (st == SB_OK) {
        progress(r, "[3/7] the linear limit [(Lambda+I)/2]^L");
        st = run_limit(r);
    }
    if (st == SB_OK) {
        progress(r, "[4/7] context sweep: representational and rank collapse vs n");
        st = run_context(r);
    }
    if (st == SB_OK) {
        progress(r, "[5/7] head sweep at fixed width");
        st = run_heads(r);
    }
    if (st == SB_OK) {
        progress(r, "[6/7] sink strength sweep");
        st = run_gaps(r);
    }
    if (st == SB_OK) {
        progress(r, "[7/7] numerical propagation: every kernel and precision vs binary64");
        st = run_numerics(r);
    }
    if (st == SB_OK)
        sb_perturb_trends_compute(r);
    return st;
}

void sb_perturb_results_free(sb_perturb_results *r)
{
    for (int m = 0; m < PT_MODES; m++) {
        free(r->mode[m].last_drift);
        free(r->mode[m].map);
        free(r->mode[m].residual);
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
