/* The stability study's measuring sticks and its findings:
 *   - storage formats: rounding, spacing and ulp distance in binary16 and bfloat16;
 *   - the metrics on rows whose exact answers are known in closed form (equal tails) or by construction
 *     (exactly k entries below each flush threshold);
 *   - the thresholds of docs/numerics.md appear where theory puts them, measured by the sweep itself
 *     with the reference kernels;
 *   - every contract kernel stays within its bound on the quick sweep, and the sweep is deterministic.
 * usage: test_stability [thresholds|contract|all]   (default all) */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "studies/stability/stability.h"
#include "sinkbench/sinkbench.h"
#include "testkit.h"

static void test_formats(void)
{
    SB_TEST_CHECK(sb_format_round_double(1.0 + 0x1p-11, SB_FORMAT_F16) == 1.0, "f16 tie to even at 1");
    SB_TEST_CHECK(sb_format_round_double(1.0 + 0x1p-11 + 0x1p-30, SB_FORMAT_F16) == 1.0 + 0x1p-10, "f16 above the tie");
    SB_TEST_CHECK(sb_format_round_double(0x1p-25, SB_FORMAT_F16) == 0.0, "2^-25 ties to f16 zero");
    SB_TEST_CHECK(sb_format_round_double(0x1.0001p-25, SB_FORMAT_F16) == 0x1p-24, "just above 2^-25 rounds up to 2^-24");
    SB_TEST_CHECK(sb_format_round_double(0x1p-134, SB_FORMAT_BF16) == 0.0, "2^-134 ties to bf16 zero");
    SB_TEST_CHECK(sb_format_round_double(0x1.8p-133, SB_FORMAT_BF16) == 0x1p-132, "bf16 subnormal tie to even");
    SB_TEST_CHECK(sb_format_round_double(0x1p-150, SB_FORMAT_F32) == 0.0, "2^-150 ties to f32 zero");
    SB_TEST_CHECK(sb_format_ulp_of(1.0, SB_FORMAT_BF16) == 0x1p-7, "bf16 ulp(1) = 2^-7");
    SB_TEST_CHECK(sb_format_ulp_of(1.0, SB_FORMAT_F16) == 0x1p-10, "f16 ulp(1)");
    SB_TEST_CHECK(sb_format_ulp_of(1e-6, SB_FORMAT_F16) == 0x1p-24, "f16 subnormal spacing");
    SB_TEST_CHECK(sb_format_ulp_distance(1.0f, 1.0f + 0x1p-7f, SB_FORMAT_BF16) == 1, "one bf16 step");
    SB_TEST_CHECK(sb_format_ulp_distance(1.0f, 1.0f + 0x1p-9f, SB_FORMAT_F16) == 2, "two f16 steps");
    SB_TEST_CHECK(sb_format_ulp_distance(0.0f, 0x1p-24f, SB_FORMAT_F16) == 1, "f16 smallest subnormal is one step from 0");
    SB_TEST_CHECK(sb_format_ulp_distance(-0.0f, 0.0f, SB_FORMAT_F16) == 0, "signed zeros are one point");
    /* every binary32 value rounded through each format agrees with the scalar conversions */
    uint64_t bad = 0;
    for (uint32_t u = 0; u < 0x3f800000u; u += 0x1357u) {
        float f;
        memcpy(&f, &u, sizeof f);
        bad += sb_format_round_double((double)f, SB_FORMAT_F16) != (double)sb_round_f16(f);
        bad += sb_format_round_double((double)f, SB_FORMAT_BF16) != (double)sb_round_bf16(f);
    }
    SB_TEST_CHECK(bad == 0, "%llu values round differently from sb_round_f16/sb_round_bf16", (unsigned long long)bad);
}

/* The exact row of n' equal tail logits Δ below a sink token at index 0, in closed form. */
typedef struct closed_row {
    size_t n;
    double y_tail, p_sink, residual;
    double *y;
    float *cr, *v, *out;
    sb_stability_exact e;
} closed_row;

