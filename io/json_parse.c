/* Recursive-descent JSON parser with a depth limit. Values are allocated individually; arrays and
 * objects grow by doubling. Positions in error messages count lines and columns from 1 (bytes). */
#define _POSIX_C_SOURCE 200809L
#include "io/json_parse.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct sb_jv {
    sb_jv_type type;
    int boolean;
    double number;
    char *str;          /* string value (NUL-terminated copy) */
    size_t len;
    sb_jv **items;      /* array items or object values */
    char **keys;        /* object keys */
    size_t count, cap;
};

typedef struct parser {
    const char *s, *end, *p;
    char *err;
    size_t err_size;
    int failed;
} parser;

static void where(const parser *ps, const char *at, size_t *line, size_t *col)
{
    *line = 1, *col = 1;
    for (const char *q = ps->s; q < at && q < ps->end; q++) {
        if (*q == '\n')
            ++*line, *col = 1;
        else
            ++*col;
    }
}

static sb_jv *fail_at(parser *ps, const char *at, const char *fmt, ...)
{
    if (ps->failed)
        return NULL;
    ps->failed = 1;
    if (!ps->err || !ps->err_size)
        return NULL;
    size_t line, col;
    where(ps, at, &line, &col);
    int n = snprintf(ps->err, ps->err_size, "line %zu, column %zu: ", line, col);
    if (n < 0 || (size_t)n >= ps->err_size)
        return NULL;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ps->err + n, ps->err_size - (size_t)n, fmt, ap);
    va_end(ap);
    return NULL;
}

static void skip_ws(parser *ps)
{
    while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r'))
        ps->p++;
}

static sb_jv *new_value(parser *ps, sb_jv_type t)
{
    sb_jv *v = calloc(1, sizeof *v);
    if (!v)
        return fail_at(ps, ps->p, "out of memory");
    v->type = t;
    return v;
}

static int push(parser *ps, sb_jv *parent, char *key, sb_jv *item)
{
    if (parent->count == parent->cap) {
        size_t cap = parent->cap ? 2 * parent->cap : 8;
        sb_jv **items = realloc(parent->items, cap * sizeof *items);
        if (!items)
            return fail_at(ps, ps->p, "out of memory"), 0;
        parent->items = items;
        if (parent->type == SB_JV_OBJECT) {
            char **keys = realloc(parent->keys, cap * sizeof *keys);
            if (!keys)
                return fail_at(ps, ps->p, "out of memory"), 0;
            parent->keys = keys;
        }
        parent->cap = cap;
    }
    parent->items[parent->count] = item;
    if (parent->type == SB_JV_OBJECT)
        parent->keys[parent->count] = key;
    parent->count++;
    return 1;
}

static int hex4(const char *p, unsigned *out)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v |= (unsigned)(c - 'A' + 10);
        else
            return 0;
    }
    *out = v;
    return 1;
}

