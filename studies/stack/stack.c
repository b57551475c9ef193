/* The synthetic stack: configuration, seeded weights, embeddings, the linear limit's attention. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check/rng.h"
#include "studies/stack/stack_internal.h"

static const char *const sink_names[SB_STACK_SINK_COUNT] = {"none", "bos", "learned", "softmax1", "gated", "no_bos"};
static const char *const precision_names[SB_STACK_PRECISION_COUNT] = {"f64", "f32", "bf16", "f16", "f64+kernel"};

const char *sb_stack_sink_name(sb_stack_sink s)
{
    return (unsigned)s < SB_STACK_SINK_COUNT ? sink_names[s] : NULL;
}

sb_status sb_stack_sink_parse(const char *name, sb_stack_sink *out)
{
    for (unsigned i = 0; name && out && i < SB_STACK_SINK_COUNT; i++)
        if (strcmp(name, sink_names[i]) == 0) {
            *out = (sb_stack_sink)i;
            return SB_OK;
        }
    return SB_EINVAL;
}

const char *sb_stack_precision_name(sb_stack_precision p)
{
    return (unsigned)p < SB_STACK_PRECISION_COUNT ? precision_names[p] : NULL;
}

void sb_stack_config_default(sb_stack_config *c)
{
    memset(c, 0, sizeof *c);
    c->layers = 16;
    c->heads = 4;
    c->width = 32;
    c->vocab = 512;
    c->norm = 1;
    c->mlp = 1;
    c->temperature = 1.0;
    c->weight_gain = 1.0;
    c->sink = SB_STACK_SINK_NONE;
    c->gap = 10.0;
    c->value_scale = 0.01;
    c->sink_spread = 1.0;
    c->content_offset = 0.0;
    c->gate_gain = 1.0;
    c->attn_scale = 1.0;
    c->seed = 1;
}

sb_status sb_stack_config_check(const sb_stack_config *c)
{
    if (!c || c->layers < 1 || c->layers > SB_STACK_MAX_LAYERS || c->width < 1 || c->width > SB_STACK_MAX_WIDTH ||
        c->heads < 1 || c->width % c->heads != 0 || c->vocab < 2 || c->vocab > SB_STACK_MAX_VOCAB)
        return SB_EINVAL;
    if ((unsigned)c->sink >= SB_STACK_SINK_COUNT || (c->linear && c->heads != 1))
        return SB_EINVAL;
    if (!isfinite(c->temperature) || c->temperature < 0 || !isfinite(c->weight_gain) || c->weight_gain <= 0)
        return SB_EINVAL;
    /* A -inf gap switches the mechanism off where that has a meaning: no learned sink, an open gate. */
    int minus_inf_ok = c->sink == SB_STACK_SINK_LEARNED || c->sink == SB_STACK_SINK_GATED;
    if (isnan(c->gap) || c->gap == INFINITY || (c->gap == -INFINITY && !minus_inf_ok))
        return SB_EINVAL;
    if (!isfinite(c->value_scale) || !isfinite(c->sink_spread) || c->sink_spread < 0)
        return SB_EINVAL;
    if (!isfinite(c->content_offset) || !isfinite(c->gate_gain) || c->gate_gain < 0 || !isfinite(c->attn_scale))
        return SB_EINVAL;
    return SB_OK;
}

/* Independent streams: one per (purpose, layer, matrix), so changing one part of the config never
 * shifts the draws of another and deeper stacks extend shallower ones. */
static uint64_t mix(uint64_t a, uint64_t b)
{
    uint64_t x = a ^ (b * 0x9e3779b97f4a7c15ull);
    return sb_splitmix64(&x);
}

enum { TAG_LAYER = 0x4c41, TAG_EMBED = 0x454d, TAG_LAMBDA = 0x4c4d };

static void draw(double *w, float *wf, size_t count, double std, uint64_t stream)
{
    sb_rng r;
    sb_rng_seed(&r, stream);
    for (size_t i = 0; i < count; i++) {
        w[i] = std * sb_rng_normal(&r);
        if (wf)
            wf[i] = (float)w[i];
    }
}

double stack_linear_logit(const sb_stack *s, size_t t, size_t j)
{
    sb_rng r;
    sb_rng_seed(&r, mix(mix(mix(s->cfg.seed, TAG_LAMBDA), t), j));
    return s->cfg.temperature * sb_rng_normal(&r);
}

