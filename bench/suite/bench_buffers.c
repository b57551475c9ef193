#define _GNU_SOURCE
#include "bench_buffers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* Reads one cache's size from sysfs ("32K", "512K", "32768K"); 0 when absent. */
static size_t sysfs_cache(int want_level, int want_data)
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
        if (level != want_level || strcmp(type, want_data ? "Data" : "Unified") != 0)
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

const sb_bench_caches *sb_bench_cache_sizes(void)
{
    static sb_bench_caches c;
    if (c.source)
        return &c;
    c.l1d = sysfs_cache(1, 1);
    c.l2 = sysfs_cache(2, 0);
    c.l3 = sysfs_cache(3, 0);
    c.source = "sysfs";
#ifdef _SC_LEVEL1_DCACHE_SIZE
    if (!c.l1d || !c.l2 || !c.l3) {
        long a = sysconf(_SC_LEVEL1_DCACHE_SIZE), b = sysconf(_SC_LEVEL2_CACHE_SIZE),
             d = sysconf(_SC_LEVEL3_CACHE_SIZE);
        if (a > 0 && b > 0 && d > 0) {
            c.l1d = (size_t)a, c.l2 = (size_t)b, c.l3 = (size_t)d;
            c.source = "sysconf";
        }
    }
#endif
    if (!c.l1d || !c.l2 || !c.l3) {
        /* The research machine's figures (Zen, docs/benchmarks.md); stated as assumed in the report. */
        c.l1d = 32u << 10, c.l2 = 1u << 20, c.l3 = 32u << 20;
        c.source = "assumed";
    }
    return &c;
}

const char *sb_bench_level_name(int level)
{
    static const char *const names[] = {"?", "L1", "L2", "L3", "DRAM"};
    return names[level >= 1 && level <= 4 ? level : 0];
}

void sb_bench_layout_for(size_t n, size_t rows, sb_bench_layout *l)
{
    const sb_bench_caches *c = sb_bench_cache_sizes();
    memset(l, 0, sizeof *l);
    l->n = n;
    l->rows = rows ? rows : 1;
    l->row_stride = (n + 15) & ~(size_t)15;
    l->set_stride = l->row_stride * l->rows;
    l->set_bytes = 2 * l->set_stride * sizeof(float);
    l->sets = 1;
    if (l->set_bytes <= c->l1d)
        l->level = 1;
    else if (l->set_bytes <= c->l2)
        l->level = 2;
    else if (l->set_bytes <= c->l3 / 2)
        l->level = 3;
    else {
        l->level = 4;
        l->sets = (2 * c->l3 + l->set_bytes - 1) / l->set_bytes;
    }
}

static sb_bench_buffers live;

void sb_bench_buffers_release(void)
{
    free(live.x);
    free(live.y);
    live.x = live.y = NULL;
    memset(&live.layout, 0, sizeof live.layout);
}

static float *alloc_floats(size_t count)
{
    size_t bytes = count * sizeof(float);
    /* Large buffers on 2 MiB boundaries and (where the kernel offers it) huge pages, so DRAM
     * bandwidth is not limited by TLB misses differently from one run to the next. */
    size_t align = bytes >= (4u << 20) ? (2u << 20) : 64;
    bytes = (bytes + align - 1) / align * align;
    void *p = NULL;
    if (posix_memalign(&p, align, bytes) != 0)
        return NULL;
#ifdef MADV_HUGEPAGE
    if (align > 64)
        madvise(p, bytes, MADV_HUGEPAGE);
#endif
    memset(p, 0, bytes);
    return p;
}

sb_bench_buffers *sb_bench_buffers_get(size_t n, size_t rows)
{
    sb_bench_layout l;
    sb_bench_layout_for(n, rows, &l);
    if (live.x && live.layout.n == l.n && live.layout.rows == l.rows)
        return &live;
    sb_bench_buffers_release();
    size_t count = l.sets * l.set_stride;
    live.x = alloc_floats(count);
    live.y = alloc_floats(count);
    if (!live.x || !live.y) {
        sb_bench_buffers_release();
        return NULL;
    }
    live.layout = l;
    live.generation++;
    return &live;
}
