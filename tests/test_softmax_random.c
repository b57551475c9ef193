/* Randomized differential test of every registered contract kernel against the oracle, through the
 * shared checker (sb_contract_run): random rows from the row generator, lengths around every
 * multiple of vector width x unroll and around the online kernel's 2048-entry blocks, sinks first,
 * middle, last, learned and softmax_1, adversarial gaps in [87, 104], row maxima near the 2^27
 * limit of the vector path, rows whose exp terms all round by almost half an ulp at the bottom of
 * their binade (the three-pass kernel's worst case), and rows whose maximum grows block by block
 * (the online kernel's rescaling) or that start with a long masked prefix, misaligned and in place.
 *
 *   test_softmax_random [rows] [kernel]     default 3000 rows; every row has its own printed seed */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check/contract.h"
#include "check/rng.h"
#include "check/ulp.h"
#include "check/rowgen.h"
#include "sinkbench/sinkbench.h"
#include "testkit.h"

#define MAX_N 12300

static size_t pick_length(sb_rng *r)
{
    switch (sb_rng_below(r, 4)) {
    case 0: { /* around multiples of 16: every width x unroll (4, 16, 32, 64) and tail length */
        size_t base = 16 * (size_t)sb_rng_below(r, 9);
        size_t d = (size_t)sb_rng_below(r, 7);
        return base >= 3 ? base - 3 + d : d;
    }
    case 1: { /* around multiples of 64, up to 2560 */
        size_t base = 64 * (size_t)sb_rng_below(r, 41);
        size_t d = (size_t)sb_rng_below(r, 7);
        return base >= 3 ? base - 3 + d : d;
    }
    case 2: { /* around the online kernel's blocks of 2048 */
        size_t base = 2048 * (1 + (size_t)sb_rng_below(r, 5));
        return base - 2 + (size_t)sb_rng_below(r, 5);
    }
    default:
        return 1 + (size_t)sb_rng_below(r, 700);
    }
}

/* Row kind 1: the three-pass kernel's worst case. Every entry's exp(x - m) sits just above a power of
 * two and rounds by almost half an ulp (|error| ~ 2^-24 relative), all in one direction. */
static void worst_rounding_row(float *x, size_t n, sb_rng *r)
{
    float m = (float)(-5.0 + 25.0 * sb_rng_uniform(r));
    int up = (int)(sb_rng_next(r) & 1);
    for (size_t i = 0; i < n; i++) {
        for (int tries = 0; tries < 200; tries++) {
            int k = (int)sb_rng_below(r, 20);
            float xi = (float)((double)m - k * 0.6931471805599453 + 0x1p-14 * sb_rng_uniform(r));
            if (xi > m)
                continue;
            double f = exp((double)xi - (double)m) * ldexp(1.0, k); /* significand, ~1 */
            if (f < 1.0 || f >= 1.001)
                continue;
            double pos = ldexp(f - 1.0, 23);
            pos -= floor(pos); /* where it falls between two binary32 neighbours */
            if (up ? (pos > 0.5 && pos < 0.52) : (pos > 0.48 && pos < 0.5)) {
                x[i] = xi;
                break;
            }
            x[i] = xi;
        }
    }
    x[sb_rng_below(r, n)] = m; /* the maximum, exp = 1 */
}

/* Row kind 2: the maximum grows from block to block (rescaling at every block of the online
 * kernel), by small steps or by jumps that underflow the old sum. */
static void growing_row(float *x, size_t n, sb_rng *r)
{
    double step = (sb_rng_next(r) & 1) ? 0.5 + sb_rng_uniform(r) : 60.0 + 60.0 * sb_rng_uniform(r);
    for (size_t i = 0; i < n; i++)
        x[i] = (float)(step * (double)(i / 2048) - 10.0 * sb_rng_uniform(r));
    if (sb_rng_next(r) & 1) /* or shrinking */
        for (size_t i = 0; i < n / 2; i++) {
            float t = x[i];
            x[i] = x[n - 1 - i];
            x[n - 1 - i] = t;
        }
}

/* Row kind 3: a masked prefix longer than the online kernel's first block(s), then finite logits;
 * sometimes a NaN hidden in the prefix (it must still make the whole row NaN). */
static void masked_prefix_row(float *x, size_t n, sb_rng *r)
{
    size_t prefix = n / 2 + (size_t)sb_rng_below(r, n / 2 + 1);
    for (size_t i = 0; i < n; i++)
        x[i] = i < prefix ? -INFINITY : (float)(8.0 * sb_rng_normal(r));
    if (prefix && (sb_rng_next(r) & 1))
        x[sb_rng_below(r, prefix)] = NAN;
}

static const double offsets[] = {0.0, 0.0, 0.0, -30.0, 1000.0, -1.5e4, 3.0e6, 1.3e8, -1.3e8, 2.0e8};
static const double fixed_gaps[] = {0, 1, 5, 10, 20, 50, 87, 88, 90, 100, 103, 104, 120};

