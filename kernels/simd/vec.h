/* A small vector API over SIMDe, so that one kernel source compiles for every ISA.
 *
 * Include this from a translation unit built by sinkbench_add_isa_objects() (cmake/SinkbenchIsa.cmake):
 * exactly one SB_ISA_<ISA> macro selects the mapping, and SIMDe picks native instructions from the
 * compiler flags of that unit (not from target attributes).
 *
 *   SB_ISA_SCALAR            width 1, plain C
 *   SB_ISA_SSE2              width 4, SSE2 (no FMA: sb_vf_fma is a multiply and an add)
 *   SB_ISA_AVX2              width 8, AVX2 + FMA
 *   SB_ISA_AVX512            width 16, AVX-512 F/BW/DQ/VL
 *   SB_ISA_AVX512_EMULATED   the AVX-512 code path, emulated by SIMDe on AVX2 + FMA (for testing)
 *   SB_ISA_NEON              width 4, Advanced SIMD (native on aarch64, SIMDe-emulated elsewhere)
 *
 * Contract of the API (stable: the softmax and attention kernels build on it):
 *   SB_VW                     lanes per vector
 *   SB_VEC_FUSED_FMA          1 when sb_vf_fma rounds once (a true fused multiply-add), else 0
 *   sb_vf / sb_vi / sb_vm     binary32 vector, 32-bit integer vector, lane mask
 *   sb_vf_loadu/storeu        any alignment
 *   sb_vf_load_part(p, n, f)  lanes 0..n-1 from p, the others f; reads only p[0..n) (n < SB_VW)
 *   sb_vf_store_part(p, v, n) writes only p[0..n)
 *   sb_vf_add/sub/mul, sb_vf_fma(a, b, c) = a*b + c, sb_vf_fnma(a, b, c) = c - a*b
 *   sb_vf_max/min(a, b)       NaN in b gives NaN on every ISA; NaN in a only: unspecified (x86
 *                             returns b, NEON NaN). Kernels must detect NaN themselves.
 *   sb_vf_lt/le/eq, sb_vf_select(m, t, f) = m ? t : f, sb_vm_any(m), sb_vm_first(n)
 *   sb_vf_reduce_max/min/add  horizontal reductions (add: pairwise in binary32)
 *   sb_vi_*                   32-bit integer add/sub/and, shifts by constants (SB_VI_SHL/SB_VI_SRL),
 *                             bit casts sb_vf_as_vi / sb_vi_as_vf
 *   sb_vtab8_load/lookup      an 8-entry float table held in registers, indexed by the low 3 bits
 *   sb_vacc64_*               SB_VW binary64 partial sums fed with binary32 lanes (exact conversion);
 *                             zero, add, add_mem (SB_VW floats read from memory), merge (lane-wise
 *                             sum of two), scale, sum
 *   sb_vf_mul_f64(v, r)       each lane v*r computed in binary64 (r a double), then rounded to binary32:
 *                             within 0.5 + 2^-29 ulp of the exact product
 *
 * Every function is static inline; nothing here touches the floating-point environment.
 * The translation unit must be compiled with -ffp-contract=off (the CMake helper does it): the
 * error-free transformations in exp_f32.h rely on a*b + c being two roundings unless sb_vf_fma
 * is used. */
#ifndef SINKBENCH_SIMD_VEC_H
#define SINKBENCH_SIMD_VEC_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define SB_VEC_CAT2(a, b) a##b
#define SB_VEC_CAT(a, b) SB_VEC_CAT2(a, b)
/* name##SB_ISA_SUFFIX: the per-ISA symbol of a kernel compiled from one source. */
#define SB_ISA_SYMBOL(name) SB_VEC_CAT(name, SB_ISA_SUFFIX)

#if (defined(SB_ISA_SCALAR) + defined(SB_ISA_SSE2) + defined(SB_ISA_AVX2) + defined(SB_ISA_AVX512) + \
     defined(SB_ISA_AVX512_EMULATED) + defined(SB_ISA_NEON)) != 1
#error "vec.h: define exactly one SB_ISA_<ISA> (sinkbench_add_isa_objects does)"
#endif

