/* Reproducible test rows: sink-dominated rows, tails, masks and every edge class of the numerics
 * contract. Tests, fuzz seed generation, the stability study and benchmarks all draw rows from here. */
#ifndef SINKBENCH_ROWGEN_H
#define SINKBENCH_ROWGEN_H

#include <stddef.h>
#include <stdint.h>

#include "sinkbench/softmax.h"

typedef enum sb_tail {
    SB_TAIL_EQUAL,      /* every tail logit 0 */
    SB_TAIL_UNIFORM,    /* uniform in [-scale, 0] */
    SB_TAIL_GAUSSIAN,   /* N(0, scale^2), shifted so the largest is 0 */
    SB_TAIL_HEAVY,      /* -scale*|Cauchy|: mostly moderate, a few enormous gaps */
    SB_TAIL_NEAR_SINK,  /* Gaussian, plus a second entry 0.25 below the sink */
    SB_TAIL_COUNT
} sb_tail;

typedef enum sb_sink_place {
    SB_PLACE_NONE,      /* no sink: a plain row */
    SB_PLACE_FIRST,     /* a sink token in the row at index 0 (BOS) */
    SB_PLACE_MIDDLE,    /* ... at index n/2 */
    SB_PLACE_LAST,      /* ... at index n-1 (changes the rescaling order of online kernels) */
    SB_PLACE_LEARNED,   /* a learned sink logit (gpt-oss): SB_SINK_LOGIT, not in the row */
    SB_PLACE_SOFTMAX1,  /* softmax_1: SB_SINK_LOGIT with logit 0; the row sits gap below it */
    SB_PLACE_COUNT
} sb_sink_place;

typedef enum sb_edge {
    SB_EDGE_NONE,
    SB_EDGE_NAN,             /* one NaN logit */
    SB_EDGE_NAN_SINK,        /* NaN learned sink logit */
    SB_EDGE_POS_INF,         /* one +inf logit */
    SB_EDGE_POS_INF_MANY,    /* up to three +inf logits */
    SB_EDGE_POS_INF_SINK,    /* +inf learned sink logit */
    SB_EDGE_NEG_INF_SINK,    /* -inf learned sink logit (same as no sink) */
    SB_EDGE_MASKED_SOME,     /* about half the logits -inf (never the sink token) */
    SB_EDGE_MASKED_ALL,      /* every logit -inf (a learned sink, if any, stays) */
    SB_EDGE_SUBNORMAL_INPUTS,/* every logit a tiny or subnormal value */
    SB_EDGE_HUGE,            /* +-FLT_MAX mixed into the row */
    SB_EDGE_SIGNED_ZEROS,    /* every logit +0 or -0 */
    SB_EDGE_COUNT
} sb_edge;

typedef struct sb_row_spec {
    size_t n;
    double gap;          /* sink logit minus the largest tail logit (Delta) */
    sb_tail tail;
    double tail_scale;   /* spread of the tail; 0 means the default, 4 */
    sb_sink_place place;
    sb_edge edge;
    double offset;       /* added to every logit and to a learned sink (not to softmax_1's 0) */
} sb_row_spec;

/* Fills x[0..n) and *params from spec and seed. Returns the index of the sink token in the row, or
 * SIZE_MAX when the sink is not in the row (none, learned, softmax_1). */
size_t sb_row_generate(const sb_row_spec *spec, uint64_t seed, float *x, sb_softmax_params *params);

const char *sb_tail_name(sb_tail t);
const char *sb_place_name(sb_sink_place p);
const char *sb_edge_name(sb_edge e);
/* Inverse lookups; -1 when unknown. */
int sb_tail_from_name(const char *s);
int sb_place_from_name(const char *s);
int sb_edge_from_name(const char *s);

#endif
