/* The model's shape: configuration, parameter tensors, initialisation, activation layout, seeded
 * streams, and the sink statistics read from a forward pass (docs/emerge.md "The model"). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emerge_model.h"

static const char *const sink_names[SB_EMERGE_SINK_COUNT] = {"none", "bos", "first", "learned", "softmax1", "gate"};

const char *sb_emerge_sink_name(sb_emerge_sink s)
{
    return (unsigned)s < SB_EMERGE_SINK_COUNT ? sink_names[s] : NULL;
}

sb_status sb_emerge_sink_parse(const char *name, sb_emerge_sink *out)
{
    if (!name || !out)
        return SB_EINVAL;
    for (int i = 0; i < SB_EMERGE_SINK_COUNT; i++)
        if (strcmp(name, sink_names[i]) == 0) {
            *out = (sb_emerge_sink)i;
            return SB_OK;
        }
    return SB_EINVAL;
}

void sb_emerge_config_default(sb_emerge_config *c)
{
    c->layers = 2;
    c->heads = 4;
    c->width = 64;
    c->hidden = 256;
    c->context = 64;
    c->sink = SB_EMERGE_SINK_BOS;
    c->rope_base = 10000.0;
}

const char *sb_emerge_config_problem(const sb_emerge_config *c)
{
    if (!c)
        return "no configuration";
    if (c->layers < 1 || c->layers > SB_EMERGE_MAX_LAYERS)
        return "layers must be 1..16";
    if (c->width < 2 || c->width > SB_EMERGE_MAX_WIDTH)
        return "width must be 2..1024";
    if (c->heads < 1 || c->heads > SB_EMERGE_MAX_HEADS || c->width % c->heads || (c->width / c->heads) % 2)
        return "heads must be 1..64 and divide width into heads of even width (rotary pairs)";
    if (c->hidden < 1 || c->hidden > 4096)
        return "hidden must be 1..4096";
    if (c->context < 2 || c->context > SB_EMERGE_MAX_CONTEXT)
        return "context must be 2..4096";
    if ((unsigned)c->sink >= SB_EMERGE_SINK_COUNT)
        return "unknown sink variant";
    if (!(c->rope_base > 1.0) || !isfinite(c->rope_base))
        return "rope base must be finite and > 1";
    return NULL;
}

/* Tensor list: embed; per layer norm1, wq, wk, wv, wo, [wg], [sink], norm2, w1, w2; final_norm, unembed. */
static size_t per_layer(const sb_emerge_config *c)
{
    return 8 + (c->sink == SB_EMERGE_SINK_GATE) + (c->sink == SB_EMERGE_SINK_LEARNED);
}

size_t sb_emerge_tensor_count(const sb_emerge_config *c)
{
    return sb_emerge_config_problem(c) ? 0 : 3 + c->layers * per_layer(c);
}

static void set(sb_emerge_tensor *t, const char *name, size_t rows, size_t cols, int decay)
{
    snprintf(t->name, sizeof t->name, "%s", name);
    t->rows = rows;
    t->cols = cols;
    t->decay = decay;
}

