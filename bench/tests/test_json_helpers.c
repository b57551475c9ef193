/* JSON through json-c and io/json_helpers.h: values, escapes, Google Benchmark's non-finite numbers and
 * 64-bit seeds read back; bad input of every kind rejected with its line, column and json-c's reason,
 * and no crash; typed reads that never convert; our number format, one-line containers, pretty
 * printing and the record stream, each checked to the byte and read back.
 *
 * Where json-c is more lenient than RFC 8259, it is json-c's call and not checked here: it accepts raw
 * control characters and lone surrogates in strings and "1." as a number. Duplicate keys: the last wins. */
#define _POSIX_C_SOURCE 200809L /* open_memstream */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/json_helpers.h"
#include "testkit.h"

static json_object *parse(const char *s, char *err, size_t size)
{
    json_object *doc = NULL;
    int ok = sb_json_parse(s, strlen(s), &doc, err, size);
    SB_TEST_CHECK(ok, "valid document '%s' rejected: %s", s, err);
    return doc;
}

static void accepts(void)
{
    char err[256];
    json_object *d = parse(" {\"a\": [1, -2.5e3, true, false, null, \"x\\ty\\u00e9\\ud83d\\ude00\"],\n"
                           "  \"b\": {\"c\": NaN, \"d\": Infinity, \"e\": -Infinity}, \"z\": 0.5E-1, \"a2\": 7} ",
                           err, sizeof err);
    if (!d)
        return;
    json_object *a = json_object_object_get(d, "a");
    SB_TEST_CHECK(sb_json_length(a) == 6, "array of 6");
    SB_TEST_CHECK(sb_json_number_or(sb_json_at(a, 0), 0) == 1.0, "1");
    SB_TEST_CHECK(sb_json_number_or(sb_json_at(a, 1), 0) == -2500.0, "-2.5e3");
    SB_TEST_CHECK(sb_json_bool_or(sb_json_at(a, 2), 0) == 1 && sb_json_bool_or(sb_json_at(a, 3), 1) == 0, "booleans");
    SB_TEST_CHECK(sb_json_at(a, 4) == NULL && json_object_is_type(sb_json_at(a, 4), json_type_null), "null");
    SB_TEST_CHECK(strcmp(sb_json_string_or(sb_json_at(a, 5), ""), "x\ty\xc3\xa9\xf0\x9f\x98\x80") == 0, "escapes and surrogates");
    SB_TEST_CHECK(sb_json_at(a, 6) == NULL, "past the end");
    json_object *b = json_object_object_get(d, "b");
    SB_TEST_CHECK(isnan(sb_json_number_or(json_object_object_get(b, "c"), 0)), "NaN");
    SB_TEST_CHECK(sb_json_number_or(json_object_object_get(b, "d"), 0) == INFINITY, "Infinity");
    SB_TEST_CHECK(sb_json_number_or(json_object_object_get(b, "e"), 0) == -INFINITY, "-Infinity");
    const char *order[] = {"a", "b", "z", "a2"};
    size_t k = 0;
    json_object_object_foreach(d, key, val) {
        (void)val;
        SB_TEST_CHECK(k < 4 && strcmp(key, order[k]) == 0, "member %zu is '%s', in document order", k, key);
        k++;
    }
    SB_TEST_CHECK(k == 4, "4 members");
    SB_TEST_CHECK(sb_json_number_or(json_object_object_get(d, "z"), 0) == 0.05, "0.5E-1");
    /* Typed reads never convert: a string is no number, a number no string, a missing member nothing. */
    SB_TEST_CHECK(json_object_object_get(d, "missing") == NULL, "missing key");
    SB_TEST_CHECK(sb_json_number_or(json_object_object_get(d, "missing"), 42) == 42, "fallback for a missing member");
    SB_TEST_CHECK(sb_json_number_or(sb_json_at(a, 5), 42) == 42, "a string is not a number");
    SB_TEST_CHECK(sb_json_string_or(json_object_object_get(d, "a2"), NULL) == NULL, "a number is not a string");
    SB_TEST_CHECK(sb_json_bool_or(sb_json_at(a, 0), 7) == 7, "a number is not a boolean");
    SB_TEST_CHECK(sb_json_length(b) == 0 && sb_json_at(b, 0) == NULL, "an object is not an array (and no abort)");
    SB_TEST_CHECK(sb_json_length(NULL) == 0 && sb_json_string_or(NULL, "f")[0] == 'f', "NULL reads as missing");
    json_object_put(d);

    d = parse("\"a\\u0000b\"", err, sizeof err);
    SB_TEST_CHECK(d && json_object_get_string_len(d) == 3, "embedded NUL keeps its length");
    json_object_put(d);
    d = parse("[]", err, sizeof err);
    SB_TEST_CHECK(d && json_object_is_type(d, json_type_array) && sb_json_length(d) == 0, "empty array");
    json_object_put(d);
    d = parse("1e999", err, sizeof err);
    SB_TEST_CHECK(d && sb_json_number_or(d, 0) == INFINITY, "overflowing number reads as inf");
    json_object_put(d);
    d = parse("7", err, sizeof err);
    SB_TEST_CHECK(d && sb_json_number_or(d, 0) == 7, "a bare number (json-c needs the end of input to finish it)");
    json_object_put(d);
    d = parse("[12188285511483962665, -9007199254740993]", err, sizeof err);
    SB_TEST_CHECK(d && json_object_get_uint64(sb_json_at(d, 0)) == 12188285511483962665ull, "a 64-bit seed, exactly");
    SB_TEST_CHECK(d && json_object_get_int64(sb_json_at(d, 1)) == -9007199254740993ll, "a negative 64-bit integer");
    json_object_put(d);
    json_object *n = (json_object *)1;
    SB_TEST_CHECK(sb_json_parse("null", 4, &n, err, sizeof err) == 1 && n == NULL, "the document null");
    SB_TEST_CHECK(sb_json_parse(" [1] \n", 6, &n, err, sizeof err) == 1 && sb_json_length(n) == 1, "whitespace around");
    json_object_put(n);
}

