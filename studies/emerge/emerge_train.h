/* Internal: the trainer's state, shared by train.c and checkpoint.c. */
#ifndef SINKBENCH_EMERGE_TRAIN_H
#define SINKBENCH_EMERGE_TRAIN_H

#include "emerge_model.h"

#define SB_EMERGE_MAX_CHUNKS 64u
/* The validation sequences of every run come from this seed, whatever the run's seed: runs that differ
 * only by seed are measured on the same inputs. */
#define SB_EMERGE_EVAL_SEED 0xe7a1u

typedef struct sb_emerge_chunk {
    size_t first, count; /* sequences of the batch */
    sb_emerge_acts acts;
    float *grad;
    uint32_t *ids;
    int32_t *targets;
    double loss;
    sb_status st;
} sb_emerge_chunk;

struct sb_emerge_trainer {
    sb_emerge_model *m;
    const sb_emerge_data *d;
    sb_emerge_train_options o;
    size_t batch, n_chunks, step, targets_per_step;
    uint64_t data_seed;
    float *mom, *vel, *grad;
    unsigned char *decay;
    sb_emerge_chunk chunk[SB_EMERGE_MAX_CHUNKS];
    /* measurement */
    sb_emerge_acts eval;
    uint32_t *eval_ids;
    int32_t *eval_targets;
    unsigned char *eval_trigger;
    double *eval_nll, *first_mass;
    /* log */
    sb_emerge_record *log;
    size_t n_log, cap_log;
    double loss_accum;
    size_t loss_steps;
    double last_grad_norm, last_lr;
    double seconds, tokens;
};

/* Appends a record (growing the log). */
sb_status sb_emerge_trainer_append(sb_emerge_trainer *t, const sb_emerge_record *r);

#endif
