/* The published trends on small stacks, asserted on measured quantities with fixed seeds
 * (docs/perturbation.md): a sink slows over-mixing and keeps drift local; without one, mixing grows with
 * depth and context; sensitivity moves to the first token with depth; the sink metric separates the
 * modes. Sizes are small enough for qemu and sanitizers. The bounds hold at the default seed with
 * margin; replayed with SINKBENCH_SEED=1..60, 58 seeds pass (seed 41: token 0's share at L = 1 is
 * already high; seed 56: drift grows only 1.07x with depth) — these are trends, not identities. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check/rng.h"
#include "sinkbench/sinkbench.h"
#include "studies/stack/stack.h"
#include "testkit.h"

typedef struct drift {
    double last_first, last_final; /* last-token drift after layer 1 and after the last layer */
    double nonlocal;               /* share of the final drift off the perturbed token */
    double residual0, residualL;   /* rank-collapse residual of tokens 1..n-1 at layers 0 and L */
} drift;

static sb_stack_config small(sb_stack_sink sink, size_t layers)
{
    sb_stack_config c;
    sb_stack_config_default(&c);
    c.layers = layers;
    c.width = 16;
    c.heads = 2;
    c.sink = sink;
    c.seed = tk_seed;
    return c;
}

static void sequence(uint64_t seq, const sb_stack_config *c, size_t n, uint32_t *ids)
{
    sb_rng r;
    sb_rng_seed(&r, tk_seed * 31 + seq);
    for (size_t t = 0; t < n; t++)
        ids[t] = 1 + (uint32_t)sb_rng_below(&r, c->vocab - 1);
    if (c->sink != SB_STACK_SINK_NO_BOS)
        ids[0] = SB_STACK_BOS_ID;
}

static double dist(const double *a, const double *b, size_t k)
{
    double s = 0;
    for (size_t i = 0; i < k; i++)
        s += (a[i] - b[i]) * (a[i] - b[i]);
    return sqrt(s);
}

/* Token j swapped for another; means over `seqs` sequences. */
static drift measure(const sb_stack_config *c, size_t n, size_t j, size_t seqs)
{
    drift out = {0, 0, 0, 0, 0};
    sb_stack *s = NULL;
    TK_CHECK(sb_stack_create(c, &s) == SB_OK, "create");
    size_t L = c->layers, d = c->width, nd = n * d;
    uint32_t *ids = malloc(n * sizeof *ids);
    unsigned char *bos = malloc(n);
    double *x = malloc(nd * sizeof *x), *x2 = malloc(nd * sizeof *x);
    double *h1 = malloc((L + 1) * nd * sizeof *x), *h2 = malloc((L + 1) * nd * sizeof *x);
    for (size_t q = 0; q < seqs; q++) {
        sequence(q, c, n, ids);
        sb_stack_embed(s, ids, n, x, bos);
        uint32_t other = 1 + (ids[j] % (uint32_t)(c->vocab - 1));
        memcpy(x2, x, nd * sizeof *x);
        sb_stack_embed(s, &other, 1, x2 + j * d, NULL);
        sb_stack_trace t1 = {.hidden = h1, .first_mass = NULL, .sink_mass = NULL}, t2 = {.hidden = h2};
        sb_stack_forward(s, NULL, x, n, bos, NULL, &t1);
        sb_stack_forward(s, NULL, x2, n, bos, NULL, &t2);
        out.last_first += dist(h1 + nd + (n - 1) * d, h2 + nd + (n - 1) * d, d) / (double)seqs;
        out.last_final += dist(h1 + L * nd + (n - 1) * d, h2 + L * nd + (n - 1) * d, d) / (double)seqs;
        double total = 0, local = 0;
        for (size_t t = 0; t < n; t++) {
            double v = dist(h1 + L * nd + t * d, h2 + L * nd + t * d, d);
            total += v;
            local += t == j ? v : 0;
        }
        out.nonlocal += (total - local) / total / (double)seqs;
        out.residual0 += sb_stack_collapse_residual(h1 + d, n - 1, d) / (double)seqs;
        out.residualL += sb_stack_collapse_residual(h1 + L * nd + d, n - 1, d) / (double)seqs;
    }
    free(ids), free(bos), free(x), free(x2), free(h1), free(h2);
    sb_stack_destroy(s);
    return out;
}

