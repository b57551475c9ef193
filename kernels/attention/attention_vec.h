/* What the attention kernels need on top of simd/vec.h: loading 16-bit KV storage as binary32
 * vectors (exact conversions), and four horizontal sums at once. Per ISA, like vec.h; include it
 * from a translation unit built by sinkbench_add_isa_objects().
 *
 *   sb_vf_load_f16(p)      SB_VW binary16 values from p (any alignment), exactly as binary32
 *   sb_vf_load_bf16(p)     SB_VW bfloat16 values from p, exactly as binary32 (a 16-bit shift)
 *   sb_vf_hsum4(a, b, c, d, out)   out[0..3] = the lane sums of a, b, c, d (binary32, pairwise)
 *   SB_VF_PIN(v)           makes the compiler hold v in a register here (an empty asm statement), so that
 *                          a vector used by several FMAs is loaded once instead of being folded into
 *                          each of them as a memory operand; no code, and a no-op for SIMDe emulations
 *
 * f16: F16C's vcvtph2ps on AVX2 and AVX-512 (the ISA flags include -mf16c); SIMDe's portable
 * conversion on SSE2; NEON's vcvt_f32_f16 (native on aarch64). bf16 needs no special instruction
 * (AVX-512 BF16 only adds binary32 -> bf16 conversion and bf16 dot products, which would round q). */
#ifndef SINKBENCH_ATTENTION_VEC_H
#define SINKBENCH_ATTENTION_VEC_H

#include <stdint.h>
#include <string.h>

#include "simd/vec.h"

#if defined(__GNUC__) && (defined(SB_ISA_SSE2) || defined(SB_ISA_AVX2)) && defined(__x86_64__)
#define SB_VF_PIN(v) __asm__("" : "+x"(v))
#elif defined(__GNUC__) && defined(SB_ISA_AVX512) && defined(__x86_64__)
#define SB_VF_PIN(v) __asm__("" : "+v"(v))
#elif defined(__GNUC__) && defined(SB_ISA_NEON) && defined(__aarch64__)
#define SB_VF_PIN(v) __asm__("" : "+w"(v))
#else
#define SB_VF_PIN(v) ((void)0)
#endif

#if defined(SB_ISA_SCALAR)

#include "sinkbench/convert.h"
static inline sb_vf sb_vf_load_f16(const uint16_t *p) { return sb_f16_to_f32(*p); }
static inline sb_vf sb_vf_load_bf16(const uint16_t *p) { return sb_bf16_to_f32(*p); }
static inline void sb_vf_hsum4(sb_vf a, sb_vf b, sb_vf c, sb_vf d, float out[4])
{
    out[0] = a;
    out[1] = b;
    out[2] = c;
    out[3] = d;
}

#elif defined(SB_ISA_SSE2)

#include <simde/x86/f16c.h>
static inline sb_vf sb_vf_load_f16(const uint16_t *p)
{
    return simde_mm_cvtph_ps(simde_mm_loadl_epi64((const simde__m128i *)(const void *)p));
}
static inline sb_vf sb_vf_load_bf16(const uint16_t *p)
{
    simde__m128i h = simde_mm_loadl_epi64((const simde__m128i *)(const void *)p);
    return simde_mm_castsi128_ps(simde_mm_unpacklo_epi16(simde_mm_setzero_si128(), h));
}
static inline void sb_vf_hsum4(sb_vf a, sb_vf b, sb_vf c, sb_vf d, float out[4])
{
    /* transpose, then add the four rows: lane i of the result is the sum of vector i */
    simde__m128 t0 = simde_mm_unpacklo_ps(a, b), t1 = simde_mm_unpacklo_ps(c, d);
    simde__m128 t2 = simde_mm_unpackhi_ps(a, b), t3 = simde_mm_unpackhi_ps(c, d);
    simde__m128 s0 = simde_mm_add_ps(simde_mm_movelh_ps(t0, t1), simde_mm_movehl_ps(t1, t0));
    simde__m128 s1 = simde_mm_add_ps(simde_mm_movelh_ps(t2, t3), simde_mm_movehl_ps(t3, t2));
    simde_mm_storeu_ps(out, simde_mm_add_ps(s0, s1));
}

#elif defined(SB_ISA_AVX2)

