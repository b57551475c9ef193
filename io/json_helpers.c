/* The helpers of json_helpers.h: json-c does the parsing and the serializing; this adds positions to
 * its errors, typed reads that do not convert, our number format, one-line containers and a stream. */
#include "io/json_helpers.h"
#include "io/tool.h"

#include <errno.h>
#include <json-c/printbuf.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* How every file and --json output is written: two-space indent, "key": value, and '/' as itself
 * (json-c escapes it as "\/" by default, which is legal but reads badly in paths). */
#define PRINT_FLAGS (JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE)
/* A one-line record or container: the same without the line breaks. */
#define LINE_FLAGS (JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE)

/* Line and column (both from 1, columns in bytes) of byte `at` of text. */
static void position(const char *text, size_t at, size_t *line, size_t *col)
{
    *line = 1, *col = 1;
    for (size_t i = 0; i < at; i++) {
        if (text[i] == '\n')
            ++*line, *col = 1;
        else
            ++*col;
    }
}

static int fail_at(const char *text, size_t at, char *err, size_t size, const char *what)
{
    size_t line, col;
    position(text, at, &line, &col);
    sb_tool_say(err, size, "line %zu, column %zu: %s", line, col, what);
    return 0;
}

/* buf[len] must be 0: json-c is given the NUL too, so that it knows the input ends there (without it,
 * a document that is a bare number, or a truncated one, is "incomplete, send more"). */
static int parse_terminated(const char *buf, size_t len, json_object **doc, char *err, size_t size)
{
    *doc = NULL;
    const char *nul = memchr(buf, 0, len);
    if (nul)
        return fail_at(buf, (size_t)(nul - buf), err, size, "a NUL byte (JSON text has none)");
    if (len >= INT_MAX) { /* json-c counts in int */
        sb_tool_say(err, size, "the document is too large (2 GiB at most)");
        return 0;
    }
    struct json_tokener *tok = json_tokener_new_ex(SB_JSON_MAX_DEPTH);
    if (!tok) {
        sb_tool_say(err, size, "out of memory");
        return 0;
    }
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
    json_object *v = json_tokener_parse_ex(tok, buf, (int)len + 1);
    enum json_tokener_error e = json_tokener_get_error(tok);
    size_t end = json_tokener_get_parse_end(tok);
    json_tokener_free(tok);
    if (end > len)
        end = len;
    if (e != json_tokener_success) {
        json_object_put(v);
        /* With the NUL given, "continue" cannot happen; should it, the input ended early. */
        return fail_at(buf, end, err, size,
                       e == json_tokener_continue ? json_tokener_error_desc(json_tokener_error_parse_eof)
                                                  : json_tokener_error_desc(e));
    }
    *doc = v; /* NULL when the document is the word null */
    return 1;
}

int sb_json_parse(const char *text, size_t len, json_object **doc, char *err, size_t err_size)
{
    *doc = NULL;
    if (!text) {
        sb_tool_say(err, err_size, "no input");
        return 0;
    }
    char *buf = malloc(len + 1);
    if (!buf) {
        sb_tool_say(err, err_size, "out of memory");
        return 0;
    }
    memcpy(buf, text, len);
    buf[len] = 0;
    int ok = parse_terminated(buf, len, doc, err, err_size);
    free(buf);
    return ok;
}

int sb_json_read_file(const char *path, json_object **doc, char *err, size_t err_size)
{
    *doc = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) {
        sb_tool_say(err, err_size, "%s: %s", path, strerror(errno));
        return 0;
    }
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    while (buf) {
        len += fread(buf + len, 1, cap - 1 - len, f); /* one byte kept for the NUL */
        if (len < cap - 1)
            break;
        char *bigger = realloc(buf, cap * 2);
        if (!bigger) {
            free(buf);
            buf = NULL;
            break;
        }
        buf = bigger, cap *= 2;
    }
    int read_error = ferror(f);
    fclose(f);
    if (!buf || read_error) {
        sb_tool_say(err, err_size, "%s: %s", path, buf ? "read error" : "out of memory");
        free(buf);
        return 0;
    }
    buf[len] = 0;
    char inner[384];
    int ok = parse_terminated(buf, len, doc, inner, sizeof inner);
    free(buf);
    if (!ok)
        sb_tool_say(err, err_size, "%s: %s", path, inner);
    return ok;
}

