/* Atomic writes, whole-file reads and mkdir -p for the study (emerge_io.h). */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "emerge_io.h"

static int write_all(int fd, const void *p, size_t n)
{
    const unsigned char *c = p;
    while (n) {
        ssize_t w = write(fd, c, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return 0;
        }
        c += w;
        n -= (size_t)w;
    }
    return 1;
}

sb_status sb_emerge_write_atomic(const char *path, const void *head, size_t hn, const void *body, size_t bn, char *err,
                                 size_t err_size)
{
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) {
        snprintf(err, err_size, "cannot write %s: %s", path, strerror(errno));
        return SB_EINVAL;
    }
    int ok = (!hn || write_all(fd, head, hn)) && (!bn || write_all(fd, body, bn)) && fsync(fd) == 0;
    int saved = errno;
    if (close(fd) != 0 && ok) {
        ok = 0;
        saved = errno;
    }
    if (ok && rename(tmp, path) != 0) {
        ok = 0;
        saved = errno;
    }
    if (!ok) {
        unlink(tmp);
        snprintf(err, err_size, "cannot write %s: %s", path, strerror(saved));
        return SB_EINVAL;
    }
    return SB_OK;
}

int sb_emerge_read_file(const char *path, unsigned char **out, size_t *size, size_t max)
{
    *out = NULL;
    *size = 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    size_t cap = 1 << 16, n = 0;
    unsigned char *buf = malloc(cap);
    for (;;) {
        if (!buf) {
            fclose(f);
            errno = ENOMEM;
            return 0;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (n > max) {
            free(buf);
            fclose(f);
            errno = EFBIG;
            return 0;
        }
        if (n < cap) {
            if (ferror(f)) {
                free(buf);
                fclose(f);
                errno = EIO;
                return 0;
            }
            break;
        }
        unsigned char *bigger = realloc(buf, cap * 2);
        if (!bigger)
            free(buf);
        buf = bigger;
        cap *= 2;
    }
    fclose(f);
    *out = buf;
    *size = n;
    return 1;
}

int sb_emerge_mkdir_p(const char *path)
{
    char p[4096];
    snprintf(p, sizeof p, "%s", path);
    for (char *s = p + 1; *s; s++)
        if (*s == '/') {
            *s = 0;
            if (mkdir(p, 0755) != 0 && errno != EEXIST)
                return 0;
            *s = '/';
        }
    if (mkdir(p, 0755) != 0 && errno != EEXIST)
        return 0;
    struct stat st;
    if (stat(p, &st) != 0 || !S_ISDIR(st.st_mode)) {
        errno = ENOTDIR;
        return 0;
    }
    return 1;
}
