/* Deliberately broken kernels, for the harnesses' self-tests (corpus/CMakeLists.txt): each breaks one
 * rule the fuzzers must catch. SINKBENCH_SELFTEST_BUG picks the one registered (default sink_twice):
 *   sink_twice  a learned sink added to the denominator twice: the split-KV bug of adding the sink
 *               once per partition (the reference run with the sink logit raised by ln 2)
 *   swap_order  y[0] and y[n-1] swapped when x[0] < x[n-1]          -> softmax_invariants "order"
 *   shift_bias  outputs 2^-10 too large when a logit exceeds 100     -> "shift"
 *   chunk_bias  outputs 2^-10 too large when called without params   -> "split-merge"
 *   scaled      outputs always 2^-20 too large (8 ulp, bound 1)      -> "sum"
 * Each delegates to softmax_reference_f64 and then breaks its rule. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <sinkbench/sinkbench.h>

static sb_status reference(const float *x, float *y, size_t n, const sb_softmax_params *p)
{
    return sb_softmax_kernel_find("softmax_reference_f64")->fn(x, y, n, p);
}

static void scale(float *y, size_t n, float f)
{
    for (size_t i = 0; i < n; i++)
        y[i] *= f;
}

static sb_status sink_twice(const float *x, float *y, size_t n, const sb_softmax_params *p)
{
    sb_softmax_params doubled = {SB_SINK_NONE, 0.0f};
    if (p) {
        doubled = *p;
        if (p->sink == SB_SINK_LOGIT)
            doubled.sink_logit = p->sink_logit + 0.6931472f;   /* exp(s + ln 2) = 2 exp(s) */
    }
    return reference(x, y, n, p ? &doubled : NULL);
}

static sb_status swap_order(const float *x, float *y, size_t n, const sb_softmax_params *p)
{
    if (sb_softmax_check_args(x, y, n, p) != SB_OK || n == 0)
        return reference(x, y, n, p);
    float x0 = n ? x[0] : 0.0f, xl = n ? x[n - 1] : 0.0f;   /* read before an in-place call overwrites x */
    sb_status st = reference(x, y, n, p);
    if (st == SB_OK && n >= 2 && x0 < xl) {
        float t = y[0];
        y[0] = y[n - 1];
        y[n - 1] = t;
    }
    return st;
}

static sb_status shift_bias(const float *x, float *y, size_t n, const sb_softmax_params *p)
{
    if (sb_softmax_check_args(x, y, n, p) != SB_OK || n == 0)
        return reference(x, y, n, p);
    int big = 0;
    for (size_t i = 0; i < n; i++)
        big |= isfinite(x[i]) && x[i] > 100.0f;
    sb_status st = reference(x, y, n, p);
    if (st == SB_OK && big)
        scale(y, n, 1.0f + 0x1p-10f);
    return st;
}

static sb_status chunk_bias(const float *x, float *y, size_t n, const sb_softmax_params *p)
{
    sb_status st = reference(x, y, n, p);
    if (st == SB_OK && !p)
        scale(y, n, 1.0f + 0x1p-10f);
    return st;
}

static sb_status scaled(const float *x, float *y, size_t n, const sb_softmax_params *p)
{
    sb_status st = reference(x, y, n, p);
    if (st == SB_OK)
        scale(y, n, 1.0f + 0x1p-20f);
    return st;
}

static int always(void) { return 1; }

sb_status sinkbench_plugin_register(void);
sb_status sinkbench_plugin_register(void)
{
    static const sb_softmax_kernel kernels[] = {
        {"plugin_bug_sink_twice", "scalar", "reference", always, sink_twice, 1.0, 0},
        {"plugin_bug_swap_order", "scalar", "reference", always, swap_order, 1.0, 0},
        {"plugin_bug_shift_bias", "scalar", "reference", always, shift_bias, 1.0, 0},
        {"plugin_bug_chunk_bias", "scalar", "reference", always, chunk_bias, 1.0, 0},
        {"plugin_bug_scaled", "scalar", "reference", always, scaled, 1.0, 0},
    };
    const char *bug = getenv("SINKBENCH_SELFTEST_BUG");
    for (size_t i = 0; i < sizeof kernels / sizeof kernels[0]; i++)
        if (strcmp(kernels[i].name + strlen("plugin_bug_"), bug && *bug ? bug : "sink_twice") == 0)
            return sb_softmax_register(&kernels[i]);
    return SB_EINVAL;
}
