/* json_parse: JSON as the tools read it, on arbitrary bytes: json-c's parser through sb_json_parse
 * (io/json_helpers.h), and the Google Benchmark report loader built on it (io/bench_results.h, what
 * `sinkbench compare` and the report read). Neither may crash, abort, read out of bounds, leak or
 * recurse without bound (ASan builds); a rejected document must come with a reason (rule no-reason).
 * An accepted one is walked through every accessor we use (json-c's and our typed reads), then written
 * back three ways and parsed again, and must come back the same (round-trip):
 *   - sb_json_print of the parsed tree: exactly the same (json-c writes parsed numbers as they were
 *     spelled, NaN and Infinity included);
 *   - rebuilt with our constructors (sb_json_new_number, sb_json_new_string, one-line containers) and
 *     printed: the same up to what they cannot express: NaN and infinities become null, strings end at
 *     an embedded NUL, and a number is compared by value (3.0 is written 3 and reads as an integer);
 *   - an object streamed member by member with sb_json_stream, arrays as records: exactly the same. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"
#include "io/bench_results.h"
#include "io/json_helpers.h"

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
static int walk(json_object *v)
{
    json_type t = json_object_get_type(v);
    if (t < json_type_null || t > json_type_string)
        broken("sb_json_parse", "bad-type", "a parsed node has no valid type");
    (void)sb_json_number_or(v, 0.0);
    (void)sb_json_bool_or(v, 0);
    const char *s = sb_json_string_or(v, NULL);
    if (t == json_type_string && (!s || strlen(s) > (size_t)json_object_get_string_len(v)))
        broken("sb_json_parse", "bad-string", "a string's C text is longer than its length");
    if ((t == json_type_string) != (s != NULL))
        broken("sb_json_string_or", "bad-type", "a string read as no string, or another value as one");
    size_t n = sb_json_length(v);
    if (t != json_type_array && n != 0)
        broken("sb_json_length", "bad-count", "a value that is not an array has a length");
    int deepest = 0;
    if (t == json_type_object) {
        json_object_object_foreach(v, key, val) {
            if (!key)
                broken("sb_json_parse", "bad-key", "an object member has no key");
            json_object *found = NULL;
            if (!json_object_object_get_ex(v, key, &found) || found != val)
                broken("sb_json_parse", "bad-key", "an object member cannot be found by its own key");
            int d = walk(val);
            deepest = d > deepest ? d : deepest;
        }
    }
    for (size_t i = 0; i < n; i++) {
        int d = walk(sb_json_at(v, i));
        deepest = d > deepest ? d : deepest;
    }
    if (sb_json_at(v, n) != NULL)
        broken("sb_json_at", "bad-count", "an array has more items than it counts");
    if (deepest + 1 > SB_JSON_MAX_DEPTH + 1)
        broken("sb_json_parse", "too-deep", "accepted a document nested beyond SB_JSON_MAX_DEPTH");
    return deepest + 1;
}

/* The document built with our constructors from a parsed one; containers at odd depths on one line. */
static json_object *rebuild(json_object *v, int depth)
{
    switch (json_object_get_type(v)) {
    case json_type_boolean: return json_object_new_boolean(json_object_get_boolean(v));
    case json_type_double: return sb_json_new_number(json_object_get_double(v), 0);
    case json_type_int:
        return json_object_get_int64(v) == INT64_MAX ? json_object_new_uint64(json_object_get_uint64(v))
                                                     : json_object_new_int64(json_object_get_int64(v));
    case json_type_string: return sb_json_new_string(json_object_get_string(v));
    case json_type_array: {
        json_object *a = json_object_new_array();
        for (size_t i = 0; i < sb_json_length(v); i++)
            json_object_array_add(a, rebuild(sb_json_at(v, i), depth + 1));
        return depth % 2 ? sb_json_one_line(a) : a;
    }
    case json_type_object: {
        json_object *o = json_object_new_object();
        json_object_object_foreach(v, key, val)
            json_object_object_add(o, key, rebuild(val, depth + 1));
        return depth % 2 ? sb_json_one_line(o) : o;
    }
    default: return NULL;
    }
}

static int same_int(json_object *a, json_object *b)
{
    return json_object_get_int64(a) == json_object_get_int64(b) && json_object_get_uint64(a) == json_object_get_uint64(b);
}

/* b is a written-back-and-parsed copy of a: exactly the same, or (ours) up to what our constructors
 * cannot express. */
