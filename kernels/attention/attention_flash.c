/* Flash attention, one source compiled once per ISA: a tile of query rows that share one KV head
 * (GQA heads and, in prefill, consecutive queries) streams its chunk of keys in blocks of
 * SB_ATTENTION_BLOCK: scores, online softmax with a lazy rescale, weighted sum of V. The driver
 * (attention_flash_driver.c) merges chunks with the sink and runs the threads.
 *
 * Per block and row:
 *   s_j = scale * (q . k_j) + mask_j over the visible keys (the others are "dead": never used);
 *   the reference m is an upper bound of the scores seen: when a block's maximum exceeds it, m
 *   becomes that maximum + SB_ATTENTION_RESCALE_T and l, acc are rescaled by exp(m_old - m_new); so m
 *   moves rarely (at most once per e^8 of growth) and every exp argument is <= 0;
 *   w_j = exp(s_j - m) with s_j - m exact (sb_vexp_diff); l += sum w; acc += sum w_j v_j, both
 *   summed within the block first (the sums' depth is B + blocks, not n).
 * A visible score that is not finite, or a reference beyond the exp's range (|m| > 2^27), flags the
 * row: the driver recomputes it in binary64 (docs/numerics.md decides NaN and +inf rows there).
 *
 * Two ways through the keys, with the same arithmetic and the same bound:
 *   - tiles of one query without a mask row (decode; every key of the ranges is visible to every
 *     row): stream_keys, three keys at a time, each group's K rows and V rows first read in address
 *     order (decode is memory-bound, and the hardware prefetchers follow only such reads); scores
 *     for 4 rows x 3 keys per pass over d, weights for the group in vectors, then the group's w v
 *     into the block's partial sums, software-pipelined by one group;
 *   - every other tile (prefill, masks): blocks of SB_ATTENTION_BLOCK keys, block b's scores and block
 *     b-1's weighted sum of V in one loop over key triples, the next block's rows prefetched
 *     meanwhile; scores for up to 4 rows x 3 keys per pass over d (dot_tile), w v for up to 4 rows and 3
 *     column vectors per pass over the block's keys (pv_cols).
 * docs/kernels.md gives the measurements behind both. KV are converted on load (attention_vec.h). */
#include <math.h>
#include <string.h>

#include "attention/attention_internal.h"
#include "attention/attention_kernels.h"
#include "attention/attention_vec.h"
#include "simd/exp_f32.h"

#define INLINE static inline __attribute__((always_inline))

/* B: keys per block of the block path; KG: keys per group of the one-query path */
enum { B = SB_ATTENTION_BLOCK, ROWS = SB_ATTENTION_TILE_ROWS, W = SB_VW, KG = 3 };

/* One block of keys: its rows' addresses, and per tile row its scores, then weights, and dead keys. */
typedef struct block_buf {
    size_t j0, jb;
    int any_dead;
    const void *kr[B], *vr[B];
    float w[ROWS][B];
    uint64_t dead[ROWS]; /* bit jj: key j0 + jj is not used by the row (masked, or the row is flagged) */
} block_buf;

typedef struct tile_state {
    const sb_attention_desc *d;
    size_t R, hd, g, row_bytes;
    const float *q[ROWS];
    const float *mask[ROWS];
    sb_attention_vis vis[ROWS];
    float m[ROWS], l[ROWS];
    /* one-query path: per lane i * R + r of a group's packed scores (key i, row r): m_r, -m_r,
     * sb_exp_x_floor(m_r), and 1 for a flagged row (else 0); room for a vector past the end */
    float lane_m[KG * ROWS + 16], lane_neg_m[KG * ROWS + 16], lane_floor[KG * ROWS + 16],
        lane_flag[KG * ROWS + 16], lane_l[KG * ROWS + 16]; /* lane_l: the block's part of l, per lane */
    int flag[ROWS];
    float *acc[ROWS];
    block_buf buf[2];
    float tmp[ROWS * SB_ATTENTION_MAX_HEAD_DIM]; /* a block's partial sums of w v, row by row */
    size_t ncol;                                 /* column groups of the dense weighted sum */
    unsigned short col_start[SB_ATTENTION_MAX_HEAD_DIM / 2 + 1];
    unsigned char col_vecs[SB_ATTENTION_MAX_HEAD_DIM / 2 + 1];
} tile_state;

INLINE sb_vf load_kv(const int kv, const void *row, size_t c)
{
    if (kv == SB_KV_F16)
        return sb_vf_load_f16((const uint16_t *)row + c);
    if (kv == SB_KV_BF16)
        return sb_vf_load_bf16((const uint16_t *)row + c);
    return sb_vf_loadu((const float *)row + c);
}

