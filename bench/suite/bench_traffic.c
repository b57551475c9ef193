#include "bench_traffic.h"

#include <stddef.h>
#include <string.h>

const sb_bench_traffic sb_bench_traffic_table[] = {
    {"three_pass", 1, 2, "max(x); y = exp(x - m) and sum; y *= 1/sum"},
    {"online", 1, 1, "running max and rescaled sum over x; y = exp(x - m) / sum"},
    {"chunked", 0, 2, "per L2-sized chunk: max, y = exp(x - m_c) and sum (x read once from memory); y *= exp(m_c - m) / sum"},
    {"two_pass", 1, 1, "running max and rescaled sum over x; y = exp(x - m) / sum"},
    {"four_pass", 2, 2, "max(x); y = exp(x - m); sum(y); y *= 1/sum"},
    {"textbook", 1, 2, "max(x); y = expf(x - m) and sum; y /= sum"},
    {"reference", 2, 1, "max(x); sum of exp(x - m); y = exp(x - m) / sum"},
    {"naive", 0, 2, "y = exp(x) and sum; y /= sum"},
    {NULL, 0, 0, NULL},
};

const sb_bench_traffic *sb_bench_traffic_for(const char *algorithm, int *assumed)
{
    *assumed = 0;
    for (size_t i = 0; algorithm && sb_bench_traffic_table[i].algorithm; i++)
        if (strcmp(sb_bench_traffic_table[i].algorithm, algorithm) == 0)
            return &sb_bench_traffic_table[i];
    *assumed = 1;
    return &sb_bench_traffic_table[0];
}

unsigned sb_bench_traffic_bytes(const sb_bench_traffic *t) { return 4 * t->read_passes + 8 * t->rw_passes; }