double sb_json_number_or(const json_object *v, double fallback)
{
    return json_object_is_type(v, json_type_double) || json_object_is_type(v, json_type_int)
               ? json_object_get_double(v)
               : fallback;
}

const char *sb_json_string_or(const json_object *v, const char *fallback)
{
    return json_object_is_type(v, json_type_string) ? json_object_get_string((json_object *)v) : fallback;
}

int sb_json_bool_or(const json_object *v, int fallback)
{
    return json_object_is_type(v, json_type_boolean) ? json_object_get_boolean(v) : fallback;
}

size_t sb_json_length(const json_object *v)
{
    return json_object_is_type(v, json_type_array) ? json_object_array_length(v) : 0;
}

json_object *sb_json_at(const json_object *v, size_t i)
{
    return i < sb_json_length(v) ? json_object_array_get_idx(v, i) : NULL;
}

json_object *sb_json_new_number(double v, int digits)
{
    if (!isfinite(v))
        return NULL; /* json-c writes a NULL member or item as null */
    char text[40];
    snprintf(text, sizeof text, "%.*g", digits > 0 ? digits : 17, v);
    /* json-c keeps the text and writes it as it is; the value stays v for readers of the tree. */
    return json_object_new_double_s(v, text);
}

json_object *sb_json_new_string(const char *s) { return json_object_new_string(s ? s : ""); }

/* json-c's own serializer for v's type, without line breaks: switched back to for the call. */
static int one_line_serializer(json_object *v, struct printbuf *pb, int level, int flags)
{
    (void)level;
    json_object_set_serializer(v, NULL, NULL, NULL);
    const char *text =
        json_object_to_json_string_ext(v, flags & ~(JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_PRETTY_TAB));
    json_object_set_serializer(v, one_line_serializer, NULL, NULL);
    size_t n = text ? strlen(text) : 0;
    return text && n <= INT_MAX ? printbuf_memappend(pb, text, (int)n) : -1;
}

json_object *sb_json_one_line(json_object *v)
{
    if (json_object_is_type(v, json_type_array) || json_object_is_type(v, json_type_object))
        json_object_set_serializer(v, one_line_serializer, NULL, NULL);
    return v;
}

int sb_json_print(FILE *f, json_object *doc)
{
    const char *text = json_object_to_json_string_ext(doc, PRINT_FLAGS);
    if (!text)
        return -1;
    fputs(text, f);
    fputc('\n', f);
    return ferror(f) ? -1 : 0;
}

/* ---- stream ----------------------------------------------------------------------------------- */

/* text with `indent` spaces after each line break (json-c indents from column 0; strings hold no raw
 * line breaks, so every '\n' is a line break of the layout). */
static void put_indented(FILE *f, const char *text, int indent)
{
    for (const char *p = text; *p; p++) {
        fputc(*p, f);
        if (*p == '\n')
            fprintf(f, "%*s", indent, "");
    }
}

/* A member's separator, its key as json-c escapes it, and ": ". */
static void put_key(sb_json_stream *s, const char *key)
{
    fputs(s->members++ ? ",\n  " : "\n  ", s->f);
    json_object *k = sb_json_new_string(key);
    const char *text = json_object_to_json_string_ext(k, LINE_FLAGS);
    fputs(text ? text : "\"\"", s->f);
    fputs(": ", s->f);
    json_object_put(k);
}

void sb_json_stream_begin(sb_json_stream *s, FILE *f)
{
    s->f = f;
    s->members = 0;
    s->records = 0;
    fputc('{', f);
}

void sb_json_stream_member(sb_json_stream *s, const char *key, json_object *value)
{
    put_key(s, key);
    const char *text = json_object_to_json_string_ext(value, PRINT_FLAGS);
    put_indented(s->f, text ? text : "null", 2);
    json_object_put(value);
}

void sb_json_stream_array_begin(sb_json_stream *s, const char *key)
{
    put_key(s, key);
    fputc('[', s->f);
    s->records = 0;
}

void sb_json_stream_record(sb_json_stream *s, json_object *record)
{
    fputs(s->records++ ? ",\n    " : "\n    ", s->f);
    const char *text = json_object_to_json_string_ext(record, LINE_FLAGS);
    fputs(text ? text : "null", s->f);
    json_object_put(record);
}

void sb_json_stream_array_end(sb_json_stream *s) { fputs(s->records ? "\n  ]" : "]", s->f); }

void sb_json_stream_end(sb_json_stream *s) { fputs(s->members ? "\n}\n" : "}\n", s->f); }
