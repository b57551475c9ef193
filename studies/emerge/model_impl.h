/* The model's forward and reverse passes, written once for a `real` type and compiled twice:
 * model_f32.c (real = float: training; the softmax is the library's, sb_softmax_f32 or any registered
 * kernel, under the numerics contract) and model_f64.c (real = double: gradient checks against finite
 * differences and the reference pass of every measurement; the softmax is the same contract
 * transcribed to binary64). docs/emerge.md "The model" gives the equations.
 *
 * Defined by the including file: SB_EMERGE_REAL (float or double), SB_EMERGE_SUFFIX (f32 or f64),
 * SB_EMERGE_IS_F32 (1 or 0). */
#include <math.h>
#include <string.h>

#include "emerge_model.h"

#ifdef SB_EMERGE_HAVE_BLAS
#include <cblas.h>
#endif

#define FN2(a, b) a##_##b
#define FN1(a, b) FN2(a, b)
#define FN(name) FN1(name, SB_EMERGE_SUFFIX)
typedef SB_EMERGE_REAL real;

/* ---- matrix products ------------------------------------------------------------------------------ */

/* Our loops keep every output's sum in the order k = 0, 1, ...: the same bits whatever vector width the
 * compiler picks (ISO C mode: no FMA contraction), so the AVX2 clone and the baseline agree bit for bit
 * and training is reproducible on any x86-64. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__SANITIZE_ADDRESS__)
#define SB_VEC_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define SB_VEC_CLONES
#endif

SB_VEC_CLONES
static void mm_nn(size_t M, size_t N, size_t K, const real *restrict A, const real *restrict B, real beta,
                  real *restrict C)
{
    for (size_t i = 0; i < M; i++) {
        real *restrict c = C + i * N;
        if (beta == 0)
            memset(c, 0, N * sizeof *c);
        const real *a = A + i * K;
        for (size_t k = 0; k < K; k++) {
            real aik = a[k];
            const real *restrict b = B + k * N;
            for (size_t j = 0; j < N; j++)
                c[j] += aik * b[j];
        }
    }
}

/* C[M,N] (+)= A^T B with A [K,M], B [K,N]. */
SB_VEC_CLONES
static void mm_tn(size_t M, size_t N, size_t K, const real *restrict A, const real *restrict B, real beta,
                  real *restrict C)
{
    if (beta == 0)
        memset(C, 0, M * N * sizeof *C);
    for (size_t k = 0; k < K; k++) {
        const real *a = A + k * M, *restrict b = B + k * N;
        for (size_t i = 0; i < M; i++) {
            real aki = a[i];
            real *restrict c = C + i * N;
            for (size_t j = 0; j < N; j++)
                c[j] += aki * b[j];
        }
    }
}

void FN(sb_emerge_matmul)(sb_emerge_matmul how, int ta, int tb, size_t M, size_t N, size_t K, const real *A,
                          const real *Bm, real beta, real *C, real *scratch)
{
#ifdef SB_EMERGE_HAVE_BLAS
    if (how == SB_EMERGE_MATMUL_BLAS) {
#if SB_EMERGE_IS_F32
        cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, (int)M, (int)N,
                    (int)K, 1.0f, A, (int)(ta ? M : K), Bm, (int)(tb ? K : N), beta, C, (int)N);
#else
        cblas_dgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, (int)M, (int)N,
                    (int)K, 1.0, A, (int)(ta ? M : K), Bm, (int)(tb ? K : N), beta, C, (int)N);
#endif
        return;
    }
#else
    (void)how;
#endif
    if (tb) { /* B is [N,K]: transpose it once, then the row-streaming loop */
        for (size_t n = 0; n < N; n++)
            for (size_t k = 0; k < K; k++)
                scratch[k * N + n] = Bm[n * K + k];
        Bm = scratch;
    }
    if (ta)
        mm_tn(M, N, K, A, Bm, beta, C);
    else
        mm_nn(M, N, K, A, Bm, beta, C);
}

/* ---- parameter layout ------------------------------------------------------------------------------ */

