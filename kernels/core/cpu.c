/* What the CPU can do and what it is. Two jobs, two sources:
 *
 *   - Features, for dispatch (sb_cpu_has, sb_cpu_supports_*): always this file's own CPUID + XGETBV
 *     (x86) or getauxval (aarch64) reading, baseline instructions only, so that it runs everywhere
 *     (qemu-user included) and dispatch decides the same with or without cpuinfo in the build. A
 *     feature counts only when the OS saves its registers (XCR0: YMM for AVX, opmask and ZMM for
 *     AVX-512), which is the check dispatch needs and the one this code is tested for.
 *   - Description, for the reports (microarchitecture, cache sizes): cpuinfo, which knows the names
 *     of microarchitectures, where the build has it and it initialises on real hardware. Otherwise
 *     the caches come from sysfs, then sysconf, and the microarchitecture is "unknown"; `source` and
 *     `fallback_reason` say which happened. Under qemu-user cpuinfo is not asked: it would describe a
 *     made-up CPU (Debian 12's, on an x86 host: "Unknown" with a 16 KB L1d and no L2). */
#define _DEFAULT_SOURCE /* sysconf's cache names (glibc) */
#include "sinkbench/cpu.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#ifdef SB_HAVE_CPUINFO
#include <cpuinfo.h>
#endif

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

/* ---- the description: cpuinfo ------------------------------------------------------------------ */

#ifdef SB_HAVE_CPUINFO
/* cpuinfo has no public name for its microarchitecture codes. The ones an x86-64 or aarch64 build
 * can meet; a newer cpuinfo's codes print as their number. */
static const struct {
    enum cpuinfo_uarch code;
    const char *name;
} uarch_names[] = {
    {cpuinfo_uarch_conroe, "Conroe"},           {cpuinfo_uarch_penryn, "Penryn"},
    {cpuinfo_uarch_nehalem, "Nehalem"},         {cpuinfo_uarch_sandy_bridge, "Sandy Bridge"},
    {cpuinfo_uarch_ivy_bridge, "Ivy Bridge"},   {cpuinfo_uarch_haswell, "Haswell"},
    {cpuinfo_uarch_broadwell, "Broadwell"},     {cpuinfo_uarch_sky_lake, "Skylake"},
    {cpuinfo_uarch_kaby_lake, "Kaby Lake"},     {cpuinfo_uarch_palm_cove, "Palm Cove"},
    {cpuinfo_uarch_sunny_cove, "Sunny Cove"},   {cpuinfo_uarch_prescott, "Prescott"},
    {cpuinfo_uarch_bonnell, "Bonnell"},         {cpuinfo_uarch_saltwell, "Saltwell"},
    {cpuinfo_uarch_silvermont, "Silvermont"},   {cpuinfo_uarch_airmont, "Airmont"},
    {cpuinfo_uarch_goldmont, "Goldmont"},       {cpuinfo_uarch_goldmont_plus, "Goldmont Plus"},
    {cpuinfo_uarch_knights_landing, "Knights Landing"}, {cpuinfo_uarch_knights_mill, "Knights Mill"},
    {cpuinfo_uarch_k8, "K8"},                   {cpuinfo_uarch_k10, "K10"},
    {cpuinfo_uarch_bulldozer, "Bulldozer"},     {cpuinfo_uarch_piledriver, "Piledriver"},
    {cpuinfo_uarch_steamroller, "Steamroller"}, {cpuinfo_uarch_excavator, "Excavator"},
    {cpuinfo_uarch_zen, "Zen"},                 {cpuinfo_uarch_zen2, "Zen 2"},
    {cpuinfo_uarch_zen3, "Zen 3"},              {cpuinfo_uarch_bobcat, "Bobcat"},
    {cpuinfo_uarch_jaguar, "Jaguar"},           {cpuinfo_uarch_puma, "Puma"},
    {cpuinfo_uarch_dhyana, "Dhyana"},
    {cpuinfo_uarch_cortex_a35, "Cortex-A35"},   {cpuinfo_uarch_cortex_a53, "Cortex-A53"},
    {cpuinfo_uarch_cortex_a55r0, "Cortex-A55r0"}, {cpuinfo_uarch_cortex_a55, "Cortex-A55"},
    {cpuinfo_uarch_cortex_a57, "Cortex-A57"},   {cpuinfo_uarch_cortex_a65, "Cortex-A65"},
    {cpuinfo_uarch_cortex_a72, "Cortex-A72"},   {cpuinfo_uarch_cortex_a73, "Cortex-A73"},
    {cpuinfo_uarch_cortex_a75, "Cortex-A75"},   {cpuinfo_uarch_cortex_a76, "Cortex-A76"},
    {cpuinfo_uarch_cortex_a76ae, "Cortex-A76AE"}, {cpuinfo_uarch_cortex_a77, "Cortex-A77"},
    {cpuinfo_uarch_cortex_a78, "Cortex-A78"},   {cpuinfo_uarch_cortex_x1, "Cortex-X1"},
    {cpuinfo_uarch_neoverse_n1, "Neoverse N1"}, {cpuinfo_uarch_neoverse_e1, "Neoverse E1"},
    {cpuinfo_uarch_neoverse_v1, "Neoverse V1"}, {cpuinfo_uarch_neoverse_n2, "Neoverse N2"},
    {cpuinfo_uarch_kryo, "Kryo"},               {cpuinfo_uarch_falkor, "Falkor"},
    {cpuinfo_uarch_saphira, "Saphira"},         {cpuinfo_uarch_denver, "Denver"},
    {cpuinfo_uarch_denver2, "Denver 2"},        {cpuinfo_uarch_carmel, "Carmel"},
    {cpuinfo_uarch_exynos_m1, "Exynos M1"},     {cpuinfo_uarch_exynos_m2, "Exynos M2"},
    {cpuinfo_uarch_exynos_m3, "Exynos M3"},     {cpuinfo_uarch_exynos_m4, "Exynos M4"},
    {cpuinfo_uarch_exynos_m5, "Exynos M5"},     {cpuinfo_uarch_cyclone, "Cyclone"},
    {cpuinfo_uarch_typhoon, "Typhoon"},         {cpuinfo_uarch_twister, "Twister"},
    {cpuinfo_uarch_hurricane, "Hurricane"},     {cpuinfo_uarch_monsoon, "Monsoon"},
    {cpuinfo_uarch_mistral, "Mistral"},         {cpuinfo_uarch_vortex, "Vortex"},
    {cpuinfo_uarch_tempest, "Tempest"},         {cpuinfo_uarch_lightning, "Lightning"},
    {cpuinfo_uarch_thunder, "Thunder"},         {cpuinfo_uarch_firestorm, "Firestorm"},
    {cpuinfo_uarch_icestorm, "Icestorm"},       {cpuinfo_uarch_thunderx, "ThunderX"},
    {cpuinfo_uarch_thunderx2, "ThunderX2"},     {cpuinfo_uarch_xgene, "X-Gene"},
    {cpuinfo_uarch_taishan_v110, "TaiShan v110"},
};

