/* Files are written atomically: to a temporary file beside the target, flushed and synced, then
 * renamed over it. A crash or an error leaves the previous file (or none), never half of one. */
#ifndef SINKBENCH_ATOMIC_FILE_H
#define SINKBENCH_ATOMIC_FILE_H

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

#endif
