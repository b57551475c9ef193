/* The perturbation study's verdicts at fixed seeds (docs/perturbation.md, "Verdicts"):
 *
 * - the statistics behind every interval (t quantiles, intervals, slopes, the judging rule);
 * - a small study (4 layers, 16 tokens, width 16) whose re-specified claims must come out reproduced with
 *   their intervals on the predicted side, and whose sanity checks must pass;
 * - the criteria have teeth: the same measurements with the effect taken out (no growth with depth, a
 *   constant gap over n, no collapse, softmax1 equal to plain softmax) make each verdict fail, and a stack
 *   whose sink is switched off (gap 0, value scale 1) fails the sanity checks of the imposed sink.
 *
 * Sizes are small enough for the sanitizers and qemu (SINKBENCH_TREND_SIZE=small halves them further). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "studies/stack/perturb_study.h"
#include "testkit.h"

static void test_stats(void)
{
    SB_TEST_CHECK(fabs(sb_perturb_t975(1) - 12.7062) < 1e-4 && fabs(sb_perturb_t975(7) - 2.3646) < 1e-4,
             "t quantiles from the table");
    SB_TEST_CHECK(fabs(sb_perturb_t975(60) - 2.0003) < 2e-3 && fabs(sb_perturb_t975(1000) - 1.9623) < 2e-3,
             "t quantiles from the expansion: %g %g", sb_perturb_t975(60), sb_perturb_t975(1000));
    double v[4] = {1, 2, 3, 4};
    sb_perturb_est e = sb_perturb_est_of(v, 4);
    double half = 3.1824 * sqrt(5.0 / 3.0) / 2.0;
    SB_TEST_CHECK(fabs(e.mean - 2.5) < 1e-12 && fabs(e.hi - 2.5 - half) < 1e-4 && e.n == 4, "interval of 1..4: %g [%g, %g]",
             e.mean, e.lo, e.hi);
    double w[3] = {2, 8, NAN};
    e = sb_perturb_est_log(w, 3);
    SB_TEST_CHECK(fabs(e.mean - 4.0) < 1e-12 && e.missing == 1 && e.lo < 4 && e.hi > 4, "geometric mean 4, NaN left out");
    double a[3] = {4, 9, 16}, b[3] = {1, 1, 1};
    e = sb_perturb_est_ratio(a, b, 3);
    SB_TEST_CHECK(fabs(e.mean - cbrt(4.0 * 9 * 16)) < 1e-9 && e.log, "ratios on a log scale");
    double x[4] = {1, 2, 3, 4}, y[4] = {3, 5, 7, 9};
    SB_TEST_CHECK(fabs(sb_perturb_slope(x, y, 4) - 2.0) < 1e-12, "slope");
    SB_TEST_CHECK(isnan(sb_perturb_slope(x, y, 1)), "one point has no slope");
    double yd[4] = {10, 6, 2, 1};
    SB_TEST_CHECK(fabs(sb_perturb_cross_down(x, yd, 4, 4.0) - 2.5) < 1e-12, "crossing down");
    SB_TEST_CHECK(isnan(sb_perturb_cross_up(x, yd, 4, 4.0)), "no crossing up");
    /* The rule: the whole interval on the predicted side. */
    SB_TEST_CHECK(sb_perturb_judge(SB_RULE_ABOVE, 1.1, 2.0, 1.0, 0) == SB_OUTCOME_HOLDS, "above holds");
    SB_TEST_CHECK(sb_perturb_judge(SB_RULE_ABOVE, 0.5, 2.0, 1.0, 0) == SB_OUTCOME_INCONCLUSIVE, "straddle: inconclusive");
    SB_TEST_CHECK(sb_perturb_judge(SB_RULE_ABOVE, 0.5, 0.9, 1.0, 0) == SB_OUTCOME_FAILS, "below: fails");
    SB_TEST_CHECK(sb_perturb_judge(SB_RULE_BELOW, 0.5, 0.9, 1.0, 0) == SB_OUTCOME_HOLDS, "below holds");
    SB_TEST_CHECK(sb_perturb_judge(SB_RULE_BETWEEN, 0.8, 1.2, 0.5, 1.5) == SB_OUTCOME_HOLDS, "between holds");
    SB_TEST_CHECK(sb_perturb_judge(SB_RULE_BETWEEN, -0.2, 0.3, 0.5, 1.5) == SB_OUTCOME_FAILS, "between fails");
    SB_TEST_CHECK(sb_perturb_judge(SB_RULE_BETWEEN, 0.3, 0.7, 0.5, 1.5) == SB_OUTCOME_INCONCLUSIVE, "between straddles");
    SB_TEST_CHECK(sb_perturb_judge(SB_RULE_ABOVE, NAN, 1, 0, 0) == SB_OUTCOME_INCONCLUSIVE, "no interval: inconclusive");
    SB_TEST_CHECK(sb_perturb_judge(SB_RULE_NONE, 1, 2, 0, 0) == SB_OUTCOME_OBSERVED, "observations are not judged");
}

