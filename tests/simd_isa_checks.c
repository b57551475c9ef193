/* Per-ISA halves of test_vec and test_exp_sweep: compiled once per ISA (sinkbench_add_isa_objects),
 * like the kernels, so that every mapping of kernels/simd/vec.h and exp_f32.h is exercised. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "check/rng.h"
#include "simd/exp_f32.h"

size_t SB_ISA_SYMBOL(sb_test_vec)(FILE *log, uint64_t seed);
void SB_ISA_SYMBOL(sb_test_exp_batch)(const float *x, float *y, size_t n);
int SB_ISA_SYMBOL(sb_test_fused_fma)(void);

#define FAIL(...)                                                 \
    do {                                                          \
        fails++;                                                  \
        fprintf(log, "FAIL [%s] ", SB_ISA_NAME);                  \
        fprintf(log, __VA_ARGS__);                                \
        fprintf(log, "\n");                                       \
    } while (0)

static float rand_float(uint64_t *s, float lo, float hi)
{
    return lo + (hi - lo) * (float)((double)(sb_splitmix64(s) >> 40) / (double)(1u << 24));
}

static int same_bits(float a, float b) { return memcmp(&a, &b, sizeof a) == 0; }

/* Lane 0 of a vector (every lane, where the inputs were broadcast). */
static float lane0(sb_vf v)
{
    float t[SB_VW];
    sb_vf_storeu(t, v);
    return t[0];
}

/* Partial loads and stores: exact-size heap blocks, so that ASan sees any access past the row. */
static size_t check_tails(FILE *log)
{
    size_t fails = 0;
    for (size_t n = 0; n < SB_VW; n++) {
        float *src = malloc((n ? n : 1) * sizeof *src), *dst = malloc((n ? n : 1) * sizeof *dst);
        if (!src || !dst) {
            free(src);
            free(dst);
            FAIL("out of memory");
            return fails;
        }
        for (size_t i = 0; i < n; i++) {
            src[i] = (float)i + 0.5f;
            dst[i] = -1.0f;
        }
        float lanes[SB_VW];
        sb_vf_storeu(lanes, sb_vf_load_part(src, n, 99.0f));
        for (size_t i = 0; i < SB_VW; i++)
            if (lanes[i] != (i < n ? (float)i + 0.5f : 99.0f))
                FAIL("load_part(n=%zu) lane %zu = %g", n, i, lanes[i]);
        sb_vf_store_part(dst, sb_vf_set1(7.0f), n);
        for (size_t i = 0; i < n; i++)
            if (dst[i] != 7.0f)
                FAIL("store_part(n=%zu) entry %zu = %g", n, i, dst[i]);
        /* sb_vm_first selects exactly lanes 0..n-1 */
        sb_vf_storeu(lanes, sb_vf_select(sb_vm_first(n), sb_vf_set1(1.0f), sb_vf_set1(2.0f)));
        for (size_t i = 0; i < SB_VW; i++)
            if (lanes[i] != (i < n ? 1.0f : 2.0f))
                FAIL("vm_first(%zu) lane %zu", n, i);
        free(src);
        free(dst);
    }
    return fails;
}

static size_t check_reductions(FILE *log, uint64_t *rng)
{
    size_t fails = 0;
    for (int rep = 0; rep < 200; rep++) {
        float v[SB_VW];
        float mx = -INFINITY, mn = INFINITY, sum = 0;
        for (size_t i = 0; i < SB_VW; i++) {
            v[i] = (float)(int)rand_float(rng, -1000, 1000); /* integers: every sum order is exact */
            mx = v[i] > mx ? v[i] : mx;
            mn = v[i] < mn ? v[i] : mn;
            sum += v[i];
        }
        sb_vf x = sb_vf_loadu(v);
        if (sb_vf_reduce_max(x) != mx || sb_vf_reduce_min(x) != mn || sb_vf_reduce_add(x) != sum)
            FAIL("reductions: max %g/%g min %g/%g add %g/%g", sb_vf_reduce_max(x), mx, sb_vf_reduce_min(x), mn,
                 sb_vf_reduce_add(x), sum);
        /* -inf lanes (the max pass's fill) never win */
        v[0] = -INFINITY;
        float m2 = -INFINITY;
        for (size_t i = 1; i < SB_VW; i++)
            m2 = v[i] > m2 ? v[i] : m2;
        if (sb_vf_reduce_max(sb_vf_loadu(v)) != m2)
            FAIL("reduce_max with -inf lane");
    }
    /* NaN in the second operand of max survives on every ISA (the exp's clamp relies on it) */
    float lanes[SB_VW];
    sb_vf_storeu(lanes, sb_vf_max(sb_vf_set1(-128.0f), sb_vf_set1(NAN)));
    for (size_t i = 0; i < SB_VW; i++)
        if (!isnan(lanes[i]))
            FAIL("max(c, NaN) lane %zu = %g, not NaN", i, lanes[i]);
    return fails;
}

