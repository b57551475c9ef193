#define _XOPEN_SOURCE 700 /* realpath */
#include "io/paths.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Compiled in (io/CMakeLists.txt and the top CMakeLists.txt, which knows the peers). */
#ifndef SB_PEER_PLUGINS_BUILD
#define SB_PEER_PLUGINS_BUILD ""
#endif
#ifndef SB_INSTALL_BIN_TO_PEERS
#define SB_INSTALL_BIN_TO_PEERS ""
#endif

int sb_output_path_default(sb_output_kind kind, const char *detail, char *buf, size_t size)
{
    /* The buffer is zeroed and gethostname is given one byte less, so a truncated name still ends. */
    char host[128] = "host", stamp[32] = "today";
    gethostname(host, sizeof host - 1);
    time_t now = time(NULL);
    struct tm tm;
    if (localtime_r(&now, &tm))
        strftime(stamp, sizeof stamp, kind == SB_OUTPUT_BENCH ? "%Y%m%d-%H%M%S" : "%Y%m%d", &tm);
    if (!detail || !*detail)
        detail = "none";
    const int full = strcmp(detail, "full") == 0;
    int n;
    switch (kind) {
    case SB_OUTPUT_REPORT:
        n = snprintf(buf, size, "reports/%s-%s-%s", host, detail, stamp);
        break;
    case SB_OUTPUT_STABILITY:
        n = snprintf(buf, size, "reports/stability-%s-%s", host, stamp);
        break;
    case SB_OUTPUT_PERTURB:
        n = snprintf(buf, size, "reports/perturb-%s-%s", host, stamp);
        break;
    case SB_OUTPUT_EMERGE:
        n = snprintf(buf, size, "reports/emerge%s-%s-%s", full ? "-full" : "", host, stamp);
        break;
    case SB_OUTPUT_BENCH:
        n = snprintf(buf, size, "reports/bench-%s-%s-%s.json", host, detail, stamp);
        break;
    default:
        n = snprintf(buf, size, "reports/%s-%s", host, stamp);
        break;
    }
    return n >= 0 && (size_t)n < size;
}

int sb_self_dir(char *buf, size_t size)
{
    if (size == 0)
        return 0;
    buf[0] = '\0';
    ssize_t len = readlink("/proc/self/exe", buf, size - 1);
    if (len <= 0 || (size_t)len >= size - 1) { /* a full buffer may be a truncated path */
        buf[0] = '\0';
        return 0;
    }
    buf[len] = '\0';
    char *slash = strrchr(buf, '/');
    if (!slash) {
        buf[0] = '\0';
        return 0;
    }
    *slash = '\0';
    return 1;
}

int sb_peer_plugins_default(char *list, size_t size)
{
    if (size == 0)
        return 0;
    list[0] = '\0';
    const char *built = SB_PEER_PLUGINS_BUILD;
    if (!built[0])
        return 1;
    char self[4096], rel[4200], dir[PATH_MAX];
    struct stat st;
    if (!SB_INSTALL_BIN_TO_PEERS[0] || !sb_self_dir(self, sizeof self) ||
        snprintf(rel, sizeof rel, "%s/%s", self, SB_INSTALL_BIN_TO_PEERS) >= (int)sizeof rel ||
        !realpath(rel, dir) || stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        int n = snprintf(list, size, "%s", built);
        return n >= 0 && (size_t)n < size;
    }
    /* Installed: the same plugins by file name, from the install's peer folder. */
    size_t used = 0;
    for (const char *p = built; *p;) {
        size_t len = strcspn(p, ":");
        const char *base = p;
        for (const char *q = p; q < p + len; q++)
            if (*q == '/')
                base = q + 1;
        if (base < p + len) {
            int n = snprintf(list + used, size - used, "%s%s/%.*s", used ? ":" : "", dir, (int)(p + len - base), base);
            if (n < 0 || (size_t)n >= size - used)
                return 0;
            used += (size_t)n;
        }
        p += len;
        if (*p == ':')
            p++;
    }
    return 1;
}