static void closed_row_init(closed_row *r, size_t n, double gap)
{
    double nt = (double)(n - 1), t = exp(-gap);
    r->n = n;
    r->y_tail = t / (1.0 + nt * t);
    r->p_sink = 1.0 / (1.0 + nt * t);
    r->residual = nt * t / (1.0 + nt * t);
    r->y = malloc(n * sizeof *r->y);
    r->cr = malloc(n * sizeof *r->cr);
    r->v = malloc(n * sizeof *r->v);
    r->out = malloc(n * sizeof *r->out);
    for (size_t i = 0; i < n; i++) {
        r->y[i] = i ? r->y_tail : r->p_sink;
        r->cr[i] = (float)r->y[i];
        r->v[i] = i ? 1.0f : 2.0f;  /* tail values 1, sink value 2: the tail's part of the output is R */
        r->out[i] = r->cr[i];
    }
    sb_stability_exact e = {n, 0, 0, r->cr, r->y, r->v, r->p_sink, r->residual, 0, 0, 0};
    r->e = e;
    sb_stability_exact_attention(&r->e);
}

static void closed_row_free(closed_row *r)
{
    free(r->y);
    free(r->cr);
    free(r->v);
    free(r->out);
}

static void test_metrics_equal_tails(void)
{
    closed_row r;
    closed_row_init(&r, 1000, 12.0);
    sb_stability_metrics m;
    SB_TEST_CHECK(fabs(r.e.out_tail - r.residual) <= 1e-15 * r.residual, "exact tail output is R");

    /* correctly rounded output: no error beyond binary32 rounding */
    sb_stability_measure(r.out, &r.e, SB_FORMAT_F32, 0.0, &m);
    SB_TEST_CHECK(m.max_ulp == 0 && m.mean_ulp <= 0.5, "cr output: max %g mean %g", m.max_ulp, m.mean_ulp);
    SB_TEST_CHECK(m.resid_tail_rel_err <= 0x1p-24, "cr tail mass error %g", m.resid_tail_rel_err);
    SB_TEST_CHECK(m.resid_bound_ratio <= 1.0, "cr output is within a 0-ulp bound's tail allowance: %g", m.resid_bound_ratio);
    SB_TEST_CHECK(m.tail_count == 999 && m.tail_zero == 0 && m.tail_subnormal == 0 && m.nonfinite == 0, "counts");
    SB_TEST_CHECK(m.p_sink_stored == (double)(float)r.p_sink, "stored sink probability");
    SB_TEST_CHECK(m.attn_tail_err <= 0x1p-24, "tail part of the output %g", m.attn_tail_err);

    /* every tail entry 3 ulp high: within a 3-ulp bound, not within 0 ulp */
    for (size_t i = 1; i < r.n; i++)
        r.out[i] = nextafterf(nextafterf(nextafterf(r.cr[i], 1.0f), 1.0f), 1.0f);
    sb_stability_measure(r.out, &r.e, SB_FORMAT_F32, 3.0, &m);
    SB_TEST_CHECK(m.max_ulp == 3, "3 ulp off: got %g", m.max_ulp);
    SB_TEST_CHECK(m.resid_bound_ratio <= 1.0, "a 3-ulp bound allows it: %g", m.resid_bound_ratio);
    sb_stability_measure(r.out, &r.e, SB_FORMAT_F32, 0.0, &m);
    SB_TEST_CHECK(m.resid_bound_ratio > 1.0, "a 0-ulp bound does not: %g", m.resid_bound_ratio);
    for (size_t i = 1; i < r.n; i++)
        r.out[i] = r.cr[i];

    /* 7 tail entries flushed: R^ = (n' - 7) y^_t, the tail's output loses 7 of its n' equal parts (up to the
     * rounding of y^_t, 2^-24 relative, times 992/7) */
    for (size_t i = 10; i < 17; i++)
        r.out[i] = 0.0f;
    sb_stability_measure(r.out, &r.e, SB_FORMAT_F32, -1.0, &m);
    double want = 7.0 / 999.0;
    SB_TEST_CHECK(fabs(m.resid_tail_rel_err - want) < 2e-5 * want, "tail mass error %g want %g", m.resid_tail_rel_err, want);
    SB_TEST_CHECK(m.tail_zero == 7 && m.tail_early_flush == 7 && m.tail_zero_expected == 0, "flush counts %llu %llu",
             (unsigned long long)m.tail_zero, (unsigned long long)m.tail_early_flush);
    SB_TEST_CHECK(fabs(m.attn_tail_err - want) < 2e-5 * want, "attention tail error %g want %g", m.attn_tail_err, want);
    SB_TEST_CHECK(isnan(m.resid_bound_ratio), "no bound asked, none checked");
    for (size_t i = 10; i < 17; i++)
        r.out[i] = r.cr[i];

    /* the sink stored as exactly 1: 1 - p_sink sees no tail at all, the tail entries still do */
    r.out[0] = 1.0f;
    sb_stability_measure(r.out, &r.e, SB_FORMAT_F32, -1.0, &m);
    SB_TEST_CHECK(m.resid_1m_rel_err == 1.0, "1 - p_sink error %g", m.resid_1m_rel_err);
    SB_TEST_CHECK(m.resid_tail_rel_err <= 0x1p-24, "tail-measured R unaffected: %g", m.resid_tail_rel_err);
    SB_TEST_CHECK(fabs(m.sink_rel_err - r.residual / r.p_sink) < 1e-9 * r.residual, "sink error %g want %g", m.sink_rel_err,
             r.residual / r.p_sink);
    /* the sink's error R * v_s = 2R against a tail contribution of R */
    SB_TEST_CHECK(fabs(m.attn_sink_err - 2.0) < 1e-6, "sink error in tail units %g want 2", m.attn_sink_err);
    closed_row_free(&r);

    /* a gap where R < 2^-53: p_sink is 1 in binary64, the metrics must still see the tail */
    closed_row_init(&r, 64, 50.0);
    r.out[0] = 1.0f;
    sb_stability_measure(r.out, &r.e, SB_FORMAT_F32, -1.0, &m);
    SB_TEST_CHECK(fabs(m.sink_rel_err - r.residual) < 1e-6 * r.residual, "tiny sink error %g want %g", m.sink_rel_err,
             r.residual);
    SB_TEST_CHECK(fabs(m.attn_sink_err - 2.0) < 1e-6, "tiny R: sink error in tail units %g want 2", m.attn_sink_err);
    SB_TEST_CHECK(fabs(m.sum_err - r.residual) < 1e-6 * r.residual, "sum error %g want R = %g", m.sum_err, r.residual);
    closed_row_free(&r);
}

