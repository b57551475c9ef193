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

/* Loads every plugin named in SINKBENCH_PLUGINS (paths separated by ':'). Stops at the first failure
 * and reports it like sb_plugin_load. SB_OK when the variable is unset or empty. */
sb_status sb_plugin_load_env(char *err, size_t err_size);

#ifdef __cplusplus
}
#endif
#endif