static size_t check_arith(FILE *log, uint64_t *rng)
{
    size_t fails = 0;
    /* SB_VEC_FUSED_FMA tells the truth: a*b = 1 + 2^-11 + 2^-24 exactly; unfused, the product
     * rounds (a tie, to even) to 1 + 2^-11. */
    float a = 1.0f + 0x1p-12f;
    float f = lane0(sb_vf_fma(sb_vf_set1(a), sb_vf_set1(a), sb_vf_set1(-1.0f)));
    int fused = f == 0x1p-11f + 0x1p-24f;
    if (fused != SB_VEC_FUSED_FMA || !(fused || f == 0x1p-11f))
        FAIL("SB_VEC_FUSED_FMA is %d but fma gives %a", SB_VEC_FUSED_FMA, f);

    for (int rep = 0; rep < 2000; rep++) {
        float xa[SB_VW], xb[SB_VW], s[SB_VW], e[SB_VW], fs[SB_VW], fe[SB_VW];
        for (size_t i = 0; i < SB_VW; i++) {
            xa[i] = ldexpf(rand_float(rng, -1, 1), (int)(sb_splitmix64(rng) % 60) - 30);
            xb[i] = ldexpf(rand_float(rng, -1, 1), (int)(sb_splitmix64(rng) % 60) - 30);
        }
        sb_vf ve, vfe;
        sb_vf_storeu(s, sb_vf_two_sum(sb_vf_loadu(xa), sb_vf_loadu(xb), &ve));
        sb_vf_storeu(e, ve);
        /* fast_two_sum with the larger magnitude first */
        for (size_t i = 0; i < SB_VW; i++)
            if (fabsf(xa[i]) < fabsf(xb[i])) {
                float t = xa[i];
                xa[i] = xb[i];
                xb[i] = t;
            }
        sb_vf_storeu(fs, sb_vf_fast_two_sum(sb_vf_loadu(xa), sb_vf_loadu(xb), &vfe));
        sb_vf_storeu(fe, vfe);
        for (size_t i = 0; i < SB_VW; i++) {
            long double exact = (long double)xa[i] + (long double)xb[i];
            if ((long double)s[i] + (long double)e[i] != exact || s[i] != xa[i] + xb[i])
                FAIL("two_sum(%a, %a) = %a + %a", xa[i], xb[i], s[i], e[i]);
            if ((long double)fs[i] + (long double)fe[i] != exact)
                FAIL("fast_two_sum(%a, %a) = %a + %a", xa[i], xb[i], fs[i], fe[i]);
        }
    }

    /* binary64 accumulation: integers and halves sum exactly in any order */
    sb_vacc64 acc = sb_vacc64_zero();
    double want = 0;
    for (int rep = 0; rep < 100; rep++) {
        float v[SB_VW];
        for (size_t i = 0; i < SB_VW; i++) {
            v[i] = (float)(int)rand_float(rng, -1e6f, 1e6f) * 0.5f;
            want += v[i];
        }
        acc = sb_vacc64_add(acc, sb_vf_loadu(v));
    }
    acc = sb_vacc64_scale(acc, 0.25);
    if (sb_vacc64_sum(acc) != want * 0.25)
        FAIL("vacc64 sum %.17g, want %.17g", sb_vacc64_sum(acc), want * 0.25);

    /* mul_f64: the binary64 product, rounded to binary32 */
    for (int rep = 0; rep < 200; rep++) {
        float v[SB_VW], got[SB_VW];
        double r = (double)rand_float(rng, 0.5f, 1.0f) / 3.0 * 0x1p-70;
        for (size_t i = 0; i < SB_VW; i++)
            v[i] = ldexpf(rand_float(rng, 0, 1), (int)(sb_splitmix64(rng) % 100) - 20);
        sb_vf_storeu(got, sb_vf_mul_f64(sb_vf_loadu(v), r));
        for (size_t i = 0; i < SB_VW; i++)
            if (!same_bits(got[i], (float)((double)v[i] * r)))
                FAIL("mul_f64(%a, %a) = %a", v[i], r, got[i]);
    }

    /* table lookup by the low three bits, whatever the others hold */
    float tab[8] = {10, 11, 12, 13, 14, 15, 16, 17};
    sb_vtab8 t = sb_vtab8_load(tab);
    for (int rep = 0; rep < 100; rep++) {
        uint32_t idx[SB_VW];
        float got[SB_VW];
        for (size_t i = 0; i < SB_VW; i++)
            idx[i] = (uint32_t)sb_splitmix64(rng);
        sb_vi vi;
        memcpy(&vi, idx, sizeof vi);
        sb_vf_storeu(got, sb_vtab8_lookup(&t, vi));
        for (size_t i = 0; i < SB_VW; i++)
            if (got[i] != tab[idx[i] & 7u])
                FAIL("lookup(%#x) = %g", idx[i], got[i]);
    }

    /* integer lanes */
    uint32_t iv[SB_VW];
    sb_vi x = SB_VI_SRL(SB_VI_SHL(sb_vi_add(sb_vi_set1(3), sb_vi_set1(-1)), 24), 20);
    memcpy(iv, &x, sizeof iv);
    for (size_t i = 0; i < SB_VW; i++)
        if (iv[i] != 32u)
            FAIL("integer shifts: %u", iv[i]);
    x = sb_vi_and(sb_vi_sub(sb_vi_set1(0), sb_vi_set1(1)), sb_vi_set1(0x70));
    memcpy(iv, &x, sizeof iv);
    for (size_t i = 0; i < SB_VW; i++)
        if (iv[i] != 0x70u)
            FAIL("integer and/sub: %#x", iv[i]);
    return fails;
}

