/* Internal: measurements on trained weights (probe.c), used by the study and the tests. */
#ifndef SINKBENCH_EMERGE_PROBE_H
#define SINKBENCH_EMERGE_PROBE_H

#include "emerge_model.h"

typedef struct sb_emerge_probe_options {
    size_t sequences;        /* validation sequences for loss, sink metric and drift (8) */
    size_t probes;           /* unit probes of the sensitivity profile (4) */
    size_t kernel_sequences; /* sequences through every kernel (2) */
    int kernels;             /* run the kernel-rounding part */
    uint64_t seed;
} sb_emerge_probe_options;

void sb_emerge_probe_options_default(sb_emerge_probe_options *o);

typedef struct sb_emerge_kernel_run {
    char kernel[64];
    char precision[16]; /* "f32" (binary32 model), "f64+kernel" (binary64 model, the kernel's softmax),
                          "bf16", "f16" (binary32 arithmetic, 16-bit storage, dispatched kernel) */
    int removed;       /* the sink removed at inference */
    double *error;     /* L+1: ||H - H_ref||_F / ||H_ref||_F per layer (layer 0: the embeddings) */
} sb_emerge_kernel_run;

typedef struct sb_emerge_skipped {
    char kernel[64];
    char why[96];
} sb_emerge_skipped;

/* Index [0]: the sink as trained; [1]: removed at inference (sb_emerge_removal_name). */
typedef struct sb_emerge_probe_result {
    size_t layers, tokens, perturbed;
    double val_loss[2];         /* validation loss (binary64) */
    double sink_rate[2];        /* Sink_1^0.3, row 0 not counted */
    double *drift[2];           /* L+1: relative drift of the last token ||h' - h|| / ||h||, mean over sequences */
    double off_token_share[2];  /* share of the final layer's drift on tokens other than the swapped one */
    double *sens[2];            /* T: sqrt(mean_p ||d(u_p . h_L[T-1]) / dx_i||^2), the last token's sensitivity */
    double sens_first_share[2]; /* sens[0] / sum */
    double repeated_rate;       /* Sink_1^0.3 on one repeated token after the template's first token (BOS, the
                                   fixed first token; Gu et al. report 0 % for LLMs on repeated tokens) */
    double repeated_alpha;
    double repeated_plain_rate; /* the same with the token at every position, position 0 included */
    double repeated_plain_alpha;
    sb_emerge_kernel_run *kernel;
    size_t n_kernels;
    sb_emerge_skipped *skipped;
    size_t n_skipped;
} sb_emerge_probe_result;

sb_status sb_emerge_probe(const sb_emerge_model *m, const sb_emerge_data *d, sb_emerge_matmul how,
                          const sb_emerge_probe_options *o, sb_emerge_probe_result *p);
void sb_emerge_probe_result_free(sb_emerge_probe_result *p);
/* How a variant's sink is removed at inference, in words. */
const char *sb_emerge_removal_name(sb_emerge_sink s);

#endif