/* A row with exactly k entries below each threshold, through the reference kernel and the oracle. */
static void test_flush_counts(void)
{
    enum { N = 40 };
    float x[N], y[N], cr[N], v[N], stored[N];
    double exact[N];
    size_t zero32 = 3, sub32 = 5, zero16 = 4, sub16 = 6;
    size_t i = 0;
    x[i++] = 0.0f;  /* the sink token */
    for (size_t k = 0; k < zero32; k++)
        x[i++] = -110.0f;  /* e^-110 / S < 2^-150: 0 in binary32 */
    for (size_t k = 0; k < sub32; k++)
        x[i++] = -95.0f;   /* subnormal in binary32 */
    for (size_t k = 0; k < zero16; k++)
        x[i++] = -20.0f;   /* below 2^-25: 0 in binary16 */
    for (size_t k = 0; k < sub16; k++)
        x[i++] = -12.0f;   /* between 2^-25 and 2^-14: subnormal in binary16 */
    while (i < N)
        x[i++] = -1.0f;
    for (i = 0; i < N; i++)
        v[i] = 1.0f;
    sb_oracle o = {0};
    o.y = cr;
    o.exact = exact;
    o.sink_index = 0;
    SB_TEST_CHECK(sb_oracle_softmax(x, N, NULL, &o, 0) == SB_OK, "oracle");
    const sb_softmax_kernel *k = sb_softmax_kernel_find("softmax_reference_f64");
    SB_TEST_CHECK(k && k->fn(x, y, N, NULL) == SB_OK, "reference kernel runs");
    sb_stability_exact e = {N, 0, 0, cr, exact, v, o.sink_p, o.residual, 0, 0, 0};
    sb_stability_exact_attention(&e);
    sb_stability_metrics m;
    sb_stability_measure(y, &e, SB_FORMAT_F32, k->ulp_bound, &m);
    SB_TEST_CHECK(m.tail_zero == zero32 && m.tail_zero_expected == zero32, "f32 zero: %llu (expected %llu), want %zu",
             (unsigned long long)m.tail_zero, (unsigned long long)m.tail_zero_expected, zero32);
    SB_TEST_CHECK(m.tail_subnormal == sub32 && m.tail_subnormal_expected == sub32, "f32 subnormal: %llu want %zu",
             (unsigned long long)m.tail_subnormal, sub32);
    SB_TEST_CHECK(m.tail_early_flush == 0 && m.max_ulp <= 1 && m.resid_bound_ratio <= 1.0, "reference: no early flush");
    for (i = 0; i < N; i++)
        stored[i] = sb_format_round(y[i], SB_FORMAT_F16);
    sb_stability_measure(stored, &e, SB_FORMAT_F16, -1.0, &m);
    SB_TEST_CHECK(m.tail_zero == zero32 + sub32 + zero16 && m.tail_zero_expected == m.tail_zero,
             "f16 zero: %llu want %zu", (unsigned long long)m.tail_zero, zero32 + sub32 + zero16);
    SB_TEST_CHECK(m.tail_subnormal == sub16 && m.tail_subnormal_expected == sub16, "f16 subnormal: %llu want %zu",
             (unsigned long long)m.tail_subnormal, sub16);
    /* a kernel that flushes binary32 subnormals (FTZ) is caught as early flush */
    for (i = 1 + zero32; i < 1 + zero32 + sub32; i++)
        y[i] = 0.0f;
    sb_stability_measure(y, &e, SB_FORMAT_F32, -1.0, &m);
    SB_TEST_CHECK(m.tail_early_flush == sub32 && m.tail_subnormal == 0, "FTZ output: early flush %llu want %zu",
             (unsigned long long)m.tail_early_flush, sub32);
}