/* The vector exp at its edges (the exhaustive sweep is test_exp_sweep). */
static size_t check_exp_edges(FILE *log)
{
    size_t fails = 0;
    static const float in[] = {-0.0f, 0.0f, -INFINITY, -1e30f, -200.0f, -104.0f, -103.98f, -103.97f, -87.5f, -1.0f};
    for (size_t k = 0; k < sizeof in / sizeof in[0]; k++) {
        float got = lane0(sb_vexp(sb_vf_set1(in[k])));
        double want = exp((double)in[k]);
        float w = (float)want;
        if (got != w && fabs((double)got - want) > 0x1p-149)
            FAIL("exp(%a) = %a, want %a", in[k], got, w);
    }
    float got = lane0(sb_vexp(sb_vf_set1(NAN)));
    if (!isnan(got))
        FAIL("exp(NaN) = %a", got);
    /* exp(x - m) uses x - m exactly where binary32 would round it: here x - m = -(70 + 2^-15 + 2^-20)
     * rounds by 2^-20, which would cost about 8 ulp */
    sb_vexp_table tab = sb_vexp_table_load(&sb_exp_table_unit);
    float m = 0x1.000002p+2f, xm = -0x1.080002p+6f;
    got = lane0(sb_vexp_diff(sb_vf_set1(xm), sb_vf_set1(-m), sb_vf_set1(sb_exp_x_floor(m)), &tab));
    double want = exp((double)xm - (double)m);
    if (fabs((double)got - want) > want * 0x1p-23)
        FAIL("exp_diff: got %a want %a", got, want);
    return fails;
}

size_t SB_ISA_SYMBOL(sb_test_vec)(FILE *log, uint64_t seed)
{
    uint64_t rng = seed;
    return check_tails(log) + check_reductions(log, &rng) + check_arith(log, &rng) + check_exp_edges(log);
}

void SB_ISA_SYMBOL(sb_test_exp_batch)(const float *x, float *y, size_t n)
{
    size_t i = 0;
    for (; i + SB_VW <= n; i += SB_VW)
        sb_vf_storeu(y + i, sb_vexp(sb_vf_loadu(x + i)));
    if (i < n)
        sb_vf_store_part(y + i, sb_vexp(sb_vf_load_part(x + i, n - i, 0.0f)), n - i);
}

int SB_ISA_SYMBOL(sb_test_fused_fma)(void) { return SB_VEC_FUSED_FMA; }
