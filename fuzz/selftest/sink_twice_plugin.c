/* A plugin with a deliberately broken kernel, for the harnesses' self-test (corpus/CMakeLists.txt):
 * it adds a learned sink to the denominator twice — the split-KV bug of adding the sink once per
 * partition — by running the reference with the sink logit raised by ln 2. The fuzz replay of the
 * seed corpus must report it. */
#include <sinkbench/sinkbench.h>

static sb_status sink_twice(const float *x, float *y, size_t n, const sb_softmax_params *p)
{
    sb_softmax_params doubled = {SB_SINK_NONE, 0.0f};
    if (p) {
        doubled = *p;
        if (p->sink == SB_SINK_LOGIT)
            doubled.sink_logit = p->sink_logit + 0.6931472f;   /* exp(s + ln 2) = 2 exp(s) */
    }
    return sb_softmax_kernel_find("softmax_reference_f64")->fn(x, y, n, p ? &doubled : NULL);
}

static int always(void) { return 1; }

sb_status sinkbench_plugin_register(void);
sb_status sinkbench_plugin_register(void)
{
    static const sb_softmax_kernel k = {"plugin_sink_twice", "scalar", "reference", always, sink_twice, 1.0, 0};
    return sb_softmax_register(&k);
}
