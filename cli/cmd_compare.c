/* sinkbench compare: reads Google Benchmark JSON written by sinkbench-bench and prints
 *   - for one file, the side-by-side table: per shape, every kernel (ours, peers, references) with
 *     ns/row, spread over repetitions, the ratio to sb_softmax_f32 (what a user gets), max ulp and
 *     roofline fraction; and the bandwidth measured at each shape;
 *   - for two or more files (two CPUs, builds or ISAs), per benchmark the median of each file, its
 *     spread, the ratio to the first file and a two-sided Mann-Whitney U p-value over repetitions.
 * Statistics: medians of the per-repetition times; spread = (max - min) / median; the U test's
 * p-value is exact (the permutation distribution of the rank sum, ties as midranks) up to 50 runs in
 * total, and the normal approximation with tie and continuity corrections beyond. */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "json.h"
#include "json_parse.h"

typedef struct series {
    const char *name;        /* run_name (into the document) */
    double *t;               /* per-repetition times, ns per iteration */
    size_t nt, cap;
    double median_agg;       /* the file's own median aggregate, when only aggregates were written */
    int has_median_agg;
    const sb_jv *entry;      /* the first entry of this run (counters, label) */
    const char *error;       /* error_message of a skipped run */
    double median, spread;   /* computed */
    int usable;
} series;

typedef struct bench_file {
    const char *path;
    sb_jv *doc;
    series *s;
    size_t ns, cap;
} bench_file;

typedef struct options {
    const char *metric;      /* cpu_time or real_time */
    double alpha;
    const char *filter;
    int json;
} options;

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median_of(const double *v, size_t n)
{
    if (n == 0)
        return NAN;
    double *c = malloc(n * sizeof *c);
    if (!c)
        return NAN;
    memcpy(c, v, n * sizeof *c);
    qsort(c, n, sizeof *c, cmp_double);
    double m = n % 2 ? c[n / 2] : 0.5 * (c[n / 2 - 1] + c[n / 2]);
    free(c);
    return m;
}

/* Two-sided Mann-Whitney U p-value for samples a and b; NAN when either has fewer than 2 values. */
double sb_mann_whitney_p(const double *a, size_t na, const double *b, size_t nb);
double sb_mann_whitney_p(const double *a, size_t na, const double *b, size_t nb)
{
    if (na < 2 || nb < 2)
        return NAN;
    size_t n = na + nb;
    double *v = malloc(n * sizeof *v);
    size_t *order = malloc(n * sizeof *order);
    long *rank2 = malloc(n * sizeof *rank2);   /* doubled midranks: integers even with ties */
    if (!v || !order || !rank2) {
        free(v), free(order), free(rank2);
        return NAN;
    }
    memcpy(v, a, na * sizeof *v);
    memcpy(v + na, b, nb * sizeof *v);
    for (size_t i = 0; i < n; i++)
        order[i] = i;
    for (size_t i = 1; i < n; i++)   /* insertion sort of indices by value: n is small */
        for (size_t j = i; j > 0 && v[order[j - 1]] > v[order[j]]; j--) {
            size_t t = order[j];
            order[j] = order[j - 1], order[j - 1] = t;
        }
    double tie_term = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j + 1 < n && v[order[j + 1]] == v[order[i]])
            j++;
        for (size_t k = i; k <= j; k++)
            rank2[order[k]] = (long)(i + 1 + j + 1);   /* 2 x the mean of ranks i+1 .. j+1 */
        double t = (double)(j - i + 1);
        tie_term += t * t * t - t;
        i = j + 1;
    }
    long w2 = 0;
    for (size_t i = 0; i < na; i++)
        w2 += rank2[i];
    double p;
    if (n <= 50) {
        /* count[k][s]: subsets of k of the first items with doubled rank sum s (exact in double up to
         * C(50,25) ~ 1.3e14 < 2^53). */
        long smax = (long)(n * (n + 1));
        size_t width = (size_t)smax + 1;
        double *count = calloc((na + 1) * width, sizeof *count);
        if (!count) {
            free(v), free(order), free(rank2);
            return NAN;
        }
        count[0] = 1;
        for (size_t i = 0; i < n; i++)
            for (size_t k = (i + 1 < na ? i + 1 : na); k >= 1; k--) {
                long r = rank2[i];
                for (long s = smax; s >= r; s--)
                    count[k * width + (size_t)s] += count[(k - 1) * width + (size_t)(s - r)];
            }
        double total = 0, low = 0, high = 0;
        for (long s = 0; s <= smax; s++) {
            double c = count[na * width + (size_t)s];
            total += c;
            if (s <= w2)
                low += c;
            if (s >= w2)
                high += c;
        }
        free(count);
        p = 2.0 * fmin(low, high) / total;
    } else {
        double u = (double)w2 / 2.0 - (double)na * (double)(na + 1) / 2.0;
        double mean = (double)na * (double)nb / 2.0;
        double var = (double)na * (double)nb / 12.0 * ((double)(n + 1) - tie_term / ((double)n * (double)(n - 1)));
        double z = var > 0 ? (fabs(u - mean) - 0.5) / sqrt(var) : 0.0;
        p = z > 0 ? erfc(z / sqrt(2.0)) : 1.0;
    }
    free(v), free(order), free(rank2);
    return p > 1.0 ? 1.0 : p;
}