#include <simde/x86/f16c.h>
static inline sb_vf sb_vf_load_f16(const uint16_t *p)
{
    return simde_mm256_cvtph_ps(simde_mm_loadu_si128((const simde__m128i *)(const void *)p));
}
static inline sb_vf sb_vf_load_bf16(const uint16_t *p)
{
    simde__m256i w = simde_mm256_cvtepu16_epi32(simde_mm_loadu_si128((const simde__m128i *)(const void *)p));
    return simde_mm256_castsi256_ps(simde_mm256_slli_epi32(w, 16));
}
static inline void sb_vf_hsum4(sb_vf a, sb_vf b, sb_vf c, sb_vf d, float out[4])
{
    simde__m256 ab = simde_mm256_hadd_ps(a, b), cd = simde_mm256_hadd_ps(c, d);
    simde__m256 abcd = simde_mm256_hadd_ps(ab, cd); /* per 128-bit half: a b c d partial sums */
    simde_mm_storeu_ps(out, simde_mm_add_ps(simde_mm256_castps256_ps128(abcd), simde_mm256_extractf128_ps(abcd, 1)));
}

#elif defined(SB_ISA_AVX512) || defined(SB_ISA_AVX512_EMULATED)

#include <simde/x86/f16c.h>
static inline simde__m512 sb_attention_join256_(simde__m256 lo, simde__m256 hi)
{
    return simde_mm512_insertf32x8(simde_mm512_castps256_ps512(lo), hi, 1);
}
static inline sb_vf sb_vf_load_f16(const uint16_t *p)
{
    const simde__m128i *q = (const simde__m128i *)(const void *)p;
    return sb_attention_join256_(simde_mm256_cvtph_ps(simde_mm_loadu_si128(q)), simde_mm256_cvtph_ps(simde_mm_loadu_si128(q + 1)));
}
static inline simde__m256 sb_attention_bf16x8_(const uint16_t *p)
{
    simde__m256i w = simde_mm256_cvtepu16_epi32(simde_mm_loadu_si128((const simde__m128i *)(const void *)p));
    return simde_mm256_castsi256_ps(simde_mm256_slli_epi32(w, 16));
}
static inline sb_vf sb_vf_load_bf16(const uint16_t *p) { return sb_attention_join256_(sb_attention_bf16x8_(p), sb_attention_bf16x8_(p + 8)); }
static inline simde__m256 sb_attention_fold256_(sb_vf v)
{
    simde__m256 hi = simde_mm256_castpd_ps(simde_mm512_extractf64x4_pd(simde_mm512_castps_pd(v), 1));
    return simde_mm256_add_ps(simde_mm512_castps512_ps256(v), hi);
}
static inline void sb_vf_hsum4(sb_vf a, sb_vf b, sb_vf c, sb_vf d, float out[4])
{
    simde__m256 ab = simde_mm256_hadd_ps(sb_attention_fold256_(a), sb_attention_fold256_(b));
    simde__m256 cd = simde_mm256_hadd_ps(sb_attention_fold256_(c), sb_attention_fold256_(d));
    simde__m256 abcd = simde_mm256_hadd_ps(ab, cd);
    simde_mm_storeu_ps(out, simde_mm_add_ps(simde_mm256_castps256_ps128(abcd), simde_mm256_extractf128_ps(abcd, 1)));
}

#elif defined(SB_ISA_NEON)

static inline sb_vf sb_vf_load_f16(const uint16_t *p)
{
    return simde_vcvt_f32_f16(simde_vreinterpret_f16_u16(simde_vld1_u16(p)));
}
static inline sb_vf sb_vf_load_bf16(const uint16_t *p)
{
    /* widen, then shift: SIMDe's vshll_n_u16 refuses a shift of 16 under clang (diagnose_if: n in
     * [1, 15]), which broke every clang build (AFL++, libFuzzer, ClusterFuzzLite) */
    return simde_vreinterpretq_f32_u32(simde_vshlq_n_u32(simde_vmovl_u16(simde_vld1_u16(p)), 16));
}
static inline void sb_vf_hsum4(sb_vf a, sb_vf b, sb_vf c, sb_vf d, float out[4])
{
    simde_vst1q_f32(out, simde_vpaddq_f32(simde_vpaddq_f32(a, b), simde_vpaddq_f32(c, d)));
}

#endif
#endif
