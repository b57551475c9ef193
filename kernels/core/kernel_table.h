/* What the softmax and attention registries share: a built-in table followed by the kernels plugins
 * register, looked up by name. The entries are either registry's kernel struct, whose first member is
 * the name (const char *). Not installed. */
#ifndef SINKBENCH_KERNEL_TABLE_H
#define SINKBENCH_KERNEL_TABLE_H

#include <stddef.h>

#include "sinkbench/status.h"

typedef struct sb_kernel_table {
    const void *builtin;
    size_t builtin_count;
    void *registered;        /* capacity entries */
    size_t registered_count, capacity, entry_size;
} sb_kernel_table;

size_t sb_kernel_table_count(const sb_kernel_table *t);
/* Entry i (built-in first), or NULL past the end. */
const void *sb_kernel_table_at(const sb_kernel_table *t, size_t i);
/* The entry named name, or NULL. */
const void *sb_kernel_table_find(const sb_kernel_table *t, const char *name);
/* Appends a copy of entry (already validated by the registry): SB_EINVAL for a name already taken,
 * SB_ENOMEM when full. *added receives the copy. */
sb_status sb_kernel_table_add(sb_kernel_table *t, const void *entry, void **added);

#endif