static void test_sinks_slow_mixing(void)
{
    const size_t L = 8, n = 32, j = 16, seqs = 2;
    sb_stack_config cn = small(SB_STACK_SINK_NONE, L);
    drift none = measure(&cn, n, j, seqs);
    static const sb_stack_sink sinks[] = {SB_STACK_SINK_BOS, SB_STACK_SINK_LEARNED, SB_STACK_SINK_NO_BOS};
    for (size_t k = 0; k < sizeof sinks / sizeof *sinks; k++) {
        sb_stack_config c = small(sinks[k], L);
        drift with = measure(&c, n, j, seqs);
        printf("  %s: last-token drift %.4g vs none %.4g; off-token share %.3f vs %.3f\n", sb_stack_sink_name(c.sink),
               with.last_final, none.last_final, with.nonlocal, none.nonlocal);
        TK_CHECK(with.last_final * 5 < none.last_final, "%s (gap 10) cuts last-token drift at least 5x: %.4g vs %.4g",
                 sb_stack_sink_name(c.sink), with.last_final, none.last_final);
        TK_CHECK(with.nonlocal < none.nonlocal, "%s keeps drift local: %.3f vs %.3f", sb_stack_sink_name(c.sink),
                 with.nonlocal, none.nonlocal);
        TK_CHECK(with.residualL > none.residualL, "%s slows rank collapse: residual %.3f vs %.3f",
                 sb_stack_sink_name(c.sink), with.residualL, none.residualL);
    }
    /* Without a sink, mixing grows with depth. */
    TK_CHECK(none.last_final > 1.25 * none.last_first, "no sink: last-token drift grows with depth (%.4g -> %.4g)",
             none.last_first, none.last_final);
    TK_CHECK(none.residualL < 0.95 * none.residual0, "no sink: rank collapse with depth (%.3f -> %.3f)", none.residual0,
             none.residualL);
    /* Sink strength: more gap, less drift. */
    sb_stack_config c0 = small(SB_STACK_SINK_BOS, L), c12 = small(SB_STACK_SINK_BOS, L);
    c0.gap = 0.0;
    c12.gap = 12.0;
    drift d0 = measure(&c0, n, j, seqs), d12 = measure(&c12, n, j, seqs);
    TK_CHECK(d12.last_final * 10 < d0.last_final, "BOS gap 12 vs 0: last-token drift %.4g vs %.4g", d12.last_final,
             d0.last_final);
}

/* Representational collapse (Barbero et al. 2024, Thm B.3): without a sink the last outputs of [v, a]
 * and [v, a, a] approach each other as n grows. */
static void test_representational_collapse(void)
{
    sb_stack_config c = small(SB_STACK_SINK_NONE, 4);
    sb_stack *s = NULL;
    TK_CHECK(sb_stack_create(&c, &s) == SB_OK, "create");
    size_t d = c.width, sizes[2] = {16, 128};
    double dn[2];
    uint32_t ids[129];
    unsigned char bos[129];
    double *x = malloc(129 * d * sizeof *x), *ya = malloc(129 * d * sizeof *x), *yb = malloc(129 * d * sizeof *x);
    for (int k = 0; k < 2; k++) {
        size_t n = sizes[k];
        dn[k] = 0;
        for (uint64_t q = 0; q < 2; q++) {
            sequence(100 + q, &c, n, ids);
            ids[n] = ids[n - 1];
            sb_stack_embed(s, ids, n + 1, x, bos);
            sb_stack_forward(s, NULL, x, n, bos, ya, NULL);
            sb_stack_forward(s, NULL, x, n + 1, bos, yb, NULL);
            for (size_t i = 0; i < d; i++)
                dn[k] += fabs(ya[(n - 1) * d + i] - yb[n * d + i]) / 2;
        }
    }
    printf("  representational collapse: %.4g (n = 16) -> %.4g (n = 128)\n", dn[0], dn[1]);
    TK_CHECK(dn[1] * 2 < dn[0], "distance falls with n: %.4g -> %.4g", dn[0], dn[1]);
    free(x), free(ya), free(yb);
    sb_stack_destroy(s);
}

