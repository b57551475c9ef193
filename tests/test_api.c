/* The public API: status codes, the registry, registration and dispatch. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check/contract.h"
#include "core/dispatch_plan.h"
#include "sinkbench/sinkbench.h"
#include "testkit.h"

static sb_status dummy(const float *x, float *y, size_t n, const sb_softmax_params *p)
{
    return sb_softmax_check_args(x, y, n, p);
}

static void test_public_entry_point(int dispatch_ok)
{
    float x[8] = {1, 2, 3, 4, 5, 6, 7, 8}, y[8];
    if (dispatch_ok) {
        SB_TEST_CHECK(sb_softmax_f32(x, y, 8, NULL) == SB_OK, "valid row");
        double sum = 0;
        for (int i = 0; i < 8; i++)
            sum += y[i];
        SB_TEST_CHECK(fabs(sum - 1.0) < 1e-6, "sums to 1: %g", sum);
        SB_TEST_CHECK(sb_softmax_f32(x, x, 8, NULL) == SB_OK, "in place");
    }
    SB_TEST_CHECK(sb_softmax_f32(NULL, y, 8, NULL) == SB_EINVAL, "NULL x");
    SB_TEST_CHECK(sb_softmax_f32(x, NULL, 8, NULL) == SB_EINVAL, "NULL y");
    SB_TEST_CHECK(sb_softmax_f32(NULL, NULL, 0, NULL) == SB_OK, "n == 0");
    SB_TEST_CHECK(sb_softmax_f32(x, x + 2, 4, NULL) == SB_EINVAL, "partial overlap");
    SB_TEST_CHECK(sb_softmax_f32(x, y, SB_SOFTMAX_MAX_N + 1, NULL) == SB_EINVAL, "n too large");
    sb_softmax_params bad = {(sb_sink_kind)5, 0};
    SB_TEST_CHECK(sb_softmax_f32(x, y, 8, &bad) == SB_EINVAL, "unknown sink kind");
    for (int s = 0; s <= 3; s++)
        SB_TEST_CHECK(strlen(sb_status_str((sb_status)s)) > 0, "status string");
    SB_TEST_CHECK(strcmp(sb_status_str(SB_EINVAL), "invalid argument") == 0, "EINVAL string");
}

static void test_registry(void)
{
    size_t n = sb_softmax_kernel_count();
    SB_TEST_CHECK(n >= 3, "at least the references are registered (%zu)", n);
    SB_TEST_CHECK(sb_softmax_kernel_at(n) == NULL, "past the end");
    for (size_t i = 0; i < n; i++) {
        const sb_softmax_kernel *k = sb_softmax_kernel_at(i);
        SB_TEST_CHECK(k && k->name && k->isa && k->algorithm && k->supported && k->fn, "complete entry %zu", i);
        SB_TEST_CHECK(sb_softmax_kernel_find(k->name) == k, "find(%s)", k->name);
        for (size_t j = 0; j < i; j++)
            SB_TEST_CHECK(strcmp(k->name, sb_softmax_kernel_at(j)->name) != 0, "unique name %s", k->name);
        /* every kernel, study kernels too, follows the API rules */
        if (k->supported()) {
            sb_contract_result r;
            SB_TEST_CHECK(sb_contract_check_api(k, &r), "%s", r.message);
        }
    }
    SB_TEST_CHECK(sb_softmax_kernel_find("softmax_reference_f64") != NULL, "reference present");
    SB_TEST_CHECK(sb_softmax_kernel_find("nope") == NULL && sb_softmax_kernel_find(NULL) == NULL, "missing names");

    sb_softmax_kernel k = {"test_dummy", "scalar", "test", sb_cpu_supports_scalar, dummy, 0, 0};
    SB_TEST_CHECK(sb_softmax_register(&k) == SB_OK, "register");
    SB_TEST_CHECK(sb_softmax_kernel_count() == n + 1, "count grows");
    const sb_softmax_kernel *got = sb_softmax_kernel_find("test_dummy");
    SB_TEST_CHECK(got && (got->flags & SB_KERNEL_PLUGIN), "registered kernels are flagged as plugins");
    SB_TEST_CHECK(sb_softmax_register(&k) == SB_EINVAL, "duplicate name refused");
    sb_softmax_kernel nofn = k;
    nofn.name = "test_nofn";
    nofn.fn = NULL;
    SB_TEST_CHECK(sb_softmax_register(&nofn) == SB_EINVAL, "NULL fn refused");
    SB_TEST_CHECK(sb_softmax_register(NULL) == SB_EINVAL, "NULL kernel refused");
}

