/* The tables of `sinkbench compare` over Google Benchmark JSON written by sinkbench-bench:
 *   - for one file, the side-by-side table: per shape, every kernel (ours, peers, references) with
 *     ns/row, spread over repetitions, the ratio to sb_softmax_f32 (what a user gets), max ulp and
 *     roofline fraction; and the bandwidth measured at each shape;
 *   - for two or more files (two CPUs, builds or ISAs), per benchmark the median of each file, its
 *     spread, the ratio to the first file and a two-sided Mann-Whitney U p-value over repetitions.
 * Reading the reports is io/bench_results.c, the statistics io/bench_stats.c; this file is the tables,
 * cmd_compare.c the command. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "io/bench_results.h"
#include "io/bench_schema.h"
#include "io/bench_stats.h"
#include "cli.h"
#include "compare.h"

typedef sb_bench_series series;
typedef sb_bench_results bench_file;

typedef sb_compare_options options;

/* rows:R in a softmax name (1 when absent). */
static double rows_of(const char *name)
{
    const char *p = strstr(name, "/rows:");
    return p ? fmax(1.0, atof(p + 6)) : 1.0;
}

static void fmt_time(char *out, size_t size, double ns)
{
    if (isnan(ns))
        snprintf(out, size, "-");
    else if (ns < 1e4)
        snprintf(out, size, "%.1f", ns);
    else
        snprintf(out, size, "%.0f", ns);
}

static void fmt_spread(char *out, size_t size, double spread)
{
    if (isnan(spread))
        snprintf(out, size, "-");
    else
        snprintf(out, size, "%.1f%%", 100.0 * spread);
}

static void fmt_ulp(char *out, size_t size, double u)
{
    if (isnan(u))
        snprintf(out, size, "-");
    else if (isinf(u))
        snprintf(out, size, "inf/NaN");
    else
        snprintf(out, size, "%.0f", u);
}

static void print_files(bench_file *files, size_t nf)
{
    for (size_t i = 0; i < nf; i++)
        printf("%c = %s\n    %s, %s; %s; preset %s; sinkbench %s; library %s\n", (int)('A' + i), files[i].path,
               sb_bench_results_context(&files[i], "host_name"), sb_bench_results_context(&files[i], "cpu_model"), sb_bench_results_context(&files[i], "date"),
               sb_bench_results_context(&files[i], "preset"), sb_bench_results_context(&files[i], "sinkbench_version"),
               sb_bench_results_context(&files[i], "library_build_type"));
    printf("\n");
}

/* "n:4096/gap:15/rows:1" of "softmax/<kernel>/n:4096/gap:15/rows:1"; NULL for other benchmarks. */
static const char *shape_of(const char *name)
{
    if (strncmp(name, SB_BENCH_SOFTMAX, strlen(SB_BENCH_SOFTMAX)) != 0)
        return NULL;
    const char *slash = strchr(name + 8, '/');
    return slash ? slash + 1 : NULL;
}

static void kernel_of(const char *name, char *out, size_t size)
{
    const char *k = name + 8, *slash = strchr(k, '/');
    size_t n = slash ? (size_t)(slash - k) : strlen(k);
    snprintf(out, size, "%.*s", (int)(n < size - 1 ? n : size - 1), k);
}

static const series *in_shape(const bench_file *f, const char *kernel, const char *shape)
{
    char name[256];
    int len = snprintf(name, sizeof name, SB_BENCH_SOFTMAX "%s/%s", kernel, shape);
    if (len < 0 || (size_t)len >= sizeof name)
        return NULL;
    const series *s = sb_bench_results_find(f, name);
    return s && s->usable ? s : NULL;
}

#define MAX_SHAPES 256
#define MAX_COLUMNS 16

