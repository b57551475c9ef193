/* The rows of the stability sweep: which gaps, lengths, sink places and tails each preset visits. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check/rng.h"
#include "studies/stability/stability.h"

#define GAP_MAX 130.0

static const char *const precision_names[SB_STABILITY_PREC_COUNT] = {"f32", "f16_in", "bf16_in", "f16_out", "bf16_out"};
static const char *const block_names[SB_BLOCK_COUNT] = {"thresholds", "tails", "lengths"};

const char *sb_stability_precision_name(sb_stability_precision p) { return (unsigned)p < SB_STABILITY_PREC_COUNT ? precision_names[p] : "?"; }
const char *sb_stability_block_name(sb_stability_block b) { return (unsigned)b < SB_BLOCK_COUNT ? block_names[b] : "?"; }

int sb_stability_block_from_name(const char *s)
{
    for (int b = 0; s && b < SB_BLOCK_COUNT; b++)
        if (strcmp(block_names[b], s) == 0)
            return b;
    return -1;
}

int sb_stability_precision_runs_kernel(sb_stability_precision p) { return p == SB_STABILITY_PREC_F32 || p == SB_STABILITY_PREC_F16_IN || p == SB_STABILITY_PREC_BF16_IN; }

/* What each preset sweeps. */
typedef struct preset_grid {
    size_t thr_lengths[4];       /* 0-terminated */
    double thr_coarse_step;
    int thr_window;              /* points on each side of a threshold */
    double thr_window_step;
    size_t tail_lengths[3];
    sb_tail tails[5];            /* SB_TAIL_COUNT-terminated */
    double tail_coarse_step;
    sb_sink_place tail_places[6];  /* SB_PLACE_NONE-terminated */
    size_t len_lengths[10];
    double len_step;
    sb_sink_place len_places[3]; /* SB_PLACE_NONE-terminated */
} preset_grid;

static const preset_grid quick_grid = {
    {64, 0}, 10.0, 1, 0.05,
    {1024, 0}, {SB_TAIL_GAUSSIAN, SB_TAIL_HEAVY, SB_TAIL_NEAR_SINK, SB_TAIL_COUNT}, 10.0,
    {SB_PLACE_FIRST, SB_PLACE_LAST, SB_PLACE_LEARNED, SB_PLACE_NONE},
    {16, 128, 1024, 8192, 32768, 0}, 10.0, {SB_PLACE_FIRST, SB_PLACE_NONE},
};

static const preset_grid full_grid = {
    {16, 4096, 65536, 0}, 5.0, 3, 0.02,
    {4096, 0}, {SB_TAIL_UNIFORM, SB_TAIL_GAUSSIAN, SB_TAIL_HEAVY, SB_TAIL_NEAR_SINK, SB_TAIL_COUNT}, 5.0,
    {SB_PLACE_FIRST, SB_PLACE_MIDDLE, SB_PLACE_LAST, SB_PLACE_LEARNED, SB_PLACE_SOFTMAX1, SB_PLACE_NONE},
    {16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 0}, 5.0, {SB_PLACE_FIRST, SB_PLACE_LEARNED, SB_PLACE_NONE},
};

static const sb_sink_place all_places[] = {SB_PLACE_FIRST, SB_PLACE_MIDDLE, SB_PLACE_LAST, SB_PLACE_LEARNED,
                                           SB_PLACE_SOFTMAX1};
#define NPLACES (sizeof all_places / sizeof all_places[0])

/* Gaps in the tails block besides the coarse steps: just past each documented threshold. */
static const double tail_specials[] = {9.75, 16.7, 17.4, 87.4, 93.0, 104.0};

typedef struct gap_list {
    double v[512];
    size_t n;
} gap_list;