/* Each bad document must be rejected with a message containing the expected text. */
static void rejects(const char *doc, size_t len, const char *want)
{
    char err[256] = "";
    json_object *d = (json_object *)1;
    int ok = sb_json_parse(doc, len, &d, err, sizeof err);
    SB_TEST_CHECK(!ok && d == NULL, "accepted bad input '%s'", doc);
    SB_TEST_CHECK(strstr(err, want) != NULL, "input '%s': message '%s' lacks '%s'", doc, err, want);
}

#define REJECTS(doc, want) rejects(doc, strlen(doc), want)

static void rejections(void)
{
    REJECTS("", "line 1, column 1: unexpected end of data");
    REJECTS("   ", "line 1, column 4: unexpected end of data");
    REJECTS("{", "line 1, column 2: unexpected end of data");
    REJECTS("{\"a\" 1}", "line 1, column 6: object property name separator ':' expected");
    REJECTS("{\"a\": 1,}", "line 1, column 9: unexpected character");
    REJECTS("{\"a\": 1 \"b\": 2}", "line 1, column 9: object value separator ',' expected");
    REJECTS("{1: 2}", "line 1, column 2: quoted object property name expected");
    REJECTS("[1, 2", "line 1, column 6: unexpected end of data");
    REJECTS("[1 2]", "line 1, column 4: array value separator ',' expected");
    REJECTS("[1,]", "line 1, column 4: unexpected character");
    REJECTS("\"abc", "line 1, column 5: unexpected end of data");
    REJECTS("\"\\q\"", "line 1, column 3: invalid string sequence");
    REJECTS("\"\\u12g4\"", "line 1, column 6: invalid string sequence");
    REJECTS("01", "line 1, column 3");
    REJECTS("1e+", "line 1, column 4: unexpected end of data");
    REJECTS("-", "line 1, column 2: unexpected end of data");
    REJECTS("tru", "line 1, column 4: unexpected end of data");
    REJECTS("trux", "line 1, column 4: boolean expected");
    REJECTS("nan", "line 1, column 2: null expected");        /* only NaN, as Google Benchmark writes it */
    REJECTS("[-NaN]", "line 1, column 3: number expected");
    REJECTS("{} x", "line 1, column 4: unexpected character"); /* text after the document */
    REJECTS("[1] /* c */", "line 1, column 5: unexpected character"); /* no comments */
    REJECTS("['a']", "line 1, column 2: unexpected character");     /* no single quotes */
    REJECTS("\x01", "line 1, column 1: unexpected character");
    REJECTS("[\n  1,\n  ?\n]", "line 3, column 3: unexpected character");
    rejects("[1]\0x", 5, "line 1, column 4: a NUL byte");
    rejects("\"a\0b\"", 5, "line 1, column 3: a NUL byte");
    /* Nesting past the limit is an error, not a stack overflow. */
    size_t deep = 100000;
    char *s = malloc(deep + 1);
    if (s) {
        memset(s, '[', deep);
        s[deep] = 0;
        REJECTS(s, "nesting too deep");
        char err[128];
        json_object *d = NULL;
        memset(s, '[', SB_JSON_MAX_DEPTH);
        memset(s + SB_JSON_MAX_DEPTH, ']', SB_JSON_MAX_DEPTH);
        SB_TEST_CHECK(sb_json_parse(s, 2 * SB_JSON_MAX_DEPTH, &d, err, sizeof err) == 1, "%d levels are fine: %s",
                 SB_JSON_MAX_DEPTH, err);
        json_object_put(d);
        free(s);
    }
    char err[128];
    json_object *d = NULL;
    SB_TEST_CHECK(sb_json_parse(NULL, 0, &d, err, sizeof err) == 0 && strstr(err, "no input"), "NULL input");
    SB_TEST_CHECK(sb_json_read_file("/nonexistent/x.json", &d, err, sizeof err) == 0 && strstr(err, "/nonexistent/x.json"),
             "missing file named: %s", err);
}

