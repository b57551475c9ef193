/* The replay driver: runs a harness's LLVMFuzzerTestOneInput on files, with no fuzzer involved, so
 * ctest replays the seeds and regressions of every target in every build (release, asan, aarch64
 * under qemu) and anyone can replay a crash file.
 *   fuzz_<target>_replay [--repeat N] PATH...
 *       PATH: files, or folders whose files are all replayed (names starting with '.' and README
 *       files skipped), in name order. --repeat N runs each input N times and prints the harness's
 *       own cost per input in CPU time (no fuzzer, no file reading): the ceiling on execs/s.
 * Exit: 0 all inputs ran clean, 2 usage or no inputs, 3 an unreadable path. A contract violation
 * aborts with the harness's report (SIGABRT), as under a fuzzer. */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "fuzz_check.h"

static size_t replayed, repeat = 1;
static double cpu_seconds;

static double cpu_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

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
    double t0 = cpu_now();
    for (size_t i = 0; i < repeat; i++)
        LLVMFuzzerTestOneInput(buf, len);
    cpu_seconds += cpu_now() - t0;
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
                "usage: %s [--repeat N] PATH...\nReplays fuzz inputs (files, or every file of a folder) through the harness;\n"
                "--repeat N runs each N times and prints the harness's CPU time per input.\n"
                "Exit 0 when all ran clean; a contract violation aborts with a report.\n", argv[0]);
        return argc < 2 ? 2 : 0;
    }
    int first = 1;
    if (strcmp(argv[1], "--repeat") == 0) {
        char *end = NULL;
        repeat = argc > 2 ? strtoul(argv[2], &end, 10) : 0;
        if (!end || *end || repeat == 0 || argc < 4) {
            fprintf(stderr, "%s: --repeat needs a positive count and a PATH\n", argv[0]);
            return 2;
        }
        first = 3;
    }
    LLVMFuzzerInitialize(&argc, &argv);
    int ok = 1;
    for (int i = first; i < argc; i++)
        ok &= replay_path(argv[i]);
    if (!ok)
        return 3;
    if (replayed == 0) {
        fprintf(stderr, "%s: no inputs found\n", argv[0]);
        return 2;
    }
    printf("replayed %zu inputs without a violation", replayed);
    for (size_t i = 0, first_kernel = 1; i < sb_softmax_kernel_count(); i++)
        if (sb_fuzz_kernel_ran(i)) {
            printf("%s %s", first_kernel ? "; kernels checked:" : "", sb_softmax_kernel_at(i)->name);
            first_kernel = 0;
        }
    for (size_t i = 0, first_kernel = 1; i < sb_attention_kernel_count(); i++)
        if (sb_fuzz_attention_kernel_ran(i)) {
            printf("%s %s", first_kernel ? "; attention kernels checked:" : "", sb_attention_kernel_at(i)->name);
            first_kernel = 0;
        }
    for (size_t i = 0, first_kernel = 1; i < sb_softmax_batch_kernel_count(); i++)
        if (sb_fuzz_batch_kernel_ran(i)) {
            printf("%s %s", first_kernel ? "; batched kernels checked:" : "", sb_softmax_batch_kernel_at(i)->name);
            first_kernel = 0;
        }
    printf("\n");
    if (repeat > 1)
        printf("harness alone: %zu runs in %.3f s of CPU time: %.2f us per input, %.0f inputs/s\n", replayed * repeat,
               cpu_seconds, 1e6 * cpu_seconds / (double)(replayed * repeat), (double)(replayed * repeat) / cpu_seconds);
    return 0;
}
