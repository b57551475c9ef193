/* The trainer's reverse pass against central finite differences, in binary64 (the same source as the
 * binary32 trainer, compiled with real = double): every parameter tensor of every sink variant, with
 * and without a masked key (position 0 removed, so query row 0 is fully masked), through the loss and
 * through a vector-Jacobian product of the last hidden state. Then the binary32 build and the BLAS
 * path against binary64, and the check's own power: a gradient off by 0.1 % must fail it.
 *
 * Why binary64 and h = 1e-5: the truncation error of a central difference is ~h^2 |f'''| ~ 1e-10 and
 * the cancellation error ~ 1e-16 |f| / h ~ 1e-11 (|f| ~ 5 nats), so a tolerance of 1e-7 + 1e-6 |g|
 * leaves three orders of margin while a wrong or missing term shows as 1e-3 .. 1. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "emerge_model.h"
#include "testkit.h"

#define B 2
#define T 6

static double loss_f64(const sb_emerge_config *c, const double *p, const sb_emerge_exec *e, sb_emerge_acts *a,
                       const uint32_t *ids, const int32_t *tg, const double *dout)
{
    sb_emerge_loss l = {0, 0, NULL};
    sb_status st = sb_emerge_forward_f64(c, p, e, a, ids, B, T, dout ? NULL : tg, &l);
    if (st != SB_OK)
        return NAN;
    if (!dout)
        return l.sum / (double)l.count;
    double s = 0.0;
    const double *h = (const double *)a->mem + a->h[c->layers];
    for (size_t i = 0; i < B * T * c->width; i++)
        s += dout[i] * h[i];
    return s;
}

/* Random weights around the initialisation (gains and sink logits moved off their start values, so
 * that no gradient is zero by symmetry). */
static double *random_params(const sb_emerge_config *c, uint64_t seed)
{
    sb_emerge_model m;
    if (sb_emerge_model_init(&m, c, seed) != SB_OK)
        return NULL;
    double *p = malloc(m.n_params * sizeof *p);
    sb_emerge_rng r = {seed ^ 0xabcdef};
    for (size_t i = 0; i < m.n_params; i++)
        p[i] = (double)m.params[i] + 0.2 * sb_emerge_rng_normal(&r);
    sb_emerge_model_free(&m);
    return p;
}

static size_t max_checked = 0;

/* Checks up to `per_tensor` entries of every tensor (all of them for small tensors; for the embedding
 * the rows of the tokens used, and a row never used, whose gradient must be exactly 0). Returns the
 * worst |fd - g| / (1e-7 + 1e-6 |g|) ratio; > 1 is a failure. */
static double check_all(const sb_emerge_config *c, double *p, const double *grad, const sb_emerge_exec *e,
                        sb_emerge_acts *a, const uint32_t *ids, const int32_t *tg, const double *dout, uint64_t seed,
                        size_t per_tensor, const char *label, int expect_fail)
{
    sb_emerge_rng r = {seed};
    size_t nt = sb_emerge_tensor_count(c);
    double worst = 0.0;
    const double h = 1e-5;
    for (size_t ti = 0; ti < nt; ti++) {
        sb_emerge_tensor t;
        sb_emerge_tensor_at(c, ti, &t);
        size_t n = t.rows * t.cols, count = n < per_tensor ? n : per_tensor;
        double tensor_worst = 0.0;
        for (size_t s = 0; s < count; s++) {
            size_t idx = n <= per_tensor ? s : (size_t)(sb_emerge_rng_next(&r) % n);
            if (!strcmp(t.name, "embed")) { /* rows of used tokens, the rest a never-used row */
                size_t row = s + 1 < count ? ids[sb_emerge_rng_next(&r) % (B * T)] : 255;
                for (size_t i = 0; i < B * T; i++)
                    if (row == 255 && ids[i] == 255)
                        row = 254;
                idx = row * t.cols + (size_t)(sb_emerge_rng_next(&r) % t.cols);
            }
            size_t at = t.offset + idx;
            double keep = p[at];
            p[at] = keep + h;
            double up = loss_f64(c, p, e, a, ids, tg, dout);
            p[at] = keep - h;
            double down = loss_f64(c, p, e, a, ids, tg, dout);
            p[at] = keep;
            double fd = (up - down) / (2 * h), g = grad[at];
            double ratio = fabs(fd - g) / (1e-7 + 1e-6 * fabs(g));
            if (!(ratio <= 1.0) && !expect_fail)
                TK_CHECK(0, "%s: %s[%zu]: finite difference %.12g, gradient %.12g", label, t.name, idx, fd, g);
            if (!(ratio <= tensor_worst))
                tensor_worst = ratio;
            max_checked++;
        }
        if (!(tensor_worst <= worst))
            worst = tensor_worst;
    }
    return worst;
}

