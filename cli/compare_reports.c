/* sinkbench compare REPORT_DIR...: machines side by side, speed ratios, accuracy per kernel, and where
 * kernels' outputs differ bit for bit on identical inputs (outputs.bin). Markdown on stdout. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "compare.h"
#include "io/json_helpers.h"
#include "check/ulp.h"
#include "io/outputs_file.h"

#define MAX_REPORTS 26

typedef struct report_in {
    const char *dir;
    json_object *info, *check;
    sb_outputs outs;
    int have_outs;
    sb_bench_results bench;
    int have_bench;
    int emulated;
} report_in;

static json_object *load_json(const char *dir, const char *name)
{
    char path[4096], err[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    json_object *v = NULL;
    if (!sb_json_read_file(path, &v, err, sizeof err))
        fprintf(stderr, "sinkbench compare: %s\n", err);
    return v;
}

static const char *info_str(const report_in *r, const char *obj, const char *key)
{
    return sb_json_string_or(json_object_object_get(json_object_object_get(r->info, obj), key), "?");
}

static void machines(report_in *r, size_t n)
{
    printf("## Machines\n\n| | report | CPU | microarchitecture | caches | arch | dispatch ISA | features | emulated | "
           "sinkbench |\n|---|---|---|---|---|---|---|---|---|---|\n");
    for (size_t i = 0; i < n; i++)
        printf("| %c | `%s` | %s %s | %s | %s | %s | %s | %s | %s | %s |\n", (int)('A' + i), r[i].dir,
               info_str(&r[i], "cpu", "vendor"), info_str(&r[i], "cpu", "model"),
               info_str(&r[i], "cpu", "microarchitecture"), info_str(&r[i], "cpu", "caches"),
               info_str(&r[i], "cpu", "arch"),
               info_str(&r[i], "dispatch", "isa"), info_str(&r[i], "cpu", "features"),
               r[i].emulated ? "yes (timings not compared)" : "no",
               sb_json_string_or(json_object_object_get(r[i].info, "sinkbench_version"), "?"));
    printf("\n");
}

static void speed(report_in *r, size_t n, const sb_compare_options *o)
{
    printf("## Speed\n\n");
    sb_bench_results files[MAX_REPORTS];
    size_t nf = 0;
    for (size_t i = 0; i < n; i++) {
        if (!r[i].have_bench)
            printf("- %c: no bench.json%s\n", (int)('A' + i), r[i].emulated ? " (emulated run)" : "");
        else if (r[i].emulated)
            printf("- %c: emulated run, timings left out\n", (int)('A' + i));
        else
            files[nf++] = r[i].bench;
    }
    if (nf < 2) {
        printf("\nSpeed needs two reports with benchmarks from real hardware; %zu here.\n\n", nf);
        return;
    }
    printf("\nThe reports below are relabelled A, B, ... in the order they have benchmarks.\n\n```text\n");
    fflush(stdout);
    sb_compare_ratio_table(files, nf, o, NULL);
    fflush(stdout);
    printf("```\n\n");
}

/* The entry for kernel `name` in the report's check.json array `key` ("kernels", "attention_kernels"). */
static const json_object *check_entry(const report_in *r, const char *key, const char *name)
{
    const json_object *ks = json_object_object_get(r->check, key);
    for (size_t i = 0; i < sb_json_length(ks); i++)
        if (strcmp(sb_json_string_or(json_object_object_get(sb_json_at(ks, i), "name"), ""), name) == 0)
            return sb_json_at(ks, i);
    return NULL;
}

/* The union of the kernel names in the reports' check.json array `key`, in first-seen order. */
static size_t kernel_names(const report_in *r, size_t n, const char *key, const char **names, size_t max)
{
    size_t nn = 0;
    for (size_t i = 0; i < n; i++) {
        const json_object *ks = json_object_object_get(r[i].check, key);
        for (size_t k = 0; k < sb_json_length(ks) && nn < max; k++) {
            const char *name = sb_json_string_or(json_object_object_get(sb_json_at(ks, k), "name"), NULL);
            size_t j = 0;
            while (name && j < nn && strcmp(names[j], name) != 0)
                j++;
            if (name && j == nn)
                names[nn++] = name;
        }
    }
    return nn;
}

/* Attention kernels: the largest error in units of 2^-24 R max|v| over the attention suite (reports
 * made before the attention suite existed have none: the table is left out). */
