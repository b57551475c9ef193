#include "check/rowgen.h"

#include <float.h>
#include <math.h>
#include <string.h>

#include "check/rng.h"

static const char *const tail_names[SB_TAIL_COUNT] = {"equal", "uniform", "gaussian", "heavy", "near_sink"};
static const char *const place_names[SB_PLACE_COUNT] = {"none", "first", "middle", "last", "learned", "softmax1"};
static const char *const edge_names[SB_EDGE_COUNT] = {
    "none", "nan", "nan_sink", "pos_inf", "pos_inf_many", "pos_inf_sink", "neg_inf_sink",
    "masked_some", "masked_all", "subnormal_inputs", "huge", "signed_zeros"};

const char *sb_tail_name(sb_tail t) { return (unsigned)t < SB_TAIL_COUNT ? tail_names[t] : "?"; }
const char *sb_place_name(sb_sink_place p) { return (unsigned)p < SB_PLACE_COUNT ? place_names[p] : "?"; }
const char *sb_edge_name(sb_edge e) { return (unsigned)e < SB_EDGE_COUNT ? edge_names[e] : "?"; }

static int lookup(const char *const *names, int count, const char *s)
{
    for (int i = 0; s && i < count; i++)
        if (strcmp(names[i], s) == 0)
            return i;
    return -1;
}
int sb_tail_from_name(const char *s) { return lookup(tail_names, SB_TAIL_COUNT, s); }
int sb_place_from_name(const char *s) { return lookup(place_names, SB_PLACE_COUNT, s); }
int sb_edge_from_name(const char *s) { return lookup(edge_names, SB_EDGE_COUNT, s); }

static void fill_tail(float *x, size_t n, sb_tail tail, double scale, sb_rng *r)
{
    if (n == 0)
        return;
    double top = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        double v;
        switch (tail) {
        case SB_TAIL_EQUAL: v = 0.0; break;
        case SB_TAIL_UNIFORM: v = -scale * sb_rng_uniform(r); break;
        case SB_TAIL_HEAVY: v = -scale * fabs(tan(3.141592653589793 * (sb_rng_uniform(r) - 0.5))); break;
        default: v = scale * sb_rng_normal(r); break;
        }
        if (v < -1e30)
            v = -1e30;
        x[i] = (float)v;
        top = x[i] > top ? x[i] : top;
    }
    for (size_t i = 0; i < n; i++)  /* the largest tail logit is exactly 0 */
        x[i] = (float)((double)x[i] - top);
}

size_t sb_row_generate(const sb_row_spec *spec, uint64_t seed, float *x, sb_softmax_params *params)
{
    sb_rng r;
    sb_rng_seed(&r, seed);
    size_t n = spec->n;
    double scale = spec->tail_scale > 0 ? spec->tail_scale : 4.0;
    size_t sink = SIZE_MAX;
    params->sink = SB_SINK_NONE;
    params->sink_logit = 0.0f;

    fill_tail(x, n, spec->tail, scale, &r);
    switch (spec->place) {
    case SB_PLACE_FIRST: sink = n ? 0 : SIZE_MAX; break;
    case SB_PLACE_MIDDLE: sink = n ? n / 2 : SIZE_MAX; break;
    case SB_PLACE_LAST: sink = n ? n - 1 : SIZE_MAX; break;
    case SB_PLACE_LEARNED:
        params->sink = SB_SINK_LOGIT;
        params->sink_logit = (float)(spec->gap + spec->offset);
        break;
    case SB_PLACE_SOFTMAX1:
        params->sink = SB_SINK_LOGIT;
        params->sink_logit = 0.0f;
        break;
    default: break;
    }
    if (spec->tail == SB_TAIL_NEAR_SINK && n >= 2) {
        size_t k = (size_t)sb_rng_below(&r, n);
        if (k == sink)
            k = (k + 1) % n;
        x[k] = (float)(spec->gap - 0.25);
    }
    double shift = spec->place == SB_PLACE_SOFTMAX1 ? -spec->gap : spec->offset;
    for (size_t i = 0; i < n; i++)
        x[i] = (float)((double)x[i] + shift);
    if (sink != SIZE_MAX)
        x[sink] = (float)(spec->gap + shift);

    size_t pick = n ? (size_t)sb_rng_below(&r, n) : 0;
    switch (spec->edge) {
    case SB_EDGE_NAN:
        if (n) x[pick] = NAN;
        break;
    case SB_EDGE_NAN_SINK:
        params->sink = SB_SINK_LOGIT;
        params->sink_logit = NAN;
        break;
    case SB_EDGE_POS_INF:
        if (n) x[pick] = INFINITY;
        break;
    case SB_EDGE_POS_INF_MANY:
        for (int j = 0; j < 3 && n; j++)
            x[(size_t)sb_rng_below(&r, n)] = INFINITY;
        break;
    case SB_EDGE_POS_INF_SINK:
        params->sink = SB_SINK_LOGIT;
        params->sink_logit = INFINITY;
        break;
    case SB_EDGE_NEG_INF_SINK:
        params->sink = SB_SINK_LOGIT;
        params->sink_logit = -INFINITY;
        break;
    case SB_EDGE_MASKED_SOME:
        for (size_t i = 0; i < n; i++)
            if (i != sink && (sb_rng_next(&r) & 1))
                x[i] = -INFINITY;
        break;
    case SB_EDGE_MASKED_ALL:
        for (size_t i = 0; i < n; i++)
            x[i] = -INFINITY;
        break;
    case SB_EDGE_SUBNORMAL_INPUTS:
        for (size_t i = 0; i < n; i++) {
            double v = ldexp(sb_rng_uniform(&r), -126 - (int)sb_rng_below(&r, 24));
            x[i] = (float)((sb_rng_next(&r) & 1) ? v : -v);
        }
        break;
    case SB_EDGE_HUGE:
        for (int j = 0; j < 4 && n; j++)
            x[(size_t)sb_rng_below(&r, n)] = (j & 1) ? FLT_MAX : -FLT_MAX;
        break;
    case SB_EDGE_SIGNED_ZEROS:
        for (size_t i = 0; i < n; i++)
            x[i] = (sb_rng_next(&r) & 1) ? 0.0f : -0.0f;
        break;
    default: break;
    }
    return sink;
}