/* x86: the SIMDe headers, and the 128-bit reductions every x86 width ends with. */
#if defined(SB_ISA_SSE2)
#include <simde/x86/sse2.h>
#elif defined(SB_ISA_AVX2)
#include <simde/x86/avx2.h>
#include <simde/x86/fma.h>
#elif defined(SB_ISA_AVX512) || defined(SB_ISA_AVX512_EMULATED)
#include <simde/x86/avx512.h>
#endif
#if defined(SB_ISA_SSE2) || defined(SB_ISA_AVX2) || defined(SB_ISA_AVX512) || defined(SB_ISA_AVX512_EMULATED)
static inline float sb_m128_reduce_max_(simde__m128 h)
{
    h = simde_mm_max_ps(h, simde_mm_movehl_ps(h, h));
    return simde_mm_cvtss_f32(simde_mm_max_ps(h, simde_mm_shuffle_ps(h, h, 1)));
}
static inline float sb_m128_reduce_min_(simde__m128 h)
{
    h = simde_mm_min_ps(h, simde_mm_movehl_ps(h, h));
    return simde_mm_cvtss_f32(simde_mm_min_ps(h, simde_mm_shuffle_ps(h, h, 1)));
}
static inline float sb_m128_reduce_add_(simde__m128 h)
{
    h = simde_mm_add_ps(h, simde_mm_movehl_ps(h, h));
    return simde_mm_cvtss_f32(simde_mm_add_ps(h, simde_mm_shuffle_ps(h, h, 1)));
}
#endif
#if defined(SB_ISA_AVX2) || defined(SB_ISA_AVX512) || defined(SB_ISA_AVX512_EMULATED)
static inline float sb_m256_reduce_max_(simde__m256 v)
{
    return sb_m128_reduce_max_(simde_mm_max_ps(simde_mm256_castps256_ps128(v), simde_mm256_extractf128_ps(v, 1)));
}
static inline float sb_m256_reduce_min_(simde__m256 v)
{
    return sb_m128_reduce_min_(simde_mm_min_ps(simde_mm256_castps256_ps128(v), simde_mm256_extractf128_ps(v, 1)));
}
static inline float sb_m256_reduce_add_(simde__m256 v)
{
    return sb_m128_reduce_add_(simde_mm_add_ps(simde_mm256_castps256_ps128(v), simde_mm256_extractf128_ps(v, 1)));
}
#endif

/* ------------------------------------------------------------------------------------------------ */
#if defined(SB_ISA_SCALAR)

#define SB_VW 1
#if defined(__FP_FAST_FMAF)
#define SB_VEC_FUSED_FMA 1
#else
#define SB_VEC_FUSED_FMA 0 /* fmaf() would be a slow library call: use a multiply and an add */
#endif
typedef float sb_vf;
typedef uint32_t sb_vi;
typedef int sb_vm;
typedef struct sb_vtab8 { float t[8]; } sb_vtab8;
typedef struct sb_vacc64 { double s; } sb_vacc64;

static inline sb_vf sb_vf_set1(float a) { return a; }
static inline sb_vf sb_vf_zero(void) { return 0.0f; }
static inline sb_vf sb_vf_loadu(const float *p) { return *p; }
static inline void sb_vf_storeu(float *p, sb_vf v) { *p = v; }
static inline sb_vf sb_vf_add(sb_vf a, sb_vf b) { return a + b; }
static inline sb_vf sb_vf_sub(sb_vf a, sb_vf b) { return a - b; }
static inline sb_vf sb_vf_mul(sb_vf a, sb_vf b) { return a * b; }
#if SB_VEC_FUSED_FMA
static inline sb_vf sb_vf_fma(sb_vf a, sb_vf b, sb_vf c) { return fmaf(a, b, c); }
static inline sb_vf sb_vf_fnma(sb_vf a, sb_vf b, sb_vf c) { return fmaf(-a, b, c); }
#else
static inline sb_vf sb_vf_fma(sb_vf a, sb_vf b, sb_vf c) { return a * b + c; }
static inline sb_vf sb_vf_fnma(sb_vf a, sb_vf b, sb_vf c) { return c - a * b; }
#endif
/* x86 semantics (return b unless a > b / a < b), which keeps a NaN in b */
static inline sb_vf sb_vf_max(sb_vf a, sb_vf b) { return a > b ? a : b; }
static inline sb_vf sb_vf_min(sb_vf a, sb_vf b) { return a < b ? a : b; }
static inline sb_vm sb_vf_lt(sb_vf a, sb_vf b) { return a < b; }
static inline sb_vm sb_vf_le(sb_vf a, sb_vf b) { return a <= b; }
static inline sb_vm sb_vf_eq(sb_vf a, sb_vf b) { return a == b; }
static inline sb_vf sb_vf_select(sb_vm m, sb_vf t, sb_vf f) { return m ? t : f; }
static inline int sb_vm_any(sb_vm m) { return m != 0; }
static inline sb_vm sb_vm_first(size_t n) { return n > 0; }
static inline float sb_vf_reduce_max(sb_vf v) { return v; }
static inline float sb_vf_reduce_min(sb_vf v) { return v; }
static inline float sb_vf_reduce_add(sb_vf v) { return v; }

static inline sb_vi sb_vf_as_vi(sb_vf v) { sb_vi i; memcpy(&i, &v, 4); return i; }
static inline sb_vf sb_vi_as_vf(sb_vi i) { sb_vf v; memcpy(&v, &i, 4); return v; }
static inline sb_vi sb_vi_set1(int32_t a) { return (uint32_t)a; }
static inline sb_vi sb_vi_add(sb_vi a, sb_vi b) { return a + b; }
static inline sb_vi sb_vi_sub(sb_vi a, sb_vi b) { return a - b; }
static inline sb_vi sb_vi_and(sb_vi a, sb_vi b) { return a & b; }
#define SB_VI_SHL(v, n) ((sb_vi)((v) << (n)))
#define SB_VI_SRL(v, n) ((sb_vi)((v) >> (n)))

static inline sb_vtab8 sb_vtab8_load(const float t[8]) { sb_vtab8 r; memcpy(r.t, t, sizeof r.t); return r; }
static inline sb_vf sb_vtab8_lookup(const sb_vtab8 *t, sb_vi idx) { return t->t[idx & 7u]; }

