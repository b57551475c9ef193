/* Attention: the API (every invalid descriptor is SB_EINVAL and touches nothing), the registry and
 * dispatch, and the contract's edge cases on hand-made inputs whose answers are known exactly. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check/attention_contract.h"
#include "sinkbench/sinkbench.h"
#include "test_attention_problem.h"
#include "testkit.h"

static sb_rng rng;

/* Every supported kernel, flash kernels also split and threaded, must obey the contract on d. */
static void check_all(const char *what, const sb_attention_desc *d0)
{
    sb_attention_expected e;
    if (!sb_attention_expected_init(d0, &e)) {
        TK_CHECK(0, "%s: out of memory", what);
        return;
    }
    static const size_t splits[] = {1, 3, 8}, threads[] = {1, 3};
    for (size_t ki = 0; ki < sb_attention_kernel_count(); ki++) {
        const sb_attention_kernel *k = sb_attention_kernel_at(ki);
        if (!k->supported() || (k->flags & SB_KERNEL_PLUGIN))
            continue;
        int flash = strcmp(k->algorithm, "flash") == 0;
        for (size_t s = 0; s < (flash ? 3u : 1u); s++)
            for (size_t t = 0; t < (flash ? 2u : 1u); t++) {
                sb_attention_desc d = *d0;
                d.n_splits = splits[s];
                d.n_threads = TA_THREADS(threads[t]);
                sb_attention_contract_result r;
                TK_CHECK(sb_attention_contract_run(k, &d, &e, &r), "%s: %s", what, r.message);
            }
    }
    sb_attention_expected_free(&e);
}

/* The reference's output for row (i, h), component c. */
static float ref_out(sb_attention_desc d, size_t i, size_t h, size_t c)
{
    TK_CHECK(sb_attention_kernel_find("attention_reference_f64")->fn(&d) == SB_OK, "reference runs");
    return d.out[i * d.out_stride_token + h * d.out_stride_head + c];
}

static int near(double a, double b, double rel) { return fabs(a - b) <= rel * fabs(b) + 1e-30; }

/* ---- validation --------------------------------------------------------------------------------- */

/* sb_attention, or the reference where SINKBENCH_ISA names no usable ISA (that case is tested in
 * test_registry: every valid call is then SB_EUNSUPPORTED). */
static sb_status run_api(const sb_attention_desc *d)
{
    return sb_attention_dispatch() ? sb_attention(d) : sb_attention_kernel_find("attention_reference_f64")->fn(d);
}

static int einval_untouched(const sb_attention_desc *d, const sb_attention_problem *p, const char *what)
{
    size_t ospan = sb_attention_span(p->spec.nq, p->d.out_stride_token, p->spec.H, p->d.out_stride_head, p->spec.d);
    float *out = p->d.out;
    for (size_t i = 0; i < ospan; i++)
        out[i] = 1234.5f;
    int ok = 1;
    if (sb_attention(d) != SB_EINVAL)
        ok = 0;
    for (size_t ki = 0; ki < sb_attention_kernel_count(); ki++) {
        const sb_attention_kernel *k = sb_attention_kernel_at(ki);
        if (k->supported() && k->fn(d) != SB_EINVAL) {
            TK_CHECK(0, "%s: %s accepts it", what, k->name);
            ok = 0;
        }
    }
    for (size_t i = 0; i < ospan; i++)
        if (out[i] != 1234.5f) {
            TK_CHECK(0, "%s: output written", what);
            return 0;
        }
    return ok;
}

