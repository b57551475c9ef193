/* softmax_chunked_<isa>: three_pass with the first two passes done chunk by chunk, so that the second
 * read of x comes from L2 instead of memory. For each chunk of SB_CHUNK entries: its maximum, which
 * raises the running reference m (a chunk never sees an m below one of its entries); then
 * e_i = exp(x_i - m) stored in y and summed as in three_pass (binary64, with the rounding errors of
 * the stored terms), the running sum rescaled in binary64 when m rises (as in online). Last,
 * y_i = e_i * (exp(m_c - m_final) / S) per chunk c, one correctly rounded product per entry.
 * Memory traffic: x read once, y written, then read and written: 16 B per entry against three_pass's
 * 20 (in place, one more read of x first, to find the rows the vector path leaves to the reference
 * before x is overwritten). Bound: 2 ulp (docs/numerics.md). */
#include <stdint.h>

#include "simd/softmax_body.h"

#define SB_CHUNK 16384          /* floats: 64 KiB, read twice while in L2 */
#define SB_CHUNK_SLOTS 1024     /* references kept on the stack; longer rows use longer chunks */
#define SB_PREFETCH_SUB 1024 /* entries between two batches of prefetches */
#define SB_CHUNK_TINY 0x1p-100  /* below this factor the split-factor product loses accuracy */

sb_status SB_ISA_SYMBOL(sb_softmax_chunked)(const float *x, float *y, size_t n, const sb_softmax_params *p);

static int overlaps(const float *x, const float *y, size_t n)
{
    uintptr_t a = (uintptr_t)(const void *)x, b = (uintptr_t)(const void *)y, len = n * sizeof(float);
    return a < b + len && b < a + len;
}

/* y_i = RN(y_i * r) with the product in binary64: exact for any r, for the chunks far below m. */
static void scale_f64_run(float *y, size_t n, double r)
{
    size_t i = 0;
    for (; i + SB_VW <= n; i += SB_VW)
        sb_vf_storeu(y + i, sb_vf_mul_f64(sb_vf_loadu(y + i), r));
    if (i < n)
        sb_vf_store_part(y + i, sb_vf_mul_f64(sb_vf_load_part(y + i, n - i, 0.0f), r), n - i);
}

sb_status SB_ISA_SYMBOL(sb_softmax_chunked)(const float *x, float *y, size_t n, const sb_softmax_params *p)
{
    sb_status st = sb_softmax_check_args(x, y, n, p);
    if (st != SB_OK || n == 0)
        return st;
    float s = sb_sink_logit_or_neg_inf(p);
    if (isnan(s) || s == INFINITY || (s > -INFINITY && !(fabsf(s) <= SB_EXP_MAX_SHIFT)))
        return sb_simd_softmax_cold(x, y, n, p);
    if (overlaps(x, y, n)) {
        /* In place, x is overwritten chunk by chunk: find the rows that go to the reference (+inf,
         * a NaN the maximum returns, a maximum beyond the exp's range) before anything is written.
         * The cold exits left in the loop below fire only while nothing has been written yet (no
         * finite logit so far), so the result is the same as out of place, bit for bit. */
        float xmax = sb_row_max_(x, n), m = xmax > s ? xmax : s;
        if (!(xmax > -INFINITY && xmax < INFINITY) || !(fabsf(m) <= SB_EXP_MAX_SHIFT))
            return sb_simd_softmax_cold(x, y, n, p);
    }

    size_t chunk = (n + SB_CHUNK_SLOTS - 1) / SB_CHUNK_SLOTS;
    chunk = chunk < SB_CHUNK ? SB_CHUNK : (chunk + 63) / 64 * 64;
    float ref[SB_CHUNK_SLOTS];
    float m = s; /* the sink is folded into the running reference once, at the start */
    sb_vexp_row sh = sb_vexp_row_make(m > -INFINITY ? m : 0.0f, 1.0);
    sb_expsum_ acc;
    sb_expsum_init_(&acc);
    size_t c = 0;
    for (size_t b = 0; b < n; b += chunk, c++) {
        size_t len = n - b < chunk ? n - b : chunk;
        float bm = sb_row_max_(x + b, len);
        if (!(bm <= m)) { /* a larger maximum, or a NaN the maximum returned */
            if (!(bm < INFINITY) || !(fabsf(bm) <= SB_EXP_MAX_SHIFT))
                return sb_simd_softmax_cold(x, y, n, p); /* x is intact: y does not overlap it */
            if (m > -INFINITY)
                sb_expsum_scale_(&acc, exp((double)m - (double)bm));
            m = bm;
            sh = sb_vexp_row_make(m, 1.0);
        }
        ref[c] = m;
        if (m > -INFINITY) {
            /* the exp pass is compute-bound: meanwhile, fetch the next chunk into L2 for its maximum */
            size_t next = b + len < n ? (n - b - len < chunk ? n - b - len : chunk) : 0;
            size_t step = SB_PREFETCH_SUB, per = (next + len / step) / (len / step + 1);
            const char *pf = (const char *)(x + b + len);
            size_t pf_bytes = next * sizeof(float), done = 0;
            for (size_t o = 0; o < len; o += step) {
                size_t l = len - o < step ? len - o : step;
                sb_expsum_run_(x + b + o, y + b + o, l, &sh, &acc);
                for (size_t k = 0; k < per * sizeof(float) && done < pf_bytes; k += 64, done += 64)
                    __builtin_prefetch(pf + done, 0, 2);
            }
        }
        else if (sb_simd_has_nan(x + b, len)) /* no finite logit yet: the sum cannot see a NaN here */
            return sb_simd_softmax_cold(x, y, n, p);
    }
    if (m == -INFINITY) /* no finite logit (or only NaNs the maximum skipped) */
        return sb_simd_softmax_cold(x, y, n, p);
    double sum = sb_expsum_total_(&acc) + exp((double)s - (double)m) * 0x1p64;
    if (isnan(sum)) { /* a NaN in x */
        sb_fill_f32(y, n, NAN);
        return SB_OK;
    }
    double inv = 1.0 / sum;
    c = 0;
    for (size_t b = 0; b < n; b += chunk, c++) {
        size_t len = n - b < chunk ? n - b : chunk;
        double f = ref[c] == m ? inv : exp((double)ref[c] - (double)m) * inv; /* exp(-inf) = 0 */
        if (f == 0.0)
            sb_fill_f32(y + b, len, 0.0f);
        else if (f < SB_CHUNK_TINY)
            scale_f64_run(y + b, len, f);
        else
            sb_scale_run_(y + b, y + b, len, f);
    }
    return SB_OK;
}
