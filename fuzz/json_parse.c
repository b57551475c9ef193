/* json_parse: the CLI's JSON reader (io/json_parse.h), and the Google Benchmark report loader built on
 * it (io/bench_results.h, what `sinkbench compare` reads), on arbitrary bytes. Neither may crash,
 * read out of bounds, leak or recurse without bound (ASan builds); a rejected document must come with
 * a reason (rule no-reason); an accepted one is walked through every accessor, written back with the
 * project's JSON writer (io/json.h) and parsed again, and must come back the same (round-trip) up to
 * what the writer cannot express: NaN and infinities become null, strings and keys end at an embedded
 * NUL, and documents nested deeper than the writer's 31 levels are not written back. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/bench_results.h"
#include "fuzz_check.h"
#include "io/json.h"
#include "io/json_parse.h"

#define WRITER_DEPTH 31   /* sb_json's need_comma[32]: containers it can nest */

static const char *scratch;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    sb_fuzz_set_target("json_parse");
    scratch = sb_fuzz_scratch_file();
    return 0;
}

static _Noreturn void broken(const char *what, const char *rule, const char *detail)
{
    sb_fuzz_violation(NULL, what, rule, SIZE_MAX, detail);
}

/* Every accessor on every node; returns the depth below v (1 for a scalar). */
static int walk(const sb_jv *v)
{
    sb_jv_type t = sb_jv_type_of(v);
    if (t < SB_JV_NULL || t > SB_JV_OBJECT)
        broken("sb_jv_parse", "bad-type", "a parsed node has no valid type");
    (void)sb_jv_number(v, 0.0);
    (void)sb_jv_bool(v, 0);
    const char *s = sb_jv_string(v, NULL);
    if (t == SB_JV_STRING && (!s || strlen(s) > sb_jv_string_len(v)))
        broken("sb_jv_parse", "bad-string", "a string's C text is longer than its length");
    int deepest = 0;
    size_t n = sb_jv_count(v);
    if ((t != SB_JV_ARRAY && t != SB_JV_OBJECT) && n != 0)
        broken("sb_jv_parse", "bad-count", "a scalar has members");
    for (size_t i = 0; i < n; i++) {
        const sb_jv *c = sb_jv_at(v, i);
        if (!c)
            broken("sb_jv_parse", "bad-count", "a container has fewer items than it counts");
        if (t == SB_JV_OBJECT) {
            const char *key = sb_jv_key_at(v, i);
            if (!key)
                broken("sb_jv_parse", "bad-key", "an object member has no key");
            if (!sb_jv_get(v, key))
                broken("sb_jv_parse", "bad-key", "sb_jv_get cannot find a member by its own key");
        }
        int d = walk(c);
        deepest = d > deepest ? d : deepest;
    }
    if (sb_jv_at(v, n) != NULL)
        broken("sb_jv_parse", "bad-count", "a container has more items than it counts");
    if (deepest + 1 > SB_JSON_MAX_DEPTH + 1)
        broken("sb_jv_parse", "too-deep", "accepted a document nested beyond SB_JSON_MAX_DEPTH");
    return deepest + 1;
}

static void write_value(sb_json *j, const sb_jv *v)
{
    switch (sb_jv_type_of(v)) {
    case SB_JV_NULL: sb_json_null(j); break;
    case SB_JV_BOOL: sb_json_bool(j, sb_jv_bool(v, 0)); break;
    case SB_JV_NUMBER: sb_json_number(j, sb_jv_number(v, 0.0)); break;
    case SB_JV_STRING: sb_json_string(j, sb_jv_string(v, "")); break;
    case SB_JV_ARRAY:
        sb_json_array_begin(j);
        for (size_t i = 0; i < sb_jv_count(v); i++)
            write_value(j, sb_jv_at(v, i));
        sb_json_array_end(j);
        break;
    case SB_JV_OBJECT:
        sb_json_object_begin(j);
        for (size_t i = 0; i < sb_jv_count(v); i++) {
            sb_json_key(j, sb_jv_key_at(v, i));
            write_value(j, sb_jv_at(v, i));
        }
        sb_json_object_end(j);
        break;
    default: break;
    }
}

