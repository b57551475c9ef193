/* The synthetic stack's private layout, shared by its source files. Not installed. */
#ifndef SINKBENCH_STACK_INTERNAL_H
#define SINKBENCH_STACK_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "studies/stack/stack.h"

/* One layer's weights, row-major (fan_in x fan_out), in binary64 and rounded once to binary32 for the
 * binary32 paths (weights are never stored in 16-bit formats). */
typedef struct stack_weights {
    double *wq, *wk, *wv, *wo, *wg; /* d x d */
    double *w1;                     /* d x 4d */
    double *w2;                     /* 4d x d */
    float *wq_f, *wk_f, *wv_f, *wo_f, *wg_f, *w1_f, *w2_f;
    double *sink_logit;             /* H learned sink logits (learned, softmax1); -inf without */
} stack_weights;

struct sb_stack {
    sb_stack_config cfg;
    size_t head_dim;
    stack_weights *layer; /* cfg.layers entries; unused by the linear limit */
    double *embed;        /* vocab x d */
    void *block;          /* one allocation holding every weight */
};

#define STACK_MLP_RATIO 4
#define STACK_RMS_EPS 1e-6

/* The linear limit's fixed logit for query t and key j: temperature * z(seed, t, j), z ~ N(0,1)
 * drawn from a hash of (seed, t, j) so that it does not depend on n. */
double stack_linear_logit(const sb_stack *s, size_t t, size_t j);

/* Whether position j is a sink position for this stack's sink mode. */
static inline int stack_is_sink_pos(const sb_stack *s, const unsigned char *bos, size_t j)
{
    if (s->cfg.sink == SB_STACK_SINK_NO_BOS)
        return j == 0;
    if (s->cfg.sink == SB_STACK_SINK_BOS)
        return bos && bos[j];
    return 0;
}

#endif
