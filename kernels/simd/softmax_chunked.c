/* softmax_chunked_<isa>: three_pass with the first two passes done chunk by chunk, so that the second
 * read of x comes from L2 instead of memory. Every chunk of `chunk` entries is computed on its own:
 * its maximum m_c, then e_i = exp(x_i - m_c) stored in y and summed as in three_pass (binary64, with
 * the rounding errors of the stored terms) into S_c. A merge, in chunk order, takes the row maximum
 * M = max(max_c m_c, s), the sum S = sum_c S_c exp(m_c - M) + exp(s - M) (the sink enters once, here)
 * and each chunk's factor F_c = exp(m_c - M) / S, all in binary64. Last, y_i = e_i * F_c per chunk,
 * one correctly rounded product per entry.
 *
 * Because a chunk's work depends on that chunk alone and the merge runs in a fixed order, the chunks
 * can be spread over threads (sb_softmax_chunked_threads_<isa>, the batched API's long rows) and
 * every thread count gives the same bits as one thread.
 *
 * Memory traffic: x read once, y written, then read and written: 16 B per entry against three_pass's
 * 20 (in place, one more read of x first: the chunk maxima, to find the rows the vector path leaves
 * to the reference before x is overwritten). Bound: 2 ulp (docs/numerics.md). */
#include <stdint.h>

#include "core/pool.h"
#include "simd/softmax_body.h"

#define SB_CHUNK 16384          /* floats: 64 KiB, read twice while in L2 */
#define SB_CHUNK_SLOTS 1024     /* chunk records kept on the stack; longer rows use longer chunks */
#define SB_PREFETCH_SUB 1024    /* entries between two batches of prefetches */
#define SB_CHUNK_TINY 0x1p-100  /* below this factor the split-factor product loses accuracy */
#define SB_CHUNK_UNITS_PER_THREAD 4 /* work units per thread: a thread the machine delays does not hold
                                     * the others back; a unit is a run of whole chunks */

sb_status SB_ISA_SYMBOL(sb_softmax_chunked)(const float *x, float *y, size_t n, const sb_softmax_params *p);
sb_status SB_ISA_SYMBOL(sb_softmax_chunked_threads)(const float *x, float *y, size_t n, const sb_softmax_params *p,
                                                    size_t threads);

/* What a chunk leaves for the merge. */
enum { CHUNK_FINITE, CHUNK_EMPTY, CHUNK_NAN, CHUNK_COLD };
typedef struct chunk_part {
    float m;      /* the chunk's maximum */
    int kind;     /* CHUNK_*: finite maximum; no finite logit; a NaN; a row for the reference */
    double sum;   /* S_c * 2^64 (finite chunks); after the merge: the chunk's factor F_c */
} chunk_part;

typedef struct chunked_job {
    const float *x;
    float *y;
    size_t n, chunk, chunks, units;
    int have_max;      /* in place: part[c].m already holds the chunk's maximum */
    chunk_part *part;
} chunked_job;

static int overlaps(const float *x, const float *y, size_t n)
{
    uintptr_t a = (uintptr_t)(const void *)x, b = (uintptr_t)(const void *)y, len = n * sizeof(float);
    return a < b + len && b < a + len;
}

static void unit_range(const chunked_job *j, size_t u, size_t *c0, size_t *c1)
{
    *c0 = u * j->chunks / j->units;
    *c1 = (u + 1) * j->chunks / j->units;
}

static size_t chunk_len(const chunked_job *j, size_t c)
{
    size_t b = c * j->chunk;
    return j->n - b < j->chunk ? j->n - b : j->chunk;
}

/* Classifies a chunk by its maximum bm (x86's max may have skipped a NaN: the sum finds it). */
static int chunk_kind(float bm)
{
    if (isnan(bm))
        return CHUNK_NAN;
    if (bm == -INFINITY)
        return CHUNK_EMPTY;
    if (!(bm < INFINITY) || !(fabsf(bm) <= SB_EXP_MAX_SHIFT))
        return CHUNK_COLD; /* +inf, or beyond the exp's exact-argument range */
    return CHUNK_FINITE;
}

/* In place only: the maxima, before anything is written. */
static void unit_max(void *ctx, size_t u)
{
    const chunked_job *j = ctx;
    size_t c0, c1;
    unit_range(j, u, &c0, &c1);
    for (size_t c = c0; c < c1; c++)
        j->part[c].m = sb_row_max_(j->x + c * j->chunk, chunk_len(j, c));
}

/* Pass 1 over a unit's chunks: maximum, stored terms, their sum. */
static void unit_expsum(void *ctx, size_t u)
{
    const chunked_job *j = ctx;
    size_t c0, c1;
    unit_range(j, u, &c0, &c1);
    for (size_t c = c0; c < c1; c++) {
        size_t b = c * j->chunk, len = chunk_len(j, c);
        chunk_part *pc = &j->part[c];
        float bm = j->have_max ? pc->m : sb_row_max_(j->x + b, len);
        pc->m = bm;
        pc->sum = 0.0;
        pc->kind = chunk_kind(bm);
        if (pc->kind == CHUNK_EMPTY && sb_simd_has_nan(j->x + b, len))
            pc->kind = CHUNK_NAN; /* no sum sees a NaN among -inf entries */
        if (pc->kind != CHUNK_FINITE)
            continue;
        sb_vexp_row sh = sb_vexp_row_make(bm, 1.0);
        sb_expsum_ acc;
        sb_expsum_init_(&acc);
        /* the exp pass is compute-bound: meanwhile, fetch the unit's next chunk into L2 for its
         * maximum */
        size_t next = c + 1 < c1 ? chunk_len(j, c + 1) : 0;
        size_t step = SB_PREFETCH_SUB, per = (next + len / step) / (len / step + 1);
        const char *pf = (const char *)(j->x + b + len);
        size_t pf_bytes = next * sizeof(float), done = 0;
        for (size_t o = 0; o < len; o += step) {
            size_t l = len - o < step ? len - o : step;
            sb_expsum_run_(j->x + b + o, j->y + b + o, l, &sh, &acc);
            for (size_t k = 0; k < per * sizeof(float) && done < pf_bytes; k += 64, done += 64)
                __builtin_prefetch(pf + done, 0, 2);
        }
        pc->sum = sb_expsum_total_(&acc);
    }
}

