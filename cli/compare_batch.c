/* The batched softmax tables of one benchmark file (bench_batch.c's batch/ family), for `sinkbench
 * compare` and the report: per shape of io/bench_schema.h's list, ours (sb_softmax_batch) and every
 * peer at 1 and 2 threads with the ratio to ours and the share of the copy roofline of the same shape
 * and thread count; the thread scaling of ours and of the copy; the per-call time on the 8-entry row.
 * Wall-clock medians (the family is timed in real time). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "compare.h"
#include "io/bench_schema.h"

#define MAX_KERNELS 16

/* The series of kernel at shape spec with `threads` threads; NULL when absent or skipped. */
static const sb_bench_series *find(const sb_bench_results *b, const char *kernel, sb_bench_batch_shape_spec spec,
                                   size_t threads)
{
    char name[256];
    spec.threads = threads;
    int len = sb_bench_batch_name(name, sizeof name, kernel, &spec);
    if (len < 0 || (size_t)len + 11 > sizeof name)
        return NULL;
    strcat(name, "/real_time");
    const sb_bench_series *s = sb_bench_results_find(b, name);
    return s && s->usable ? s : NULL;
}

/* The kernels of the file's batch family, ours first, then the peers in file order (copy left out). */
static size_t kernels_of(const sb_bench_results *b, char names[][96])
{
    size_t n = 0;
    snprintf(names[n++], sizeof names[0], "%s", SB_BENCH_BATCH_API);
    for (size_t i = 0; i < b->ns && n < MAX_KERNELS; i++) {
        const char *k = b->s[i].name + strlen(SB_BENCH_BATCH);
        const char *slash = strchr(k, '/');
        if (!slash)
            continue;
        char role[32];
        sb_bench_series_label(&b->s[i], SB_BENCH_LABEL_ROLE, role, sizeof role);
        if (strcmp(role, SB_BENCH_ROLE_PEER) != 0)
            continue;
        int seen = 0;
        for (size_t j = 0; j < n && !seen; j++)
            seen = strlen(names[j]) == (size_t)(slash - k) && strncmp(names[j], k, (size_t)(slash - k)) == 0;
        if (!seen)
            snprintf(names[n++], sizeof names[0], "%.*s", (int)(slash - k), k);
    }
    return n;
}

static void shape_title(char *out, size_t size, const sb_bench_batch_shape_spec *s)
{
    if (s->heads == 1 && s->queries == 1)
        snprintf(out, size, "one row of %zu", s->n);
    else
        snprintf(out, size, "[%zu x %zu x %zu]%s", s->heads, s->queries, s->n, s->causal ? " causal" : "");
}

static void cell_time(char *out, size_t size, const sb_bench_series *s)
{
    if (!s)
        snprintf(out, size, "-");
    else if (s->median >= 1e6)
        snprintf(out, size, "%.2f ms", s->median * 1e-6);
    else if (s->median >= 1e4)
        snprintf(out, size, "%.1f us", s->median * 1e-3);
    else
        snprintf(out, size, "%.0f ns", s->median);
}

static void cell_ratio(char *out, size_t size, const sb_bench_series *s, const sb_bench_series *ours)
{
    if (!s || !ours)
        snprintf(out, size, "-");
    else
        snprintf(out, size, "%.2f", s->median / ours->median);
}

static void cell_roof(char *out, size_t size, const sb_bench_series *s)
{
    double r = s ? sb_bench_series_counter(s, SB_BENCH_C_ROOFLINE_COPY) : NAN;
    if (isnan(r))
        snprintf(out, size, "-");
    else
        snprintf(out, size, "%.0f %%", 100.0 * r);
}

static json_object *num(double v) { return isnan(v) ? NULL : json_object_new_double(v); }