static void attention_accuracy(report_in *r, size_t n)
{
    const char *names[256];
    size_t nn = kernel_names(r, n, "attention_kernels", names, 256);
    if (nn == 0)
        return;
    printf("Attention kernels against the binary64 attention reference: the largest error over the attention "
           "suite in units of 2^-24 R max|v| (R: the keys' share of the mass); `FAIL` when a kernel broke its "
           "bound.\n\n| attention kernel |");
    for (size_t i = 0; i < n; i++)
        printf(" %c |", (int)('A' + i));
    printf("\n|---|");
    for (size_t i = 0; i < n; i++)
        printf("---:|");
    printf("\n");
    for (size_t k = 0; k < nn; k++) {
        printf("| `%s` |", names[k]);
        for (size_t i = 0; i < n; i++) {
            const json_object *e = check_entry(&r[i], "attention_kernels", names[k]);
            if (!e) {
                printf(" — |");
                continue;
            }
            int failing = sb_json_number_or(json_object_object_get(e, "failing_problems"), 0) > 0;
            int study = strcmp(sb_json_string_or(json_object_object_get(e, "bound"), "study"), "study") == 0;
            printf(" %.3g%s |", sb_json_number_or(json_object_object_get(e, "max_error_units"), NAN),
                   failing ? (study ? " breaks" : " FAIL") : "");
        }
        printf("\n");
    }
    printf("\n");
}

static void accuracy(report_in *r, size_t n)
{
    printf("## Accuracy (contract check against the MPFR oracle)\n\nMax ulp over the check's rows; `FAIL` when "
           "a contract kernel broke the contract, `breaks` for study kernels (peers, naive) that miss the 2-ulp "
           "target.\n\n| kernel | bound |");
    for (size_t i = 0; i < n; i++)
        printf(" %c |", (int)('A' + i));
    printf("\n|---|---:|");
    for (size_t i = 0; i < n; i++)
        printf("---:|");
    printf("\n");
    const char *names[1024];
    size_t nn = kernel_names(r, n, "kernels", names, 1024);
    for (size_t k = 0; k < nn; k++) {
        double bound = NAN;
        for (size_t i = 0; i < n && isnan(bound); i++)
            bound = sb_json_number_or(json_object_object_get(check_entry(&r[i], "kernels", names[k]), "ulp_bound"),
                                      NAN);
        if (bound >= 0)
            printf("| `%s` | %g |", names[k], bound);
        else
            printf("| `%s` | study |", names[k]);
        for (size_t i = 0; i < n; i++) {
            const json_object *e = check_entry(&r[i], "kernels", names[k]);
            if (!e) {
                printf(" — |");
                continue;
            }
            const json_object *mu = json_object_object_get(e, "max_ulp");
            char cell[64];
            if (json_object_is_type(mu, json_type_double) || json_object_is_type(mu, json_type_int))
                snprintf(cell, sizeof cell, "%.0f", sb_json_number_or(mu, 0));
            else
                snprintf(cell, sizeof cell, "%s", sb_json_string_or(mu, "?"));
            int failing = sb_json_number_or(json_object_object_get(e, "failing_rows"), 0) > 0 ||
                          !sb_json_bool_or(json_object_object_get(e, "api_ok"), 1);
            printf(" %s%s |", cell, failing ? (bound >= 0 ? " FAIL" : " breaks") : "");
        }
        printf("\n");
    }
    printf("\n");
    attention_accuracy(r, n);
}

typedef struct diff {
    size_t identical, total;
    uint64_t max_ulp;
} diff;

static diff compare_outputs(const float *a, const float *b, size_t n)
{
    diff d = {0, n, 0};
    for (size_t i = 0; i < n; i++) {
        if (memcmp(&a[i], &b[i], sizeof(float)) == 0 || (isnan(a[i]) && isnan(b[i]))) {
            d.identical++;
            continue;
        }
        uint64_t u = sb_ulp_distance(a[i], b[i]);
        d.max_ulp = u > d.max_ulp ? u : d.max_ulp;
    }
    return d;
}

static void print_diff(diff d)
{
    if (d.total == 0) {
        printf(" — | — |");
        return;
    }
    if (d.max_ulp == SB_ULP_INFINITE)
        printf(" %.2f %% | NaN vs number |", 100.0 * (double)d.identical / (double)d.total);
    else
        printf(" %.2f %% | %llu |", 100.0 * (double)d.identical / (double)d.total, (unsigned long long)d.max_ulp);
}

