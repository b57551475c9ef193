/* The study's metrics of one stored output against the exact row, the theory of where a tail is lost,
 * and the thresholds observed in a sweep. Definitions: docs/stability.md. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "studies/stability/stability.h"

/* Neumaier-compensated binary64 sum: the study's own sums must not add error to what they measure. */
typedef struct csum {
    double s, c;
} csum;

static void csum_add(csum *a, double t)
{
    double u = a->s + t;
    a->c += fabs(a->s) >= fabs(t) ? (a->s - u) + t : (t - u) + a->s;
    a->s = u;
}

static double csum_get(const csum *a) { return a->s + a->c; }

void sb_stability_exact_attention(sb_stability_exact *e)
{
    csum tail = {0, 0}, all = {0, 0}, scale_tail = {0, 0};
    for (size_t i = 0; i < e->n; i++) {
        double a = e->y[i] * fabs((double)e->v[i]);
        csum_add(&all, a);
        if (i != e->sink_index) {
            csum_add(&tail, e->y[i] * (double)e->v[i]);
            csum_add(&scale_tail, a);
        }
    }
    e->out_tail = csum_get(&tail);
    e->scale_all = csum_get(&all);
    e->scale_tail = csum_get(&scale_tail);
}

static double rel(double got, double want)
{
    if (want == 0.0)
        return got == 0.0 ? 0.0 : INFINITY;
    return fabs(got - want) / fabs(want);
}

void sb_stability_measure(const float *y, const sb_stability_exact *e, sb_format f, double ulp_bound, sb_stability_metrics *m)
{
    const sb_format_info *fi = sb_format_get(f);
    memset(m, 0, sizeof *m);
    csum all = {0, 0}, tail = {0, 0}, out_tail = {0, 0}, mean = {0, 0};
    uint64_t exact_subnormal = 0;
    double max_ulp = 0.0, tail_max = 0.0;
    for (size_t i = 0; i < e->n; i++) {
        float got = y[i];
        double ex = e->y[i];
        /* The correctly rounded value in F: the oracle's certified binary32 result, or the exact value
         * rounded once to the 16-bit format. */
        double cr = f == SB_FORMAT_F32 ? (double)e->cr[i] : sb_format_round_double(ex, f);
        if (!isfinite(got)) {
            m->nonfinite++;
            max_ulp = INFINITY;
        } else {
            double d = (double)sb_format_ulp_distance(got, (float)cr, f);
            max_ulp = d > max_ulp ? d : max_ulp;
        }
        csum_add(&mean, isfinite(got) ? fabs((double)got - ex) / sb_format_ulp_of(ex, f) : INFINITY);
        csum_add(&all, got);
        if (i == e->sink_index)
            continue;
        m->tail_count++;
        m->tail_zero += got == 0.0f;
        m->tail_subnormal += got != 0.0f && fabs(got) < fi->min_normal;
        m->tail_zero_expected += cr == 0.0;
        m->tail_subnormal_expected += cr != 0.0 && cr < fi->min_normal;
        m->tail_early_flush += got == 0.0f && cr != 0.0;
        exact_subnormal += ex < 0x1p-126;
        tail_max = got > tail_max ? got : tail_max;
        csum_add(&tail, got);
        csum_add(&out_tail, (double)got * (double)e->v[i]);
    }
    m->max_ulp = max_ulp;
    m->mean_ulp = e->n ? csum_get(&mean) / (double)e->n : 0.0;
    m->tail_max = m->nonfinite ? NAN : tail_max;
    double sum = csum_get(&all), r_tail = csum_get(&tail);
    int token = e->sink_index < e->n;
    m->p_sink_stored = token ? (double)y[e->sink_index] : e->logit_sink ? 1.0 - sum : NAN;
    /* p^_sink - p_sink. Near 1, p_sink in binary64 has lost the tail (1 + 1e-20 is 1): there the
     * difference is taken through the exact tail mass instead, 1 - p_sink = R. */
    double d_sink = NAN;
    if (token)
        d_sink = e->p_sink >= 0.5 ? e->residual - (1.0 - (double)y[e->sink_index]) : (double)y[e->sink_index] - e->p_sink;
    else if (e->logit_sink)
        d_sink = e->p_sink >= 0.5 ? e->residual - sum : m->p_sink_stored - e->p_sink;
    m->sink_rel_err = e->p_sink > 0.0 ? fabs(d_sink) / e->p_sink : NAN;
    m->resid_tail_rel_err = rel(r_tail, e->residual);
    m->resid_1m_rel_err = token ? rel(1.0 - (double)y[e->sink_index], e->residual) : NAN;
    /* The row should sum to 1, or with a sink logit to 1 - p_sink = R. Taken apart so that a tail far
     * below 2^-53 still counts: (y^_sink - 1) is exact, the tail sum keeps its own scale. */
    if (token)
        m->sum_err = fabs(((double)y[e->sink_index] - 1.0) + r_tail);
    else
        m->sum_err = fabs(e->logit_sink ? r_tail - e->residual : sum - 1.0);

    /* The attention output's error, split: the sink's part (p^_sink - p_sink) v_s, the tail's part. A sink
     * logit has no value: its part is 0. */
    double err_sink = token ? d_sink * (double)e->v[e->sink_index] : 0.0;
    double err_tail = csum_get(&out_tail) - e->out_tail;
    double err = fabs(err_sink + err_tail);
    m->attn_err = e->scale_all > 0.0 ? err / e->scale_all : (err == 0.0 ? 0.0 : INFINITY);
    m->attn_sink_err = e->scale_tail > 0.0 ? fabs(err_sink) / e->scale_tail : NAN;
    m->attn_tail_err = e->scale_tail > 0.0 ? fabs(err_tail) / e->scale_tail : NAN;

    /* What a per-entry bound of b ulp implies for the tail sum: each entry is within (b + 1/2) ulp of its
     * exact value (b to the correctly rounded value, 1/2 from there), i.e. (b + 1/2) 2^-23 relative for
     * normal results and (b + 1/2) 2^-149 absolute for subnormal ones. 2^-46 R covers the oracle's own
     * error (2^-47 per entry) and the compensated sums. */
    m->resid_bound_ratio = NAN;
    if (ulp_bound >= 0.0 && f == SB_FORMAT_F32) {
        double b = ulp_bound + 0.5;
        double allowed = b * 0x1p-23 * e->residual + (double)exact_subnormal * b * 0x1p-149 + 0x1p-46 * e->residual;
        m->resid_bound_ratio = allowed > 0.0 ? fabs(r_tail - e->residual) / allowed : (r_tail == e->residual ? 0.0 : INFINITY);
    }
}