typedef struct layout {
    size_t embed, fnorm, unembed;
    size_t norm1[SB_EMERGE_MAX_LAYERS], wq[SB_EMERGE_MAX_LAYERS], wk[SB_EMERGE_MAX_LAYERS], wv[SB_EMERGE_MAX_LAYERS],
        wo[SB_EMERGE_MAX_LAYERS], wg[SB_EMERGE_MAX_LAYERS], sink[SB_EMERGE_MAX_LAYERS], norm2[SB_EMERGE_MAX_LAYERS],
        w1[SB_EMERGE_MAX_LAYERS], w2[SB_EMERGE_MAX_LAYERS];
} layout;

static void get_layout(const sb_emerge_config *c, layout *o)
{
    memset(o, 0, sizeof *o);
    size_t n = sb_emerge_tensor_count(c);
    for (size_t i = 0; i < n; i++) {
        sb_emerge_tensor t;
        sb_emerge_tensor_at(c, i, &t);
        if (!strcmp(t.name, "embed"))
            o->embed = t.offset;
        else if (!strcmp(t.name, "final_norm"))
            o->fnorm = t.offset;
        else if (!strcmp(t.name, "unembed"))
            o->unembed = t.offset;
        else {
            size_t l = (size_t)strtoul(t.name + 1, NULL, 10);
            const char *w = strchr(t.name, '.') + 1;
            size_t *slot = !strcmp(w, "norm1") ? o->norm1 : !strcmp(w, "wq") ? o->wq : !strcmp(w, "wk") ? o->wk
                         : !strcmp(w, "wv") ? o->wv : !strcmp(w, "wo") ? o->wo : !strcmp(w, "wg") ? o->wg
                         : !strcmp(w, "sink") ? o->sink : !strcmp(w, "norm2") ? o->norm2 : !strcmp(w, "w1") ? o->w1
                         : o->w2;
            slot[l] = t.offset;
        }
    }
}

static inline real *at(const sb_emerge_acts *a, size_t off) { return (real *)a->mem + off; }

/* ---- elementwise pieces ---------------------------------------------------------------------------- */

#define RMS_EPS 1e-6

/* Activations and probabilities rounded to the storage format of a 16-bit study (binary32 pass only). */
static void store(const sb_emerge_exec *e, real *x, size_t n)
{
#if SB_EMERGE_IS_F32
    if (!e || e->storage == SB_EMERGE_STORE_NATIVE)
        return;
    for (size_t i = 0; i < n; i++)
        x[i] = e->storage == SB_EMERGE_STORE_BF16 ? sb_round_bf16(x[i]) : sb_round_f16(x[i]);
#else
    (void)e;
    (void)x;
    (void)n;
#endif
}

/* u = h / rms(h) * gain per row; r = 1 / rms(h). Sums in binary64, then rounded once. */
static void rmsnorm(const real *h, const real *gain, real *u, real *r, size_t rows, size_t d)
{
    for (size_t i = 0; i < rows; i++) {
        const real *x = h + i * d;
        double s = 0.0;
        for (size_t c = 0; c < d; c++)
            s += (double)x[c] * (double)x[c];
        real ri = (real)(1.0 / sqrt(s / (double)d + RMS_EPS));
        r[i] = ri;
        for (size_t c = 0; c < d; c++)
            u[i * d + c] = x[c] * ri * gain[c];
    }
}

/* dh += d/dh, dgain += d/dgain of u = (h r) * gain, given du. With n = h r:
 * dh = r (dn - n (n . dn) / d), dn = du * gain. */
static void rmsnorm_back(const real *h, const real *r, const real *gain, const real *du, real *dh, real *dgain,
                         size_t rows, size_t d)
{
    for (size_t i = 0; i < rows; i++) {
        const real *x = h + i * d, *g = du + i * d;
        real ri = r[i];
        double dot = 0.0;
        for (size_t c = 0; c < d; c++)
            dot += (double)(x[c] * ri) * (double)(g[c] * gain[c]);
        real m = (real)(dot / (double)d);
        for (size_t c = 0; c < d; c++) {
            real n = x[c] * ri;
            dgain[c] += g[c] * n;
            dh[i * d + c] += ri * (g[c] * gain[c] - n * m);
        }
    }
}

#if SB_EMERGE_IS_F32
static inline real rexp(real x) { return expf(x); }
#else
static inline real rexp(real x) { return exp(x); }
#endif
static inline real sigmoid(real z) { return 1 / (1 + rexp(-z)); }