static void test_theory(void)
{
    /* docs/numerics.md's thresholds in the short-tail limit */
    SB_TEST_CHECK(fabs(sb_stability_theory_gap(SB_EVENT_TAIL_SUBNORMAL, SB_FORMAT_F32, 0) - 87.3365) < 1e-3, "f32 subnormal");
    SB_TEST_CHECK(fabs(sb_stability_theory_gap(SB_EVENT_TAIL_ZERO, SB_FORMAT_F32, 0) - 103.9721) < 1e-3, "f32 zero");
    SB_TEST_CHECK(fabs(sb_stability_theory_gap(SB_EVENT_TAIL_SUBNORMAL, SB_FORMAT_F16, 0) - 9.7045) < 1e-3, "f16 subnormal");
    SB_TEST_CHECK(fabs(sb_stability_theory_gap(SB_EVENT_TAIL_ZERO, SB_FORMAT_F16, 0) - 25 * log(2.0)) < 1e-6, "f16 zero");
    SB_TEST_CHECK(fabs(sb_stability_theory_gap(SB_EVENT_TAIL_ZERO, SB_FORMAT_BF16, 0) - 134 * log(2.0)) < 1e-9, "bf16 zero");
    SB_TEST_CHECK(fabs(sb_stability_theory_gap(SB_EVENT_SINK_ONE, SB_FORMAT_F32, 4095) - (log(4095.0) + 25 * log(2.0))) < 1e-6,
             "f32 sink one");
    SB_TEST_CHECK(sb_stability_theory_gap(SB_EVENT_TAIL_SUBNORMAL, SB_FORMAT_F16, 65535) == -INFINITY,
             "65535 tail entries are each below 2^-14 at any gap");
    /* the closed form agrees with the metric: an equal-tail row on either side of the f16 zero threshold */
    for (int side = -1; side <= 1; side += 2) {
        double gap = sb_stability_theory_gap(SB_EVENT_TAIL_ZERO, SB_FORMAT_F16, 63) + side * 1e-3;
        closed_row r;
        closed_row_init(&r, 64, gap);
        for (size_t i = 0; i < r.n; i++)
            r.out[i] = sb_format_round(r.cr[i], SB_FORMAT_F16);
        sb_stability_metrics m;
        sb_stability_measure(r.out, &r.e, SB_FORMAT_F16, -1.0, &m);
        SB_TEST_CHECK((m.tail_max == 0.0) == (side > 0), "f16 tail at gap %.4f: max %g", gap, m.tail_max);
        closed_row_free(&r);
    }
}