static int tiny; /* SINKBENCH_TREND_SIZE=small: the sanitizers' and qemu's smaller study */

static const sb_perturb_verdict *find(const sb_perturb_results *r, const char *id)
{
    for (size_t k = 0; k < r->n_verdicts; k++)
        if (strcmp(r->verdicts[k].id, id) == 0)
            return &r->verdicts[k];
    return NULL;
}

/* want: the outcome; SB_OUTCOME_FAILS: anything but "holds"; SB_OUTCOME_FAILS + 100: anything but "fails". */
static void expect(const sb_perturb_results *r, const char *id, int want)
{
    const sb_perturb_verdict *v = find(r, id);
    SB_TEST_CHECK(v != NULL, "verdict %s exists", id);
    if (!v)
        return;
    if (want == SB_OUTCOME_FAILS + 100)
        SB_TEST_CHECK(v->outcome != SB_OUTCOME_FAILS, "%s must not fail: %s [%g, %g] (%s)", id, v->result, v->est.lo, v->est.hi,
                 v->criterion);
    else if (want == SB_OUTCOME_FAILS)
        SB_TEST_CHECK(v->outcome != SB_OUTCOME_HOLDS, "%s must not hold without the effect: %s [%g, %g] (%s)", id, v->result,
                 v->est.lo, v->est.hi, v->criterion);
    else
        SB_TEST_CHECK((int)v->outcome == want, "%s: outcome %d, want %d: %s; interval [%g, %g]; %s", id, (int)v->outcome, want,
                 v->result, v->est.lo, v->est.hi, v->criterion);
}

static void small_options(sb_perturb_options *o)
{
    const char *size = getenv("SINKBENCH_TREND_SIZE");
    tiny = size && strcmp(size, "small") == 0;
    sb_perturb_options_default(o, SB_PERTURB_QUICK);
    o->seed = sb_test_seed;
    o->seeds = tiny ? 4 : 6;
    o->sequences = tiny ? 2 : 3;
    o->layers = tiny ? 4 : 8;
    o->tokens = 16;
    o->width = 16;
    o->heads = 2;
    o->context_max = tiny ? 64 : 1024;
    o->plots = 0;
    o->progress = 0;
}

/* The re-specified claims and every sanity check at the test's seed; then the same measurements with each
 * effect removed, which must not pass. */
