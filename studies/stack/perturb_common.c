/* What every experiment of the perturbation study shares (perturb_study.h): the stack of an experiment,
 * its sequences and perturbations, drift and sensitivity measurements, small vector helpers. Weight seed
 * k is seed + k; sequence q of weight seed k is drawn from a stream of (seed, k, q). */
#define _POSIX_C_SOURCE 200809L
#include "studies/stack/perturb_study.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check/rng.h"

enum { TAG_TOKENS = 1, TAG_PERTURB = 2, TAG_PROBE = 3 };

static void stream(sb_rng *r, uint64_t seed, uint64_t tag, uint64_t a, uint64_t b)
{
    uint64_t x = seed ^ (tag << 56) ^ (a * 0x9e3779b97f4a7c15ull) ^ (b * 0xc2b2ae3d27d4eb4full);
    sb_rng_seed(r, sb_splitmix64(&x));
}

double sb_perturb_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

void sb_perturb_progress(const sb_perturb_results *r, const char *what)
{
    if (r->o.progress)
        fprintf(stderr, "perturb: %6.1f s (%.1f s CPU)  %s\n", sb_perturb_now() - r->started, (double)clock() / CLOCKS_PER_SEC,
                what);
}

double *sb_perturb_zeros(size_t n) { return calloc(n ? n : 1, sizeof(double)); }

double *sb_perturb_nans(size_t n)
{
    double *v = malloc((n ? n : 1) * sizeof *v);
    for (size_t i = 0; v && i < n; i++)
        v[i] = NAN;
    return v;
}

double sb_perturb_norm(const double *a, size_t k)
{
    double s = 0;
    for (size_t i = 0; i < k; i++)
        s += a[i] * a[i];
    return sqrt(s);
}

double sb_perturb_dist(const double *a, const double *b, size_t k)
{
    double s = 0;
    for (size_t i = 0; i < k; i++)
        s += (a[i] - b[i]) * (a[i] - b[i]);
    return sqrt(s);
}

sb_stack_config sb_perturb_config(const sb_perturb_results *r, sb_stack_sink sink, size_t layers, size_t heads,
                                  size_t width, uint64_t weight_seed)
{
    const sb_perturb_options *o = &r->o;
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
    c.gate_gain = o->gate_gain;
    c.value_scale = o->value_scale;
    c.seed = weight_seed;
    return c;
}

void sb_perturb_ids(const sb_perturb_results *r, size_t vocab, sb_stack_sink sink, size_t k, uint64_t q, size_t n,
                    uint32_t *ids)
{
    sb_rng g;
    stream(&g, r->o.seed, TAG_TOKENS, k, q);
    for (size_t t = 0; t < n; t++)
        ids[t] = 1 + (uint32_t)sb_rng_below(&g, vocab - 1);
    if (sink != SB_STACK_SINK_NO_BOS && n)
        ids[0] = SB_STACK_BOS_ID;
}

void sb_perturb_input(const sb_stack *s, const sb_perturb_results *r, size_t k, uint64_t q, size_t j,
                      const uint32_t *ids, const double *x, size_t n, double *x2)
{
    size_t d = sb_stack_get_config(s)->width, vocab = sb_stack_get_config(s)->vocab;
    memcpy(x2, x, n * d * sizeof *x);
    sb_rng g;
    stream(&g, r->o.seed, TAG_PERTURB, k, q);
    if (r->o.swap) {
        uint32_t id;
        do
            id = 1 + (uint32_t)sb_rng_below(&g, vocab - 1);
        while (id == ids[j]);
        sb_stack_embed(s, &id, 1, x2 + j * d, NULL);
        return;
    }
    double norm = 0, *u = x2 + j * d;
    double *tmp = malloc(d * sizeof *tmp);
    if (!tmp)
        return;
    for (size_t c = 0; c < d; c++) {
        tmp[c] = sb_rng_normal(&g);
        norm += tmp[c] * tmp[c];
    }
    for (size_t c = 0; c < d; c++)
        u[c] += r->o.perturb_size * tmp[c] / sqrt(norm);
    free(tmp);
}

