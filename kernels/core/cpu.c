/* CPU feature detection for runtime dispatch. Baseline flags only: this file must run everywhere. */
#include "sinkbench/cpu.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#define SB_X86 1
#elif defined(__aarch64__)
#include <sys/auxv.h>
#define SB_AARCH64 1
#endif

static sb_cpu_info g_cpu;
static pthread_once_t g_cpu_once = PTHREAD_ONCE_INIT;

#ifdef SB_X86
static unsigned long long read_xcr0(void)
{
    unsigned eax, edx;
    __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
    return ((unsigned long long)edx << 32) | eax;
}

static void detect_x86(sb_cpu_info *c)
{
    unsigned a, b, cx, d, max_leaf;
    c->arch = "x86_64";
    if (!__get_cpuid(0, &max_leaf, &b, &cx, &d))
        return;
    memcpy(c->vendor, &b, 4);
    memcpy(c->vendor + 4, &d, 4);
    memcpy(c->vendor + 8, &cx, 4);
    c->vendor[12] = 0;

    unsigned ext_max = __get_cpuid_max(0x80000000u, NULL);
    if (ext_max >= 0x80000004u) {
        unsigned regs[12];
        for (unsigned i = 0; i < 3; i++)
            __get_cpuid(0x80000002u + i, &regs[4 * i], &regs[4 * i + 1], &regs[4 * i + 2], &regs[4 * i + 3]);
        char brand[49];
        memcpy(brand, regs, 48);
        brand[48] = 0;
        const char *s = brand;
        while (*s == ' ')
            s++;
        snprintf(c->model, sizeof c->model, "%s", s);
        for (size_t n = strlen(c->model); n > 0 && c->model[n - 1] == ' '; n--)
            c->model[n - 1] = 0;
    }

    __get_cpuid(1, &a, &b, &cx, &d);
    unsigned f = 0;
    if (d & bit_SSE2) f |= SB_CPU_SSE2;
    if (cx & bit_SSE4_1) f |= SB_CPU_SSE41;
    int osxsave = (cx & bit_OSXSAVE) != 0;
    unsigned long long xcr0 = osxsave ? read_xcr0() : 0;
    int os_avx = (xcr0 & 0x6) == 0x6;        /* XMM and YMM state */
    int os_avx512 = (xcr0 & 0xe6) == 0xe6;   /* plus opmask and ZMM state */
    if (os_avx) {
        if (cx & bit_AVX) f |= SB_CPU_AVX;
        if (cx & bit_FMA) f |= SB_CPU_FMA;
        if (cx & bit_F16C) f |= SB_CPU_F16C;
    }
    if (max_leaf >= 7) {
        unsigned a7, b7, c7, d7;
        __cpuid_count(7, 0, a7, b7, c7, d7);
        if (os_avx && (b7 & bit_AVX2)) f |= SB_CPU_AVX2;
        if (os_avx512) {
            if (b7 & bit_AVX512F) f |= SB_CPU_AVX512F;
            if (b7 & bit_AVX512BW) f |= SB_CPU_AVX512BW;
            if (b7 & bit_AVX512DQ) f |= SB_CPU_AVX512DQ;
            if (b7 & bit_AVX512VL) f |= SB_CPU_AVX512VL;
            if (d7 & (1u << 23)) f |= SB_CPU_AVX512FP16;
            unsigned a71, b71, c71, d71;
            __cpuid_count(7, 1, a71, b71, c71, d71);
            if (a71 & (1u << 5)) f |= SB_CPU_AVX512BF16;
        }
    }
    c->features = f;
}
#endif

#ifdef SB_AARCH64
#ifndef HWCAP_ASIMD
#define HWCAP_ASIMD (1 << 1)
#endif
#ifndef HWCAP_ASIMDHP
#define HWCAP_ASIMDHP (1 << 10)
#endif
#ifndef HWCAP2_BF16
#define HWCAP2_BF16 (1 << 14)
#endif
static void detect_aarch64(sb_cpu_info *c)
{
    c->arch = "aarch64";
    unsigned long hw = getauxval(AT_HWCAP), hw2 = getauxval(AT_HWCAP2);
    if (hw & HWCAP_ASIMD) c->features |= SB_CPU_NEON;
    if (hw & HWCAP_ASIMDHP) c->features |= SB_CPU_NEON_FP16;
    if (hw2 & HWCAP2_BF16) c->features |= SB_CPU_NEON_BF16;
    snprintf(c->vendor, sizeof c->vendor, "arm");
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (f) {
        char line[256];
        unsigned implementer = 0, part = 0;
        while (fgets(line, sizeof line, f)) {
            sscanf(line, "CPU implementer : %x", &implementer);
            sscanf(line, "CPU part : %x", &part);
            /* qemu-user shows the host's /proc/cpuinfo: an x86 host's has vendor_id lines */
            if (strncmp(line, "vendor_id", 9) == 0)
                c->emulated = 1;
        }
        fclose(f);
        if (c->emulated)
            snprintf(c->model, sizeof c->model, "emulated (qemu-user on another architecture)");
        else if (implementer || part)
            snprintf(c->model, sizeof c->model, "implementer 0x%02x part 0x%03x", implementer, part);
    }
}
#endif

static void detect(void)
{
    memset(&g_cpu, 0, sizeof g_cpu);
    snprintf(g_cpu.model, sizeof g_cpu.model, "unknown");
#if defined(SB_X86)
    detect_x86(&g_cpu);
#elif defined(SB_AARCH64)
    detect_aarch64(&g_cpu);
#else
    g_cpu.arch = "unknown";
#endif
}

const sb_cpu_info *sb_cpu(void)
{
    pthread_once(&g_cpu_once, detect);
    return &g_cpu;
}

int sb_cpu_has(unsigned mask) { return (sb_cpu()->features & mask) == mask; }

void sb_cpu_feature_string(unsigned mask, char *buf, size_t size)
{
    static const char *const names[] = {"sse2", "sse4.1", "avx", "avx2", "fma", "f16c", "avx512f",
                                        "avx512bw", "avx512dq", "avx512vl", "avx512bf16", "avx512fp16",
                                        "neon", "neon-fp16", "neon-bf16"};
    size_t used = 0;
    if (size == 0)
        return;
    buf[0] = 0;
    for (unsigned i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (!(mask & (1u << i)))
            continue;
        int w = snprintf(buf + used, size - used, "%s%s", used ? " " : "", names[i]);
        if (w < 0 || (size_t)w >= size - used)
            break;
        used += (size_t)w;
    }
}

int sb_cpu_supports_scalar(void) { return 1; }
int sb_cpu_supports_sse2(void) { return sb_cpu_has(SB_CPU_SSE2); }
int sb_cpu_supports_avx2(void) { return sb_cpu_has(SB_CPU_AVX2 | SB_CPU_FMA | SB_CPU_F16C); }
int sb_cpu_supports_avx512(void)
{
    return sb_cpu_has(SB_CPU_AVX512F | SB_CPU_AVX512BW | SB_CPU_AVX512DQ | SB_CPU_AVX512VL) &&
           sb_cpu_supports_avx2();
}
int sb_cpu_supports_neon(void)
{
#if defined(SB_AARCH64)
    return sb_cpu_has(SB_CPU_NEON);
#else
    return 1; /* the x86 build's NEON kernels are SIMDe emulations that run on any x86-64 */
#endif
}