sb_status sb_stack_create(const sb_stack_config *c, sb_stack **out)
{
    if (!out)
        return SB_EINVAL;
    *out = NULL;
    sb_status st = sb_stack_config_check(c);
    if (st != SB_OK)
        return st;
    size_t d = c->width, H = c->heads, L = c->layers, f = STACK_MLP_RATIO;
    size_t per_layer_d = 5 * d * d + 2 * f * d * d + H; /* doubles */
    size_t per_layer_f = 5 * d * d + 2 * f * d * d;     /* floats */
    size_t layers_with_weights = c->linear ? 0 : L;
    size_t bytes = layers_with_weights * (per_layer_d * sizeof(double) + per_layer_f * sizeof(float)) +
                   c->vocab * d * sizeof(double);
    sb_stack *s = calloc(1, sizeof *s);
    if (!s)
        return SB_ENOMEM;
    s->cfg = *c;
    s->head_dim = d / H;
    s->block = malloc(bytes);
    s->layer = calloc(L, sizeof *s->layer);
    if (!s->block || !s->layer) {
        sb_stack_destroy(s);
        return SB_ENOMEM;
    }
    double *pd = s->block;
    s->embed = pd;
    pd += c->vocab * d;
    draw(s->embed, NULL, c->vocab * d, 1.0, mix(c->seed, TAG_EMBED));
    float *pf = (float *)(pd + layers_with_weights * per_layer_d);
    double g = c->weight_gain;
    for (size_t l = 0; l < layers_with_weights; l++) {
        stack_weights *w = &s->layer[l];
        uint64_t base = mix(mix(c->seed, TAG_LAYER), l);
        double **mats[7] = {&w->wq, &w->wk, &w->wv, &w->wo, &w->wg, &w->w1, &w->w2};
        float **matf[7] = {&w->wq_f, &w->wk_f, &w->wv_f, &w->wo_f, &w->wg_f, &w->w1_f, &w->w2_f};
        for (int m = 0; m < 7; m++) {
            size_t count = m < 5 ? d * d : f * d * d;
            size_t fan_in = m == 6 ? f * d : d;
            /* The gate's logits keep unit scale whatever the gain, so that gap alone sets how shut it is. */
            double std = (m == 4 ? 1.0 : g) / sqrt((double)fan_in);
            *mats[m] = pd;
            *matf[m] = pf;
            draw(pd, pf, count, std, mix(base, (uint64_t)m + 1));
            pd += count;
            pf += count;
        }
        w->sink_logit = pd;
        pd += H;
        sb_rng r;
        sb_rng_seed(&r, mix(base, 100));
        for (size_t h = 0; h < H; h++) {
            double z = sb_rng_normal(&r);
            w->sink_logit[h] = c->sink == SB_STACK_SINK_LEARNED    ? c->gap + c->sink_spread * z
                               : c->sink == SB_STACK_SINK_SOFTMAX1 ? 0.0
                                                                   : -INFINITY;
            if (c->sink == SB_STACK_SINK_LEARNED && c->gap == -INFINITY)
                w->sink_logit[h] = -INFINITY;
        }
    }
    *out = s;
    return SB_OK;
}

void sb_stack_destroy(sb_stack *s)
{
    if (!s)
        return;
    free(s->block);
    free(s->layer);
    free(s);
}

const sb_stack_config *sb_stack_get_config(const sb_stack *s) { return s ? &s->cfg : NULL; }

sb_status sb_stack_embed(const sb_stack *s, const uint32_t *ids, size_t n, double *x, unsigned char *bos)
{
    if (!s || n > SB_STACK_MAX_TOKENS || (n && (!ids || !x)))
        return SB_EINVAL;
    size_t d = s->cfg.width;
    for (size_t t = 0; t < n; t++)
        if (ids[t] >= s->cfg.vocab)
            return SB_EINVAL;
    for (size_t t = 0; t < n; t++) {
        memcpy(x + t * d, s->embed + (size_t)ids[t] * d, d * sizeof *x);
        if (bos)
            bos[t] = ids[t] == SB_STACK_BOS_ID;
    }
    return SB_OK;
}
