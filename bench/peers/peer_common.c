#include "peer_common.h"

#include <stdlib.h>
#include <string.h>

sb_status sb_peer_softmax(sb_peer_row_fn row, const float *x, float *y, size_t n, const sb_softmax_params *p)
{
    sb_status st = sb_softmax_check_args(x, y, n, p);
    if (st != SB_OK || n == 0)
        return st;
    if (!p || p->sink == SB_SINK_NONE)
        return row(x, y, n);
    float *t = malloc((n + 1) * sizeof *t);
    if (!t)
        return SB_ENOMEM;
    memcpy(t, x, n * sizeof *t);
    t[n] = p->sink_logit;
    st = row(t, t, n + 1);
    if (st == SB_OK)
        memcpy(y, t, n * sizeof *t);
    free(t);
    return st;
}

int sb_peer_runs_here(void) { return 1; }

const char *sb_peer_cpu_isa(void)
{
    if (sb_cpu_supports_avx512())
        return "avx512";
    if (sb_cpu_supports_avx2())
        return "avx2";
    if (sb_cpu_supports_sse2())
        return "sse2";
    if (sb_cpu_supports_neon())
        return "neon";
    return "scalar";
}