static void grad_f64(const sb_emerge_config *c, const double *p, const sb_emerge_exec *e, sb_emerge_acts *a,
                     const uint32_t *ids, const int32_t *tg, const double *dout, double *grad, size_t np)
{
    memset(grad, 0, np * sizeof *grad);
    sb_emerge_loss l = {0, 0, NULL};
    sb_status st = sb_emerge_forward_f64(c, p, e, a, ids, B, T, dout ? NULL : tg, &l);
    TK_CHECK(st == SB_OK, "forward: %s", sb_status_str(st));
    st = sb_emerge_backward_f64(c, p, e, a, ids, B, T, dout ? NULL : tg, dout ? 1.0 : 1.0 / (double)l.count, dout,
                                grad);
    TK_CHECK(st == SB_OK, "backward: %s", sb_status_str(st));
}

static void make_batch(uint64_t seed, sb_emerge_sink sink, uint32_t *ids, int32_t *tg)
{
    sb_emerge_rng r = {seed};
    for (size_t b = 0; b < B; b++)
        for (size_t t = 0; t < T; t++) {
            uint32_t tok = (uint32_t)(sb_emerge_rng_next(&r) % 40) + 'a';
            if (t == 0 && sink == SB_EMERGE_SINK_BOS)
                tok = SB_EMERGE_BOS;
            ids[b * T + t] = tok;
        }
    for (size_t b = 0; b < B; b++)
        for (size_t t = 0; t < T; t++)
            tg[b * T + t] = t + 1 < T ? (int32_t)ids[b * T + t + 1] : -1;
}

static void test_variant(sb_emerge_sink sink, uint64_t seed)
{
    sb_emerge_config c;
    sb_emerge_config_default(&c);
    c.layers = 2;
    c.heads = 2;
    c.width = 8;
    c.hidden = 12;
    c.context = T;
    c.sink = sink;
    size_t np = sb_emerge_param_count(&c);
    double *p = random_params(&c, seed), *grad = malloc(np * sizeof *grad), *dout = malloc(B * T * 8 * sizeof *dout);
    sb_emerge_acts a;
    TK_CHECK(p && grad && dout && sb_emerge_acts_alloc(&a, &c, B, T, sizeof(double)) == SB_OK, "allocation");
    uint32_t ids[B * T];
    int32_t tg[B * T];
    make_batch(seed + 1, sink, ids, tg);
    unsigned char mask[T] = {1, 0, 0, 0, 0, 0};
    sb_emerge_rng r = {seed + 2};
    for (size_t i = 0; i < B * T * 8; i++)
        dout[i] = sb_emerge_rng_normal(&r);
    for (int masked = 0; masked <= 1; masked++) {
        sb_emerge_exec e = {masked ? mask : NULL, 0, NULL, SB_EMERGE_STORE_NATIVE, SB_EMERGE_MATMUL_OWN};
        char label[96];
        snprintf(label, sizeof label, "%s%s, loss", sb_emerge_sink_name(sink), masked ? " (key 0 masked)" : "");
        grad_f64(&c, p, &e, &a, ids, tg, NULL, grad, np);
        double w = check_all(&c, p, grad, &e, &a, ids, tg, NULL, seed + 3, 40, label, 0);
        printf("  %-34s worst |fd - g| / (1e-7 + 1e-6 |g|) = %.3g\n", label, w);
        snprintf(label, sizeof label, "%s%s, VJP", sb_emerge_sink_name(sink), masked ? " (key 0 masked)" : "");
        grad_f64(&c, p, &e, &a, ids, tg, dout, grad, np);
        w = check_all(&c, p, grad, &e, &a, ids, tg, dout, seed + 4, 12, label, 0);
        printf("  %-34s worst ratio = %.3g\n", label, w);
        if (masked) { /* a fully masked row: query 0's head output is exactly zero */
            const double *att = (const double *)a.mem + a.a[0];
            double s = 0;
            for (size_t i = 0; i < 8; i++)
                s += fabs(att[i]);
            TK_CHECK(s == 0.0, "%s: fully masked row 0 gives a non-zero head output %g", label, s);
        }
    }
    /* The check has teeth: the same gradient off by 0.1 % fails it somewhere. */
    if (sink == SB_EMERGE_SINK_LEARNED) {
        sb_emerge_exec e = {NULL, 0, NULL, SB_EMERGE_STORE_NATIVE, SB_EMERGE_MATMUL_OWN};
        grad_f64(&c, p, &e, &a, ids, tg, NULL, grad, np);
        for (size_t i = 0; i < np; i++)
            grad[i] *= 1.001;
        double w = check_all(&c, p, grad, &e, &a, ids, tg, NULL, seed + 3, 40, "gradient x 1.001", 1);
        printf("  a gradient off by 0.1 %%: worst ratio %.3g (must exceed 1)\n", w);
        TK_CHECK(w > 1.0, "a gradient off by 0.1 %% passed the check (worst ratio %g)", w);
    }
    sb_emerge_acts_free(&a);
    free(p);
    free(grad);
    free(dout);
}