sb_status sb_perturb_drift(const sb_perturb_results *r, const sb_stack *s, size_t k, size_t S, size_t n, size_t j,
                           double *rel, double *abs_drift, double *mass)
{
    const sb_stack_config *c = sb_stack_get_config(s);
    size_t d = c->width, L = c->layers, H = c->heads, nd = n * d;
    uint32_t *ids = malloc(n * sizeof *ids);
    unsigned char *bos = malloc(n);
    double *x = malloc(nd * sizeof *x), *x2 = malloc(nd * sizeof *x);
    double *y = malloc(nd * sizeof *x), *y2 = malloc(nd * sizeof *x);
    double *cm = mass ? malloc(L * H * n * sizeof *cm) : NULL;
    sb_status st = ids && bos && x && x2 && y && y2 && (!mass || cm) ? SB_OK : SB_ENOMEM;
    double sr = 0, sa = 0, sm = 0;
    for (size_t q = 0; q < S && st == SB_OK; q++) {
        sb_perturb_ids(r, c->vocab, c->sink, k, q, n, ids);
        sb_stack_embed(s, ids, n, x, bos);
        sb_perturb_input(s, r, k, q, j, ids, x, n, x2);
        sb_stack_trace tr = {0};
        tr.content_mass = cm;
        st = sb_stack_forward(s, NULL, x, n, bos, y, &tr);
        if (st == SB_OK)
            st = sb_stack_forward(s, NULL, x2, n, bos, y2, NULL);
        if (st != SB_OK)
            break;
        double dd = sb_perturb_dist(y + (n - 1) * d, y2 + (n - 1) * d, d), hn = sb_perturb_norm(y + (n - 1) * d, d);
        sa += dd;
        sr += hn > 0 ? dd / hn : 0.0;
        if (mass) {
            double m = 0;
            for (size_t lh = 0; lh < L * H; lh++)
                m += cm[lh * n + n - 1];
            sm += m / (double)(L * H);
        }
    }
    if (rel)
        *rel = sr / (double)S;
    if (abs_drift)
        *abs_drift = sa / (double)S;
    if (mass)
        *mass = sm / (double)S;
    free(ids), free(bos), free(x), free(x2), free(y), free(y2), free(cm);
    return st;
}

double sb_perturb_participation(const double *s, size_t n)
{
    double a = 0, b = 0;
    for (size_t i = 0; i < n; i++) {
        a += s[i];
        b += s[i] * s[i];
    }
    return b > 0 ? a * a / b : NAN;
}

sb_status sb_perturb_profile_of(const sb_stack *s, const double *x, size_t n, const unsigned char *bos, size_t probes,
                                uint64_t probe_seed, double *s_out)
{
    size_t d = sb_stack_get_config(s)->width, nd = n * d;
    double *w = sb_perturb_zeros(nd), *gx = malloc(nd * sizeof *gx);
    sb_status st = w && gx ? SB_OK : SB_ENOMEM;
    for (size_t i = 0; i < n; i++)
        s_out[i] = 0.0;
    for (size_t p = 0; p < probes && st == SB_OK; p++) {
        /* A random unit cotangent on the last token: E ||w^T J_i||^2 = ||J_i||_F^2 / d for every i. */
        sb_rng g;
        stream(&g, probe_seed, TAG_PROBE, p, n);
        double *wl = w + (n - 1) * d;
        for (size_t c = 0; c < d; c++)
            wl[c] = sb_rng_normal(&g);
        double len = sb_perturb_norm(wl, d);
        for (size_t c = 0; c < d; c++)
            wl[c] /= len;
        st = sb_stack_vjp(s, x, w, n, bos, NULL, gx);
        for (size_t i = 0; i < n && st == SB_OK; i++) {
            double e = sb_perturb_norm(gx + i * d, d);
            s_out[i] += e * e / (double)probes;
        }
    }
    for (size_t i = 0; i < n; i++)
        s_out[i] = sqrt(s_out[i]);
    free(w), free(gx);
    return st;
}