static double unit_to_ns(const char *unit)
{
    if (!unit || strcmp(unit, "ns") == 0)
        return 1.0;
    if (strcmp(unit, "us") == 0)
        return 1e3;
    if (strcmp(unit, "ms") == 0)
        return 1e6;
    if (strcmp(unit, "s") == 0)
        return 1e9;
    return NAN;
}

static series *series_for(bench_file *f, const char *name, const sb_jv *entry)
{
    for (size_t i = 0; i < f->ns; i++)
        if (strcmp(f->s[i].name, name) == 0)
            return &f->s[i];
    if (f->ns == f->cap) {
        size_t cap = f->cap ? 2 * f->cap : 64;
        series *s = realloc(f->s, cap * sizeof *s);
        if (!s)
            return NULL;
        f->s = s, f->cap = cap;
    }
    series *s = &f->s[f->ns++];
    memset(s, 0, sizeof *s);
    s->name = name;
    s->entry = entry;
    return s;
}

static int push_time(series *s, double t)
{
    if (s->nt == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 8;
        double *v = realloc(s->t, cap * sizeof *v);
        if (!v)
            return 0;
        s->t = v, s->cap = cap;
    }
    s->t[s->nt++] = t;
    return 1;
}

static int matches(const options *o, const char *name) { return !o->filter || strstr(name, o->filter); }