static inline sb_vacc64 sb_vacc64_zero(void) { sb_vacc64 a = {0.0}; return a; }
static inline sb_vacc64 sb_vacc64_add(sb_vacc64 a, sb_vf v) { a.s += (double)v; return a; }
static inline sb_vacc64 sb_vacc64_scale(sb_vacc64 a, double f) { a.s *= f; return a; }
static inline sb_vacc64 sb_vacc64_add_mem(sb_vacc64 a, const float *p) { a.s += (double)*p; return a; }
static inline sb_vacc64 sb_vacc64_merge(sb_vacc64 a, sb_vacc64 b) { a.s += b.s; return a; }
static inline double sb_vacc64_sum(sb_vacc64 a) { return a.s; }
static inline sb_vf sb_vf_mul_f64(sb_vf v, double r) { return (float)((double)v * r); }

/* ------------------------------------------------------------------------------------------------ */
#elif defined(SB_ISA_SSE2)

#define SB_VW 4
#define SB_VEC_FUSED_FMA 0
typedef simde__m128 sb_vf;
typedef simde__m128i sb_vi;
typedef simde__m128 sb_vm;
typedef struct sb_vtab8 { float t[8]; } sb_vtab8;
typedef struct sb_vacc64 { simde__m128d lo, hi; } sb_vacc64;

static inline sb_vf sb_vf_set1(float a) { return simde_mm_set1_ps(a); }
static inline sb_vf sb_vf_zero(void) { return simde_mm_setzero_ps(); }
static inline sb_vf sb_vf_loadu(const float *p) { return simde_mm_loadu_ps(p); }
static inline void sb_vf_storeu(float *p, sb_vf v) { simde_mm_storeu_ps(p, v); }
static inline sb_vf sb_vf_add(sb_vf a, sb_vf b) { return simde_mm_add_ps(a, b); }
static inline sb_vf sb_vf_sub(sb_vf a, sb_vf b) { return simde_mm_sub_ps(a, b); }
static inline sb_vf sb_vf_mul(sb_vf a, sb_vf b) { return simde_mm_mul_ps(a, b); }
static inline sb_vf sb_vf_fma(sb_vf a, sb_vf b, sb_vf c) { return simde_mm_add_ps(simde_mm_mul_ps(a, b), c); }
static inline sb_vf sb_vf_fnma(sb_vf a, sb_vf b, sb_vf c) { return simde_mm_sub_ps(c, simde_mm_mul_ps(a, b)); }
static inline sb_vf sb_vf_max(sb_vf a, sb_vf b) { return simde_mm_max_ps(a, b); }
static inline sb_vf sb_vf_min(sb_vf a, sb_vf b) { return simde_mm_min_ps(a, b); }
static inline sb_vm sb_vf_lt(sb_vf a, sb_vf b) { return simde_mm_cmplt_ps(a, b); }
static inline sb_vm sb_vf_le(sb_vf a, sb_vf b) { return simde_mm_cmple_ps(a, b); }
static inline sb_vm sb_vf_eq(sb_vf a, sb_vf b) { return simde_mm_cmpeq_ps(a, b); }
static inline sb_vf sb_vf_select(sb_vm m, sb_vf t, sb_vf f)
{
    return simde_mm_or_ps(simde_mm_and_ps(m, t), simde_mm_andnot_ps(m, f));
}
static inline int sb_vm_any(sb_vm m) { return simde_mm_movemask_ps(m) != 0; }
static inline sb_vm sb_vm_first(size_t n)
{
    return simde_mm_cmplt_ps(simde_mm_setr_ps(0, 1, 2, 3), simde_mm_set1_ps((float)n));
}
static inline float sb_vf_reduce_max(sb_vf v) { return sb_m128_reduce_max_(v); }
static inline float sb_vf_reduce_min(sb_vf v) { return sb_m128_reduce_min_(v); }
static inline float sb_vf_reduce_add(sb_vf v) { return sb_m128_reduce_add_(v); }

static inline sb_vi sb_vf_as_vi(sb_vf v) { return simde_mm_castps_si128(v); }
static inline sb_vf sb_vi_as_vf(sb_vi i) { return simde_mm_castsi128_ps(i); }
static inline sb_vi sb_vi_set1(int32_t a) { return simde_mm_set1_epi32(a); }
static inline sb_vi sb_vi_add(sb_vi a, sb_vi b) { return simde_mm_add_epi32(a, b); }
static inline sb_vi sb_vi_sub(sb_vi a, sb_vi b) { return simde_mm_sub_epi32(a, b); }
static inline sb_vi sb_vi_and(sb_vi a, sb_vi b) { return simde_mm_and_si128(a, b); }
#define SB_VI_SHL(v, n) simde_mm_slli_epi32((v), (n))
#define SB_VI_SRL(v, n) simde_mm_srli_epi32((v), (n))

/* SSE2 has no variable permute: four table reads. */
static inline sb_vtab8 sb_vtab8_load(const float t[8]) { sb_vtab8 r; memcpy(r.t, t, sizeof r.t); return r; }
static inline sb_vf sb_vtab8_lookup(const sb_vtab8 *t, sb_vi idx)
{
    uint32_t i[4];
    simde_mm_storeu_si128((simde__m128i *)(void *)i, idx);
    return simde_mm_setr_ps(t->t[i[0] & 7u], t->t[i[1] & 7u], t->t[i[2] & 7u], t->t[i[3] & 7u]);
}

