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
