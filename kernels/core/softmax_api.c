#include <stdatomic.h>
#include <stdint.h>

#include "sinkbench/softmax.h"
#include "sinkbench/softmax_batch.h"

sb_status sb_softmax_f32(const float *x, float *y, size_t n, const sb_softmax_params *params)
{
    sb_status st = sb_softmax_check_args(x, y, n, params);
    if (st != SB_OK || n == 0)
        return st;
    const sb_softmax_kernel *k = sb_softmax_dispatch(n);
    if (!k)
        return SB_EUNSUPPORTED;
    return k->fn(x, y, n, params);
}

/* Dispatch's choice, kept after the first call: a short row's call is mostly overhead. */
static _Atomic(const sb_softmax_batch_kernel *) chosen;

sb_status sb_softmax_batch(const sb_softmax_batch_desc *d)
{
    const sb_softmax_batch_kernel *k = atomic_load_explicit(&chosen, memory_order_acquire);
    if (!k) {
        k = sb_softmax_batch_dispatch();
        atomic_store_explicit(&chosen, k, memory_order_release);
    }
    if (k)
        return k->fn(d); /* every kernel checks d first */
    sb_status st = sb_softmax_batch_check(d);
    if (st != SB_OK || d->rows == 0 || d->n == 0)
        return st;
    return SB_EUNSUPPORTED;
}