static void test_validation(void)
{
    sb_attention_spec s = sb_attention_spec_default(4, 2, 8, 5, 2);
    s.sink = SB_ATTENTION_SINK_LOGITS;
    s.mask = 1;
    s.splits = 4;
    sb_attention_problem p;
    if (!sb_attention_problem_build(&p, &s, &rng)) {
        TK_CHECK(0, "out of memory");
        return;
    }
    TK_CHECK(run_api(&p.d) == SB_OK, "the valid base descriptor");
    TK_CHECK(sb_attention(NULL) == SB_EINVAL && sb_attention_check(NULL) == SB_EINVAL, "NULL descriptor");

#define BAD(stmt, what)                                     \
    do {                                                    \
        sb_attention_desc d = p.d;                          \
        stmt;                                               \
        TK_CHECK(einval_untouched(&d, &p, what), "%s", what); \
    } while (0)
    BAD(d.n_heads = 0, "no heads");
    BAD(d.n_kv_heads = 0, "no KV heads");
    BAD(d.n_kv_heads = 3, "KV heads not dividing heads");
    BAD(d.n_kv_heads = 8, "more KV heads than heads");
    BAD(d.n_heads = SB_ATTENTION_MAX_HEADS + 2; d.n_kv_heads = 2, "too many heads");
    BAD(d.head_dim = 0, "head_dim 0");
    BAD(d.head_dim = SB_ATTENTION_MAX_HEAD_DIM + 1, "head_dim too large");
    BAD(d.n_keys = SB_ATTENTION_MAX_KEYS + 1, "too many keys");
    BAD(d.n_queries = SB_ATTENTION_MAX_QUERIES + 1, "too many queries");
    BAD(d.kv_type = (sb_kv_type)7, "unknown KV type");
    BAD(d.sink = (sb_attention_sink)9, "unknown sink kind");
    BAD(d.flags = 0x10, "unknown flag");
    BAD(d.scale = NAN, "NaN scale");
    BAD(d.scale = INFINITY, "infinite scale");
    BAD(d.q = NULL, "NULL q");
    BAD(d.out = NULL, "NULL out");
    BAD(d.k = NULL, "NULL k");
    BAD(d.v = NULL, "NULL v");
    BAD(d.sink_logits = NULL, "NULL sink logits");
    BAD(d.q = (const float *)((const char *)d.q + 1), "misaligned q");
    BAD(d.kv_type = SB_KV_F16; d.k = (const char *)d.k + 1, "misaligned f16 k");
    BAD(d.out_stride_head = d.head_dim - 1, "output rows overlap (head stride)");
    BAD(d.out_stride_token = d.out_stride_head * 3, "output rows overlap (token stride)");
    BAD(d.out_stride_head = 0, "output heads on one row");
    BAD(d.out = (float *)(uintptr_t)d.q, "output is the query");
    BAD(d.out = (float *)(uintptr_t)d.k + 1, "output overlaps k");
    BAD(d.out = (float *)(uintptr_t)d.v, "output overlaps v");
    BAD(d.out = (float *)(uintptr_t)d.mask + 2, "output overlaps the mask");
    BAD(d.out = (float *)(uintptr_t)d.sink_logits, "output overlaps the sinks");
    BAD(d.q_stride_token = SIZE_MAX / 2, "query span past the address space");
    BAD(d.k_stride_head = SIZE_MAX / 3, "key span past the address space");
    BAD(d.mask_stride = SIZE_MAX / 4, "mask span past the address space");
    BAD(d.n_splits = SB_ATTENTION_MAX_SPLITS + 1, "too many splits");
    BAD(d.n_threads = SB_ATTENTION_MAX_THREADS + 1, "too many threads");
    char small[16];
    BAD(d.workspace = small; d.workspace_size = sizeof small, "workspace too small");
    BAD(d.workspace = d.out; d.workspace_size = 1 << 20, "workspace overlapping the output");
#undef BAD

    /* valid corner cases */
    sb_attention_desc d = p.d;
    d.n_queries = 0;
    d.q = NULL;
    d.out = NULL;
    TK_CHECK(run_api(&d) == SB_OK && sb_attention_workspace_size(&d) == 0, "no queries: nothing to do");
    d = p.d;
    d.n_keys = 0;
    d.k = d.v = NULL;
    d.mask = NULL;
    TK_CHECK(run_api(&d) == SB_OK, "no keys: valid");
    int zeros = 1;
    for (size_t i = 0; i < 2; i++)
        for (size_t h = 0; h < 4; h++)
            for (size_t c = 0; c < 8; c++)
                zeros &= d.out[i * d.out_stride_token + h * d.out_stride_head + c] == 0.0f;
    TK_CHECK(zeros, "no keys: every row fully masked, zeros");
    d = p.d;
    d.q_stride_token = 0;
    d.q_stride_head = 0;
    d.mask_stride = 0;
    TK_CHECK(run_api(&d) == SB_OK, "broadcast query and mask rows (stride 0) are valid inputs");
    d = p.d;
    size_t ws = sb_attention_workspace_size(&d);
    TK_CHECK(ws > 0, "splits need a workspace (%zu)", ws);
    void *w = malloc(ws);
    d.workspace = w;
    d.workspace_size = ws;
    TK_CHECK(run_api(&d) == SB_OK, "a caller's workspace of the stated size");
    free(w);
    d.n_splits = 1;
    TK_CHECK(sb_attention_workspace_size(&d) == 0, "no split, no workspace");

    sb_attention_desc_init(&d, 32, 8, 128, 100, 1);
    TK_CHECK(d.q_stride_head == 128 && d.q_stride_token == 32 * 128 && d.k_stride_token == 128 &&
                 d.k_stride_head == 100 * 128 && d.out_stride_token == 32 * 128 && d.kv_type == SB_KV_F32 &&
                 fabsf(d.scale - 0.08838835f) < 1e-7f && d.n_splits == 1 && d.n_threads == 1 && !d.mask,
             "dense defaults");
    sb_attention_problem_free(&p);
}

