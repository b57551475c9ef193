#include "check/contract.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check/fpenv.h"
#include "check/guarded.h"
#include "check/ulp.h"

static const uint32_t UNWRITTEN_BITS = 0x4b5a5a5au;

const char *sb_violation_name(sb_violation v)
{
    static const char *const names[SB_V_COUNT] = {
        "none", "status", "nan-expected", "nan-unexpected", "must-be-zero", "range",
        "ulp-bound", "out-of-bounds-write", "input-modified", "fp-control-changed", "in-place-mismatch"};
    return (unsigned)v < SB_V_COUNT ? names[v] : "?";
}

static void reset(sb_contract_result *r)
{
    memset(r, 0, sizeof *r);
    r->index = SIZE_MAX;
    r->max_ulp_index = SIZE_MAX;
}

static int fail(sb_contract_result *r, const sb_softmax_kernel *k, sb_violation v, size_t n, size_t index,
                float got, float want, const char *fmt, ...)
{
    if (r->violation != SB_V_NONE)
        return 0;  /* keep the first */
    r->violation = v;
    r->index = index;
    r->got = got;
    r->want = want;
    char detail[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    if (index != SIZE_MAX)
        snprintf(r->message, sizeof r->message, "%s: n=%zu index %zu: got %a want %a: %s [%s]", k->name, n,
                 index, (double)got, (double)want, detail, sb_violation_name(v));
    else
        snprintf(r->message, sizeof r->message, "%s: n=%zu: %s [%s]", k->name, n, detail, sb_violation_name(v));
    return 0;
}

int sb_contract_compare(const sb_softmax_kernel *k, const float *x, size_t n, const sb_softmax_params *p,
                        const float *y, const sb_oracle *want, sb_contract_result *r)
{
    (void)p;
    /* Study kernels claim nothing; they are judged against the accurate kernels' 2-ulp target so that
     * reports can say where they break. sb_suite_failed() never counts them. */
    const int enforce = 1;
    uint64_t bound = k->ulp_bound >= 0 ? (uint64_t)floor(k->ulp_bound) : 2;
    sb_row_class c = want->row_class;
    for (size_t i = 0; i < n; i++) {
        float got = y[i], w = want->y[i];
        if (c == SB_ROW_NAN) {
            if (!isnan(got) && enforce)
                fail(r, k, SB_V_NAN_EXPECTED, n, i, got, w, "the row has a NaN, every output must be NaN");
            continue;
        }
        uint64_t d = sb_ulp_distance(got, w);
        if (d != SB_ULP_INFINITE) {
            if (r->max_ulp_index == SIZE_MAX || d > r->max_ulp) {
                r->max_ulp = d;
                r->max_ulp_index = i;
            }
            r->sum_ulp_error += want->exact ? sb_ulp_error(got, want->exact[i]) : (double)d;
            r->compared++;
        } else {
            r->max_ulp = SB_ULP_INFINITE;
            r->max_ulp_index = i;
        }
        if (!enforce)
            continue;
        int exact_zero = x[i] == -INFINITY || c == SB_ROW_SINK_INF || c == SB_ROW_NO_MASS ||
                         (c == SB_ROW_POS_INF && x[i] != INFINITY);
        if (isnan(got))
            fail(r, k, SB_V_NAN_UNEXPECTED, n, i, got, w, "NaN output for a row without NaN");
        else if (exact_zero && got != 0.0f)
            fail(r, k, SB_V_NOT_ZERO, n, i, got, w, "must be exactly 0 (%s row, x=%a)",
                 sb_row_class_name(c), (double)x[i]);
        else if (!(got >= 0.0f && got <= 1.0f))
            fail(r, k, SB_V_RANGE, n, i, got, w, "outside [0, 1]");
        else if (d > bound)
            fail(r, k, SB_V_ULP, n, i, got, w, "%llu ulp > bound %llu (x=%a)", (unsigned long long)d,
                 (unsigned long long)bound, (double)x[i]);
    }
    return r->violation == SB_V_NONE;
}



static int same_output(const float *a, const float *b, size_t n, size_t *where)
{
    for (size_t i = 0; i < n; i++) {
        if ((isnan(a[i]) && isnan(b[i])) || memcmp(&a[i], &b[i], sizeof(float)) == 0)
            continue;
        *where = i;
        return 0;
    }
    return 1;
}

int sb_contract_run(const sb_softmax_kernel *k, const float *x, size_t n, const sb_softmax_params *p,
                    const sb_oracle *want, const sb_run_options *opt, sb_contract_result *r, float *y_out)
{
    reset(r);
    sb_run_options defaults = {0, 0};
    if (!opt)
        opt = &defaults;
    sb_guarded xin, yout;
    if (!sb_guarded_alloc(&xin, n, opt->misalign, UNWRITTEN_BITS) ||
        !sb_guarded_alloc(&yout, n, opt->misalign, UNWRITTEN_BITS)) {
        sb_guarded_free(&xin);
        return fail(r, k, SB_V_STATUS, n, SIZE_MAX, 0, 0, "out of memory in the checker");
    }
    if (n)
        memcpy(xin.data, x, n * sizeof(float));

    unsigned long fp_before = sb_fp_control();
    sb_status st = k->fn(xin.data, yout.data, n, p);
    unsigned long fp_after = sb_fp_control();

    if (st != SB_OK)
        fail(r, k, SB_V_STATUS, n, SIZE_MAX, 0, 0, "returned %s for a valid row", sb_status_str(st));
    if (fp_after != fp_before)
        fail(r, k, SB_V_FP_CONTROL, n, SIZE_MAX, 0, 0, "FP control word 0x%lx -> 0x%lx", fp_before, fp_after);
    if (!sb_guarded_intact(&yout) || !sb_guarded_intact(&xin))
        fail(r, k, SB_V_OUT_OF_BOUNDS, n, SIZE_MAX, 0, 0, "wrote outside y[0..n)");
    if (n && memcmp(xin.data, x, n * sizeof(float)) != 0)
        fail(r, k, SB_V_INPUT_MODIFIED, n, SIZE_MAX, 0, 0, "modified its input");
    if (st == SB_OK)
        sb_contract_compare(k, x, n, p, yout.data, want, r);

    if (opt->in_place && st == SB_OK && n) {
        sb_guarded io;
        if (!sb_guarded_alloc(&io, n, opt->misalign, UNWRITTEN_BITS)) {
            fail(r, k, SB_V_STATUS, n, SIZE_MAX, 0, 0, "out of memory in the checker");
        } else {
            memcpy(io.data, x, n * sizeof(float));
            sb_status st2 = k->fn(io.data, io.data, n, p);
            size_t where = SIZE_MAX;
            if (st2 != SB_OK)
                fail(r, k, SB_V_STATUS, n, SIZE_MAX, 0, 0, "returned %s in place", sb_status_str(st2));
            else if (!sb_guarded_intact(&io))
                fail(r, k, SB_V_OUT_OF_BOUNDS, n, SIZE_MAX, 0, 0, "wrote outside the row in place");
            else if (!same_output(yout.data, io.data, n, &where))
                fail(r, k, SB_V_IN_PLACE, n, where, io.data[where], yout.data[where],
                     "in-place output differs from out-of-place");
            sb_guarded_free(&io);
        }
    }
    if (y_out && n)
        memcpy(y_out, yout.data, n * sizeof(float));
    sb_guarded_free(&xin);
    sb_guarded_free(&yout);
    return r->violation == SB_V_NONE;
}

int sb_contract_check_api(const sb_softmax_kernel *k, sb_contract_result *r)
{
    reset(r);
    float buf[16];
    for (int i = 0; i < 16; i++)
        buf[i] = (float)i;
    float out[8];
    const float canary = 12345.0f;
    for (int i = 0; i < 8; i++)
        out[i] = canary;
    sb_softmax_params bad_kind = {(sb_sink_kind)7, 0.0f};
    struct {
        const char *what;
        const float *x;
        float *y;
        size_t n;
        const sb_softmax_params *p;
        sb_status expect;
    } cases[] = {
        {"n == 0 with NULL pointers", NULL, NULL, 0, NULL, SB_OK},
        {"n == 0 with valid pointers", buf, out, 0, NULL, SB_OK},
        {"NULL x with n > 0", NULL, out, 4, NULL, SB_EINVAL},
        {"NULL y with n > 0", buf, NULL, 4, NULL, SB_EINVAL},
        {"y overlapping x one float ahead", buf, buf + 1, 8, NULL, SB_EINVAL},
        {"y overlapping x one float behind", buf + 1, buf, 8, NULL, SB_EINVAL},
        {"n > SB_SOFTMAX_MAX_N", buf, out, SB_SOFTMAX_MAX_N + 1, NULL, SB_EINVAL},
        {"unknown sink kind", buf, out, 4, &bad_kind, SB_EINVAL},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        sb_status st = k->fn(cases[c].x, cases[c].y, cases[c].n, cases[c].p);
        if (st != cases[c].expect)
            return fail(r, k, SB_V_STATUS, cases[c].n, SIZE_MAX, 0, 0, "%s: returned %s, want %s", cases[c].what,
                        sb_status_str(st), sb_status_str(cases[c].expect));
        for (int i = 0; i < 8; i++)
            if (out[i] != canary)
                return fail(r, k, SB_V_OUT_OF_BOUNDS, cases[c].n, (size_t)i, out[i], canary,
                            "%s: wrote to y", cases[c].what);
        for (int i = 0; i < 16; i++)
            if (buf[i] != (float)i)
                return fail(r, k, SB_V_INPUT_MODIFIED, cases[c].n, (size_t)i, buf[i], (float)i,
                            "%s: changed memory it must not touch", cases[c].what);
    }
    return 1;
}
