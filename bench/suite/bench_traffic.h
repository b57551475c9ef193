/* Memory traffic per element of each softmax algorithm: the model behind the roofline counters.
 *
 * A pass is either read-only (4 bytes per element: the max pass) or read + write (8 bytes: exp and
 * store, scale in place). The time bound of a row is
 *     read passes x 4 B / read bandwidth  +  read-write passes x 8 B / copy bandwidth
 * ("roofline"), or every byte at copy bandwidth ("roofline_copy"). Kept here, keyed by the registry's
 * algorithm name, rather than in the registry: it is a property of the benchmark's model, not of
 * the kernel's contract. An algorithm not in the table is assumed three-pass (20 B/element) and the
 * benchmark's label says so. */
#ifndef SINKBENCH_BENCH_TRAFFIC_H
#define SINKBENCH_BENCH_TRAFFIC_H

typedef struct sb_bench_traffic {
    const char *algorithm;
    unsigned read_passes;   /* passes that only read the row */
    unsigned rw_passes;     /* passes that read one array and write y */
    const char *passes;     /* what they are, for docs and labels */
} sb_bench_traffic;

/* The entry for an algorithm name; *assumed is set when the name is unknown and the three-pass
 * default is returned. */
const sb_bench_traffic *sb_bench_traffic_for(const char *algorithm, int *assumed);

/* Bytes per element: 4 x read_passes + 8 x rw_passes. */
unsigned sb_bench_traffic_bytes(const sb_bench_traffic *t);

/* The table, NULL-terminated by algorithm, for the report's context. */
extern const sb_bench_traffic sb_bench_traffic_table[];

#endif