INLINE float load_kv1(const int kv, const void *row, size_t c)
{
    if (kv == SB_KV_F16)
        return sb_f16_to_f32(((const uint16_t *)row)[c]);
    if (kv == SB_KV_BF16)
        return sb_bf16_to_f32(((const uint16_t *)row)[c]);
    return ((const float *)row)[c];
}

/* Prefetches every 64-byte line of a row, in address order: into L1 when the row is used next
 * (near = 1: the one-query path, right before use), else into L2 (the block path, a block ahead). */
INLINE void prefetch_row(const void *row, size_t bytes, const int near)
{
    for (size_t o = 0; o < bytes; o += 64) {
        if (near)
            __builtin_prefetch((const char *)row + o, 0, 3);
        else
            __builtin_prefetch((const char *)row + o, 0, 2);
    }
}

/* ---- scores ------------------------------------------------------------------------------------- */

/* Rows r0 .. r0 + NR - 1 (NR <= 4) dotted with the NK (<= 3) key rows k[i]: out[i sk + (r0 + r) sr]
 * (the block path's w[row][key], the one-query path's packed lanes). A 4 x 3 register tile: 12
 * accumulators, the keys' vectors, and one q vector held in a register (SB_VF_PIN: folded into the
 * FMAs as memory operands, q would be loaded three times, and the loads rather than the FMAs would
 * bound the loop). */
INLINE void dot_tile(const int kv, const int NR, const int NK, const tile_state *ts, size_t r0, const void *const *k,
                     float *out, size_t sk, size_t sr)
{
    const size_t hd = ts->hd;
    const float *q[4];
    sb_vf a[3][4];
    for (int r = 0; r < 4; r++) {
        for (int i = 0; i < 3; i++)
            a[i][r] = sb_vf_zero();
        q[r] = r < NR ? ts->q[r0 + r] : NULL;
    }
    size_t c = 0;
    for (; c + W <= hd; c += W) {
        sb_vf x[3];
        for (int i = 0; i < NK; i++)
            x[i] = load_kv(kv, k[i], c);
        for (int r = 0; r < NR; r++) {
            sb_vf qv = sb_vf_loadu(q[r] + c);
            SB_VF_PIN(qv);
            for (int i = 0; i < NK; i++)
                a[i][r] = sb_vf_fma(qv, x[i], a[i][r]);
        }
    }
    if (NR == 4 && c == hd && sr == 1) { /* the common one-query case: four sums straight into place */
        for (int i = 0; i < NK; i++)
            sb_vf_hsum4(a[i][0], a[i][1], a[i][2], a[i][3], out + (size_t)i * sk + r0);
        return;
    }
    float t[3][4];
    for (int i = 0; i < NK; i++)
        sb_vf_hsum4(a[i][0], a[i][1], a[i][2], a[i][3], t[i]);
    for (; c < hd; c++)
        for (int i = 0; i < NK; i++) {
            float y = load_kv1(kv, k[i], c);
            for (int r = 0; r < NR; r++)
                t[i][r] += q[r][c] * y;
        }
    for (int i = 0; i < NK; i++)
        for (int r = 0; r < NR; r++)
            out[(size_t)i * sk + (r0 + (size_t)r) * sr] = t[i][r];
}

INLINE void dot_rows(const int kv, const int NK, const tile_state *ts, const void *const *k, float *out, size_t sk,
                     size_t sr)
{
    size_t r0 = 0;
    for (; r0 + 4 <= ts->R; r0 += 4)
        dot_tile(kv, 4, NK, ts, r0, k, out, sk, sr);
    switch (ts->R - r0) {
    case 3: dot_tile(kv, 3, NK, ts, r0, k, out, sk, sr); break;
    case 2: dot_tile(kv, 2, NK, ts, r0, k, out, sk, sr); break;
    case 1: dot_tile(kv, 1, NK, ts, r0, k, out, sk, sr); break;
    default: break;
    }
}

/* Every row's dot products with the nk (<= 3) key rows k[i]. */
INLINE void dot_group(const int kv, const tile_state *ts, const void *const *k, size_t nk, float *out, size_t sk,
                      size_t sr)
{
    switch (nk) {
    case 3: dot_rows(kv, 3, ts, k, out, sk, sr); break;
    case 2: dot_rows(kv, 2, ts, k, out, sk, sr); break;
    default: dot_rows(kv, 1, ts, k, out, sk, sr); break;
    }
}

