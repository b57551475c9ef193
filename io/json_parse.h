/* A small JSON reader (the writer is json.h): parses a whole document into a tree, for `compare` and
 * anything else that reads our reports back. Robust to bad input: every error is reported with its
 * line and column and what was expected; nothing aborts; depth is limited (no stack exhaustion).
 *
 * Beyond RFC 8259 it accepts the non-finite numbers NaN, Infinity and -Infinity, because Google
 * Benchmark writes them for counters. Strings are returned as UTF-8 with escapes decoded; a string
 * containing \u0000 keeps its length (sb_jv_string_len) but reads as a shorter C string. */
#ifndef SINKBENCH_JSON_PARSE_H
#define SINKBENCH_JSON_PARSE_H

#include <stddef.h>

typedef enum sb_jv_type {
    SB_JV_NONE = 0,   /* what accessors return for a missing value */
    SB_JV_NULL,
    SB_JV_BOOL,
    SB_JV_NUMBER,
    SB_JV_STRING,
    SB_JV_ARRAY,
    SB_JV_OBJECT
} sb_jv_type;

typedef struct sb_jv sb_jv;

#define SB_JSON_MAX_DEPTH 200

/* Parses text[0..len). Returns the document, or NULL with a message in err (e.g. "line 3, column
 * 14: expected ',' or '}' after an object member"); out of memory is reported the same way. */
sb_jv *sb_jv_parse(const char *text, size_t len, char *err, size_t err_size);
/* Reads and parses a file; errors name the file. */
sb_jv *sb_jv_parse_file(const char *path, char *err, size_t err_size);
void sb_jv_free(sb_jv *v);

/* Accessors: all accept NULL and then return the "missing" answer. */
sb_jv_type sb_jv_type_of(const sb_jv *v);
const sb_jv *sb_jv_get(const sb_jv *object, const char *key);   /* first member with that key */
size_t sb_jv_count(const sb_jv *v);                             /* array items or object members */
const sb_jv *sb_jv_at(const sb_jv *v, size_t i);                 /* i-th item or member value */
const char *sb_jv_key_at(const sb_jv *object, size_t i);         /* i-th member's key */
double sb_jv_number(const sb_jv *v, double fallback);
const char *sb_jv_string(const sb_jv *v, const char *fallback);
size_t sb_jv_string_len(const sb_jv *v);
int sb_jv_bool(const sb_jv *v, int fallback);

#endif
