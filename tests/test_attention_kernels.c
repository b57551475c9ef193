/* Every attention kernel against the binary64 reference under the contract, on random problems:
 * decode across head groupings, head dims, context lengths (1 .. 32 K), KV types, sinks (learned
 * gaps up to 120, softmax_1, sink tokens first and last), masks, windows, strides with padding and
 * misaligned buffers; split-KV for 1 .. 64 splits (empty and fully masked chunks included) against
 * the reference and against the unsplit kernel; causal prefill; and bit-identical results for every
 * thread count. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check/attention_contract.h"
#include "sinkbench/sinkbench.h"
#include "test_attention_problem.h"
#include "testkit.h"

static sb_rng rng;
static double worst_c[64];  /* per kernel: largest measured error in units of 2^-24 max|v| */
static double worst_ratio[64];

static int is_flash(const sb_attention_kernel *k) { return strcmp(k->algorithm, "flash") == 0; }

static int runnable(const sb_attention_kernel *k) { return k->supported() && !(k->flags & SB_KERNEL_PLUGIN); }

static const char *kv_name(sb_kv_type t) { return t == SB_KV_F16 ? "f16" : t == SB_KV_BF16 ? "bf16" : "f32"; }

static void describe(const sb_attention_spec *s, char *buf, size_t size)
{
    snprintf(buf, size,
             "H=%zu/%zu d=%zu n=%zu nq=%zu %s%s pad=%zu mis=%zu%s W=%zu st=%zu mask=%d/%.2g tok=%g%s sink=%d/%g",
             s->H, s->Hkv, s->d, s->n, s->nq, kv_name(s->kv), s->token_major_kv ? " token-major" : "", s->pad,
             s->misalign, s->causal ? " causal" : "", s->window, s->sink_tokens, s->mask, s->mask_neg_inf,
             s->token_gap, s->token_last ? " last" : "", (int)s->sink, s->sink_gap);
}

/* Runs kernel k on the problem with the given splits and threads and checks it against e. */
static void run_checked(const sb_attention_kernel *k, size_t ki, sb_attention_problem *p, const sb_attention_expected *e,
                        size_t splits, size_t threads)
{
    sb_attention_desc d = p->d;
    d.n_splits = splits;
    d.n_threads = TA_THREADS(threads);
    sb_attention_contract_result r;
    int ok = sb_attention_contract_run(k, &d, e, &r);
    char what[256];
    describe(&p->spec, what, sizeof what);
    TK_CHECK(ok, "%s: %s", what, r.message);
    if (ki < 64) {
        worst_c[ki] = r.max_c > worst_c[ki] ? r.max_c : worst_c[ki];
        worst_ratio[ki] = r.max_ratio > worst_ratio[ki] ? r.max_ratio : worst_ratio[ki];
    }
}

/* Every kernel on one problem; flash kernels with the spec's splits and threads. */
static void check_problem(const sb_attention_spec *s, int with_reference_kernels)
{
    sb_attention_problem p;
    sb_attention_expected e;
    if (!sb_attention_problem_build_expected(&p, s, &rng, &e)) {
        TK_CHECK(0, "out of memory");
        return;
    }
    for (size_t ki = 0; ki < sb_attention_kernel_count(); ki++) {
        const sb_attention_kernel *k = sb_attention_kernel_at(ki);
        if (!runnable(k) || (!is_flash(k) && !with_reference_kernels))
            continue;
        run_checked(k, ki, &p, &e, is_flash(k) ? s->splits : 1, is_flash(k) ? s->threads : 1);
    }
    sb_attention_expected_free(&e);
    sb_attention_problem_free(&p);
}

/* ---- decode ------------------------------------------------------------------------------------- */

