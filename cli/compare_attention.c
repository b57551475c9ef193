/* sinkbench compare, one file: the attention benchmarks (bench/suite/bench_attention.c) side by side.
 * Per case (decode, prefill, threads x KV type, head dim, context, splits, threads): every kernel with
 * its median time, spread, time over sb_attention's, KV GB/s and roofline fraction (decode), GFLOP/s
 * and fraction of the run's FMA peak, and its error as a fraction of its bound. Then the ratios the
 * issue asks about: f16 and bf16 time over f32, split-KV over unsplit, 2 threads over 1 (wall clock),
 * and the FMA peak per ISA. Derived figures use the median time and the per-call counters. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compare.h"
#include "io/bench_schema.h"

typedef sb_bench_series series;

#define MAX_CASES 128

/* "attention/<kind>/<kernel>/<shape>": kind, kernel and shape of a name; 0 for other benchmarks. */
static int split_name(const char *name, char *kind, char *kernel, char *shape, size_t size)
{
    if (strncmp(name, SB_BENCH_ATTENTION, strlen(SB_BENCH_ATTENTION)) != 0)
        return 0;
    const char *a = name + 10, *b = strchr(a, '/'), *c = b ? strchr(b + 1, '/') : NULL;
    if (!b || !c)
        return 0;
    snprintf(kind, size, "%.*s", (int)(b - a), a);
    snprintf(kernel, size, "%.*s", (int)(c - b - 1), b + 1);
    snprintf(shape, size, "%s", c + 1);
    return 1;
}

/* The series to use for a name: wall-clock series for the threads cases. */
static const series *lookup(const sb_bench_results *f, const sb_bench_results *real, const char *name)
{
    const series *s = strncmp(name, SB_BENCH_ATTENTION "threads/", strlen(SB_BENCH_ATTENTION "threads/")) == 0 && real ? sb_bench_results_find(real, name)
                                                                          : sb_bench_results_find(f, name);
    return s && s->usable ? s : NULL;
}

static const series *find3(const sb_bench_results *f, const sb_bench_results *real, const char *kind,
                           const char *kernel, const char *shape)
{
    char name[512];
    int len = snprintf(name, sizeof name, SB_BENCH_ATTENTION "%s/%s/%s", kind, kernel, shape);
    return len > 0 && (size_t)len < sizeof name ? lookup(f, real, name) : NULL;
}

typedef struct derived {
    double ms, gbps, roofline, gflops, fma_frac, err_of_bound;
} derived;

static derived derive(const series *s)
{
    derived d;
    double sec = s->median * 1e-9;
    double kv = sb_bench_series_counter(s, SB_BENCH_C_KV_MB) * 1e6, bw = sb_bench_series_counter(s, SB_BENCH_C_BW_READ_GBPS) * 1e9;
    double gf = sb_bench_series_counter(s, SB_BENCH_C_GFLOP_PER_CALL), peak = sb_bench_series_counter(s, SB_BENCH_C_FMA_PEAK_GFLOPS);
    d.ms = s->median * 1e-6;
    d.gbps = kv / sec * 1e-9;
    d.roofline = bw > 0 ? kv / bw / sec : NAN; /* NAN (no bw counter) for prefill */
    d.gflops = gf / sec;
    d.fma_frac = peak > 0 ? d.gflops / peak : NAN;
    d.err_of_bound = sb_bench_series_counter(s, SB_BENCH_C_ERR_OF_BOUND);
    return d;
}

static void cell(char *out, size_t size, const char *fmt, double v)
{
    if (isnan(v))
        snprintf(out, size, "-");
    else
        snprintf(out, size, fmt, v);
}

/* Where "key:" starts a component of a shape ("kv:f32/d:128/n:4096/splits:1"); NULL when absent. */
static const char *find_key(const char *shape, const char *key, size_t *len)
{
    char pat[32];
    *len = (size_t)snprintf(pat, sizeof pat, "%s:", key);
    for (const char *p = strstr(shape, pat); p; p = strstr(p + 1, pat))
        if (p == shape || p[-1] == '/')
            return p;
    return NULL;
}

/* The value of key in a shape ("4096" for "n"); 0 when absent. */
static int key_value(const char *shape, const char *key, char *out, size_t size)
{
    size_t len;
    const char *p = find_key(shape, key, &len);
    if (!p)
        return 0;
    p += len;
    const char *end = strchr(p, '/');
    snprintf(out, size, "%.*s", (int)(end ? (size_t)(end - p) : strlen(p)), p);
    return 1;
}