/* What writer(f, ctx) writes, as a string to free. */
static char *written(void (*writer)(FILE *, void *), void *ctx)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f)
        return NULL;
    writer(f, ctx);
    fclose(f);
    return text;
}

static void expect_text(const char *what, const char *got, const char *want)
{
    SB_TEST_CHECK(got && strcmp(got, want) == 0, "%s:\n--- got\n%s\n--- want\n%s", what, got ? got : "(nothing)", want);
}

static void print_doc(FILE *f, void *doc) { SB_TEST_CHECK(sb_json_print(f, doc) == 0, "sb_json_print failed"); }

static void writing(void)
{
    json_object *doc = json_object_new_object();
    json_object_object_add(doc, "third", sb_json_new_number(0.1, 0));
    json_object_object_add(doc, "whole", sb_json_new_number(10, 0));
    json_object_object_add(doc, "nine", sb_json_new_number(1.0 / 3.0, 9));
    json_object_object_add(doc, "nan", sb_json_new_number(NAN, 0));
    json_object_object_add(doc, "inf", sb_json_new_number(-INFINITY, 9));
    json_object_object_add(doc, "seed", json_object_new_uint64(UINT64_MAX));
    json_object_object_add(doc, "text", sb_json_new_string("a/b \"q\" \\ \t\x01 \xc3\xa9"));
    json_object_object_add(doc, "unset", sb_json_new_string(NULL));
    json_object *series = json_object_new_array();
    for (int i = 0; i < 3; i++)
        json_object_array_add(series, sb_json_new_number(i * 0.5, 0));
    json_object_object_add(doc, "series", sb_json_one_line(series));
    json_object *rows = json_object_new_array();
    for (int r = 0; r < 2; r++) {
        json_object *row = json_object_new_object();
        json_object_object_add(row, "r", json_object_new_int(r));
        json_object_object_add(row, "ok", json_object_new_boolean(r));
        json_object_array_add(rows, sb_json_one_line(row));
    }
    json_object_object_add(doc, "rows", rows);
    json_object_object_add(doc, "empty", json_object_new_array());
    char *text = written(print_doc, doc);
    expect_text("sb_json_print", text,
                "{\n"
                "  \"third\": 0.10000000000000001,\n"
                "  \"whole\": 10,\n"
                "  \"nine\": 0.333333333,\n"
                "  \"nan\": null,\n"
                "  \"inf\": null,\n"
                "  \"seed\": 18446744073709551615,\n"
                "  \"text\": \"a/b \\\"q\\\" \\\\ \\t\\u0001 \xc3\xa9\",\n"
                "  \"unset\": \"\",\n"
                "  \"series\": [ 0, 0.5, 1 ],\n"
                "  \"rows\": [\n"
                "    { \"r\": 0, \"ok\": false },\n"
                "    { \"r\": 1, \"ok\": true }\n"
                "  ],\n"
                "  \"empty\": [\n"
                "  ]\n"
                "}\n");
    /* Read back: the same values (non-finite numbers are null). */
    json_object *back = NULL;
    char err[256];
    SB_TEST_CHECK(text && sb_json_parse(text, strlen(text), &back, err, sizeof err), "printed document rejected: %s", err);
    SB_TEST_CHECK(sb_json_number_or(json_object_object_get(back, "third"), 0) == 0.1, "0.1 round-trips");
    SB_TEST_CHECK(sb_json_number_or(json_object_object_get(back, "nine"), 0) == 0.333333333, "9 digits");
    SB_TEST_CHECK(json_object_object_get_ex(back, "nan", NULL) && json_object_object_get(back, "nan") == NULL, "NaN is null");
    SB_TEST_CHECK(json_object_get_uint64(json_object_object_get(back, "seed")) == UINT64_MAX, "uint64 round-trips");
    SB_TEST_CHECK(strcmp(sb_json_string_or(json_object_object_get(back, "text"), ""), "a/b \"q\" \\ \t\x01 \xc3\xa9") == 0,
             "string round-trips");
    SB_TEST_CHECK(sb_json_number_or(sb_json_at(json_object_object_get(back, "series"), 2), 0) == 1, "one-line series");
    SB_TEST_CHECK(sb_json_bool_or(json_object_object_get(sb_json_at(json_object_object_get(back, "rows"), 1), "ok"), 0),
             "one-line record");
    json_object_put(back);
    free(text);
    /* Printed twice, the same bytes (the one-line serializer restores itself). */
    char *again = written(print_doc, doc);
    char *first = written(print_doc, doc);
    SB_TEST_CHECK(again && first && strcmp(again, first) == 0, "printing twice gives the same text");
    free(again);
    free(first);
    json_object_put(doc);
}

