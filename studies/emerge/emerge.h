/* Sinks that emerge: small causal transformers trained in C, and what their sinks do (docs/emerge.md is
 * normative). The library sinkbench_emerge holds the model (forward and hand-written reverse-mode
 * gradients, compiled twice: binary32 for training, binary64 for gradient checks and reference passes),
 * the data (Bigram-Backcopy, fortune text), AdamW training, checkpoints, the .npy reader of attention
 * dumps, the measurements on trained weights and the quick/full study. Every function returns a status
 * and never aborts on user input. */
#ifndef SINKBENCH_EMERGE_H
#define SINKBENCH_EMERGE_H

#include <stddef.h>
#include <stdint.h>

#include "sinkbench/sinkbench.h"
#include "studies/stack/stack.h" /* the sink metric of Gu et al. (sb_stack_sink_alpha, _rate) */

#ifdef __cplusplus
extern "C" {
#endif

/* ---- the model ------------------------------------------------------------------------------------ */

/* Byte vocabulary: ids 0..255 are bytes, 256 is BOS (outside the byte range: it never occurs in text). */
#define SB_EMERGE_BOS 256u
#define SB_EMERGE_VOCAB 257u
#define SB_EMERGE_MAX_LAYERS 16u
#define SB_EMERGE_MAX_HEADS 64u
#define SB_EMERGE_MAX_WIDTH 1024u
#define SB_EMERGE_MAX_CONTEXT 4096u

/* How a model may park attention (one flag each, docs/emerge.md "Sink variants"). */
typedef enum sb_emerge_sink {
    SB_EMERGE_SINK_NONE = 0, /* no BOS: position 0 holds whatever content token the window starts with */
    SB_EMERGE_SINK_BOS,      /* a dedicated BOS token at position 0 (the Gemma template) */
    SB_EMERGE_SINK_FIRST,    /* a fixed ordinary content token at position 0 (the Qwen template) */
    SB_EMERGE_SINK_LEARNED,  /* a learned per-head sink logit in every softmax (gpt-oss); no BOS */
    SB_EMERGE_SINK_SOFTMAX1, /* sink logit fixed at 0 ("off by one"); no BOS */
    SB_EMERGE_SINK_GATE      /* head output times sigmoid(u W_g), elementwise (Qiu et al. 2025); no BOS */
} sb_emerge_sink;
#define SB_EMERGE_SINK_COUNT 6

/* "none", "bos", "first", "learned", "softmax1", "gate"; NULL for an unknown value. */
const char *sb_emerge_sink_name(sb_emerge_sink s);
/* SB_EINVAL for an unknown name. */
sb_status sb_emerge_sink_parse(const char *name, sb_emerge_sink *out);

typedef struct sb_emerge_config {
    size_t layers;    /* 1..16 */
    size_t heads;     /* 1..64, divides width, width/heads even (rotary pairs) */
    size_t width;     /* d, 2..1024 */
    size_t hidden;    /* MLP hidden width (4d by default), 1..4096 */
    size_t context;   /* longest sequence the model is trained on (positions), 2..4096 */
    sb_emerge_sink sink;
    double rope_base; /* rotary frequency base (10000), > 1 */
} sb_emerge_config;

/* 2 layers, 4 heads, width 64, hidden 256, context 64, sink bos, rope base 10000. */
void sb_emerge_config_default(sb_emerge_config *c);
/* NULL when c is valid, else one sentence naming the problem. */
const char *sb_emerge_config_problem(const sb_emerge_config *c);

/* One parameter tensor: rows x cols values at offset in the parameter array, row-major. */
typedef struct sb_emerge_tensor {
    char name[32];  /* "embed", "l0.norm1", "l0.wq", ..., "final_norm", "unembed" */
    size_t offset, rows, cols;
    int decay;      /* AdamW weight decay applies (matrices; not gains, sink logits or embeddings) */
} sb_emerge_tensor;

size_t sb_emerge_tensor_count(const sb_emerge_config *c);
/* SB_EINVAL for an invalid config or index. */
sb_status sb_emerge_tensor_at(const sb_emerge_config *c, size_t i, sb_emerge_tensor *out);
size_t sb_emerge_param_count(const sb_emerge_config *c);

typedef struct sb_emerge_model {
    sb_emerge_config config;
    size_t n_params;
    float *params;
} sb_emerge_model;

/* Allocates and draws the weights from seed (docs/emerge.md "Initialisation"). SB_EINVAL, SB_ENOMEM. */
sb_status sb_emerge_model_init(sb_emerge_model *m, const sb_emerge_config *c, uint64_t seed);
void sb_emerge_model_free(sb_emerge_model *m);

/* ---- data ----------------------------------------------------------------------------------------- */

typedef enum sb_emerge_data_kind { SB_EMERGE_DATA_BB = 0, SB_EMERGE_DATA_TEXT = 1 } sb_emerge_data_kind;

#define SB_EMERGE_BB_SYMBOLS 64u
#define SB_EMERGE_BB_TRIGGERS 3u

typedef struct sb_emerge_data {
    sb_emerge_data_kind kind;
    uint64_t task_seed;                      /* BB: the bigram table */
    /* Bigram-Backcopy: symbol i is the byte byte_of[i]; symbols 0..TRIGGERS-1 are the triggers. */
    unsigned char byte_of[SB_EMERGE_BB_SYMBOLS];
    int symbol_of[256];                      /* -1 for bytes that are not symbols */
    double cdf[SB_EMERGE_BB_SYMBOLS][SB_EMERGE_BB_SYMBOLS];
    double bigram_entropy;                   /* bits per non-trigger step, stationary average */
    /* Text: the corpus split by document into train and validation. */
    unsigned char *text[2];
    size_t text_len[2], docs[2], files;
    char source[256];
} sb_emerge_data;

/* The Bigram-Backcopy task of Guo et al. 2024 with a bigram table drawn from task_seed. */
sb_status sb_emerge_data_bb(sb_emerge_data *d, uint64_t task_seed);
/* Every fortune file in dir (NULL: /usr/share/games/fortunes): documents separated by "%" lines;
 * one document in ten (by a hash of its index) goes to validation. SB_EUNSUPPORTED with err filled when
 * the folder has no readable fortune files. */
sb_status sb_emerge_data_text(sb_emerge_data *d, const char *dir, char *err, size_t err_size);
void sb_emerge_data_free(sb_emerge_data *d);

/* One sequence of T tokens with the template of `sink` (docs/emerge.md "Data"): ids[T]; targets[T]
 * (the next token; -1 at the last position); trigger[T] (may be NULL: 1 where the input token is a BB
 * trigger whose next token is a copy). split 0 train, 1 validation. A pure function of
 * (data, sink, T, split, seed, index). */
void sb_emerge_data_sequence(const sb_emerge_data *d, sb_emerge_sink sink, size_t T, int split, uint64_t seed,
                             uint64_t index, uint32_t *ids, int32_t *targets, unsigned char *trigger);

/* ---- training ------------------------------------------------------------------------------------- */

typedef enum sb_emerge_matmul { SB_EMERGE_MATMUL_OWN = 0, SB_EMERGE_MATMUL_BLAS = 1 } sb_emerge_matmul;
/* 1 when the library was built with OpenBLAS. */
int sb_emerge_have_blas(void);

typedef struct sb_emerge_train_options {
    uint64_t seed;            /* weights and batches */
    size_t steps;
    size_t tokens_per_step;   /* batch = tokens_per_step / context sequences (at least 1) */
    size_t chunks;            /* the batch is cut into this many fixed micro-batches whose gradients are summed
                                 in a fixed order: results do not depend on the thread count */
    size_t threads;           /* 1..chunks */
    size_t warmup;            /* linear warm-up steps, then cosine decay to final_lr_ratio * lr */
    double lr, final_lr_ratio, weight_decay, beta1, beta2, adam_eps, clip;
    size_t eval_every;        /* measurements every N steps (and at step 0 and the last step) */
    size_t eval_sequences;    /* validation sequences per measurement */
    sb_emerge_matmul matmul;
} sb_emerge_train_options;

void sb_emerge_train_options_default(sb_emerge_train_options *o);
/* NULL when valid for this config, else one sentence. */
const char *sb_emerge_train_options_problem(const sb_emerge_train_options *o, const sb_emerge_config *c);

/* One measurement during training (docs/emerge.md "Measurements"). Arrays are L x H, row-major. */
typedef struct sb_emerge_record {
    size_t step;
    double train_loss;        /* mean over the steps since the previous record (step 0: the first batch) */
    double val_loss;          /* mean over the validation sequences and positions */
    double val_copy_loss;     /* BB: loss on positions after a trigger (the copy); text: NaN */
    double val_bigram_loss;   /* BB: loss on the other positions; text: NaN */
    double sink_rate[2][2];   /* Sink_1^eps, [query row 0 counted][eps 0.3, 0.8] */
    double first_mass;        /* alpha_1 (row 0 not counted), mean over layers and heads */
    double logit_sink_mass;   /* learned/softmax1: mass the logit sink takes; else 0 */
    double gate_closure;      /* gate: mean 1 - gate value; else 0 */
    double first_norm_ratio;  /* ||h_0|| / median_t ||h_t|| after the last layer (massive activation) */
    double first_value_ratio; /* ||v_0|| / median_t ||v_t||, mean over layers */
    double grad_norm;         /* before clipping, at this step */
    double lr;
    float alpha[SB_EMERGE_MAX_LAYERS * SB_EMERGE_MAX_HEADS]; /* alpha_1 per layer and head (row 0 not counted) */
} sb_emerge_record;

typedef struct sb_emerge_trainer sb_emerge_trainer;

/* The trainer trains m in place on d. SB_EINVAL (invalid options, see the _problem functions), SB_ENOMEM,
 * SB_EUNSUPPORTED (BLAS asked for but not built). */
sb_status sb_emerge_trainer_create(sb_emerge_model *m, const sb_emerge_data *d, const sb_emerge_train_options *o,
                                   sb_emerge_trainer **out);
void sb_emerge_trainer_destroy(sb_emerge_trainer *t);
/* One optimisation step; loss receives the batch's mean cross-entropy (nats). Records a measurement when
 * the step count reaches a multiple of eval_every or the last step. SB_EINVAL after the last step. */
sb_status sb_emerge_trainer_step(sb_emerge_trainer *t, double *loss);
/* Measures now (also done by step) and appends a record. */
sb_status sb_emerge_trainer_measure(sb_emerge_trainer *t);
size_t sb_emerge_trainer_steps_done(const sb_emerge_trainer *t);
const sb_emerge_record *sb_emerge_trainer_log(const sb_emerge_trainer *t, size_t *count);
/* Seconds spent in forward+backward+update, and the tokens processed, since creation (or resume). */
void sb_emerge_trainer_speed(const sb_emerge_trainer *t, double *seconds, double *tokens);

/* ---- checkpoints (docs/emerge.md "Checkpoint format") ----------------------------------------------- */

/* Writes the trainer's model, optimiser state, options and log atomically. 0 on success, else err. */
sb_status sb_emerge_checkpoint_save(const sb_emerge_trainer *t, const char *path, char *err, size_t err_size);
/* Reads a checkpoint into a new model + trainer on d. The file must match want_config and want_options
 * when they are non-NULL (a resume of the same run). SB_EINVAL with err naming the problem: not a
 * checkpoint, another version, truncated, checksum mismatch, invalid or other contents. */
sb_status sb_emerge_checkpoint_load(const char *path, const sb_emerge_data *d, const sb_emerge_config *want_config,
                                    const sb_emerge_train_options *want_options, sb_emerge_model *m,
                                    sb_emerge_trainer **out, char *err, size_t err_size);

/* ---- .npy attention dumps (docs/emerge.md "sinkmetric") ------------------------------------------ */

typedef struct sb_emerge_attn_maps {
    size_t layers, heads, tokens;
    double *p;          /* layers x heads x tokens x tokens, row-major, as read (float32 widened) */
    int was_float32;
} sb_emerge_attn_maps;

/* Reads an .npy file of causal attention probabilities: dtype <f4 or <f8 (little-endian), C order, shape
 * [layers, heads, T, T]. Every value finite and in [0, 1], rows summing to at most 1 + 1e-3, zero above
 * the diagonal. SB_EINVAL with err naming the first problem (and a zeroed result); SB_ENOMEM. */
sb_status sb_emerge_npy_read_attention(const unsigned char *bytes, size_t size, sb_emerge_attn_maps *out, char *err,
                                       size_t err_size);
sb_status sb_emerge_npy_load_attention(const char *path, sb_emerge_attn_maps *out, char *err, size_t err_size);
void sb_emerge_attn_maps_free(sb_emerge_attn_maps *m);

/* Metrics of a set of attention maps: alpha_1 per layer and head for both row-0 conventions and the
 * window T (<= tokens), Sink_1^eps for eps 0.3 and 0.8, and the path product of the head-averaged
 * maps, prod_l (A_l + I)/2 (Barbero et al.'s bound with equal weights): its last row says how the last
 * token's sensitivity is spread over the inputs. */
typedef struct sb_emerge_map_metrics {
    size_t window;
    double *alpha[2];        /* L x H each: [row 0 counted] */
    double sink_rate[2][2];  /* [row 0 counted][eps 0.3, 0.8] */
    double *path_last;       /* tokens: last row of the path product */
    double path_first_share; /* path_last[0] / sum */
} sb_emerge_map_metrics;
sb_status sb_emerge_map_metrics_compute(const sb_emerge_attn_maps *m, size_t window, sb_emerge_map_metrics *out);
void sb_emerge_map_metrics_free(sb_emerge_map_metrics *mm);


/* ---- the study (`sinkbench emerge`, docs/emerge.md "The study") ----------------------------------- */

typedef enum sb_emerge_level { SB_EMERGE_QUICK = 0, SB_EMERGE_FULL = 1 } sb_emerge_level;

#define SB_EMERGE_MAX_LIST 8

typedef struct sb_emerge_study_options {
    sb_emerge_level level;
    uint64_t seed;            /* weights and batches: seed index k of a cell trains with seed + k */
    uint64_t task_seed;       /* the Bigram-Backcopy table */
    size_t seeds;             /* seeds per cell */
    size_t steps, tokens_per_step, threads, width, heads, eval_every;
    double lr;
    size_t n_contexts, contexts[SB_EMERGE_MAX_LIST]; /* training context lengths */
    size_t n_depths, depths[SB_EMERGE_MAX_LIST];     /* depths every variant trains at */
    size_t n_deep, deep[SB_EMERGE_MAX_LIST];         /* further depths, for deep_variants only */
    unsigned variants;        /* bit (1 << sb_emerge_sink) per variant of the main grid */
    unsigned deep_variants;   /* variants of the depth sweep */
    int text;                 /* also train on fortune text (bos and none) */
    size_t text_depth, text_context;
    const char *text_dir;     /* NULL: /usr/share/games/fortunes */
    sb_emerge_matmul matmul;
    size_t checkpoint_every;  /* steps between checkpoints (0: none) */
    int keep_checkpoints;     /* keep each run's final checkpoint */
    int progress;             /* progress lines on stderr */
} sb_emerge_study_options;

/* quick: Bigram-Backcopy, 1 layer of 1 head, width 64, context 64, bos and none, 1 seed, 800 steps.
 * full: every variant x contexts 32/64/128/256 x 3 seeds at depth 1, depths 2 and 4 for bos and none,
 * fortune text (bos, none) at depth 2 and context 128; 1000 steps of 1024 tokens each (lr 0.01). */
void sb_emerge_study_options_default(sb_emerge_study_options *o, sb_emerge_level level);
/* NULL when valid, else one sentence naming the problem. */
const char *sb_emerge_study_options_problem(const sb_emerge_study_options *o);

typedef struct sb_emerge_study sb_emerge_study;

/* Runs the study into out_dir (created): runs/<id>.json per finished run, checkpoints/<id>.ckpt while a
 * run trains, emerge.json (every run and the aggregates over seeds), all written atomically. Runs
 * already finished in out_dir with the same settings are read back, a run with a checkpoint resumes.
 * SB_EINVAL (invalid options, a foreign checkpoint: err says which), SB_EUNSUPPORTED (no fortune text
 * for text runs), SB_ENOMEM; err names the problem. */
sb_status sb_emerge_study_run(const sb_emerge_study_options *o, const char *out_dir, sb_emerge_study **out, char *err,
                              size_t err_size);
/* Writes out_dir/emerge.md (what ran, each measurement, verdicts with the measured numbers);
 * plots_note: NULL when the plots were drawn, else why not. */
sb_status sb_emerge_study_write_markdown(const sb_emerge_study *s, const char *plots_note, char *err, size_t err_size);
/* A few Markdown lines: per quick-run variant whether a sink formed, with the numbers. */
void sb_emerge_study_summary(const sb_emerge_study *s, char *buf, size_t size);
/* 1 when every bos run of the study formed a sink (Sink_1^0.3 >= 50 % at the end). */
int sb_emerge_study_bos_formed(const sb_emerge_study *s);
void sb_emerge_study_free(sb_emerge_study *s);

#ifdef __cplusplus
}
#endif
#endif
