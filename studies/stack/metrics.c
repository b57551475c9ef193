/* Metrics of the perturbation study (definitions in docs/perturbation.md). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "studies/stack/stack.h"

sb_status sb_stack_limit_matrix(const double *lambda, size_t n, size_t layers, double *out)
{
    if (!lambda || !out || n == 0 || n > SB_STACK_MAX_TOKENS || out == lambda)
        return SB_EINVAL;
    double *tmp = malloc(n * n * sizeof *tmp);
    if (!tmp)
        return SB_ENOMEM;
    for (size_t i = 0; i < n * n; i++)
        out[i] = (i / n == i % n) ? 1.0 : 0.0;
    /* out <- out (Lambda + I)/2, L times; both factors are lower triangular. */
    for (size_t l = 0; l < layers; l++) {
        for (size_t t = 0; t < n; t++)
            for (size_t j = 0; j <= t; j++) {
                double acc = 0.0;
                for (size_t k = j; k <= t; k++)
                    acc += out[t * n + k] * (lambda[k * n + j] + (k == j ? 1.0 : 0.0));
                tmp[t * n + j] = 0.5 * acc;
            }
        for (size_t t = 0; t < n; t++)
            for (size_t j = 0; j < n; j++)
                out[t * n + j] = j <= t ? tmp[t * n + j] : 0.0;
    }
    free(tmp);
    return SB_OK;
}

double sb_stack_collapse_residual(const double *v, size_t rows, size_t width)
{
    if (!v || rows == 0 || width == 0)
        return 0.0;
    double num = 0.0, den = 0.0;
    for (size_t c = 0; c < width; c++) {
        double mean = 0.0;
        for (size_t t = 0; t < rows; t++)
            mean += v[t * width + c];
        mean /= (double)rows;
        for (size_t t = 0; t < rows; t++) {
            double x = v[t * width + c], e = x - mean;
            num += e * e;
            den += x * x;
        }
    }
    return den > 0 ? sqrt(num / den) : 0.0;
}

sb_status sb_stack_sink_alpha(const double *first_mass, size_t layers, size_t heads, size_t n, size_t T,
                              int count_row0, double *alpha)
{
    size_t first = count_row0 ? 0 : 1;
    if (!first_mass || !alpha || T > n || T < first + 1)
        return SB_EINVAL;
    for (size_t lh = 0; lh < layers * heads; lh++) {
        double sum = 0.0;
        for (size_t t = first; t < T; t++)
            sum += first_mass[lh * n + t];
        alpha[lh] = sum / (double)(T - first);
    }
    return SB_OK;
}

double sb_stack_sink_rate(const double *alpha, size_t count, double eps)
{
    if (!alpha || count == 0)
        return 0.0;
    size_t above = 0;
    for (size_t i = 0; i < count; i++)
        above += alpha[i] > eps;
    return (double)above / (double)count;
}