/* y_i = RN(y_i * r) with the product in binary64: exact for any r, for the chunks far below M. */
static void scale_f64_run(float *y, size_t n, double r)
{
    size_t i = 0;
    for (; i + SB_VW <= n; i += SB_VW)
        sb_vf_storeu(y + i, sb_vf_mul_f64(sb_vf_loadu(y + i), r));
    if (i < n)
        sb_vf_store_part(y + i, sb_vf_mul_f64(sb_vf_load_part(y + i, n - i, 0.0f), r), n - i);
}

/* Pass 2 over a unit's chunks: y_i = e_i * F_c. */
static void unit_scale(void *ctx, size_t u)
{
    const chunked_job *j = ctx;
    size_t c0, c1;
    unit_range(j, u, &c0, &c1);
    for (size_t c = c0; c < c1; c++) {
        float *yc = j->y + c * j->chunk;
        size_t len = chunk_len(j, c);
        double f = j->part[c].sum;
        if (f == 0.0)
            sb_fill_f32(yc, len, 0.0f);
        else if (f < SB_CHUNK_TINY)
            scale_f64_run(yc, len, f);
        else
            sb_scale_run_(yc, yc, len, f);
    }
}

static void run_units(chunked_job *j, size_t threads, sb_pool_fn fn)
{
    if (threads <= 1 || j->units <= 1) {
        for (size_t u = 0; u < j->units; u++)
            fn(j, u);
        return;
    }
    sb_pool_parallel_for(j->units, threads, fn, j);
}

sb_status SB_ISA_SYMBOL(sb_softmax_chunked_threads)(const float *x, float *y, size_t n, const sb_softmax_params *p,
                                                    size_t threads)
{
    sb_status st = sb_softmax_check_args(x, y, n, p);
    if (st != SB_OK || n == 0)
        return st;
    float s = sb_sink_logit_or_neg_inf(p);
    if (isnan(s) || s == INFINITY || (s > -INFINITY && !(fabsf(s) <= SB_EXP_MAX_SHIFT)))
        return sb_simd_softmax_cold(x, y, n, p);

    chunk_part part[SB_CHUNK_SLOTS];
    chunked_job j;
    j.x = x;
    j.y = y;
    j.n = n;
    j.chunk = (n + SB_CHUNK_SLOTS - 1) / SB_CHUNK_SLOTS;
    j.chunk = j.chunk < SB_CHUNK ? SB_CHUNK : (j.chunk + 63) / 64 * 64;
    j.chunks = (n + j.chunk - 1) / j.chunk;
    j.units = threads <= 1 ? 1 : threads * SB_CHUNK_UNITS_PER_THREAD;
    if (j.units > j.chunks)
        j.units = j.chunks;
    j.have_max = 0;
    j.part = part;

    if (overlaps(x, y, n)) {
        /* In place, x is overwritten chunk by chunk: find the rows that go to the reference (+inf, a
         * maximum beyond the exp's range) before anything is written. */
        run_units(&j, threads, unit_max);
        for (size_t c = 0; c < j.chunks; c++)
            if (chunk_kind(part[c].m) == CHUNK_COLD)
                return sb_simd_softmax_cold(x, y, n, p);
        j.have_max = 1;
    }
    run_units(&j, threads, unit_expsum);

    /* The merge, in chunk order. Out of place, a chunk for the reference leaves x intact; in place
     * none is left (see above). A row without a finite logit and without a sink wrote nothing. */
    double m = s;
    int nan = 0;
    for (size_t c = 0; c < j.chunks; c++) {
        if (part[c].kind == CHUNK_COLD)
            return sb_simd_softmax_cold(x, y, n, p);
        nan |= part[c].kind == CHUNK_NAN;
        if (part[c].kind == CHUNK_FINITE && part[c].m > m)
            m = part[c].m;
    }
    if (nan) {
        sb_fill_f32(y, n, NAN);
        return SB_OK;
    }
    if (m == -INFINITY)
        return sb_simd_softmax_cold(x, y, n, p);
    double sum = 0.0;
    for (size_t c = 0; c < j.chunks; c++)
        if (part[c].kind == CHUNK_FINITE)
            sum += (double)part[c].m == m ? part[c].sum : part[c].sum * exp((double)part[c].m - m);
    sum += exp((double)s - m) * 0x1p64; /* the sink, once; exp(-inf) = 0 */
    if (isnan(sum)) { /* a NaN in x among finite logits */
        sb_fill_f32(y, n, NAN);
        return SB_OK;
    }
    double inv = 1.0 / sum;
    for (size_t c = 0; c < j.chunks; c++)
        part[c].sum = part[c].kind != CHUNK_FINITE ? 0.0
                      : (double)part[c].m == m     ? inv
                                                   : exp((double)part[c].m - m) * inv;
    run_units(&j, threads, unit_scale);
    return SB_OK;
}

sb_status SB_ISA_SYMBOL(sb_softmax_chunked)(const float *x, float *y, size_t n, const sb_softmax_params *p)
{
    return SB_ISA_SYMBOL(sb_softmax_chunked_threads)(x, y, n, p, 1);
}