/* Scale, mask, visibility and finiteness of row r's raw scores in block b. */
static void finish_scores(tile_state *ts, block_buf *b, size_t r)
{
    const sb_attention_desc *d = ts->d;
    const sb_attention_vis *v = &ts->vis[r];
    const size_t j0 = b->j0, jb = b->jb;
    const float *mk = ts->mask[r] ? ts->mask[r] + j0 : NULL;
    float *w = b->w[r];
    int full = (j0 >= v->lo && j0 + jb <= v->hi) || j0 + jb <= v->sink_end;
    sb_vf scale = sb_vf_set1(d->scale), bad = sb_vf_zero(), ninf = sb_vf_set1(-INFINITY);
    int any_masked = 0;
    size_t jj = 0;
    for (; jj + W <= jb; jj += W) {
        sb_vf s = sb_vf_mul(sb_vf_loadu(w + jj), scale);
        if (mk) {
            sb_vf m = sb_vf_loadu(mk + jj);
            any_masked |= sb_vm_any(sb_vf_eq(m, ninf));
            s = sb_vf_add(s, m);
        }
        bad = sb_vf_add(bad, sb_vf_sub(s, s)); /* NaN once any lane is infinite or NaN */
        sb_vf_storeu(w + jj, s);
    }
    float badf = sb_vf_reduce_add(bad);
    for (; jj < jb; jj++) {
        float s = w[jj] * d->scale;
        if (mk) {
            any_masked |= mk[jj] == -INFINITY;
            s += mk[jj];
        }
        badf += s - s;
        w[jj] = s;
    }
    uint64_t dead = 0;
    if (!full || any_masked || isnan(badf)) {
        for (jj = 0; jj < jb; jj++) {
            if ((!full && !sb_attention_vis_has(v, j0 + jj)) || (mk && mk[jj] == -INFINITY)) {
                dead |= (uint64_t)1 << jj;
                w[jj] = -INFINITY;
            } else if (!isfinite(w[jj])) {
                ts->flag[r] = 1; /* the binary64 evaluation decides this row */
                dead |= (uint64_t)1 << jj;
                w[jj] = -INFINITY;
            }
        }
    }
    b->dead[r] = dead;
    b->any_dead |= dead != 0;
}

/* exp(m_old - m_new) for the lazy rescale (m_old < m_new), with the difference exact. */
static float rescale_factor(float m_old, float m_new, const sb_vexp_table *tab)
{
    return sb_vf_reduce_max(sb_vexp_diff(sb_vf_set1(m_old), sb_vf_set1(-m_new), sb_vf_set1(sb_exp_x_floor(m_new)), tab));
}

/* row[0 .. hd) *= a (a rescale of running or partial sums). */
static void scale_row(float *row, size_t hd, float a)
{
    size_t c = 0;
    for (; c + W <= hd; c += W)
        sb_vf_storeu(row + c, sb_vf_mul(sb_vf_loadu(row + c), sb_vf_set1(a)));
    for (; c < hd; c++)
        row[c] *= a;
}

/* Online softmax step of row r over block b: lazy rescale, weights, their block sum. */
static void online_row(tile_state *ts, block_buf *b, size_t r)
{
    const size_t jb = b->jb;
    float *w = b->w[r];
    sb_vf vmax = sb_vf_set1(-INFINITY);
    size_t jj = 0;
    for (; jj + W <= jb; jj += W)
        vmax = sb_vf_max(vmax, sb_vf_loadu(w + jj));
    float bm = sb_vf_reduce_max(vmax);
    for (; jj < jb; jj++)
        bm = w[jj] > bm ? w[jj] : bm;
    if (bm == -INFINITY || ts->flag[r]) { /* nothing visible here, or the row is recomputed anyway */
        memset(w, 0, jb * sizeof(float));
        b->dead[r] = ~(uint64_t)0;
        b->any_dead = 1;
        return;
    }
    sb_vexp_table tab = sb_vexp_table_load(&sb_exp_table_unit);
    if (bm > ts->m[r]) {
        float m_new = bm + SB_ATTENTION_RESCALE_T;
        if (!(fabsf(m_new) <= SB_EXP_MAX_SHIFT)) {
            ts->flag[r] = 1; /* scores beyond the exp's exact-difference range: binary64 */
            memset(w, 0, jb * sizeof(float));
            b->dead[r] = ~(uint64_t)0;
            b->any_dead = 1;
            return;
        }
        if (ts->m[r] > -INFINITY) {
            float a = rescale_factor(ts->m[r], m_new, &tab);
            ts->l[r] *= a;
            scale_row(ts->acc[r], ts->hd, a);
        }
        ts->m[r] = m_new;
    }
    sb_vf neg_m = sb_vf_set1(-ts->m[r]), x_floor = sb_vf_set1(sb_exp_x_floor(ts->m[r]));
    sb_vf sum = sb_vf_zero();
    for (jj = 0; jj + W <= jb; jj += W) {
        sb_vf e = sb_vexp_diff(sb_vf_loadu(w + jj), neg_m, x_floor, &tab);
        sb_vf_storeu(w + jj, e);
        sum = sb_vf_add(sum, e);
    }
    float bl = sb_vf_reduce_add(sum);
    for (; jj < jb; jj++) {
        float e = sb_vf_reduce_max(sb_vexp_diff(sb_vf_set1(w[jj]), neg_m, x_floor, &tab));
        w[jj] = e;
        bl += e;
    }
    ts->l[r] += bl;
}