/* b is a written-back-and-parsed copy of a: the same, up to what the writer cannot express. */
static int same(const sb_jv *a, const sb_jv *b)
{
    sb_jv_type ta = sb_jv_type_of(a), tb = sb_jv_type_of(b);
    if (ta == SB_JV_NUMBER && !isfinite(sb_jv_number(a, 0.0)))
        return tb == SB_JV_NULL;
    if (ta != tb)
        return 0;
    switch (ta) {
    case SB_JV_BOOL: return sb_jv_bool(a, 0) == sb_jv_bool(b, 0);
    case SB_JV_NUMBER: return sb_jv_number(a, 0.0) == sb_jv_number(b, 1.0);
    case SB_JV_STRING: return strcmp(sb_jv_string(a, ""), sb_jv_string(b, "")) == 0;
    case SB_JV_ARRAY:
    case SB_JV_OBJECT:
        if (sb_jv_count(a) != sb_jv_count(b))
            return 0;
        for (size_t i = 0; i < sb_jv_count(a); i++)
            if ((ta == SB_JV_OBJECT && strcmp(sb_jv_key_at(a, i), sb_jv_key_at(b, i)) != 0) ||
                !same(sb_jv_at(a, i), sb_jv_at(b, i)))
                return 0;
        return 1;
    default: return 1;
    }
}

static void round_trip(const sb_jv *doc)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f) {
        perror("json_parse: open_memstream");
        exit(3);
    }
    sb_json j;
    sb_json_init(&j, f);
    write_value(&j, doc);
    fclose(f);
    char err[256] = "";
    sb_jv *again = sb_jv_parse(text, len, err, sizeof err);
    if (!again) {
        char detail[400];
        snprintf(detail, sizeof detail, "rejected what the writer wrote from a parsed document: %s", err);
        broken("sb_jv_parse", "round-trip", detail);
    }
    if (!same(doc, again))
        broken("sb_jv_parse", "round-trip", "written back and parsed again, the document changed");
    sb_jv_free(again);
    free(text);
}

/* The benchmark report loader on the same bytes: any outcome but a crash is fine, as long as a
 * failure says why. */
static void bench_results(const uint8_t *data, size_t size)
{
    sb_fuzz_scratch_write(scratch, data, size);
    static const char *const metrics[] = {"cpu_time", "real_time"};
    for (int m = 0; m < 2; m++) {
        sb_bench_results r;
        char err[256] = "";
        int ok = sb_bench_results_load(&r, scratch, metrics[m], m ? "softmax" : NULL, err, sizeof err);
        if (!ok && !err[0])
            broken("sb_bench_results_load", "no-reason", "rejected a report without saying why");
        for (size_t i = 0; ok && i < r.ns; i++) {
            char label[64];
            sb_bench_series_label(&r.s[i], "isa", label, sizeof label);
            (void)sb_bench_series_counter(&r.s[i], "items_per_second");
            if (r.s[i].name && sb_bench_results_find(&r, r.s[i].name) == NULL)
                broken("sb_bench_results_load", "bad-series", "a series cannot be found by its own name");
        }
        if (ok)
            (void)sb_bench_results_context(&r, "host_name");
        sb_bench_results_free(&r);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[256] = "";
    sb_jv *doc = sb_jv_parse((const char *)data, size, err, sizeof err);
    if (!doc) {
        if (!err[0])
            broken("sb_jv_parse", "no-reason", "rejected a document without saying why");
    } else {
        if (walk(doc) <= WRITER_DEPTH)
            round_trip(doc);
        sb_jv_free(doc);
    }
    bench_results(data, size);
    return 0;
}
