/* What every benchmark family of the suite shares: the preset being run and the family table.
 *
 * A family (bandwidth, softmax, attention) is one source file with one function that
 * registers its benchmarks for the chosen preset; bench_main.c lists the families in the order they
 * run. A new family is: one source with its sb_bench_add_<family>(), its cases in the presets
 * (bench_presets.c) and one line in the table of bench_main.c. */
#ifndef SINKBENCH_BENCH_SUITE_H
#define SINKBENCH_BENCH_SUITE_H

#include <stddef.h>
#include <stdint.h>

#include "io/bench_schema.h"

/* One softmax input shape: rows of n logits with a sink token gap above the largest tail logit. */
typedef struct sb_bench_case {
    size_t n;
    int gap;          /* sink logit minus the largest tail logit (rowgen's Delta) */
    size_t rows;
} sb_bench_case;

/* One attention case (bench_attention.c): H = 32 query heads over H_kv = 8 KV heads, learned sinks,
 * a dense head-major KV cache. Decode is one query per head against n keys; prefill is n queries
 * against n keys, causal; threads is decode timed in wall-clock time with n_threads threads. */
enum sb_bench_attention_kind { SB_BENCH_DECODE, SB_BENCH_PREFILL, SB_BENCH_THREADS };
typedef struct sb_bench_attention_case {
    enum sb_bench_attention_kind kind;
    size_t n;         /* context length (keys); prefill: also the number of queries */
    size_t head_dim;
    int kv;           /* sb_kv_type: 0 f32, 1 f16, 2 bf16 */
    size_t splits;    /* split-KV chunks, 1 = unsplit */
    size_t threads;
} sb_bench_attention_case;

/* One batched softmax case (bench_batch.c): heads x queries rows of n scores (causal: -inf above the
 * diagonal), on `threads` threads. */
typedef sb_bench_batch_shape_spec sb_bench_batch_case;

typedef struct sb_bench_preset {
    const char *name;             /* "quick", "full" */
    const char *summary;
    const sb_bench_case *softmax; /* in the order they run */
    size_t nsoftmax;
    double min_time;              /* seconds, Google Benchmark's --benchmark_min_time */
    int repetitions;
    const sb_bench_attention_case *attention; /* in the order they run */
    size_t nattention;
    double attention_call_cap;    /* seconds: a kernel whose single call takes longer is skipped */
    const sb_bench_batch_case *batch; /* in the order they run */
    size_t nbatch;
} sb_bench_preset;

typedef struct sb_bench_config {
    const sb_bench_preset *preset;
    uint64_t seed;                /* every input row comes from check/rowgen with this seed */
    size_t max_n;                 /* cases with longer rows are left out (0: none) */
    double attention_cap;         /* > 0: replaces the preset's attention_call_cap (seconds) */
} sb_bench_config;

/* Whether a case is in this run (the --max-n cap: row length, or context length for attention). */
int sb_bench_case_wanted(const sb_bench_config *cfg, const sb_bench_case *c);
int sb_bench_attention_case_wanted(const sb_bench_config *cfg, const sb_bench_attention_case *c);

const sb_bench_preset *sb_bench_preset_find(const char *name);
/* Whether the chosen preset runs every softmax and batched shape the report's speed tables show
 * (those --max-n leaves out excepted); 0 with the missing shape in why. */
int sb_bench_preset_covers_report(const sb_bench_config *cfg, char *why, size_t size);
/* The presets, NULL-terminated, for --help. */
extern const sb_bench_preset *const sb_bench_presets[];

/* Why a kernel (softmax or attention) is not timed on this CPU: a SIMDe emulation, or an ISA the CPU
 * lacks; NULL when it is timed. Google Benchmark reports it as the skipped entry's error_message. */
const char *sb_bench_untimed_reason(unsigned flags, int (*supported)(void), const char *isa);

/* The families. Each returns 0 when it could not register (out of memory). */
int sb_bench_add_bandwidth(const sb_bench_config *cfg);
int sb_bench_add_softmax(const sb_bench_config *cfg);
int sb_bench_add_attention(const sb_bench_config *cfg);
int sb_bench_add_batch(const sb_bench_config *cfg);

#endif
