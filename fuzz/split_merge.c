/* split_merge: split-KV (flash-decoding) on a problem decoded from the input (fuzz/fuzz_attention.h),
 * for every supported registered attention kernel:
 *   - unsplit, one thread, and split into S = 1 + b % 64 chunks (more chunks than keys: empty chunks;
 *     windows, padding and causal masks: fully masked chunks), each against the binary64 reference
 *     through the attention contract checker (the bound grows with ceil(n/S), nothing else: the merge
 *     is binary64 and adds the sink once; a sink added per chunk is off by ln S in the sink logit);
 *   - split-vs-unsplit: the split output judged by the same checker with the unsplit output in the
 *     reference's place and the two calls' bounds summed (implied by the two checks above when the
 *     reference is right; it stays meaningful if it is not);
 *   - threads-differ: the split and the unsplit call on the header's thread count T = 1 + b % 4 must
 *     give the one-thread outputs bit for bit (attention.h promises identical results); one drawn T
 *     per input instead of all four keeps an execution at a third of the cost.
 * Guard canaries around the output catch writes past it. Under qemu (aarch64 ctest) threads stay 1. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_attention.h"
#include "fuzz_check.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    sb_fuzz_attention_init("split_merge");
    return 0;
}

#define MAX_KERNELS 64

/* The relation's bound: the unsplit call's plus the split call's (both against the exact result). */
static const sb_attention_kernel *rel_kernel;
static sb_attention_desc rel_unsplit;

static sb_attention_bound summed_bound(const sb_attention_desc *d, double score_size)
{
    sb_attention_bound a = rel_kernel->error_bound(&rel_unsplit, score_size), b = rel_kernel->error_bound(d, score_size);
    sb_attention_bound s = {a.rel + b.rel, a.floor_mass + b.floor_mass, a.floor + b.floor, a.floor_abs + b.floor_abs};
    return s;
}

static void *alloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) {
        fprintf(stderr, "split_merge: out of memory\n");
        exit(3);
    }
    return p;
}

static void same_bits(const sb_fuzz_attn *a, const sb_attention_kernel *k, const sb_attention_desc *d,
                      const float *want, float *got, size_t count)
{
    sb_fuzz_attn_rows(d, got);
    if (memcmp(got, want, count * sizeof *got) == 0)
        return;
    size_t at = 0;
    while (memcmp(&got[at], &want[at], sizeof *got) == 0)
        at++;
    size_t hd = d->head_dim;
    char detail[320];
    snprintf(detail, sizeof detail, "%s: splits=%zu threads=%zu: query %zu head %zu component %zu is %a, one thread "
             "gave %a: results must be bit-identical for every thread count", k->name, d->n_splits, d->n_threads,
             at / hd / d->n_heads, at / hd % d->n_heads, at % hd, (double)got[at], (double)want[at]);
    sb_fuzz_attn_violation(a, k->name, "threads-differ", detail);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static sb_fuzz_attn a;
    sb_fuzz_attn_decode(data, size, 1, &a);
    const sb_attention_kernel *ks[MAX_KERNELS];
    size_t nk = sb_fuzz_attention_kernels(a.h.kernel, ks, MAX_KERNELS);
    size_t count = a.e.rows * a.p.d.head_dim, S = a.p.d.n_splits, T = a.p.d.n_threads;
    float *unsplit = alloc(count * sizeof(float)), *split = alloc(count * sizeof(float)),
          *other = alloc(count * sizeof(float));
    sb_attention_expected rel = a.e;
    rel.o = alloc(count * sizeof *rel.o);
    char what[64];
    for (size_t ki = 0; ki < nk; ki++) {
        const sb_attention_kernel *k = ks[ki];
        sb_attention_desc d1 = a.p.d, ds = a.p.d;
        d1.n_splits = 1;
        d1.n_threads = 1;
        ds.n_threads = 1;
        sb_fuzz_attn_run_checked(&a, k, &d1, "unsplit");
        sb_fuzz_attn_rows(&d1, unsplit);
        snprintf(what, sizeof what, "split %zu", S);
        sb_fuzz_attn_run_checked(&a, k, &ds, what);
        sb_fuzz_attn_rows(&ds, split);

        if (k->error_bound) {
            for (size_t i = 0; i < count; i++)
                rel.o[i] = unsplit[i];
            sb_attention_kernel as = *k;
            as.error_bound = summed_bound;
            rel_kernel = k;
            rel_unsplit = d1;
            sb_attention_contract_result r;
            if (!sb_attention_contract_compare(&as, &ds, &rel, &r)) {
                char detail[700];
                snprintf(detail, sizeof detail, "split %zu against the unsplit output (bound: both calls' bounds): "
                         "%s", S, r.message);
                sb_fuzz_attn_violation(&a, k->name, "split-vs-unsplit", detail);
            }
        }

        if (T > 1) {
            sb_attention_desc dt = ds;
            dt.n_threads = T;
            snprintf(what, sizeof what, "split %zu threads %zu", S, T);
            sb_fuzz_attn_run_checked(&a, k, &dt, what);
            same_bits(&a, k, &dt, split, other, count);
            dt = d1;
            dt.n_threads = T;
            snprintf(what, sizeof what, "unsplit threads %zu", T);
            sb_fuzz_attn_run_checked(&a, k, &dt, what);
            same_bits(&a, k, &dt, unsplit, other, count);
        }
    }
    free(rel.o);
    free(unsplit);
    free(split);
    free(other);
    sb_fuzz_attn_free(&a);
    return 0;
}
