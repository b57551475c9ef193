/* The presets: which shapes run, for how long, how many repetitions. Every number here is a choice
 * of what to measure, documented in docs/benchmarks.md; none is a measurement. */
#include <stddef.h>
#include <string.h>

#include "bench_suite.h"

#define K 1024u
#define M (1024u * 1024u)

/* quick: the shapes the report quotes (n = 4096 in L1, 1 M in L3, 64 M from DRAM), the three sink
 * gaps at 4096, one L2 size, a short row and a decode-sized batch (32 heads x 4096). */
static const sb_bench_case quick_cases[] = {
    {16, 15, 1},      {4 * K, 0, 1}, {4 * K, 15, 1}, {4 * K, 90, 1}, {16 * K, 15, 1},
    {1 * M, 15, 1},   {64 * M, 15, 1}, {4 * K, 15, 32},
};

/* full: every power of 4 from 16 to 64 M (L1: up to 4 K, L2: 16 K-64 K, L3: 256 K-1 M, DRAM: 4 M up
 * on a 32 MiB L3), each with sink gaps 0, 15 and 90, and the 32 x 4096 batch with each gap. */
#define FULL_ROW(n) {n, 0, 1}, {n, 15, 1}, {n, 90, 1}
static const sb_bench_case full_cases[] = {
    FULL_ROW(16),     FULL_ROW(64),     FULL_ROW(256),    FULL_ROW(1 * K),  FULL_ROW(4 * K),
    FULL_ROW(16 * K), FULL_ROW(64 * K), FULL_ROW(256 * K), FULL_ROW(1 * M), FULL_ROW(4 * M),
    FULL_ROW(16 * M), FULL_ROW(64 * M), {4 * K, 0, 32},   {4 * K, 15, 32},  {4 * K, 90, 32},
};

static const sb_bench_preset quick = {
    "quick", "8 shapes, 3 repetitions of >= 0.02 s: under a minute of CPU (used by the report)",
    quick_cases, sizeof quick_cases / sizeof quick_cases[0], 0.02, 3};
static const sb_bench_preset full = {
    "full", "39 shapes (16 .. 64 M x gaps 0/15/90, 32-row batches), 5 repetitions of >= 0.1 s",
    full_cases, sizeof full_cases / sizeof full_cases[0], 0.1, 5};

const sb_bench_preset *const sb_bench_presets[] = {&quick, &full, NULL};

const sb_bench_preset *sb_bench_preset_find(const char *name)
{
    for (size_t i = 0; sb_bench_presets[i]; i++)
        if (strcmp(sb_bench_presets[i]->name, name) == 0)
            return sb_bench_presets[i];
    return NULL;
}

int sb_bench_case_wanted(const sb_bench_config *cfg, const sb_bench_case *c)
{
    return cfg->max_n == 0 || c->n <= cfg->max_n;
}
