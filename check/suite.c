#include "check/suite.h"

#include <stdlib.h>
#include <string.h>

#include "check/rng.h"

static const double gaps[] = {0, 1, 5, 10, 20, 50, 87, 88, 90, 100, 103, 104, 120};
#define NGAPS (sizeof gaps / sizeof gaps[0])
static const sb_sink_place sink_places[] = {SB_PLACE_FIRST, SB_PLACE_MIDDLE, SB_PLACE_LAST, SB_PLACE_LEARNED,
                                            SB_PLACE_SOFTMAX1};
#define NPLACES (sizeof sink_places / sizeof sink_places[0])
static const size_t quick_lengths[] = {1, 7, 64, 4096};
static const size_t edge_lengths[] = {1, 5, 33, 4096};
static const sb_sink_place edge_places[] = {SB_PLACE_NONE, SB_PLACE_FIRST, SB_PLACE_LEARNED};
static const size_t long_lengths[] = {4095, 4097, 65536, (size_t)1 << 20};
static const double long_gaps[] = {0, 15, 90, 104};
#define SHORT_MAX 80   /* covers vector width x unroll + 7 for every ISA (AVX-512: 16 x 4 + 7) */
static const double short_gaps[] = {0, 10, 90, 120};

/* Row blocks, in order: the gap sweep, the edge classes, plain rows 0..16, then (full) the short
 * exhaustive lengths and the long rows. */
#define BLOCK_SWEEP (NGAPS * NPLACES * 4)
#define BLOCK_EDGE (SB_EDGE_COUNT * 4 * 3)
#define BLOCK_PLAIN 17
#define BLOCK_SHORT ((SHORT_MAX + 1) * 4 * NPLACES)
#define BLOCK_LONG (4 * 4 * NPLACES)

size_t sb_suite_row_count(sb_suite_level level)
{
    size_t n = BLOCK_SWEEP + BLOCK_EDGE + BLOCK_PLAIN;
    if (level == SB_SUITE_FULL)
        n += BLOCK_SHORT + BLOCK_LONG;
    return n;
}

void sb_suite_row(sb_suite_level level, uint64_t seed, size_t i, sb_row_spec *s, uint64_t *row_seed,
                  sb_run_options *run)
{
    (void)level;
    uint64_t mix = seed ^ (0x51ed270b27a3f1d3ull * (i + 1));
    *row_seed = sb_splitmix64(&mix);
    memset(s, 0, sizeof *s);
    run->misalign = i % 4;
    run->in_place = (i % 3) == 0;
    size_t j = i;
    if (j < BLOCK_SWEEP) {
        s->gap = gaps[j % NGAPS];
        s->place = sink_places[(j / NGAPS) % NPLACES];
        s->n = quick_lengths[j / (NGAPS * NPLACES)];
        s->tail = (sb_tail)(j % SB_TAIL_COUNT);
        s->offset = (j % 7 == 0) ? -30.0 : (j % 7 == 1 ? 1000.0 : 0.0);
        return;
    }
    j -= BLOCK_SWEEP;
    if (j < BLOCK_EDGE) {
        s->edge = (sb_edge)(j % SB_EDGE_COUNT);
        s->n = edge_lengths[(j / SB_EDGE_COUNT) % 4];
        s->place = edge_places[j / (SB_EDGE_COUNT * 4)];
        s->gap = 12.0;
        s->tail = (sb_tail)(j % SB_TAIL_COUNT);
        return;
    }
    j -= BLOCK_EDGE;
    if (j < BLOCK_PLAIN) {
        s->n = j;
        s->tail = SB_TAIL_GAUSSIAN;
        s->place = SB_PLACE_NONE;
        return;
    }
    j -= BLOCK_PLAIN;
    if (j < BLOCK_SHORT) {
        s->n = j % (SHORT_MAX + 1);
        s->gap = short_gaps[(j / (SHORT_MAX + 1)) % 4];
        s->place = sink_places[j / ((SHORT_MAX + 1) * 4)];
        s->tail = (sb_tail)(j % SB_TAIL_COUNT);
        return;
    }
    j -= BLOCK_SHORT;
    s->n = long_lengths[j % 4];
    s->gap = long_gaps[(j / 4) % 4];
    s->place = sink_places[j / 16];
    s->tail = (sb_tail)((j / 4) % SB_TAIL_COUNT);
}

static int wanted(const sb_suite_options *o, const sb_softmax_kernel *k)
{
    if (o->kernel)
        return strcmp(o->kernel, k->name) == 0;
    return o->include_emulated || !(k->flags & SB_KERNEL_EMULATED);
}

sb_status sb_suite_run(const sb_suite_options *o, sb_suite_stats *stats)
{
    size_t nk = sb_softmax_kernel_count();
    for (size_t k = 0; k < nk; k++) {
        memset(&stats[k], 0, sizeof stats[k]);
        stats[k].kernel = sb_softmax_kernel_at(k);
        stats[k].skipped = !wanted(o, stats[k].kernel) || !stats[k].kernel->supported();
        if (!stats[k].skipped)
            stats[k].api_ok = sb_contract_check_api(stats[k].kernel, &stats[k].api);
    }
    size_t rows = sb_suite_row_count(o->level), cap = 0;
    float *x = NULL, *want = NULL;
    double *exact = NULL;
    sb_status status = SB_OK;
    for (size_t i = 0; i < rows; i++) {
        sb_row_spec spec;
        uint64_t row_seed;
        sb_run_options run;
        sb_suite_row(o->level, o->seed, i, &spec, &row_seed, &run);
        if (spec.n > cap) {
            free(x);
            free(want);
            free(exact);
            cap = spec.n;
            x = malloc(cap * sizeof *x);
            want = malloc(cap * sizeof *want);
            exact = malloc(cap * sizeof *exact);
            if (!x || !want || !exact) {
                status = SB_ENOMEM;
                break;
            }
        }
        sb_softmax_params p;
        sb_oracle orc = {0};
        orc.y = want;
        orc.exact = exact;
        orc.sink_index = sb_row_generate(&spec, row_seed, x, &p);
        if (sb_oracle_softmax(x, spec.n, &p, &orc, 0) != SB_OK) {
            status = SB_ENOMEM;
            break;
        }
        for (size_t k = 0; k < nk; k++) {
            sb_suite_stats *st = &stats[k];
            if (st->skipped)
                continue;
            sb_contract_result r;
            int ok = sb_contract_run(st->kernel, x, spec.n, &p, &orc, &run, &r, NULL);
            st->rows++;
            if (r.max_ulp > st->max_ulp)
                st->max_ulp = r.max_ulp;
            st->sum_ulp_error += r.sum_ulp_error;
            st->entries += r.compared;
            if (!ok) {
                if (st->rows_by_rule[r.violation]++ == 0)
                    st->first_by_rule[r.violation] = r;
                if (st->failures == 0) {
                    st->first = r;
                    st->first_spec = spec;
                    st->first_seed = row_seed;
                    st->first_run = run;
                }
                st->failures++;
            }
        }
        if (o->progress)
            o->progress(i + 1, rows, o->progress_ctx);
    }
    free(x);
    free(want);
    free(exact);
    return status;
}

int sb_suite_failed(const sb_suite_stats *stats, size_t count)
{
    for (size_t k = 0; k < count; k++) {
        if (stats[k].skipped)
            continue;
        if (!stats[k].api_ok)
            return 1;
        if (stats[k].kernel->ulp_bound >= 0 && stats[k].failures)
            return 1;
    }
    return 0;
}
