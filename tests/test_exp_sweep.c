/* The vector exp (kernels/simd/exp_f32.h) against the correctly rounded exp on every binary32 in
 * [-104, 0]: 1,120,927,745 inputs. The reference is glibc's binary64 exp rounded to binary32,
 * accepted when the whole interval exp(x)(1 +- 2^-50) rounds to one binary32 value (glibc's exp is
 * within 1 ulp of binary64), and MPFR otherwise. Checked: integer ulp distance <= 1 everywhere,
 * exactly 0 below the subnormal range, NaN and -inf.
 *
 *   test_exp_sweep [stride]   stride 1 (default): exhaustive for the scalar code and the best native
 *                             ISA; other ISAs built (SSE2, SIMDe emulations) always take every
 *                             4099th input. A larger stride samples (sanitizer and qemu builds). */
#include <math.h>
#include <mpfr.h>
#include <stdlib.h>
#include <string.h>

#include "check/ulp.h"
#include "simd_isas.h"
#include "testkit.h"

#define CHUNK 65536
#define SIDE_STRIDE 4099u
#define NEG_104_BITS 0xC2D00000u /* -104.0f */

static float from_bits(uint32_t b)
{
    float f;
    memcpy(&f, &b, sizeof f);
    return f;
}

static float exp_mpfr(float x)
{
    mpfr_t t;
    mpfr_init2(t, 160);
    mpfr_set_flt(t, x, MPFR_RNDN);
    mpfr_exp(t, t, MPFR_RNDN);
    float r = mpfr_get_flt(t, MPFR_RNDN); /* rounds to binary32 subnormals correctly */
    mpfr_clear(t);
    return r;
}

static size_t mpfr_calls;

static float exp_correct(float x, double *exact)
{
    double e = exp((double)x);
    *exact = e;
    float lo = (float)(e * (1.0 - 0x1p-50)), hi = (float)(e * (1.0 + 0x1p-50));
    if (lo == hi)
        return lo;
    mpfr_calls++;
    return exp_mpfr(x);
}

typedef struct stats {
    uint64_t inputs, max_ulp, not_correct;
    double max_frac_normal, max_frac_sub;
    float worst_normal, worst_sub, worst_int;
} stats;

static void sweep(const simd_isa **isas, size_t count, uint32_t stride, stats *st)
{
    float *x = malloc(CHUNK * sizeof *x), *want = malloc(CHUNK * sizeof *want), *got = malloc(CHUNK * sizeof *got);
    double *exact = malloc(CHUNK * sizeof *exact);
    SB_TEST_CHECK(x && want && got && exact, "memory");
    if (!x || !want || !got || !exact)
        goto out;
    uint64_t b = 0x80000000u; /* -0.0, then towards -104 */
    while (b <= NEG_104_BITS) {
        size_t n = 0;
        for (; n < CHUNK && b <= NEG_104_BITS; n++, b += stride) {
            x[n] = from_bits((uint32_t)b);
            want[n] = exp_correct(x[n], &exact[n]);
        }
        for (size_t k = 0; k < count; k++) {
            isas[k]->exp_batch(x, got, n);
            stats *s = &st[k];
            for (size_t i = 0; i < n; i++) {
                uint64_t u = sb_ulp_distance(got[i], want[i]);
                s->inputs++;
                if (u) {
                    s->not_correct++;
                    if (u > s->max_ulp) {
                        s->max_ulp = u;
                        s->worst_int = x[i];
                    }
                }
                double fr = sb_ulp_error(got[i], exact[i]);
                if (exact[i] >= 0x1p-126 ? fr > s->max_frac_normal : fr > s->max_frac_sub) {
                    if (exact[i] >= 0x1p-126) {
                        s->max_frac_normal = fr;
                        s->worst_normal = x[i];
                    } else {
                        s->max_frac_sub = fr;
                        s->worst_sub = x[i];
                    }
                }
            }
        }
    }
out:
    free(x);
    free(want);
    free(got);
    free(exact);
}

