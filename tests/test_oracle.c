/* The oracle against itself (fast path vs MPFR everywhere) and against rows with known answers. */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check/oracle.h"
#include "check/rng.h"
#include "check/rowgen.h"
#include "testkit.h"

static void oracle(const float *x, size_t n, const sb_softmax_params *p, float *y, int mpfr_only, sb_oracle *o)
{
    memset(o, 0, sizeof *o);
    o->y = y;
    o->sink_index = SIZE_MAX;
    SB_TEST_CHECK(sb_oracle_softmax(x, n, p, o, mpfr_only) == SB_OK, "oracle status");
}

/* The fast path must give exactly what MPFR gives, on every kind of row. */
static void test_fast_equals_mpfr(uint64_t seed)
{
    enum { N = 300 };
    float x[N], fast[N], slow[N];
    sb_rng r;
    sb_rng_seed(&r, seed);
    size_t rows = 0, entries = 0;
    for (int place = 0; place < SB_PLACE_COUNT; place++) {
        for (int tail = 0; tail < SB_TAIL_COUNT; tail++) {
            for (double gap = 0; gap <= 120; gap += 11.5) {
                sb_row_spec s = {1 + (size_t)sb_rng_below(&r, N), gap, (sb_tail)tail, 0, (sb_sink_place)place,
                                 SB_EDGE_NONE, sb_rng_uniform(&r) * 50 - 25};
                sb_softmax_params p;
                uint64_t rs = sb_rng_next(&r);
                sb_row_generate(&s, rs, x, &p);
                sb_oracle a, b;
                oracle(x, s.n, &p, fast, 0, &a);
                oracle(x, s.n, &p, slow, 1, &b);
                for (size_t i = 0; i < s.n; i++) {
                    int same = memcmp(&fast[i], &slow[i], sizeof(float)) == 0;
                    SB_TEST_CHECK(same, "row seed %" PRIu64 " n=%zu i=%zu: fast %a mpfr %a", rs, s.n, i, (double)fast[i],
                             (double)slow[i]);
                    if (!same)
                        return;
                }
                rows++;
                entries += s.n;
            }
        }
    }
    printf("fast path == MPFR on %zu rows, %zu entries\n", rows, entries);
}

