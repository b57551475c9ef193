#include "io/bench_schema.h"

#include <stdio.h>

const char *const sb_bench_softmax_args[3] = {"n", "gap", "rows"};

int sb_bench_softmax_shape(char *buf, size_t size, size_t n, int gap, size_t rows)
{
    return snprintf(buf, size, "%s:%zu/%s:%d/%s:%zu", sb_bench_softmax_args[0], n, sb_bench_softmax_args[1], gap,
                    sb_bench_softmax_args[2], rows);
}

int sb_bench_softmax_name(char *buf, size_t size, const char *kernel, size_t n, int gap, size_t rows)
{
    char shape[96];
    sb_bench_softmax_shape(shape, sizeof shape, n, gap, rows);
    return snprintf(buf, size, "%s%s/%s", SB_BENCH_SOFTMAX, kernel, shape);
}

const sb_bench_softmax_shape_spec sb_bench_report_shapes[] = {
    {4096, 15, 1},
    {(size_t)1 << 20, 15, 1},
    {(size_t)1 << 26, 15, 1},
};
const size_t sb_bench_report_shape_count = sizeof sb_bench_report_shapes / sizeof sb_bench_report_shapes[0];

const char *const sb_bench_batch_args[5] = {"heads", "queries", "n", "causal", "threads"};

int sb_bench_batch_shape(char *buf, size_t size, const sb_bench_batch_shape_spec *s)
{
    return snprintf(buf, size, "%s:%zu/%s:%zu/%s:%zu/%s:%d/%s:%zu", sb_bench_batch_args[0], s->heads,
                    sb_bench_batch_args[1], s->queries, sb_bench_batch_args[2], s->n, sb_bench_batch_args[3],
                    s->causal, sb_bench_batch_args[4], s->threads);
}

int sb_bench_batch_name(char *buf, size_t size, const char *kernel, const sb_bench_batch_shape_spec *s)
{
    char shape[128];
    sb_bench_batch_shape(shape, sizeof shape, s);
    return snprintf(buf, size, "%s%s/%s", SB_BENCH_BATCH, kernel, shape);
}

#define BATCH_SHAPE(h, q, n, causal) {h, q, n, causal, 1}, {h, q, n, causal, 2}
const sb_bench_batch_shape_spec sb_bench_report_batch_shapes[] = {
    BATCH_SHAPE(32, 1, 4096, 0), BATCH_SHAPE(32, 1, 32768, 0), BATCH_SHAPE(32, 512, 512, 1),
    BATCH_SHAPE(1, 1, (size_t)1 << 26, 0), BATCH_SHAPE(1, 1, 8, 0),
};
const size_t sb_bench_report_batch_shape_count =
    sizeof sb_bench_report_batch_shapes / sizeof sb_bench_report_batch_shapes[0];
