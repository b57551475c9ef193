/* outputs_file: the reader of outputs.bin (io/outputs_file.h), the file format the CLI reads back
 * ('sinkbench compare'), on arbitrary bytes. It must never crash, read out of bounds or leak (ASan),
 * must reject what is not a valid file with a reason and a zeroed result, and what it accepts must be
 * consistent (row lengths summing to total_floats, terminated names) and survive a write and a
 * second read unchanged. The reader takes a path: each input goes through a scratch file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"
#include "io/outputs_file.h"

static const char *in_path, *out_path;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    sb_fuzz_set_target("outputs_file");
    in_path = sb_fuzz_scratch_file();
    out_path = sb_fuzz_scratch_file();
    return 0;
}

static _Noreturn void broken(const char *rule, const char *detail)
{
    sb_fuzz_violation(NULL, "sb_outputs_read", rule, SIZE_MAX, detail);
}

static int terminated(const char *s, size_t size) { return memchr(s, '\0', size) != NULL; }

static void check_consistent(const sb_outputs *o)
{
    uint64_t sum = 0;
    for (uint32_t i = 0; i < o->rows; i++)
        sum += o->row_n[i];
    if (sum != o->total_floats)
        broken("inconsistent", "accepted a file whose row lengths do not sum to total_floats");
    for (uint32_t k = 0; k < o->kernels; k++)
        if (!terminated(o->k[k].name, sizeof o->k[k].name) || !terminated(o->k[k].isa, sizeof o->k[k].isa) ||
            !terminated(o->k[k].algorithm, sizeof o->k[k].algorithm) || (o->total_floats && !o->k[k].y))
            broken("inconsistent", "accepted a kernel entry with an unterminated name or no outputs");
}

static int same(const sb_outputs *a, const sb_outputs *b)
{
    if (a->seed != b->seed || a->rows != b->rows || a->kernels != b->kernels || a->total_floats != b->total_floats ||
        (a->rows && memcmp(a->row_n, b->row_n, a->rows * sizeof *a->row_n) != 0))
        return 0;
    for (uint32_t k = 0; k < a->kernels; k++) {
        const sb_outputs_kernel *x = &a->k[k], *y = &b->k[k];
        if (strcmp(x->name, y->name) || strcmp(x->isa, y->isa) || strcmp(x->algorithm, y->algorithm) ||
            (a->total_floats && memcmp(x->y, y->y, a->total_floats * sizeof(float)) != 0))
            return 0;
    }
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sb_fuzz_scratch_write(in_path, data, size);
    sb_outputs o;
    char err[256] = "";
    if (!sb_outputs_read(in_path, &o, err, sizeof err)) {
        static const sb_outputs zero;
        if (!err[0])
            broken("no-reason", "rejected a file without saying why");
        if (memcmp(&o, &zero, sizeof o) != 0)
            broken("not-zeroed", "rejected a file but left its result filled in");
        return 0;
    }
    check_consistent(&o);

    /* What was accepted is written back and read again: it must come back identical. */
    FILE *f = fopen(out_path, "wb");
    if (!f) {
        perror(out_path);
        exit(3);
    }
    int wrote = sb_outputs_write(f, &o);
    if (fclose(f) != 0 || !wrote)
        broken("write", "could not write back a file it had accepted");
    sb_outputs again;
    char err2[256] = "";
    if (!sb_outputs_read(out_path, &again, err2, sizeof err2)) {
        char detail[320];
        snprintf(detail, sizeof detail, "rejected its own output: %s", err2);
        broken("round-trip", detail);
    }
    if (!same(&o, &again))
        broken("round-trip", "write then read changed the contents");
    sb_outputs_free(&again);
    sb_outputs_free(&o);
    return 0;
}