/* ---- registry and dispatch ---------------------------------------------------------------------- */

static sb_status dummy(const sb_attention_desc *d) { return sb_attention_check(d); }

static void test_registry(void)
{
    size_t n = sb_attention_kernel_count();
    TK_CHECK(n >= 3, "references and flash kernels registered (%zu)", n);
    TK_CHECK(sb_attention_kernel_at(n) == NULL, "past the end");
    for (size_t i = 0; i < n; i++) {
        const sb_attention_kernel *k = sb_attention_kernel_at(i);
        TK_CHECK(k && k->name && k->isa && k->algorithm && k->supported && k->fn && k->error_bound && k->bound_text,
                 "complete entry %zu", i);
        TK_CHECK(sb_attention_kernel_find(k->name) == k, "find(%s)", k->name);
        for (size_t j = 0; j < i; j++)
            TK_CHECK(strcmp(k->name, sb_attention_kernel_at(j)->name) != 0, "unique name %s", k->name);
        TK_CHECK(sb_softmax_kernel_find(k->name) == NULL, "%s is not in the softmax registry", k->name);
    }
    TK_CHECK(sb_attention_kernel_find("attention_reference_f64") && sb_attention_kernel_find("attention_scalar_f32") &&
                 sb_attention_kernel_find("attention_flash_scalar") && sb_attention_kernel_find("attention_flash_neon"),
             "references and the portable kernels present");
    TK_CHECK(!sb_attention_kernel_find("nope") && !sb_attention_kernel_find(NULL), "missing names");

    sb_attention_kernel k = {"attention_test_dummy", "scalar", "test", sb_cpu_supports_scalar, dummy, NULL, "none", 0};
    TK_CHECK(sb_attention_register(&k) == SB_OK, "register");
    const sb_attention_kernel *got = sb_attention_kernel_find("attention_test_dummy");
    TK_CHECK(got && (got->flags & SB_KERNEL_PLUGIN) && sb_attention_kernel_count() == n + 1, "registered, flagged");
    TK_CHECK(sb_attention_register(&k) == SB_EINVAL, "duplicate refused");
    k.name = "attention_test_nofn";
    k.fn = NULL;
    TK_CHECK(sb_attention_register(&k) == SB_EINVAL && sb_attention_register(NULL) == SB_EINVAL, "incomplete refused");

    const char *forced = getenv("SINKBENCH_ISA");
    const sb_attention_kernel *dk = sb_attention_dispatch();
    if (forced && strcmp(forced, "bogus") == 0) {
        sb_attention_desc d;
        float q[4] = {0}, o[4];
        sb_attention_desc_init(&d, 1, 1, 4, 0, 1);
        d.q = q;
        d.out = o;
        TK_CHECK(dk == NULL && sb_attention(&d) == SB_EUNSUPPORTED, "unknown ISA: no kernel, SB_EUNSUPPORTED");
        return;
    }
    TK_CHECK(dk && strcmp(dk->algorithm, "flash") == 0 && dk->supported() && !(dk->flags & SB_KERNEL_EMULATED),
             "dispatch picks a native flash kernel (%s)", dk ? dk->name : "none");
    if (forced && dk)
        TK_CHECK(strcmp(dk->isa, forced) == 0, "SINKBENCH_ISA=%s honoured (%s)", forced, dk->isa);
}

