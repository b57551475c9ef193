/* XNNPACK's f32 softmax operator (xnn_create/setup_softmax_nc_f32) as a sinkbench plugin kernel.
 *
 * XNNPACK runs three passes (max; exp(x - max) stored and summed; multiply by 1/sum) with its own
 * microkernels chosen by CPU. It claims nothing under our contract (ulp_bound -1): the contract
 * check measures it, and shows the rows it gets wrong (a fully masked row gives NaN).
 *
 * One operator per row length is kept per thread: creating it on every call would measure
 * XNNPACK's allocator, not its softmax; xnn_setup is called per row as any user does. Threads:
 * none (NULL thread pool), so it runs on the caller's core like every other kernel.
 *
 * peer_xnnpack_batch: the same operator over a batch (channels n, the descriptor's row strides as
 * XNNPACK's input and output strides), on a pthreadpool of the descriptor's thread count (NULL for one
 * thread, as XNNPACK's users do): XNNPACK's batch softmax. One operator per (n, strides) and one pool
 * per thread count are kept per thread. */
#include <pthreadpool.h>
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

static _Thread_local struct {
    xnn_operator_t op;
    size_t n, xs, ys;
    pthreadpool_t pool;
    size_t threads;
} batch;

static sb_status xnnpack_batch(const float *x, size_t xs, float *y, size_t ys, size_t rows, size_t n, size_t threads)
{
    if (!batch.op || batch.n != n || batch.xs != xs || batch.ys != ys) {
        if (batch.op)
            xnn_delete_operator(batch.op);
        batch.op = NULL;
        if (xnn_create_softmax_nc_f32(n, xs, ys, 0, &batch.op) != xnn_status_success)
            return SB_ENOMEM;
        batch.n = n, batch.xs = xs, batch.ys = ys;
    }
    if (batch.threads != threads) {
        if (batch.pool)
            pthreadpool_destroy(batch.pool);
        batch.pool = NULL;
        batch.threads = 0;
        if (threads > 1 && !(batch.pool = pthreadpool_create(threads)))
            return SB_ENOMEM;
        batch.threads = threads;
    }
    if (xnn_setup_softmax_nc_f32(batch.op, rows, x, y, batch.pool) != xnn_status_success)
        return SB_EINVAL;
    return xnn_run_operator(batch.op, batch.pool) == xnn_status_success ? SB_OK : SB_EUNSUPPORTED;
}

static sb_status peer_xnnpack_batch(const sb_softmax_batch_desc *d) { return sb_peer_softmax_batch(xnnpack_batch, d); }

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
    if (batch.op)
        xnn_delete_operator(batch.op);
    if (batch.pool)
        pthreadpool_destroy(batch.pool);
    batch.op = NULL;
    batch.pool = NULL;
}

sb_status sinkbench_plugin_register(void);
sb_status sinkbench_plugin_register(void)
{
    if (xnn_initialize(NULL) != xnn_status_success)
        return SB_EUNSUPPORTED;
    sb_softmax_kernel k = {"peer_xnnpack_f32", sb_peer_cpu_isa(), "three_pass", sb_peer_runs_here, peer_xnnpack,
                           -1.0, SB_KERNEL_PEER};
    sb_status st = sb_softmax_register(&k);
    if (st != SB_OK)
        return st;
    sb_softmax_batch_kernel b = {"peer_xnnpack_batch", sb_peer_cpu_isa(), "three_pass", sb_peer_runs_here,
                                 peer_xnnpack_batch, -1.0, SB_KERNEL_PEER, NULL};
    return sb_softmax_batch_register(&b);
}