static int same_rows(const sb_outputs *a, const sb_outputs *b)
{
    return a->seed == b->seed && a->rows == b->rows && a->total_floats == b->total_floats &&
           memcmp(a->row_n, b->row_n, a->rows * sizeof *a->row_n) == 0;
}

static void bit_for_bit(report_in *r, size_t n)
{
    printf("## Bit for bit (outputs.bin: identical inputs in every report)\n\n");
    if (!r[0].have_outs) {
        printf("Report A has no outputs.bin; nothing to compare against.\n\n");
        return;
    }
    const sb_outputs_kernel *ref = sb_outputs_find(&r[0].outs, "softmax_reference_f64");
    printf("Each kernel's outputs on the same %u rows (%u values, seed %llu): the share of values identical to "
           "the same kernel in report A, and to A's `softmax_reference_f64`, with the largest ulp distance where "
           "they differ.\n\n| report | kernel | isa | = same kernel in A | max ulp | = A's reference | max ulp |\n"
           "|---|---|---|---:|---:|---:|---:|\n",
           r[0].outs.rows, r[0].outs.total_floats, (unsigned long long)r[0].outs.seed);
    for (size_t i = 0; i < n; i++) {
        if (!r[i].have_outs) {
            printf("| %c | (no outputs.bin) | | | | | |\n", (int)('A' + i));
            continue;
        }
        if (!same_rows(&r[0].outs, &r[i].outs)) {
            printf("| %c | (different seed or rows: run both reports with the same --seed) | | | | | |\n",
                   (int)('A' + i));
            continue;
        }
        size_t total = r[i].outs.total_floats;
        for (uint32_t k = 0; k < r[i].outs.kernels; k++) {
            const sb_outputs_kernel *kk = &r[i].outs.k[k];
            const sb_outputs_kernel *same = sb_outputs_find(&r[0].outs, kk->name);
            printf("| %c | `%s` | %s |", (int)('A' + i), kk->name, kk->isa);
            diff none = {0, 0, 0};
            print_diff(same && i > 0 ? compare_outputs(same->y, kk->y, total) : none);
            print_diff(ref ? compare_outputs(ref->y, kk->y, total) : none);
            printf("\n");
        }
    }
    printf("\n");
}

int sb_compare_reports(const char *const *dirs, size_t n, const sb_compare_options *o)
{
    if (n > MAX_REPORTS)
        return sb_tool_usage_error("compare", "at most %d report folders", MAX_REPORTS);
    report_in r[MAX_REPORTS];
    memset(r, 0, sizeof r);
    int rc = SB_EXIT_OK;
    for (size_t i = 0; i < n; i++) {
        r[i].dir = dirs[i];
        r[i].info = load_json(dirs[i], "info.json");
        r[i].check = load_json(dirs[i], "check.json");
        if (!r[i].info || !r[i].check) {
            rc = sb_tool_error("compare", "%s is not a complete sinkbench report (needs info.json and check.json)",
                              dirs[i]);
            break;
        }
        r[i].emulated =
            sb_json_bool_or(json_object_object_get(json_object_object_get(r[i].info, "cpu"), "emulated"), 0);
        char path[4096], err[512];
        snprintf(path, sizeof path, "%s/outputs.bin", dirs[i]);
        r[i].have_outs = sb_outputs_read(path, &r[i].outs, err, sizeof err);
        if (!r[i].have_outs)
            fprintf(stderr, "sinkbench compare: %s (bit-for-bit comparison leaves it out)\n", err);
        snprintf(path, sizeof path, "%s/bench.json", dirs[i]);
        FILE *f = fopen(path, "r");
        if (f) {
            fclose(f);
            r[i].have_bench = sb_bench_results_load(&r[i].bench, path, o->metric, o->filter, err, sizeof err);
            if (!r[i].have_bench) {
                fprintf(stderr, "sinkbench compare: %s (speed leaves it out)\n", err);
                sb_bench_results_free(&r[i].bench);
            }
        }
    }
    if (rc == SB_EXIT_OK) {
        printf("# sinkbench: comparison of %zu report%s\n\n", n, n == 1 ? "" : "s");
        machines(r, n);
        speed(r, n, o);
        accuracy(r, n);
        bit_for_bit(r, n);
    }
    for (size_t i = 0; i < n; i++) {
        json_object_put(r[i].info);
        json_object_put(r[i].check);
        if (r[i].have_outs)
            sb_outputs_free(&r[i].outs);
        if (r[i].have_bench)
            sb_bench_results_free(&r[i].bench);
    }
    return rc;
}
