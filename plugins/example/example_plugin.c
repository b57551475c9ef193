/* Example plugin: kernels a user might bring.
 *
 *  - softmax_example_twopass_scalar: a correct kernel (binary64 accumulation, exp of the exactly
 *    reduced argument in binary64) that claims 1 ulp and passes the contract.
 *  - softmax_example_clamped_scalar: the kind of shortcut seen in the wild, deliberately wrong. It
 *    clamps exp's argument at ln(FLT_MIN) instead of flushing (masked entries get FLT_MIN, not 0),
 *    finds the max with an x86-style max (a NaN drops out of the max instead of poisoning the row) and
 *    subtracts the max in binary32. It claims 2 ulp; `sinkbench --plugin ... check` shows the user
 *    exactly which rule it breaks, on which row, with the seed to replay it.
 *  - attention_example_sinkless_scalar: an attention kernel with the commonest sink bug: it forgets
 *    the sink (learned logits or softmax_1), so every row's weights sum to 1 instead of 1 - p_sink.
 *    It claims the reference's bound; `sinkbench --plugin ... check` names the problem and the row.
 *
 * Build (outside this tree): cc -shared -fPIC example_plugin.c $(pkg-config --cflags --libs sinkbench) -lm */
#include <math.h>

#include <sinkbench/sinkbench.h>

static int always(void) { return 1; }

static sb_status twopass(const float *x, float *y, size_t n, const sb_softmax_params *p)
{
    sb_status st = sb_softmax_check_args(x, y, n, p);
    if (st != SB_OK || n == 0)
        return st;
    double s = (p && p->sink == SB_SINK_LOGIT) ? p->sink_logit : -INFINITY;
    double m = s;
    int nan = isnan(s), posinf = 0;
    for (size_t i = 0; i < n; i++) {
        nan |= isnan(x[i]);
        posinf += x[i] == INFINITY;
        m = x[i] > m ? x[i] : m;
    }
    if (nan || s == INFINITY || m == -INFINITY || posinf) {
        /* the contract's edge rows: NaN row, +inf sink, no finite mass, +inf entries share the mass */
        for (size_t i = 0; i < n; i++)
            y[i] = nan ? NAN : (s != INFINITY && posinf && x[i] == INFINITY) ? (float)(1.0 / posinf) : 0.0f;
        return SB_OK;
    }
    double sum = exp(s - m);
    for (size_t i = 0; i < n; i++)
        sum += exp((double)x[i] - m);
    for (size_t i = 0; i < n; i++)
        y[i] = (float)(exp((double)x[i] - m) / sum);
    return SB_OK;
}

static float x86_max(float a, float b) { return a > b ? a : b; } /* maxps: returns b when a is NaN */

static sb_status clamped(const float *x, float *y, size_t n, const sb_softmax_params *p)
{
    sb_status st = sb_softmax_check_args(x, y, n, p);
    if (st != SB_OK || n == 0)
        return st;
    float m = (p && p->sink == SB_SINK_LOGIT) ? p->sink_logit : -INFINITY;
    for (size_t i = 0; i < n; i++)
        m = x86_max(x[i], m);
    const float ln_flt_min = -87.33654f;
    float sum = 0.0f;
    if (p && p->sink == SB_SINK_LOGIT)
        sum = expf(fmaxf(p->sink_logit - m, ln_flt_min));
    for (size_t i = 0; i < n; i++) {
        y[i] = expf(fmaxf(x[i] - m, ln_flt_min));
        sum += y[i];
    }
    for (size_t i = 0; i < n; i++)
        y[i] /= sum;
    return SB_OK;
}

static const sb_attention_kernel *reference(void) { return sb_attention_kernel_find("attention_reference_f64"); }

static sb_status sinkless(const sb_attention_desc *d)
{
    sb_attention_desc c = *d;
    c.sink = SB_ATTENTION_SINK_NONE; /* the bug */
    return reference()->fn(&c);
}

static sb_attention_bound sinkless_bound(const sb_attention_desc *d, double score_size)
{
    return reference()->error_bound(d, score_size);
}

sb_status sinkbench_plugin_register(void);
sb_status sinkbench_plugin_register(void)
{
    static const sb_softmax_kernel kernels[] = {
        {"softmax_example_twopass_scalar", "scalar", "two_pass", always, twopass, 1.0, 0},
        {"softmax_example_clamped_scalar", "scalar", "three_pass", always, clamped, 2.0, 0},
    };
    for (size_t i = 0; i < sizeof kernels / sizeof kernels[0]; i++) {
        sb_status st = sb_softmax_register(&kernels[i]);
        if (st != SB_OK)
            return st;
    }
    if (!reference())
        return SB_EUNSUPPORTED;
    static const sb_attention_kernel attention = {
        "attention_example_sinkless_scalar", "scalar", "reference", always, sinkless, sinkless_bound,
        "as attention_reference_f64", 0};
    return sb_attention_register(&attention);
}