/* Outside the sweep: below -104 (exactly 0), -inf, NaN. */
static void check_specials(const simd_isa *isa)
{
    static const float in[] = {-104.5f, -110.0f, -128.0f, -1000.0f, -1e30f, -3.4e38f, -INFINITY};
    float out[sizeof in / sizeof in[0]];
    isa->exp_batch(in, out, sizeof in / sizeof in[0]);
    for (size_t i = 0; i < sizeof in / sizeof in[0]; i++)
        SB_TEST_CHECK(out[i] == 0.0f, "%s: exp(%g) = %a, want exactly 0", isa->name, in[i], out[i]);
    float nan_in[3] = {NAN, -1.0f, NAN}, nan_out[3];
    isa->exp_batch(nan_in, nan_out, 3);
    SB_TEST_CHECK(isnan(nan_out[0]) && isnan(nan_out[2]) && nan_out[1] == (float)exp(-1.0), "%s: exp(NaN) = NaN",
             isa->name);
}

int main(int argc, char **argv)
{
    sb_test_init("test_exp_sweep", 0);
    uint32_t stride = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 0) : 1u;
    if (stride == 0)
        stride = 1;
    const simd_isa *main_isas[2], *side_isas[SIMD_ISA_COUNT];
    size_t n_main = 0, n_side = 0;
    const simd_isa *best = NULL;
    for (size_t i = 0; i < SIMD_ISA_COUNT; i++)
        if (simd_isas[i].native && simd_isas[i].supported() && strcmp(simd_isas[i].name, "scalar") != 0)
            best = &simd_isas[i];
    main_isas[n_main++] = &simd_isas[0]; /* scalar */
    if (best)
        main_isas[n_main++] = best;
    for (size_t i = 1; i < SIMD_ISA_COUNT; i++)
        if (&simd_isas[i] != best && simd_isas[i].supported())
            side_isas[n_side++] = &simd_isas[i];

    stats st_main[2] = {{0}}, st_side[SIMD_ISA_COUNT] = {{0}};
    printf("sweeping [-104, 0] with stride %u (scalar%s%s), stride %u (others)\n", stride, best ? ", " : "",
           best ? best->name : "", SIDE_STRIDE);
    fflush(stdout);
    sweep(main_isas, n_main, stride, st_main);
    sweep(side_isas, n_side, SIDE_STRIDE, st_side);
    printf("reference: %zu inputs needed MPFR\n", mpfr_calls);

    for (int pass = 0; pass < 2; pass++) {
        const simd_isa **list = pass ? side_isas : main_isas;
        stats *st = pass ? st_side : st_main;
        size_t count = pass ? n_side : n_main;
        for (size_t k = 0; k < count; k++) {
            const stats *s = &st[k];
            printf("%-16s %11llu inputs  max %llu ulp (at %a)  not correctly rounded %.4f%%  "
                   "max error %.4f ulp normal (at %a), %.4f ulp subnormal (at %a)\n",
                   list[k]->name, (unsigned long long)s->inputs, (unsigned long long)s->max_ulp, s->worst_int,
                   100.0 * (double)s->not_correct / (double)(s->inputs ? s->inputs : 1), s->max_frac_normal,
                   s->worst_normal, s->max_frac_sub, s->worst_sub);
            SB_TEST_CHECK(s->inputs > 0, "%s swept", list[k]->name);
            SB_TEST_CHECK(s->max_ulp <= 1, "%s: exp within 1 ulp (max %llu at %a)", list[k]->name,
                     (unsigned long long)s->max_ulp, s->worst_int);
            SB_TEST_CHECK(s->max_frac_normal < 0.75, "%s: normal results within 0.75 ulp (%.4f at %a)", list[k]->name,
                     s->max_frac_normal, s->worst_normal);
            check_specials(list[k]);
        }
    }
    return sb_test_finish("test_exp_sweep");
}
