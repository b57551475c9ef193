#define _POSIX_C_SOURCE 200809L
#include "fuzz_check.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sinkbench/attention.h"
#include "sinkbench/plugin.h"

const char *sb_fuzz_input_name;
static const char *target_name = "fuzz";

#define MAX_TRACKED 1024
static unsigned char ran[MAX_TRACKED], ran_attention[MAX_TRACKED], ran_batch[MAX_TRACKED];
static const char *only_names;   /* SINKBENCH_FUZZ_KERNELS: comma-separated kernel names, or NULL */

static int wanted(const char *name)
{
    if (!only_names)
        return 1;
    size_t len = strlen(name);
    for (const char *p = only_names; *p;) {
        size_t k = strcspn(p, ",");
        if (k == len && strncmp(p, name, len) == 0)
            return 1;
        p += k + (p[k] == ',');
    }
    return 0;
}

void sb_fuzz_set_target(const char *target) { target_name = target; }

void sb_fuzz_init(const char *target)
{
    target_name = target;
    char err[512];
    if (sb_plugin_load_env(err, sizeof err) != SB_OK) {
        fprintf(stderr, "%s: SINKBENCH_PLUGINS: %s\n", target, err);
        exit(3);
    }
    only_names = getenv("SINKBENCH_FUZZ_KERNELS");
    if (only_names && !*only_names)
        only_names = NULL;
    size_t matched = 0;
    for (size_t i = 0; i < sb_softmax_kernel_count(); i++) {
        const sb_softmax_kernel *k = sb_softmax_kernel_at(i);
        sb_contract_result r;
        matched += wanted(k->name) != 0;
        if (k->supported() && wanted(k->name) && !sb_contract_check_api(k, &r)) {
            fprintf(stderr, "%s: VIOLATION kernel=%s rule=%s index=none\n  %s\n  (API rules, checked at start-up)\n",
                    target, k->name, sb_violation_name(r.violation), r.message);
            abort();
        }
    }
    for (size_t i = 0; i < sb_attention_kernel_count(); i++)
        matched += wanted(sb_attention_kernel_at(i)->name) != 0;
    for (size_t i = 0; i < sb_softmax_batch_kernel_count(); i++)
        matched += wanted(sb_softmax_batch_kernel_at(i)->name) != 0;
    if (!matched) {
        fprintf(stderr, "%s: SINKBENCH_FUZZ_KERNELS=%s names no registered kernel\n", target, only_names);
        exit(3);
    }
}

size_t sb_fuzz_kernels(const sb_fuzz_row *row, int contract_only, const sb_softmax_kernel **out, size_t cap)
{
    size_t count = sb_softmax_kernel_count(), got = 0;
    size_t only = row->h.kernel ? (size_t)(row->h.kernel - 1) % count : SIZE_MAX;
    for (size_t i = 0; i < count && got < cap; i++) {
        const sb_softmax_kernel *k = sb_softmax_kernel_at(i);
        if ((only != SIZE_MAX && i != only) || !k->supported() || (contract_only && k->ulp_bound < 0) ||
            !wanted(k->name))
            continue;
        if (i < MAX_TRACKED)
            ran[i] = 1;
        out[got++] = k;
    }
    return got;
}

int sb_fuzz_kernel_ran(size_t registry_index) { return registry_index < MAX_TRACKED && ran[registry_index]; }

size_t sb_fuzz_batch_kernels(unsigned selector, const sb_softmax_batch_kernel **out, size_t cap)
{
    size_t count = sb_softmax_batch_kernel_count(), got = 0;
    size_t only = selector && count ? (size_t)(selector - 1) % count : SIZE_MAX;
    for (size_t i = 0; i < count && got < cap; i++) {
        const sb_softmax_batch_kernel *k = sb_softmax_batch_kernel_at(i);
        if ((only != SIZE_MAX && i != only) || !k->supported() || !wanted(k->name))
            continue;
        if (i < MAX_TRACKED)
            ran_batch[i] = 1;
        out[got++] = k;
    }
    return got;
}

int sb_fuzz_batch_kernel_ran(size_t registry_index) { return registry_index < MAX_TRACKED && ran_batch[registry_index]; }

/* An invalid descriptor must give SB_EINVAL and leave the output alone (attention.h). */
static void check_attention_refusals(const char *target, const sb_attention_kernel *k)
{
    float q[8] = {0}, kv[8] = {0}, out[8], sentinel;
    uint32_t bits = 0x7fbadbadu;
    memcpy(&sentinel, &bits, sizeof sentinel);
    static const char *const cases[] = {"H not a multiple of H_kv", "NULL q", "non-finite scale", "head_dim 0",
                                        "overlapping output rows"};
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        sb_attention_desc d;
        sb_attention_desc_init(&d, 2, 1, 2, 2, 1);
        d.q = q;
        d.k = kv;
        d.v = kv;
        d.out = out;
        switch (c) {
        case 0: d.n_heads = 3; d.n_kv_heads = 2; break;
        case 1: d.q = NULL; break;
        case 2: d.scale = NAN; break;
        case 3: d.head_dim = 0; break;
        default: d.out_stride_head = 1; break;
        }
        for (size_t i = 0; i < 8; i++)
            out[i] = sentinel;
        sb_status st = k->fn(&d);
        int untouched = 1;
        for (size_t i = 0; i < 8; i++)
            untouched &= memcmp(&out[i], &sentinel, sizeof sentinel) == 0;
        if (st != SB_EINVAL || !untouched) {
            fprintf(stderr, "%s: VIOLATION kernel=%s rule=invalid-descriptor index=none\n  %s: returned %s%s\n"
                    "  (API rules, checked at start-up)\n", target, k->name, cases[c], sb_status_str(st),
                    untouched ? "" : " and wrote the output");
            abort();
        }
    }
}