static inline sb_vacc64 sb_vacc64_zero(void) { sb_vacc64 a = {simde_mm_setzero_pd(), simde_mm_setzero_pd()}; return a; }
static inline sb_vacc64 sb_vacc64_add(sb_vacc64 a, sb_vf v)
{
    a.lo = simde_mm_add_pd(a.lo, simde_mm_cvtps_pd(v));
    a.hi = simde_mm_add_pd(a.hi, simde_mm_cvtps_pd(simde_mm_movehl_ps(v, v)));
    return a;
}
static inline sb_vacc64 sb_vacc64_add_mem(sb_vacc64 a, const float *p) { return sb_vacc64_add(a, sb_vf_loadu(p)); }
static inline sb_vacc64 sb_vacc64_merge(sb_vacc64 a, sb_vacc64 b)
{
    a.lo = simde_mm_add_pd(a.lo, b.lo);
    a.hi = simde_mm_add_pd(a.hi, b.hi);
    return a;
}
static inline sb_vacc64 sb_vacc64_scale(sb_vacc64 a, double f)
{
    a.lo = simde_mm_mul_pd(a.lo, simde_mm_set1_pd(f));
    a.hi = simde_mm_mul_pd(a.hi, simde_mm_set1_pd(f));
    return a;
}
static inline double sb_vacc64_sum(sb_vacc64 a)
{
    double t[4];
    simde_mm_storeu_pd(t, a.lo);
    simde_mm_storeu_pd(t + 2, a.hi);
    return (t[0] + t[1]) + (t[2] + t[3]);
}
static inline sb_vf sb_vf_mul_f64(sb_vf v, double r)
{
    simde__m128d f = simde_mm_set1_pd(r);
    simde__m128 lo = simde_mm_cvtpd_ps(simde_mm_mul_pd(simde_mm_cvtps_pd(v), f));
    simde__m128 hi = simde_mm_cvtpd_ps(simde_mm_mul_pd(simde_mm_cvtps_pd(simde_mm_movehl_ps(v, v)), f));
    return simde_mm_movelh_ps(lo, hi);
}

/* ------------------------------------------------------------------------------------------------ */
#elif defined(SB_ISA_AVX2)

#define SB_VW 8
#if defined(SIMDE_X86_FMA_NATIVE)
#define SB_VEC_FUSED_FMA 1
#else
#define SB_VEC_FUSED_FMA 0
#endif
typedef simde__m256 sb_vf;
typedef simde__m256i sb_vi;
typedef simde__m256 sb_vm;
typedef struct sb_vtab8 { simde__m256 t; } sb_vtab8;
typedef struct sb_vacc64 { simde__m256d lo, hi; } sb_vacc64;

static inline sb_vf sb_vf_set1(float a) { return simde_mm256_set1_ps(a); }
static inline sb_vf sb_vf_zero(void) { return simde_mm256_setzero_ps(); }
static inline sb_vf sb_vf_loadu(const float *p) { return simde_mm256_loadu_ps(p); }
static inline void sb_vf_storeu(float *p, sb_vf v) { simde_mm256_storeu_ps(p, v); }
static inline sb_vf sb_vf_add(sb_vf a, sb_vf b) { return simde_mm256_add_ps(a, b); }
static inline sb_vf sb_vf_sub(sb_vf a, sb_vf b) { return simde_mm256_sub_ps(a, b); }
static inline sb_vf sb_vf_mul(sb_vf a, sb_vf b) { return simde_mm256_mul_ps(a, b); }
static inline sb_vf sb_vf_fma(sb_vf a, sb_vf b, sb_vf c) { return simde_mm256_fmadd_ps(a, b, c); }
static inline sb_vf sb_vf_fnma(sb_vf a, sb_vf b, sb_vf c) { return simde_mm256_fnmadd_ps(a, b, c); }
static inline sb_vf sb_vf_max(sb_vf a, sb_vf b) { return simde_mm256_max_ps(a, b); }
static inline sb_vf sb_vf_min(sb_vf a, sb_vf b) { return simde_mm256_min_ps(a, b); }
static inline sb_vm sb_vf_lt(sb_vf a, sb_vf b) { return simde_mm256_cmp_ps(a, b, SIMDE_CMP_LT_OQ); }
static inline sb_vm sb_vf_le(sb_vf a, sb_vf b) { return simde_mm256_cmp_ps(a, b, SIMDE_CMP_LE_OQ); }
static inline sb_vm sb_vf_eq(sb_vf a, sb_vf b) { return simde_mm256_cmp_ps(a, b, SIMDE_CMP_EQ_OQ); }
static inline sb_vf sb_vf_select(sb_vm m, sb_vf t, sb_vf f) { return simde_mm256_blendv_ps(f, t, m); }
static inline int sb_vm_any(sb_vm m) { return simde_mm256_movemask_ps(m) != 0; }
static inline sb_vm sb_vm_first(size_t n)
{
    return simde_mm256_cmp_ps(simde_mm256_setr_ps(0, 1, 2, 3, 4, 5, 6, 7), simde_mm256_set1_ps((float)n),
                              SIMDE_CMP_LT_OQ);
}
static inline float sb_vf_reduce_max(sb_vf v) { return sb_m256_reduce_max_(v); }
static inline float sb_vf_reduce_min(sb_vf v) { return sb_m256_reduce_min_(v); }
static inline float sb_vf_reduce_add(sb_vf v) { return sb_m256_reduce_add_(v); }