/* The shape with key's value replaced ("kv:f32/..." -> "kv:bf16/..."); 0 when key is absent. */
static int with(const char *shape, const char *key, const char *value, char *out, size_t size)
{
    size_t len;
    const char *p = find_key(shape, key, &len);
    if (!p)
        return 0;
    const char *end = strchr(p, '/');
    int n = snprintf(out, size, "%.*s%s:%s%s", (int)(p - shape), shape, key, value, end ? end : "");
    return n > 0 && (size_t)n < size;
}

/* A ratio as a line of text, or (list not NULL) as a record added to list. */
static void ratio_line(json_object *list, const char *what, const char *shape, const char *label, double r)
{
    if (isnan(r))
        return;
    if (list) {
        json_object *e = json_object_new_object();
        json_object_object_add(e, "ratio", sb_json_new_string(what));
        json_object_object_add(e, "shape", sb_json_new_string(shape));
        json_object_object_add(e, "of", sb_json_new_string(label));
        json_object_object_add(e, "value", sb_json_new_number(r, 0));
        json_object_array_add(list, e);
    } else {
        printf("  %-9s %-48s %-22s %6.3f\n", what, shape, label, r);
    }
}

void sb_compare_attention(const sb_bench_results *f, const sb_compare_options *o, json_object *j)
{
    static char kinds[MAX_CASES][128], shapes[MAX_CASES][128];
    size_t ncases = 0;
    int any = 0;
    for (size_t i = 0; i < f->ns && ncases < MAX_CASES; i++) {
        char kind[128], kernel[128], shape[128];
        if (!split_name(f->s[i].name, kind, kernel, shape, sizeof shape))
            continue;
        any = 1;
        int seen = 0;
        for (size_t c = 0; c < ncases && !seen; c++)
            seen = strcmp(kinds[c], kind) == 0 && strcmp(shapes[c], shape) == 0;
        if (!seen) {
            snprintf(kinds[ncases], sizeof kinds[0], "%s", kind);
            snprintf(shapes[ncases++], sizeof shapes[0], "%s", shape);
        }
    }
    if (!any)
        return;
    /* The threads cases are timed in wall-clock time: read that metric for them. */
    sb_bench_results real;
    char err[512];
    int tried = strcmp(o->metric, "real_time") != 0;
    int have_real = tried && sb_bench_results_load(&real, f->path, "real_time", SB_BENCH_ATTENTION "threads/", err, sizeof err);
    const sb_bench_results *rp = have_real ? &real : NULL;

    json_object *cases = NULL; /* the "attention" array of --json */
    if (j) {
        cases = json_object_new_array();
        json_object_object_add(j, "attention", cases);
    } else {
        printf("\nattention (H = 32, H_kv = 8, learned sinks): ms per call (median; threads: wall clock), spread, "
               "t/ours = time / sb_attention's,\nKV GB/s and roofline = KV bytes / read bandwidth of the same working "
               "set (decode), GFLOP/s (4 d flops per query-key pair)\nand its fraction of the run's FMA peak, "
               "error / the kernel's bound on the timed inputs\n");
    }
    for (size_t c = 0; c < ncases; c++) {
        const series *members[64];
        size_t nm = 0;
        for (size_t i = 0; i < f->ns && nm < 64; i++) {
            char kind[128], kernel[128], shape[128];
            if (!split_name(f->s[i].name, kind, kernel, shape, sizeof shape) || strcmp(kind, kinds[c]) != 0 ||
                strcmp(shape, shapes[c]) != 0)
                continue;
            const series *s = lookup(f, rp, f->s[i].name);
            if (s)
                members[nm++] = s;
        }
        for (size_t a = 1; a < nm; a++)
            for (size_t b = a; b > 0 && members[b - 1]->median > members[b]->median; b--) {
                const series *t = members[b];
                members[b] = members[b - 1], members[b - 1] = t;
            }
        if (!nm)
            continue;
        const series *ours = find3(f, rp, kinds[c], "sb_attention", shapes[c]);
        if (!j)
            printf("\n%-8s %-38s %-8s %9s %7s %6s %7s %8s %8s %6s %8s\n", kinds[c], shapes[c], "role", "ms", "spread",
                   "t/ours", "GB/s", "roofline", "GFLOP/s", "%FMA", "err/bnd");
        for (size_t m = 0; m < nm; m++) {
            const series *s = members[m];
            char kind[128], kernel[128], shape[128], role[32];
            split_name(s->name, kind, kernel, shape, sizeof shape);
            sb_bench_series_label(s, SB_BENCH_LABEL_ROLE, role, sizeof role);
            derived d = derive(s);
            double r = ours ? s->median / ours->median : NAN;
            if (j) {
                json_object *e = json_object_new_object();
                json_object_object_add(e, "kind", sb_json_new_string(kind));
                json_object_object_add(e, "shape", sb_json_new_string(shape));
                json_object_object_add(e, "kernel", sb_json_new_string(kernel));
                json_object_object_add(e, "role", sb_json_new_string(role));
                json_object_object_add(e, "ms", sb_json_new_number(d.ms, 0));
                json_object_object_add(e, "spread", sb_json_new_number(s->spread, 0));
                json_object_object_add(e, "repetitions", json_object_new_uint64(s->nt));
                json_object_object_add(e, "ratio_to_ours", sb_json_new_number(r, 0));
                json_object_object_add(e, "GBps", sb_json_new_number(d.gbps, 0));
                json_object_object_add(e, "roofline", sb_json_new_number(d.roofline, 0));
                json_object_object_add(e, "GFLOPs", sb_json_new_number(d.gflops, 0));
                json_object_object_add(e, "fma_peak_frac", sb_json_new_number(d.fma_frac, 0));
                json_object_object_add(e, "err_of_bound", sb_json_new_number(d.err_of_bound, 0));
                json_object_array_add(cases, e);
                continue;
            }
            char ms[32], sp[32], rr[32], gb[32], rf[32], gfl[32], fm[32], eb[32];
            cell(ms, sizeof ms, d.ms < 10 ? "%.3f" : "%.1f", d.ms);
            cell(sp, sizeof sp, "%.1f%%", 100.0 * s->spread);
            cell(rr, sizeof rr, "%.2f", r);
            cell(gb, sizeof gb, "%.1f", isnan(d.roofline) ? NAN : d.gbps);
            cell(rf, sizeof rf, "%.1f%%", 100.0 * d.roofline);
            cell(gfl, sizeof gfl, "%.1f", d.gflops);
            cell(fm, sizeof fm, "%.0f%%", 100.0 * d.fma_frac);
            cell(eb, sizeof eb, "%.3f", d.err_of_bound);
            printf("  %-45s %-8s %9s %7s %6s %7s %8s %8s %6s %8s\n", kernel, role, ms, sp, rr, gb, rf, gfl, fm, eb);
        }
    }
    json_object *ratios = NULL; /* the "attention_ratios" array of --json */
    if (j) {
        ratios = json_object_new_array();
        json_object_object_add(j, "attention_ratios", ratios);
    } else {
        printf("\nattention ratios (sb_attention, median times; below 1: faster)\n");
    }
    /* Per case of sb_attention whose KV type is f32, or splits or threads 1: every case that differs
     * from it in that one key alone, as a time ratio. */
    static const struct {
        const char *key, *base, *what, *fmt;
    } axes[] = {
        {"kv", "f32", "kv type", "%s time / f32 time"},
        {"splits", "1", "split-KV", "%s splits / unsplit"},
        {"threads", "1", "threads", "%s threads / 1 (wall)"},
    };
    for (size_t c = 0; c < ncases; c++) {
        const series *base = find3(f, rp, kinds[c], "sb_attention", shapes[c]);
        if (!base)
            continue;
        for (size_t a = 0; a < sizeof axes / sizeof axes[0]; a++) {
            char v[64], other[128];
            if (!key_value(shapes[c], axes[a].key, v, sizeof v) || strcmp(v, axes[a].base) != 0)
                continue;
            for (size_t k = 0; k < ncases; k++) {
                if (k == c || strcmp(kinds[k], kinds[c]) != 0 || !key_value(shapes[k], axes[a].key, v, sizeof v) ||
                    !with(shapes[c], axes[a].key, v, other, sizeof other) || strcmp(other, shapes[k]) != 0)
                    continue;
                const series *s = find3(f, rp, kinds[k], "sb_attention", shapes[k]);
                char label[96];
                snprintf(label, sizeof label, axes[a].fmt, v);
                ratio_line(ratios, axes[a].what, shapes[c], label, s ? s->median / base->median : NAN);
            }
        }
    }
    json_object *peaks = NULL; /* the "fma_peak_GFLOPs" object of --json */
    if (j) {
        peaks = json_object_new_object();
        json_object_object_add(j, "fma_peak_GFLOPs", peaks);
    } else {
        printf("\nFMA peak, one core (fma_peak/<isa>: 12 register-only multiply-add chains; GFLOP/s, median)\n");
    }
    for (size_t i = 0; i < f->ns; i++) {
        const series *s = &f->s[i];
        if (strncmp(s->name, SB_BENCH_FMA_PEAK, strlen(SB_BENCH_FMA_PEAK)) != 0 || !s->usable)
            continue;
        double g = sb_bench_series_counter(s, SB_BENCH_C_FLOPS_PER_ITERATION) / s->median;
        if (j)
            json_object_object_add(peaks, s->name + 9, sb_json_new_number(g, 0));
        else
            printf("  %-10s %8.1f\n", s->name + 9, g);
    }
    if (tried)
        sb_bench_results_free(&real);
}
