/* softmax_diff: every supported registered kernel (built-in, SIMD, emulated, plugin) against the
 * MPFR oracle, through the one contract checker (sb_contract_run: status, guard zones, untouched
 * input, FP control state, NaN/zero/range rules, ulp bound, in place). Study kernels (ulp_bound < 0)
 * claim no accuracy, so for them only the API rules count.
 *
 * Kernels are also compared with each other, where that can add something: the public entry point
 * sb_softmax_f32 must give bit for bit what the kernel it dispatches to gives; and when a kernel
 * fails, the report says which other kernels it agrees with (within the sum of their bounds), which
 * tells a kernel bug from an oracle bug. Checking every pair on every input would add nothing: the
 * ulp distance is a metric, so two kernels within b1 and b2 of the oracle are within b1 + b2 of each
 * other. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"
#include "check/oracle.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    sb_fuzz_init("softmax_diff");
    return 0;
}

static float *outputs(size_t count)
{
    static float *buf;
    if (!buf && !(buf = malloc(count * SB_FUZZ_LONG_MAX_N * sizeof *buf))) {
        fprintf(stderr, "softmax_diff: out of memory\n");
        abort();
    }
    return buf;
}

/* Which passing kernels the failing one agrees with: appended to detail. */
static void cross_check(const sb_softmax_kernel *bad, const float *bad_y, const sb_softmax_kernel **ks,
                        const int *passed, const float *outs, size_t nk, const sb_fuzz_row *row, char *detail,
                        size_t size)
{
    size_t len = strlen(detail), agree = 0, total = 0;
    len += (size_t)snprintf(detail + len, size - len, "\n  cross-check against the kernels that passed:");
    for (size_t j = 0; j < nk && len < size; j++) {
        if (!passed[j] || ks[j] == bad || ks[j]->ulp_bound < 0 || bad->ulp_bound < 0)
            continue;
        sb_contract_result r;
        char rel[96];
        snprintf(rel, sizeof rel, "vs %s", ks[j]->name);
        int ok = sb_fuzz_relation(bad, rel, bad->ulp_bound + ks[j]->ulp_bound, row->x, row->n, &row->params,
                                  bad_y, outs + j * SB_FUZZ_LONG_MAX_N, &r);
        agree += (size_t)ok;
        total++;
        len += (size_t)snprintf(detail + len, size - len, " %s %s (max %llu ulp);", ks[j]->name,
                                ok ? "agrees" : "DISAGREES", (unsigned long long)r.max_ulp);
    }
    if (len < size)
        snprintf(detail + len, size - len, total && agree == total ? "\n  (it agrees with every other kernel: "
                                                                     "suspect the oracle)" : "");
}

/* sb_softmax_f32 must return what its dispatch choice returns, bit for bit, at the same alignment. */
static void check_dispatch(const sb_fuzz_row *row, const sb_softmax_kernel **ks, const float *outs, size_t nk)
{
    static _Alignas(64) float xa[SB_FUZZ_LONG_MAX_N + 16], ya[SB_FUZZ_LONG_MAX_N + 16];
    const sb_softmax_kernel *d = sb_softmax_dispatch(row->n);
    size_t j = 0;
    while (j < nk && ks[j] != d)
        j++;
    if (!d || j == nk)
        return;
    float *xin = xa + row->misalign, *yout = ya + row->misalign;
    memcpy(xin, row->x, row->n * sizeof *xin);
    sb_status st = sb_softmax_f32(xin, yout, row->n, row->p);
    if (st != SB_OK) {
        char detail[160];
        snprintf(detail, sizeof detail, "sb_softmax_f32 returned %s for a valid row", sb_status_str(st));
        sb_fuzz_violation(row, "sb_softmax_f32", "status", SIZE_MAX, detail);
    }
    sb_contract_result r;
    if (!sb_fuzz_relation(d, "sb_softmax_f32", 0.0, row->x, row->n, &row->params, yout,
                          outs + j * SB_FUZZ_LONG_MAX_N, &r))
        sb_fuzz_violation(row, "sb_softmax_f32", "dispatch-mismatch", r.index, r.message);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static float x[SB_FUZZ_LONG_MAX_N], want[SB_FUZZ_LONG_MAX_N];
    sb_fuzz_row row;
    sb_fuzz_decode_row(data, size, x, &row);

    sb_oracle o;
    memset(&o, 0, sizeof o);
    o.y = want;
    o.sink_index = row.sink_index;
    if (sb_oracle_softmax(x, row.n, &row.params, &o, 0) != SB_OK)
        sb_fuzz_violation(&row, "oracle", "oracle-failed", SIZE_MAX, "the MPFR oracle ran out of memory");

    size_t count = sb_softmax_kernel_count();
    const sb_softmax_kernel **ks = calloc(count, sizeof *ks);
    int *passed = calloc(count, sizeof *passed);
    float *outs = outputs(count);
    if (!ks || !passed) {
        fprintf(stderr, "softmax_diff: out of memory\n");
        abort();
    }
    size_t nk = sb_fuzz_kernels(&row, 0, ks, count);

    sb_run_options opt = {row.misalign, row.in_place};
    size_t bad = SIZE_MAX;
    sb_contract_result bad_r;
    for (size_t i = 0; i < nk; i++) {
        sb_contract_result r;
        passed[i] = sb_contract_run(ks[i], x, row.n, row.p, &o, &opt, &r, outs + i * SB_FUZZ_LONG_MAX_N);
        if (passed[i] || (ks[i]->ulp_bound < 0 && !sb_fuzz_api_rule(r.violation)))
            continue;
        if (bad == SIZE_MAX) {
            bad = i;
            bad_r = r;
        }
    }
    if (bad != SIZE_MAX) {
        char detail[2048];
        snprintf(detail, sizeof detail, "%s", bad_r.message);
        if (!sb_fuzz_api_rule(bad_r.violation))
            cross_check(ks[bad], outs + bad * SB_FUZZ_LONG_MAX_N, ks, passed, outs, nk, &row, detail,
                        sizeof detail);
        sb_fuzz_violation(&row, ks[bad]->name, sb_violation_name(bad_r.violation), bad_r.index, detail);
    }
    if (row.h.kernel == 0)
        check_dispatch(&row, ks, outs, nk);
    free(ks);
    free(passed);
    return 0;
}