static inline sb_vi sb_vf_as_vi(sb_vf v) { return simde_mm256_castps_si256(v); }
static inline sb_vf sb_vi_as_vf(sb_vi i) { return simde_mm256_castsi256_ps(i); }
static inline sb_vi sb_vi_set1(int32_t a) { return simde_mm256_set1_epi32(a); }
static inline sb_vi sb_vi_add(sb_vi a, sb_vi b) { return simde_mm256_add_epi32(a, b); }
static inline sb_vi sb_vi_sub(sb_vi a, sb_vi b) { return simde_mm256_sub_epi32(a, b); }
static inline sb_vi sb_vi_and(sb_vi a, sb_vi b) { return simde_mm256_and_si256(a, b); }
#define SB_VI_SHL(v, n) simde_mm256_slli_epi32((v), (n))
#define SB_VI_SRL(v, n) simde_mm256_srli_epi32((v), (n))

static inline sb_vtab8 sb_vtab8_load(const float t[8]) { sb_vtab8 r = {simde_mm256_loadu_ps(t)}; return r; }
static inline sb_vf sb_vtab8_lookup(const sb_vtab8 *t, sb_vi idx) { return simde_mm256_permutevar8x32_ps(t->t, idx); }

static inline sb_vacc64 sb_vacc64_zero(void)
{
    sb_vacc64 a = {simde_mm256_setzero_pd(), simde_mm256_setzero_pd()};
    return a;
}
static inline sb_vacc64 sb_vacc64_add(sb_vacc64 a, sb_vf v)
{
    a.lo = simde_mm256_add_pd(a.lo, simde_mm256_cvtps_pd(simde_mm256_castps256_ps128(v)));
    a.hi = simde_mm256_add_pd(a.hi, simde_mm256_cvtps_pd(simde_mm256_extractf128_ps(v, 1)));
    return a;
}
/* converting straight from memory saves the extract of the upper half */
static inline sb_vacc64 sb_vacc64_add_mem(sb_vacc64 a, const float *p)
{
    a.lo = simde_mm256_add_pd(a.lo, simde_mm256_cvtps_pd(simde_mm_loadu_ps(p)));
    a.hi = simde_mm256_add_pd(a.hi, simde_mm256_cvtps_pd(simde_mm_loadu_ps(p + 4)));
    return a;
}
static inline sb_vacc64 sb_vacc64_merge(sb_vacc64 a, sb_vacc64 b)
{
    a.lo = simde_mm256_add_pd(a.lo, b.lo);
    a.hi = simde_mm256_add_pd(a.hi, b.hi);
    return a;
}
static inline sb_vacc64 sb_vacc64_scale(sb_vacc64 a, double f)
{
    a.lo = simde_mm256_mul_pd(a.lo, simde_mm256_set1_pd(f));
    a.hi = simde_mm256_mul_pd(a.hi, simde_mm256_set1_pd(f));
    return a;
}
static inline double sb_vacc64_sum(sb_vacc64 a)
{
    double t[8];
    simde_mm256_storeu_pd(t, a.lo);
    simde_mm256_storeu_pd(t + 4, a.hi);
    return ((t[0] + t[1]) + (t[2] + t[3])) + ((t[4] + t[5]) + (t[6] + t[7]));
}
static inline sb_vf sb_vf_mul_f64(sb_vf v, double r)
{
    simde__m256d f = simde_mm256_set1_pd(r);
    simde__m128 lo = simde_mm256_cvtpd_ps(simde_mm256_mul_pd(simde_mm256_cvtps_pd(simde_mm256_castps256_ps128(v)), f));
    simde__m128 hi = simde_mm256_cvtpd_ps(simde_mm256_mul_pd(simde_mm256_cvtps_pd(simde_mm256_extractf128_ps(v, 1)), f));
    return simde_mm256_insertf128_ps(simde_mm256_castps128_ps256(lo), hi, 1);
}

/* ------------------------------------------------------------------------------------------------ */
#elif defined(SB_ISA_AVX512) || defined(SB_ISA_AVX512_EMULATED)

#define SB_VW 16
#if defined(SIMDE_X86_AVX512F_NATIVE) || defined(SIMDE_X86_FMA_NATIVE)
#define SB_VEC_FUSED_FMA 1 /* native, or SIMDe's emulation on two 256-bit FMAs */
#else
#define SB_VEC_FUSED_FMA 0
#endif
typedef simde__m512 sb_vf;
typedef simde__m512i sb_vi;
typedef simde__mmask16 sb_vm;
typedef struct sb_vtab8 { simde__m512 t; } sb_vtab8; /* 8 entries, twice: vpermps uses 4 index bits */
typedef struct sb_vacc64 { simde__m512d lo, hi; } sb_vacc64;

