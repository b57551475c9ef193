/* softmax_batch: the batched softmax (include/sinkbench/softmax_batch.h) on a descriptor decoded from
 * the input (fuzz/fuzz_batch.h: shapes, strides, misalignment, scale, f32/f16 masks in any layout,
 * per-head sinks from the input's own floats, softmax_1, thread counts, in place), for every
 * supported batched kernel (ours per ISA, peers' batched entry points from plugins) and for the
 * public entry point sb_softmax_batch, through the one batched checker (check/batch_contract.h):
 *   - every row against the MPFR oracle on the row the descriptor defines (NaN, exact-zero and range
 *     rules, the ulp bound; peers claim none and are held to the API rules only);
 *   - bit for bit the row kernel's output (sb_softmax_batch: sb_softmax_f32's kernel for n);
 *   - the same bits at 1, 2, 3 and 4 threads, and in place as out of place;
 *   - no write outside the output rows, inputs untouched, FP control state kept.
 * A non-finite scale makes the descriptor invalid: every kernel must return SB_EINVAL and write
 * nothing. Under qemu (aarch64 ctest) threads stay 1: qemu-user hangs in pthread_create. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check/batch_contract.h"
#include "fuzz_batch.h"
#include "fuzz_check.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    sb_fuzz_init("softmax_batch");
    for (size_t i = 0; i < sb_softmax_batch_kernel_count(); i++) {
        const sb_softmax_batch_kernel *k = sb_softmax_batch_kernel_at(i);
        sb_batch_contract_result r;
        if (k->supported() && !sb_contract_batch_check_api(k, &r)) {
            fprintf(stderr, "softmax_batch: VIOLATION kernel=%s rule=%s index=none\n  %s\n  (descriptor rules, checked "
                            "at start-up)\n", k->name, r.rule ? r.rule : "?", r.message);
            abort();
        }
    }
    return 0;
}

static sb_status api_entry(const sb_softmax_batch_desc *d) { return sb_softmax_batch(d); }
static const sb_softmax_kernel *api_row_kernel(size_t n) { return sb_softmax_dispatch(n); }
static int always(void) { return 1; }

_Noreturn static void violation(const sb_fuzz_batch *b, const char *kernel, const char *rule, const char *detail)
{
    fprintf(stderr, "softmax_batch: VIOLATION kernel=%s rule=%s index=none\n  %s\n", kernel, rule, detail);
    if (sb_fuzz_input_name)
        fprintf(stderr, "  input: %s\n", sb_fuzz_input_name);
    sb_fuzz_batch_describe(b, stderr);
    abort();
}

/* An invalid descriptor: SB_EINVAL and not one byte of the output written. */
static void check_refusal(const sb_fuzz_batch *b, const sb_softmax_batch_kernel *k)
{
    size_t span = b->p.y_span ? b->p.y_span : 1;
    float *y = malloc(span * sizeof *y);
    if (!y) {
        fprintf(stderr, "softmax_batch: out of memory\n");
        exit(3);
    }
    for (size_t i = 0; i < span; i++)
        y[i] = 1234.5f;
    sb_softmax_batch_desc d = b->p.d;
    d.y = y;
    sb_status st = k->fn(&d);
    int untouched = 1;
    for (size_t i = 0; i < span; i++)
        untouched &= y[i] == 1234.5f;
    free(y);
    if ((d.rows && d.n && st != SB_EINVAL) || !untouched) {
        char detail[200];
        snprintf(detail, sizeof detail, "scale %a: returned %s%s", (double)d.scale, sb_status_str(st),
                 untouched ? "" : " and wrote the output");
        violation(b, k->name, "invalid-descriptor", detail);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sb_fuzz_batch b;
    if (!sb_fuzz_batch_decode(data, size, &b)) {
        fprintf(stderr, "softmax_batch: out of memory\n");
        exit(3);
    }
    /* the first call on one thread, then the input's count and the rest: a kernel whose bits depend
     * on the thread count is caught by the threads rule, whatever the input asks for */
    b.p.d.n_threads = 1;
#if defined(SB_FUZZ_NO_THREADS)
    b.threads = 1;
    static const size_t threads[] = {1};
#else
    const size_t threads[] = {b.threads, 2, 3, 4};
#endif
    enum { MAX_KERNELS = 64 };
    const sb_softmax_batch_kernel *ks[MAX_KERNELS + 1];
    size_t nk = sb_fuzz_batch_kernels(b.h.kernel, ks, MAX_KERNELS);
    sb_softmax_batch_kernel api = {"sb_softmax_batch", "dispatch", "batched", always, api_entry, 2.0, 0, api_row_kernel};
    if (b.h.kernel == 0)
        ks[nk++] = &api;
    /* ours: everything; peers claim no bound and promise nothing across thread counts or in place:
     * the API-level rules only (status, writes, inputs, FP control) */
    const sb_batch_run_options ours = {threads, sizeof threads / sizeof threads[0], 1, 0}, peer = {NULL, 0, 0, 1};
    for (size_t i = 0; i < nk; i++) {
        if (!b.valid) {
            check_refusal(&b, ks[i]);
            continue;
        }
        sb_batch_contract_result r;
        if (!sb_contract_batch_run(ks[i], &b.p, ks[i]->ulp_bound < 0 ? &peer : &ours, &r, NULL))
            violation(&b, ks[i]->name, r.rule, r.message);
    }
    sb_fuzz_batch_free(&b);
    return 0;
}
