/* The attention contract suite (what `sinkbench check` and the report run): every supported kernel
 * runs every problem and passes; kernels with the bugs seen in the wild (a forgotten sink, a small
 * error in every output, an error next to an infinite value) are caught by it. */
#include <math.h>
#include <string.h>

#include "check/attention_suite.h"
#include "testkit.h"

static const sb_attention_kernel *reference(void) { return sb_attention_kernel_find("attention_reference_f64"); }

static int always(void) { return 1; }

/* Forgets the sink (softmax over the keys only). */
static sb_status sink_forgotten(const sb_attention_desc *d)
{
    sb_attention_desc c = *d;
    c.sink = SB_ATTENTION_SINK_NONE;
    return reference()->fn(&c);
}

/* The reference's answer with a relative error of 2^-12 on every finite component. */
static sb_status slightly_off(const sb_attention_desc *d)
{
    sb_status st = reference()->fn(d);
    if (st != SB_OK)
        return st;
    for (size_t i = 0; i < d->n_queries; i++)
        for (size_t h = 0; h < d->n_heads; h++) {
            float *o = d->out + i * d->out_stride_token + h * d->out_stride_head;
            for (size_t c = 0; c < d->head_dim; c++)
                if (isfinite(o[c]))
                    o[c] += o[c] * 0x1p-12f;
        }
    return SB_OK;
}

static sb_attention_bound ref_bound(const sb_attention_desc *d, double score_size)
{
    return reference()->error_bound(d, score_size);
}

int main(void)
{
    uint64_t seed = tk_init("test_attention_suite", 20261129);
    size_t na = sb_attention_kernel_count(), cases = sb_attention_suite_case_count(SB_SUITE_QUICK);
    TK_CHECK(cases >= 20, "%zu problems", cases);
    TK_CHECK(sb_attention_suite_case_count(SB_SUITE_FULL) > cases, "the full level adds problems");

    /* every supported kernel (SIMDe emulations too) runs every problem and obeys the contract */
    sb_suite_options o = {SB_SUITE_QUICK, seed, NULL, 1, NULL, NULL};
    sb_attention_suite_stats *st = calloc(na, sizeof *st);
    TK_CHECK(st && sb_attention_suite_run(&o, st) == SB_OK, "suite ran");
    size_t ran = 0;
    for (size_t k = 0; st && k < na; k++) {
        if (st[k].skipped) {
            TK_CHECK(!st[k].kernel->supported(), "%s skipped although supported", st[k].kernel->name);
            continue;
        }
        ran++;
        TK_CHECK(st[k].problems == cases, "%s ran %zu of %zu problems", st[k].kernel->name, st[k].problems, cases);
        TK_CHECK(st[k].failures == 0, "%s: %s", st[k].kernel->name, st[k].first.message);
        TK_CHECK(st[k].rows_special > 0 && st[k].rows_formula > 0, "%s: both kinds of rows", st[k].kernel->name);
        if (st[k].kernel->error_bound)
            TK_CHECK(st[k].max_ratio <= 1.0 && isfinite(st[k].max_ratio), "%s: ratio %g", st[k].kernel->name,
                     st[k].max_ratio);
    }
    TK_CHECK(ran >= 3, "%zu kernels ran", ran);
    TK_CHECK(st && !sb_attention_suite_failed(st, na), "the suite passes");
    free(st);

    /* the same seed gives the same problems; another seed other inputs */
    sb_attention_problem a, b, c;
    sb_attention_expected ea, eb, ec;
    TK_CHECK(sb_attention_suite_build(SB_SUITE_QUICK, seed, 1, &a, &ea), "build");
    TK_CHECK(sb_attention_suite_build(SB_SUITE_QUICK, seed, 1, &b, &eb), "build");
    TK_CHECK(sb_attention_suite_build(SB_SUITE_QUICK, seed + 1, 1, &c, &ec), "build");
    size_t cells = ea.rows * ea.head_dim;
    TK_CHECK(memcmp(ea.o, eb.o, cells * sizeof *ea.o) == 0, "same seed, same expected outputs");
    TK_CHECK(memcmp(ea.o, ec.o, cells * sizeof *ea.o) != 0, "another seed, other inputs");
    sb_attention_expected_free(&ea);
    sb_attention_expected_free(&eb);
    sb_attention_expected_free(&ec);
    sb_attention_problem_free(&a);
    sb_attention_problem_free(&b);
    sb_attention_problem_free(&c);

    /* broken kernels are caught, with the rule named, by the suite's own problems (built one by one:
     * under qemu three passes over the suite would take minutes) */
    const sb_attention_kernel bad[] = {
        {"attention_test_sink_forgotten", "scalar", "reference", always, sink_forgotten, ref_bound, "as reference", 0},
        {"attention_test_slightly_off", "scalar", "reference", always, slightly_off, ref_bound, "as reference", 0},
    };
    for (size_t bk = 0; bk < 2; bk++) {
        TK_CHECK(sb_attention_register(&bad[bk]) == SB_OK, "register %s", bad[bk].name);
        const sb_attention_kernel *k = sb_attention_kernel_find(bad[bk].name);
        size_t caught = cases;
        sb_attention_contract_result r;
        memset(&r, 0, sizeof r);
        for (size_t i = 0; k && i < cases && caught == cases; i++) {
            sb_attention_problem p;
            sb_attention_expected e;
            TK_CHECK(sb_attention_suite_build(SB_SUITE_QUICK, seed, i, &p, &e), "build");
            if (!sb_attention_contract_run(k, &p.d, &e, &r))
                caught = i;
            sb_attention_expected_free(&e);
            sb_attention_problem_free(&p);
        }
        TK_CHECK(caught < cases && r.rule && strcmp(r.rule, "error bound") == 0, "%s caught (problem %zu, rule %s)",
                 bad[bk].name, caught, r.rule ? r.rule : "none");
    }
    /* the suite's verdict: a failing kernel with a bound fails it, a study kernel never */
    sb_attention_suite_stats two[2];
    memset(two, 0, sizeof two);
    two[0].kernel = sb_attention_kernel_find("attention_test_slightly_off");
    two[0].failures = 1;
    two[1].kernel = sb_attention_kernel_find("attention_flash_scalar");
    TK_CHECK(two[0].kernel && two[1].kernel && sb_attention_suite_failed(two, 2), "a failing kernel fails the suite");
    two[0].skipped = 1;
    TK_CHECK(!sb_attention_suite_failed(two, 2), "a skipped kernel does not");

    /* an error next to an infinite value is still an error: the +inf-in-v problem alone */
    size_t inf_case = cases;
    for (size_t i = 0; i < cases; i++) {
        sb_attention_spec sp;
        uint64_t cs;
        if (strstr(sb_attention_suite_case(SB_SUITE_QUICK, seed, i, &sp, &cs), "+inf in a value"))
            inf_case = i;
    }
    TK_CHECK(inf_case < cases, "the suite has a +inf value problem");
    if (inf_case < cases) {
        sb_attention_problem p;
        sb_attention_expected e;
        sb_attention_contract_result r;
        TK_CHECK(sb_attention_suite_build(SB_SUITE_QUICK, seed, inf_case, &p, &e), "build");
        TK_CHECK(!sb_attention_contract_run(sb_attention_kernel_find("attention_test_slightly_off"), &p.d, &e, &r),
                 "an error beside +inf is caught");
        TK_CHECK(sb_attention_contract_run(reference(), &p.d, &e, &r), "the reference passes: %s", r.message);
        sb_attention_expected_free(&e);
        sb_attention_problem_free(&p);
    }
    return tk_finish("test_attention_suite");
}