/* ---- weighted sum of V ---------------------------------------------------------------------------- */

/* acc_r[c .. c + NC W) += sum_jj w[r][jj] v_jj[c .. c + NC W) for rows r0 .. r0 + NR - 1 (NC <= 3
 * vectors: with 4 rows a 4 x 3 tile of accumulators, the NC v vectors and one broadcast weight fill
 * the 16 registers of AVX2): the block's sum is formed in registers, then joins the running sum once. */
INLINE void pv_cols(const int kv, const int NR, const int NC, tile_state *ts, size_t r0, const block_buf *b, size_t c)
{
    sb_vf t[4][3];
    for (int r = 0; r < NR; r++)
        for (int k = 0; k < NC; k++)
            t[r][k] = sb_vf_zero();
    for (size_t jj = 0; jj < b->jb; jj++) {
        sb_vf x[3];
        for (int k = 0; k < NC; k++)
            x[k] = load_kv(kv, b->vr[jj], c + (size_t)k * W);
        for (int r = 0; r < NR; r++) {
            sb_vf wb = sb_vf_set1(b->w[r0 + r][jj]);
            for (int k = 0; k < NC; k++)
                t[r][k] = sb_vf_fma(wb, x[k], t[r][k]);
        }
    }
    for (int r = 0; r < NR; r++) {
        float *a = ts->acc[r0 + r] + c;
        for (int k = 0; k < NC; k++)
            sb_vf_storeu(a + k * W, sb_vf_add(sb_vf_loadu(a + k * W), t[r][k]));
    }
}

/* The columns pv_cols does not cover (fewer than 2W left), every row. */
INLINE void pv_tail(const int kv, tile_state *ts, const block_buf *b, size_t c0)
{
    const size_t hd = ts->hd;
    for (size_t r = 0; r < ts->R; r++) {
        size_t c = c0;
        for (; c + W <= hd; c += W) {
            sb_vf t = sb_vf_zero();
            for (size_t jj = 0; jj < b->jb; jj++)
                t = sb_vf_fma(sb_vf_set1(b->w[r][jj]), load_kv(kv, b->vr[jj], c), t);
            sb_vf_storeu(ts->acc[r] + c, sb_vf_add(sb_vf_loadu(ts->acc[r] + c), t));
        }
        for (; c < hd; c++) {
            float t = 0.0f;
            for (size_t jj = 0; jj < b->jb; jj++)
                t += b->w[r][jj] * load_kv1(kv, b->vr[jj], c);
            ts->acc[r][c] += t;
        }
    }
}

/* Column groups of the dense weighted sum: groups of 3 vectors, then 2 (never a lone 1 when it can
 * be avoided: 4 chains of FMAs cannot hide their latency), written to ts->col_* by col_groups(). */
static size_t col_groups(tile_state *ts)
{
    size_t nv = ts->hd / W, n = 0, c = 0;
    while (nv > 0) {
        size_t g = nv >= 5 || nv == 3 ? 3 : nv >= 2 ? 2 : 1;
        ts->col_start[n] = c;
        ts->col_vecs[n++] = (unsigned char)g;
        c += g * W;
        nv -= g;
    }
    return n;
}

INLINE void pv_rows(const int kv, const int NC, tile_state *ts, const block_buf *b, size_t r0, size_t c)
{
    switch (ts->R - r0 < 4 ? ts->R - r0 : 4) {
    case 4: pv_cols(kv, 4, NC, ts, r0, b, c); break;
    case 3: pv_cols(kv, 3, NC, ts, r0, b, c); break;
    case 2: pv_cols(kv, 2, NC, ts, r0, b, c); break;
    default: pv_cols(kv, 1, NC, ts, r0, b, c); break;
    }
}

INLINE void pv_unit(const int kv, tile_state *ts, const block_buf *b, size_t r0, size_t group)
{
    size_t c = ts->col_start[group];
    switch (ts->col_vecs[group]) {
    case 3: pv_rows(kv, 3, ts, b, r0, c); break;
    case 2: pv_rows(kv, 2, ts, b, r0, c); break;
    default: pv_rows(kv, 1, ts, b, r0, c); break;
    }
}

/* Blocks with dead keys (mask, window and causal boundaries): row by row, skipping them, so that a
 * masked key's v never reaches the row. */
