/* JSON in sinkbench is json-c (<json-c/json.h>): it parses, holds and serializes every document. These
 * are the few things json-c alone does differently from what our files and tools need; each says why
 * it exists. Everything else (building objects, arrays, strings, integers, booleans; walking a parsed
 * document) is json-c's own API, used directly. */
#ifndef SINKBENCH_JSON_HELPERS_H
#define SINKBENCH_JSON_HELPERS_H

#include <json-c/json.h>
#include <stddef.h>
#include <stdio.h>

/* ---- reading ------------------------------------------------------------------------------------ */

/* Nesting limit of the parser (json-c's default, 32, is below what a generic reader should take; the
 * limit keeps a hostile document from exhausting memory). */
#define SB_JSON_MAX_DEPTH 200

/* Parses text[0..len) with json-c in strict mode (RFC 8259, plus the NaN, Infinity and -Infinity that
 * Google Benchmark writes for counters). Why not json_tokener_parse: json-c reports an error as a code
 * and a byte offset; this turns it into "line 3, column 14: <json-c's description>", rejects text after
 * the document and NUL bytes (json-c stops at a NUL), and needs no NUL-terminated input. Returns 1 with
 * the document in *doc (release it with json_object_put; NULL is the document `null`), or 0 with the
 * message in err. */
int sb_json_parse(const char *text, size_t len, json_object **doc, char *err, size_t err_size);
/* Reads and parses a file; every message starts with the path. */
int sb_json_read_file(const char *path, json_object **doc, char *err, size_t err_size);

/* Typed reads with a fallback. Why: json-c's getters convert (a string "12" reads as 12, a missing
 * member as 0 or "", any value as its JSON text), which would turn a malformed report into plausible
 * numbers; these return the fallback unless the value has the asked type. All accept NULL. */
double sb_json_number_or(const json_object *v, double fallback);        /* a double or an integer */
const char *sb_json_string_or(const json_object *v, const char *fallback);
int sb_json_bool_or(const json_object *v, int fallback);
/* Array access. Why: json-c's array functions assert (abort) on anything but an array, and a report
 * with an object where an array belongs must give a message, not an abort. Length 0 and NULL then. */
size_t sb_json_length(const json_object *v);
json_object *sb_json_at(const json_object *v, size_t i);

/* ---- writing ------------------------------------------------------------------------------------ */

/* A number as our files write it: "%.*g" with `digits` significant digits (0: 17, which round-trips a
 * double), and JSON null for NaN and infinities (JSON has no NaN; callers that want another spelling
 * write it themselves). Why: json-c writes doubles as "%.17g" plus ".0" on whole numbers and writes
 * NaN and Infinity, which are not JSON (RFC 8259) and which strict readers reject. */
json_object *sb_json_new_number(double v, int digits);
/* json_object_new_string that takes NULL (as ""): some texts of kernels and runs may be unset. */
json_object *sb_json_new_string(const char *s);
/* Marks an array or object to be written on one line inside a pretty document (a series of numbers,
 * a matrix row). Why: json-c's pretty printer puts every value on its own line. Returns v. */
json_object *sb_json_one_line(json_object *v);
/* Writes doc to f as our files look: pretty (two-space indent), "key": value, '/' unescaped, a final
 * newline. Returns 0, or -1 when json-c could not serialize (out of memory) or f reports an error. */
int sb_json_print(FILE *f, json_object *doc);

/* A document too large to hold as a tree (the stability study's cells: hundreds of thousands of
 * records): a top-level object whose members are written as they come, and arrays of records written
 * one record per line, each record built, written and released. Why: json-c serializes only whole
 * trees held in memory. Members and records are released (json_object_put) once written. */
typedef struct sb_json_stream {
    FILE *f;
    size_t members;   /* members of the top-level object written so far */
    size_t records;   /* records of the open array written so far */
} sb_json_stream;

void sb_json_stream_begin(sb_json_stream *s, FILE *f);
void sb_json_stream_member(sb_json_stream *s, const char *key, json_object *value);
void sb_json_stream_array_begin(sb_json_stream *s, const char *key);
void sb_json_stream_record(sb_json_stream *s, json_object *record);
void sb_json_stream_array_end(sb_json_stream *s);
void sb_json_stream_end(sb_json_stream *s);

#endif