/* Loads one file; 0 after printing why (exit 3). */
static int load(bench_file *f, const char *path, const options *o)
{
    char err[512];
    memset(f, 0, sizeof *f);
    f->path = path;
    f->doc = sb_jv_parse_file(path, err, sizeof err);
    if (!f->doc) {
        sb_cli_error("compare", "%s", err);
        return 0;
    }
    const sb_jv *list = sb_jv_get(f->doc, "benchmarks");
    if (sb_jv_type_of(f->doc) != SB_JV_OBJECT || sb_jv_type_of(list) != SB_JV_ARRAY) {
        sb_cli_error("compare", "%s: not a Google Benchmark JSON report (no \"benchmarks\" array)", path);
        return 0;
    }
    if (sb_jv_count(list) == 0) {
        sb_cli_error("compare", "%s: the report has no benchmark results", path);
        return 0;
    }
    for (size_t i = 0; i < sb_jv_count(list); i++) {
        const sb_jv *e = sb_jv_at(list, i);
        const char *name = sb_jv_string(sb_jv_get(e, "run_name"), sb_jv_string(sb_jv_get(e, "name"), NULL));
        if (!name) {
            sb_cli_error("compare", "%s: benchmark entry %zu has no name", path, i);
            return 0;
        }
        if (!matches(o, name))
            continue;
        series *s = series_for(f, name, e);
        if (!s) {
            sb_cli_error("compare", "out of memory");
            return 0;
        }
        if (sb_jv_bool(sb_jv_get(e, "error_occurred"), 0)) {
            s->error = sb_jv_string(sb_jv_get(e, "error_message"), "skipped");
            continue;
        }
        double scale = unit_to_ns(sb_jv_string(sb_jv_get(e, "time_unit"), "ns"));
        double t = sb_jv_number(sb_jv_get(e, o->metric), NAN);
        if (isnan(scale) || !(t >= 0)) {
            sb_cli_error("compare", "%s: benchmark '%s' has no usable %s (or an unknown time_unit)", path, name,
                         o->metric);
            return 0;
        }
        const char *type = sb_jv_string(sb_jv_get(e, "run_type"), "iteration");
        if (strcmp(type, "aggregate") == 0) {
            if (strcmp(sb_jv_string(sb_jv_get(e, "aggregate_name"), ""), "median") == 0) {
                s->median_agg = t * scale;
                s->has_median_agg = 1;
            }
            continue;
        }
        if (s->nt == 0)
            s->entry = e;
        if (!push_time(s, t * scale)) {
            sb_cli_error("compare", "out of memory");
            return 0;
        }
    }
    for (size_t i = 0; i < f->ns; i++) {
        series *s = &f->s[i];
        s->usable = !s->error && (s->nt > 0 || s->has_median_agg);
        if (!s->usable)
            continue;
        if (s->nt > 0) {
            s->median = median_of(s->t, s->nt);
            double lo = s->t[0], hi = s->t[0];
            for (size_t k = 1; k < s->nt; k++)
                lo = fmin(lo, s->t[k]), hi = fmax(hi, s->t[k]);
            s->spread = s->nt > 1 && s->median > 0 ? (hi - lo) / s->median : NAN;
        } else {
            s->median = s->median_agg;
            s->spread = NAN;
        }
    }
    return 1;
}

static void free_file(bench_file *f)
{
    for (size_t i = 0; i < f->ns; i++)
        free(f->s[i].t);
    free(f->s);
    sb_jv_free(f->doc);
}

static const series *find(const bench_file *f, const char *name)
{
    for (size_t i = 0; i < f->ns; i++)
        if (strcmp(f->s[i].name, name) == 0)
            return &f->s[i];
    return NULL;
}

static const char *context(const bench_file *f, const char *key)
{
    return sb_jv_string(sb_jv_get(sb_jv_get(f->doc, "context"), key), "?");
}

/* A token of the label ("role=peer isa=avx2 ...") into out; "" when absent. */
static void label_token(const series *s, const char *key, char *out, size_t size)
{
    const char *label = sb_jv_string(sb_jv_get(s->entry, "label"), "");
    size_t klen = strlen(key);
    out[0] = 0;
    for (const char *p = label; *p;) {
        while (*p == ' ')
            p++;
        const char *end = p;
        while (*end && *end != ' ')
            end++;
        if ((size_t)(end - p) > klen && strncmp(p, key, klen) == 0 && p[klen] == '=') {
            size_t n = (size_t)(end - p) - klen - 1;
            n = n < size - 1 ? n : size - 1;
            memcpy(out, p + klen + 1, n);
            out[n] = 0;
            return;
        }
        p = end;
    }
}

static double counter(const series *s, const char *key) { return sb_jv_number(sb_jv_get(s->entry, key), NAN); }

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
               context(&files[i], "host_name"), context(&files[i], "cpu_model"), context(&files[i], "date"),
               context(&files[i], "preset"), context(&files[i], "sinkbench_version"),
               context(&files[i], "library_build_type"));
    printf("\n");
}