static void test_decode_shapes(void)
{
    static const size_t heads[][2] = {{1, 1}, {4, 4}, {8, 2}, {32, 8}, {6, 1}, {20, 1}, {40, 2}};
    static const size_t dims[] = {64, 128, 256, 8, 16, 24, 72, 1, 3, 5, 13, 100};
    static const size_t lens[] = {1, 2, 7, 63, 64, 65, 129, 1000};
    size_t cases = 0;
    for (size_t hi = 0; hi < sizeof heads / sizeof heads[0]; hi++)
        for (size_t di = 0; di < sizeof dims / sizeof dims[0]; di++) {
            size_t n = lens[(hi * 5 + di) % 8];
            if (!TA_BIG && heads[hi][0] >= 20 && dims[di] >= 128)
                n = n > 65 ? 65 : n;
            sb_attention_spec s = sb_attention_spec_default(heads[hi][0], heads[hi][1], dims[di], n, 1);
            s.kv = (sb_kv_type)((hi + di) % 3);
            s.token_major_kv = (int)(di % 2);
            s.pad = (hi + di) % 4 == 1 ? 3 : 0;
            s.misalign = di % 3;
            s.sink = (sb_attention_sink)((hi * 3 + di) % 3);
            s.sink_gap = (double)((di * 7) % 20) - 5.0;
            s.mask = (int)((hi + 2 * di) % 3 == 0);
            s.mask_neg_inf = s.mask && di % 2 ? 0.3 : 0.0;
            check_problem(&s, 1);
            cases++;
        }
    printf("decode: %zu problems\n", cases);
}

/* Sinks of every size: learned logits with gaps up to 120, softmax_1, sink tokens first and last. */
static void test_sink_gaps(void)
{
    static const double gaps[] = {-10, 0, 3, 10.5, 12.9, 15.2, 30, 60, 90, 120};
    size_t n = TA_BIG ? 4096 : 512;
    for (size_t gi = 0; gi < sizeof gaps / sizeof gaps[0]; gi++) {
        sb_attention_spec s = sb_attention_spec_default(8, 2, 64, n, 1);
        s.kv = (sb_kv_type)(gi % 3);
        s.sink = SB_ATTENTION_SINK_LOGITS;
        s.sink_gap = gaps[gi];
        s.splits = 1 + gi % 4 * 5;
        check_problem(&s, gi % 3 == 0);
        /* a sink token: the mask lifts the first (or the last) key by the gap */
        s.sink = gi % 2 ? SB_ATTENTION_SINK_SOFTMAX1 : SB_ATTENTION_SINK_NONE;
        s.token_gap = gaps[gi] > 0 ? gaps[gi] + 4.0 : 1.0;
        s.token_last = (int)(gi % 2);
        s.q_scale = 0.5;
        check_problem(&s, 0);
    }
}

/* Context lengths 1 .. 32 K, with GQA 16 / 4, d = 128 at the long end. */
static void test_long_context(void)
{
    size_t top = TA_BIG ? 32768 : 4096;
    for (size_t n = 1; n <= top; n *= 8) {
        sb_attention_spec s = sb_attention_spec_default(4, 1, 64, n, 1);
        s.kv = (sb_kv_type)(n % 3);
        s.sink = SB_ATTENTION_SINK_LOGITS;
        s.sink_gap = 5.0;
        s.splits = n > 100 ? 7 : 1;
        check_problem(&s, n <= 4096);
    }
    sb_attention_spec s = sb_attention_spec_default(16, 4, 128, top, 1);
    s.kv = SB_KV_BF16;
    s.sink = SB_ATTENTION_SINK_LOGITS;
    s.sink_gap = 2.0;
    s.window = top / 2;
    s.sink_tokens = 4;
    s.splits = 64;
    s.threads = 2;
    check_problem(&s, 0);
}

/* ---- split-KV ----------------------------------------------------------------------------------- */

/* Every split count against the reference and against the unsplit kernel, with lengths below,
 * around and above the split count, windows that leave whole chunks fully masked, and masks. */
