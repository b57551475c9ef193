#define _POSIX_C_SOURCE 200809L /* strdup */
#include "io/bench_results.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/bench_stats.h"
#include "io/tool.h"

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

static sb_bench_series *series_for(sb_bench_results *f, const char *name, const json_object *entry)
{
    for (size_t i = 0; i < f->ns; i++)
        if (strcmp(f->s[i].name, name) == 0)
            return &f->s[i];
    if (f->ns == f->cap) {
        size_t cap = f->cap ? 2 * f->cap : 64;
        sb_bench_series *s = realloc(f->s, cap * sizeof *s);
        if (!s)
            return NULL;
        f->s = s, f->cap = cap;
    }
    sb_bench_series *s = &f->s[f->ns++];
    memset(s, 0, sizeof *s);
    s->name = name;
    s->entry = entry;
    return s;
}

static int push_time(sb_bench_series *s, double t)
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

int sb_bench_results_load(sb_bench_results *f, const char *path, const char *metric, const char *filter,
                          char *err, size_t err_size)
{
    memset(f, 0, sizeof *f);
    f->path = strdup(path); /* the caller's buffer may be gone by the time the path is printed */
    if (!f->path) {
        sb_tool_say(err, err_size, "%s: out of memory", path);
        return 0;
    }
    if (!sb_json_read_file(path, &f->doc, err, err_size))
        return 0;
    const json_object *list = json_object_object_get(f->doc, "benchmarks");
    if (!json_object_is_type(f->doc, json_type_object) || !json_object_is_type(list, json_type_array)) {
        sb_tool_say(err, err_size, "%s: not a Google Benchmark JSON report (no \"benchmarks\" array)", path);
        return 0;
    }
    if (sb_json_length(list) == 0) {
        sb_tool_say(err, err_size, "%s: the report has no benchmark results", path);
        return 0;
    }
    for (size_t i = 0; i < sb_json_length(list); i++) {
        const json_object *e = sb_json_at(list, i);
        const char *name = sb_json_string_or(json_object_object_get(e, "run_name"),
                                             sb_json_string_or(json_object_object_get(e, "name"), NULL));
        if (!name) {
            sb_tool_say(err, err_size, "%s: benchmark entry %zu has no name", path, i);
            return 0;
        }
        if (filter && !strstr(name, filter))
            continue;
        sb_bench_series *s = series_for(f, name, e);
        if (!s) {
            sb_tool_say(err, err_size, "%s: out of memory", path);
            return 0;
        }
        if (sb_json_bool_or(json_object_object_get(e, "error_occurred"), 0)) {
            s->error = sb_json_string_or(json_object_object_get(e, "error_message"), "skipped");
            continue;
        }
        double scale = unit_to_ns(sb_json_string_or(json_object_object_get(e, "time_unit"), "ns"));
        double t = sb_json_number_or(json_object_object_get(e, metric), NAN);
        if (isnan(scale) || !(t >= 0)) {
            sb_tool_say(err, err_size, "%s: benchmark '%s' has no usable %s (or an unknown time_unit)", path, name, metric);
            return 0;
        }
        const char *type = sb_json_string_or(json_object_object_get(e, "run_type"), "iteration");
        if (strcmp(type, "aggregate") == 0) {
            if (strcmp(sb_json_string_or(json_object_object_get(e, "aggregate_name"), ""), "median") == 0) {
                s->median_agg = t * scale;
                s->has_median_agg = 1;
            }
            continue;
        }
        if (s->nt == 0)
            s->entry = e;
        if (!push_time(s, t * scale)) {
            sb_tool_say(err, err_size, "%s: out of memory", path);
            return 0;
        }
    }
    for (size_t i = 0; i < f->ns; i++) {
        sb_bench_series *s = &f->s[i];
        s->usable = !s->error && (s->nt > 0 || s->has_median_agg);
        if (!s->usable)
            continue;
        if (s->nt > 0) {
            s->median = sb_stat_median(s->t, s->nt);
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

void sb_bench_results_free(sb_bench_results *f)
{
    for (size_t i = 0; i < f->ns; i++)
        free(f->s[i].t);
    free(f->s);
    json_object_put(f->doc);
    free(f->path);
    memset(f, 0, sizeof *f);
}

const sb_bench_series *sb_bench_results_find(const sb_bench_results *f, const char *name)
{
    for (size_t i = 0; i < f->ns; i++)
        if (strcmp(f->s[i].name, name) == 0)
            return &f->s[i];
    return NULL;
}

const char *sb_bench_results_context(const sb_bench_results *f, const char *key)
{
    return sb_json_string_or(json_object_object_get(json_object_object_get(f->doc, "context"), key), "?");
}

void sb_bench_series_label(const sb_bench_series *s, const char *key, char *out, size_t size)
{
    const char *label = sb_json_string_or(json_object_object_get(s->entry, "label"), "");
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

double sb_bench_series_counter(const sb_bench_series *s, const char *key)
{
    return sb_json_number_or(json_object_object_get(s->entry, key), NAN);
}
