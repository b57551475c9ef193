#define _GNU_SOURCE
#include "bench_buffers.h"

#include "sinkbench/cpu.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

const sb_bench_caches *sb_bench_cache_sizes(void)
{
    static sb_bench_caches c;
    if (c.source)
        return &c;
    /* The library's description of the CPU: cpuinfo, else sysfs or sysconf (kernels/core/cpu.c). */
    const sb_cpu_info *cpu = sb_cpu();
    c.l1d = cpu->l1d, c.l2 = cpu->l2, c.l3 = cpu->l3;
    c.source = cpu->source;
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
