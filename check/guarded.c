#include "guarded.h"

#include <stdlib.h>
#include <string.h>

int sb_guarded_alloc(sb_guarded *g, size_t n, size_t misalign, uint32_t fill)
{
    size_t total = n + 2 * SB_GUARD_FLOATS + 16;
    const uint32_t guard = SB_GUARD_BITS;
    g->base = aligned_alloc(64, (total * sizeof(float) + 63) / 64 * 64);
    g->data = NULL;
    g->n = 0;
    if (!g->base)
        return 0;
    g->data = g->base + SB_GUARD_FLOATS + misalign % 16;
    g->n = n;
    for (size_t i = 0; i < total; i++)
        memcpy(&g->base[i], &guard, sizeof(float));
    for (size_t i = 0; i < n; i++)
        memcpy(&g->data[i], &fill, sizeof(float));
    return 1;
}

int sb_guarded_intact(const sb_guarded *g)
{
    size_t total = g->n + 2 * SB_GUARD_FLOATS + 16;
    for (size_t i = 0; i < total; i++) {
        const float *q = &g->base[i];
        if (q >= g->data && q < g->data + g->n)
            continue;
        uint32_t u;
        memcpy(&u, q, sizeof u);
        if (u != SB_GUARD_BITS)
            return 0;
    }
    return 1;
}

void sb_guarded_free(sb_guarded *g)
{
    free(g->base);
    g->base = g->data = NULL;
    g->n = 0;
}
