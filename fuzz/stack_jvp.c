/* stack_jvp: the synthetic layer stack's forward-mode JVP (studies/stack/stack.h) against central
 * finite differences, and its reverse-mode VJP against the JVP (<w, J dx> = <J^T w, dx> to 1e-9 of the
 * sum of |terms| times max(1, RMS of the activations)^2, with w read from the input too), on stacks and inputs drawn from the fuzz input. The tolerance is the stack's
 * documented one (1e-6 relative, docs/perturbation.md) against finite differences that have
 * converged (two neighbouring steps agree), plus their disagreement and rounding noise; stacks whose
 * finite differences never converge in binary64 (huge activations) are passed over instead of
 * failing; a missing or wrong tangent term is off by 1e-3..1 relative and fails. Also: the JVP's primal equals the forward
 * pass bit for bit, and tokens before the first perturbed one get an exactly zero tangent (causality).
 *
 * Input (every byte string is valid; missing bytes read as 0), by byte offset:
 *   0 layers (1 + b % 4)  1 heads (1 + b % 4)  2 width per head (1 + b % 4)  3 tokens (2 + b % 9)
 *   4 sink mode (b % 6, sb_stack_sink)  5 flags: bit 0 norm, 1 MLP, 2 learned sink at -inf
 *   6 temperature (b % 17 / 4)  7 weight gain (0.25 + b / 128)  8 value scale ((b - 128) / 64)
 *   9 sink spread (b / 64)  10..11 seed (u16)  12..15 gap (f32, clamped to [-30, 30])
 *   16..31 token ids (% 64)  32.. tangent dx (f32; non-finite entries 0), first perturbed
 *   token = b16 % tokens; then the cotangent w of the VJP check (f32, the same rules). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"
#include "studies/stack/stack.h"

#define MAX_N 10
#define MAX_D 16
#define VOCAB 64

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    sb_fuzz_set_target("stack_jvp");
    return 0;
}

static double norm2(const double *v, size_t n)
{
    double s = 0.0;
    for (size_t i = 0; i < n; i++)
        s += v[i] * v[i];
    return sqrt(s);
}

static _Noreturn void broken(const sb_stack_config *c, const char *rule, const char *what)
{
    char detail[512];
    snprintf(detail, sizeof detail, "%s (layers %zu, heads %zu, width %zu, sink %s, norm %d, mlp %d, temperature %g, "
             "gap %g, value_scale %g, seed %llu)", what, c->layers, c->heads, c->width, sb_stack_sink_name(c->sink),
             c->norm, c->mlp, c->temperature, c->gap, c->value_scale, (unsigned long long)c->seed);
    sb_fuzz_violation(NULL, "sb_stack_jvp", rule, SIZE_MAX, detail);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sb_fuzz_reader r = {data, size};
    uint8_t b[12];
    for (int i = 0; i < 12; i++)
        b[i] = sb_fuzz_take_u8(&r);
    sb_stack_config c;
    sb_stack_config_default(&c);
    c.layers = 1 + b[0] % 4;
    c.heads = 1 + b[1] % 4;
    c.width = c.heads * (1 + b[2] % 4);
    size_t n = 2 + b[3] % 9, d = c.width, nd = n * d;
    c.vocab = VOCAB;
    c.sink = (sb_stack_sink)(b[4] % SB_STACK_SINK_COUNT);
    c.norm = b[5] & 1;
    c.mlp = (b[5] >> 1) & 1;
    c.temperature = (b[6] % 17) / 4.0;
    c.weight_gain = 0.25 + b[7] / 128.0;
    c.value_scale = (b[8] - 128) / 64.0;
    c.sink_spread = b[9] / 64.0;
    c.seed = (uint64_t)b[10] | (uint64_t)b[11] << 8;
    float gap = sb_fuzz_take_f32(&r);
    c.gap = isfinite(gap) ? fmax(-30.0, fmin(30.0, gap)) : 0.0;
    if (c.sink == SB_STACK_SINK_LEARNED && (b[5] & 4))
        c.gap = -INFINITY;   /* allowed: a learned sink at -inf is no sink */
    if (sb_stack_config_check(&c) != SB_OK)
        return 0;

    uint32_t ids[MAX_N];
    uint8_t tok[16];
    for (int i = 0; i < 16; i++)
        tok[i] = sb_fuzz_take_u8(&r);
    for (size_t t = 0; t < n; t++)
        ids[t] = tok[t] % VOCAB;
    size_t first = tok[0] % n;
    double x[MAX_N * MAX_D], dx[MAX_N * MAX_D], xs[MAX_N * MAX_D], y[MAX_N * MAX_D], y0[MAX_N * MAX_D],
        dy[MAX_N * MAX_D], yp[MAX_N * MAX_D], ym[MAX_N * MAX_D];
    float raw[MAX_N * MAX_D];
    sb_fuzz_take_floats(&r, raw, nd);
    for (size_t k = 0; k < nd; k++)
        dx[k] = (k >= first * d && isfinite(raw[k]) && fabsf(raw[k]) < 1e6f) ? raw[k] : 0.0;
    double len = norm2(dx, nd);
    if (len == 0.0) {
        dx[first * d] = 1.0;
        len = 1.0;
    }
    for (size_t k = 0; k < nd; k++)
        dx[k] /= len;

    sb_stack *s = NULL;
    if (sb_stack_create(&c, &s) != SB_OK)
        return 0;
    unsigned char bos[MAX_N];
    if (sb_stack_embed(s, ids, n, x, bos) != SB_OK)
        broken(&c, "embed", "sb_stack_embed refused valid token ids");
    if (sb_stack_jvp(s, x, dx, n, bos, y, dy) != SB_OK || sb_stack_forward(s, NULL, x, n, bos, y0, NULL) != SB_OK)
        broken(&c, "status", "sb_stack_jvp or sb_stack_forward failed on a valid stack");
    if (memcmp(y, y0, nd * sizeof *y) != 0)
        broken(&c, "primal", "the JVP's primal differs from the forward pass");
    /* Reverse mode: the adjoint identity with a cotangent drawn from the input (binary64 sums of the same
     * products in another order: agreement to ~1e-15 of the terms' magnitude; 1e-9 leaves margin for
     * large activations, while a wrong transpose is off by O(1)). */
    {
        double wv[MAX_N * MAX_D], gx[MAX_N * MAX_D];
        float rw[MAX_N * MAX_D];
        sb_fuzz_take_floats(&r, rw, nd);
        for (size_t k = 0; k < nd; k++)
            wv[k] = isfinite(rw[k]) && fabsf(rw[k]) < 1e6f ? rw[k] : 0.0;
        if (norm2(wv, nd) == 0.0)
            wv[(n - 1) * d] = 1.0;
        if (sb_stack_vjp(s, x, wv, n, bos, y0, gx) != SB_OK)
            broken(&c, "status", "sb_stack_vjp failed on a valid stack");
        if (memcmp(y, y0, nd * sizeof *y) != 0)
            broken(&c, "primal", "the VJP's primal differs from the forward pass");
        double lhs = 0.0, rhs = 0.0, mag = 0.0;
        for (size_t k = 0; k < nd; k++) {
            lhs += wv[k] * dy[k];
            rhs += gx[k] * dx[k];
            mag += fabs(wv[k] * dy[k]) + fabs(gx[k] * dx[k]);
        }
        /* Stacks with activations beyond 1e3 (no RMSNorm, large gains) are chaotic: their intermediate
         * derivatives are orders of magnitude above the result, and the two summation orders lose different
         * digits. Outside the check's domain, as for the finite differences below. Inside it the rounding
         * still grows with the activations: the logits grow with their square, and the softmax Jacobian's
         * cancellations with the logits (measured: 6.4e-9 of the terms at RMS 162 — 4 layers, no norm,
         * temperature 3.5, value scale -2; regression vjp-adjoint-*). So the tolerance is 1e-9 of the terms
         * times max(1, RMS)^2: 2.6e-5 there, 1e-3 at the domain's edge, while a wrong transpose is off by O(1).
         * A result that cancels to nearly 0 (RMSNorm of width 1 is a constant: J ~ 1e-8 from O(1) parts) is
         * judged against the parts' scale too: 1e-3 |w| |dx| beside the terms (measured: 2.9e-17 apart on
         * terms of 1.2e-8 with |w| |dx| of order 1; regression vjp-adjoint-*). */
        double rms = norm2(y, nd) / sqrt((double)nd);
        int in_domain = rms <= 1e3;
        double tol = 1e-9 * fmax(1.0, rms * rms) * (mag + 1e-3 * norm2(wv, nd) * norm2(dx, nd));
        if (in_domain && isfinite(mag) && fabs(lhs - rhs) > tol) {
            char what[200];
            snprintf(what, sizeof what, "<w, J dx> = %.17g but <J^T w, dx> = %.17g (sum of |terms| %.3g)", lhs, rhs, mag);
            broken(&c, "vjp-adjoint", what);
        }
    }
    for (size_t k = 0; k < first * d; k++)
        if (dy[k] != 0.0)
            broken(&c, "causality", "a token before the first perturbed one has a non-zero tangent");

    /* Central differences fd_k at steps h_k = 1e-2 / 4^k down to 1.5e-10. Where two neighbours agree
     * (|fd_k - fd_k-1| <= 1e-4 |fd_k| + 2 r_k, with r_k = 10 u |y| / h_k the rounding noise, measured at
     * 2.4 u |y| / h on the worst stack found), finite differences have converged, and the JVP must match
     * fd_k within the stack's tolerance 1e-6 |J dx| plus that disagreement and the noise; a wrong or
     * missing tangent term (1e-3..1 relative) fails. Stacks whose differences never settle, and those
     * with activations beyond 1e3 (no RMSNorm, large gains: |y| ~ 1e7, chaotic at every step the fuzzer
     * found), cannot be judged by finite differences in binary64 and are passed over: the documented
     * tolerance is for O(1) activations. */
    static double fd[2][MAX_N * MAX_D];
    double scale = norm2(dy, nd), ynorm = norm2(y, nd), worst_excess = INFINITY, at_h = 0.0, at_err = 0.0;
    if (ynorm > 1e3 * sqrt((double)nd)) {   /* activations beyond 1e3: outside the check's domain */
        sb_stack_destroy(s);
        return 0;
    }
    int converged = 0, settled = 0, k = 0;
    for (double h = 1e-2; h > 1e-10; h /= 4, k++) {
        double *cur = fd[k & 1], *prev = fd[(k + 1) & 1];
        for (size_t i = 0; i < nd; i++)
            xs[i] = x[i] + h * dx[i];
        sb_stack_forward(s, NULL, xs, n, bos, yp, NULL);
        for (size_t i = 0; i < nd; i++)
            xs[i] = x[i] - h * dx[i];
        sb_stack_forward(s, NULL, xs, n, bos, ym, NULL);
        double err = 0.0, change = 0.0;
        for (size_t i = 0; i < nd; i++) {
            cur[i] = (yp[i] - ym[i]) / (2 * h);
            err += (cur[i] - dy[i]) * (cur[i] - dy[i]);
            change += (cur[i] - prev[i]) * (cur[i] - prev[i]);
        }
        err = sqrt(err);
        change = sqrt(change);
        double noise = 10.0 * 0x1p-53 * ynorm / h;
        /* converged: three neighbouring steps agree (two by chance is not enough in chaotic stacks) */
        settled = k > 0 && change <= 1e-4 * norm2(cur, nd) + 2.0 * noise ? settled + 1 : 0;
        if (settled < 2)
            continue;
        converged = 1;
        double excess = err - (1e-6 * scale + change + noise);
        if (excess < worst_excess) {
            worst_excess = excess;
            at_h = h;
            at_err = err;
        }
        if (excess <= 0.0)
            break;
    }
    sb_stack_destroy(s);
    if (converged && worst_excess > 0.0) {
        char what[240];
        snprintf(what, sizeof what, "JVP vs converged central differences: |error| %.3g at step %.2g exceeds the "
                 "allowance by %.3g (|J dx| %.3g, |y| %.3g)", at_err, at_h, worst_excess, scale, ynorm);
        broken(&c, "jvp-vs-fd", what);
    }
    return 0;
}