sb_status sb_emerge_tensor_at(const sb_emerge_config *c, size_t i, sb_emerge_tensor *out)
{
    size_t n = sb_emerge_tensor_count(c);
    if (!out || i >= n)
        return SB_EINVAL;
    size_t d = c->width, F = c->hidden, V = SB_EMERGE_VOCAB, off = 0;
    for (size_t j = 0; j <= i; j++) {
        sb_emerge_tensor t;
        memset(&t, 0, sizeof t);
        if (j == 0)
            set(&t, "embed", V, d, 0);
        else if (j == n - 2)
            set(&t, "final_norm", 1, d, 0);
        else if (j == n - 1)
            set(&t, "unembed", d, V, 1);
        else {
            size_t l = (j - 1) / per_layer(c), k = (j - 1) % per_layer(c);
            char name[32];
            /* the optional tensors sit after wo so the fixed ones keep their place */
            static const char *const fixed[] = {"norm1", "wq", "wk", "wv", "wo"};
            const char *what;
            size_t rows = d, cols = d;
            int decay = 1;
            if (k < 5)
                what = fixed[k];
            else {
                size_t extra = k - 5, nextra = per_layer(c) - 8;
                if (extra < nextra)
                    what = c->sink == SB_EMERGE_SINK_GATE ? "wg" : "sink";
                else
                    what = (const char *const[]){"norm2", "w1", "w2"}[extra - nextra];
            }
            if (!strcmp(what, "norm1") || !strcmp(what, "norm2")) {
                rows = 1;
                decay = 0;
            } else if (!strcmp(what, "sink")) {
                rows = 1;
                cols = c->heads;
                decay = 0;
            } else if (!strcmp(what, "w1"))
                cols = F;
            else if (!strcmp(what, "w2"))
                rows = F;
            snprintf(name, sizeof name, "l%zu.%s", l, what);
            set(&t, name, rows, cols, decay);
        }
        t.offset = off;
        off += t.rows * t.cols;
        if (j == i)
            *out = t;
    }
    return SB_OK;
}

size_t sb_emerge_param_count(const sb_emerge_config *c)
{
    size_t n = sb_emerge_tensor_count(c);
    sb_emerge_tensor t;
    if (!n || sb_emerge_tensor_at(c, n - 1, &t) != SB_OK)
        return 0;
    return t.offset + t.rows * t.cols;
}

/* ---- seeded streams ------------------------------------------------------------------------------- */

