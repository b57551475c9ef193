/* Every registered kernel against the MPFR oracle under the contract (the same suite as
 * `sinkbench check`), plus rows of 16 M entries. A failure prints kernel, seed, n and the first
 * offending index.
 *   test_suite quick|full [kernel]   the contract suite
 *   test_suite huge [kernel,...]     16 M-entry rows */
#include <stdlib.h>
#include <string.h>

#include "check/suite.h"
#include "sinkbench/sinkbench.h"
#include "testkit.h"

static void report(const sb_suite_stats *st, size_t nk)
{
    for (size_t k = 0; k < nk; k++) {
        const sb_suite_stats *s = &st[k];
        if (s->skipped)
            continue;
        printf("%-34s rows %6zu  max ulp %6llu  bound %5g  failing rows %zu\n", s->kernel->name, s->rows,
               (unsigned long long)s->max_ulp, s->kernel->ulp_bound, s->failures);
        SB_TEST_CHECK(s->api_ok, "%s", s->api.message);
        if (s->kernel->ulp_bound < 0)
            continue;
        SB_TEST_CHECK(s->failures == 0,
                 "%s\n  row: n=%zu gap=%g tail=%s sink=%s edge=%s offset=%g row seed %" PRIu64 " misalign %zu%s",
                 s->first.message, s->first_spec.n, s->first_spec.gap, sb_tail_name(s->first_spec.tail),
                 sb_place_name(s->first_spec.place), sb_edge_name(s->first_spec.edge), s->first_spec.offset,
                 s->first_seed, s->first_run.misalign, s->first_run.in_place ? " in place" : "");
        SB_TEST_CHECK(s->max_ulp <= (unsigned long long)s->kernel->ulp_bound, "%s max ulp within its bound",
                 s->kernel->name);
    }
}

static void run_suite(sb_suite_level level, const char *only)
{
    size_t nk = sb_softmax_kernel_count();
    sb_suite_stats *st = calloc(nk, sizeof *st);
    sb_suite_options o = {level, sb_test_seed, only, 1, NULL, NULL};
    SB_TEST_CHECK(sb_suite_run(&o, st) == SB_OK, "suite ran");
    report(st, nk);
    /* The study kernel exists to show what the max subtraction buys: it must break. */
    for (size_t k = 0; k < nk && !only; k++)
        if (strcmp(st[k].kernel->name, "softmax_naive_f32") == 0)
            SB_TEST_CHECK(st[k].failures > 0, "the naive kernel breaks on large logits");
    free(st);
}

/* Non-zero when name is one of the comma-separated names in list. */
static int in_list(const char *list, const char *name)
{
    size_t len = strlen(name);
    for (const char *p = list; p && *p;) {
        const char *end = strchr(p, ',');
        size_t l = end ? (size_t)(end - p) : strlen(p);
        if (l == len && strncmp(p, name, len) == 0)
            return 1;
        p = end ? end + 1 : NULL;
    }
    return 0;
}

/* 16 M-entry rows: the summation has to stay accurate over millions of terms. only: a
 * comma-separated list of kernels (NULL: every contract kernel). */
static void run_huge(const char *only)
{
    const size_t n = (size_t)1 << 24;
    float *x = malloc(n * sizeof *x), *want = malloc(n * sizeof *want);
    SB_TEST_CHECK(x && want, "memory");
    if (!x || !want)
        return;
    const sb_row_spec specs[] = {
        {n, 0.0, SB_TAIL_EQUAL, 0, SB_PLACE_NONE, SB_EDGE_NONE, 0},
        {n, 15.0, SB_TAIL_GAUSSIAN, 0, SB_PLACE_LAST, SB_EDGE_NONE, 0},
        {n, 20.0, SB_TAIL_UNIFORM, 0, SB_PLACE_LEARNED, SB_EDGE_NONE, 7.0},
    };
    for (size_t s = 0; s < sizeof specs / sizeof specs[0]; s++) {
        sb_softmax_params p;
        uint64_t seed = sb_test_seed + s;
        sb_oracle o = {0};
        o.y = want;
        o.sink_index = sb_row_generate(&specs[s], seed, x, &p);
        SB_TEST_CHECK(sb_oracle_softmax(x, n, &p, &o, 0) == SB_OK, "oracle");
        for (size_t k = 0; k < sb_softmax_kernel_count(); k++) {
            const sb_softmax_kernel *kk = sb_softmax_kernel_at(k);
            if (!kk->supported() || kk->ulp_bound < 0 || (only && !in_list(only, kk->name)))
                continue;
            sb_contract_result r;
            sb_run_options run = {s, 0};
            int ok = sb_contract_run(kk, x, n, &p, &o, &run, &r, NULL);
            printf("%-34s 16M row %zu (%s, gap %g): max ulp %llu\n", kk->name, s, sb_tail_name(specs[s].tail),
                   specs[s].gap, (unsigned long long)r.max_ulp);
            SB_TEST_CHECK(ok, "%s (row seed %" PRIu64 ")", r.message, seed);
        }
    }
    free(x);
    free(want);
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "quick";
    const char *only = argc > 2 ? argv[2] : NULL;
    sb_test_init("test_suite", 20261129);
    if (strcmp(mode, "huge") == 0)
        run_huge(only);
    else
        run_suite(strcmp(mode, "full") == 0 ? SB_SUITE_FULL : SB_SUITE_QUICK, only);
    return sb_test_finish("test_suite");
}