static inline sb_vf sb_vf_set1(float a) { return simde_mm512_set1_ps(a); }
static inline sb_vf sb_vf_zero(void) { return simde_mm512_setzero_ps(); }
static inline sb_vf sb_vf_loadu(const float *p) { return simde_mm512_loadu_ps(p); }
static inline void sb_vf_storeu(float *p, sb_vf v) { simde_mm512_storeu_ps(p, v); }
static inline sb_vf sb_vf_add(sb_vf a, sb_vf b) { return simde_mm512_add_ps(a, b); }
static inline sb_vf sb_vf_sub(sb_vf a, sb_vf b) { return simde_mm512_sub_ps(a, b); }
static inline sb_vf sb_vf_mul(sb_vf a, sb_vf b) { return simde_mm512_mul_ps(a, b); }
static inline sb_vf sb_vf_fma(sb_vf a, sb_vf b, sb_vf c) { return simde_mm512_fmadd_ps(a, b, c); }
static inline sb_vf sb_vf_fnma(sb_vf a, sb_vf b, sb_vf c) { return simde_mm512_fnmadd_ps(a, b, c); }
static inline sb_vf sb_vf_max(sb_vf a, sb_vf b) { return simde_mm512_max_ps(a, b); }
static inline sb_vf sb_vf_min(sb_vf a, sb_vf b) { return simde_mm512_min_ps(a, b); }
static inline sb_vm sb_vf_lt(sb_vf a, sb_vf b) { return simde_mm512_cmp_ps_mask(a, b, SIMDE_CMP_LT_OQ); }
static inline sb_vm sb_vf_le(sb_vf a, sb_vf b) { return simde_mm512_cmp_ps_mask(a, b, SIMDE_CMP_LE_OQ); }
static inline sb_vm sb_vf_eq(sb_vf a, sb_vf b) { return simde_mm512_cmp_ps_mask(a, b, SIMDE_CMP_EQ_OQ); }
static inline sb_vf sb_vf_select(sb_vm m, sb_vf t, sb_vf f) { return simde_mm512_mask_blend_ps(m, f, t); }
static inline int sb_vm_any(sb_vm m) { return m != 0; }
static inline sb_vm sb_vm_first(size_t n) { return (sb_vm)(n >= 16 ? 0xFFFFu : ((1u << n) - 1u)); }
static inline simde__m256 sb_vf_hi256_(sb_vf v)
{
    return simde_mm256_castpd_ps(simde_mm512_extractf64x4_pd(simde_mm512_castps_pd(v), 1));
}
/* SIMDe 0.7.4 has no _mm512_reduce_*_ps: halve to 256 bits, then as AVX. */
static inline float sb_vf_reduce_max(sb_vf v)
{
    return sb_m256_reduce_max_(simde_mm256_max_ps(simde_mm512_castps512_ps256(v), sb_vf_hi256_(v)));
}
static inline float sb_vf_reduce_min(sb_vf v)
{
    return sb_m256_reduce_min_(simde_mm256_min_ps(simde_mm512_castps512_ps256(v), sb_vf_hi256_(v)));
}
static inline float sb_vf_reduce_add(sb_vf v)
{
    return sb_m256_reduce_add_(simde_mm256_add_ps(simde_mm512_castps512_ps256(v), sb_vf_hi256_(v)));
}

static inline sb_vi sb_vf_as_vi(sb_vf v) { return simde_mm512_castps_si512(v); }
static inline sb_vf sb_vi_as_vf(sb_vi i) { return simde_mm512_castsi512_ps(i); }
static inline sb_vi sb_vi_set1(int32_t a) { return simde_mm512_set1_epi32(a); }
static inline sb_vi sb_vi_add(sb_vi a, sb_vi b) { return simde_mm512_add_epi32(a, b); }
static inline sb_vi sb_vi_sub(sb_vi a, sb_vi b) { return simde_mm512_sub_epi32(a, b); }
static inline sb_vi sb_vi_and(sb_vi a, sb_vi b) { return simde_mm512_and_si512(a, b); }
#define SB_VI_SHL(v, n) simde_mm512_slli_epi32((v), (n))
#define SB_VI_SRL(v, n) simde_mm512_srli_epi32((v), (n))

static inline sb_vtab8 sb_vtab8_load(const float t[8])
{
    float d[16];
    memcpy(d, t, 8 * sizeof(float));
    memcpy(d + 8, t, 8 * sizeof(float));
    sb_vtab8 r = {simde_mm512_loadu_ps(d)};
    return r;
}
static inline sb_vf sb_vtab8_lookup(const sb_vtab8 *t, sb_vi idx) { return simde_mm512_permutexvar_ps(idx, t->t); }

