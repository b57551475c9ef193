#include "peer_common.h"

#include <math.h>
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

sb_status sb_peer_softmax_batch(sb_peer_batch_fn run, const sb_softmax_batch_desc *d)
{
    sb_status st = sb_softmax_batch_check(d);
    if (st != SB_OK || d->rows == 0 || d->n == 0)
        return st;
    size_t threads = d->n_threads ? d->n_threads : 1;
    int sink = d->sink != SB_SOFTMAX_BATCH_SINK_NONE;
    if (d->scale == 1.0f && d->mask_type == SB_SOFTMAX_MASK_NONE && !sink && (d->rows == 1 || d->x_stride >= d->n))
        return run(d->x, d->rows == 1 ? d->n : d->x_stride, d->y, d->rows == 1 ? d->n : d->y_stride, d->rows, d->n,
                   threads);
    size_t w = d->n + (size_t)sink;
    if (d->rows > SIZE_MAX / sizeof(float) / w)
        return SB_ENOMEM;
    float *t = malloc(d->rows * w * sizeof *t);
    if (!t)
        return SB_ENOMEM;
    for (size_t r = 0; r < d->rows; r++) {
        sb_softmax_params p;
        sb_softmax_batch_row(d, r, t + r * w, &p);
        if (sink)
            t[r * w + d->n] = p.sink == SB_SINK_LOGIT ? p.sink_logit : -INFINITY;
    }
    st = run(t, w, t, w, d->rows, w, threads);
    for (size_t r = 0; r < d->rows && st == SB_OK; r++)
        memcpy(d->y + r * d->y_stride, t + r * w, d->n * sizeof *t);
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