static void test_thresholds(uint64_t seed)
{
    const char *names[] = {"softmax_reference_f64", "softmax_scalar_f32"};
    sb_stability_sweep_options o = {SB_STABILITY_QUICK, seed, names, 2, 0, 1u << SB_BLOCK_THRESHOLDS, 0, NULL, NULL};
    sb_stability_result r, again;
    SB_TEST_CHECK(sb_stability_sweep(&o, &r) == SB_OK, "threshold sweep runs");
    SB_TEST_CHECK(sb_stability_sweep(&o, &again) == SB_OK, "threshold sweep runs twice");
    SB_TEST_CHECK(r.cell_count == again.cell_count && r.cell_count == r.rows * 2 * SB_STABILITY_PREC_COUNT, "cells %zu", r.cell_count);
    int same = r.cell_count == again.cell_count;
    for (size_t i = 0; same && i < r.cell_count; i++)
        same = memcmp(&r.cells[i].spec, &again.cells[i].spec, sizeof r.cells[i].spec) == 0 &&
               memcmp(&r.cells[i].m, &again.cells[i].m, sizeof r.cells[i].m) == 0 && r.cells[i].seed == again.cells[i].seed;
    SB_TEST_CHECK(same, "the same seed gives the same cells");
    sb_stability_result_free(&again);

    sb_stability_threshold *t = NULL;
    size_t nt = 0;
    SB_TEST_CHECK(sb_stability_thresholds(&r, &t, &nt) == SB_OK && nt > 0, "thresholds");
    /* 2 kernels x 5 precisions x 5 places x (2 events, + sink-one for the 3 token places) */
    SB_TEST_CHECK(nt == 2 * SB_STABILITY_PREC_COUNT * (5 * 2 + 3), "%zu threshold observations", nt);
    for (size_t i = 0; i < nt; i++)
        SB_TEST_CHECK(t[i].agrees, "%s %s %s, sink %s, n %zu: theory %.4f, observed %.4f after %.4f (monotone %d)",
                 r.kernels[t[i].kernel]->name, sb_stability_precision_name((sb_stability_precision)t[i].precision),
                 sb_stability_event_name((sb_stability_event)t[i].event), sb_place_name(t[i].place), t[i].n, t[i].theory,
                 t[i].observed, t[i].previous, t[i].monotone);
    /* The documented numbers, seen by the sweep (tail of 63 entries, sink first):
     * binary32 tails subnormal past 87.34 and 0 past 103.97; binary16 stored tails subnormal past 9.70 and
     * 0 past 17.33 -- not at 16.64, where e^-gap crosses binary16's smallest subnormal but still rounds up
     * to it; bfloat16 stored tails 0 past 92.88. */
    struct {
        sb_stability_precision p;
        sb_stability_event e;
        double lo, hi;
    } want[] = {
        {SB_STABILITY_PREC_F32, SB_EVENT_TAIL_SUBNORMAL, 87.30, 87.40}, {SB_STABILITY_PREC_F32, SB_EVENT_TAIL_ZERO, 103.94, 104.03},
        {SB_STABILITY_PREC_F16_OUT, SB_EVENT_TAIL_SUBNORMAL, 9.60, 9.75}, {SB_STABILITY_PREC_F16_OUT, SB_EVENT_TAIL_ZERO, 17.30, 17.40},
        {SB_STABILITY_PREC_BF16_OUT, SB_EVENT_TAIL_ZERO, 92.85, 92.95},
    };
    for (size_t w = 0; w < sizeof want / sizeof want[0]; w++)
        for (size_t i = 0; i < nt; i++)
            if (t[i].precision == want[w].p && t[i].event == want[w].e && t[i].place == SB_PLACE_FIRST)
                SB_TEST_CHECK(t[i].observed > want[w].lo && t[i].observed < want[w].hi, "%s %s %s: observed %.4f not in (%g, %g)",
                         r.kernels[t[i].kernel]->name, sb_stability_precision_name(want[w].p), sb_stability_event_name(want[w].e),
                         t[i].observed, want[w].lo, want[w].hi);
    /* between 16.64 and 17.33 a binary16 tail entry is still 2^-24, not 0 */
    size_t seen = 0;
    for (size_t i = 0; i < r.cell_count; i++) {
        const sb_stability_cell *c = &r.cells[i];
        if (c->precision == SB_STABILITY_PREC_F16_OUT && c->spec.gap > 16.64 && c->spec.gap < 17.32 && c->spec.place == SB_PLACE_FIRST) {
            seen++;
            SB_TEST_CHECK(c->m.tail_max == 0x1p-24, "gap %.4f: f16 tail %g, want 2^-24", c->spec.gap, c->m.tail_max);
        }
    }
    SB_TEST_CHECK(seen > 0, "the sweep visits gaps between 16.64 and 17.33");
    free(t);
    sb_stability_result_free(&r);
}

/* The sink token's value scale kappa: the sink's part of the attention error is |p^ - p| |v_sink|, so it
 * scales with kappa exactly (up to the binary32 rounding of kappa * v), while the tail's part does not move;
 * the default is 0.01 and the sweep records it. */