/* Gaps are kept to 4 decimals so they print exactly and replay exactly. */
static void add_gap(gap_list *g, double v)
{
    v = nearbyint(v * 1e4) / 1e4;
    if (v < 0.0 || v > GAP_MAX || g->n == sizeof g->v / sizeof g->v[0])
        return;
    g->v[g->n++] = v;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void sort_unique(gap_list *g)
{
    qsort(g->v, g->n, sizeof g->v[0], cmp_double);
    size_t k = 0;
    for (size_t i = 0; i < g->n; i++)
        if (k == 0 || g->v[i] != g->v[k - 1])
            g->v[k++] = g->v[i];
    g->n = k;
}

static void add_coarse(gap_list *g, double step)
{
    for (int i = 0; i * step <= GAP_MAX + 1e-9; i++)
        add_gap(g, i * step);
}

/* Points straddle each theoretical threshold at half-steps, so no point sits on a threshold. */
static void add_windows(gap_list *g, double n_tail, int half, double step)
{
    double centers[3 * SB_EVENT_COUNT + 1];
    size_t nc = 0;
    for (int f = 0; f < SB_FORMAT_COUNT; f++)
        for (int e = 0; e < SB_EVENT_COUNT; e++)
            centers[nc++] = sb_stability_theory_gap((sb_stability_event)e, (sb_format)f, n_tail);
    centers[nc++] = 24.0 * log(2.0);  /* where e^-gap drops below binary16's smallest subnormal */
    for (size_t c = 0; c < nc; c++)
        for (int k = -half; k < half; k++)
            add_gap(g, centers[c] + (k + 0.5) * step);
}

static uint64_t row_seed(uint64_t seed, sb_stability_block b, const sb_row_spec *s)
{
    uint64_t gap_bits;
    memcpy(&gap_bits, &s->gap, sizeof gap_bits);
    uint64_t fields[] = {(uint64_t)b, (uint64_t)s->n, gap_bits, (uint64_t)s->tail, (uint64_t)s->place};
    uint64_t x = seed;
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        x ^= fields[i] * 0x9e3779b97f4a7c15ull;
        x = sb_splitmix64(&x);
    }
    return x;
}

typedef struct row_list {
    sb_stability_row *v;
    size_t n, cap;
    int failed;
} row_list;

static void add_row(row_list *l, uint64_t seed, sb_stability_block b, size_t n, double gap, sb_tail tail,
                    sb_sink_place place)
{
    if (l->failed)
        return;
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 1024;
        sb_stability_row *v = realloc(l->v, cap * sizeof *v);
        if (!v) {
            l->failed = 1;
            return;
        }
        l->v = v;
        l->cap = cap;
    }
    sb_stability_row *r = &l->v[l->n++];
    memset(r, 0, sizeof *r);
    r->block = b;
    r->spec.n = n;
    r->spec.gap = gap;
    r->spec.tail = tail;
    r->spec.place = place;
    r->spec.edge = SB_EDGE_NONE;
    r->seed = row_seed(seed, b, &r->spec);
}

static int logit_place(sb_sink_place p) { return p == SB_PLACE_LEARNED || p == SB_PLACE_SOFTMAX1; }

sb_status sb_stability_plan(sb_stability_preset preset, uint64_t seed, unsigned mask, sb_stability_row **rows, size_t *count)
{
    const preset_grid *g = preset == SB_STABILITY_FULL ? &full_grid : &quick_grid;
    if (mask == 0)
        mask = (1u << SB_BLOCK_COUNT) - 1;
    row_list l = {NULL, 0, 0, 0};
    gap_list gaps;

    if (mask & (1u << SB_BLOCK_THRESHOLDS))
        for (const size_t *n = g->thr_lengths; *n; n++)
            for (size_t p = 0; p < NPLACES; p++) {
                gaps.n = 0;
                add_coarse(&gaps, g->thr_coarse_step);
                add_windows(&gaps, (double)(*n - !logit_place(all_places[p])), g->thr_window, g->thr_window_step);
                sort_unique(&gaps);
                for (size_t i = 0; i < gaps.n; i++)
                    add_row(&l, seed, SB_BLOCK_THRESHOLDS, *n, gaps.v[i], SB_TAIL_EQUAL, all_places[p]);
            }

    if (mask & (1u << SB_BLOCK_TAILS)) {
        gaps.n = 0;
        add_coarse(&gaps, g->tail_coarse_step);
        for (size_t i = 0; i < sizeof tail_specials / sizeof tail_specials[0]; i++)
            add_gap(&gaps, tail_specials[i]);
        sort_unique(&gaps);
        for (const size_t *n = g->tail_lengths; *n; n++)
            for (const sb_tail *t = g->tails; *t != SB_TAIL_COUNT; t++)
                for (const sb_sink_place *p = g->tail_places; *p != SB_PLACE_NONE; p++)
                    for (size_t i = 0; i < gaps.n; i++)
                        add_row(&l, seed, SB_BLOCK_TAILS, *n, gaps.v[i], *t, *p);
    }

    if (mask & (1u << SB_BLOCK_LENGTHS)) {
        static const sb_tail len_tails[] = {SB_TAIL_EQUAL, SB_TAIL_GAUSSIAN};
        gaps.n = 0;
        add_coarse(&gaps, g->len_step);
        for (const size_t *n = g->len_lengths; *n; n++)
            for (size_t t = 0; t < 2; t++)
                for (const sb_sink_place *p = g->len_places; *p != SB_PLACE_NONE; p++)
                    for (size_t i = 0; i < gaps.n; i++)
                        add_row(&l, seed, SB_BLOCK_LENGTHS, *n, gaps.v[i], len_tails[t], *p);
    }

    if (l.failed) {
        free(l.v);
        return SB_ENOMEM;
    }
    *rows = l.v;
    *count = l.n;
    return SB_OK;
}
