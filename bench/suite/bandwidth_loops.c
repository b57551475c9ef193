/* The memory-bandwidth loops of the roofline, compiled once per ISA (sinkbench_add_isa_objects) so
 * the widest loads and stores this CPU has are used: L1 and L2 bandwidth depend on the vector width,
 * not only on the memory system. GCC vector extensions keep the source one for every width. The
 * copy loop is built with -fno-tree-loop-distribute-patterns so it stays a loop, not a memcpy call. */
#include <stddef.h>
#include <stdint.h>

#define SB_CAT2(a, b) a##b
#define SB_CAT(a, b) SB_CAT2(a, b)
#define READ_FN SB_CAT(sb_bench_read, SB_ISA_SUFFIX)
#define COPY_FN SB_CAT(sb_bench_copy, SB_ISA_SUFFIX)

#if defined(SB_ISA_AVX512)
#define VBYTES 64
#elif defined(SB_ISA_AVX2)
#define VBYTES 32
#else
#define VBYTES 16
#endif
#define LANES (VBYTES / 4)

typedef uint32_t vu __attribute__((vector_size(VBYTES), may_alias, aligned(VBYTES)));

/* XOR of every 32-bit word of p[0..count): reads every byte once; count is a multiple of 16 floats
 * and p is 64-byte aligned (bench_buffers.c). */
uint32_t READ_FN(const float *p, size_t count);
uint32_t READ_FN(const float *p, size_t count)
{
    const vu *v = (const vu *)(const void *)p;
    size_t nv = count / LANES, i = 0;
    vu a = {0}, b = {0}, c = {0}, d = {0};
    for (; i + 4 <= nv; i += 4) {
        a ^= v[i];
        b ^= v[i + 1];
        c ^= v[i + 2];
        d ^= v[i + 3];
    }
    for (; i < nv; i++)
        a ^= v[i];
    a ^= b ^ c ^ d;
    uint32_t r = 0;
    for (int k = 0; k < LANES; k++)
        r ^= a[k];
    return r;
}

void COPY_FN(float *dst, const float *src, size_t count);
void COPY_FN(float *dst, const float *src, size_t count)
{
    vu *o = (vu *)(void *)dst;
    const vu *v = (const vu *)(const void *)src;
    size_t nv = count / LANES, i = 0;
    for (; i + 4 <= nv; i += 4) {
        vu a = v[i], b = v[i + 1], c = v[i + 2], d = v[i + 3];
        o[i] = a;
        o[i + 1] = b;
        o[i + 2] = c;
        o[i + 3] = d;
    }
    for (; i < nv; i++)
        o[i] = v[i];
}