/* ---- thresholds ---- */

static const char *const event_names[SB_EVENT_COUNT] = {"tail_subnormal", "tail_zero", "sink_one"};
const char *sb_stability_event_name(sb_stability_event e) { return (unsigned)e < SB_EVENT_COUNT ? event_names[e] : "?"; }

double sb_stability_theory_gap(sb_stability_event e, sb_format f, double n_tail)
{
    const sb_format_info *fi = sb_format_get(f);
    double t;
    switch (e) {
    case SB_EVENT_TAIL_SUBNORMAL:
        /* Rounds below the smallest normal once below it by more than half a subnormal step (the tie
         * goes to the even smallest normal). */
        t = fi->min_normal - fi->min_subnormal / 2;
        break;
    case SB_EVENT_TAIL_ZERO:
        t = fi->min_subnormal / 2;  /* at or below half the smallest subnormal: 0 (the tie goes to even 0) */
        break;
    case SB_EVENT_SINK_ONE: {
        /* 1 - R rounds to 1 once R <= half the spacing below 1, h = 2^-(precision + 1);
         * R = n e^-gap / (1 + n e^-gap) <= h  <=>  gap >= ln(n (1 - h) / h). */
        double h = ldexp(1.0, -(fi->precision + 1));
        return n_tail > 0 ? log(n_tail * (1.0 - h) / h) : -INFINITY;
    }
    default: return NAN;
    }
    /* y_t < t  <=>  e^-gap (1 - n t) < t: with n t >= 1 every gap qualifies (each entry is < 1/n). */
    return 1.0 / t > n_tail ? log(1.0 / t - n_tail) : -INFINITY;
}

double sb_stability_effective_gap(double gap, sb_stability_precision p)
{
    return (double)sb_format_round((float)gap, sb_stability_precision_input_format(p));
}

int sb_stability_event_holds(const sb_stability_cell *c, sb_stability_event e)
{
    const sb_format_info *fi = sb_format_get(sb_stability_precision_output_format((sb_stability_precision)c->precision));
    switch (e) {
    case SB_EVENT_TAIL_SUBNORMAL: return c->m.tail_max < fi->min_normal;
    case SB_EVENT_TAIL_ZERO: return c->m.tail_max == 0.0;
    case SB_EVENT_SINK_ONE: return c->m.p_sink_stored == 1.0;
    default: return 0;
    }
}

