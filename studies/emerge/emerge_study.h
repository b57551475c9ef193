/* Internal: the study's runs and aggregates, shared by study.c and study_md.c. */
#ifndef SINKBENCH_EMERGE_STUDY_H
#define SINKBENCH_EMERGE_STUDY_H

#include "emerge_train.h"

struct json_object;

/* A sink formed when at least half of the heads put more than 0.3 of their attention on position 0
 * (Sink_1^0.3 >= 50 %, query row 0 not counted). */
#define SB_EMERGE_FORMED 0.5

typedef struct sb_emerge_run {
    char id[96];
    sb_emerge_data_kind data;
    sb_emerge_sink sink;
    size_t context, layers, seed_index;
    uint64_t seed;
    struct json_object *json; /* the run's JSON, fresh or read back */
    int done, read_back;
    /* read from the JSON */
    double rate03, rate08, first_mass, formed_step, logit_mass, gate_closure, norm_ratio, value_ratio, copy_loss;
    double val_loss[2], drift_last[2], off_share[2], sens_share[2], repeated_rate, repeated_plain_rate;
    double tokens_per_second, train_seconds, wall_seconds;
} sb_emerge_run;

struct sb_emerge_study {
    sb_emerge_study_options o;
    char dir[4096];
    sb_emerge_data bb, text;
    sb_emerge_run *runs;
    size_t n, cap;
    double seconds;
};

typedef struct sb_emerge_stat {
    double mean, lo, hi; /* mean and its 95 % t-interval over seeds (lo = hi = mean for one seed) */
    size_t n;            /* finite values */
} sb_emerge_stat;

void sb_emerge_stat_compute(const double *v, size_t n, sb_emerge_stat *out);

#define SB_EMERGE_METRICS 21
#define SB_EMERGE_MAX_SEEDS 32
enum {
    SB_EM_RATE03, SB_EM_RATE08, SB_EM_ALPHA, SB_EM_FORMED_STEP, SB_EM_VAL_LOSS, SB_EM_LOSS_INCREASE, SB_EM_DRIFT,
    SB_EM_DRIFT_REMOVED, SB_EM_DRIFT_RATIO, SB_EM_OFF_SHARE, SB_EM_OFF_SHARE_REMOVED, SB_EM_SENS_SHARE,
    SB_EM_SENS_SHARE_REMOVED, SB_EM_REPEATED, SB_EM_VALUE_RATIO, SB_EM_NORM_RATIO, SB_EM_LOGIT_MASS,
    SB_EM_GATE_CLOSURE, SB_EM_COPY_LOSS, SB_EM_TOKENS_PER_S, SB_EM_REPEATED_PLAIN
};
extern const char *const sb_emerge_metric_names[SB_EMERGE_METRICS];

/* One cell of the grid (data, variant, context, depth) over its seeds. */
typedef struct sb_emerge_cell {
    sb_emerge_data_kind data;
    sb_emerge_sink sink;
    size_t context, layers, n;
    const sb_emerge_run *run[SB_EMERGE_MAX_SEEDS];
    double values[SB_EMERGE_METRICS][SB_EMERGE_MAX_SEEDS];
    sb_emerge_stat stat[SB_EMERGE_METRICS];
} sb_emerge_cell;

/* Groups the finished runs into cells (at most cap) and computes every metric's statistics. */
size_t sb_emerge_cells(const sb_emerge_study *s, sb_emerge_cell *cells, size_t cap);

#endif