static void test_known_rows(void)
{
    float x[8], y[8];
    sb_oracle o;

    /* equal logits: 1/n, correctly rounded */
    for (size_t n = 1; n <= 8; n++) {
        for (size_t i = 0; i < n; i++)
            x[i] = 3.5f;
        oracle(x, n, NULL, y, 0, &o);
        for (size_t i = 0; i < n; i++)
            SB_TEST_CHECK(y[i] == (float)(1.0 / (double)n), "1/%zu: %a", n, (double)y[i]);
    }
    /* softmax_1 of [0]: e^0 / (1 + e^0) = 1/2 exactly */
    x[0] = 0.0f;
    sb_softmax_params one = {SB_SINK_LOGIT, 0.0f};
    oracle(x, 1, &one, y, 0, &o);
    SB_TEST_CHECK(y[0] == 0.5f && fabs(o.sink_p - 0.5) < 1e-15, "softmax_1([0]) = 1/2, got %a", (double)y[0]);

    /* a sink 100 above one entry: y = e^-100 / (1 + e^-100) is subnormal in binary32 */
    x[0] = 0.0f;
    sb_softmax_params sink = {SB_SINK_LOGIT, 100.0f};
    oracle(x, 1, &sink, y, 0, &o);
    double want = exp(-100.0) / (1.0 + exp(-100.0));
    SB_TEST_CHECK(y[0] == (float)want && y[0] > 0 && y[0] < FLT_MIN, "subnormal result %a want %a", (double)y[0], want);
    SB_TEST_CHECK(fabs(o.residual - want) <= want * 1e-12, "residual %a", o.residual);
    SB_TEST_CHECK(1.0 - o.sink_p == 0.0, "1 - p_sink loses the residual in binary64 (%a)", 1.0 - o.sink_p);

    /* below the smallest subnormal's half: exactly 0 */
    sb_softmax_params far = {SB_SINK_LOGIT, 110.0f};
    oracle(x, 1, &far, y, 0, &o);
    SB_TEST_CHECK(y[0] == 0.0f, "e^-110 rounds to 0, got %a", (double)y[0]);

    /* edge classes */
    float row[4] = {1.0f, INFINITY, -2.0f, INFINITY};
    oracle(row, 4, NULL, y, 0, &o);
    SB_TEST_CHECK(o.row_class == SB_ROW_POS_INF && y[0] == 0 && y[1] == 0.5f && y[2] == 0 && y[3] == 0.5f,
             "two +inf share the mass");
    float masked[3] = {-INFINITY, -INFINITY, -INFINITY};
    oracle(masked, 3, &sink, y, 0, &o);
    SB_TEST_CHECK(o.row_class == SB_ROW_NO_MASS && y[0] == 0 && y[1] == 0 && y[2] == 0, "fully masked row with a sink");
    oracle(masked, 3, NULL, y, 0, &o);
    SB_TEST_CHECK(o.row_class == SB_ROW_NO_MASS && y[0] == 0, "fully masked row without a sink");
    float nanrow[3] = {1.0f, NAN, INFINITY};
    oracle(nanrow, 3, NULL, y, 0, &o);
    SB_TEST_CHECK(o.row_class == SB_ROW_NAN && isnan(y[0]) && isnan(y[1]) && isnan(y[2]), "NaN wins over +inf");
    sb_softmax_params nansink = {SB_SINK_LOGIT, NAN}, infsink = {SB_SINK_LOGIT, INFINITY},
                      neginf = {SB_SINK_LOGIT, -INFINITY};
    oracle(row, 1, &nansink, y, 0, &o);
    SB_TEST_CHECK(isnan(y[0]), "NaN sink");
    oracle(row, 4, &infsink, y, 0, &o);
    SB_TEST_CHECK(o.row_class == SB_ROW_SINK_INF && y[1] == 0 && y[3] == 0, "+inf sink takes everything");
    float two[2] = {0.0f, 0.0f};
    oracle(two, 2, &neginf, y, 0, &o);
    SB_TEST_CHECK(y[0] == 0.5f && y[1] == 0.5f, "-inf sink is no sink");
    /* extreme magnitudes: x - m overflows binary32 but not the oracle */
    float huge[3] = {FLT_MAX, -FLT_MAX, FLT_MAX};
    oracle(huge, 3, NULL, y, 0, &o);
    SB_TEST_CHECK(y[0] == 0.5f && y[1] == 0.0f && y[2] == 0.5f, "+-FLT_MAX");
}

/* The residual mass is summed from the tail entries: it survives where 1 - p_sink is 0. */
static void test_residual(void)
{
    enum { N = 4096 };
    float *x = malloc(N * sizeof *x), *y = malloc(N * sizeof *y);
    for (int i = 0; i < N; i++)
        x[i] = 0.0f;
    x[0] = 60.0f; /* sink token */
    sb_oracle o;
    memset(&o, 0, sizeof o);
    o.y = y;
    o.sink_index = 0;
    sb_oracle_softmax(x, N, NULL, &o, 0);
    double want = 4095.0 * exp(-60.0) / (1.0 + 4095.0 * exp(-60.0));
    SB_TEST_CHECK(fabs(o.residual - want) <= 1e-12 * want, "residual %a want %a", o.residual, want);
    SB_TEST_CHECK(y[0] == 1.0f && y[1] > 0, "p_sink rounds to 1 while the tail is non-zero");
    free(x);
    free(y);
}

int main(void)
{
    uint64_t seed = sb_test_init("test_oracle", 11);
    test_known_rows();
    test_residual();
    test_fast_equals_mpfr(seed);
    return sb_test_finish("test_oracle");
}