/* The peers' columns of the summary: every kernel labelled role=peer, then the scalar libm softmax. */
static size_t peer_columns(const bench_file *f, char cols[][96])
{
    size_t n = 0;
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < f->ns && n < MAX_COLUMNS; i++) {
            const series *s = &f->s[i];
            char role[32], k[96];
            if (!shape_of(s->name) || !s->usable)
                continue;
            sb_bench_series_label(s, SB_BENCH_LABEL_ROLE, role, sizeof role);
            kernel_of(s->name, k, sizeof k);
            if (pass == 0 ? strcmp(role, SB_BENCH_ROLE_PEER) != 0 : strcmp(k, "softmax_scalar_f32") != 0)
                continue;
            int seen = 0;
            for (size_t c = 0; c < n && !seen; c++)
                seen = strcmp(cols[c], k) == 0;
            if (!seen)
                snprintf(cols[n++], sizeof cols[0], "%s", k);
        }
    return n;
}

/* A short column title: "peer_xnnpack_f32" -> "xnnpack", "softmax_scalar_f32" -> "scalar(libm)". */
static void column_title(const char *k, char *out, size_t size)
{
    if (strcmp(k, "softmax_scalar_f32") == 0) {
        snprintf(out, size, "scalar(libm)");
        return;
    }
    const char *p = strncmp(k, "peer_", 5) == 0 ? k + 5 : k;
    size_t n = strlen(p);
    if (n > 4 && strcmp(p + n - 4, "_f32") == 0)
        n -= 4;
    snprintf(out, size, "%.*s", (int)n, p);
}

