/* The replay driver: runs a harness's LLVMFuzzerTestOneInput on files, with no fuzzer involved, so
 * ctest replays the seeds and regressions of every target in every build (release, asan, aarch64
 * under qemu) and anyone can replay a crash file.
 *   fuzz_<target>_replay PATH...   files, or folders whose files are all replayed (names starting
 *                                  with '.' and README files skipped), in name order
 * Exit: 0 all inputs ran clean, 2 usage or no inputs, 3 an unreadable path. A contract violation
 * aborts with the harness's report (SIGABRT), as under a fuzzer. */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz_check.h"

static size_t replayed;

static int replay_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        return 0;
    }
    size_t cap = 4096, len = 0;
    unsigned char *buf = malloc(cap);
    size_t got;
    while (buf && (got = fread(buf + len, 1, cap - len, f)) > 0) {
        len += got;
        if (len == cap) {
            unsigned char *bigger = realloc(buf, cap *= 2);
            if (!bigger)
                free(buf);
            buf = bigger;
        }
    }
    int ok = buf && !ferror(f);
    fclose(f);
    if (!ok) {
        fprintf(stderr, "%s: cannot read\n", path);
        free(buf);
        return 0;
    }
    sb_fuzz_input_name = path;
    LLVMFuzzerTestOneInput(buf, len);
    sb_fuzz_input_name = NULL;
    free(buf);
    replayed++;
    return 1;
}

static int wanted(const struct dirent *e)
{
    return e->d_name[0] != '.' && strncmp(e->d_name, "README", 6) != 0;
}

static int replay_path(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        perror(path);
        return 0;
    }
    if (!S_ISDIR(st.st_mode))
        return replay_file(path);
    struct dirent **list;
    int count = scandir(path, &list, wanted, alphasort);
    if (count < 0) {
        perror(path);
        return 0;
    }
    int ok = 1;
    for (int i = 0; i < count; i++) {
        size_t len = strlen(path) + strlen(list[i]->d_name) + 2;
        char *file = malloc(len);
        if (file) {
            snprintf(file, len, "%s/%s", path, list[i]->d_name);
            struct stat fst;
            if (stat(file, &fst) == 0 && S_ISREG(fst.st_mode))
                ok &= replay_file(file);
            free(file);
        }
        free(list[i]);
    }
    free(list);
    return ok;
}

int main(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fprintf(argc < 2 ? stderr : stdout,
                "usage: %s PATH...\nReplays fuzz inputs (files, or every file of a folder) through the harness.\n"
                "Exit 0 when all ran clean; a contract violation aborts with a report.\n", argv[0]);
        return argc < 2 ? 2 : 0;
    }
    LLVMFuzzerInitialize(&argc, &argv);
    int ok = 1;
    for (int i = 1; i < argc; i++)
        ok &= replay_path(argv[i]);
    if (!ok)
        return 3;
    if (replayed == 0) {
        fprintf(stderr, "%s: no inputs found\n", argv[0]);
        return 2;
    }
    printf("replayed %zu inputs without a violation; kernels checked:", replayed);
    for (size_t i = 0; i < sb_softmax_kernel_count(); i++)
        if (sb_fuzz_kernel_ran(i))
            printf(" %s", sb_softmax_kernel_at(i)->name);
    printf("\n");
    return 0;
}