INLINE void pv_sparse(const int kv, tile_state *ts, const block_buf *b)
{
    const size_t hd = ts->hd;
    for (size_t r = 0; r < ts->R; r++) {
        float *t = ts->tmp + r * hd;
        for (size_t jj = 0; jj < b->jb; jj++) {
            if (b->dead[r] >> jj & 1u)
                continue;
            sb_vf wb = sb_vf_set1(b->w[r][jj]);
            size_t c = 0;
            for (; c + W <= hd; c += W)
                sb_vf_storeu(t + c, sb_vf_fma(wb, load_kv(kv, b->vr[jj], c), sb_vf_loadu(t + c)));
            for (; c < hd; c++)
                t[c] += b->w[r][jj] * load_kv1(kv, b->vr[jj], c);
        }
    }
}

/* acc_r += tmp_r (the block's sum joins the running sum once), and tmp is cleared. */
static void tmp_flush(tile_state *ts)
{
    const size_t hd = ts->hd;
    for (size_t r = 0; r < ts->R; r++) {
        float bl = ts->lane_l[r];
        for (size_t i = 1; i < KG; i++)
            bl += ts->lane_l[i * ts->R + r];
        ts->l[r] += bl;
        for (size_t i = 0; i < KG; i++)
            ts->lane_l[i * ts->R + r] = 0.0f;
        float *a = ts->acc[r], *t = ts->tmp + r * hd;
        size_t c = 0;
        for (; c + W <= hd; c += W) {
            sb_vf_storeu(a + c, sb_vf_add(sb_vf_loadu(a + c), sb_vf_loadu(t + c)));
            sb_vf_storeu(t + c, sb_vf_zero());
        }
        for (; c < hd; c++) {
            a[c] += t[c];
            t[c] = 0.0f;
        }
    }
}

/* ---- the pipeline --------------------------------------------------------------------------------- */

/* Scores of block cur (may be NULL) and the weighted sum of V of block prev (may be NULL), with the
 * next block (next_k, next_v, n_next rows) prefetched meanwhile; then cur's weights. The work on
 * prev (row groups x column pairs, each a pass over prev's keys) is interleaved with cur's key pairs,
 * so that both streams advance together. */
INLINE void step(const int kv, tile_state *ts, block_buf *cur, block_buf *prev, const void *const *next_k,
                 const void *const *next_v, size_t n_next)
{
    const size_t ncur = cur ? cur->jb : 0;
    size_t dense = prev && !prev->any_dead, groups = (ts->R + 3) / 4, cols = ts->ncol;
    size_t units = dense ? groups * cols : 0, triples = (ncur + 2) / 3;
    size_t per_unit = units ? (triples + units - 1) / units : triples, jj = 0;
    for (size_t u = 0; u <= units; u++) {
        if (u < units)
            pv_unit(kv, ts, prev, (u / cols) * 4, u % cols);
        for (size_t e = jj + 3 * per_unit; jj < e && jj < ncur; jj += 3) {
            size_t nk = ncur - jj < 3 ? ncur - jj : 3;
            for (size_t k = jj; k < jj + 3 && k < n_next; k++) {
                prefetch_row(next_k[k], ts->row_bytes, 0);
                prefetch_row(next_v[k], ts->row_bytes, 0);
            }
            dot_group(kv, ts, cur->kr + jj, nk, &cur->w[0][jj], 1, B);
        }
    }
    if (prev) {
        if (dense) {
            pv_tail(kv, ts, prev, ts->hd / W * W);
        } else {
            pv_sparse(kv, ts, prev);
            tmp_flush(ts);
        }
    }
    if (cur) {
        cur->any_dead = 0;
        for (size_t r = 0; r < ts->R; r++) {
            finish_scores(ts, cur, r);
            online_row(ts, cur, r);
        }
    }
}

static void fill_rows(const tile_state *ts, size_t j0, size_t jb, const void **kr, const void **vr)
{
    for (size_t jj = 0; jj < jb; jj++) {
        kr[jj] = sb_attention_k_row(ts->d, ts->g, j0 + jj);
        vr[jj] = sb_attention_v_row(ts->d, ts->g, j0 + jj);
    }
}

/* Streams blocks [a, b) of keys: block i's scores run with block i-1's values. */
INLINE void stream(const int kv, tile_state *ts, const size_t *lo, const size_t *hi, int nr)
{
    block_buf *prev = NULL;
    int slot = 0;
    for (int k = 0; k < nr; k++)
        for (size_t j0 = lo[k]; j0 < hi[k]; j0 += B) {
            block_buf *cur = &ts->buf[slot];
            cur->j0 = j0;
            cur->jb = hi[k] - j0 < B ? hi[k] - j0 : B;
            fill_rows(ts, cur->j0, cur->jb, cur->kr, cur->vr);
            /* the block after cur, for prefetching */
            size_t nj = j0 + B, nk = k;
            if (nj >= hi[k] && k + 1 < nr)
                nj = lo[++nk];
            size_t n_next = nj < hi[nk] ? (hi[nk] - nj < B ? hi[nk] - nj : B) : 0;
            const void *next_k[B], *next_v[B];
            fill_rows(ts, nj, n_next, next_k, next_v);
            step(kv, ts, cur, prev, next_k, next_v, n_next);
            prev = cur;
            slot ^= 1;
        }
    if (prev)
        step(kv, ts, NULL, prev, NULL, NULL, 0);
}

