/* f16/bf16 conversions against a brute-force reference: the nearest representable value found by
 * search over every 16-bit pattern, ties to even. */
#include <math.h>
#include <string.h>

#include "check/rng.h"
#include "sinkbench/convert.h"
#include "testkit.h"

/* Sorted non-negative finite values of a 16-bit format, by bit pattern (monotonic). */
static float table_f16[0x7c01], table_bf16[0x7f81];

static uint16_t nearest(const float *table, uint16_t count, uint16_t inf_bits, float v)
{
    float a = fabsf(v);
    uint16_t sign = signbit(v) ? 0x8000u : 0;
    uint16_t lo = 0, hi = (uint16_t)(count - 1); /* table[hi] is the largest finite */
    if (a > table[hi]) {
        /* past the largest finite: overflow when at or beyond the midpoint to the next power */
        double next = (double)table[hi] + ((double)table[hi] - (double)table[hi - 1]);
        double mid = ((double)table[hi] + next) / 2;
        return (uint16_t)(sign | ((double)a >= mid ? inf_bits : hi));
    }
    while (hi - lo > 1) {
        uint16_t m = (uint16_t)((lo + hi) / 2);
        if (table[m] <= a)
            lo = m;
        else
            hi = m;
    }
    double dl = (double)a - table[lo], dh = (double)table[hi] - a;
    uint16_t q = dl < dh ? lo : dh < dl ? hi : ((lo & 1) ? hi : lo);
    if (table[lo] == a)
        q = lo;
    return (uint16_t)(sign | q);
}

static void check_value(float v)
{
    if (isnan(v)) {
        SB_TEST_CHECK(isnan(sb_f16_to_f32(sb_f32_to_f16(v))) && isnan(sb_bf16_to_f32(sb_f32_to_bf16(v))), "NaN stays NaN");
        return;
    }
    uint16_t h = sb_f32_to_f16(v), want_h = nearest(table_f16, 0x7c00, 0x7c00, v);
    uint16_t b = sb_f32_to_bf16(v), want_b = nearest(table_bf16, 0x7f80, 0x7f80, v);
    if (isinf(v)) {
        want_h = (uint16_t)((signbit(v) ? 0x8000u : 0) | 0x7c00u);
        want_b = (uint16_t)((signbit(v) ? 0x8000u : 0) | 0x7f80u);
    }
    SB_TEST_CHECK(h == want_h, "f16(%a) = 0x%04x want 0x%04x", (double)v, h, want_h);
    SB_TEST_CHECK(b == want_b, "bf16(%a) = 0x%04x want 0x%04x", (double)v, b, want_b);
}

int main(void)
{
    uint64_t seed = sb_test_init("test_convert", 5);
    for (uint32_t i = 0; i < 0x7c00; i++)
        table_f16[i] = sb_f16_to_f32((uint16_t)i);
    for (uint32_t i = 0; i < 0x7f80; i++)
        table_bf16[i] = sb_bf16_to_f32((uint16_t)i);
    /* decoding: exact values */
    SB_TEST_CHECK(sb_f16_to_f32(0x3c00) == 1.0f && sb_f16_to_f32(0x0001) == 0x1p-24f && sb_f16_to_f32(0x7bff) == 65504.0f,
             "f16 decoding");
    SB_TEST_CHECK(sb_bf16_to_f32(0x3f80) == 1.0f, "bf16 decoding");
    for (uint32_t i = 1; i < 0x7c00; i++)
        SB_TEST_CHECK(table_f16[i] > table_f16[i - 1], "f16 monotonic at %u", i);
    /* every 16-bit value round-trips */
    int bad = 0;
    for (uint32_t i = 0; i < 0x10000 && bad < 5; i++) {
        float f = sb_f16_to_f32((uint16_t)i);
        if (!isnan(f) && sb_f32_to_f16(f) != i) {
            bad++;
            SB_TEST_CHECK(0, "f16 round trip 0x%04x", i);
        }
        float g = sb_bf16_to_f32((uint16_t)i);
        if (!isnan(g) && sb_f32_to_bf16(g) != i) {
            bad++;
            SB_TEST_CHECK(0, "bf16 round trip 0x%04x", i);
        }
    }
    /* midpoints and their neighbours, then random bit patterns */
    for (uint32_t i = 0; i + 1 < 0x7c00; i++) {
        float mid = (float)(((double)table_f16[i] + table_f16[i + 1]) / 2);
        check_value(mid);
        check_value(nextafterf(mid, 0));
        check_value(nextafterf(mid, INFINITY));
        check_value(-mid);
    }
    sb_rng r;
    sb_rng_seed(&r, seed);
    for (int i = 0; i < 2000000 && sb_test_failures < 10; i++) {
        uint32_t u = (uint32_t)sb_rng_next(&r);
        float v;
        memcpy(&v, &u, sizeof v);
        check_value(v);
    }
    float specials[] = {0.0f, -0.0f, INFINITY, -INFINITY, NAN, 65504.0f, 65519.99f, 65520.0f, 0x1p-25f, 0x1.000002p-25f,
                        0x1p-24f, 3.0e38f, 0x1.fffffep127f};
    for (size_t i = 0; i < sizeof specials / sizeof specials[0]; i++)
        check_value(specials[i]);
    SB_TEST_CHECK(sb_f32_to_f16(65520.0f) == 0x7c00, "65520 overflows to inf");
    SB_TEST_CHECK(sb_f32_to_f16(0x1p-25f) == 0, "2^-25 ties to even 0");
    return sb_test_finish("test_convert");
}