/* Rotary positions on the pairs (2i, 2i+1) of every head: angle t * base^(-2i/d_head). dir = -1 rotates
 * back (the transpose, for the reverse pass). */
static void rope_table(const sb_emerge_config *c, real *tab, size_t T)
{
    size_t half = c->width / c->heads / 2;
    for (size_t t = 0; t < T; t++)
        for (size_t i = 0; i < half; i++) {
            double ang = (double)t * pow(c->rope_base, -2.0 * (double)i / (double)(2 * half));
            tab[t * half + i] = (real)cos(ang);
            tab[T * half + t * half + i] = (real)sin(ang);
        }
}

static void rope_apply(const sb_emerge_config *c, const real *tab, real *x, size_t B, size_t T, int dir)
{
    size_t d = c->width, H = c->heads, dh = d / H, half = dh / 2;
    for (size_t b = 0; b < B; b++)
        for (size_t t = 0; t < T; t++) {
            const real *cs = tab + t * half, *sn = tab + T * half + t * half;
            real *row = x + (b * T + t) * d;
            for (size_t h = 0; h < H; h++)
                for (size_t i = 0; i < half; i++) {
                    real x0 = row[h * dh + 2 * i], x1 = row[h * dh + 2 * i + 1];
                    real s = dir > 0 ? sn[i] : -sn[i];
                    row[h * dh + 2 * i] = x0 * cs[i] - x1 * s;
                    row[h * dh + 2 * i + 1] = x0 * s + x1 * cs[i];
                }
        }
}

/* ---- the softmax of one attention row ------------------------------------------------------------- */

#if !SB_EMERGE_IS_F32
/* The numerics contract (docs/numerics.md) in binary64: m = max(max_j x_j, sink); masked entries (-inf)
 * give exactly 0; a row with no finite entry gives all zeros, the mass going to the sink if any. */
static void softmax_row_f64(real *x, size_t n, int has_sink, real sink)
{
    real m = has_sink ? sink : -INFINITY;
    for (size_t j = 0; j < n; j++)
        if (x[j] > m)
            m = x[j];
    if (m == -INFINITY) {
        for (size_t j = 0; j < n; j++)
            x[j] = 0;
        return;
    }
    real z = has_sink ? exp(sink - m) : 0;
    for (size_t j = 0; j < n; j++) {
        x[j] = x[j] == -INFINITY ? 0 : exp(x[j] - m);
        z += x[j];
    }
    for (size_t j = 0; j < n; j++)
        x[j] /= z;
}
#endif

/* Scores s_j -> probabilities in place, through the library's contract; returns the sink's share
 * (0 without a logit sink). smax, jmax: the largest finite score and where (jmax = n when none). */
static sb_status softmax_row(const sb_emerge_exec *e, real *row, size_t n, int has_sink, real sink, real smax,
                             size_t jmax, real *psink)
{
#if SB_EMERGE_IS_F32
    sb_softmax_params p = {has_sink ? SB_SINK_LOGIT : SB_SINK_NONE, has_sink ? sink : 0.0f};
    sb_softmax_fn fn = e && e->softmax ? e->softmax : sb_softmax_f32;
    sb_status st = fn(row, row, n, &p);
    if (st != SB_OK)
        return st;
#else
    if (e && e->softmax) {
        /* binary64 model, binary32 softmax: the kernel's own rounding, isolated ("f64+kernel") */
        float buf[SB_EMERGE_MAX_CONTEXT];
        for (size_t j = 0; j < n; j++)
            buf[j] = (float)row[j];
        sb_softmax_params p = {has_sink ? SB_SINK_LOGIT : SB_SINK_NONE, has_sink ? (float)sink : 0.0f};
        sb_status st = e->softmax(buf, buf, n, &p);
        if (st != SB_OK)
            return st;
        for (size_t j = 0; j < n; j++)
            row[j] = buf[j];
    } else {
        softmax_row_f64(row, n, has_sink, sink);
    }
#endif
    if (!has_sink) {
        *psink = 0;
    } else if (jmax >= n || sink >= smax) {
        /* the sink is the largest logit: its share is large and 1 - sum is accurate */
        double s = 0.0;
        for (size_t j = 0; j < n; j++)
            s += (double)row[j];
        *psink = (real)(1.0 - s);
    } else {
        /* p_sink / p_jmax = exp(sink - s_jmax) exactly: accurate however small the sink's share */
        *psink = (real)((double)row[jmax] * exp((double)sink - (double)smax));
    }
    return SB_OK;
}

