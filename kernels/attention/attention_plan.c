/* The split plan of a call: how the flash kernels cut it into tiles (query rows sharing one KV head)
 * and key chunks (splits), and the scratch the split partials need. A pure function of the
 * descriptor, so the descriptor check, sb_attention_workspace_size and the driver agree on it. */
#include <stdint.h>
#include <string.h>

#include "attention/attention_internal.h"

static size_t round_up(size_t x, size_t m) { return (x + m - 1) / m * m; }

void sb_attention_plan_init(const sb_attention_desc *d, sb_attention_plan *p)
{
    size_t group = sb_attention_group(d);
    memset(p, 0, sizeof *p);
    p->d = d;
    p->n_htiles = (group + SB_ATTENTION_TILE_ROWS - 1) / SB_ATTENTION_TILE_ROWS;
    p->tile_h = (group + p->n_htiles - 1) / p->n_htiles; /* balanced */
    p->tile_q = SB_ATTENTION_TILE_ROWS / p->tile_h;
    if (p->tile_q > d->n_queries)
        p->tile_q = d->n_queries;
    if (p->tile_q == 0)
        p->tile_q = 1;
    p->n_qtiles = (d->n_queries + p->tile_q - 1) / p->tile_q;
    p->n_tiles = p->n_qtiles * d->n_kv_heads * p->n_htiles;
    p->splits = d->n_splits > 1 ? d->n_splits : 1;
    p->chunk = (d->n_keys + p->splits - 1) / p->splits;
    p->part_stride = SB_ATTENTION_PART_HEADER + round_up(d->head_dim, 16);
}

/* Floats of partial rows for the split path, or SIZE_MAX when that overflows. */
static size_t parts_floats(const sb_attention_plan *p)
{
    size_t rows = p->tile_q * p->tile_h, n = p->n_tiles;
    if (n > SIZE_MAX / p->splits)
        return SIZE_MAX;
    n *= p->splits;
    if (n > SIZE_MAX / rows)
        return SIZE_MAX;
    n *= rows;
    if (n > SIZE_MAX / p->part_stride)
        return SIZE_MAX;
    return n * p->part_stride;
}

size_t sb_attention_plan_workspace(const sb_attention_desc *d)
{
    if (d->n_splits <= 1 || d->n_queries == 0)
        return 0;
    sb_attention_plan p;
    sb_attention_plan_init(d, &p);
    size_t f = parts_floats(&p);
    if (f == SIZE_MAX || f > (SIZE_MAX - 64) / sizeof(float))
        return SIZE_MAX;
    return f * sizeof(float) + 64; /* + room to align to a cache line */
}