int main(int argc, char **argv)
{
    sb_test_init("test_softmax_random", 1234567);
    size_t rows = argc > 1 ? (size_t)strtoull(argv[1], NULL, 0) : 3000;
    const char *only = argc > 2 ? argv[2] : NULL;
    size_t nk = sb_softmax_kernel_count();
    float *x = malloc(MAX_N * sizeof *x), *want = malloc(MAX_N * sizeof *want);
    uint64_t *max_ulp = calloc(nk, sizeof *max_ulp);
    size_t *fails = calloc(nk, sizeof *fails);
    SB_TEST_CHECK(x && want && max_ulp && fails, "memory");
    if (!x || !want || !max_ulp || !fails)
        return sb_test_finish("test_softmax_random");

    for (size_t row = 0; row < rows; row++) {
        uint64_t row_seed = sb_test_seed * 0x9e3779b97f4a7c15ull + row;
        sb_rng r;
        sb_rng_seed(&r, row_seed);
        sb_softmax_params p = {SB_SINK_NONE, 0.0f};
        size_t sink_index = SIZE_MAX;
        size_t n = pick_length(&r);
        unsigned kind = (unsigned)sb_rng_below(&r, 10);
        const char *what = "generated";
        if (kind < 6 || n == 0) {
            sb_row_spec spec;
            memset(&spec, 0, sizeof spec);
            spec.n = n;
            unsigned g = (unsigned)sb_rng_below(&r, 3);
            spec.gap = g == 0 ? 87.0 + 17.0 * sb_rng_uniform(&r)
                              : g == 1 ? 20.0 * sb_rng_uniform(&r) : fixed_gaps[sb_rng_below(&r, 13)];
            spec.tail = (sb_tail)sb_rng_below(&r, SB_TAIL_COUNT);
            spec.tail_scale = (sb_rng_next(&r) & 1) ? 4.0 : 100.0 * sb_rng_uniform(&r) + 0.1;
            spec.place = (sb_sink_place)sb_rng_below(&r, SB_PLACE_COUNT);
            spec.edge = sb_rng_below(&r, 8) == 0 ? (sb_edge)sb_rng_below(&r, SB_EDGE_COUNT) : SB_EDGE_NONE;
            spec.offset = offsets[sb_rng_below(&r, sizeof offsets / sizeof offsets[0])];
            sink_index = sb_row_generate(&spec, sb_rng_next(&r), x, &p);
        } else if (kind < 8) {
            what = "worst rounding";
            worst_rounding_row(x, n, &r);
        } else if (kind == 8) {
            what = "masked prefix";
            masked_prefix_row(x, n, &r);
        } else {
            what = "growing maximum";
            growing_row(x, n, &r);
            if (sb_rng_next(&r) & 1) {
                p.sink = SB_SINK_LOGIT;
                p.sink_logit = (float)(20.0 * sb_rng_uniform(&r));
            }
        }
        sb_oracle o;
        memset(&o, 0, sizeof o);
        o.y = want;
        o.sink_index = sink_index;
        SB_TEST_CHECK(sb_oracle_softmax(x, n, &p, &o, 0) == SB_OK, "oracle");
        for (size_t k = 0; k < nk; k++) {
            const sb_softmax_kernel *kk = sb_softmax_kernel_at(k);
            if (kk->ulp_bound < 0 || !kk->supported() || (kk->flags & (SB_KERNEL_PLUGIN | SB_KERNEL_PEER)) ||
                (only && strcmp(only, kk->name) != 0))
                continue;
            sb_run_options run = {(size_t)sb_rng_below(&r, 4), (int)(sb_rng_next(&r) & 1)};
            sb_contract_result res;
            int ok = sb_contract_run(kk, x, n, &p, &o, &run, &res, NULL);
            if (res.max_ulp > max_ulp[k] && res.max_ulp != SB_ULP_INFINITE)
                max_ulp[k] = res.max_ulp;
            if (!ok && fails[k]++ < 3)
                SB_TEST_CHECK(ok, "kernel %s, row %zu (%s), row seed %llu, n %zu, first offending index %zu%s: %s", kk->name,
                         row, what, (unsigned long long)row_seed, n, res.index, run.in_place ? " (in place)" : "",
                         res.message);
        }
    }
    for (size_t k = 0; k < nk; k++) {
        const sb_softmax_kernel *kk = sb_softmax_kernel_at(k);
        if (kk->ulp_bound < 0 || !kk->supported() || (kk->flags & (SB_KERNEL_PLUGIN | SB_KERNEL_PEER)) ||
            (only && strcmp(only, kk->name) != 0))
            continue;
        printf("%-34s %zu rows  max ulp %llu  bound %g  failing rows %zu\n", kk->name, rows,
               (unsigned long long)max_ulp[k], kk->ulp_bound, fails[k]);
        SB_TEST_CHECK(fails[k] == 0, "%s: %zu failing rows", kk->name, fails[k]);
    }
    free(x);
    free(want);
    free(max_ulp);
    free(fails);
    return sb_test_finish("test_softmax_random");
}
