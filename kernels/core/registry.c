/* The one table every tool iterates: tests, benchmarks, fuzzers, reports and the CLI.
 * Adding a kernel is one line in builtin[]. */
#include <string.h>

#include "core/kernel_decls.h"
#include "sinkbench/cpu.h"
#include "sinkbench/softmax.h"

static const sb_softmax_kernel builtin[] = {
    /* name                     isa       algorithm    supported               fn                         ulp  flags */
    {"softmax_reference_f64", "scalar", "reference", sb_cpu_supports_scalar, sb_softmax_reference_f64, 1.0, 0},
    {"softmax_scalar_f32",    "scalar", "textbook",  sb_cpu_supports_scalar, sb_softmax_scalar_f32,   66.0, 0},
    {"softmax_naive_f32",     "scalar", "naive",     sb_cpu_supports_scalar, sb_softmax_naive_f32,    -1.0, 0},
    /* kernels/simd/ (docs/kernels.md; bounds proved in docs/numerics.md) */
#define SB_SIMD_SOFTMAX(isa, isa_name, supported, flags)                                                         \
    {"softmax_three_pass_" #isa, isa_name, "three_pass", supported, sb_softmax_three_pass_##isa, 2.0, flags}, \
    {"softmax_online_" #isa, isa_name, "online", supported, sb_softmax_online_##isa, 1.0, flags},            \
    {"softmax_chunked_" #isa, isa_name, "chunked", supported, sb_softmax_chunked_##isa, 2.0, flags},
    SB_SIMD_SOFTMAX(scalar, "scalar", sb_cpu_supports_scalar, 0)
#if defined(SB_HAVE_ISA_SSE2)
    SB_SIMD_SOFTMAX(sse2, "sse2", sb_cpu_supports_sse2, 0)
#endif
#if defined(SB_HAVE_ISA_AVX2)
    SB_SIMD_SOFTMAX(avx2, "avx2", sb_cpu_supports_avx2, 0)
#endif
#if defined(SB_HAVE_ISA_AVX512)
    SB_SIMD_SOFTMAX(avx512, "avx512", sb_cpu_supports_avx512, 0)
#endif
#if defined(SB_HAVE_ISA_AVX512_EMULATED)
    SB_SIMD_SOFTMAX(avx512_emulated, "avx512", sb_cpu_supports_avx2, SB_KERNEL_EMULATED)
#endif
#if defined(SB_HAVE_ISA_NEON) && defined(__aarch64__)
    SB_SIMD_SOFTMAX(neon, "neon", sb_cpu_supports_neon, 0)
#elif defined(SB_HAVE_ISA_NEON)
    SB_SIMD_SOFTMAX(neon, "neon", sb_cpu_supports_scalar, SB_KERNEL_EMULATED)
#endif
#undef SB_SIMD_SOFTMAX
};

#define BUILTIN_COUNT (sizeof builtin / sizeof builtin[0])
#define MAX_REGISTERED 256

static sb_softmax_kernel registered[MAX_REGISTERED];
static size_t registered_count;

size_t sb_softmax_kernel_count(void) { return BUILTIN_COUNT + registered_count; }

const sb_softmax_kernel *sb_softmax_kernel_at(size_t i)
{
    if (i < BUILTIN_COUNT)
        return &builtin[i];
    i -= BUILTIN_COUNT;
    return i < registered_count ? &registered[i] : NULL;
}

const sb_softmax_kernel *sb_softmax_kernel_find(const char *name)
{
    if (!name)
        return NULL;
    for (size_t i = 0; i < sb_softmax_kernel_count(); i++) {
        const sb_softmax_kernel *k = sb_softmax_kernel_at(i);
        if (strcmp(k->name, name) == 0)
            return k;
    }
    return NULL;
}

sb_status sb_softmax_register(const sb_softmax_kernel *k)
{
    if (!k || !k->name || !k->isa || !k->algorithm || !k->supported || !k->fn || !k->name[0])
        return SB_EINVAL;
    if (sb_softmax_kernel_find(k->name))
        return SB_EINVAL;
    if (registered_count == MAX_REGISTERED)
        return SB_ENOMEM;
    registered[registered_count] = *k;
    registered[registered_count].flags |= SB_KERNEL_PLUGIN;
    registered_count++;
    return SB_OK;
}