/* One file: bandwidth per shape, the peer-ratio summary, then every shape's kernels side by side. */
void sb_compare_side_by_side(const bench_file *f, const options *o, json_object *j)
{
    static char shapes[MAX_SHAPES][64];
    static char cols[MAX_COLUMNS][96];
    size_t nshapes = 0;
    for (size_t i = 0; i < f->ns && nshapes < MAX_SHAPES; i++) {
        const char *shape = shape_of(f->s[i].name);
        if (!shape || strlen(shape) >= sizeof shapes[0])
            continue;
        int seen = 0;
        for (size_t k = 0; k < nshapes && !seen; k++)
            seen = strcmp(shapes[k], shape) == 0;
        if (!seen)
            snprintf(shapes[nshapes++], sizeof shapes[0], "%s", shape);
    }
    size_t ncols = peer_columns(f, cols);

    if (j) {
        json_object_object_add(j, "file", sb_json_new_string(f->path));
        json_object_object_add(j, "metric", sb_json_new_string(o->metric));
    } else {
        printf("time: %s, median over repetitions; spread = (max - min) / median; t/ours = time / "
               "sb_softmax_f32's time\n(above 1: slower than what sinkbench gives a user; 2.00 = ours is twice as fast)\n",
               o->metric);
        int printed_bw = 0;
        for (size_t i = 0; i < f->ns; i++) {
            const series *s = &f->s[i];
            if (strncmp(s->name, SB_BENCH_BANDWIDTH, strlen(SB_BENCH_BANDWIDTH)) != 0 || !s->usable)
                continue;
            if (!printed_bw++)
                printf("\n%-50s %10s %8s\n", "bandwidth (the softmax rows' working sets)", "GB/s", "spread");
            char sp[32];
            fmt_spread(sp, sizeof sp, s->spread);
            printf("%-50s %10.1f %8s\n", s->name, sb_bench_series_counter(s, SB_BENCH_C_BYTES_PER_SECOND) * 1e-9, sp);
        }
    }

    /* Summary: per shape, each peer's time over ours. */
    if (ncols) {
        json_object *peer_ratios = NULL; /* --json */
        if (j) {
            peer_ratios = json_object_new_array();
            json_object_object_add(j, "peer_ratios", peer_ratios);
        } else {
            printf("\npeers against sb_softmax_f32: t_peer / t_ours (above 1: ours is faster)\n%-28s %12s",
                   "shape", "ours ns/row");
            for (size_t c = 0; c < ncols; c++) {
                char t[96];
                column_title(cols[c], t, sizeof t);
                printf(" %*s", (int)(strlen(t) > 8 ? strlen(t) : 8), t);
            }
            printf("\n");
        }
        for (size_t si = 0; si < nshapes; si++) {
            const series *ours = in_shape(f, "sb_softmax_f32", shapes[si]);
            double rows = rows_of(shapes[si]);
            json_object *ratios = NULL; /* --json: this shape's ratios by peer */
            if (j) {
                json_object *e = json_object_new_object();
                json_object_object_add(e, "shape", sb_json_new_string(shapes[si]));
                json_object_object_add(e, "ours_ns_per_row", sb_json_new_number(ours ? ours->median / rows : NAN, 0));
                ratios = json_object_new_object();
                json_object_object_add(e, "ratios", ratios);
                json_object_array_add(peer_ratios, e);
            } else {
                char t[32];
                fmt_time(t, sizeof t, ours ? ours->median / rows : NAN);
                printf("%-28s %12s", shapes[si], t);
            }
            for (size_t c = 0; c < ncols; c++) {
                const series *s = in_shape(f, cols[c], shapes[si]);
                double r = s && ours ? s->median / ours->median : NAN;
                if (j) {
                    json_object_object_add(ratios, cols[c], sb_json_new_number(r, 0));
                    continue;
                }
                char title[96], cell[32];
                column_title(cols[c], title, sizeof title);
                if (isnan(r))
                    snprintf(cell, sizeof cell, "-");
                else
                    snprintf(cell, sizeof cell, "%.2f", r);
                printf(" %*s", (int)(strlen(title) > 8 ? strlen(title) : 8), cell);
            }
            if (!j)
                printf("\n");
        }
    }

    /* Every shape: all its kernels, fastest first. */
    json_object *shape_list = NULL; /* --json */
    if (j) {
        shape_list = json_object_new_array();
        json_object_object_add(j, "shapes", shape_list);
    }
    for (size_t si = 0; si < nshapes; si++) {
        const char *shape = shapes[si];
        const series *members[256];
        size_t nm = 0;
        for (size_t k = 0; k < f->ns && nm < 256; k++) {
            const char *sh = shape_of(f->s[k].name);
            if (sh && strcmp(sh, shape) == 0 && f->s[k].usable)
                members[nm++] = &f->s[k];
        }
        for (size_t a = 1; a < nm; a++)
            for (size_t b = a; b > 0 && members[b - 1]->median > members[b]->median; b--) {
                const series *t = members[b];
                members[b] = members[b - 1], members[b - 1] = t;
            }
        const series *ours = in_shape(f, "sb_softmax_f32", shape);
        double rows = rows_of(shape);
        json_object *kernels = NULL; /* --json: this shape's kernels */
        if (j) {
            json_object *e = json_object_new_object();
            json_object_object_add(e, "shape", sb_json_new_string(shape));
            kernels = json_object_new_array();
            json_object_object_add(e, "kernels", kernels);
            json_object_array_add(shape_list, e);
        } else {
            printf("\n%-40s %-9s %11s %8s %8s %9s %9s\n", shape, "role", "ns/row", "spread", "t/ours", "max ulp",
                   "roofline");
        }
        for (size_t m = 0; m < nm; m++) {
            const series *s = members[m];
            char kernel[96], role[32], t[32], sp[32], ratio[32], ulp[32], roof[32];
            kernel_of(s->name, kernel, sizeof kernel);
            sb_bench_series_label(s, SB_BENCH_LABEL_ROLE, role, sizeof role);
            double per_row = s->median / rows, r = ours ? s->median / ours->median : NAN;
            double u = sb_bench_series_counter(s, SB_BENCH_C_MAX_ULP), rf = sb_bench_series_counter(s, SB_BENCH_C_ROOFLINE);
            if (j) {
                json_object *e = json_object_new_object();
                json_object_object_add(e, "kernel", sb_json_new_string(kernel));
                json_object_object_add(e, "role", sb_json_new_string(role));
                json_object_object_add(e, "ns_per_row", sb_json_new_number(per_row, 0));
                json_object_object_add(e, "spread", sb_json_new_number(s->spread, 0));
                json_object_object_add(e, "repetitions", json_object_new_uint64(s->nt));
                json_object_object_add(e, "ratio_to_ours", sb_json_new_number(r, 0));
                json_object_object_add(e, "max_ulp", sb_json_new_number(u, 0));
                json_object_object_add(e, "roofline", sb_json_new_number(rf, 0));
                json_object_array_add(kernels, e);
                continue;
            }
            fmt_time(t, sizeof t, per_row);
            fmt_spread(sp, sizeof sp, s->spread);
            if (isnan(r))
                snprintf(ratio, sizeof ratio, "-");
            else
                snprintf(ratio, sizeof ratio, "%.2f", r);
            fmt_ulp(ulp, sizeof ulp, u);
            if (isnan(rf))
                snprintf(roof, sizeof roof, "-");
            else
                snprintf(roof, sizeof roof, "%.1f%%", 100.0 * rf);
            printf("  %-38s %-9s %11s %8s %8s %9s %9s\n", kernel, role, t, sp, ratio, ulp, roof);
        }
    }
    if (j)
        return;
    size_t skipped = 0;
    for (size_t i = 0; i < f->ns; i++)
        if (f->s[i].error) {
            if (!skipped++)
                printf("\nskipped:\n");
            printf("  %-50s %s\n", f->s[i].name, f->s[i].error);
        }
    if (nshapes == 0)
        printf("\n(no softmax results%s)\n", o->filter ? " match the filter" : "");
}