/* ---- edge cases with known answers --------------------------------------------------------------- */

/* A problem with every q and k zero (all scores equal) and v_j = e_j (one-hot, d >= n): the output
 * of a row is the weight each key gets. */
static int build_uniform(sb_attention_problem *p, sb_attention_spec s)
{
    if (!sb_attention_problem_build(p, &s, &rng))
        return 0;
    sb_attention_desc *d = &p->d;
    for (size_t i = 0; i < s.nq; i++)
        for (size_t h = 0; h < s.H; h++)
            for (size_t c = 0; c < s.d; c++)
                ((float *)(uintptr_t)d->q)[i * d->q_stride_token + h * d->q_stride_head + c] = 0.0f;
    for (size_t g = 0; g < s.Hkv; g++)
        for (size_t j = 0; j < s.n; j++)
            for (size_t c = 0; c < s.d; c++) {
                size_t idx = g * d->k_stride_head + j * d->k_stride_token + c;
                sb_attention_store_kv(d, (void *)(uintptr_t)d->k, idx, 0.0f);
                sb_attention_store_kv(d, (void *)(uintptr_t)d->v, idx, c == j ? 1.0f : 0.0f);
            }
    return 1;
}

static void test_known_answers(void)
{
    sb_attention_problem p;
    /* window of 3 with 2 sink tokens at n = 10: visible {0, 1, 7, 8, 9}, equal weights */
    sb_attention_spec s = sb_attention_spec_default(2, 1, 16, 10, 1);
    s.window = 3;
    s.sink_tokens = 2;
    if (build_uniform(&p, s)) {
        for (size_t c = 0; c < 16; c++) {
            float want = (c == 0 || c == 1 || (c >= 7 && c <= 9)) ? 0.2f : 0.0f;
            TK_CHECK(ref_out(p.d, 0, 1, c) == want, "StreamingLLM window: component %zu", c);
        }
        check_all("StreamingLLM window", &p.d);
        p.d.sink = SB_ATTENTION_SINK_SOFTMAX1; /* scores 0, sink 0: six equal terms */
        TK_CHECK(near(ref_out(p.d, 0, 0, 8), 1.0 / 6.0, 1e-7), "softmax_1 adds one to the denominator");
        check_all("StreamingLLM window + softmax_1", &p.d);
        sb_attention_problem_free(&p);
    }
    /* causal prefill, n = n_q = 5, window 2, GQA: row i sees keys max(0, i-1) .. i */
    s = sb_attention_spec_default(4, 2, 8, 5, 5);
    s.causal = 1;
    s.window = 2;
    s.kv = SB_KV_BF16;
    if (build_uniform(&p, s)) {
        for (size_t i = 0; i < 5; i++)
            for (size_t c = 0; c < 8; c++) {
                float want = c > i || c + 2 <= i ? 0.0f : (i == 0 ? 1.0f : 0.5f);
                TK_CHECK(ref_out(p.d, i, 3, c) == want, "causal window: row %zu component %zu", i, c);
            }
        check_all("causal prefill with window", &p.d);
        sb_attention_problem_free(&p);
    }
    /* more queries than keys: the first positions are negative, fully masked under causality */
    s = sb_attention_spec_default(1, 1, 8, 3, 5);
    s.causal = 1;
    if (build_uniform(&p, s)) {
        TK_CHECK(ref_out(p.d, 0, 0, 0) == 0.0f && ref_out(p.d, 1, 0, 0) == 0.0f && ref_out(p.d, 2, 0, 0) == 1.0f &&
                     ref_out(p.d, 4, 0, 2) == 1.0f / 3.0f,
                 "negative positions see nothing");
        check_all("n_queries > n_keys", &p.d);
        sb_attention_problem_free(&p);
    }
    /* a learned sink against one key: o = v / (1 + e^(sigma - s)) */
    s = sb_attention_spec_default(1, 1, 8, 1, 1);
    s.sink = SB_ATTENTION_SINK_LOGITS;
    if (build_uniform(&p, s)) {
        float *sk = (float *)(uintptr_t)p.d.sink_logits;
        for (double gap = -20; gap <= 120; gap += 10) {
            sk[0] = (float)gap;
            TK_CHECK(near(ref_out(p.d, 0, 0, 0), 1.0 / (1.0 + exp(gap)), 1e-6), "learned sink, gap %g", gap);
            check_all("learned sink against one key", &p.d);
        }
        sk[0] = INFINITY;
        TK_CHECK(ref_out(p.d, 0, 0, 0) == 0.0f, "+inf sink takes all mass");
        check_all("+inf sink", &p.d);
        sk[0] = NAN;
        TK_CHECK(isnan(ref_out(p.d, 0, 0, 0)), "NaN sink: NaN row");
        check_all("NaN sink", &p.d);
        sb_attention_problem_free(&p);
    }
}