size_t sb_compare_batch(const char *path, FILE *out, json_object *j, int strict)
{
    sb_bench_results b;
    char err[512];
    memset(&b, 0, sizeof b);
    if (!sb_bench_results_load(&b, path, "real_time", SB_BENCH_BATCH, err, sizeof err) || b.ns == 0) {
        sb_bench_results_free(&b);
        if (!strict)
            return 0; /* compare: a file without the batch family (an older one, a filter) shows nothing */
        fprintf(out, "**Batched softmax**: **error**: bench.json has no `%s` results\n\n", SB_BENCH_BATCH);
        return sb_bench_report_batch_shape_count / 2;
    }
    char names[MAX_KERNELS][96];
    size_t nk = kernels_of(&b, names), missing = 0;
    json_object *list = NULL;
    if (j) {
        list = json_object_new_array();
        json_object_object_add(j, "batch", list);
    } else
        fprintf(out, "Batched softmax (`sb_softmax_batch` and the peers' batched entry points, the same scores: "
                     "scale 1, causal mask already in the scores, no sink; wall-clock medians; \"x ours\" = time over "
                     "ours at the same thread count, above 1: ours is faster; roofline = x read + y written at the "
                     "copy bandwidth of the same shape and thread count, measured in the same run)\n\n");
    for (size_t sh = 0; sh < sb_bench_report_batch_shape_count; sh += 2) {
        sb_bench_batch_shape_spec spec = sb_bench_report_batch_shapes[sh];
        char title[96];
        shape_title(title, sizeof title, &spec);
        const sb_bench_series *o1 = find(&b, SB_BENCH_BATCH_API, spec, 1), *o2 = find(&b, SB_BENCH_BATCH_API, spec, 2);
        if (!o1 || !o2) {
            if (!strict)
                continue;
            if (!j)
                fprintf(out, "**%s**: **error**: no usable `%s` result at %s\n\n", title, SB_BENCH_BATCH_API,
                        !o1 ? "1 thread" : "2 threads");
            missing++;
            continue;
        }
        if (!j)
            fprintf(out, "**%s**\n\n| kernel | 1 thread | x ours | 2 threads | x ours | max ulp | roofline 1 t | roofline 2 t |\n"
                         "|---|---:|---:|---:|---:|---:|---:|---:|\n", title);
        for (size_t k = 0; k < nk; k++) {
            const sb_bench_series *s1 = find(&b, names[k], spec, 1), *s2 = find(&b, names[k], spec, 2);
            if (!s1 && !s2)
                continue;
            double ulp = sb_bench_series_counter(s1 ? s1 : s2, SB_BENCH_C_MAX_ULP);
            if (j) {
                json_object *e = json_object_new_object();
                json_object_object_add(e, "shape", sb_json_new_string(title));
                json_object_object_add(e, "kernel", sb_json_new_string(names[k]));
                json_object_object_add(e, "ns_1", s1 ? num(s1->median) : NULL);
                json_object_object_add(e, "ns_2", s2 ? num(s2->median) : NULL);
                json_object_object_add(e, "ratio_1", s1 ? num(s1->median / o1->median) : NULL);
                json_object_object_add(e, "ratio_2", s2 ? num(s2->median / o2->median) : NULL);
                json_object_object_add(e, "max_ulp", num(ulp));
                json_object_object_add(e, "roofline_1", s1 ? num(sb_bench_series_counter(s1, SB_BENCH_C_ROOFLINE_COPY)) : NULL);
                json_object_object_add(e, "roofline_2", s2 ? num(sb_bench_series_counter(s2, SB_BENCH_C_ROOFLINE_COPY)) : NULL);
                json_object_array_add(list, e);
                continue;
            }
            char t1[32], r1[32], t2[32], r2[32], u[32], f1[32], f2[32];
            cell_time(t1, sizeof t1, s1);
            cell_ratio(r1, sizeof r1, s1, o1);
            cell_time(t2, sizeof t2, s2);
            cell_ratio(r2, sizeof r2, s2, o2);
            cell_roof(f1, sizeof f1, s1);
            cell_roof(f2, sizeof f2, s2);
            if (isnan(ulp))
                snprintf(u, sizeof u, "-");
            else
                snprintf(u, sizeof u, "%.0f", ulp);
            fprintf(out, "| `%s` | %s | %s | %s | %s | %s | %s | %s |\n", names[k], t1, r1, t2, r2, u, f1, f2);
        }
        if (!j) {
            const sb_bench_series *c1 = find(&b, SB_BENCH_BATCH_COPY, spec, 1), *c2 = find(&b, SB_BENCH_BATCH_COPY, spec, 2);
            char t1[32], t2[32];
            cell_time(t1, sizeof t1, c1);
            cell_time(t2, sizeof t2, c2);
            fprintf(out, "| copy (roofline) | %s | | %s | | | %.1f GB/s | %.1f GB/s |\n\n", t1, t2,
                    c1 ? sb_bench_series_counter(c1, SB_BENCH_C_BW_COPY_GBPS) : NAN,
                    c2 ? sb_bench_series_counter(c2, SB_BENCH_C_BW_COPY_GBPS) : NAN);
        }
    }
    if (!j) {
        fprintf(out, "**Thread scaling** (time at 1 thread over time at 2 threads)\n\n"
                     "| shape | ours 1 t | ours 2 t | ours speedup | copy speedup |\n|---|---:|---:|---:|---:|\n");
        for (size_t sh = 0; sh < sb_bench_report_batch_shape_count; sh += 2) {
            sb_bench_batch_shape_spec spec = sb_bench_report_batch_shapes[sh];
            const sb_bench_series *o1 = find(&b, SB_BENCH_BATCH_API, spec, 1), *o2 = find(&b, SB_BENCH_BATCH_API, spec, 2);
            const sb_bench_series *c1 = find(&b, SB_BENCH_BATCH_COPY, spec, 1), *c2 = find(&b, SB_BENCH_BATCH_COPY, spec, 2);
            if (!o1 || !o2)
                continue;
            char title[96], t1[32], t2[32];
            shape_title(title, sizeof title, &spec);
            cell_time(t1, sizeof t1, o1);
            cell_time(t2, sizeof t2, o2);
            fprintf(out, "| %s | %s | %s | %.2f | %.2f |\n", title, t1, t2, o1->median / o2->median,
                    c1 && c2 ? c1->median / c2->median : NAN);
        }
        sb_bench_batch_shape_spec row8 = {1, 1, 8, 0, 1};
        const sb_bench_series *o8 = find(&b, SB_BENCH_BATCH_API, row8, 1);
        if (o8)
            fprintf(out, "\nPer-call time of `sb_softmax_batch` on one 8-entry row, 1 thread: %.1f ns (goal: at most 60 "
                         "ns).\n\n", o8->median);
    }
    sb_bench_results_free(&b);
    return missing;
}