/* Without a sink, the last token's exact sensitivity moves toward token 0 as depth grows. */
static void test_sensitivity_moves_to_first_token(void)
{
    size_t depths[2] = {1, 8}, n = 16;
    double share[2];
    for (int k = 0; k < 2; k++) {
        sb_stack_config c = small(SB_STACK_SINK_NONE, depths[k]);
        sb_stack *s = NULL;
        TK_CHECK(sb_stack_create(&c, &s) == SB_OK, "create");
        size_t d = c.width, nd = n * d;
        uint32_t ids[16];
        unsigned char bos[16];
        double *x = malloc(nd * sizeof *x), *dx = malloc(nd * sizeof *x), *dy = malloc(nd * sizeof *x);
        sequence(7, &c, n, ids);
        sb_stack_embed(s, ids, n, x, bos);
        double total = 0, first = 0;
        for (size_t i = 0; i < n; i++) {
            double acc = 0;
            for (size_t cc = 0; cc < d; cc++) { /* ||J_{n-1,i}||_F from the d basis directions */
                memset(dx, 0, nd * sizeof *dx);
                dx[i * d + cc] = 1.0;
                sb_stack_jvp(s, x, dx, n, bos, NULL, dy);
                for (size_t a = 0; a < d; a++)
                    acc += dy[(n - 1) * d + a] * dy[(n - 1) * d + a];
            }
            total += sqrt(acc);
            first += i == 0 ? sqrt(acc) : 0;
        }
        share[k] = first / total;
        free(x), free(dx), free(dy);
        sb_stack_destroy(s);
    }
    printf("  token 0's share of the last token's sensitivity: %.3f (L = 1) -> %.3f (L = 8)\n", share[0], share[1]);
    TK_CHECK(share[1] > share[0], "sensitivity moves to token 0 with depth: %.3f -> %.3f", share[0], share[1]);
}

/* Sink_1^0.3 (T = 64): every head of a BOS stack is a sink head, none of the no-sink stack's. */
static void test_sink_metric(void)
{
    const size_t n = 64, L = 3;
    double rate[2][2];
    for (int m = 0; m < 2; m++) {
        sb_stack_config c = small(m ? SB_STACK_SINK_BOS : SB_STACK_SINK_NONE, L);
        sb_stack *s = NULL;
        TK_CHECK(sb_stack_create(&c, &s) == SB_OK, "create");
        uint32_t ids[64];
        unsigned char bos[64];
        double *x = malloc(n * c.width * sizeof *x), fm[3 * 2 * 64], alpha[6];
        sequence(3, &c, n, ids);
        sb_stack_embed(s, ids, n, x, bos);
        sb_stack_trace tr = {.hidden = NULL, .first_mass = fm, .sink_mass = NULL};
        sb_stack_forward(s, NULL, x, n, bos, NULL, &tr);
        for (int row0 = 0; row0 < 2; row0++) {
            sb_stack_sink_alpha(fm, L, c.heads, n, 64, row0, alpha);
            rate[m][row0] = sb_stack_sink_rate(alpha, L * c.heads, 0.3);
        }
        free(x);
        sb_stack_destroy(s);
    }
    TK_CHECK(rate[1][0] == 1.0 && rate[1][1] == 1.0, "BOS: Sink^0.3 = %.2f / %.2f", rate[1][0], rate[1][1]);
    TK_CHECK(rate[0][0] == 0.0 && rate[0][1] == 0.0, "no sink: Sink^0.3 = %.2f / %.2f", rate[0][0], rate[0][1]);
}

int main(void)
{
    tk_init("test_stack_trends", 20261129);
    test_sinks_slow_mixing();
    test_representational_collapse();
    test_sensitivity_moves_to_first_token();
    test_sink_metric();
    return tk_finish("test_stack_trends");
}
