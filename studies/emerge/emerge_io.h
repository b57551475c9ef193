/* Internal: the study's files are written and read through io/atomic_file.h (atomically: a temporary
 * file beside the target, flushed, synced, renamed over it); this adds the checksum of its formats. */
#ifndef SINKBENCH_EMERGE_IO_H
#define SINKBENCH_EMERGE_IO_H

#include <stddef.h>
#include <stdint.h>

#include "io/atomic_file.h"
#include "sinkbench/status.h"

/* FNV-1a, 64 bits: the checkpoint's checksum (docs/emerge.md, "Checkpoints"). */
uint64_t sb_emerge_fnv1a(const unsigned char *p, size_t n);

#endif