static int is_token_place(sb_sink_place p) { return p == SB_PLACE_FIRST || p == SB_PLACE_MIDDLE || p == SB_PLACE_LAST; }

/* Cells sorted for grouping: kernel, precision, block, place, n, then gap. */
static int cmp_group(const void *a, const void *b)
{
    const sb_stability_cell *x = *(const sb_stability_cell *const *)a, *y = *(const sb_stability_cell *const *)b;
#define CMP(f) if (x->f != y->f) return x->f < y->f ? -1 : 1
    CMP(kernel);
    CMP(precision);
    CMP(block);
    CMP(spec.place);
    CMP(spec.n);
    CMP(spec.gap);
#undef CMP
    return 0;
}

static int same_group(const sb_stability_cell *x, const sb_stability_cell *y)
{
    return x->kernel == y->kernel && x->precision == y->precision && x->block == y->block &&
           x->spec.place == y->spec.place && x->spec.n == y->spec.n;
}

sb_status sb_stability_thresholds(const sb_stability_result *r, sb_stability_threshold **out, size_t *count)
{
    *out = NULL;
    *count = 0;
    size_t m = 0;
    const sb_stability_cell **c = malloc((r->cell_count ? r->cell_count : 1) * sizeof *c);
    if (!c)
        return SB_ENOMEM;
    for (size_t i = 0; i < r->cell_count; i++)
        if (r->cells[i].spec.tail == SB_TAIL_EQUAL)
            c[m++] = &r->cells[i];
    qsort(c, m, sizeof *c, cmp_group);

    size_t cap = 64, nt = 0;
    sb_stability_threshold *t = malloc(cap * sizeof *t);
    if (!t) {
        free(c);
        return SB_ENOMEM;
    }
    for (size_t g0 = 0; g0 < m;) {
        size_t g1 = g0 + 1;
        while (g1 < m && same_group(c[g0], c[g1]))
            g1++;
        const sb_stability_cell *first = c[g0];
        sb_stability_precision prec = (sb_stability_precision)first->precision;
        size_t n_tail = first->spec.n - (is_token_place(first->spec.place) ? 1 : 0);
        for (int e = 0; e < SB_EVENT_COUNT; e++) {
            if (e == SB_EVENT_SINK_ONE && !is_token_place(first->spec.place))
                continue;
            if (nt == cap) {
                sb_stability_threshold *bigger = realloc(t, 2 * cap * sizeof *t);
                if (!bigger) {
                    free(t);
                    free(c);
                    return SB_ENOMEM;
                }
                t = bigger;
                cap *= 2;
            }
            sb_stability_threshold *th = &t[nt++];
            memset(th, 0, sizeof *th);
            th->kernel = first->kernel;
            th->precision = first->precision;
            th->event = (uint8_t)e;
            th->block = first->block;
            th->place = first->spec.place;
            th->n = first->spec.n;
            th->theory = sb_stability_theory_gap((sb_stability_event)e, sb_stability_precision_output_format(prec), (double)n_tail);
            th->observed = NAN;
            th->previous = NAN;
            size_t at = g1;
            for (size_t i = g0; i < g1; i++) {
                if (sb_stability_event_holds(c[i], (sb_stability_event)e)) {
                    at = i;
                    break;
                }
                th->previous = c[i]->spec.gap;
            }
            th->monotone = 1;
            if (at < g1) {
                th->observed = c[at]->spec.gap;
                for (size_t i = at; i < g1; i++)
                    th->monotone &= sb_stability_event_holds(c[i], (sb_stability_event)e);
            }
            double lo = isnan(th->previous) ? -INFINITY : sb_stability_effective_gap(th->previous, prec);
            double hi = isnan(th->observed) ? INFINITY : sb_stability_effective_gap(th->observed, prec);
            th->agrees = th->monotone && (isnan(th->previous) || lo < th->theory) && th->theory <= hi;
        }
        g0 = g1;
    }
    free(c);
    *out = t;
    *count = nt;
    return SB_OK;
}

sb_format sb_stability_precision_input_format(sb_stability_precision p)
{
    return p == SB_STABILITY_PREC_F16_IN ? SB_FORMAT_F16 : p == SB_STABILITY_PREC_BF16_IN ? SB_FORMAT_BF16 : SB_FORMAT_F32;
}

sb_format sb_stability_precision_output_format(sb_stability_precision p)
{
    return p == SB_STABILITY_PREC_F16_OUT ? SB_FORMAT_F16 : p == SB_STABILITY_PREC_BF16_OUT ? SB_FORMAT_BF16 : SB_FORMAT_F32;
}