static int same(json_object *a, json_object *b, int ours)
{
    json_type ta = json_object_get_type(a), tb = json_object_get_type(b);
    int num_a = ta == json_type_double || ta == json_type_int, num_b = tb == json_type_double || tb == json_type_int;
    if (ours && ta == json_type_double && !isfinite(json_object_get_double(a)))
        return tb == json_type_null;
    if (ours && num_a && num_b) {
        if (ta == json_type_int && tb == json_type_int)
            return same_int(a, b);
        return json_object_get_double(a) == json_object_get_double(b);
    }
    if (ta != tb)
        return 0;
    switch (ta) {
    case json_type_boolean: return json_object_get_boolean(a) == json_object_get_boolean(b);
    case json_type_int: return same_int(a, b);
    case json_type_double: {
        double x = json_object_get_double(a), y = json_object_get_double(b);
        return x == y || (isnan(x) && isnan(y));
    }
    case json_type_string:
        if (ours)
            return strcmp(json_object_get_string(a), json_object_get_string(b)) == 0;
        return json_object_get_string_len(a) == json_object_get_string_len(b) &&
               memcmp(json_object_get_string(a), json_object_get_string(b), (size_t)json_object_get_string_len(a)) == 0;
    case json_type_array:
        if (sb_json_length(a) != sb_json_length(b))
            return 0;
        for (size_t i = 0; i < sb_json_length(a); i++)
            if (!same(sb_json_at(a, i), sb_json_at(b, i), ours))
                return 0;
        return 1;
    case json_type_object: {
        if (json_object_object_length(a) != json_object_object_length(b))
            return 0;
        struct json_object_iterator ia = json_object_iter_begin(a), ib = json_object_iter_begin(b);
        struct json_object_iterator end = json_object_iter_end(a);
        for (; !json_object_iter_equal(&ia, &end); json_object_iter_next(&ia), json_object_iter_next(&ib))
            if (strcmp(json_object_iter_peek_name(&ia), json_object_iter_peek_name(&ib)) != 0 ||
                !same(json_object_iter_peek_value(&ia), json_object_iter_peek_value(&ib), ours))
                return 0;
        return 1;
    }
    default: return 1;
    }
}

typedef void (*writer_fn)(FILE *f, json_object *doc);

static void print_doc(FILE *f, json_object *doc)
{
    if (sb_json_print(f, doc) != 0)
        broken("sb_json_print", "round-trip", "could not write a parsed document");
}

/* The object doc streamed: arrays as records, other members whole (the stream releases what it writes,
 * so each gets a reference of its own). */
static void stream_doc(FILE *f, json_object *doc)
{
    sb_json_stream s;
    sb_json_stream_begin(&s, f);
    json_object_object_foreach(doc, key, val) {
        if (json_object_is_type(val, json_type_array)) {
            sb_json_stream_array_begin(&s, key);
            for (size_t i = 0; i < sb_json_length(val); i++)
                sb_json_stream_record(&s, json_object_get(sb_json_at(val, i)));
            sb_json_stream_array_end(&s);
        } else {
            sb_json_stream_member(&s, key, json_object_get(val));
        }
    }
    sb_json_stream_end(&s);
}

/* Writes doc with write, parses the text again and compares it with want. */
static void round_trip(const char *what, writer_fn write, json_object *doc, json_object *want, int ours)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f) {
        perror("json_parse: open_memstream");
        exit(3);
    }
    write(f, doc);
    fclose(f);
    char err[256] = "";
    json_object *again = NULL;
    if (!sb_json_parse(text, len, &again, err, sizeof err)) {
        char detail[400];
        snprintf(detail, sizeof detail, "rejected what it wrote from a parsed document: %s", err);
        broken(what, "round-trip", detail);
    }
    if (!same(want, again, ours))
        broken(what, "round-trip", "written back and parsed again, the document changed");
    json_object_put(again);
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
    json_object *doc = NULL;
    if (!sb_json_parse((const char *)data, size, &doc, err, sizeof err)) {
        if (!err[0])
            broken("sb_json_parse", "no-reason", "rejected a document without saying why");
    } else {
        walk(doc);
        round_trip("sb_json_print", print_doc, doc, doc, 0);
        json_object *ours = rebuild(doc, 0);
        round_trip("sb_json_new_number", print_doc, ours, doc, 1);
        json_object_put(ours);
        if (json_object_is_type(doc, json_type_object))
            round_trip("sb_json_stream", stream_doc, doc, doc, 0);
        json_object_put(doc);
    }
    bench_results(data, size);
    return 0;
}