static inline real dot(const real *a, const real *b, size_t n)
{
    real s = 0;
    for (size_t i = 0; i < n; i++)
        s += a[i] * b[i];
    return s;
}

/* ---- one attention head of one sequence ---------------------------------------------------------- */

/* Column block hh (dh wide) of sequence b's T rows of a [B*T, d] matrix, copied to / from [T, dh]. */
static void gather(const real *src, real *dst, size_t b, size_t hh, size_t T, size_t d, size_t dh)
{
    for (size_t t = 0; t < T; t++)
        memcpy(dst + t * dh, src + (b * T + t) * d + hh * dh, dh * sizeof *dst);
}

static void scatter(const real *src, real *dst, size_t b, size_t hh, size_t T, size_t d, size_t dh)
{
    for (size_t t = 0; t < T; t++)
        memcpy(dst + (b * T + t) * d + hh * dh, src + t * dh, dh * sizeof *dst);
}

/* Scores, row softmax through the contract, and the weighted values of one head: P [T,T] (zero above the
 * diagonal), ps [T] the logit sink's share per query, the output into att. The products run over the
 * full square (twice the causal work) because a vectorised or BLAS product of the square is faster than
 * scalar loops over the triangle at these sizes. */
static sb_status attend(const sb_emerge_config *c, const sb_emerge_exec *e, sb_emerge_acts *a, const real *q,
                        const real *k, const real *v, real *P, real *ps, real *att, size_t b, size_t hh, size_t T,
                        int sinked, real sink)
{
    size_t d = c->width, dh = d / c->heads;
    const unsigned char *mask = e ? e->key_mask : NULL;
    sb_emerge_matmul how = e ? e->matmul : SB_EMERGE_MATMUL_OWN;
    real scale = (real)(1.0 / sqrt((double)dh));
    real *Qh = at(a, a->head), *Kh = Qh + T * dh, *Vh = Kh + T * dh, *Ah = Vh + T * dh, *wt = at(a, a->wt);
    gather(q, Qh, b, hh, T, d, dh);
    gather(k, Kh, b, hh, T, d, dh);
    gather(v, Vh, b, hh, T, d, dh);
    if (mask) /* a masked key adds nothing, even if its value is not finite */
        for (size_t j = 0; j < T; j++)
            if (mask[j])
                memset(Vh + j * dh, 0, dh * sizeof *Vh);
    FN(sb_emerge_matmul)(how, 0, 1, T, T, dh, Qh, Kh, 0, P, wt);
    for (size_t t = 0; t < T; t++) {
        real *row = P + t * T, smax = -INFINITY;
        size_t jmax = t + 1;
        for (size_t j = 0; j <= t; j++) {
            if (mask && mask[j]) {
                row[j] = -INFINITY;
                continue;
            }
            row[j] *= scale;
            if (jmax > t || row[j] > smax) {
                smax = row[j];
                jmax = j;
            }
        }
        sb_status st = softmax_row(e, row, t + 1, sinked, sink, smax, jmax, &ps[t]);
        if (st != SB_OK)
            return st;
        for (size_t j = t + 1; j < T; j++)
            row[j] = 0;
        store(e, row, t + 1);
    }
    FN(sb_emerge_matmul)(how, 0, 0, T, dh, T, P, Vh, 0, Ah, wt);
    scatter(Ah, att, b, hh, T, d, dh);
    return SB_OK;
}

/* Reverse pass of one head: dq, dk, dv (their column block) from da; returns d(loss)/d(sink logit).
 * dP = dA V^T, dV = P^T dA, dS = P (dP - rowsum(P dP)) scale, dQ = dS K, dK = dS^T Q; a logit sink
 * with share p_s gets -p_s rowsum(P dP) from every row. */
