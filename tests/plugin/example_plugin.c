/* A test plugin: one correct kernel (delegating to the reference) registered at load time. */
#include <sinkbench/sinkbench.h>

static sb_status delegate(const float *x, float *y, size_t n, const sb_softmax_params *p)
{
    return sb_softmax_kernel_find("softmax_reference_f64")->fn(x, y, n, p);
}

static int always(void) { return 1; }

sb_status sinkbench_plugin_register(void);
sb_status sinkbench_plugin_register(void)
{
    static const sb_softmax_kernel k = {"plugin_test_delegate", "scalar", "reference", always, delegate, 1.0, 0};
    return sb_softmax_register(&k);
}