/* SIMDe 0.7.4 has no _mm512_cvtps_pd: convert the two 256-bit halves. */
static inline simde__m512d sb_vf_cvt_pd_(simde__m256 h)
{
#if defined(SIMDE_X86_AVX512F_NATIVE)
    return _mm512_cvtps_pd(h);
#else
    simde__m512d r = simde_mm512_castpd256_pd512(simde_mm256_cvtps_pd(simde_mm256_castps256_ps128(h)));
    return simde_mm512_insertf64x4(r, simde_mm256_cvtps_pd(simde_mm256_extractf128_ps(h, 1)), 1);
#endif
}
static inline sb_vacc64 sb_vacc64_zero(void)
{
    sb_vacc64 a = {simde_mm512_setzero_pd(), simde_mm512_setzero_pd()};
    return a;
}
static inline sb_vacc64 sb_vacc64_add(sb_vacc64 a, sb_vf v)
{
    a.lo = simde_mm512_add_pd(a.lo, sb_vf_cvt_pd_(simde_mm512_castps512_ps256(v)));
    a.hi = simde_mm512_add_pd(a.hi, sb_vf_cvt_pd_(sb_vf_hi256_(v)));
    return a;
}
static inline sb_vacc64 sb_vacc64_add_mem(sb_vacc64 a, const float *p)
{
    a.lo = simde_mm512_add_pd(a.lo, sb_vf_cvt_pd_(simde_mm256_loadu_ps(p)));
    a.hi = simde_mm512_add_pd(a.hi, sb_vf_cvt_pd_(simde_mm256_loadu_ps(p + 8)));
    return a;
}
static inline sb_vacc64 sb_vacc64_merge(sb_vacc64 a, sb_vacc64 b)
{
    a.lo = simde_mm512_add_pd(a.lo, b.lo);
    a.hi = simde_mm512_add_pd(a.hi, b.hi);
    return a;
}
static inline sb_vacc64 sb_vacc64_scale(sb_vacc64 a, double f)
{
    a.lo = simde_mm512_mul_pd(a.lo, simde_mm512_set1_pd(f));
    a.hi = simde_mm512_mul_pd(a.hi, simde_mm512_set1_pd(f));
    return a;
}
static inline double sb_vacc64_sum(sb_vacc64 a)
{
    double t[16], s = 0.0;
    simde_mm512_storeu_pd(t, a.lo);
    simde_mm512_storeu_pd(t + 8, a.hi);
    for (int i = 0; i < 16; i += 2)
        s += t[i] + t[i + 1];
    return s;
}
static inline sb_vf sb_vf_mul_f64(sb_vf v, double r)
{
    float t[16];
    sb_vf_storeu(t, v);
    for (int i = 0; i < 16; i++)
        t[i] = (float)((double)t[i] * r);
    return sb_vf_loadu(t);
}

/* ------------------------------------------------------------------------------------------------ */
#elif defined(SB_ISA_NEON)

#include <simde/arm/neon.h>
#define SB_VW 4
#if (defined(SIMDE_ARM_NEON_A32V7_NATIVE) && defined(__ARM_FEATURE_FMA)) || defined(SIMDE_X86_FMA_NATIVE)
#define SB_VEC_FUSED_FMA 1
#else
#define SB_VEC_FUSED_FMA 0 /* SIMDe emulates vfmaq_f32 as a multiply and an add */
#endif
typedef simde_float32x4_t sb_vf;
typedef simde_uint32x4_t sb_vi;
typedef simde_uint32x4_t sb_vm;
typedef struct sb_vtab8 { simde_uint8x16x2_t t; } sb_vtab8;
typedef struct sb_vacc64 { simde_float64x2_t lo, hi; } sb_vacc64;

static inline sb_vf sb_vf_set1(float a) { return simde_vdupq_n_f32(a); }
static inline sb_vf sb_vf_zero(void) { return simde_vdupq_n_f32(0.0f); }
static inline sb_vf sb_vf_loadu(const float *p) { return simde_vld1q_f32(p); }
static inline void sb_vf_storeu(float *p, sb_vf v) { simde_vst1q_f32(p, v); }
static inline sb_vf sb_vf_add(sb_vf a, sb_vf b) { return simde_vaddq_f32(a, b); }
static inline sb_vf sb_vf_sub(sb_vf a, sb_vf b) { return simde_vsubq_f32(a, b); }
static inline sb_vf sb_vf_mul(sb_vf a, sb_vf b) { return simde_vmulq_f32(a, b); }
static inline sb_vf sb_vf_fma(sb_vf a, sb_vf b, sb_vf c) { return simde_vfmaq_f32(c, a, b); }
static inline sb_vf sb_vf_fnma(sb_vf a, sb_vf b, sb_vf c) { return simde_vfmaq_f32(c, simde_vnegq_f32(a), b); }
static inline sb_vf sb_vf_max(sb_vf a, sb_vf b) { return simde_vmaxq_f32(a, b); }
static inline sb_vf sb_vf_min(sb_vf a, sb_vf b) { return simde_vminq_f32(a, b); }
static inline sb_vm sb_vf_lt(sb_vf a, sb_vf b) { return simde_vcltq_f32(a, b); }
static inline sb_vm sb_vf_le(sb_vf a, sb_vf b) { return simde_vcleq_f32(a, b); }
static inline sb_vm sb_vf_eq(sb_vf a, sb_vf b) { return simde_vceqq_f32(a, b); }
static inline sb_vf sb_vf_select(sb_vm m, sb_vf t, sb_vf f) { return simde_vbslq_f32(m, t, f); }
static inline int sb_vm_any(sb_vm m) { return simde_vmaxvq_u32(m) != 0; }
static inline sb_vm sb_vm_first(size_t n)
{
    static const uint32_t iota[4] = {0, 1, 2, 3};
    return simde_vcltq_u32(simde_vld1q_u32(iota), simde_vdupq_n_u32((uint32_t)(n > 4 ? 4 : n)));
}
static inline float sb_vf_reduce_max(sb_vf v) { return simde_vmaxvq_f32(v); }
static inline float sb_vf_reduce_min(sb_vf v) { return simde_vminvq_f32(v); }
static inline float sb_vf_reduce_add(sb_vf v)
{
    simde_float32x2_t h = simde_vadd_f32(simde_vget_low_f32(v), simde_vget_high_f32(v));
    return simde_vget_lane_f32(h, 0) + simde_vget_lane_f32(h, 1);
}