/* "n:4096/gap:15/rows:1" of "softmax/<kernel>/n:4096/gap:15/rows:1"; NULL for other benchmarks. */
static const char *shape_of(const char *name)
{
    if (strncmp(name, "softmax/", 8) != 0)
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
    snprintf(name, sizeof name, "softmax/%s/%s", kernel, shape);
    const series *s = find(f, name);
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
            label_token(s, "role", role, sizeof role);
            kernel_of(s->name, k, sizeof k);
            if (pass == 0 ? strcmp(role, "peer") != 0 : strcmp(k, "softmax_scalar_f32") != 0)
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
static void peer_tables(const bench_file *f, const options *o, sb_json *j)
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
        sb_json_kv_string(j, "file", f->path);
        sb_json_kv_string(j, "metric", o->metric);
    } else {
        printf("time: %s, median over repetitions; spread = (max - min) / median; t/ours = time / "
               "sb_softmax_f32's time\n(above 1: slower than what sinkbench gives a user; 2.00 = ours is twice as fast)\n",
               o->metric);
        int printed_bw = 0;
        for (size_t i = 0; i < f->ns; i++) {
            const series *s = &f->s[i];
            if (strncmp(s->name, "bandwidth/", 10) != 0 || !s->usable)
                continue;
            if (!printed_bw++)
                printf("\n%-50s %10s %8s\n", "bandwidth (the softmax rows' working sets)", "GB/s", "spread");
            char sp[32];
            fmt_spread(sp, sizeof sp, s->spread);
            printf("%-50s %10.1f %8s\n", s->name, counter(s, "bytes_per_second") * 1e-9, sp);
        }
    }

    /* Summary: per shape, each peer's time over ours. */
    if (ncols) {
        if (j) {
            sb_json_key(j, "peer_ratios");
            sb_json_array_begin(j);
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
            if (j) {
                sb_json_object_begin(j);
                sb_json_kv_string(j, "shape", shapes[si]);
                sb_json_kv_number(j, "ours_ns_per_row", ours ? ours->median / rows : NAN);
                sb_json_key(j, "ratios");
                sb_json_object_begin(j);
            } else {
                char t[32];
                fmt_time(t, sizeof t, ours ? ours->median / rows : NAN);
                printf("%-28s %12s", shapes[si], t);
            }
            for (size_t c = 0; c < ncols; c++) {
                const series *s = in_shape(f, cols[c], shapes[si]);
                double r = s && ours ? s->median / ours->median : NAN;
                if (j) {
                    sb_json_kv_number(j, cols[c], r);
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
            if (j) {
                sb_json_object_end(j);
                sb_json_object_end(j);
            } else {
                printf("\n");
            }
        }
        if (j)
            sb_json_array_end(j);
    }

    /* Every shape: all its kernels, fastest first. */
    if (j) {
        sb_json_key(j, "shapes");
        sb_json_array_begin(j);
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
        if (j) {
            sb_json_object_begin(j);
            sb_json_kv_string(j, "shape", shape);
            sb_json_key(j, "kernels");
            sb_json_array_begin(j);
        } else {
            printf("\n%-40s %-9s %11s %8s %8s %9s %9s\n", shape, "role", "ns/row", "spread", "t/ours", "max ulp",
                   "roofline");
        }
        for (size_t m = 0; m < nm; m++) {
            const series *s = members[m];
            char kernel[96], role[32], t[32], sp[32], ratio[32], ulp[32], roof[32];
            kernel_of(s->name, kernel, sizeof kernel);
            label_token(s, "role", role, sizeof role);
            double per_row = s->median / rows, r = ours ? s->median / ours->median : NAN;
            double u = counter(s, "max_ulp"), rf = counter(s, "roofline");
            if (j) {
                sb_json_object_begin(j);
                sb_json_kv_string(j, "kernel", kernel);
                sb_json_kv_string(j, "role", role);
                sb_json_kv_number(j, "ns_per_row", per_row);
                sb_json_kv_number(j, "spread", s->spread);
                sb_json_kv_uint(j, "repetitions", s->nt);
                sb_json_kv_number(j, "ratio_to_ours", r);
                sb_json_kv_number(j, "max_ulp", u);
                sb_json_kv_number(j, "roofline", rf);
                sb_json_object_end(j);
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
        if (j) {
            sb_json_array_end(j);
            sb_json_object_end(j);
        }
    }
    if (j) {
        sb_json_array_end(j);
        return;
    }
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
static void ratio_table(bench_file *files, size_t nf, const options *o, sb_json *j)
{
    double *log_sum = calloc(nf, sizeof *log_sum);
    size_t *log_n = calloc(nf, sizeof *log_n), *significant = calloc(nf, sizeof *significant);
    if (!log_sum || !log_n || !significant) {
        free(log_sum), free(log_n), free(significant);
        return;
    }
    if (j) {
        sb_json_key(j, "files");
        sb_json_array_begin(j);
        for (size_t i = 0; i < nf; i++)
            sb_json_string(j, files[i].path);
        sb_json_array_end(j);
        sb_json_kv_string(j, "metric", o->metric);
        sb_json_kv_number(j, "alpha", o->alpha);
        sb_json_key(j, "benchmarks");
        sb_json_array_begin(j);
    } else {
        print_files(files, nf);
        printf("time: %s per iteration, median over repetitions (spread = (max - min) / median); X/A = median "
               "ratio (below 1: X is faster);\np = two-sided Mann-Whitney U over the repetitions, * when p < %g\n\n",
               o->metric, o->alpha);
        printf("%-52s", "benchmark");
        for (size_t i = 0; i < nf; i++)
            printf(" %12c %7s", (int)('A' + i), "spread");
        for (size_t i = 1; i < nf; i++)
            printf(" %7c/A %8s", (int)('A' + i), "p");
        printf("\n");
    }
    size_t compared = 0;
    for (size_t b = 0; b < files[0].ns; b++) {
        const series *base = &files[0].s[b];
        if (j) {
            sb_json_object_begin(j);
            sb_json_kv_string(j, "name", base->name);
            sb_json_key(j, "files");
            sb_json_array_begin(j);
        } else {
            printf("%-52s", base->name);
        }
        for (size_t i = 0; i < nf; i++) {
            const series *s = i ? find(&files[i], base->name) : base;
            if (j) {
                sb_json_object_begin(j);
                if (!s || !s->usable) {
                    sb_json_kv_string(j, "missing", !s ? "not in this file" : s->error ? s->error : "no times");
                } else {
                    sb_json_kv_number(j, "median_ns", s->median);
                    sb_json_kv_number(j, "spread", s->spread);
                    sb_json_kv_uint(j, "repetitions", s->nt);
                }
                sb_json_object_end(j);
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
        if (j) {
            sb_json_array_end(j);
            sb_json_key(j, "against_A");
            sb_json_array_begin(j);
        }
        for (size_t i = 1; i < nf; i++) {
            const series *s = find(&files[i], base->name);
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
                sb_json_object_begin(j);
                sb_json_kv_number(j, "ratio", ratio);
                sb_json_kv_number(j, "p", p);
                sb_json_kv_bool(j, "significant", sig);
                sb_json_object_end(j);
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
        if (j) {
            sb_json_array_end(j);
            sb_json_object_end(j);
        } else {
            printf("\n");
        }
    }
    if (j) {
        sb_json_array_end(j);
        sb_json_key(j, "geomean_ratio");
        sb_json_array_begin(j);
        for (size_t i = 1; i < nf; i++)
            sb_json_number(j, log_n[i] ? exp(log_sum[i] / (double)log_n[i]) : NAN);
        sb_json_array_end(j);
    } else {
        printf("\n");
        for (size_t i = 1; i < nf; i++) {
            size_t only = 0;
            for (size_t k = 0; k < files[i].ns; k++)
                only += find(&files[0], files[i].s[k].name) == NULL;
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

static int run_compare(int argc, char **argv)
{
    options o = {"cpu_time", 0.05, NULL, 0};
    const char *paths[26];
    size_t nf = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--json") == 0) {
            o.json = 1;
        } else if (strcmp(a, "--metric") == 0 || strcmp(a, "--alpha") == 0 || strcmp(a, "--filter") == 0) {
            if (i + 1 >= argc)
                return sb_cli_usage_error("compare", "%s needs a value", a);
            const char *v = argv[++i];
            if (a[2] == 'm') {
                if (strcmp(v, "cpu_time") != 0 && strcmp(v, "real_time") != 0)
                    return sb_cli_usage_error("compare", "--metric must be cpu_time or real_time, not '%s'", v);
                o.metric = v;
            } else if (a[2] == 'a') {
                char *end = NULL;
                o.alpha = strtod(v, &end);
                if (*end || !(o.alpha > 0 && o.alpha < 1))
                    return sb_cli_usage_error("compare", "--alpha must be a number between 0 and 1, not '%s'", v);
            } else {
                o.filter = v;
            }
        } else if (a[0] == '-' && a[1]) {
            return sb_cli_usage_error("compare", "unknown option '%s'", a);
        } else if (nf == sizeof paths / sizeof paths[0]) {
            return sb_cli_usage_error("compare", "at most %zu files", sizeof paths / sizeof paths[0]);
        } else {
            paths[nf++] = a;
        }
    }
    if (nf == 0)
        return sb_cli_usage_error("compare", "give one or more benchmark JSON files");
    bench_file files[26];
    size_t loaded = 0;
    int rc = SB_EXIT_OK;
    for (; loaded < nf; loaded++)
        if (!load(&files[loaded], paths[loaded], &o)) {
            free_file(&files[loaded]);
            rc = SB_EXIT_ERROR;
            break;
        }
    if (rc == SB_EXIT_OK) {
        sb_json j;
        if (o.json) {
            sb_json_init(&j, stdout);
            sb_json_object_begin(&j);
        }
        if (nf == 1)
            peer_tables(&files[0], &o, o.json ? &j : NULL);
        else
            ratio_table(files, nf, &o, o.json ? &j : NULL);
        if (o.json) {
            sb_json_object_end(&j);
            fputc('\n', stdout);
        }
    }
    for (size_t i = 0; i < loaded; i++)
        free_file(&files[i]);
    return rc;
}

const sb_command sb_cmd_compare = {
    "compare",
    "compare benchmark results: kernels side by side, or machines/builds against each other",
    "usage: sinkbench compare [--metric cpu_time|real_time] [--alpha P] [--filter TEXT] [--json] FILE.json...\n\n"
    "Reads the Google Benchmark JSON written by sinkbench-bench (bench/, docs/benchmarks.md).\n\n"
    "One file: per softmax shape (n, sink gap, rows), every kernel side by side, fastest first: its\n"
    "role (dispatch = sb_softmax_f32 as a user calls it, kernel, study, peer), ns per row (median over\n"
    "repetitions), spread ((max - min) / median), the ratio to sb_softmax_f32 ('t/ours'), its max ulp\n"
    "error on the same inputs and the fraction of the memory-bandwidth bound it reaches; and the read,\n"
    "copy and memcpy bandwidth measured at the same working sets. Skipped benchmarks are listed with\n"
    "their reason.\n\n"
    "Two or more files (two CPUs, builds or ISAs; the first is the baseline A): per benchmark of A, the\n"
    "median and spread in every file, the ratio X/A (below 1: X is faster) and a two-sided Mann-Whitney\n"
    "U p-value over the repetitions (exact up to 50 runs in total; needs >= 2 repetitions on each side,\n"
    "and >= 4 each to ever reach p < 0.05), marked * when p < alpha; then the geometric mean ratio.\n\n"
    "options:\n"
    "  --metric M    cpu_time (default: what the runs were timed by) or real_time\n"
    "  --alpha P     significance level for the * mark (default 0.05)\n"
    "  --filter TEXT only benchmarks whose name contains TEXT\n"
    "  --json        the tables as JSON on stdout\n\n"
    "exit status: 0 done, 2 usage error, 3 a file cannot be read or is not a benchmark report\n\n"
    "examples:\n"
    "  sinkbench compare reports/bench-myhost-quick-20260101-120000.json\n"
    "  sinkbench compare zen3.json zen4.json --filter n:4096/\n"
    "  sinkbench compare avx2.json avx512.json --json > ratios.json\n",
    run_compare,
};