static void stream_doc(FILE *f, void *ctx)
{
    (void)ctx;
    sb_json_stream s;
    sb_json_stream_begin(&s, f);
    sb_json_stream_member(&s, "format", json_object_new_string("x/1"));
    json_object *run = json_object_new_object();
    json_object_object_add(run, "seconds", sb_json_new_number(1.5, 0));
    json_object_object_add(run, "tags", sb_json_one_line(json_object_new_array()));
    sb_json_stream_member(&s, "run", run);
    sb_json_stream_array_begin(&s, "cells");
    for (int i = 0; i < 3; i++) {
        json_object *rec = json_object_new_object();
        json_object_object_add(rec, "i", json_object_new_int(i));
        json_object *spec = json_object_new_object();
        json_object_object_add(spec, "gap", sb_json_new_number(i ? 1.0 / i : NAN, 9));
        json_object_object_add(rec, "spec", spec);
        sb_json_stream_record(&s, rec);
    }
    sb_json_stream_array_end(&s);
    sb_json_stream_array_begin(&s, "none");
    sb_json_stream_array_end(&s);
    sb_json_stream_end(&s);
}

static void empty_stream(FILE *f, void *ctx)
{
    (void)ctx;
    sb_json_stream s;
    sb_json_stream_begin(&s, f);
    sb_json_stream_end(&s);
}

static void streaming(void)
{
    char *text = written(stream_doc, NULL);
    expect_text("sb_json_stream", text,
                "{\n"
                "  \"format\": \"x/1\",\n"
                "  \"run\": {\n"
                "    \"seconds\": 1.5,\n"
                "    \"tags\": [ ]\n"
                "  },\n"
                "  \"cells\": [\n"
                "    { \"i\": 0, \"spec\": { \"gap\": null } },\n"
                "    { \"i\": 1, \"spec\": { \"gap\": 1 } },\n"
                "    { \"i\": 2, \"spec\": { \"gap\": 0.5 } }\n"
                "  ],\n"
                "  \"none\": []\n"
                "}\n");
    json_object *back = NULL;
    char err[256];
    SB_TEST_CHECK(text && sb_json_parse(text, strlen(text), &back, err, sizeof err), "streamed document rejected: %s", err);
    json_object *cells = json_object_object_get(back, "cells");
    SB_TEST_CHECK(sb_json_length(cells) == 3 &&
                 sb_json_number_or(json_object_object_get(json_object_object_get(sb_json_at(cells, 2), "spec"), "gap"), 0) == 0.5,
             "records read back");
    json_object_put(back);
    free(text);
    text = written(empty_stream, NULL);
    expect_text("empty stream", text, "{}\n");
    free(text);
}

int main(void)
{
    sb_test_init("test_json_helpers", 0);
    accepts();
    rejections();
    writing();
    streaming();
    return sb_test_finish("test_json_helpers");
}