static void test_splits(void)
{
    static const size_t splits[] = {1, 2, 3, 4, 5, 7, 8, 13, 16, 31, 32, 64};
    static const size_t lens[] = {0, 1, 5, 64, 100, 1000, 3000};
    const sb_attention_kernel *flash = sb_attention_dispatch();
    if (!flash)
        return;
    for (size_t li = 0; li < sizeof lens / sizeof lens[0]; li++) {
        sb_attention_spec s = sb_attention_spec_default(8, 2, 40, lens[li], 1);
        s.kv = (sb_kv_type)(li % 3);
        s.sink = li % 2 ? SB_ATTENTION_SINK_LOGITS : SB_ATTENTION_SINK_SOFTMAX1;
        s.sink_gap = 2.0 * (double)li;
        s.window = li % 3 == 2 ? lens[li] / 4 + 1 : 0;
        s.sink_tokens = li % 3 == 2 ? 3 : 0;
        s.mask = (int)(li % 2);
        s.mask_neg_inf = li == 3 ? 1.0 : 0.1; /* one case fully masked */
        sb_attention_problem p;
        sb_attention_expected e;
        if (!sb_attention_problem_build_expected(&p, &s, &rng, &e)) {
            TK_CHECK(0, "out of memory");
            return;
        }
        size_t rows = s.H, hd = s.d;
        float *base = malloc(rows * hd * sizeof(float));
        if (!base) {
            TK_CHECK(0, "out of memory");
            return;
        }
        sb_attention_desc d = p.d;
        d.n_splits = 1;
        TK_CHECK(flash->fn(&d) == SB_OK, "unsplit");
        for (size_t h = 0; h < rows; h++)
            memcpy(base + h * hd, d.out + h * d.out_stride_head, hd * sizeof(float));
        for (size_t si = 0; si < sizeof splits / sizeof splits[0]; si++) {
            for (size_t ki = 0; ki < sb_attention_kernel_count(); ki++) {
                const sb_attention_kernel *k = sb_attention_kernel_at(ki);
                if (runnable(k) && is_flash(k))
                    run_checked(k, ki, &p, &e, splits[si], 1 + si % 3);
            }
            /* agreement with the unsplit kernel: within the sum of both bounds */
            d.n_splits = splits[si];
            TK_CHECK(flash->fn(&d) == SB_OK, "split");
            for (size_t h = 0; h < rows; h++) {
                sb_attention_desc d1 = d;
                d1.n_splits = 1;
                double tol = sb_attention_tolerance(flash, &d1, e.v_max[h], e.residual[h], e.score_size[h]) +
                             sb_attention_tolerance(flash, &d, e.v_max[h], e.residual[h], e.score_size[h]);
                for (size_t c = 0; c < hd; c++) {
                    double a = base[h * hd + c], b = d.out[h * d.out_stride_head + c];
                    TK_CHECK((isnan(a) && isnan(b)) || fabs(a - b) <= tol,
                             "split %zu vs unsplit, n=%zu head %zu: %.9g vs %.9g", splits[si], s.n, h, b, a);
                }
            }
        }
        free(base);
        sb_attention_expected_free(&e);
        sb_attention_problem_free(&p);
    }
}

/* ---- prefill ------------------------------------------------------------------------------------ */

static void test_prefill(void)
{
    static const size_t lens[] = {1, 2, 17, 64, 65, 130, 257};
    for (size_t li = 0; li < sizeof lens / sizeof lens[0]; li++) {
        size_t n = lens[li];
        sb_attention_spec s = sb_attention_spec_default(li % 2 ? 4 : 6, 2, li % 3 ? 64 : 24, n, n);
        s.causal = 1;
        s.kv = (sb_kv_type)(li % 3);
        s.sink = (sb_attention_sink)(li % 3);
        s.sink_gap = 3.0 * (double)li;
        s.window = li % 2 ? n / 3 + 1 : 0;
        s.sink_tokens = li % 2 ? 2 : 0;
        s.mask = li % 3 == 1;
        s.mask_neg_inf = li % 3 == 1 ? 0.05 : 0.0;
        s.pad = li % 2;
        s.splits = li % 4 == 3 ? 3 : 1;
        s.threads = 1 + li % 2;
        check_problem(&s, n <= 130);
    }
    /* chunked prefill: queries at the end of a longer cache; cross attention without causality */
    sb_attention_spec s = sb_attention_spec_default(8, 8, 32, 300, 40);
    s.causal = 1;
    s.kv = SB_KV_F16;
    s.sink = SB_ATTENTION_SINK_LOGITS;
    check_problem(&s, 1);
    s = sb_attention_spec_default(2, 1, 48, 90, 33);
    s.mask = 1;
    s.token_major_kv = 1;
    check_problem(&s, 1);
    if (TA_BIG) {
        s = sb_attention_spec_default(4, 2, 128, 512, 512);
        s.causal = 1;
        s.kv = SB_KV_BF16;
        s.sink = SB_ATTENTION_SINK_LOGITS;
        s.threads = 2;
        check_problem(&s, 0);
    }
}

