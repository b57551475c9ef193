/* The contract checker must catch every way a kernel can break the contract. Each broken kernel
 * below breaks exactly one rule; the checker has to name that rule. */
#include <math.h>
#include <string.h>

#if defined(__x86_64__)
#include <xmmintrin.h>
#endif

#include "check/contract.h"
#include "check/rowgen.h"
#include "sinkbench/cpu.h"
#include "testkit.h"

static sb_status ref(const float *x, float *y, size_t n, const sb_softmax_params *p)
{
    return sb_softmax_kernel_find("softmax_reference_f64")->fn(x, y, n, p);
}

static sb_status off_by_three(const float *x, float *y, size_t n, const sb_softmax_params *p)
{
    sb_status st = ref(x, y, n, p);
    if (n > 5 && y[5] > 0)
        y[5] = nextafterf(nextafterf(nextafterf(y[5], 2.0f), 2.0f), 2.0f);
    return st;
}

static sb_status drops_nan(const float *x, float *y, size_t n, const sb_softmax_params *p)
{
    sb_status st = ref(x, y, n, p);
    for (size_t i = 0; i < n; i++)
        if (isnan(y[i]))
            y[i] = 0.0f;
    return st;
}

static sb_status clamps_masked(const float *x, float *y, size_t n, const sb_softmax_params *p)
{
    sb_status st = ref(x, y, n, p);
    for (size_t i = 0; i < n; i++)
        if (x[i] == -INFINITY)
            y[i] = 0x1p-126f; /* exp clamped to ln(FLT_MIN) instead of flushed */
    return st;
}

static sb_status writes_past_end(const float *x, float *y, size_t n, const sb_softmax_params *p)
{
    sb_status st = ref(x, y, n, p);
    if (n)
        y[n] = 0.0f;
    return st;
}

static sb_status modifies_input(const float *x, float *y, size_t n, const sb_softmax_params *p)
{
    sb_status st = ref(x, y, n, p);
    if (n)
        ((float *)x)[0] = 42.0f;
    return st;
}

static void set_flush_to_zero(int on)
{
#if defined(__x86_64__)
    _mm_setcsr(on ? _mm_getcsr() | 0x8040u : _mm_getcsr() & ~0x8040u); /* FTZ | DAZ */
#elif defined(__aarch64__)
    unsigned long fpcr;
    __asm__ volatile("mrs %0, fpcr" : "=r"(fpcr));
    fpcr = on ? fpcr | (1ul << 24) : fpcr & ~(1ul << 24); /* FZ */
    __asm__ volatile("msr fpcr, %0" : : "r"(fpcr));
#else
    (void)on;
#endif
}

static sb_status leaves_ftz_on(const float *x, float *y, size_t n, const sb_softmax_params *p)
{
    set_flush_to_zero(1);
    return ref(x, y, n, p);
}

static sb_status differs_in_place(const float *x, float *y, size_t n, const sb_softmax_params *p)
{
    sb_status st = ref(x, y, n, p);
    if (x == y && n > 1 && y[1] > 0 && y[1] < 1)
        y[1] = nextafterf(y[1], 0.0f);
    return st;
}

static sb_status accepts_overlap(const float *x, float *y, size_t n, const sb_softmax_params *p)
{
    if (n == 8 && (y == x + 1 || x == y + 1))
        return SB_OK;
    return ref(x, y, n, p);
}

static sb_status breaks_range(const float *x, float *y, size_t n, const sb_softmax_params *p)
{
    sb_status st = ref(x, y, n, p);
    for (size_t i = 0; i < n; i++)
        if (y[i] == 1.0f)
            y[i] = nextafterf(1.0f, 2.0f);
    return st;
}

static void expect(sb_softmax_fn fn, double bound, sb_violation want, const float *x, size_t n,
                   const sb_softmax_params *p, int in_place)
{
    sb_softmax_kernel k = {"broken", "scalar", "test", sb_cpu_supports_scalar, fn, bound, 0};
    float y[64];
    sb_oracle o = {0};
    o.y = y;
    o.sink_index = SIZE_MAX;
    sb_oracle_softmax(x, n, p, &o, 0);
    sb_contract_result r;
    sb_run_options opt = {3, in_place};
    int ok = sb_contract_run(&k, x, n, p, &o, &opt, &r, NULL);
    SB_TEST_CHECK(!ok && r.violation == want, "want violation %s, got %s: %s", sb_violation_name(want),
             sb_violation_name(r.violation), r.message);
    SB_TEST_CHECK(strstr(r.message, "broken") != NULL, "message names the kernel: %s", r.message);
}

int main(void)
{
    uint64_t seed = sb_test_init("test_contract", 3);
    float x[16];
    sb_softmax_params p;
    sb_row_spec s = {16, 3.0, SB_TAIL_UNIFORM, 0, SB_PLACE_FIRST, SB_EDGE_NONE, 0};
    sb_row_generate(&s, seed, x, &p);

    /* the reference itself passes, in place and misaligned */
    sb_softmax_kernel good = *sb_softmax_kernel_find("softmax_reference_f64");
    float y[16];
    sb_oracle o = {0};
    o.y = y;
    o.sink_index = SIZE_MAX;
    sb_oracle_softmax(x, 16, &p, &o, 0);
    sb_contract_result r;
    sb_run_options opt = {1, 1};
    SB_TEST_CHECK(sb_contract_run(&good, x, 16, &p, &o, &opt, &r, NULL), "reference passes: %s", r.message);

    expect(off_by_three, 2.0, SB_V_ULP, x, 16, &p, 0);
    expect(writes_past_end, 2.0, SB_V_OUT_OF_BOUNDS, x, 16, &p, 0);
    expect(modifies_input, 2.0, SB_V_INPUT_MODIFIED, x, 16, &p, 0);
#if defined(__x86_64__) || defined(__aarch64__)
    expect(leaves_ftz_on, 2.0, SB_V_FP_CONTROL, x, 16, &p, 0);
    set_flush_to_zero(0);
#endif
    expect(differs_in_place, 2.0, SB_V_IN_PLACE, x, 16, &p, 1);

    float nanrow[16];
    memcpy(nanrow, x, sizeof nanrow);
    nanrow[7] = NAN;
    expect(drops_nan, 2.0, SB_V_NAN_EXPECTED, nanrow, 16, &p, 0);

    float masked[16];
    memcpy(masked, x, sizeof masked);
    masked[9] = -INFINITY;
    expect(clamps_masked, 2.0, SB_V_NOT_ZERO, masked, 16, &p, 0);

    float single[1] = {0.0f};
    expect(breaks_range, 2.0, SB_V_RANGE, single, 1, NULL, 0);

    /* the API rules */
    sb_softmax_kernel bad = {"broken", "scalar", "test", sb_cpu_supports_scalar, accepts_overlap, 2.0, 0};
    SB_TEST_CHECK(!sb_contract_check_api(&bad, &r) && r.violation == SB_V_STATUS, "overlap accepted: %s", r.message);
    SB_TEST_CHECK(sb_contract_check_api(&good, &r), "reference follows the API rules: %s", r.message);
    return sb_test_finish("test_contract");
}
