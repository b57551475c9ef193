#include <stdint.h>

#include "sinkbench/softmax.h"

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