/* binary32 (own loops and BLAS) and binary64 BLAS against the binary64 own-loop gradient. */
static void test_precisions(uint64_t seed)
{
    for (int s = 0; s < SB_EMERGE_SINK_COUNT; s++) {
        sb_emerge_config c;
        sb_emerge_config_default(&c);
        c.layers = 2;
        c.heads = 2;
        c.width = 16;
        c.hidden = 32;
        c.context = T;
        c.sink = (sb_emerge_sink)s;
        size_t np = sb_emerge_param_count(&c);
        double *p = random_params(&c, seed + 10 + (uint64_t)s), *g64 = calloc(np, sizeof *g64),
               *gb = calloc(np, sizeof *gb);
        float *p32 = malloc(np * sizeof *p32), *g32 = calloc(np, sizeof *g32);
        sb_emerge_acts a64, a32;
        TK_CHECK(p && g64 && gb && p32 && g32 && sb_emerge_acts_alloc(&a64, &c, B, T, 8) == SB_OK &&
                     sb_emerge_acts_alloc(&a32, &c, B, T, 4) == SB_OK,
                 "allocation");
        for (size_t i = 0; i < np; i++) {
            p32[i] = (float)p[i];
            p[i] = (double)p32[i]; /* the same weights in both builds */
        }
        uint32_t ids[B * T];
        int32_t tg[B * T];
        make_batch(seed + 20 + (uint64_t)s, (sb_emerge_sink)s, ids, tg);
        unsigned char mask[T] = {1, 0, 0, 0, 0, 0};
        for (int masked = 0; masked <= 1; masked++) {
            sb_emerge_exec e = {masked ? mask : NULL, 0, NULL, SB_EMERGE_STORE_NATIVE, SB_EMERGE_MATMUL_OWN};
            grad_f64(&c, p, &e, &a64, ids, tg, NULL, g64, np);
            double gmax = 0;
            for (size_t i = 0; i < np; i++) /* comparisons, not fmax: GCC 12 for aarch64 crashes vectorising it */
                if (fabs(g64[i]) > gmax)
                    gmax = fabs(g64[i]);
            for (int how = 0; how <= sb_emerge_have_blas(); how++) {
                e.matmul = (sb_emerge_matmul)how;
                sb_emerge_loss l = {0, 0, NULL};
                memset(g32, 0, np * sizeof *g32);
                TK_CHECK(sb_emerge_forward_f32(&c, p32, &e, &a32, ids, B, T, tg, &l) == SB_OK &&
                             sb_emerge_backward_f32(&c, p32, &e, &a32, ids, B, T, tg, 1.0 / (double)l.count, NULL,
                                                    g32) == SB_OK,
                         "binary32 pass");
                double worst = 0;
                for (size_t i = 0; i < np; i++)
                    if (fabs((double)g32[i] - g64[i]) / gmax > worst)
                        worst = fabs((double)g32[i] - g64[i]) / gmax;
                printf("  %-8s %s%s binary32 %s vs binary64: max |diff| / max |g| = %.3g\n", sb_emerge_sink_name(c.sink),
                       masked ? "(key 0 masked) " : "", "", how ? "BLAS" : "own loops", worst);
                TK_CHECK(worst < 1e-4, "%s: binary32 gradient (%s) differs from binary64 by %g of the largest",
                         sb_emerge_sink_name(c.sink), how ? "BLAS" : "own", worst);
                if (how) {
                    memset(gb, 0, np * sizeof *gb);
                    grad_f64(&c, p, &e, &a64, ids, tg, NULL, gb, np);
                    double w64 = 0;
                    for (size_t i = 0; i < np; i++)
                        if (fabs(gb[i] - g64[i]) / gmax > w64)
                            w64 = fabs(gb[i] - g64[i]) / gmax;
                    TK_CHECK(w64 < 1e-12, "binary64 BLAS vs own loops: %g", w64);
                    e.matmul = SB_EMERGE_MATMUL_OWN;
                }
            }
        }
        sb_emerge_acts_free(&a64);
        sb_emerge_acts_free(&a32);
        free(p);
        free(g64);
        free(gb);
        free(p32);
        free(g32);
    }
}

int main(void)
{
    uint64_t seed = tk_init("test_emerge_grad", 20261204);
    for (int s = 0; s < SB_EMERGE_SINK_COUNT; s++) {
        printf("%s:\n", sb_emerge_sink_name((sb_emerge_sink)s));
        test_variant((sb_emerge_sink)s, seed + 100 * (uint64_t)s);
    }
    test_precisions(seed);
    printf("finite differences taken: %zu\n", max_checked);
    return tk_finish("test_emerge_grad");
}
