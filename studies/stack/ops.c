/* Building blocks of the synthetic stack (see ops.h). Binary32 arithmetic is done on float variables;
 * GCC in ISO C mode does not contract a*b+c into FMA, so results match plain binary32 hardware. */
#include "studies/stack/ops.h"

#include <math.h>
#include <string.h>

#include "sinkbench/convert.h"
#include "studies/stack/stack_internal.h"

stack_prec stack_prec_of(sb_stack_precision p, const sb_softmax_kernel *k)
{
    stack_prec pr;
    pr.p = p;
    pr.f32 = p == SB_STACK_F32 || p == SB_STACK_BF16 || p == SB_STACK_F16;
    pr.kernel = p != SB_STACK_F64;
    pr.k = pr.kernel ? k : NULL;
    return pr;
}

void stack_store(const stack_prec *pr, double *x, size_t count)
{
    switch (pr->p) {
    case SB_STACK_F32:
        for (size_t i = 0; i < count; i++)
            x[i] = (float)x[i];
        break;
    case SB_STACK_BF16:
        for (size_t i = 0; i < count; i++)
            x[i] = sb_round_bf16((float)x[i]);
        break;
    case SB_STACK_F16:
        for (size_t i = 0; i < count; i++)
            x[i] = sb_round_f16((float)x[i]);
        break;
    default:
        break;
    }
}

void stack_matmul(const stack_prec *pr, const double *a, size_t row0, size_t rows, size_t k, const double *w,
                  const float *wf, size_t m, double *out, float *acc)
{
    memset(out, 0, row0 * m * sizeof *out);
    for (size_t i = row0; i < rows; i++) {
        const double *ai = a + i * k;
        double *o = out + i * m;
        if (pr->f32) {
            memset(acc, 0, m * sizeof *acc);
            for (size_t kk = 0; kk < k; kk++) {
                float av = (float)ai[kk];
                const float *wr = wf + kk * m;
                for (size_t j = 0; j < m; j++)
                    acc[j] += av * wr[j];
            }
            for (size_t j = 0; j < m; j++)
                o[j] = acc[j];
        } else {
            memset(o, 0, m * sizeof *o);
            for (size_t kk = 0; kk < k; kk++) {
                double av = ai[kk];
                const double *wr = w + kk * m;
                for (size_t j = 0; j < m; j++)
                    o[j] += av * wr[j];
            }
        }
    }
    stack_store(pr, out + row0 * m, (rows - row0) * m);
}

void stack_matmul_t(const double *a, size_t rows, size_t m, const double *w, size_t k, double *out, int accumulate)
{
    for (size_t i = 0; i < rows; i++) {
        const double *ai = a + i * m;
        double *o = out + i * k;
        for (size_t kk = 0; kk < k; kk++) {
            const double *wr = w + kk * m;
            double acc = 0.0;
            for (size_t j = 0; j < m; j++)
                acc += ai[j] * wr[j];
            o[kk] = accumulate ? o[kk] + acc : acc;
        }
    }
}

void stack_rmsnorm(const stack_prec *pr, const double *h, size_t rows, size_t d, double *u, double *r)
{
    for (size_t i = 0; i < rows; i++) {
        const double *hi = h + i * d;
        double ss;
        if (pr->f32) {
            float acc = 0.0f;
            for (size_t c = 0; c < d; c++)
                acc += (float)hi[c] * (float)hi[c];
            ss = acc;
        } else {
            ss = 0.0;
            for (size_t c = 0; c < d; c++)
                ss += hi[c] * hi[c];
        }
        double ri = sqrt(ss / (double)d + STACK_RMS_EPS);
        if (pr->f32)
            ri = (float)ri;
        r[i] = ri;
        for (size_t c = 0; c < d; c++)
            u[i * d + c] = hi[c] / ri;
    }
    stack_store(pr, u, rows * d);
}

void stack_rmsnorm_jvp(const double *u, const double *r, const double *dh, size_t row0, size_t rows, size_t d,
                       double *du)
{
    memset(du, 0, row0 * d * sizeof *du);
    for (size_t i = row0; i < rows; i++) {
        const double *ui = u + i * d, *dhi = dh + i * d;
        double dot = 0.0;
        for (size_t c = 0; c < d; c++)
            dot += ui[c] * dhi[c];
        dot /= (double)d;
        for (size_t c = 0; c < d; c++)
            du[i * d + c] = (dhi[c] - ui[c] * dot) / r[i];
    }
}

double stack_softmax_f64(const double *s, size_t n, double sink, double *p)
{
    double m = sink;
    for (size_t j = 0; j < n; j++)
        m = s[j] > m ? s[j] : m;
    double sink_e = sink == -INFINITY ? 0.0 : exp(sink - m), sum = sink_e;
    for (size_t j = 0; j < n; j++) {
        p[j] = exp(s[j] - m);
        sum += p[j];
    }
    for (size_t j = 0; j < n; j++)
        p[j] /= sum;
    return sink_e / sum;
}

double stack_sigmoid(double x) { return 1.0 / (1.0 + exp(-x)); }

double stack_silu(double x) { return x * stack_sigmoid(x); }

double stack_silu_derivative(double x)
{
    double g = stack_sigmoid(x);
    return g * (1.0 + x * (1.0 - g));
}
