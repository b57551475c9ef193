/* The measuring sticks themselves: ulp distances and the row generator. */
#include <float.h>
#include <math.h>
#include <string.h>

#include "check/rowgen.h"
#include "check/ulp.h"
#include "testkit.h"

static void test_ulp(void)
{
    SB_TEST_CHECK(sb_ulp_distance(1.0f, 1.0f) == 0, "same value");
    SB_TEST_CHECK(sb_ulp_distance(1.0f, nextafterf(1.0f, 2.0f)) == 1, "one step up");
    SB_TEST_CHECK(sb_ulp_distance(1.0f, nextafterf(1.0f, 0.0f)) == 1, "one step down");
    SB_TEST_CHECK(sb_ulp_distance(0.0f, -0.0f) == 0, "signed zeros are one point");
    SB_TEST_CHECK(sb_ulp_distance(0.0f, 0x1p-149f) == 1, "smallest subnormal is one step from 0");
    SB_TEST_CHECK(sb_ulp_distance(-0x1p-149f, 0x1p-149f) == 2, "across zero");
    SB_TEST_CHECK(sb_ulp_distance(0x1p-126f, nextafterf(0x1p-126f, 0.0f)) == 1, "normal/subnormal boundary");
    SB_TEST_CHECK(sb_ulp_distance(NAN, NAN) == 0, "NaN matches NaN");
    SB_TEST_CHECK(sb_ulp_distance(NAN, 1.0f) == SB_ULP_INFINITE, "NaN against a number");
    SB_TEST_CHECK(sb_ulp_distance(FLT_MAX, INFINITY) == 1, "inf is one past FLT_MAX");
    SB_TEST_CHECK(sb_ulp_of(1.0) == 0x1p-23, "ulp(1)=%a", sb_ulp_of(1.0));
    SB_TEST_CHECK(sb_ulp_of(0.75) == 0x1p-24, "ulp(0.75)=%a", sb_ulp_of(0.75));
    SB_TEST_CHECK(sb_ulp_of(1e-44) == 0x1p-149, "subnormal spacing");
    SB_TEST_CHECK(fabs(sb_ulp_error(1.0f, 1.0 + 0x1p-24) - 0.5) < 1e-12, "half ulp");
}

static void test_rowgen(uint64_t seed)
{
    enum { N = 257 };
    float a[N], b[N];
    sb_softmax_params pa, pb;
    for (int place = 0; place < SB_PLACE_COUNT; place++) {
        for (int tail = 0; tail < SB_TAIL_COUNT; tail++) {
            sb_row_spec s = {N, 20.0, (sb_tail)tail, 0, (sb_sink_place)place, SB_EDGE_NONE, 3.0};
            size_t ia = sb_row_generate(&s, seed, a, &pa);
            size_t ib = sb_row_generate(&s, seed, b, &pb);
            SB_TEST_CHECK(ia == ib && memcmp(a, b, sizeof a) == 0 && memcmp(&pa, &pb, sizeof pa) == 0,
                     "same seed gives the same row (place %s tail %s)", sb_place_name(s.place), sb_tail_name(s.tail));
            /* the sink sits gap above the largest other logit */
            double sink = place == SB_PLACE_LEARNED || place == SB_PLACE_SOFTMAX1 ? pa.sink_logit
                          : ia != SIZE_MAX                                         ? a[ia]
                                                                                   : NAN;
            double top = -INFINITY;
            for (size_t i = 0; i < N; i++)
                if (i != ia)
                    top = a[i] > top ? a[i] : top;
            /* the near-sink tail puts a second entry 0.25 below the sink */
            double want = tail == SB_TAIL_NEAR_SINK ? 0.25 : s.gap;
            if (place != SB_PLACE_NONE)
                SB_TEST_CHECK(fabs(sink - top - want) < 1e-3, "gap %g, got %g (place %s tail %s)", want, sink - top,
                         sb_place_name(s.place), sb_tail_name(s.tail));
        }
    }
    for (int e = 0; e < SB_EDGE_COUNT; e++) {
        sb_row_spec s = {N, 12.0, SB_TAIL_GAUSSIAN, 0, SB_PLACE_LEARNED, (sb_edge)e, 0};
        sb_row_generate(&s, seed, a, &pa);
        int nan = isnan(pa.sink_logit), inf = 0, masked = 0;
        for (int i = 0; i < N; i++) {
            nan |= isnan(a[i]);
            inf += a[i] == INFINITY;
            masked += a[i] == -INFINITY;
        }
        switch ((sb_edge)e) {
        case SB_EDGE_NAN: SB_TEST_CHECK(nan, "nan edge has a NaN"); break;
        case SB_EDGE_NAN_SINK: SB_TEST_CHECK(isnan(pa.sink_logit), "nan sink"); break;
        case SB_EDGE_POS_INF: SB_TEST_CHECK(inf == 1, "one +inf, got %d", inf); break;
        case SB_EDGE_POS_INF_MANY: SB_TEST_CHECK(inf >= 1, "+inf entries"); break;
        case SB_EDGE_POS_INF_SINK: SB_TEST_CHECK(pa.sink_logit == INFINITY, "+inf sink"); break;
        case SB_EDGE_MASKED_SOME: SB_TEST_CHECK(masked > 0 && masked < N, "some masked: %d", masked); break;
        case SB_EDGE_MASKED_ALL: SB_TEST_CHECK(masked == N, "all masked"); break;
        default: SB_TEST_CHECK(!nan, "no NaN in edge %s", sb_edge_name((sb_edge)e)); break;
        }
        SB_TEST_CHECK(sb_edge_from_name(sb_edge_name((sb_edge)e)) == e, "edge name round trip");
    }
}

int main(void)
{
    uint64_t seed = sb_test_init("test_ulp_rowgen", 7);
    test_ulp();
    test_rowgen(seed);
    return sb_test_finish("test_ulp_rowgen");
}