/* ---- threads ------------------------------------------------------------------------------------ */

static void test_threads_deterministic(void)
{
    if (TA_THREADS(2) == 1) {
        printf("threads: skipped under emulation (qemu-user cannot start threads here)\n");
        return;
    }
    static const size_t threads[] = {2, 3, 4, 7};
    sb_attention_spec specs[3];
    specs[0] = sb_attention_spec_default(16, 4, 64, TA_BIG ? 5000 : 700, 1);
    specs[0].sink = SB_ATTENTION_SINK_LOGITS;
    specs[1] = sb_attention_spec_default(4, 2, 32, 200, 200);
    specs[1].causal = 1;
    specs[1].window = 50;
    specs[1].kv = SB_KV_F16;
    specs[2] = sb_attention_spec_default(3, 3, 16, 37, 5);
    specs[2].mask = 1;
    for (int si = 0; si < 3; si++)
        for (size_t split = 1; split <= 16; split *= 4) {
            sb_attention_problem p;
            if (!sb_attention_problem_build(&p, &specs[si], &rng))
                return;
            sb_attention_desc d = p.d;
            size_t span = sb_attention_span(d.n_queries, d.out_stride_token, d.n_heads, d.out_stride_head, d.head_dim);
            float *one = malloc(span * sizeof(float));
            for (size_t ki = 0; one && ki < sb_attention_kernel_count(); ki++) {
                const sb_attention_kernel *k = sb_attention_kernel_at(ki);
                if (!runnable(k) || !is_flash(k))
                    continue;
                d.n_splits = split;
                d.n_threads = 1;
                TK_CHECK(k->fn(&d) == SB_OK, "one thread");
                memcpy(one, d.out, span * sizeof(float));
                for (size_t t = 0; t < sizeof threads / sizeof threads[0]; t++) {
                    d.n_threads = threads[t];
                    TK_CHECK(k->fn(&d) == SB_OK, "threads");
                    TK_CHECK(memcmp(one, d.out, span * sizeof(float)) == 0,
                             "%s: %zu threads, %zu splits, problem %d: not bit-identical to one thread", k->name,
                             threads[t], split, si);
                }
            }
            free(one);
            sb_attention_problem_free(&p);
        }
}

int main(void)
{
    sb_rng_seed(&rng, tk_init("test_attention_kernels", 20260612));
    clock_t t0 = clock();
    static void (*const parts[])(void) = {test_decode_shapes, test_sink_gaps, test_splits, test_prefill,
                                          test_threads_deterministic, test_long_context};
    static const char *const names[] = {"decode shapes", "sink gaps", "splits", "prefill", "threads",
                                        "long context"};
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
        clock_t t = clock();
        parts[i]();
        printf("%-14s %6.2f s cpu\n", names[i], (double)(clock() - t) / CLOCKS_PER_SEC);
        fflush(stdout);
    }
    for (size_t ki = 0; ki < sb_attention_kernel_count() && ki < 64; ki++) {
        const sb_attention_kernel *k = sb_attention_kernel_at(ki);
        if (runnable(k))
            printf("  %-32s max error %8.2f x 2^-24 R max|v|, max error/bound %.3g\n", k->name, worst_c[ki],
                   worst_ratio[ki]);
    }
    printf("cpu time %.1f s\n", (double)(clock() - t0) / CLOCKS_PER_SEC);
    return tk_finish("test_attention_kernels");
}
