/* A softmax built on SLEEF's vector expf with 1-ulp accuracy (Sleef_expf*_u10, the exp PyTorch's CPU
 * softmax uses), compiled once per ISA (cmake: sinkbench_add_isa_objects) like our own kernels.
 * Structure: three passes (max; exp(x - max) stored and summed in binary32 vector lanes; multiply by
 * 1/sum), the common shape of vectorised softmax code. The remainder of a row goes through SLEEF's
 * scalar Sleef_expf_u10. No special cases: NaN, -inf and huge gaps give whatever this code gives. */
#include <immintrin.h>
#include <sleef.h>
#include <stddef.h>

#include <sinkbench/status.h>

#define SB_CAT2(a, b) a##b
#define SB_CAT(a, b) SB_CAT2(a, b)
#define ROW_FN SB_CAT(sb_peer_sleef_row, SB_ISA_SUFFIX)

#if defined(SB_ISA_AVX512)
#define W 16
typedef __m512 vf;
#define vload _mm512_loadu_ps
#define vstore _mm512_storeu_ps
#define vset1 _mm512_set1_ps
#define vmax _mm512_max_ps
#define vadd _mm512_add_ps
#define vsub _mm512_sub_ps
#define vmul _mm512_mul_ps
#define vexp Sleef_expf16_u10avx512f
#elif defined(SB_ISA_AVX2)
#define W 8
typedef __m256 vf;
#define vload _mm256_loadu_ps
#define vstore _mm256_storeu_ps
#define vset1 _mm256_set1_ps
#define vmax _mm256_max_ps
#define vadd _mm256_add_ps
#define vsub _mm256_sub_ps
#define vmul _mm256_mul_ps
#define vexp Sleef_expf8_u10avx2
#elif defined(SB_ISA_SSE2)
#define W 4
typedef __m128 vf;
#define vload _mm_loadu_ps
#define vstore _mm_storeu_ps
#define vset1 _mm_set1_ps
#define vmax _mm_max_ps
#define vadd _mm_add_ps
#define vsub _mm_sub_ps
#define vmul _mm_mul_ps
#define vexp Sleef_expf4_u10sse2
#else
#error "sleef_softmax_row.c is built for sse2, avx2 and avx512 only"
#endif

static float lane_max(vf v)
{
    float t[W], m;
    vstore(t, v);
    m = t[0];
    for (int i = 1; i < W; i++)
        m = t[i] > m ? t[i] : m;
    return m;
}

static float lane_sum(vf v)
{
    float t[W], s = 0.0f;
    vstore(t, v);
    for (int i = 0; i < W; i++)
        s += t[i];
    return s;
}

sb_status ROW_FN(const float *x, float *y, size_t n);
sb_status ROW_FN(const float *x, float *y, size_t n)
{
    size_t i = 0;
    vf vm = vset1(x[0]);
    for (; i + W <= n; i += W)
        vm = vmax(vm, vload(x + i));
    float m = lane_max(vm);
    for (; i < n; i++)
        m = x[i] > m ? x[i] : m;

    vf vs = vset1(0.0f), vmv = vset1(m);
    for (i = 0; i + W <= n; i += W) {
        vf e = vexp(vsub(vload(x + i), vmv));
        vstore(y + i, e);
        vs = vadd(vs, e);
    }
    float s = lane_sum(vs);
    for (; i < n; i++) {
        y[i] = Sleef_expf_u10(x[i] - m);
        s += y[i];
    }

    float inv = 1.0f / s;
    vf vinv = vset1(inv);
    for (i = 0; i + W <= n; i += W)
        vstore(y + i, vmul(vload(y + i), vinv));
    for (; i < n; i++)
        y[i] *= inv;
    return SB_OK;
}