static void stream_f32(tile_state *ts, const size_t *lo, const size_t *hi, int nr) { stream(SB_KV_F32, ts, lo, hi, nr); }
static void stream_f16(tile_state *ts, const size_t *lo, const size_t *hi, int nr) { stream(SB_KV_F16, ts, lo, hi, nr); }
static void stream_bf16(tile_state *ts, const size_t *lo, const size_t *hi, int nr) { stream(SB_KV_BF16, ts, lo, hi, nr); }

/* ---- one query per tile (decode): keys one at a time ------------------------------------------------ */

/* Decode is memory-bound, and on the machine measured the hardware prefetchers keep DRAM busy only
 * while the rows are requested in address order: loads that interleave several rows (the dot tile's
 * three K rows, the weighted sum's three V rows) or long phases between a key's score and its
 * weighted sum (the block path) starve them, and prefetching far ahead does not make up for it. So
 * this path takes KG keys at a time, first prefetches every line of their K rows and then of their V
 * rows in order (prefetch_row, into L1: the hardware prefetchers follow such a stream, while the
 * kernel's own loads interleave the group's rows; 6-15 % faster than reading one byte per line,
 * docs/attention.md), then computes their scores, weights and weighted sum. It runs
 * for tiles of one query without a mask row, where every key of the ranges is visible to every row
 * (docs/attention.md has the measurements). */

/* Raises row r's reference to m_new (> m), rescaling l, its per-lane block parts, acc and the block's
 * partial sums by exp(m - m_new). 0 when m_new is beyond the exp's exact-difference range (the row is then
 * flagged by the caller). */
static int raise_reference(tile_state *ts, size_t r, float m_new, const sb_vexp_table *tab)
{
    if (!(fabsf(m_new) <= SB_EXP_MAX_SHIFT))
        return 0;
    if (ts->m[r] > -INFINITY) {
        float a = rescale_factor(ts->m[r], m_new, tab);
        ts->l[r] *= a;
        for (size_t i = 0; i < KG; i++)
            ts->lane_l[i * ts->R + r] *= a;
        scale_row(ts->acc[r], ts->hd, a);
        scale_row(ts->tmp + r * ts->hd, ts->hd, a);
    }
    ts->m[r] = m_new;
    float fl = sb_exp_x_floor(m_new);
    for (size_t i = 0; i < KG; i++) {
        ts->lane_m[i * ts->R + r] = m_new;
        ts->lane_neg_m[i * ts->R + r] = -m_new;
        ts->lane_floor[i * ts->R + r] = fl;
    }
    return 1;
}

/* The packed scores sw[i R + r] of nk keys -> weights exp(scale s - m_r), with the lazy rescale and
 * the flags of the block path (online_row); a flagged row gets weights 0 (it is recomputed in
 * binary64). The rows are checked in vectors; the scalar pass runs only when a row needs a larger
 * reference or has a score that is not finite (and for the first group). */
static void weights_group(tile_state *ts, float *sw, size_t nk, const sb_vexp_table *tab)
{
    const size_t R = ts->R, cnt = nk * R;
    const sb_vf scale = sb_vf_set1(ts->d->scale), zero = sb_vf_zero();
    sb_vf check = zero;
    for (size_t o = 0; o < cnt; o += W) {
        sb_vf v = sb_vf_mul(sb_vf_loadu(sw + o), scale);
        sb_vf_storeu(sw + o, v);
        /* NaN where the lane needs the scalar pass: not finite, or above the row's reference */
        sb_vf u = sb_vf_select(sb_vf_lt(sb_vf_loadu(ts->lane_m + o), v), sb_vf_set1(NAN), sb_vf_sub(v, v));
        u = sb_vf_select(sb_vf_lt(zero, sb_vf_loadu(ts->lane_flag + o)), zero, u); /* flagged: decided */
        if (cnt - o < W)
            u = sb_vf_select(sb_vm_first(cnt - o), u, zero);
        check = sb_vf_add(check, u);
    }
    if (sb_vm_any(sb_vf_lt(zero, sb_vf_select(sb_vf_eq(check, check), zero, sb_vf_set1(1.0f))))) {
        for (size_t r = 0; r < R; r++) {
            if (ts->flag[r])
                continue;
            float bm = -INFINITY;
            int finite = 1;
            for (size_t i = 0; i < nk; i++) {
                float v = sw[i * R + r];
                finite &= v - v == 0.0f;
                bm = v > bm ? v : bm;
            }
            if (!finite || (bm > ts->m[r] && !raise_reference(ts, r, bm + SB_ATTENTION_RESCALE_T, tab))) {
                ts->flag[r] = 1; /* the binary64 evaluation decides this row */
                for (size_t i = 0; i < KG; i++)
                    ts->lane_flag[i * R + r] = 1.0f;
            }
        }
    }
    for (size_t o = 0; o < cnt; o += W) {
        sb_vf v = sb_vf_select(sb_vf_lt(zero, sb_vf_loadu(ts->lane_flag + o)), sb_vf_set1(-INFINITY), sb_vf_loadu(sw + o));
        v = sb_vexp_diff(v, sb_vf_loadu(ts->lane_neg_m + o), sb_vf_loadu(ts->lane_floor + o), tab);
        sb_vf_storeu(sw + o, v);
        if (cnt - o < W)
            v = sb_vf_select(sb_vm_first(cnt - o), v, zero);
        sb_vf_storeu(ts->lane_l + o, sb_vf_add(sb_vf_loadu(ts->lane_l + o), v));
    }
}

