/* What the running CPU can do, as runtime dispatch sees it, and what it is (microarchitecture,
 * caches) for the reports. */
#ifndef SINKBENCH_CPU_H
#define SINKBENCH_CPU_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

enum sb_cpu_feature {
    SB_CPU_SSE2       = 1u << 0,
    SB_CPU_SSE41      = 1u << 1,
    SB_CPU_AVX        = 1u << 2,
    SB_CPU_AVX2       = 1u << 3,
    SB_CPU_FMA        = 1u << 4,
    SB_CPU_F16C       = 1u << 5,
    SB_CPU_AVX512F    = 1u << 6,
    SB_CPU_AVX512BW   = 1u << 7,
    SB_CPU_AVX512DQ   = 1u << 8,
    SB_CPU_AVX512VL   = 1u << 9,
    SB_CPU_AVX512BF16 = 1u << 10,
    SB_CPU_AVX512FP16 = 1u << 11,
    SB_CPU_NEON       = 1u << 12,
    SB_CPU_NEON_FP16  = 1u << 13,
    SB_CPU_NEON_BF16  = 1u << 14
};

typedef struct sb_cpu_info {
    const char *arch;     /* "x86_64", "aarch64", ... */
    char vendor[16];
    char model[64];
    unsigned features;    /* SB_CPU_* that the CPU has and the OS enables */
    int emulated;         /* running under user-mode emulation (qemu): correct, but timings mean nothing */
    /* The description a cross-machine comparison wants (appended: the fields above keep their
     * places). From cpuinfo where the library was built with it and it initialises; otherwise the
     * library's own reading, which knows the caches but not the microarchitecture. */
    char microarchitecture[32]; /* "Zen 3", "Skylake", "Cortex-A76", ...; "unknown" when not known */
    size_t l1d, l2, l3;         /* bytes of the L1 data, L2 and L3 cache serving core 0 (L1d and L2 are
                                 * usually per core, L3 shared); 0: absent or not known */
    const char *source;         /* where the three lines above come from: "cpuinfo", or the fallback's
                                 * "sysfs", "sysconf" or "none" (caches; microarchitecture unknown) */
    const char *fallback_reason; /* why not cpuinfo ("" when source is "cpuinfo") */
} sb_cpu_info;

const sb_cpu_info *sb_cpu(void);
/* Non-zero when every feature in mask is present. */
int sb_cpu_has(unsigned mask);
/* Names of the features in mask, space separated, into buf (always terminated). */
void sb_cpu_feature_string(unsigned mask, char *buf, size_t size);

/* CPU checks for the registry's supported() field. */
int sb_cpu_supports_scalar(void);
int sb_cpu_supports_sse2(void);
int sb_cpu_supports_avx2(void);   /* AVX2 + FMA + F16C */
int sb_cpu_supports_avx512(void); /* AVX-512 F, BW, DQ, VL */
int sb_cpu_supports_neon(void);

#ifdef __cplusplus
}
#endif
#endif