/* NULL when cpuinfo described the CPU, else why not. */
static const char *describe_cpuinfo(sb_cpu_info *c)
{
    if (c->emulated)
        return "under emulation cpuinfo describes a made-up CPU";
    if (!cpuinfo_initialize())
        return "cpuinfo could not initialise";
    const struct cpuinfo_processor *p = cpuinfo_get_processor(0);
    if (!p || !p->core)
        return "cpuinfo lists no processor";
    enum cpuinfo_uarch u = p->core->uarch;
    if (u != cpuinfo_uarch_unknown)
        snprintf(c->microarchitecture, sizeof c->microarchitecture, "cpuinfo uarch 0x%08x", (unsigned)u);
    for (size_t i = 0; i < sizeof uarch_names / sizeof uarch_names[0]; i++)
        if (uarch_names[i].code == u)
            snprintf(c->microarchitecture, sizeof c->microarchitecture, "%s", uarch_names[i].name);
    c->l1d = p->cache.l1d ? p->cache.l1d->size : 0;
    c->l2 = p->cache.l2 ? p->cache.l2->size : 0;
    c->l3 = p->cache.l3 ? p->cache.l3->size : 0;
    c->source = "cpuinfo";
    return NULL;
}
#endif

/* ---- the description: the fallback ------------------------------------------------------------- */

/* One cache's size from sysfs ("32K", "512K", "32768K"); 0 when absent. */
static size_t sysfs_cache(int want_level, const char *want_type)
{
    for (int i = 0; i < 8; i++) {
        char path[96], type[32] = "";
        int level = 0;
        FILE *f;
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/level", i);
        if (!(f = fopen(path, "r")))
            return 0;
        if (fscanf(f, "%d", &level) != 1)
            level = 0;
        fclose(f);
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/type", i);
        if ((f = fopen(path, "r"))) {
            if (fscanf(f, "%31s", type) != 1)
                type[0] = 0;
            fclose(f);
        }
        if (level != want_level || strcmp(type, want_type) != 0)
            continue;
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/size", i);
        if (!(f = fopen(path, "r")))
            return 0;
        unsigned long v = 0;
        char unit = 0;
        int got = fscanf(f, "%lu%c", &v, &unit);
        fclose(f);
        if (got < 1)
            return 0;
        return (size_t)v * (unit == 'K' ? 1024u : unit == 'M' ? 1024u * 1024u : 1u);
    }
    return 0;
}

static void describe_fallback(sb_cpu_info *c)
{
    c->l1d = sysfs_cache(1, "Data");
    c->l2 = sysfs_cache(2, "Unified");
    c->l3 = sysfs_cache(3, "Unified");
    c->source = "sysfs";
    if (c->l1d || c->l2 || c->l3)
        return;
#ifdef _SC_LEVEL1_DCACHE_SIZE
    long a = sysconf(_SC_LEVEL1_DCACHE_SIZE), b = sysconf(_SC_LEVEL2_CACHE_SIZE), d = sysconf(_SC_LEVEL3_CACHE_SIZE);
    c->l1d = a > 0 ? (size_t)a : 0;
    c->l2 = b > 0 ? (size_t)b : 0;
    c->l3 = d > 0 ? (size_t)d : 0;
    c->source = "sysconf";
    if (c->l1d || c->l2 || c->l3)
        return;
#endif
    c->source = "none";
}

static void detect(void)
{
    memset(&g_cpu, 0, sizeof g_cpu);
    snprintf(g_cpu.model, sizeof g_cpu.model, "unknown");
    snprintf(g_cpu.microarchitecture, sizeof g_cpu.microarchitecture, "unknown");
#if defined(SB_X86)
    detect_x86(&g_cpu);
#elif defined(SB_AARCH64)
    detect_aarch64(&g_cpu);
#else
    g_cpu.arch = "unknown";
#endif
#ifdef SB_HAVE_CPUINFO
    g_cpu.fallback_reason = describe_cpuinfo(&g_cpu);
#else
    g_cpu.fallback_reason = "built without cpuinfo";
#endif
    if (g_cpu.fallback_reason)
        describe_fallback(&g_cpu);
    else
        g_cpu.fallback_reason = "";
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