/* The contract's NaN, infinity and masking rules on a random decode problem, for every kernel. */
static void test_specials(void)
{
    sb_attention_spec s = sb_attention_spec_default(4, 2, 24, 150, 1);
    s.mask = 1;
    s.mask_neg_inf = 0.2;
    s.sink = SB_ATTENTION_SINK_LOGITS;
    sb_attention_problem p;
    if (!sb_attention_problem_build(&p, &s, &rng)) {
        TK_CHECK(0, "out of memory");
        return;
    }
    sb_attention_desc *d = &p.d;
    float *mask = (float *)(uintptr_t)d->mask, *q = (float *)(uintptr_t)d->q, *k = (float *)(uintptr_t)d->k;
    float *v = (float *)(uintptr_t)d->v, *sk = (float *)(uintptr_t)d->sink_logits;
    size_t masked = 0, visible = 0;
    while (mask[masked] != -INFINITY)
        masked++;
    while (mask[visible] == -INFINITY)
        visible++;
    check_all("random decode with padding mask", d);

    /* NaN and infinity in k or v of a masked key never reach the output */
    float saved_k = k[masked * d->k_stride_token + 3], saved_v = v[masked * d->v_stride_token + 5];
    k[masked * d->k_stride_token + 3] = NAN;
    v[masked * d->v_stride_token + 5] = INFINITY;
    check_all("NaN k and inf v on a masked key", d);
    TK_CHECK(isfinite(ref_out(*d, 0, 0, 5)), "masked key's v does not leak");
    k[masked * d->k_stride_token + 3] = saved_k;
    v[masked * d->v_stride_token + 5] = saved_v;

    /* NaN in v of a visible key: that component only */
    v[visible * d->v_stride_token + 5] = NAN;
    TK_CHECK(isnan(ref_out(*d, 0, 1, 5)) && isfinite(ref_out(*d, 0, 1, 4)), "visible NaN v: its component");
    check_all("NaN v on a visible key", d);
    v[visible * d->v_stride_token + 5] = saved_v;

    /* NaN or inf in k of a visible key, or in q: the heads reading it are NaN */
    k[visible * d->k_stride_token + 2] = INFINITY;
    TK_CHECK(isnan(ref_out(*d, 0, 0, 0)) && isnan(ref_out(*d, 0, 1, 7)) && !isnan(ref_out(*d, 0, 2, 0)),
             "inf k: the heads of that KV head are NaN");
    check_all("inf k on a visible key", d);
    k[visible * d->k_stride_token + 2] = 0.5f;
    q[d->q_stride_head * 3 + 1] = NAN;
    TK_CHECK(isnan(ref_out(*d, 0, 3, 0)) && !isnan(ref_out(*d, 0, 2, 0)), "NaN q: its head only");
    check_all("NaN q", d);
    q[d->q_stride_head * 3 + 1] = 0.25f;

    /* a NaN mask entry on a visible key: NaN rows; on a -inf... there is none: -inf is the mask */
    float saved_m = mask[visible];
    mask[visible] = NAN;
    TK_CHECK(isnan(ref_out(*d, 0, 2, 0)), "NaN mask entry: NaN row");
    check_all("NaN mask entry", d);
    /* +inf mask entries share the mass: the output is the mean of their v */
    mask[visible] = INFINITY;
    float want = sb_attention_load_kv(d, d->v, visible * d->v_stride_token + 4);
    TK_CHECK(ref_out(*d, 0, 0, 4) == want, "one +inf mask entry takes all mass");
    check_all("+inf mask entry", d);
    mask[visible] = saved_m;

    /* scores far beyond binary32: f32 dot products overflow, the binary64 fallback answers */
    for (size_t c = 0; c < 24; c++)
        q[c] = 3e19f;
    check_all("scores overflowing binary32", d);
    for (size_t c = 0; c < 24; c++)
        q[c] = 0.1f;

    /* a -inf sink is no sink, bit for bit; sinks of every size */
    sk[0] = -INFINITY;
    sb_attention_desc none = *d;
    none.sink = SB_ATTENTION_SINK_NONE;
    TK_CHECK(ref_out(*d, 0, 0, 3) == ref_out(none, 0, 0, 3), "-inf sink == no sink");
    check_all("-inf sink", d);

    /* every key masked: zeros with and without a sink */
    for (size_t j = 0; j < s.n; j++)
        mask[j] = -INFINITY;
    TK_CHECK(ref_out(*d, 0, 1, 0) == 0.0f, "fully masked row: 0");
    check_all("fully masked, learned sink", d);
    check_all("fully masked, no sink", &none);
    q[0] = NAN; /* q only matters through visible keys */
    TK_CHECK(ref_out(*d, 0, 0, 0) == 0.0f, "NaN q of a fully masked row: 0");
    check_all("fully masked, NaN q", d);
    q[0] = 0.1f;
    /* scale 0: every visible score is the mask */
    d->scale = 0.0f;
    check_all("scale 0", d);
    sb_attention_problem_free(&p);
}