static double attend_back(const sb_emerge_config *c, const sb_emerge_exec *e, sb_emerge_acts *a, const real *q,
                          const real *k, const real *v, const real *P, const real *ps, const real *da, real *dq,
                          real *dk, real *dv, size_t b, size_t hh, size_t T)
{
    size_t d = c->width, dh = d / c->heads;
    const unsigned char *mask = e ? e->key_mask : NULL;
    sb_emerge_matmul how = e ? e->matmul : SB_EMERGE_MATMUL_OWN;
    real scale = (real)(1.0 / sqrt((double)dh));
    real *Qh = at(a, a->head), *Kh = Qh + T * dh, *Vh = Kh + T * dh, *dAh = Vh + T * dh, *dQh = dAh + T * dh,
         *dKh = dQh + T * dh, *dVh = dKh + T * dh, *dP = dVh + T * dh, *wt = at(a, a->wt);
    gather(q, Qh, b, hh, T, d, dh);
    gather(k, Kh, b, hh, T, d, dh);
    gather(v, Vh, b, hh, T, d, dh);
    gather(da, dAh, b, hh, T, d, dh);
    if (mask)
        for (size_t j = 0; j < T; j++)
            if (mask[j])
                memset(Vh + j * dh, 0, dh * sizeof *Vh);
    FN(sb_emerge_matmul)(how, 0, 1, T, T, dh, dAh, Vh, 0, dP, wt);
    FN(sb_emerge_matmul)(how, 1, 0, T, dh, T, P, dAh, 0, dVh, wt);
    double dsink = 0.0;
    for (size_t t = 0; t < T; t++) {
        const real *row = P + t * T;
        real *g = dP + t * T;
        double cdot = 0.0;
        for (size_t j = 0; j <= t; j++)
            cdot += (double)row[j] * (double)g[j];
        dsink -= (double)ps[t] * cdot;
        real cd = (real)cdot;
        for (size_t j = 0; j <= t; j++)
            g[j] = row[j] * (g[j] - cd) * scale;
        for (size_t j = t + 1; j < T; j++)
            g[j] = 0;
    }
    FN(sb_emerge_matmul)(how, 0, 0, T, dh, T, dP, Kh, 0, dQh, wt);
    FN(sb_emerge_matmul)(how, 1, 0, T, dh, T, dP, Qh, 0, dKh, wt);
    scatter(dQh, dq, b, hh, T, d, dh);
    scatter(dKh, dk, b, hh, T, d, dh);
    scatter(dVh, dv, b, hh, T, d, dh);
    return dsink;
}

/* ---- forward -------------------------------------------------------------------------------------- */

static int has_logit_sink(const sb_emerge_config *c, const sb_emerge_exec *e)
{
    return (c->sink == SB_EMERGE_SINK_LEARNED || c->sink == SB_EMERGE_SINK_SOFTMAX1) && !(e && e->sink_off);
}