static inline sb_vi sb_vf_as_vi(sb_vf v) { return simde_vreinterpretq_u32_f32(v); }
static inline sb_vf sb_vi_as_vf(sb_vi i) { return simde_vreinterpretq_f32_u32(i); }
static inline sb_vi sb_vi_set1(int32_t a) { return simde_vdupq_n_u32((uint32_t)a); }
static inline sb_vi sb_vi_add(sb_vi a, sb_vi b) { return simde_vaddq_u32(a, b); }
static inline sb_vi sb_vi_sub(sb_vi a, sb_vi b) { return simde_vsubq_u32(a, b); }
static inline sb_vi sb_vi_and(sb_vi a, sb_vi b) { return simde_vandq_u32(a, b); }
#define SB_VI_SHL(v, n) simde_vshlq_n_u32((v), (n))
#define SB_VI_SRL(v, n) simde_vshrq_n_u32((v), (n))

/* A byte table lookup: lane i reads bytes 4j..4j+3 of the 32-byte table, j = idx & 7. */
static inline sb_vtab8 sb_vtab8_load(const float t[8])
{
    sb_vtab8 r;
    r.t.val[0] = simde_vld1q_u8((const uint8_t *)(const void *)t);
    r.t.val[1] = simde_vld1q_u8((const uint8_t *)(const void *)(t + 4));
    return r;
}
static inline sb_vf sb_vtab8_lookup(const sb_vtab8 *t, sb_vi idx)
{
    sb_vi b = SB_VI_SHL(simde_vandq_u32(idx, simde_vdupq_n_u32(7)), 2);
    b = simde_vmlaq_u32(simde_vdupq_n_u32(0x03020100u), b, simde_vdupq_n_u32(0x01010101u));
    return simde_vreinterpretq_f32_u8(simde_vqtbl2q_u8(t->t, simde_vreinterpretq_u8_u32(b)));
}

static inline sb_vacc64 sb_vacc64_zero(void)
{
    sb_vacc64 a = {simde_vdupq_n_f64(0.0), simde_vdupq_n_f64(0.0)};
    return a;
}
static inline sb_vacc64 sb_vacc64_add(sb_vacc64 a, sb_vf v)
{
    a.lo = simde_vaddq_f64(a.lo, simde_vcvt_f64_f32(simde_vget_low_f32(v)));
    a.hi = simde_vaddq_f64(a.hi, simde_vcvt_f64_f32(simde_vget_high_f32(v)));
    return a;
}
static inline sb_vacc64 sb_vacc64_add_mem(sb_vacc64 a, const float *p) { return sb_vacc64_add(a, sb_vf_loadu(p)); }
static inline sb_vacc64 sb_vacc64_merge(sb_vacc64 a, sb_vacc64 b)
{
    a.lo = simde_vaddq_f64(a.lo, b.lo);
    a.hi = simde_vaddq_f64(a.hi, b.hi);
    return a;
}
static inline sb_vacc64 sb_vacc64_scale(sb_vacc64 a, double f)
{
    a.lo = simde_vmulq_n_f64(a.lo, f);
    a.hi = simde_vmulq_n_f64(a.hi, f);
    return a;
}
static inline double sb_vacc64_sum(sb_vacc64 a)
{
    return (simde_vgetq_lane_f64(a.lo, 0) + simde_vgetq_lane_f64(a.lo, 1)) +
           (simde_vgetq_lane_f64(a.hi, 0) + simde_vgetq_lane_f64(a.hi, 1));
}
static inline sb_vf sb_vf_mul_f64(sb_vf v, double r)
{
    simde_float64x2_t lo = simde_vmulq_n_f64(simde_vcvt_f64_f32(simde_vget_low_f32(v)), r);
    simde_float64x2_t hi = simde_vmulq_n_f64(simde_vcvt_f64_f32(simde_vget_high_f32(v)), r);
    return simde_vcombine_f32(simde_vcvt_f32_f64(lo), simde_vcvt_f32_f64(hi));
}

#endif

/* ------------------------------------------------------------------------------------------------ */
/* Generic pieces. Tails go through a small buffer, which never reads or writes past the row on any
 * ISA (masked loads are not in SIMDe 0.7.4 for AVX-512, and emulated masked loads may read the
 * whole vector). */
static inline sb_vf sb_vf_load_part(const float *p, size_t n, float fill)
{
    float buf[SB_VW];
    for (size_t i = 0; i < SB_VW; i++)
        buf[i] = i < n ? p[i] : fill;
    return sb_vf_loadu(buf);
}

static inline void sb_vf_store_part(float *p, sb_vf v, size_t n)
{
    float buf[SB_VW];
    sb_vf_storeu(buf, v);
    for (size_t i = 0; i < n && i < SB_VW; i++)
        p[i] = buf[i];
}

#endif