static void test_value_scale(uint64_t seed)
{
    const char *names[] = {"softmax_scalar_f32"};
    sb_stability_sweep_options o = {SB_STABILITY_QUICK, seed, names, 1, 0, 1u << SB_BLOCK_THRESHOLDS, 0, NULL, NULL};
    sb_stability_result def, one;
    SB_TEST_CHECK(sb_stability_sweep(&o, &def) == SB_OK, "sweep with the default kappa");
    o.value_scale = 1.0;
    SB_TEST_CHECK(sb_stability_sweep(&o, &one) == SB_OK, "sweep with kappa = 1");
    SB_TEST_CHECK(def.value_scale == SB_STABILITY_VALUE_SCALE && one.value_scale == 1.0, "kappa recorded: %g, %g",
             def.value_scale, one.value_scale);
    size_t compared = 0, bad = 0, tail_moved = 0;
    for (size_t i = 0; i < def.cell_count && i < one.cell_count; i++) {
        const sb_stability_metrics *a = &def.cells[i].m, *b = &one.cells[i].m;
        if (def.cells[i].spec.place != SB_PLACE_FIRST || !(b->attn_sink_err > 0) || !isfinite(b->attn_sink_err))
            continue;
        compared++;
        double ratio = a->attn_sink_err / b->attn_sink_err;
        bad += fabs(ratio - SB_STABILITY_VALUE_SCALE) > 1e-6 * SB_STABILITY_VALUE_SCALE;
        tail_moved += a->attn_tail_err != b->attn_tail_err;
    }
    SB_TEST_CHECK(compared > 10 && bad == 0, "sink error scales with kappa in %zu of %zu cells", compared - bad, compared);
    SB_TEST_CHECK(tail_moved == 0, "the tail's error does not depend on kappa (%zu cells moved)", tail_moved);
    sb_stability_result_free(&def);
    sb_stability_result_free(&one);
}

static void test_contract(uint64_t seed)
{
    sb_stability_sweep_options o = {SB_STABILITY_QUICK, seed, NULL, 0, 0, 0, 0, NULL, NULL};
    sb_stability_result r;
    SB_TEST_CHECK(sb_stability_sweep(&o, &r) == SB_OK, "quick sweep runs");
    SB_TEST_CHECK(r.kernel_count >= 2 && r.cell_count == r.rows * r.kernel_count * SB_STABILITY_PREC_COUNT, "%zu kernels, %zu cells",
             r.kernel_count, r.cell_count);
    for (size_t k = 0; k < r.kernel_count; k++) {
        if (r.kernels[k]->ulp_bound < 0)
            continue;
        for (int p = 0; p < SB_STABILITY_PREC_COUNT; p++) {
            const sb_stability_verdict *v = sb_stability_verdict_of(&r, k, (sb_stability_precision)p);
            if (!sb_stability_precision_runs_kernel((sb_stability_precision)p)) {
                SB_TEST_CHECK(v->cells == 0, "stored precisions run no kernel");
                continue;
            }
            SB_TEST_CHECK(v->cells == r.rows && v->failures == 0, "%s %s: %zu of %zu cells fail: %s", r.kernels[k]->name,
                     sb_stability_precision_name((sb_stability_precision)p), v->failures, v->cells, v->message);
            SB_TEST_CHECK(v->max_ulp <= r.kernels[k]->ulp_bound, "%s %s: max ulp %g > bound %g", r.kernels[k]->name,
                     sb_stability_precision_name((sb_stability_precision)p), v->max_ulp, r.kernels[k]->ulp_bound);
            if (p == SB_STABILITY_PREC_F32)
                SB_TEST_CHECK(v->max_resid_ratio <= 1.0, "%s: tail mass uses %g of its bound", r.kernels[k]->name,
                         v->max_resid_ratio);
        }
    }
    SB_TEST_CHECK(!sb_stability_failed(&r), "no contract kernel failed");
    /* the study kernel breaks, and the sweep says so without failing */
    const sb_softmax_kernel *naive = sb_softmax_kernel_find("softmax_naive_f32");
    for (size_t k = 0; k < r.kernel_count; k++)
        if (r.kernels[k] == naive)
            SB_TEST_CHECK(sb_stability_verdict_of(&r, k, SB_STABILITY_PREC_F32)->failures > 0, "the naive kernel overflows past gap 88.7");
    sb_stability_result_free(&r);
}

int main(int argc, char **argv)
{
    uint64_t seed = sb_test_init("test_stability", 20261129);
    const char *what = argc > 1 ? argv[1] : "all";
    int all = strcmp(what, "all") == 0;
    test_formats();
    test_metrics_equal_tails();
    test_flush_counts();
    test_theory();
    if (all || strcmp(what, "thresholds") == 0)
        test_thresholds(seed);
    if (all || strcmp(what, "thresholds") == 0)
        test_value_scale(seed);
    if (all || strcmp(what, "contract") == 0)
        test_contract(seed);
    return sb_test_finish("test_stability");
}
