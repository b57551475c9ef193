/* A synthetic transformer stack for perturbation experiments (docs/perturbation.md is normative).
 *
 * L layers of causal multi-head attention (H heads, width d, n tokens) with residual connections,
 * optional pre-norm RMSNorm and an optional SiLU MLP, seeded random weights and one sink mechanism per
 * stack. Attention scores are materialised one query row at a time and each row's softmax is computed
 * either in binary64 (the reference) or by any registered binary32 kernel, so a kernel's rounding can be
 * followed through depth. Forward-mode Jacobian-vector products (binary64) give exact sensitivities.
 *
 * Layer l (u = RMSNorm(h) with norm on, else u = h; d_h = d / H; c = temperature / sqrt(d_h)):
 *   q, k, v = u W_q, u W_k, u W_v          (v of a sink position scaled by value_scale)
 *   s_tj   = c q_t.k_j + gap [j is a sink position] + b [j is not]   j <= t, per head (b: content_offset)
 *   p_t    = softmax(s_t) with a logit sink (learned, softmax1) or without
 *   a_t    = attn_scale * sum_j p_tj v_j  (gated: times sigmoid(gate_gain * u_t W_g - gap), elementwise)
 *   h      = h + a W_o;   with mlp: h = h + silu(RMSNorm(h) W_1) W_2
 * Linear limit (config.linear): h = (h + Lambda h) / 2 with one fixed causal attention matrix Lambda
 * in every layer, so that the output is [(Lambda + I)/2]^L h.
 * Derivatives: forward mode (sb_stack_jvp, J dx) and reverse mode (sb_stack_vjp, J^T w), both binary64. */
#ifndef SINKBENCH_STACK_H
#define SINKBENCH_STACK_H

#include <stddef.h>
#include <stdint.h>

#include "sinkbench/softmax.h"
#include "sinkbench/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum sb_stack_sink {
    SB_STACK_SINK_NONE = 0,
    SB_STACK_SINK_BOS,      /* positions holding the BOS token: key logit + gap, value * value_scale */
    SB_STACK_SINK_LEARNED,  /* per-head sink logit gap + sink_spread * z (gpt-oss); no value */
    SB_STACK_SINK_SOFTMAX1, /* sink logit 0 in every head ("off by one") */
    SB_STACK_SINK_GATED,    /* head output * sigmoid(u W_g - gap) (Qwen gated attention) */
    SB_STACK_SINK_NO_BOS    /* position 0, whatever token it holds: key logit + gap, value * value_scale */
} sb_stack_sink;
#define SB_STACK_SINK_COUNT 6

/* "none", "bos", "learned", "softmax1", "gated", "no_bos"; NULL for an unknown value. */
const char *sb_stack_sink_name(sb_stack_sink s);
/* SB_EINVAL for an unknown name. */
sb_status sb_stack_sink_parse(const char *name, sb_stack_sink *out);

/* The token id of BOS in every vocabulary. */
#define SB_STACK_BOS_ID 0u
/* Limits (larger values give SB_EINVAL). */
#define SB_STACK_MAX_LAYERS 4096u
#define SB_STACK_MAX_WIDTH 8192u
#define SB_STACK_MAX_VOCAB (1u << 20)
#define SB_STACK_MAX_TOKENS (1u << 16)

typedef struct sb_stack_config {
    size_t layers;      /* L >= 1 */
    size_t heads;       /* H >= 1, divides width; 1 in the linear limit */
    size_t width;       /* d >= 1 */
    size_t vocab;       /* token ids 0..vocab-1 (>= 2); id 0 is BOS */
    int norm;           /* pre-norm RMSNorm before attention and MLP */
    int mlp;            /* SiLU MLP (hidden width 4d) after attention */
    int linear;         /* the linear limit: h = (h + Lambda h)/2, no projections, norm or MLP */
    double temperature; /* logit scale (>= 0): scores are temperature * q.k / sqrt(d_h) */
    double weight_gain; /* weights ~ N(0, gain^2 / fan_in) (> 0) */
    sb_stack_sink sink;
    double gap;         /* sink strength Delta: logit gap (bos, no_bos, learned) or gate bias (gated);
                           -inf allowed for learned (no sink), never NaN or +inf */
    double value_scale; /* bos, no_bos: value of a sink position multiplied by this (finite) */
    double sink_spread; /* learned: per-head logit = gap + sink_spread * N(0,1) (>= 0, finite) */
    double content_offset; /* b, added to the logit of every position that is not a sink position (finite):
                              moves the content logits against a logit sink (softmax1, learned); plain
                              softmax is invariant to it */
    double gate_gain;   /* gated: gate = sigmoid(gate_gain * u W_g - gap) (finite, >= 0): larger values
                           make the gate query-dependent and sparse instead of a near-uniform scaling */
    double attn_scale;  /* every mode: the attention output times this constant (finite); the study's
                           output-norm-matched control for the gate */
    uint64_t seed;      /* weights, embeddings and Lambda */
} sb_stack_config;

/* Defaults: 16 layers, 4 heads, width 32, vocab 512, norm and MLP on, temperature 1, gain 1, no sink,
 * gap 10, value_scale 0.01, sink_spread 1, content_offset 0, gate_gain 1, attn_scale 1, seed 1. */
void sb_stack_config_default(sb_stack_config *c);
/* SB_OK when c describes a valid stack. */
sb_status sb_stack_config_check(const sb_stack_config *c);

typedef struct sb_stack sb_stack;

/* Draws the weights. SB_EINVAL for an invalid config, SB_ENOMEM. Layer l's weights depend only on
 * (seed, l, width, heads), so a stack of L layers is the first L layers of any deeper one. */
