/* sb_attention: the descriptor checked, then the kernel dispatch chose (kernels/core/dispatch.c). */
#include "sinkbench/attention.h"

sb_status sb_attention(const sb_attention_desc *d)
{
    sb_status st = sb_attention_check(d);
    if (st != SB_OK)
        return st;
    const sb_attention_kernel *k = sb_attention_dispatch();
    return k ? k->fn(d) : SB_EUNSUPPORTED;
}