static size_t put_utf8(char *o, unsigned cp)
{
    if (cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (char)(0xc0 | (cp >> 6));
        o[1] = (char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (char)(0xe0 | (cp >> 12));
        o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        o[2] = (char)(0x80 | (cp & 0x3f));
        return 3;
    }
    o[0] = (char)(0xf0 | (cp >> 18));
    o[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
    o[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
    o[3] = (char)(0x80 | (cp & 0x3f));
    return 4;
}

/* Parses a string at ps->p (on the opening quote); returns a malloc'd copy and its length. */
static char *parse_string(parser *ps, size_t *len_out)
{
    const char *start = ps->p++;
    /* The decoded string is never longer than the encoded one. */
    const char *q = ps->p;
    while (q < ps->end && *q != '"') {
        if (*q == '\\')
            q++;
        q++;
    }
    if (q >= ps->end)
        return fail_at(ps, start, "unterminated string"), NULL;
    char *out = malloc((size_t)(q - ps->p) + 1);
    if (!out)
        return fail_at(ps, start, "out of memory"), NULL;
    size_t n = 0;
    while (*ps->p != '"') {
        unsigned char c = (unsigned char)*ps->p;
        if (c < 0x20) {
            free(out);
            return fail_at(ps, ps->p, "control character 0x%02x inside a string (escape it)", c), NULL;
        }
        if (c != '\\') {
            out[n++] = (char)c;
            ps->p++;
            continue;
        }
        const char *esc = ps->p++;
        char e = *ps->p++;
        switch (e) {
        case '"': out[n++] = '"'; break;
        case '\\': out[n++] = '\\'; break;
        case '/': out[n++] = '/'; break;
        case 'b': out[n++] = '\b'; break;
        case 'f': out[n++] = '\f'; break;
        case 'n': out[n++] = '\n'; break;
        case 'r': out[n++] = '\r'; break;
        case 't': out[n++] = '\t'; break;
        case 'u': {
            unsigned cp;
            if (ps->end - ps->p < 4 || !hex4(ps->p, &cp)) {
                free(out);
                return fail_at(ps, esc, "\\u needs four hex digits"), NULL;
            }
            ps->p += 4;
            if (cp >= 0xd800 && cp < 0xdc00) {
                unsigned lo;
                if (ps->end - ps->p < 6 || ps->p[0] != '\\' || ps->p[1] != 'u' || !hex4(ps->p + 2, &lo) ||
                    lo < 0xdc00 || lo > 0xdfff) {
                    free(out);
                    return fail_at(ps, esc, "a high surrogate \\u%04x must be followed by a low one", cp), NULL;
                }
                ps->p += 6;
                cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
            } else if (cp >= 0xdc00 && cp < 0xe000) {
                free(out);
                return fail_at(ps, esc, "a lone low surrogate \\u%04x", cp), NULL;
            }
            n += put_utf8(out + n, cp);
            break;
        }
        default:
            free(out);
            return fail_at(ps, esc, "unknown escape '\\%c'", e >= 0x20 && e < 0x7f ? e : '?'), NULL;
        }
    }
    ps->p++;
    out[n] = 0;
    *len_out = n;
    return out;
}

static int word(parser *ps, const char *w)
{
    size_t n = strlen(w);
    if ((size_t)(ps->end - ps->p) >= n && memcmp(ps->p, w, n) == 0) {
        ps->p += n;
        return 1;
    }
    return 0;
}

static sb_jv *parse_number(parser *ps)
{
    const char *start = ps->p, *q = ps->p;
    int neg = 0;
    if (q < ps->end && *q == '-')
        q++, neg = 1;
    ps->p = q;
    int inf = word(ps, "Infinity");
    if (inf || word(ps, "NaN")) {
        sb_jv *v = new_value(ps, SB_JV_NUMBER);
        if (v)
            v->number = inf ? (neg ? -INFINITY : INFINITY) : NAN;
        return v;
    }
    if (q >= ps->end || !(*q >= '0' && *q <= '9'))
        return fail_at(ps, start, "expected a value");
    if (*q == '0' && q + 1 < ps->end && q[1] >= '0' && q[1] <= '9')
        return fail_at(ps, start, "numbers must not have leading zeros");
    while (q < ps->end && *q >= '0' && *q <= '9')
        q++;
    if (q < ps->end && *q == '.') {
        q++;
        if (q >= ps->end || !(*q >= '0' && *q <= '9'))
            return fail_at(ps, q, "expected a digit after the decimal point");
        while (q < ps->end && *q >= '0' && *q <= '9')
            q++;
    }
    if (q < ps->end && (*q == 'e' || *q == 'E')) {
        q++;
        if (q < ps->end && (*q == '+' || *q == '-'))
            q++;
        if (q >= ps->end || !(*q >= '0' && *q <= '9'))
            return fail_at(ps, q, "expected a digit in the exponent");
        while (q < ps->end && *q >= '0' && *q <= '9')
            q++;
    }
    char buf[64];
    size_t n = (size_t)(q - start);
    if (n >= sizeof buf)
        return fail_at(ps, start, "number too long");
    memcpy(buf, start, n);
    buf[n] = 0;
    sb_jv *v = new_value(ps, SB_JV_NUMBER);
    if (!v)
        return NULL;
    v->number = strtod(buf, NULL);   /* overflow gives +-HUGE_VAL = +-inf, as a reader expects */
    ps->p = q;
    return v;
}

static sb_jv *parse_value(parser *ps, int depth);

static sb_jv *parse_container(parser *ps, int depth, int object)
{
    const char *open = ps->p++;
    sb_jv *v = new_value(ps, object ? SB_JV_OBJECT : SB_JV_ARRAY);
    if (!v)
        return NULL;
    skip_ws(ps);
    if (ps->p < ps->end && *ps->p == (object ? '}' : ']')) {
        ps->p++;
        return v;
    }
    for (;;) {
        char *key = NULL;
        skip_ws(ps);
        if (object) {
            size_t klen;
            if (ps->p >= ps->end || *ps->p != '"') {
                fail_at(ps, ps->p, "expected a member name in double quotes");
                break;
            }
            if (!(key = parse_string(ps, &klen)))
                break;
            skip_ws(ps);
            if (ps->p >= ps->end || *ps->p != ':') {
                free(key);
                fail_at(ps, ps->p, "expected ':' after the member name");
                break;
            }
            ps->p++;
        }
        sb_jv *item = parse_value(ps, depth + 1);
        if (!item || !push(ps, v, key, item)) {
            free(key);
            sb_jv_free(item);
            break;
        }
        skip_ws(ps);
        if (ps->p < ps->end && *ps->p == ',') {
            ps->p++;
            continue;
        }
        if (ps->p < ps->end && *ps->p == (object ? '}' : ']')) {
            ps->p++;
            return v;
        }
        if (ps->p >= ps->end)
            fail_at(ps, open, "%s opened here is never closed", object ? "object" : "array");
        else
            fail_at(ps, ps->p, "expected ',' or '%c' after %s", object ? '}' : ']',
                    object ? "an object member" : "an array item");
        break;
    }
    sb_jv_free(v);
    return NULL;
}

static sb_jv *parse_value(parser *ps, int depth)
{
    if (depth > SB_JSON_MAX_DEPTH)
        return fail_at(ps, ps->p, "nested deeper than %d levels", SB_JSON_MAX_DEPTH);
    skip_ws(ps);
    if (ps->p >= ps->end)
        return fail_at(ps, ps->p, "unexpected end of input, expected a value");
    char c = *ps->p;
    if (c == '{' || c == '[')
        return parse_container(ps, depth, c == '{');
    if (c == '"') {
        size_t len;
        char *s = parse_string(ps, &len);
        if (!s)
            return NULL;
        sb_jv *v = new_value(ps, SB_JV_STRING);
        if (!v) {
            free(s);
            return NULL;
        }
        v->str = s;
        v->len = len;
        return v;
    }
    int truth = word(ps, "true");
    if (truth || word(ps, "false")) {
        sb_jv *v = new_value(ps, SB_JV_BOOL);
        if (v)
            v->boolean = truth;
        return v;
    }
    if (word(ps, "null"))
        return new_value(ps, SB_JV_NULL);
    if (c == '-' || (c >= '0' && c <= '9') || c == 'N' || c == 'I')
        return parse_number(ps);
    if (c >= 0x20 && c < 0x7f)
        return fail_at(ps, ps->p, "unexpected '%c', expected a value", c);
    return fail_at(ps, ps->p, "unexpected byte 0x%02x, expected a value", (unsigned char)c);
}

sb_jv *sb_jv_parse(const char *text, size_t len, char *err, size_t err_size)
{
    if (err && err_size)
        err[0] = 0;
    parser ps = {text, text + len, text, err, err_size, 0};
    if (!text) {
        ps.s = ps.end = ps.p = "";
        return fail_at(&ps, ps.p, "no input");
    }
    sb_jv *v = parse_value(&ps, 0);
    if (!v)
        return NULL;
    skip_ws(&ps);
    if (ps.p < ps.end) {
        sb_jv_free(v);
        return fail_at(&ps, ps.p, "unexpected text after the end of the document");
    }
    return v;
}

sb_jv *sb_jv_parse_file(const char *path, char *err, size_t err_size)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        if (err && err_size)
            snprintf(err, err_size, "%s: %s", path, strerror(errno));
        return NULL;
    }
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    while (buf) {
        len += fread(buf + len, 1, cap - len, f);
        if (len < cap)
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
        free(buf);
        if (err && err_size)
            snprintf(err, err_size, "%s: %s", path, buf ? "read error" : "out of memory");
        return NULL;
    }
    char inner[384];
    sb_jv *v = sb_jv_parse(buf, len, inner, sizeof inner);
    free(buf);
    if (!v && err && err_size)
        snprintf(err, err_size, "%s: %s", path, inner);
    return v;
}

void sb_jv_free(sb_jv *v)
{
    if (!v)
        return;
    for (size_t i = 0; i < v->count; i++) {
        sb_jv_free(v->items[i]);
        if (v->keys)
            free(v->keys[i]);
    }
    free(v->items);
    free(v->keys);
    free(v->str);
    free(v);
}

sb_jv_type sb_jv_type_of(const sb_jv *v) { return v ? v->type : SB_JV_NONE; }

const sb_jv *sb_jv_get(const sb_jv *o, const char *key)
{
    if (!o || o->type != SB_JV_OBJECT || !key)
        return NULL;
    for (size_t i = 0; i < o->count; i++)
        if (strcmp(o->keys[i], key) == 0)
            return o->items[i];
    return NULL;
}

size_t sb_jv_count(const sb_jv *v)
{
    return v && (v->type == SB_JV_ARRAY || v->type == SB_JV_OBJECT) ? v->count : 0;
}

const sb_jv *sb_jv_at(const sb_jv *v, size_t i) { return i < sb_jv_count(v) ? v->items[i] : NULL; }

const char *sb_jv_key_at(const sb_jv *o, size_t i)
{
    return o && o->type == SB_JV_OBJECT && i < o->count ? o->keys[i] : NULL;
}

double sb_jv_number(const sb_jv *v, double fallback) { return v && v->type == SB_JV_NUMBER ? v->number : fallback; }

const char *sb_jv_string(const sb_jv *v, const char *fallback)
{
    return v && v->type == SB_JV_STRING ? v->str : fallback;
}

size_t sb_jv_string_len(const sb_jv *v) { return v && v->type == SB_JV_STRING ? v->len : 0; }

int sb_jv_bool(const sb_jv *v, int fallback) { return v && v->type == SB_JV_BOOL ? v->boolean : fallback; }
