#define _POSIX_C_SOURCE 200809L
#include "io/atomic_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int sb_atomic_open(sb_atomic_file *a, const char *path)
{
    memset(a, 0, sizeof *a);
    if (strlen(path) + 32 >= sizeof a->path) {
        errno = ENAMETOOLONG;
        return 0;
    }
    snprintf(a->path, sizeof a->path, "%s", path);
    snprintf(a->tmp, sizeof a->tmp, "%s.tmp.%ld", path, (long)getpid());
    a->f = fopen(a->tmp, "w");
    return a->f != NULL;
}

int sb_atomic_commit(sb_atomic_file *a)
{
    if (!a->f)
        return 0;
    int ok = fflush(a->f) == 0 && fsync(fileno(a->f)) == 0;
    ok &= fclose(a->f) == 0;
    a->f = NULL;
    if (ok && rename(a->tmp, a->path) == 0)
        return 1;
    int saved = errno;
    unlink(a->tmp);
    errno = saved;
    return 0;
}

void sb_atomic_abort(sb_atomic_file *a)
{
    if (a->f)
        fclose(a->f);
    a->f = NULL;
    if (a->tmp[0])
        unlink(a->tmp);
}

int sb_mkdir_p(const char *path)
{
    char buf[4096];
    if (strlen(path) >= sizeof buf) {
        errno = ENAMETOOLONG;
        return 0;
    }
    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = 0;
        if (mkdir(buf, 0777) != 0 && errno != EEXIST)
            return 0;
        *p = '/';
    }
    if (mkdir(buf, 0777) != 0 && errno != EEXIST)
        return 0;
    struct stat st;
    return stat(buf, &st) == 0 && S_ISDIR(st.st_mode);
}

int sb_atomic_write(const char *path, void (*writer)(FILE *, void *), void *ctx, const char *who)
{
    sb_atomic_file a;
    if (!sb_atomic_open(&a, path)) {
        fprintf(stderr, "%s: cannot write %s: %s\n", who, path, strerror(errno));
        return 0;
    }
    writer(a.f, ctx);
    if (ferror(a.f)) {
        sb_atomic_abort(&a);
        fprintf(stderr, "%s: write error on %s\n", who, path);
        return 0;
    }
    if (!sb_atomic_commit(&a)) {
        fprintf(stderr, "%s: cannot finish %s: %s\n", who, path, strerror(errno));
        return 0;
    }
    return 1;
}

int sb_atomic_write_bytes(const char *path, const void *head, size_t hn, const void *body, size_t bn, char *err,
                          size_t err_size)
{
    sb_atomic_file a;
    if (!sb_atomic_open(&a, path)) {
        snprintf(err, err_size, "cannot write %s: %s", path, strerror(errno));
        return 0;
    }
    if ((hn && fwrite(head, 1, hn, a.f) != hn) || (bn && fwrite(body, 1, bn, a.f) != bn)) {
        int saved = errno;
        sb_atomic_abort(&a);
        snprintf(err, err_size, "cannot write %s: %s", path, strerror(saved ? saved : EIO));
        return 0;
    }
    if (!sb_atomic_commit(&a)) {
        snprintf(err, err_size, "cannot write %s: %s", path, strerror(errno));
        return 0;
    }
    return 1;
}

int sb_read_file(const char *path, unsigned char **out, size_t *size, size_t max)
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