sb_status FN(sb_emerge_forward)(const sb_emerge_config *c, const real *params, const sb_emerge_exec *e,
                                sb_emerge_acts *a, const uint32_t *ids, size_t B, size_t T, const int32_t *targets,
                                sb_emerge_loss *loss)
{
    if (!c || !params || !a || !ids || sb_emerge_config_problem(c) || a->elem != sizeof(real) || B < 1 ||
        B > a->B || T < 1 || T > a->T || a->L != c->layers)
        return SB_EINVAL;
    /* The activation layout is for a->T tokens per sequence: shorter inputs use it as if T were a->T. */
    if (T != a->T)
        return SB_EINVAL;
    for (size_t i = 0; i < B * T; i++)
        if (ids[i] >= SB_EMERGE_VOCAB)
            return SB_EINVAL;
    layout lo;
    get_layout(c, &lo);
    sb_emerge_matmul how = e ? e->matmul : SB_EMERGE_MATMUL_OWN;
    size_t L = c->layers, d = c->width, H = c->heads, F = c->hidden, V = SB_EMERGE_VOCAB, BT = B * T;
    real *wt = at(a, a->wt), *tab = at(a, a->rope);
    rope_table(c, tab, T);

    real *x = at(a, a->x);
    for (size_t i = 0; i < BT; i++)
        memcpy(x + i * d, params + lo.embed + (size_t)ids[i] * d, d * sizeof *x);
    store(e, x, BT * d);
    memcpy(at(a, a->h[0]), x, BT * d * sizeof *x);

    for (size_t l = 0; l < L; l++) {
        real *h = at(a, a->h[l]), *u1 = at(a, a->u1[l]), *q = at(a, a->q[l]), *k = at(a, a->k[l]),
             *v = at(a, a->v[l]), *P = at(a, a->p[l]), *ps = at(a, a->ps[l]), *att = at(a, a->a[l]);
        rmsnorm(h, params + lo.norm1[l], u1, at(a, a->r1[l]), BT, d);
        store(e, u1, BT * d);
        FN(sb_emerge_matmul)(how, 0, 0, BT, d, d, u1, params + lo.wq[l], 0, q, wt);
        FN(sb_emerge_matmul)(how, 0, 0, BT, d, d, u1, params + lo.wk[l], 0, k, wt);
        FN(sb_emerge_matmul)(how, 0, 0, BT, d, d, u1, params + lo.wv[l], 0, v, wt);
        rope_apply(c, tab, q, B, T, +1);
        rope_apply(c, tab, k, B, T, +1);
        store(e, q, BT * d);
        store(e, k, BT * d);
        store(e, v, BT * d);
        int sinked = has_logit_sink(c, e);
        for (size_t b = 0; b < B; b++)
            for (size_t hh = 0; hh < H; hh++) {
                real sink = c->sink == SB_EMERGE_SINK_LEARNED ? params[lo.sink[l] + hh] : 0;
                sb_status st = attend(c, e, a, q, k, v, P + (b * H + hh) * T * T, ps + (b * H + hh) * T, att, b, hh,
                                      T, sinked, sink);
                if (st != SB_OK)
                    return st;
            }
        store(e, att, BT * d);
        real *ag = at(a, a->ag[l]);
        if (c->sink == SB_EMERGE_SINK_GATE) {
            real *g = at(a, a->g[l]);
            if (e && e->sink_off) {
                for (size_t i = 0; i < BT * d; i++)
                    g[i] = 1;
            } else {
                FN(sb_emerge_matmul)(how, 0, 0, BT, d, d, u1, params + lo.wg[l], 0, g, wt);
                for (size_t i = 0; i < BT * d; i++)
                    g[i] = sigmoid(g[i]);
            }
            for (size_t i = 0; i < BT * d; i++)
                ag[i] = att[i] * g[i];
            store(e, ag, BT * d);
        }
        real *hm = at(a, a->hm[l]);
        memcpy(hm, h, BT * d * sizeof *hm);
        FN(sb_emerge_matmul)(how, 0, 0, BT, d, d, ag, params + lo.wo[l], 1, hm, wt);
        store(e, hm, BT * d);
        real *u2 = at(a, a->u2[l]), *z = at(a, a->z[l]), *s = at(a, a->s[l]), *hn = at(a, a->h[l + 1]);
        rmsnorm(hm, params + lo.norm2[l], u2, at(a, a->r2[l]), BT, d);
        store(e, u2, BT * d);
        FN(sb_emerge_matmul)(how, 0, 0, BT, F, d, u2, params + lo.w1[l], 0, z, wt);
        for (size_t i = 0; i < BT * F; i++)
            s[i] = z[i] * sigmoid(z[i]);
        store(e, s, BT * F);
        memcpy(hn, hm, BT * d * sizeof *hn);
        FN(sb_emerge_matmul)(how, 0, 0, BT, d, F, s, params + lo.w2[l], 1, hn, wt);
        store(e, hn, BT * d);
    }
    real *uf = at(a, a->uf), *logits = at(a, a->logits);
    rmsnorm(at(a, a->h[L]), params + lo.fnorm, uf, at(a, a->rf), BT, d);
    if (!targets)
        return SB_OK;
    FN(sb_emerge_matmul)(how, 0, 0, BT, V, d, uf, params + lo.unembed, 0, logits, wt);
    double sum = 0.0;
    size_t count = 0;
    for (size_t i = 0; i < BT; i++) {
        if (loss && loss->nll)
            loss->nll[i] = 0.0;
        if (targets[i] < 0)
            continue;
        if ((uint32_t)targets[i] >= V)
            return SB_EINVAL;
        /* log-softmax over the vocabulary; the row is replaced by the probabilities the reverse pass uses */
        real *z = logits + i * V, m = -INFINITY;
        for (size_t j = 0; j < V; j++)
            if (z[j] > m)
                m = z[j];
        real zt = z[targets[i]];
        double se = 0.0;
        for (size_t j = 0; j < V; j++)
            se += (double)(z[j] = rexp(z[j] - m));
        real inv = (real)(1.0 / se);
        for (size_t j = 0; j < V; j++)
            z[j] *= inv;
        double nll = log(se) - (double)(zt - m);
        if (loss && loss->nll)
            loss->nll[i] = nll;
        sum += nll;
        count++;
    }
    if (loss) {
        loss->sum = sum;
        loss->count = count;
    }
    return SB_OK;
}

