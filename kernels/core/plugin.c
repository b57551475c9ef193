#define _POSIX_C_SOURCE 200809L
#include "sinkbench/plugin.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

sb_status sb_plugin_load_list(const char *list, unsigned flags, sb_plugin_list_fn each, void *ctx, char *err,
                              size_t err_size)
{
    if (!list || !*list)
        return SB_OK;
    char *copy = strdup(list);
    if (!copy) {
        say(err, err_size, "%s%s", "out of memory", "");
        return SB_ENOMEM;
    }
    sb_status first = SB_OK;
    char *save = NULL;
    for (char *p = strtok_r(copy, ":", &save); p; p = strtok_r(NULL, ":", &save)) {
        if ((flags & SB_PLUGIN_SKIP_MISSING) && access(p, R_OK) != 0)
            continue;
        char why[512] = "";
        sb_status st = sb_plugin_load(p, why, sizeof why);
        if (each)
            each(ctx, p, st, why);
        if (st == SB_OK)
            continue;
        if (first == SB_OK) {
            first = st;
            say(err, err_size, "%s%s", why, "");
        }
        if (!(flags & SB_PLUGIN_KEEP_GOING))
            break;
    }
    free(copy);
    return first;
}

sb_status sb_plugin_load_env(char *err, size_t err_size)
{
    return sb_plugin_load_list(getenv("SINKBENCH_PLUGINS"), 0, NULL, NULL, err, err_size);
}