uint64_t sb_emerge_mix(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

uint64_t sb_emerge_hash(uint64_t a, uint64_t b, uint64_t c)
{
    return sb_emerge_mix(sb_emerge_mix(sb_emerge_mix(a) ^ b) ^ c);
}

uint64_t sb_emerge_rng_next(sb_emerge_rng *r)
{
    r->s += 0x9e3779b97f4a7c15ull;
    uint64_t z = r->s;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

double sb_emerge_rng_uniform(sb_emerge_rng *r) { return (double)(sb_emerge_rng_next(r) >> 11) * 0x1p-53; }

double sb_emerge_rng_normal(sb_emerge_rng *r)
{
    /* Box-Muller with u1 in (0, 1]: no log(0) */
    double u1 = 1.0 - sb_emerge_rng_uniform(r), u2 = sb_emerge_rng_uniform(r);
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

/* ---- initialisation ------------------------------------------------------------------------------- */

sb_status sb_emerge_model_init(sb_emerge_model *m, const sb_emerge_config *c, uint64_t seed)
{
    if (!m)
        return SB_EINVAL;
    memset(m, 0, sizeof *m);
    if (sb_emerge_config_problem(c))
        return SB_EINVAL;
    m->config = *c;
    m->n_params = sb_emerge_param_count(c);
    m->params = calloc(m->n_params, sizeof *m->params);
    if (!m->params)
        return SB_ENOMEM;
    size_t nt = sb_emerge_tensor_count(c);
    /* Residual branches (wo, w2) start smaller by 1/sqrt(2L), as in GPT-2, so that the residual stream's
     * scale does not grow with depth at initialisation. */
    double depth = 1.0 / sqrt(2.0 * (double)c->layers);
    for (size_t i = 0; i < nt; i++) {
        sb_emerge_tensor t;
        sb_emerge_tensor_at(c, i, &t);
        sb_emerge_rng r = {sb_emerge_hash(seed, i, 0x5eed)};
        const char *what = strchr(t.name, '.') ? strchr(t.name, '.') + 1 : t.name;
        double sd = 0.0, fill = 0.0;
        if (!strcmp(what, "embed"))
            sd = 1.0;
        else if (strstr(what, "norm"))
            fill = 1.0;
        else if (!strcmp(what, "sink"))
            fill = 0.0; /* softmax1 at the start: the model decides where the logit goes */
        else if (!strcmp(what, "wo") || !strcmp(what, "w2"))
            sd = depth / sqrt((double)t.rows);
        else
            sd = 1.0 / sqrt((double)t.rows);
        float *p = m->params + t.offset;
        for (size_t j = 0; j < t.rows * t.cols; j++)
            p[j] = (float)(sd > 0 ? sd * sb_emerge_rng_normal(&r) : fill);
    }
    return SB_OK;
}

void sb_emerge_model_free(sb_emerge_model *m)
{
    if (!m)
        return;
    free(m->params);
    memset(m, 0, sizeof *m);
}

/* ---- activations ---------------------------------------------------------------------------------- */

sb_status sb_emerge_acts_alloc(sb_emerge_acts *a, const sb_emerge_config *c, size_t B, size_t T, size_t elem)
{
    if (!a)
        return SB_EINVAL;
    memset(a, 0, sizeof *a);
    if (sb_emerge_config_problem(c) || B < 1 || T < 1 || T > c->context || (elem != 4 && elem != 8) ||
        B > ((size_t)1 << 20))
        return SB_EINVAL;
    size_t L = c->layers, d = c->width, F = c->hidden, V = SB_EMERGE_VOCAB, H = c->heads, BT = B * T;
    size_t off = 0;
#define TAKE(field, n) ((field) = off, off += (n))
    TAKE(a->x, BT * d);
    for (size_t l = 0; l < L; l++) {
        TAKE(a->h[l], BT * d);
        TAKE(a->u1[l], BT * d);
        TAKE(a->r1[l], BT);
        TAKE(a->q[l], BT * d);
        TAKE(a->k[l], BT * d);
        TAKE(a->v[l], BT * d);
        TAKE(a->p[l], B * H * T * T);
        TAKE(a->ps[l], B * H * T);
        TAKE(a->a[l], BT * d);
        if (c->sink == SB_EMERGE_SINK_GATE) {
            TAKE(a->g[l], BT * d);
            TAKE(a->ag[l], BT * d);
        } else {
            a->g[l] = a->ag[l] = a->a[l];
        }
        TAKE(a->hm[l], BT * d);
        TAKE(a->u2[l], BT * d);
        TAKE(a->r2[l], BT);
        TAKE(a->z[l], BT * F);
        TAKE(a->s[l], BT * F);
    }
    TAKE(a->h[L], BT * d);
    TAKE(a->uf, BT * d);
    TAKE(a->rf, BT);
    TAKE(a->logits, BT * V);
    TAKE(a->dh, BT * d);
    TAKE(a->dhm, BT * d);
    TAKE(a->du, BT * d);
    TAKE(a->dq, BT * d);
    TAKE(a->dk, BT * d);
    TAKE(a->dv, BT * d);
    TAKE(a->da, BT * d);
    TAKE(a->dz, BT * F);
    TAKE(a->ds, BT * F);
    TAKE(a->dlogits, BT * V);
    TAKE(a->dx, BT * d);
    size_t wt = sb_emerge_matmul_scratch(d, F);
    if (sb_emerge_matmul_scratch(F, d) > wt)
        wt = sb_emerge_matmul_scratch(F, d);
    if (sb_emerge_matmul_scratch(V, d) > wt)
        wt = sb_emerge_matmul_scratch(V, d);
    if (sb_emerge_matmul_scratch(d, V) > wt)
        wt = sb_emerge_matmul_scratch(d, V);
    size_t dh = d / H;
    if (sb_emerge_matmul_scratch(T, dh) > wt)
        wt = sb_emerge_matmul_scratch(T, dh);
    TAKE(a->wt, wt);
    TAKE(a->rope, 2 * T * (dh / 2));
    TAKE(a->head, 7 * T * dh + T * T); /* one head's Q, K, V, dA, dQ, dK, dV and dP */
#undef TAKE
    a->mem = calloc(off, elem);
    if (!a->mem)
        return SB_ENOMEM;
    a->size = off;
    a->elem = elem;
    a->B = B;
    a->T = T;
    a->L = L;
    return SB_OK;
}

void sb_emerge_acts_free(sb_emerge_acts *a)
{
    if (!a)
        return;
    free(a->mem);
    memset(a, 0, sizeof *a);
}

/* ---- sink statistics from activations ---------------------------------------------------------------- */

static double get(const sb_emerge_acts *a, size_t i)
{
    return a->elem == 8 ? ((const double *)a->mem)[i] : (double)((const float *)a->mem)[i];
}

static int cmp_double(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
}

/* ||row 0|| / median over t >= 1 of ||row t||, for B sequences of T rows of width d at offset base. */
static double first_over_median(const sb_emerge_acts *a, size_t base, size_t d, double *tmp)
{
    size_t B = a->B, T = a->T;
    if (T < 2)
        return 0.0;
    double sum = 0.0;
    for (size_t b = 0; b < B; b++) {
        double first = 0.0;
        for (size_t t = 0; t < T; t++) {
            double s = 0.0;
            for (size_t c = 0; c < d; c++) {
                double v = get(a, base + (b * T + t) * d + c);
                s += v * v;
            }
            if (t == 0)
                first = sqrt(s);
            else
                tmp[t - 1] = sqrt(s);
        }
        qsort(tmp, T - 1, sizeof *tmp, cmp_double);
        double med = (T - 1) % 2 ? tmp[(T - 1) / 2] : 0.5 * (tmp[(T - 1) / 2 - 1] + tmp[(T - 1) / 2]);
        sum += med > 0 ? first / med : 0.0;
    }
    return sum / (double)B;
}

void sb_emerge_acts_sink_stats(const sb_emerge_config *c, const sb_emerge_acts *a, double *first_mass,
                               double *logit_sink, double *gate_closure, double *value_ratio, double *norm_ratio)
{
    size_t L = c->layers, H = c->heads, T = a->T, B = a->B, d = c->width, dh = d / H;
    size_t window = T < 64 ? T : 64;
    for (size_t l = 0; l < L; l++)
        for (size_t h = 0; h < H; h++) {
            double ls = 0.0, gc = 0.0;
            for (size_t t = 0; t < T; t++) {
                double fm = 0.0;
                for (size_t b = 0; b < B; b++) {
                    fm += get(a, a->p[l] + ((b * H + h) * T + t) * T);
                    if (t >= 1 && t < window) {
                        ls += get(a, a->ps[l] + (b * H + h) * T + t);
                        if (c->sink == SB_EMERGE_SINK_GATE)
                            for (size_t j = 0; j < dh; j++)
                                gc += 1.0 - get(a, a->g[l] + (b * T + t) * d + h * dh + j);
                    }
                }
                if (first_mass)
                    first_mass[(l * H + h) * T + t] = fm / (double)B;
            }
            double rows = (double)B * (double)(window > 1 ? window - 1 : 1);
            if (logit_sink)
                logit_sink[l * H + h] = ls / rows;
            if (gate_closure)
                gate_closure[l * H + h] = gc / (rows * (double)dh);
        }
    double *tmp = (value_ratio || norm_ratio) ? malloc(T * sizeof *tmp) : NULL;
    if (!tmp) {
        if (value_ratio)
            for (size_t l = 0; l < L; l++)
                value_ratio[l] = NAN;
        if (norm_ratio)
            *norm_ratio = NAN;
        return;
    }
    if (value_ratio)
        for (size_t l = 0; l < L; l++)
            value_ratio[l] = first_over_median(a, a->v[l], d, tmp);
    if (norm_ratio)
        *norm_ratio = first_over_median(a, a->h[L], d, tmp);
    free(tmp);
}

/* Scratch of the own matmul: a transposed copy of B (K x N values). Here, not in a per-precision
 * file, so that model.c and the precision copies do not call each other. */
size_t sb_emerge_matmul_scratch(size_t K, size_t N) { return K * N; }

int sb_emerge_have_blas(void)
{
#ifdef SB_EMERGE_HAVE_BLAS
    return 1;
#else
    return 0;
#endif
}