/* tmp_r += sum_i w_i[r] v_i for rows r0 .. r0 + NR - 1 and NK keys: the weights in registers, the
 * keys' V rows read together column by column, tmp updated once per column vector. */
INLINE void pv_group(const int kv, const int NR, const int NK, tile_state *ts, size_t r0, const void *const *vr,
                     const float *w)
{
    const size_t hd = ts->hd;
    sb_vf wb[4][KG];
    for (int r = 0; r < NR; r++)
        for (int i = 0; i < NK; i++)
            wb[r][i] = sb_vf_set1(w[i * ts->R + r0 + r]);
    size_t c = 0;
    for (; c + W <= hd; c += W) {
        sb_vf x[KG];
        for (int i = 0; i < NK; i++)
            x[i] = load_kv(kv, vr[i], c);
        for (int r = 0; r < NR; r++) {
            float *t = ts->tmp + (r0 + r) * hd + c;
            sb_vf a = sb_vf_loadu(t);
            for (int i = 0; i < NK; i++)
                a = sb_vf_fma(wb[r][i], x[i], a);
            sb_vf_storeu(t, a);
        }
    }
    for (; c < hd; c++)
        for (int r = 0; r < NR; r++) {
            float a = ts->tmp[(r0 + r) * hd + c];
            for (int i = 0; i < NK; i++)
                a += w[i * ts->R + r0 + r] * load_kv1(kv, vr[i], c);
            ts->tmp[(r0 + r) * hd + c] = a;
        }
}

INLINE void pv_group_rows(const int kv, const int NK, tile_state *ts, const void *const *vr, const float *w)
{
    size_t r0 = 0;
    for (; r0 + 4 <= ts->R; r0 += 4)
        pv_group(kv, 4, NK, ts, r0, vr, w);
    switch (ts->R - r0) {
    case 3: pv_group(kv, 3, NK, ts, r0, vr, w); break;
    case 2: pv_group(kv, 2, NK, ts, r0, vr, w); break;
    case 1: pv_group(kv, 1, NK, ts, r0, vr, w); break;
    default: break;
    }
}

INLINE void pv_group_any(const int kv, tile_state *ts, const void *const *vr, const float *w, size_t nk)
{
    switch (nk) {
    case 3: pv_group_rows(kv, 3, ts, vr, w); break;
    case 2: pv_group_rows(kv, 2, ts, vr, w); break;
    default: pv_group_rows(kv, 1, ts, vr, w); break;
    }
}

/* Software-pipelined by one group: group g's scores, then group g-1's weighted sum (its weights are
 * ready by then: the exp's latency is hidden behind g's dot products), then g's weights. A rescale
 * in g's weights then finds g-1's sum already in tmp. */
