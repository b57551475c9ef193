#include <stdint.h>

#include "sinkbench/softmax.h"

sb_status sb_softmax_check_args(const float *x, const float *y, size_t n, const sb_softmax_params *params)
{
    if (n == 0)
        return SB_OK;
    if (!x || !y || n > SB_SOFTMAX_MAX_N)
        return SB_EINVAL;
    if (params && params->sink != SB_SINK_NONE && params->sink != SB_SINK_LOGIT)
        return SB_EINVAL;
    uintptr_t xs = (uintptr_t)x, ys = (uintptr_t)y, bytes = (uintptr_t)(n * sizeof(float));
    if (xs != ys && xs < ys + bytes && ys < xs + bytes)
        return SB_EINVAL; /* partial overlap: in place means y == x exactly */
    return SB_OK;
}

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