static void test_dispatch(void)
{
    const char *forced = getenv("SINKBENCH_ISA");
    const sb_softmax_kernel *k = sb_softmax_dispatch(4096);
    if (forced && strcmp(forced, "bogus") == 0) {
        SB_TEST_CHECK(k == NULL && sb_dispatch_isa() == NULL, "bogus ISA gives no kernel");
        SB_TEST_CHECK(strstr(sb_dispatch_note(), "bogus") != NULL, "note names it: %s", sb_dispatch_note());
        float x[2] = {0, 0}, y[2];
        SB_TEST_CHECK(sb_softmax_f32(x, y, 2, NULL) == SB_EUNSUPPORTED, "API says unsupported");
        SB_TEST_CHECK(sb_attention_dispatch() == NULL, "the one dispatcher: attention gets no kernel either");
        return;
    }
    SB_TEST_CHECK(k != NULL, "dispatch finds a kernel: %s", sb_dispatch_note());
    if (!k)
        return;
    SB_TEST_CHECK(k->supported() && !(k->flags & SB_KERNEL_EMULATED) && k->ulp_bound >= 0,
             "dispatch picks a native contract kernel (%s)", k->name);
    if (forced)
        SB_TEST_CHECK(strcmp(sb_dispatch_isa(), forced) == 0 && strcmp(k->isa, forced) == 0,
                 "SINKBENCH_ISA=%s honoured (got %s)", forced, k->isa);
    for (size_t n = 1; n <= ((size_t)1 << 24); n *= 4)
        SB_TEST_CHECK(sb_softmax_dispatch(n) != NULL, "a kernel for n=%zu", n);
    /* One dispatcher: attention runs the flash kernel of the ISA softmax uses. */
    const sb_attention_kernel *a = sb_attention_dispatch();
    SB_TEST_CHECK(a && strcmp(a->isa, sb_dispatch_isa()) == 0 && strcmp(a->algorithm, "flash") == 0 &&
                 !(a->flags & SB_KERNEL_EMULATED),
             "attention dispatch on %s: %s", sb_dispatch_isa(), a ? a->name : "none");
}

/* Every entry of the dispatch plans names a registered kernel: a misspelt name must fail here, not
 * silently take an ISA out of dispatch. */
static void test_dispatch_plan(void)
{
    char err[256];
    size_t bad = sb_dispatch_plan_verify(err, sizeof err);
    SB_TEST_CHECK(bad == 0, "dispatch plans name registered kernels only (%zu bad: %s)", bad, err);
    /* and the check catches a misspelt name (scalar is an ISA of every build) */
    const sb_dispatch_plan_entry typo[] = {{"scalar", 0, "softmax_three_pass_scalar"},
                                           {"scalar", 1024, "softmax_chunkd_scalar"}};
    SB_TEST_CHECK(sb_dispatch_plan_check(SB_DISPATCH_SOFTMAX, typo, 2, err, sizeof err) == 1 &&
                 strstr(err, "softmax_chunkd_scalar") != NULL,
             "a misspelt plan entry is reported: %s", err);
    for (int f = 0; f < SB_DISPATCH_FUNCTIONS; f++) {
        size_t n;
        const sb_dispatch_plan_entry *p = sb_dispatch_plan((sb_dispatch_function)f, &n);
        SB_TEST_CHECK(n > 0, "plan %d has entries", f);
        for (size_t i = 1; i < n; i++)
            if (strcmp(p[i].isa, p[i - 1].isa) == 0)
                SB_TEST_CHECK(p[i].min_n > p[i - 1].min_n, "plan %d: %s entries sorted by length", f, p[i].isa);
    }
}

static void test_cpu(void)
{
    const sb_cpu_info *c = sb_cpu();
    SB_TEST_CHECK(c && c->arch && c->model[0], "cpu info");
#if defined(__x86_64__)
    SB_TEST_CHECK(sb_cpu_has(SB_CPU_SSE2), "x86-64 always has SSE2");
#endif
#if defined(__aarch64__)
    SB_TEST_CHECK(sb_cpu_has(SB_CPU_NEON), "aarch64 always has NEON");
#endif
    char buf[256];
    sb_cpu_feature_string(SB_CPU_AVX2 | SB_CPU_FMA, buf, sizeof buf);
    SB_TEST_CHECK(strcmp(buf, "avx2 fma") == 0, "feature string '%s'", buf);
    SB_TEST_CHECK(strlen(sb_version()) > 0 && strlen(sb_build_info()) > 0, "version");

    /* The description: cpuinfo's, or the fallback's with its reason (kernels/core/cpu.c). */
    SB_TEST_CHECK(c->microarchitecture[0] && c->source && c->fallback_reason, "description fields set");
    printf("cpu: %s %s: %s; L1d %zu, L2 %zu, L3 %zu bytes (%s%s%s)\n", c->vendor, c->model, c->microarchitecture,
           c->l1d, c->l2, c->l3, c->source, c->fallback_reason[0] ? ": " : "", c->fallback_reason);
    if (strcmp(c->source, "cpuinfo") == 0) {
        SB_TEST_CHECK(!c->emulated, "cpuinfo is not asked under emulation");
        SB_TEST_CHECK(c->fallback_reason[0] == 0, "cpuinfo used, yet a fallback reason: %s", c->fallback_reason);
        SB_TEST_CHECK(c->l1d > 0, "cpuinfo knows no L1d");
    } else {
        SB_TEST_CHECK(strcmp(c->source, "sysfs") == 0 || strcmp(c->source, "sysconf") == 0 || strcmp(c->source, "none") == 0,
                 "unknown source '%s'", c->source);
        SB_TEST_CHECK(c->fallback_reason[0] != 0, "the fallback is not flagged");
        SB_TEST_CHECK(strcmp(c->microarchitecture, "unknown") == 0, "the fallback names no microarchitecture (%s)",
                 c->microarchitecture);
    }
    SB_TEST_CHECK(strcmp(c->source, "none") != 0 || (!c->l1d && !c->l2 && !c->l3), "source none, yet cache sizes");
    SB_TEST_CHECK(sb_cpu() == c, "one description per process");
}

int main(void)
{
    sb_test_init("test_api", 0);
    const char *forced = getenv("SINKBENCH_ISA");
    test_public_entry_point(!(forced && strcmp(forced, "bogus") == 0));
    test_registry();
    test_dispatch();
    test_dispatch_plan();
    test_cpu();
    return sb_test_finish("test_api");
}