void sb_fuzz_attention_init(const char *target)
{
    sb_fuzz_init(target);
    for (size_t i = 0; i < sb_attention_kernel_count(); i++) {
        const sb_attention_kernel *k = sb_attention_kernel_at(i);
        if (k->supported() && wanted(k->name))
            check_attention_refusals(target, k);
    }
}

size_t sb_fuzz_attention_kernels(unsigned selector, const sb_attention_kernel **out, size_t cap)
{
    size_t count = sb_attention_kernel_count(), got = 0;
    size_t only = selector ? (size_t)(selector - 1) % count : SIZE_MAX;
    for (size_t i = 0; i < count && got < cap; i++) {
        const sb_attention_kernel *k = sb_attention_kernel_at(i);
        if ((only != SIZE_MAX && i != only) || !k->supported() || !wanted(k->name))
            continue;
        if (i < MAX_TRACKED)
            ran_attention[i] = 1;
        out[got++] = k;
    }
    return got;
}

int sb_fuzz_attention_kernel_ran(size_t registry_index)
{
    return registry_index < MAX_TRACKED && ran_attention[registry_index];
}

int sb_fuzz_relation(const sb_softmax_kernel *k, const char *relation, double bound, const float *x, size_t n,
                     const sb_softmax_params *p, const float *got, const float *ref, sb_contract_result *r)
{
    static char label[160];
    sb_softmax_kernel as = *k;
    as.ulp_bound = bound;
    sb_oracle want;
    memset(&want, 0, sizeof want);
    want.y = (float *)ref;   /* read only: sb_contract_compare never writes want */
    want.sink_index = SIZE_MAX;
    want.row_class = sb_oracle_classify(x, n, p);
    for (int labelled = 0;; labelled = 1) {
        memset(r, 0, sizeof *r);
        r->index = SIZE_MAX;
        r->max_ulp_index = SIZE_MAX;
        if (sb_contract_compare(&as, x, n, p, got, &want, r) || labelled)
            return r->violation == SB_V_NONE;
        /* Failed: once more under the relation's label, for the message (the common case skips it). */
        snprintf(label, sizeof label, "%s[%s]", k->name, relation);
        as.name = label;
    }
}

int sb_fuzz_api_rule(sb_violation v)
{
    return v == SB_V_STATUS || v == SB_V_OUT_OF_BOUNDS || v == SB_V_INPUT_MODIFIED || v == SB_V_FP_CONTROL ||
           v == SB_V_IN_PLACE;
}

_Noreturn void sb_fuzz_violation(const sb_fuzz_row *row, const char *kernel, const char *rule, size_t index,
                                 const char *detail)
{
    fflush(stdout);
    if (index == SIZE_MAX)
        fprintf(stderr, "%s: VIOLATION kernel=%s rule=%s index=none\n", target_name, kernel, rule);
    else
        fprintf(stderr, "%s: VIOLATION kernel=%s rule=%s index=%zu\n", target_name, kernel, rule, index);
    fprintf(stderr, "  %s\n", detail);
    if (sb_fuzz_input_name)
        fprintf(stderr, "  input: %s\n", sb_fuzz_input_name);
    if (row)
        sb_fuzz_describe(row, stderr);
    fflush(stderr);
    abort();
}

_Noreturn void sb_fuzz_contract_violation(const sb_fuzz_row *row, const sb_softmax_kernel *k,
                                          const sb_contract_result *r)
{
    sb_fuzz_violation(row, k->name, sb_violation_name(r->violation), r->index, r->message);
}

#define MAX_SCRATCH 4
static char scratch[MAX_SCRATCH][64];
static int scratch_named[MAX_SCRATCH], scratch_count;

static void remove_scratch(void)
{
    for (int i = 0; i < scratch_count; i++)
        if (scratch_named[i])
            unlink(scratch[i]);
}

const char *sb_fuzz_scratch_file(void)
{
    if (scratch_count == MAX_SCRATCH) {
        fprintf(stderr, "fuzz: more than %d scratch files\n", MAX_SCRATCH);
        exit(3);
    }
    char *path = scratch[scratch_count];
    const char *dir = getenv("TMPDIR");
    if (!dir || !*dir || strlen(dir) >= 32)
        dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    snprintf(path, sizeof scratch[0], "%s/sinkbench-fuzz-XXXXXX", dir);
    int fd = mkstemp(path);
    if (fd < 0) {
        perror("fuzz: mkstemp");
        exit(3);
    }
    char proc[64];
    snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
    FILE *f = fopen(proc, "rb");
    if (f) {
        fclose(f);
        unlink(path);
        snprintf(path, sizeof scratch[0], "%s", proc);   /* the fd stays open for the life of the process */
    } else {
        close(fd);
        scratch_named[scratch_count] = 1;
        if (scratch_count == 0)
            atexit(remove_scratch);
    }
    scratch_count++;
    return path;
}

void sb_fuzz_scratch_write(const char *path, const uint8_t *data, size_t size)
{
    FILE *f = fopen(path, "wb");
    if (!f || (size && fwrite(data, 1, size, f) != size) || fclose(f) != 0) {
        perror(path);
        exit(3);
    }
}
