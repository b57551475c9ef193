/* The schema of sinkbench-bench's results: the benchmark names, labels and counters bench/ writes
 * into its Google Benchmark JSON and that `sinkbench report` and `sinkbench compare` read. Both sides
 * spell them only through this header, so a rename is one edit and a typo does not compile.
 *
 * Names: <family><kernel>/<shape>, the shape being Google Benchmark's "<arg>:<value>/..." of the
 * family's argument names:
 *   softmax/<kernel>/n:N/gap:G/rows:R
 *   attention/<kind>/<kernel>/kv:<type>/d:D/n:N[/splits:S | /threads:P]   (kind: decode, prefill, threads)
 *   batch/<kernel>/heads:H/queries:Q/n:N/causal:C/threads:T   (kernel: sb_softmax_batch, a peer, copy)
 *   bandwidth/<read|copy|memcpy>/n:N/rows:R
 *   fma_peak/<isa>
 * Labels: "key=value" pairs separated by spaces (role=peer isa=avx2 alg=three_pass level=L1 ...). */
#ifndef SINKBENCH_IO_BENCH_SCHEMA_H
#define SINKBENCH_IO_BENCH_SCHEMA_H

#include <stddef.h>

/* Families (name prefixes). */
#define SB_BENCH_SOFTMAX "softmax/"
#define SB_BENCH_ATTENTION "attention/"
#define SB_BENCH_BANDWIDTH "bandwidth/"
#define SB_BENCH_BATCH "batch/"
#define SB_BENCH_FMA_PEAK "fma_peak/"

/* The kernel name under which the public entry points are timed, as a user calls them. */
#define SB_BENCH_SOFTMAX_API "sb_softmax_f32"
#define SB_BENCH_ATTENTION_API "sb_attention"
#define SB_BENCH_BATCH_API "sb_softmax_batch"
#define SB_BENCH_BATCH_COPY "copy"         /* batch/copy/...: the copy roofline at the case's threads */

/* Label keys and the values of role. */
#define SB_BENCH_LABEL_ROLE "role"
#define SB_BENCH_LABEL_ISA "isa"
#define SB_BENCH_LABEL_ALG "alg"
#define SB_BENCH_LABEL_LEVEL "level"
#define SB_BENCH_LABEL_KERNEL "kernel"    /* role=dispatch: the kernel dispatch chose for the shape */
#define SB_BENCH_ROLE_DISPATCH "dispatch"   /* the public entry point (dispatch's choice) */
#define SB_BENCH_ROLE_KERNEL "kernel"       /* a contract kernel of ours */
#define SB_BENCH_ROLE_STUDY "study"         /* a kernel that claims no bound (naive, textbook) */
#define SB_BENCH_ROLE_PEER "peer"           /* another project's kernel (bench/peers) */
#define SB_BENCH_ROLE_BANDWIDTH "bandwidth" /* a memory-bandwidth loop of the roofline */
#define SB_BENCH_ROLE_FMA_PEAK "fma_peak"   /* the multiply-add peak of one core */

