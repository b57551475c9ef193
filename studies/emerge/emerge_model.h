/* Internal: the model's forward and backward passes, compiled twice from model_impl.h — binary32
 * (suffix _f32: training, kernel rounding) and binary64 (suffix _f64: gradient checks, the reference
 * pass of every measurement on trained weights). Both share the activation layout below. */
#ifndef SINKBENCH_EMERGE_MODEL_H
#define SINKBENCH_EMERGE_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "emerge.h"

/* What a forward pass may change at inference (all zero: the model as trained). */
typedef enum sb_emerge_storage { SB_EMERGE_STORE_NATIVE = 0, SB_EMERGE_STORE_BF16, SB_EMERGE_STORE_F16 } sb_emerge_storage;

typedef struct sb_emerge_exec {
    const unsigned char *key_mask; /* T entries: non-zero = no query attends to this position (a removed
                                      BOS or first token: with rotary positions this equals dropping it) */
    int sink_off;                  /* learned, softmax1: no logit sink; gate: gate held open at 1 */
    sb_softmax_fn softmax;         /* the row kernel; binary32 pass: NULL = sb_softmax_f32 (dispatch); binary64
                                      pass: NULL = the contract in binary64, else logits rounded to binary32,
                                      this kernel, probabilities widened back (the kernel's rounding alone) */
    sb_emerge_storage storage;     /* binary32 pass: activations and probabilities rounded to bf16/f16 */
    sb_emerge_matmul matmul;
} sb_emerge_exec;

/* Activations of B sequences of T tokens, offsets (in elements of the precision that allocated them)
 * into one block. Forward fills the first group; backward uses the scratch group. */
typedef struct sb_emerge_acts {
    size_t elem;   /* sizeof(float) or sizeof(double) */
    size_t B, T, L;
    void *mem;
    size_t size;   /* elements */
    size_t x, h[SB_EMERGE_MAX_LAYERS + 1], u1[SB_EMERGE_MAX_LAYERS], r1[SB_EMERGE_MAX_LAYERS],
        q[SB_EMERGE_MAX_LAYERS], k[SB_EMERGE_MAX_LAYERS], v[SB_EMERGE_MAX_LAYERS], p[SB_EMERGE_MAX_LAYERS],
        ps[SB_EMERGE_MAX_LAYERS], a[SB_EMERGE_MAX_LAYERS], g[SB_EMERGE_MAX_LAYERS], ag[SB_EMERGE_MAX_LAYERS],
        hm[SB_EMERGE_MAX_LAYERS], u2[SB_EMERGE_MAX_LAYERS], r2[SB_EMERGE_MAX_LAYERS], z[SB_EMERGE_MAX_LAYERS],
        s[SB_EMERGE_MAX_LAYERS], uf, rf, logits;
    /* scratch for backward */
    size_t dh, dhm, du, dq, dk, dv, da, dz, ds, dlogits, dx, wt, rope, head;
} sb_emerge_acts;

/* Allocates activations for B sequences of up to T tokens (T <= config.context) in the precision of
 * elem. SB_EINVAL, SB_ENOMEM. */
sb_status sb_emerge_acts_alloc(sb_emerge_acts *a, const sb_emerge_config *c, size_t B, size_t T, size_t elem);
void sb_emerge_acts_free(sb_emerge_acts *a);

/* Per-position results of a forward pass with targets. */
typedef struct sb_emerge_loss {
    double sum;        /* sum of -log p(target) over positions with a target */
    size_t count;      /* positions with a target */
    double *nll;       /* optional, B*T: per-position loss (0 where there is no target) */
} sb_emerge_loss;

#define SB_EMERGE_DECLARE(real, S)                                                                                \
    /* Forward pass of B sequences of T tokens (ids[B*T]); with targets (may be NULL) also the loss. */        \
    sb_status sb_emerge_forward_##S(const sb_emerge_config *c, const real *params, const sb_emerge_exec *e,      \
                                    sb_emerge_acts *a, const uint32_t *ids, size_t B, size_t T,                  \
                                    const int32_t *targets, sb_emerge_loss *loss);                               \
    /* Reverse pass after forward_##S with the same arguments: adds d(loss_sum * scale)/d(params) to grad.   \
     * With dout (B*T*width, may be NULL instead of targets) it seeds the final residual stream instead of   \
     * the loss: grad receives J^T dout and the acts' dx the gradient with respect to the input             \
     * embeddings (a vector-Jacobian product). */                                                           \
    sb_status sb_emerge_backward_##S(const sb_emerge_config *c, const real *params, const sb_emerge_exec *e,     \
                                     sb_emerge_acts *a, const uint32_t *ids, size_t B, size_t T,                 \
                                     const int32_t *targets, double scale, const real *dout, real *grad);        \
    /* C[M,N] = alpha op(A) op(B) + beta C, row-major; op = transpose when the flag is set. */                  \
    void sb_emerge_matmul_##S(sb_emerge_matmul how, int ta, int tb, size_t M, size_t N, size_t K, const real *A,  \
                              const real *Bm, real beta, real *C, real *scratch);

SB_EMERGE_DECLARE(float, f32)
SB_EMERGE_DECLARE(double, f64)

/* Scratch the own matmul needs for a transposed B of K x N values. */
size_t sb_emerge_matmul_scratch(size_t K, size_t N);

/* Sink strength measured from a forward pass's activations (binary32 or binary64 acts, per elem):
 * first_mass L x H x T (attention of query t on position 0, mean over the B sequences), logit-sink mass
 * and gate closure (L x H means), value-norm ratio of position 0 per layer. Any output may be NULL. */
void sb_emerge_acts_sink_stats(const sb_emerge_config *c, const sb_emerge_acts *a, double *first_mass,
                               double *logit_sink, double *gate_closure, double *value_ratio, double *norm_ratio);

/* splitmix64 and the seeded streams every part uses. */
uint64_t sb_emerge_mix(uint64_t x);
uint64_t sb_emerge_hash(uint64_t a, uint64_t b, uint64_t c);
typedef struct sb_emerge_rng {
    uint64_t s;
} sb_emerge_rng;
uint64_t sb_emerge_rng_next(sb_emerge_rng *r);
double sb_emerge_rng_uniform(sb_emerge_rng *r); /* [0, 1) */
double sb_emerge_rng_normal(sb_emerge_rng *r);

#endif
