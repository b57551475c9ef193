/* Bring your own kernel: a plugin is a shared library that exports one function,
 *
 *     sb_status sinkbench_plugin_register(void);
 *
 * which calls sb_softmax_register() and/or sb_attention_register() for each kernel it adds.
 * Registered kernels appear in `sinkbench info`, the contract checks, the stability study, the
 * benchmarks and the fuzzers exactly like built-in ones (flagged SB_KERNEL_PLUGIN). */
#ifndef SINKBENCH_PLUGIN_H
#define SINKBENCH_PLUGIN_H

#include <stddef.h>
#include "sinkbench/status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SB_PLUGIN_ENTRY "sinkbench_plugin_register"
typedef sb_status (*sb_plugin_register_fn)(void);

/* Loads the plugin at path and runs its registration. On failure returns SB_EINVAL (cannot open,
 * no entry point) or the plugin's status, and writes a one-line reason into err (if given). */
sb_status sb_plugin_load(const char *path, char *err, size_t err_size);

/* Flags of sb_plugin_load_list. */
#define SB_PLUGIN_SKIP_MISSING 1u /* pass over a path that names no readable file, without a report */
#define SB_PLUGIN_KEEP_GOING 2u   /* a plugin that fails to load does not stop the ones after it */

/* Called by sb_plugin_load_list for every plugin it tried: status SB_OK when it loaded, else the failure
 * and its one-line reason (as sb_plugin_load writes it). */
typedef void (*sb_plugin_list_fn)(void *ctx, const char *path, sb_status status, const char *reason);

/* Loads the plugins of list, paths separated by ':' (empty entries ignored), in order. each (may be
 * NULL) hears about every plugin tried. Returns SB_OK when every plugin tried loaded, else the status of
 * the first failure with its reason in err (if given); without SB_PLUGIN_KEEP_GOING it stops there.
 * SB_OK for a NULL or empty list; SB_ENOMEM when the list cannot be copied. */
sb_status sb_plugin_load_list(const char *list, unsigned flags, sb_plugin_list_fn each, void *ctx, char *err,
                              size_t err_size);

/* Loads every plugin named in SINKBENCH_PLUGINS: sb_plugin_load_list(getenv("SINKBENCH_PLUGINS"), 0,
 * ...), stopping at the first failure. SB_OK when the variable is unset or empty. */
sb_status sb_plugin_load_env(char *err, size_t err_size);

#ifdef __cplusplus
}
#endif
#endif
