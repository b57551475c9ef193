/* A minimal streaming JSON writer: enough for our reports, with correct string escaping and
 * non-finite numbers written as null (JSON has no NaN). */
#ifndef SINKBENCH_JSON_H
#define SINKBENCH_JSON_H

#include <stdint.h>
#include <stdio.h>

typedef struct sb_json {
    FILE *f;
    int depth;
    int need_comma[32];
    int after_key;
    int inline_depth;  /* containers opened at this depth or deeper go on one line (0: never) */
    int digits;        /* significant digits of numbers (0: 17, which round-trips) */
} sb_json;

void sb_json_init(sb_json *j, FILE *f);
void sb_json_object_begin(sb_json *j);
void sb_json_object_end(sb_json *j);
void sb_json_array_begin(sb_json *j);
void sb_json_array_end(sb_json *j);
void sb_json_key(sb_json *j, const char *key);
void sb_json_string(sb_json *j, const char *s);
void sb_json_number(sb_json *j, double v);
void sb_json_uint(sb_json *j, uint64_t v);
void sb_json_bool(sb_json *j, int v);
void sb_json_null(sb_json *j);
/* key + value shorthands */
void sb_json_kv_string(sb_json *j, const char *key, const char *s);
void sb_json_kv_number(sb_json *j, const char *key, double v);
void sb_json_kv_uint(sb_json *j, const char *key, uint64_t v);
void sb_json_kv_bool(sb_json *j, const char *key, int v);
/* Compact output for long lists of records: one record per line, fewer digits. */
void sb_json_set_inline_depth(sb_json *j, int depth);
void sb_json_set_digits(sb_json *j, int digits);

#endif
