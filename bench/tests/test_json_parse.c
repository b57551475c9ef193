/* The JSON reader (io/json_parse.h): values, escapes, Google Benchmark's non-finite numbers, and
 * bad input of every kind rejected with the right position and no crash. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "io/json_parse.h"
#include "testkit.h"

static sb_jv *parse(const char *s, char *err, size_t size) { return sb_jv_parse(s, strlen(s), err, size); }

static void accepts(void)
{
    char err[256];
    sb_jv *d = parse(" {\"a\": [1, -2.5e3, true, false, null, \"x\\ty\\u00e9\\ud83d\\ude00\"],\n"
                     "  \"b\": {\"c\": NaN, \"d\": Infinity, \"e\": -Infinity}, \"a\": 7, \"z\": 0.5E-1} ",
                     err, sizeof err);
    TK_CHECK(d != NULL, "valid document rejected: %s", err);
    if (!d)
        return;
    const sb_jv *a = sb_jv_get(d, "a");
    TK_CHECK(sb_jv_type_of(a) == SB_JV_ARRAY && sb_jv_count(a) == 6, "array of 6");
    TK_CHECK(sb_jv_number(sb_jv_at(a, 0), 0) == 1.0, "1");
    TK_CHECK(sb_jv_number(sb_jv_at(a, 1), 0) == -2500.0, "-2.5e3");
    TK_CHECK(sb_jv_bool(sb_jv_at(a, 2), 0) == 1 && sb_jv_bool(sb_jv_at(a, 3), 1) == 0, "booleans");
    TK_CHECK(sb_jv_type_of(sb_jv_at(a, 4)) == SB_JV_NULL, "null");
    TK_CHECK(strcmp(sb_jv_string(sb_jv_at(a, 5), ""), "x\ty\xc3\xa9\xf0\x9f\x98\x80") == 0, "escapes and surrogates");
    const sb_jv *b = sb_jv_get(d, "b");
    TK_CHECK(isnan(sb_jv_number(sb_jv_get(b, "c"), 0)), "NaN");
    TK_CHECK(sb_jv_number(sb_jv_get(b, "d"), 0) == INFINITY, "Infinity");
    TK_CHECK(sb_jv_number(sb_jv_get(b, "e"), 0) == -INFINITY, "-Infinity");
    TK_CHECK(sb_jv_type_of(sb_jv_get(d, "a")) == SB_JV_ARRAY, "first of duplicate keys wins");
    TK_CHECK(strcmp(sb_jv_key_at(d, 3), "z") == 0 && sb_jv_number(sb_jv_get(d, "z"), 0) == 0.05, "key order, 0.5E-1");
    TK_CHECK(sb_jv_get(d, "missing") == NULL && sb_jv_type_of(NULL) == SB_JV_NONE, "missing key");
    TK_CHECK(sb_jv_number(sb_jv_get(d, "missing"), 42) == 42, "fallback");
    sb_jv_free(d);

    d = parse("\"a\\u0000b\"", err, sizeof err);
    TK_CHECK(d && sb_jv_string_len(d) == 3, "embedded NUL keeps its length");
    sb_jv_free(d);
    d = parse("[]", err, sizeof err);
    TK_CHECK(d && sb_jv_count(d) == 0, "empty array");
    sb_jv_free(d);
    d = parse("1e999", err, sizeof err);
    TK_CHECK(d && sb_jv_number(d, 0) == INFINITY, "overflowing number reads as inf");
    sb_jv_free(d);
}

/* Each bad document must be rejected with a message containing the expected text. */
static void rejects(const char *doc, const char *want)
{
    char err[256] = "";
    sb_jv *d = parse(doc, err, sizeof err);
    TK_CHECK(d == NULL, "accepted bad input '%s'", doc);
    TK_CHECK(strstr(err, want) != NULL, "input '%s': message '%s' lacks '%s'", doc, err, want);
    sb_jv_free(d);
}

static void rejections(void)
{
    rejects("", "line 1, column 1: unexpected end of input");
    rejects("   ", "unexpected end of input");
    rejects("{", "expected a member name");
    rejects("{\"a\" 1}", "expected ':'");
    rejects("{\"a\": 1,}", "expected a member name");
    rejects("{\"a\": 1 \"b\": 2}", "expected ',' or '}'");
    rejects("[1, 2", "array opened here is never closed");
    rejects("[1 2]", "expected ',' or ']'");
    rejects("[1,]", "unexpected ']'");
    rejects("\"abc", "unterminated string");
    rejects("\"a\nb\"", "control character 0x0a");
    rejects("\"\\q\"", "unknown escape");
    rejects("\"\\u12g4\"", "four hex digits");
    rejects("\"\\ud800x\"", "high surrogate");
    rejects("\"\\udc00\"", "lone low surrogate");
    rejects("01", "leading zeros");
    rejects("1.", "digit after the decimal point");
    rejects("1e+", "digit in the exponent");
    rejects("-", "expected a value");
    rejects("tru", "unexpected 't'");
    rejects("{} x", "unexpected text after the end");
    rejects("\x01", "unexpected byte 0x01");
    rejects("[\n  1,\n  ?\n]", "line 3, column 3");
    /* Nesting past the limit is an error, not a stack overflow. */
    size_t deep = 100000;
    char *s = malloc(deep + 1);
    if (s) {
        memset(s, '[', deep);
        s[deep] = 0;
        rejects(s, "nested deeper than");
        free(s);
    }
    char err[128];
    TK_CHECK(sb_jv_parse(NULL, 0, err, sizeof err) == NULL && strstr(err, "no input"), "NULL input");
    TK_CHECK(sb_jv_parse_file("/nonexistent/x.json", err, sizeof err) == NULL && strstr(err, "/nonexistent/x.json"),
             "missing file named: %s", err);
}

int main(void)
{
    tk_init("test_json_parse", 0);
    accepts();
    rejections();
    return tk_finish("test_json_parse");
}
