#include "io/json.h"

#include <math.h>

void sb_json_init(sb_json *j, FILE *f)
{
    j->f = f;
    j->depth = 0;
    j->need_comma[0] = 0;
    j->after_key = 0;
    j->inline_depth = 0;
    j->digits = 0;
}

void sb_json_set_inline_depth(sb_json *j, int depth) { j->inline_depth = depth; }
void sb_json_set_digits(sb_json *j, int digits) { j->digits = digits; }

/* Inside a container opened at inline_depth or deeper: no line breaks. */
static int inline_here(const sb_json *j) { return j->inline_depth > 0 && j->depth > j->inline_depth; }

static void before_value(sb_json *j)
{
    if (j->after_key) {
        j->after_key = 0;
        return;
    }
    if (j->need_comma[j->depth])
        fputc(',', j->f);
    if (j->depth > 0 && !inline_here(j)) {
        fputc('\n', j->f);
        for (int i = 0; i < j->depth; i++)
            fputs("  ", j->f);
    }
    j->need_comma[j->depth] = 1;
}

static void open_(sb_json *j, char c)
{
    before_value(j);
    fputc(c, j->f);
    if (j->depth < 31)
        j->depth++;
    j->need_comma[j->depth] = 0;
}

static void close_(sb_json *j, char c)
{
    int had = j->need_comma[j->depth] && !inline_here(j);
    if (j->depth > 0)
        j->depth--;
    if (had) {
        fputc('\n', j->f);
        for (int i = 0; i < j->depth; i++)
            fputs("  ", j->f);
    }
    fputc(c, j->f);
    if (j->depth == 0)
        fputc('\n', j->f);
}

void sb_json_object_begin(sb_json *j) { open_(j, '{'); }
void sb_json_object_end(sb_json *j) { close_(j, '}'); }
void sb_json_array_begin(sb_json *j) { open_(j, '['); }
void sb_json_array_end(sb_json *j) { close_(j, ']'); }

static void write_escaped(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
        switch (*p) {
        case '"': fputs("\\\"", f); break;
        case '\\': fputs("\\\\", f); break;
        case '\n': fputs("\\n", f); break;
        case '\r': fputs("\\r", f); break;
        case '\t': fputs("\\t", f); break;
        default:
            if (*p < 0x20)
                fprintf(f, "\\u%04x", *p);
            else
                fputc(*p, f);
        }
    }
    fputc('"', f);
}

void sb_json_key(sb_json *j, const char *key)
{
    before_value(j);
    write_escaped(j->f, key);
    fputs(": ", j->f);
    j->after_key = 1;
}

void sb_json_string(sb_json *j, const char *s)
{
    before_value(j);
    write_escaped(j->f, s);
}

void sb_json_number(sb_json *j, double v)
{
    before_value(j);
    if (isfinite(v))
        fprintf(j->f, "%.*g", j->digits > 0 ? j->digits : 17, v);
    else
        fputs("null", j->f);
}

void sb_json_uint(sb_json *j, uint64_t v)
{
    before_value(j);
    fprintf(j->f, "%llu", (unsigned long long)v);
}

void sb_json_bool(sb_json *j, int v)
{
    before_value(j);
    fputs(v ? "true" : "false", j->f);
}

void sb_json_null(sb_json *j)
{
    before_value(j);
    fputs("null", j->f);
}

void sb_json_kv_string(sb_json *j, const char *key, const char *s) { sb_json_key(j, key); sb_json_string(j, s); }
void sb_json_kv_number(sb_json *j, const char *key, double v) { sb_json_key(j, key); sb_json_number(j, v); }
void sb_json_kv_uint(sb_json *j, const char *key, uint64_t v) { sb_json_key(j, key); sb_json_uint(j, v); }
void sb_json_kv_bool(sb_json *j, const char *key, int v) { sb_json_key(j, key); sb_json_bool(j, v); }
