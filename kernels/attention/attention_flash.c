/* Flash attention, one source compiled once per ISA: a tile of query rows that share one KV head
 * (GQA heads and, in prefill, consecutive queries) streams its chunk of keys in blocks of
 * SB_ATTN_BLOCK: scores, online softmax with a lazy rescale, weighted sum of V. The driver
 * (attention_flash_driver.c) merges chunks with the sink and runs the threads.
 *
 * Per block and row: s_j = scale * (q . k_j) + mask_j over the visible keys; the running maximum m is
 * raised to the block maximum only when that exceeds m by more than SB_ATTN_RESCALE_T (then l and acc
 * are rescaled by exp(m_old - m_new)); w_j = exp(s_j - m) <= e^T; l += sum w; acc += sum w_j v_j, both
 * summed within the block first (so the sums' depth is B + blocks, not n). Masked (row, key) pairs are
 * skipped, so a masked key's v is never read into a row; a visible score that is not finite flags the
 * row for the binary64 evaluation (docs/numerics.md decides NaN / +inf rows there). */
#include <math.h>
#include <string.h>

#include "attention/attention_internal.h"
#include "attention/attention_kernels.h"

#define SB_ATTN_CAT_(a, b) a##b
#define SB_ATTN_CAT(a, b) SB_ATTN_CAT_(a, b)

enum { B = SB_ATTN_BLOCK, ROWS = SB_ATTN_TILE_ROWS };

typedef struct tile_state {
    const sb_attention_desc *d;
    size_t R, hd;
    const float *q[ROWS];
    const float *mask[ROWS];
    sb_attn_vis vis[ROWS];
    float m[ROWS], l[ROWS];
    int flag[ROWS];
    float *acc[ROWS];
} tile_state;

static float dot(const float *q, sb_kv_type t, const void *krow, size_t hd)
{
    float s = 0.0f;
    for (size_t c = 0; c < hd; c++)
        s += q[c] * sb_attn_kv_at(t, krow, c);
    return s;
}

/* One block of keys [j0, j0 + jb) of KV head g for every row of the tile. */
static void block(tile_state *ts, size_t g, size_t j0, size_t jb)
{
    const sb_attention_desc *d = ts->d;
    const size_t R = ts->R, hd = ts->hd;
    float w[ROWS][B];
    unsigned char live[ROWS][B];
    int any_dead = 0;

    /* scores, with structural masks, the additive mask and the finiteness check */
    for (size_t r = 0; r < R; r++) {
        const sb_attn_vis *v = &ts->vis[r];
        int full = (j0 >= v->lo && j0 + jb <= v->hi) || j0 + jb <= v->sink_end;
        for (size_t jj = 0; jj < jb; jj++) {
            size_t j = j0 + jj;
            float mk = ts->mask[r] ? ts->mask[r][j] : 0.0f;
            live[r][jj] = 0;
            w[r][jj] = -INFINITY;
            if ((!full && !sb_attn_vis_has(v, j)) || mk == -INFINITY) {
                any_dead = 1;
                continue;
            }
            float s = d->scale * dot(ts->q[r], d->kv_type, sb_attn_k_row(d, g, j), hd) + mk;
            if (!isfinite(s)) {
                ts->flag[r] = 1; /* decided by the binary64 row evaluation */
                any_dead = 1;
                continue;
            }
            w[r][jj] = s;
            live[r][jj] = 1;
        }
    }

    /* online softmax: lazy rescale, weights, block sum of the weights */
    for (size_t r = 0; r < R; r++) {
        float bm = -INFINITY;
        for (size_t jj = 0; jj < jb; jj++)
            bm = w[r][jj] > bm ? w[r][jj] : bm;
        if (bm > -INFINITY && (ts->m[r] == -INFINITY || bm > ts->m[r] + SB_ATTN_RESCALE_T)) {
            if (ts->m[r] > -INFINITY) {
                float a = expf(ts->m[r] - bm);
                ts->l[r] *= a;
                for (size_t c = 0; c < hd; c++)
                    ts->acc[r][c] *= a;
            }
            ts->m[r] = bm;
        }
        float bl = 0.0f;
        for (size_t jj = 0; jj < jb; jj++) {
            w[r][jj] = live[r][jj] ? expf(w[r][jj] - ts->m[r]) : 0.0f;
            bl += w[r][jj];
        }
        ts->l[r] += bl;
    }

    /* acc += sum_j w_j v_j, summed within the block first */
    const void *vrow[B];
    for (size_t jj = 0; jj < jb; jj++)
        vrow[jj] = sb_attn_v_row(d, g, j0 + jj);
    for (size_t r = 0; r < R; r++)
        for (size_t c = 0; c < hd; c++) {
            float t = 0.0f;
            for (size_t jj = 0; jj < jb; jj++)
                if (!any_dead || live[r][jj])
                    t += w[r][jj] * sb_attn_kv_at(d->kv_type, vrow[jj], c);
            ts->acc[r][c] += t;
        }
}

static void tile(const sb_attn_plan *p, const sb_attn_tile *t, size_t split, float *part)
{
    const sb_attention_desc *d = p->d;
    tile_state ts;
    ts.d = d;
    ts.R = t->nq * t->nh;
    ts.hd = d->head_dim;
    for (size_t r = 0; r < ts.R; r++) {
        size_t i = t->i0 + r / t->nh, h = t->h0 + r % t->nh;
        ts.q[r] = sb_attn_q_row(d, i, h);
        ts.mask[r] = sb_attn_mask_row(d, i);
        ts.vis[r] = sb_attn_visible(d, sb_attn_pos(d, i));
        ts.m[r] = -INFINITY;
        ts.l[r] = 0.0f;
        ts.flag[r] = 0;
        ts.acc[r] = part + r * p->part_stride + SB_ATTN_PART_HEADER;
        memset(ts.acc[r], 0, ts.hd * sizeof(float));
    }

    size_t n = d->n_keys, c0 = split * p->chunk, c1 = c0 + p->chunk;
    c0 = c0 < n ? c0 : n;
    c1 = c1 < n ? c1 : n;
    size_t lo[2], hi[2];
    int nr = sb_attn_ranges(d, sb_attn_pos(d, t->i0), sb_attn_pos(d, t->i0 + t->nq - 1), lo, hi);
    for (int k = 0; k < nr; k++) {
        size_t a = lo[k] > c0 ? lo[k] : c0, b = hi[k] < c1 ? hi[k] : c1;
        for (size_t j0 = a; j0 < b; j0 += B)
            block(&ts, t->g, j0, b - j0 < B ? b - j0 : B);
    }

    for (size_t r = 0; r < ts.R; r++) {
        float *pr = part + r * p->part_stride;
        pr[0] = ts.m[r];
        pr[1] = ts.l[r];
        pr[2] = ts.flag[r] ? 1.0f : 0.0f;
    }
}

sb_status SB_ATTN_CAT(sb_attention_flash, SB_ISA_SUFFIX)(const sb_attention_desc *d)
{
    return sb_attn_flash_run(d, tile);
}
