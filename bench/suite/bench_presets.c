/* The presets: which shapes run, for how long, how many repetitions. Every number here is a choice
 * of what to measure, documented in docs/benchmarks.md; none is a measurement. */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "bench_suite.h"
#include "io/bench_schema.h"
#include "sinkbench/softmax.h" /* SB_KERNEL_EMULATED */

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

/* Attention (H = 32, H_kv = 8, learned sinks; bench_attention.c). quick: two decode steps at 4 K
 * (f32 and bf16 KV, the pair behind the "bf16 is half the bytes" claim) and a small prefill, so the
 * report stays short. full: decode by context length (1 K in L3, 4 K and 32 K from DRAM) and KV type,
 * head dims 64 and 256 at 4 K, split-KV at 32 K with 4/16/64 chunks, causal prefill at 512 and 2 K,
 * and decode at 32 K with 1 and 2 threads (wall-clock time). */
#define DECODE(n, d, kv) {SB_BENCH_DECODE, n, d, kv, 1, 1}
#define DECODE_KV(n, d) DECODE(n, d, 0), DECODE(n, d, 1), DECODE(n, d, 2)
static const sb_bench_attention_case quick_attention[] = {
    DECODE(4 * K, 128, 0), DECODE(4 * K, 128, 2), {SB_BENCH_PREFILL, 256, 128, 0, 1, 1},
};
static const sb_bench_attention_case full_attention[] = {
    DECODE_KV(1 * K, 128),   DECODE_KV(4 * K, 128),   DECODE_KV(32 * K, 128),
    DECODE(4 * K, 64, 0),    DECODE(4 * K, 64, 2),    DECODE(4 * K, 256, 0),   DECODE(4 * K, 256, 2),
    {SB_BENCH_DECODE, 32 * K, 128, 0, 4, 1},  {SB_BENCH_DECODE, 32 * K, 128, 0, 16, 1},
    {SB_BENCH_DECODE, 32 * K, 128, 0, 64, 1},
    {SB_BENCH_PREFILL, 512, 128, 0, 1, 1},    {SB_BENCH_PREFILL, 512, 128, 2, 1, 1},
    {SB_BENCH_PREFILL, 2 * K, 128, 0, 1, 1},
    {SB_BENCH_THREADS, 32 * K, 128, 0, 1, 1}, {SB_BENCH_THREADS, 32 * K, 128, 0, 1, 2},
};

/* Batched softmax (bench_batch.c), the same in both presets: the shapes the report's batch tables
 * show (io/bench_schema.h) at 1 and 2 threads, each after its copy roofline. */
#define BATCH(h, q, n, causal) {h, q, n, causal, 1}, {h, q, n, causal, 2}
static const sb_bench_batch_case batch_cases[] = {
    BATCH(32, 1, 4 * K, 0), BATCH(32, 1, 32 * K, 0), BATCH(32, 512, 512, 1), BATCH(1, 1, 64 * M, 0), BATCH(1, 1, 8, 0),
};
#define BATCH_CASES batch_cases, sizeof batch_cases / sizeof batch_cases[0]

static const sb_bench_preset quick = {
    "quick", "8 softmax shapes, 3 attention cases, 10 batched cases, 3 repetitions of >= 0.02 s: about a minute of CPU (used by the report)",
    quick_cases, sizeof quick_cases / sizeof quick_cases[0], 0.02, 3,
    quick_attention, sizeof quick_attention / sizeof quick_attention[0], 0.25, BATCH_CASES};
static const sb_bench_preset full = {
    "full", "39 softmax shapes (16 .. 64 M x gaps 0/15/90, 32-row batches), 21 attention cases, 10 batched cases, 5 repetitions of >= 0.1 s",
    full_cases, sizeof full_cases / sizeof full_cases[0], 0.1, 5,
    full_attention, sizeof full_attention / sizeof full_attention[0], 3.0, BATCH_CASES};

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

int sb_bench_attention_case_wanted(const sb_bench_config *cfg, const sb_bench_attention_case *c)
{
    return cfg->max_n == 0 || c->n <= cfg->max_n;
}

const char *sb_bench_untimed_reason(unsigned flags, int (*supported)(void), const char *isa)
{
    if (flags & SB_KERNEL_EMULATED)
        return "emulated by SIMDe on this CPU: checked for correctness, never timed";
    if (supported())
        return NULL;
    return strcmp(isa, "avx512") == 0 ? "this CPU lacks AVX-512 (F, BW, DQ, VL)"
           : strcmp(isa, "avx2") == 0 ? "this CPU lacks AVX2 + FMA + F16C"
                                      : "this CPU cannot run the kernel's ISA";
}

int sb_bench_preset_covers_report(const sb_bench_config *cfg, char *why, size_t size)
{
    for (size_t r = 0; r < sb_bench_report_shape_count; r++) {
        const sb_bench_softmax_shape_spec *want = &sb_bench_report_shapes[r];
        const sb_bench_case c = {want->n, want->gap, want->rows};
        if (!sb_bench_case_wanted(cfg, &c))
            continue; /* left out on purpose (--max-n) */
        int found = 0;
        for (size_t i = 0; i < cfg->preset->nsoftmax && !found; i++) {
            const sb_bench_case *p = &cfg->preset->softmax[i];
            found = p->n == want->n && p->gap == want->gap && p->rows == want->rows;
        }
        if (!found) {
            char shape[96];
            sb_bench_softmax_shape(shape, sizeof shape, want->n, want->gap, want->rows);
            snprintf(why, size, "preset %s lacks softmax shape %s, which sinkbench report's speed tables need "
                                "(io/bench_schema.h)", cfg->preset->name, shape);
            return 0;
        }
    }
    for (size_t r = 0; r < sb_bench_report_batch_shape_count; r++) {
        const sb_bench_batch_shape_spec *want = &sb_bench_report_batch_shapes[r];
        if (cfg->max_n && want->n > cfg->max_n)
            continue;
        int found = 0;
        for (size_t i = 0; i < cfg->preset->nbatch && !found; i++) {
            const sb_bench_batch_case *p = &cfg->preset->batch[i];
            found = p->heads == want->heads && p->queries == want->queries && p->n == want->n &&
                    p->causal == want->causal && p->threads == want->threads;
        }
        if (!found) {
            char shape[128];
            sb_bench_batch_shape(shape, sizeof shape, want);
            snprintf(why, size, "preset %s lacks batch shape %s, which sinkbench report's batch tables need "
                                "(io/bench_schema.h)", cfg->preset->name, shape);
            return 0;
        }
    }
    return 1;
}