/* Counters. Softmax: */
#define SB_BENCH_C_NS_PER_ROW "ns_per_row"
#define SB_BENCH_C_ROOFLINE "roofline"           /* fraction of the read/copy bandwidth bound (or of the K/V read bound) */
#define SB_BENCH_C_ROOFLINE_COPY "roofline_copy" /* fraction of the copy bandwidth bound */
#define SB_BENCH_C_MAX_ULP "max_ulp"             /* worst error against the oracle on the timed inputs */
#define SB_BENCH_C_MEAN_ULP "mean_ulp"
#define SB_BENCH_C_CONTRACT_OK "contract_ok"
#define SB_BENCH_C_BYTES_PER_ELEM "B_per_elem"
#define SB_BENCH_C_BW_READ_GBPS "bw_read_GBps"   /* the read bandwidth measured at the same working set */
#define SB_BENCH_C_BW_COPY_GBPS "bw_copy_GBps"
#define SB_BENCH_C_LEVEL "level"                 /* memory level of the working set (0 L1 .. 3 DRAM) */
#define SB_BENCH_C_SETS "sets"                   /* input sets rotated to leave the cache */
/* Attention: */
#define SB_BENCH_C_GBPS "GBps"                   /* also bandwidth: bytes moved per second */
#define SB_BENCH_C_GFLOPS "GFLOPs"
#define SB_BENCH_C_GFLOP_PER_CALL "GFLOP_per_call"
#define SB_BENCH_C_FMA_PEAK_GFLOPS "fma_peak_GFLOPs"
#define SB_BENCH_C_FMA_PEAK_FRAC "fma_peak_frac"
#define SB_BENCH_C_BYTES_PER_KEY "B_per_key"
#define SB_BENCH_C_KV_MB "KV_MB"
#define SB_BENCH_C_MAX_ERR_U "max_err_u"
#define SB_BENCH_C_ERR_OF_BOUND "err_of_bound"
#define SB_BENCH_C_CHECKED_ROWS "checked_rows"
/* Batched softmax (also roofline_copy, bw_copy_GBps, max_ulp, mean_ulp, level): */
#define SB_BENCH_C_NS_PER_CALL "ns_per_call"
#define SB_BENCH_C_THREADS "threads"
/* FMA peak: */
#define SB_BENCH_C_FLOPS_PER_ITERATION "flops_per_iteration"
/* Google Benchmark's own (SetBytesProcessed): */
#define SB_BENCH_C_BYTES_PER_SECOND "bytes_per_second"

/* The argument names of the softmax family, in order (n, gap, rows). */
extern const char *const sb_bench_softmax_args[3];

/* "n:N/gap:G/rows:R"; snprintf's return value. */
int sb_bench_softmax_shape(char *buf, size_t size, size_t n, int gap, size_t rows);
/* "softmax/<kernel>/n:N/gap:G/rows:R"; snprintf's return value. */
int sb_bench_softmax_name(char *buf, size_t size, const char *kernel, size_t n, int gap, size_t rows);

/* The softmax shapes the report's speed tables show (n = 4096 in L1, 1 M in L3, 64 M from DRAM, sink
 * gap 15, one row). Every preset runs them (bench/tests checks it); a report whose bench.json lacks
 * one says so as an error. */
typedef struct sb_bench_softmax_shape_spec {
    size_t n;
    int gap;
    size_t rows;
} sb_bench_softmax_shape_spec;
extern const sb_bench_softmax_shape_spec sb_bench_report_shapes[];
extern const size_t sb_bench_report_shape_count;

/* The argument names of the batch family, in order (heads, queries, n, causal, threads). */
extern const char *const sb_bench_batch_args[5];

/* One batched shape: heads x queries rows of n scores, causal or not, on `threads` threads. */
typedef struct sb_bench_batch_shape_spec {
    size_t heads, queries, n;
    int causal;
    size_t threads;
} sb_bench_batch_shape_spec;

/* "heads:H/queries:Q/n:N/causal:C/threads:T"; snprintf's return value. */
int sb_bench_batch_shape(char *buf, size_t size, const sb_bench_batch_shape_spec *s);
/* "batch/<kernel>/heads:H/..."; snprintf's return value. */
int sb_bench_batch_name(char *buf, size_t size, const char *kernel, const sb_bench_batch_shape_spec *s);

/* The batched shapes the report's batch tables show (issue 20): decode scores [32 x 1 x 4096] and
 * [32 x 1 x 32768], prefill scores [32 x 512 x 512] causal, one row of 64 M and the 8-entry row of
 * the per-call overhead, each at 1 and 2 threads. Every preset runs them. */
extern const sb_bench_batch_shape_spec sb_bench_report_batch_shapes[];
extern const size_t sb_bench_report_batch_shape_count;

#endif
