#include "core/kernel_table.h"

#include <string.h>

size_t sb_kernel_table_count(const sb_kernel_table *t) { return t->builtin_count + t->registered_count; }

const void *sb_kernel_table_at(const sb_kernel_table *t, size_t i)
{
    if (i < t->builtin_count)
        return (const char *)t->builtin + i * t->entry_size;
    i -= t->builtin_count;
    return i < t->registered_count ? (const char *)t->registered + i * t->entry_size : NULL;
}

const void *sb_kernel_table_find(const sb_kernel_table *t, const char *name)
{
    if (!name)
        return NULL;
    for (size_t i = 0; i < sb_kernel_table_count(t); i++) {
        const void *e = sb_kernel_table_at(t, i);
        const char *entry_name;
        memcpy(&entry_name, e, sizeof entry_name); /* the first member */
        if (strcmp(entry_name, name) == 0)
            return e;
    }
    return NULL;
}

sb_status sb_kernel_table_add(sb_kernel_table *t, const void *entry, void **added)
{
    const char *name;
    memcpy(&name, entry, sizeof name);
    if (sb_kernel_table_find(t, name))
        return SB_EINVAL;
    if (t->registered_count == t->capacity)
        return SB_ENOMEM;
    void *slot = (char *)t->registered + t->registered_count * t->entry_size;
    memcpy(slot, entry, t->entry_size);
    t->registered_count++;
    *added = slot;
    return SB_OK;
}
