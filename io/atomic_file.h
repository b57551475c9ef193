/* Files are written atomically: to a temporary file beside the target, flushed and synced, then
 * renamed over it. A crash or an error leaves the previous file (or none), never half of one. */
#ifndef SINKBENCH_ATOMIC_FILE_H
#define SINKBENCH_ATOMIC_FILE_H

#include <stddef.h>
#include <stdio.h>

typedef struct sb_atomic_file {
    FILE *f;
    char path[4096];
    char tmp[4096];
} sb_atomic_file;

/* Opens a temporary file for path; 0 on failure (errno set). */
int sb_atomic_open(sb_atomic_file *a, const char *path);
/* Flushes, syncs and renames into place; 0 on failure (the temporary file is removed). */
int sb_atomic_commit(sb_atomic_file *a);
/* Discards the temporary file. */
void sb_atomic_abort(sb_atomic_file *a);

/* mkdir -p; 0 on failure. */
int sb_mkdir_p(const char *path);

/* Writes path atomically with writer(f, ctx); 0 on failure, after printing "<who>: <problem>" to stderr. */
int sb_atomic_write(const char *path, void (*writer)(FILE *, void *), void *ctx, const char *who);

/* Writes head (hn bytes) then body (bn bytes) to path atomically (either may be empty); 0 on failure
 * with the reason, naming the file, in err. */
int sb_atomic_write_bytes(const char *path, const void *head, size_t hn, const void *body, size_t bn, char *err,
                          size_t err_size);

/* Reads a whole file of at most max bytes into a new buffer (free() it); 0 on failure with errno set
 * (EFBIG when the file is larger than max). */
int sb_read_file(const char *path, unsigned char **out, size_t *size, size_t max);

#endif