sb_status sb_stack_create(const sb_stack_config *c, sb_stack **out);
void sb_stack_destroy(sb_stack *s);
const sb_stack_config *sb_stack_get_config(const sb_stack *s);

/* Embeddings of token ids (x: n x width, row-major) and the BOS mask (bos[t] = ids[t] == BOS; may be
 * NULL). SB_EINVAL for an id >= vocab or n > SB_STACK_MAX_TOKENS. */
sb_status sb_stack_embed(const sb_stack *s, const uint32_t *ids, size_t n, double *x, unsigned char *bos);

typedef enum sb_stack_precision {
    SB_STACK_F64 = 0,    /* binary64 throughout, softmax by the exact formula in binary64 (the reference) */
    SB_STACK_F32,        /* binary32 arithmetic and storage, softmax by the chosen kernel */
    SB_STACK_BF16,       /* binary32 arithmetic, activations and probabilities stored as bfloat16 */
    SB_STACK_F16,        /* binary32 arithmetic, activations and probabilities stored as binary16 */
    SB_STACK_F64_KERNEL  /* binary64 except the softmax: logits rounded to binary32, the chosen kernel */
} sb_stack_precision;
#define SB_STACK_PRECISION_COUNT 5
/* "f64", "f32", "bf16", "f16", "f64+kernel"; NULL for an unknown value. */
const char *sb_stack_precision_name(sb_stack_precision p);

typedef struct sb_stack_exec {
    sb_stack_precision precision;
    const sb_softmax_kernel *kernel; /* required for every precision but SB_STACK_F64 */
    size_t kernel_layers;            /* 0: every layer runs at precision; k > 0: only layers 1..k do,
                                        later layers run in binary64 (an error injected early) */
} sb_stack_exec;

/* What a forward pass may record (each pointer may be NULL). */
typedef struct sb_stack_trace {
    double *hidden;       /* (L + 1) x n x width: h^(0) (the input as stored) .. h^(L) */
    double *first_mass;   /* L x H x n: attention weight of query t on position 0, per layer and head */
    double *sink_mass;    /* L x H x n: mass taken by a logit sink (learned, softmax1); 0 otherwise */
    double *content_mass; /* L x H x n: mass on positions that are not sink positions (the sink's
                             "leak"), summed from those entries, not taken as 1 - the sink's share */
    double *attention;    /* L x H x n x n: the attention matrices A[t][j] (0 above the diagonal) */
    double *gate_energy;  /* 4 values, accumulated over layers, tokens and features: sum of a^2 before
                             the gate and attn_scale, and after (the gate's output-norm ratio); for the
                             gated mode also the sum of the gate values and how many are below 0.1 */
} sb_stack_trace;

/* Runs the stack on x (n x width). y (n x width) receives h^(L) and may be NULL. bos marks BOS
 * positions (NULL: none); only the bos sink mode reads it. exec NULL means SB_STACK_F64.
 * SB_EINVAL: NULL stack/x, n == 0 or > SB_STACK_MAX_TOKENS, an unknown precision, a missing kernel;
 * SB_EUNSUPPORTED: the kernel cannot run on this CPU or returned an error; SB_ENOMEM. */
sb_status sb_stack_forward(const sb_stack *s, const sb_stack_exec *exec, const double *x, size_t n,
                           const unsigned char *bos, double *y, const sb_stack_trace *trace);

/* Forward-mode derivative in binary64: y = stack(x) (may be NULL) and dy = J(x) dx, both n x width.
 * Exact up to binary64 rounding (hand-written tangents of RMSNorm, softmax, gate and SiLU). */
sb_status sb_stack_jvp(const sb_stack *s, const double *x, const double *dx, size_t n, const unsigned char *bos,
                       double *y, double *dy);

/* Reverse-mode derivative in binary64: y = stack(x) (may be NULL) and gx = J(x)^T w (n x width), the
 * gradient of <w, stack(x)> with respect to x. The adjoint of sb_stack_jvp: <w, J dx> = <J^T w, dx> up
 * to rounding. One call costs about three forward passes whatever n, so the sensitivity of one output
 * token to every input token takes one call per probe instead of one JVP per input token. */
sb_status sb_stack_vjp(const sb_stack *s, const double *x, const double *w, size_t n, const unsigned char *bos,
                       double *y, double *gx);

/* The fixed attention matrix of the linear limit for n tokens (n x n, row-major, causal, with this
 * stack's sink applied). SB_EINVAL unless config.linear. */
sb_status sb_stack_linear_attention(const sb_stack *s, size_t n, const unsigned char *bos, double *lambda);

/* Metrics (docs/perturbation.md). */

/* [(Lambda + I)/2]^L (n x n) by repeated multiplication in binary64. out must not alias lambda. */
sb_status sb_stack_limit_matrix(const double *lambda, size_t n, size_t layers, double *out);

/* Rank-collapse residual ||V - 1 vbar^T||_F / ||V||_F of rows x width (0 for an all-zero V). */
double sb_stack_collapse_residual(const double *v, size_t rows, size_t width);

/* alpha_1^{l,h} = mean over queries t in [first, T) of A_{t,0}, with first = 0 (query row 0 counted)
 * or 1, from first_mass (L x H x n as traced). alpha gets L x H values. SB_EINVAL unless
 * 1 <= first + 1 <= T <= n. */
sb_status sb_stack_sink_alpha(const double *first_mass, size_t layers, size_t heads, size_t n, size_t T,
                              int count_row0, double *alpha);
/* Sink_1^eps: the fraction of the count alpha values above eps. */
double sb_stack_sink_rate(const double *alpha, size_t count, double eps);

#ifdef __cplusplus
}
#endif
#endif