/* Two or more files: per benchmark of the first file, the other files against it. */
void sb_compare_ratio_table(bench_file *files, size_t nf, const options *o, json_object *j)
{
    double *log_sum = calloc(nf, sizeof *log_sum);
    size_t *log_n = calloc(nf, sizeof *log_n), *significant = calloc(nf, sizeof *significant);
    if (!log_sum || !log_n || !significant) {
        free(log_sum), free(log_n), free(significant);
        return;
    }
    int name_width = 52; /* attention names are longer than softmax ones */
    for (size_t b = 0; b < files[0].ns; b++)
        if ((int)strlen(files[0].s[b].name) > name_width)
            name_width = (int)strlen(files[0].s[b].name);
    json_object *benchmarks = NULL; /* --json */
    if (j) {
        json_object *paths = json_object_new_array();
        for (size_t i = 0; i < nf; i++)
            json_object_array_add(paths, sb_json_new_string(files[i].path));
        json_object_object_add(j, "files", paths);
        json_object_object_add(j, "metric", sb_json_new_string(o->metric));
        json_object_object_add(j, "alpha", sb_json_new_number(o->alpha, 0));
        benchmarks = json_object_new_array();
        json_object_object_add(j, "benchmarks", benchmarks);
    } else {
        print_files(files, nf);
        printf("time: %s per iteration, median over repetitions (spread = (max - min) / median); X/A = median "
               "ratio (below 1: X is faster);\np = two-sided Mann-Whitney U over the repetitions, * when p < %g\n\n",
               o->metric, o->alpha);
        printf("%-*s", name_width, "benchmark");
        for (size_t i = 0; i < nf; i++)
            printf(" %12c %7s", (int)('A' + i), "spread");
        for (size_t i = 1; i < nf; i++)
            printf(" %7c/A %8s", (int)('A' + i), "p");
        printf("\n");
    }
    size_t compared = 0;
    for (size_t b = 0; b < files[0].ns; b++) {
        const series *base = &files[0].s[b];
        json_object *per_file = NULL, *against = NULL; /* --json: this benchmark's "files" and "against_A" */
        if (j) {
            json_object *e = json_object_new_object();
            json_object_object_add(e, "name", sb_json_new_string(base->name));
            per_file = json_object_new_array();
            json_object_object_add(e, "files", per_file);
            against = json_object_new_array();
            json_object_object_add(e, "against_A", against);
            json_object_array_add(benchmarks, e);
        } else {
            printf("%-*s", name_width, base->name);
        }
        for (size_t i = 0; i < nf; i++) {
            const series *s = i ? sb_bench_results_find(&files[i], base->name) : base;
            if (j) {
                json_object *e = json_object_new_object();
                if (!s || !s->usable) {
                    json_object_object_add(e, "missing",
                                           sb_json_new_string(!s ? "not in this file" : s->error ? s->error : "no times"));
                } else {
                    json_object_object_add(e, "median_ns", sb_json_new_number(s->median, 0));
                    json_object_object_add(e, "spread", sb_json_new_number(s->spread, 0));
                    json_object_object_add(e, "repetitions", json_object_new_uint64(s->nt));
                }
                json_object_array_add(per_file, e);
                continue;
            }
            char t[32], sp[32];
            if (!s || !s->usable) {
                printf(" %12s %7s", !s ? "missing" : "skipped", "");
                continue;
            }
            fmt_time(t, sizeof t, s->median);
            fmt_spread(sp, sizeof sp, s->spread);
            printf(" %12s %7s", t, sp);
        }
        for (size_t i = 1; i < nf; i++) {
            const series *s = sb_bench_results_find(&files[i], base->name);
            int both = base->usable && s && s->usable;
            double ratio = both ? s->median / base->median : NAN;
            double p = both ? sb_mann_whitney_p(base->t, base->nt, s->t, s->nt) : NAN;
            int sig = !isnan(p) && p < o->alpha;
            if (both && ratio > 0 && isfinite(ratio)) {
                log_sum[i] += log(ratio);
                log_n[i]++;
                significant[i] += (size_t)sig;
            }
            if (j) {
                json_object *e = json_object_new_object();
                json_object_object_add(e, "ratio", sb_json_new_number(ratio, 0));
                json_object_object_add(e, "p", sb_json_new_number(p, 0));
                json_object_object_add(e, "significant", json_object_new_boolean(sig));
                json_object_array_add(against, e);
                continue;
            }
            char ps[32];
            if (isnan(p))
                snprintf(ps, sizeof ps, "n/a");
            else
                snprintf(ps, sizeof ps, "%.3g%s", p, sig ? "*" : " ");
            if (both)
                printf(" %9.3f %8s", ratio, ps);
            else
                printf(" %9s %8s", "-", "");
        }
        compared++;
        if (!j)
            printf("\n");
    }
    if (j) {
        json_object *geomean = json_object_new_array();
        for (size_t i = 1; i < nf; i++)
            json_object_array_add(geomean, sb_json_new_number(log_n[i] ? exp(log_sum[i] / (double)log_n[i]) : NAN, 0));
        json_object_object_add(j, "geomean_ratio", geomean);
    } else {
        printf("\n");
        for (size_t i = 1; i < nf; i++) {
            size_t only = 0;
            for (size_t k = 0; k < files[i].ns; k++)
                only += sb_bench_results_find(&files[0], files[i].s[k].name) == NULL;
            if (log_n[i])
                printf("%c/A: geometric mean ratio %.3f over %zu benchmarks in both, %zu significant at p < %g",
                       (int)('A' + i), exp(log_sum[i] / (double)log_n[i]), log_n[i], significant[i], o->alpha);
            else
                printf("%c/A: no benchmark has results in both files", (int)('A' + i));
            printf("%s", only ? "" : "\n");
            if (only)
                printf("; %zu only in %c\n", only, (int)('A' + i));
        }
        if (compared == 0)
            printf("(no benchmarks%s)\n", o->filter ? " match the filter" : "");
    }
    free(log_sum), free(log_n), free(significant);
}
