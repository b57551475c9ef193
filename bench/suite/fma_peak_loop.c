/* The roofline's compute side: the multiply-add peak of one core, compiled once per ISA
 * (sinkbench_add_isa_objects) on the same vector layer as the kernels (kernels/simd/vec.h), so the
 * peak is that of the instructions the kernels use: a fused multiply-add where the ISA has one
 * (AVX2 + FMA, AVX-512, NEON on aarch64), a multiply and an add elsewhere (SSE2, scalar x86).
 *
 * Registers only: ACC independent chains acc = acc * a + b (a < 1, so every chain converges to
 * b / (1 - a) without overflow or subnormals), enough chains to cover the FMA latency times the
 * number of FMA pipes of current cores (4 cycles x 2 pipes on Zen 4: 8 in flight). Each step is
 * 2 flops per lane. The arguments come at run time, so nothing folds. */
#include <stdint.h>

#include "simd/vec.h"

#define FMA_LOOP SB_ISA_SYMBOL(sb_bench_fma_loop)
#define FMA_FLOPS SB_ISA_SYMBOL(sb_bench_fma_flops)

#define ACC 12
#define STEPS 64

/* Flops of one repetition of the loop. */
double FMA_FLOPS(void);
double FMA_FLOPS(void) { return 2.0 * SB_VW * ACC * STEPS; }

float FMA_LOOP(uint64_t reps, float a, float b);
float FMA_LOOP(uint64_t reps, float a, float b)
{
    sb_vf va = sb_vf_set1(a), vb = sb_vf_set1(b);
    sb_vf acc[ACC];
    for (int i = 0; i < ACC; i++)
        acc[i] = sb_vf_set1((float)i);
    for (uint64_t r = 0; r < reps; r++)
        for (int s = 0; s < STEPS; s++)
            for (int i = 0; i < ACC; i++)
                acc[i] = sb_vf_fma(acc[i], va, vb);
    sb_vf sum = acc[0];
    for (int i = 1; i < ACC; i++)
        sum = sb_vf_add(sum, acc[i]);
    return sb_vf_reduce_add(sum);
}