static void test_study(void)
{
    sb_perturb_options o;
    small_options(&o);
    sb_perturb_results *r = malloc(sizeof *r);
    SB_TEST_CHECK(r && sb_perturb_study_run(&o, r) == SB_OK, "the small study runs");
    if (!r)
        return;
    printf("  small study: %zu verdicts\n", r->n_verdicts);
    for (size_t k = 0; k < r->n_verdicts; k++)
        printf("  %-26s %-14s %s\n", r->verdicts[k].id,
               r->verdicts[k].outcome == SB_OUTCOME_HOLDS ? "holds" : r->verdicts[k].outcome == SB_OUTCOME_FAILS ? "fails"
               : r->verdicts[k].outcome == SB_OUTCOME_INCONCLUSIVE ? "inconclusive" : "observed",
               r->verdicts[k].result);
    static const char *const reproduced[] = {"depth_drift", "depth_rank_collapse", "sensitivity_first_token",
                                             "context_gap_leak", "context_participation", "representational_collapse",
                                             "precision_collapse", "softmax1_offset"};
    /* The small study's intervals are too wide to promise a verdict: there they must only not fail. */
    for (size_t i = 0; i < sizeof reproduced / sizeof *reproduced; i++)
        expect(r, reproduced[i], tiny ? SB_OUTCOME_FAILS + 100 : SB_OUTCOME_HOLDS);
    static const char *const sanity[] = {"sink_drift_bos", "sink_drift_no_bos", "sink_drift_learned", "locality",
                                         "sink_metric", "repeated_tokens", "linear_limit", "derivatives",
                                         "pr_with_sink", "offset_invariance", "sink_strength"};
    for (size_t i = 0; i < sizeof sanity / sizeof *sanity; i++) {
        expect(r, sanity[i], SB_OUTCOME_HOLDS);
        const sb_perturb_verdict *v = find(r, sanity[i]);
        SB_TEST_CHECK(v && v->kind == SB_KIND_SANITY, "%s is listed as a sanity check", sanity[i]);
    }
    /* The intervals themselves, as the verdicts state them. */
    const sb_perturb_verdict *v = tiny ? NULL : find(r, "context_gap_leak");
    if (!tiny) {
    SB_TEST_CHECK(v && v->est.lo > 0.5 && v->est.hi < 1.5, "leak gap slope in (0.5, 1.5): [%g, %g]", v ? v->est.lo : NAN,
             v ? v->est.hi : NAN);
    v = find(r, "representational_collapse");
    SB_TEST_CHECK(v && v->est.lo > -1.5 && v->est.hi < -0.5, "collapse slope in (-1.5, -0.5): [%g, %g]", v ? v->est.lo : NAN,
             v ? v->est.hi : NAN);
    v = find(r, "softmax1_offset");
    SB_TEST_CHECK(v && v->est.lo > v->a && v->a > 1.5, "softmax1 factor above sqrt(1/m) = %g: [%g, %g]", v ? v->a : NAN,
             v ? v->est.lo : NAN, v ? v->est.hi : NAN);
    }
    for (size_t k = 0; k < r->n_verdicts; k++) {
        const sb_perturb_verdict *w = &r->verdicts[k];
        SB_TEST_CHECK(w->claim[0] && w->source[0] && w->quantity[0] && w->prediction[0] && w->criterion[0] && w->result[0] &&
                     w->sampling[0],
                 "%s states claim, source, quantity, prediction, criterion, result and sampling", w->id);
        SB_TEST_CHECK(w->kind == SB_KIND_OBSERVATION || w->rule != SB_RULE_NONE, "%s has a rule", w->id);
    }

    /* Take each effect out of the measurements: the verdict must not hold any more. */
    size_t L = r->L, W = r->W;
    sb_perturb_mode *none = &r->mode[SB_STACK_SINK_NONE];
    for (size_t k = 0; k < W; k++) {
        none->drift_rel[L * W + k] = none->drift_rel[W + k] * (k % 2 ? 1.02 : 0.98); /* no growth with depth */
        none->residual[L * W + k] = none->residual[k];                                /* no rank collapse */
        for (size_t i = 0; i < r->n_ctx; i++)
            r->gap_leak[i][k] = 9.0 + 0.01 * (double)((k + i) % 3); /* a fixed gap whatever n */
        for (size_t i = 0; i < r->n_pn; i++)
            r->coll[0][i][k] = 0.3 * (1.0 + 0.01 * (double)k);       /* no collapse with n */
        for (size_t i = 0; i < r->n_offsets; i++)
            r->off_drift[1][i][k] = r->off_drift[0][i][k];          /* softmax1 = plain softmax */
    }
    sb_perturb_trends_compute(r);
    static const char *const broken[] = {"depth_drift", "depth_rank_collapse", "context_gap_leak",
                                         "representational_collapse", "softmax1_offset"};
    for (size_t i = 0; i < sizeof broken / sizeof *broken; i++)
        expect(r, broken[i], SB_OUTCOME_FAILS);
    sb_perturb_results_free(r);
    free(r);
}

/* A "sink" that does nothing (gap 0, value scale 1 for bos and no_bos; the learned sink's logit at 0 is
 * still a sink, so only the token sinks are checked): the sanity checks of the imposed sink must fail. */
static void test_sink_off(void)
{
    sb_perturb_options o;
    small_options(&o);
    o.gap = 0.0;
    o.value_scale = 1.0;
    o.context_max = 16;
    sb_perturb_results *r = malloc(sizeof *r);
    SB_TEST_CHECK(r && sb_perturb_study_run(&o, r) == SB_OK, "the study runs with the sink switched off");
    if (!r)
        return;
    expect(r, "sink_drift_bos", SB_OUTCOME_FAILS);
    expect(r, "sink_drift_no_bos", SB_OUTCOME_FAILS);
    expect(r, "sink_metric", SB_OUTCOME_FAILS);
    expect(r, "locality", SB_OUTCOME_FAILS);
    sb_perturb_results_free(r);
    free(r);
}

int main(void)
{
    sb_test_init("test_stack_trends", 20261129);
    test_stats();
    test_study();
    test_sink_off();
    return sb_test_finish("test_stack_trends");
}