/* The checker must catch a sink added once per split (the bug of adding it in every partition):
 * equivalent to a sink logit raised by ln(splits). The bound is relative to the residual mass R, so
 * the bug is caught on sink-dominated rows too, whose outputs are tiny. */
static void test_checker_catches_double_sink(void)
{
    static const double gaps[] = {0.0, 20.0, 60.0};
    for (size_t gi = 0; gi < 3; gi++) {
        sb_attention_spec s = sb_attention_spec_default(2, 1, 32, 200, 1);
        s.sink = SB_ATTENTION_SINK_LOGITS;
        s.sink_gap = gaps[gi];
        sb_attention_problem p;
        sb_attention_expected e;
        if (!sb_attention_problem_build_expected(&p, &s, &rng, &e)) {
            TK_CHECK(0, "out of memory");
            return;
        }
        const sb_attention_kernel *ref = sb_attention_kernel_find("attention_reference_f64");
        const sb_attention_kernel *flash = sb_attention_kernel_find("attention_flash_scalar");
        sb_attention_contract_result r;
        TK_CHECK(flash && flash->fn(&p.d) == SB_OK && sb_attention_contract_compare(flash, &p.d, &e, &r),
                 "gap %g: the kernel passes (%s)", gaps[gi], r.message);
        float *sk = (float *)(uintptr_t)p.d.sink_logits;
        for (int h = 0; h < 2; h++)
            sk[h] += (float)log(2.0);
        TK_CHECK(ref->fn(&p.d) == SB_OK && !sb_attention_contract_compare(flash, &p.d, &e, &r) &&
                     strcmp(r.rule, "error bound") == 0,
                 "gap %g: a double-counted sink fails the check (%s)", gaps[gi], r.message);
        sb_attention_expected_free(&e);
        sb_attention_problem_free(&p);
    }
}

int main(void)
{
    sb_rng_seed(&rng, tk_init("test_attention", 20260611));
    static void (*const parts[])(void) = {test_validation, test_registry, test_known_answers, test_specials,
                                          test_checker_catches_double_sink};
    static const char *const names[] = {"validation", "registry", "known answers", "specials", "double sink"};
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
        clock_t t = clock();
        parts[i]();
        printf("%-14s %6.2f s cpu\n", names[i], (double)(clock() - t) / CLOCKS_PER_SEC);
        fflush(stdout);
    }
    return tk_finish("test_attention");
}
