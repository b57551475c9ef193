#define _POSIX_C_SOURCE 200809L
#include "sinkbench/plugin.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void say(char *err, size_t size, const char *fmt, const char *a, const char *b)
{
    if (err && size)
        snprintf(err, size, fmt, a, b);
}

sb_status sb_plugin_load(const char *path, char *err, size_t err_size)
{
    if (!path || !*path) {
        say(err, err_size, "%s%s", "empty plugin path", "");
        return SB_EINVAL;
    }
    /* RTLD_GLOBAL: the plugin's kernels call back into this libsinkbench. The handle is kept for the
     * life of the process: registered function pointers point into it. */
    void *h = dlopen(path, RTLD_NOW | RTLD_GLOBAL);
    if (!h) {
        const char *why = dlerror();
        say(err, err_size, "cannot load plugin: %s%s", why ? why : path, "");
        return SB_EINVAL;
    }
    sb_plugin_register_fn fn;
    void *sym = dlsym(h, SB_PLUGIN_ENTRY);
    memcpy(&fn, &sym, sizeof fn);
    if (!sym) {
        say(err, err_size, "%s does not export %s()", path, SB_PLUGIN_ENTRY);
        return SB_EINVAL;
    }
    sb_status st = fn();
    if (st != SB_OK)
        say(err, err_size, "%s: registration failed: %s", path, sb_status_str(st));
    return st;
}

sb_status sb_plugin_load_env(char *err, size_t err_size)
{
    const char *list = getenv("SINKBENCH_PLUGINS");
    if (!list || !*list)
        return SB_OK;
    char *copy = strdup(list);
    if (!copy)
        return SB_ENOMEM;
    sb_status st = SB_OK;
    char *save = NULL;
    for (char *p = strtok_r(copy, ":", &save); p && st == SB_OK; p = strtok_r(NULL, ":", &save))
        st = sb_plugin_load(p, err, err_size);
    free(copy);
    return st;
}
