/* Internal: files. Everything the study writes is written atomically (a temporary file beside the
 * target, flushed, synced, renamed over it): a crash leaves the previous file or none, never half. */
#ifndef SINKBENCH_EMERGE_IO_H
#define SINKBENCH_EMERGE_IO_H

#include <stddef.h>
#include <stdint.h>

#include "sinkbench/status.h"

/* Writes head (hn bytes) then body (bn bytes) to path atomically; err says why on failure. */
sb_status sb_emerge_write_atomic(const char *path, const void *head, size_t hn, const void *body, size_t bn, char *err,
                                 size_t err_size);
/* Reads a whole file of at most max bytes into a new buffer; 0 on failure (errno set; EFBIG when larger). */
int sb_emerge_read_file(const char *path, unsigned char **out, size_t *size, size_t max);
/* mkdir -p; 0 on failure (errno set). */
int sb_emerge_mkdir_p(const char *path);
uint64_t sb_emerge_fnv1a(const unsigned char *p, size_t n);

#endif
