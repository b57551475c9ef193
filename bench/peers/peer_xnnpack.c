/* XNNPACK's f32 softmax operator (xnn_create/setup_softmax_nc_f32) as a sinkbench plugin kernel.
 *
 * XNNPACK runs three passes (max; exp(x - max) stored and summed; multiply by 1/sum) with its own
 * microkernels chosen by CPU. It claims nothing under our contract (ulp_bound -1): the contract
 * check measures it, and shows the rows it gets wrong (a fully masked row gives NaN).
 *
 * One operator per row length is kept per thread: creating it on every call would measure
 * XNNPACK's allocator, not its softmax; xnn_setup is called per row as any user does. Threads:
 * none (NULL thread pool), so it runs on the caller's core like every other kernel. */
#include <xnnpack.h>

#include "peer_common.h"

static _Thread_local struct {
    xnn_operator_t op;
    size_t channels;
} cached;

static sb_status xnnpack_row(const float *x, float *y, size_t n)
{
    if (!cached.op || cached.channels != n) {
        if (cached.op)
            xnn_delete_operator(cached.op);
        cached.op = NULL;
        if (xnn_create_softmax_nc_f32(n, n, n, 0, &cached.op) != xnn_status_success)
            return SB_ENOMEM;
        cached.channels = n;
    }
    if (xnn_setup_softmax_nc_f32(cached.op, 1, x, y, NULL) != xnn_status_success)
        return SB_EINVAL;
    return xnn_run_operator(cached.op, NULL) == xnn_status_success ? SB_OK : SB_EUNSUPPORTED;
}

static sb_status peer_xnnpack(const float *x, float *y, size_t n, const sb_softmax_params *p)
{
    return sb_peer_softmax(xnnpack_row, x, y, n, p);
}

/* Frees the loading thread's operator at exit, so leak checkers see a clean process. */
__attribute__((destructor)) static void release(void)
{
    if (cached.op)
        xnn_delete_operator(cached.op);
    cached.op = NULL;
}

sb_status sinkbench_plugin_register(void);
sb_status sinkbench_plugin_register(void)
{
    if (xnn_initialize(NULL) != xnn_status_success)
        return SB_EUNSUPPORTED;
    sb_softmax_kernel k = {"peer_xnnpack_f32", sb_peer_cpu_isa(), "three_pass", sb_peer_runs_here, peer_xnnpack,
                           -1.0, SB_KERNEL_PEER};
    return sb_softmax_register(&k);
}