/* ---- reverse pass --------------------------------------------------------------------------------- */

sb_status FN(sb_emerge_backward)(const sb_emerge_config *c, const real *params, const sb_emerge_exec *e,
                                 sb_emerge_acts *a, const uint32_t *ids, size_t B, size_t T, const int32_t *targets,
                                 double scale_loss, const real *dout, real *grad)
{
    if (!c || !params || !a || !ids || !grad || (!targets && !dout) || a->elem != sizeof(real) || B < 1 ||
        B > a->B || T != a->T || a->L != c->layers)
        return SB_EINVAL;
    layout lo;
    get_layout(c, &lo);
    sb_emerge_matmul how = e ? e->matmul : SB_EMERGE_MATMUL_OWN;
    size_t L = c->layers, d = c->width, H = c->heads, F = c->hidden, V = SB_EMERGE_VOCAB, BT = B * T;
    real *wt = at(a, a->wt), *tab = at(a, a->rope);
    real *dh_ = at(a, a->dh), *dhm = at(a, a->dhm), *du = at(a, a->du), *dq = at(a, a->dq), *dk = at(a, a->dk),
         *dv = at(a, a->dv), *da = at(a, a->da), *dz = at(a, a->dz), *ds = at(a, a->ds);

    if (targets) {
        /* cross-entropy: dlogits = scale (softmax - onehot) on positions with a target */
        real *logits = at(a, a->logits), *dl = at(a, a->dlogits);
        for (size_t i = 0; i < BT; i++) {
            real *g = dl + i * V;
            if (targets[i] < 0) {
                memset(g, 0, V * sizeof *g);
                continue;
            }
            const real *p = logits + i * V; /* probabilities, left there by the forward pass */
            real sc = (real)scale_loss;
            for (size_t j = 0; j < V; j++)
                g[j] = sc * p[j];
            g[targets[i]] -= (real)scale_loss;
        }
        real *uf = at(a, a->uf);
        FN(sb_emerge_matmul)(how, 1, 0, d, V, BT, uf, dl, 1, grad + lo.unembed, wt);
        FN(sb_emerge_matmul)(how, 0, 1, BT, d, V, dl, params + lo.unembed, 0, du, wt);
        memset(dh_, 0, BT * d * sizeof *dh_);
        rmsnorm_back(at(a, a->h[L]), at(a, a->rf), params + lo.fnorm, du, dh_, grad + lo.fnorm, BT, d);
    } else {
        memcpy(dh_, dout, BT * d * sizeof *dh_);
    }
    if (dout && targets)
        for (size_t i = 0; i < BT * d; i++)
            dh_[i] += dout[i];

    for (size_t l = L; l-- > 0;) {
        /* MLP: h_{l+1} = hm + silu(u2 W1) W2 */
        real *hm = at(a, a->hm[l]), *u2 = at(a, a->u2[l]), *z = at(a, a->z[l]), *s = at(a, a->s[l]);
        memcpy(dhm, dh_, BT * d * sizeof *dhm);
        FN(sb_emerge_matmul)(how, 0, 1, BT, F, d, dh_, params + lo.w2[l], 0, ds, wt);
        FN(sb_emerge_matmul)(how, 1, 0, F, d, BT, s, dh_, 1, grad + lo.w2[l], wt);
        for (size_t i = 0; i < BT * F; i++) {
            real sg = sigmoid(z[i]);
            dz[i] = ds[i] * sg * (1 + z[i] * (1 - sg));
        }
        FN(sb_emerge_matmul)(how, 1, 0, d, F, BT, u2, dz, 1, grad + lo.w1[l], wt);
        FN(sb_emerge_matmul)(how, 0, 1, BT, d, F, dz, params + lo.w1[l], 0, du, wt);
        rmsnorm_back(hm, at(a, a->r2[l]), params + lo.norm2[l], du, dhm, grad + lo.norm2[l], BT, d);

        /* attention: hm = h + (a * g) Wo */
        real *h = at(a, a->h[l]), *u1 = at(a, a->u1[l]), *q = at(a, a->q[l]), *k = at(a, a->k[l]),
             *v = at(a, a->v[l]), *P = at(a, a->p[l]), *ps = at(a, a->ps[l]), *att = at(a, a->a[l]),
             *ag = at(a, a->ag[l]);
        memcpy(dh_, dhm, BT * d * sizeof *dh_);
        FN(sb_emerge_matmul)(how, 0, 1, BT, d, d, dhm, params + lo.wo[l], 0, da, wt);
        FN(sb_emerge_matmul)(how, 1, 0, d, d, BT, ag, dhm, 1, grad + lo.wo[l], wt);
        real du_beta = 0;
        if (c->sink == SB_EMERGE_SINK_GATE) {
            real *g = at(a, a->g[l]);
            for (size_t i = 0; i < BT * d; i++) {
                dq[i] = da[i] * att[i] * g[i] * (1 - g[i]); /* d/d(u1 Wg) of a * sigmoid(u1 Wg) */
                da[i] *= g[i];
            }
            if (!(e && e->sink_off)) {
                FN(sb_emerge_matmul)(how, 1, 0, d, d, BT, u1, dq, 1, grad + lo.wg[l], wt);
                FN(sb_emerge_matmul)(how, 0, 1, BT, d, d, dq, params + lo.wg[l], 0, du, wt);
                du_beta = 1;
            }
        }
        memset(dq, 0, BT * d * sizeof *dq);
        memset(dk, 0, BT * d * sizeof *dk);
        memset(dv, 0, BT * d * sizeof *dv);
        int learned = c->sink == SB_EMERGE_SINK_LEARNED && !(e && e->sink_off);
        for (size_t b = 0; b < B; b++)
            for (size_t hh = 0; hh < H; hh++) {
                double dsink = attend_back(c, e, a, q, k, v, P + (b * H + hh) * T * T, ps + (b * H + hh) * T, da,
                                           dq, dk, dv, b, hh, T);
                if (learned)
                    grad[lo.sink[l] + hh] += (real)dsink;
            }
        rope_apply(c, tab, dq, B, T, -1);
        rope_apply(c, tab, dk, B, T, -1);
        FN(sb_emerge_matmul)(how, 1, 0, d, d, BT, u1, dq, 1, grad + lo.wq[l], wt);
        FN(sb_emerge_matmul)(how, 1, 0, d, d, BT, u1, dk, 1, grad + lo.wk[l], wt);
        FN(sb_emerge_matmul)(how, 1, 0, d, d, BT, u1, dv, 1, grad + lo.wv[l], wt);
        FN(sb_emerge_matmul)(how, 0, 1, BT, d, d, dq, params + lo.wq[l], du_beta, du, wt);
        FN(sb_emerge_matmul)(how, 0, 1, BT, d, d, dk, params + lo.wk[l], 1, du, wt);
        FN(sb_emerge_matmul)(how, 0, 1, BT, d, d, dv, params + lo.wv[l], 1, du, wt);
        rmsnorm_back(h, at(a, a->r1[l]), params + lo.norm1[l], du, dh_, grad + lo.norm1[l], BT, d);
    }
    memcpy(at(a, a->dx), dh_, BT * d * sizeof *dh_);
    for (size_t i = 0; i < BT; i++) {
        real *ge = grad + lo.embed + (size_t)ids[i] * d;
        for (size_t c2 = 0; c2 < d; c2++)
            ge[c2] += dh_[i * d + c2];
    }
    return SB_OK;
}