INLINE void stream_keys(const int kv, tile_state *ts, const size_t *lo, const size_t *hi, int nr)
{
    sb_vexp_table tab = sb_vexp_table_load(&sb_exp_table_unit);
    float sw[2][KG * ROWS + 16];
    const void *vr[2][KG];
    size_t nk[2] = {0, 0}, in_block = 0;
    int cur = 0;
    for (int s = 0; s < 2; s++)
        for (size_t i = 0; i < KG * ROWS + 16; i++)
            sw[s][i] = 0.0f; /* lanes past a group's end are computed, never used */
    for (int k = 0; k <= nr; k++)
        for (size_t j = k < nr ? lo[k] : 0; k == nr || j < hi[k]; j += KG) {
            size_t n = k == nr ? 0 : hi[k] - j < KG ? hi[k] - j : KG;
            const void *kr[KG];
            for (size_t i = 0; i < n; i++) {
                kr[i] = sb_attention_k_row(ts->d, ts->g, j + i);
                vr[cur][i] = sb_attention_v_row(ts->d, ts->g, j + i);
                prefetch_row(kr[i], ts->row_bytes, 1);
            }
            for (size_t i = 0; i < n; i++)
                prefetch_row(vr[cur][i], ts->row_bytes, 1);
            if (n)
                dot_group(kv, ts, kr, n, sw[cur], ts->R, 1);
            int prev = cur ^ 1;
            if (nk[prev]) {
                pv_group_any(kv, ts, vr[prev], sw[prev], nk[prev]);
                in_block += nk[prev];
                if (in_block + KG > B) { /* the partial sums' depth stays below B, as in the block path */
                    tmp_flush(ts);
                    in_block = 0;
                }
            }
            nk[cur] = n;
            if (n == 0)
                break;
            weights_group(ts, sw[cur], n, &tab);
            cur = prev;
        }
    tmp_flush(ts);
}

static void keys_f32(tile_state *ts, const size_t *lo, const size_t *hi, int nr) { stream_keys(SB_KV_F32, ts, lo, hi, nr); }
static void keys_f16(tile_state *ts, const size_t *lo, const size_t *hi, int nr) { stream_keys(SB_KV_F16, ts, lo, hi, nr); }
static void keys_bf16(tile_state *ts, const size_t *lo, const size_t *hi, int nr) { stream_keys(SB_KV_BF16, ts, lo, hi, nr); }

static void tile(const sb_attention_plan *p, const sb_attention_tile *t, size_t split, float *part)
{
    const sb_attention_desc *d = p->d;
    tile_state ts_storage;
    tile_state *ts = &ts_storage;
    ts->d = d;
    ts->R = t->nq * t->nh;
    ts->hd = d->head_dim;
    ts->g = t->g;
    ts->row_bytes = d->head_dim * sb_kv_size(d->kv_type);
    ts->ncol = col_groups(ts);
    memset(ts->tmp, 0, ts->R * ts->hd * sizeof(float));
    for (size_t i = 0; i < KG * ROWS + 16; i++) { /* lanes past the rows are computed, never used */
        ts->lane_m[i] = -INFINITY;
        ts->lane_neg_m[i] = 0.0f;
        ts->lane_floor[i] = sb_exp_x_floor(0.0f);
        ts->lane_flag[i] = 0.0f;
        ts->lane_l[i] = 0.0f;
    }
    for (size_t r = 0; r < ts->R; r++) {
        size_t i = t->i0 + r / t->nh, h = t->h0 + r % t->nh;
        ts->q[r] = sb_attention_q_row(d, i, h);
        ts->mask[r] = sb_attention_mask_row(d, i);
        ts->vis[r] = sb_attention_visible(d, sb_attention_pos(d, i));
        ts->m[r] = -INFINITY;
        ts->l[r] = 0.0f;
        ts->flag[r] = 0;
        ts->acc[r] = part + r * p->part_stride + SB_ATTENTION_PART_HEADER;
        memset(ts->acc[r], 0, ts->hd * sizeof(float));
    }

    /* the tile's visible key ranges within this split's chunk */
    size_t n = d->n_keys, c0 = split * p->chunk, c1 = c0 + p->chunk, lo[2], hi[2];
    c0 = c0 < n ? c0 : n;
    c1 = c1 < n ? c1 : n;
    int nr = sb_attention_ranges(d, sb_attention_pos(d, t->i0), sb_attention_pos(d, t->i0 + t->nq - 1), lo, hi), m = 0;
    for (int k = 0; k < nr; k++) {
        size_t a = lo[k] > c0 ? lo[k] : c0, b = hi[k] < c1 ? hi[k] : c1;
        if (a < b) {
            lo[m] = a;
            hi[m++] = b;
        }
    }
    int one_query = t->nq == 1 && !ts->mask[0]; /* every key of the ranges is visible to every row */
    if (d->kv_type == SB_KV_F16)
        (one_query ? keys_f16 : stream_f16)(ts, lo, hi, m);
    else if (d->kv_type == SB_KV_BF16)
        (one_query ? keys_bf16 : stream_bf16)(ts, lo, hi, m);
    else
        (one_query ? keys_f32 : stream_f32)(ts, lo, hi, m);

    for (size_t r = 0; r < ts->R; r++) {
        float *pr = part + r * p->part_stride;
        pr[0] = ts->m[r];
        pr[1] = ts->l[r];
        pr[2] = ts->flag[r] ? 1.0f : 0.0f;
    }
}

sb_status SB_ISA_SYMBOL(sb_attention_flash)(const sb_attention_desc *d)
{
    return sb_attention_flash_run(d, tile);
}
