/* sinkbench info: the CPU, what dispatch chooses, and every registered kernel. */
#include <getopt.h>
#include <string.h>

#include "cli.h"
#include "io/json_helpers.h"
#include "sinkbench/sinkbench.h"

static const size_t probe_lengths[] = {16, 256, 4096, 65536, 1u << 20, 1u << 24};
#define NPROBES (sizeof probe_lengths / sizeof probe_lengths[0])

/* "32 KiB", "32 MiB"; "-" for an absent or unknown cache. */
static void cache_size(char *buf, size_t size, size_t bytes)
{
    if (!bytes)
        snprintf(buf, size, "-");
    else if (bytes % (1u << 20) == 0)
        snprintf(buf, size, "%zu MiB", bytes >> 20);
    else
        snprintf(buf, size, "%zu KiB", bytes >> 10);
}

static void caches_line(const sb_cpu_info *c, char *buf, size_t size)
{
    char a[32], b[32], d[32];
    cache_size(a, sizeof a, c->l1d);
    cache_size(b, sizeof b, c->l2);
    cache_size(d, sizeof d, c->l3);
    snprintf(buf, size, "L1d %s, L2 %s, L3 %s", a, b, d);
}

void sb_cli_cpu_description(char *buf, size_t size)
{
    const sb_cpu_info *c = sb_cpu();
    char caches[128];
    caches_line(c, caches, sizeof caches);
    if (c->fallback_reason[0])
        snprintf(buf, size, "%s; %s (%s: %s)", c->microarchitecture, caches, c->source, c->fallback_reason);
    else
        snprintf(buf, size, "%s; %s (%s)", c->microarchitecture, caches, c->source);
}

void sb_cli_info_json(FILE *f)
{
    const sb_cpu_info *c = sb_cpu();
    char feats[256];
    sb_cpu_feature_string(c->features, feats, sizeof feats);
    json_object *doc = json_object_new_object();
    json_object_object_add(doc, "sinkbench_version", sb_json_new_string(sb_version()));
    json_object_object_add(doc, "build", sb_json_new_string(sb_build_info()));
    json_object *cpu = json_object_new_object();
    json_object_object_add(cpu, "arch", sb_json_new_string(c->arch));
    json_object_object_add(cpu, "vendor", sb_json_new_string(c->vendor));
    json_object_object_add(cpu, "model", sb_json_new_string(c->model));
    json_object_object_add(cpu, "features", sb_json_new_string(feats));
    json_object_object_add(cpu, "emulated", json_object_new_boolean(c->emulated));
    json_object_object_add(cpu, "microarchitecture", sb_json_new_string(c->microarchitecture));
    json_object_object_add(cpu, "l1d_bytes", json_object_new_uint64(c->l1d));
    json_object_object_add(cpu, "l2_bytes", json_object_new_uint64(c->l2));
    json_object_object_add(cpu, "l3_bytes", json_object_new_uint64(c->l3));
    char caches[128];
    caches_line(c, caches, sizeof caches);
    json_object_object_add(cpu, "caches", sb_json_new_string(caches));
    json_object_object_add(cpu, "description_source", sb_json_new_string(c->source));
    json_object_object_add(cpu, "fallback_reason", sb_json_new_string(c->fallback_reason));
    json_object_object_add(doc, "cpu", cpu);
    json_object *dispatch = json_object_new_object();
    const char *isa = sb_dispatch_isa();
    json_object_object_add(dispatch, "isa", sb_json_new_string(isa ? isa : "none"));
    json_object_object_add(dispatch, "note", sb_json_new_string(sb_dispatch_note()));
    json_object *by_length = json_object_new_array();
    for (size_t i = 0; i < NPROBES; i++) {
        const sb_softmax_kernel *k = sb_softmax_dispatch(probe_lengths[i]);
        json_object *e = json_object_new_object();
        json_object_object_add(e, "n", json_object_new_uint64(probe_lengths[i]));
        json_object_object_add(e, "kernel", sb_json_new_string(k ? k->name : "none"));
        json_object_array_add(by_length, e);
    }
    json_object_object_add(dispatch, "by_length", by_length);
    json_object_object_add(doc, "dispatch", dispatch);
    json_object *softmax = json_object_new_array();
    for (size_t i = 0; i < sb_softmax_kernel_count(); i++) {
        const sb_softmax_kernel *k = sb_softmax_kernel_at(i);
        json_object *e = json_object_new_object();
        json_object_object_add(e, "name", sb_json_new_string(k->name));
        json_object_object_add(e, "isa", sb_json_new_string(k->isa));
        json_object_object_add(e, "algorithm", sb_json_new_string(k->algorithm));
        json_object_object_add(e, "ulp_bound", sb_json_new_number(k->ulp_bound, 0));
        json_object_object_add(e, "contract", json_object_new_boolean(k->ulp_bound >= 0));
        json_object_object_add(e, "supported", json_object_new_boolean(k->supported()));
        json_object_object_add(e, "emulated", json_object_new_boolean((k->flags & SB_KERNEL_EMULATED) != 0));
        json_object_object_add(e, "plugin", json_object_new_boolean((k->flags & SB_KERNEL_PLUGIN) != 0));
        json_object_object_add(e, "peer", json_object_new_boolean((k->flags & SB_KERNEL_PEER) != 0));
        json_object_array_add(softmax, e);
    }
    json_object_object_add(doc, "softmax_kernels", softmax);
    json_object *attention = json_object_new_array();
    for (size_t i = 0; i < sb_attention_kernel_count(); i++) {
        const sb_attention_kernel *k = sb_attention_kernel_at(i);
        json_object *e = json_object_new_object();
        json_object_object_add(e, "name", sb_json_new_string(k->name));
        json_object_object_add(e, "isa", sb_json_new_string(k->isa));
        json_object_object_add(e, "algorithm", sb_json_new_string(k->algorithm));
        json_object_object_add(e, "bound", sb_json_new_string(k->bound_text));
        json_object_object_add(e, "supported", json_object_new_boolean(k->supported()));
        json_object_object_add(e, "emulated", json_object_new_boolean((k->flags & SB_KERNEL_EMULATED) != 0));
        json_object_object_add(e, "dispatched", json_object_new_boolean(k == sb_attention_dispatch()));
        json_object_array_add(attention, e);
    }
    json_object_object_add(doc, "attention_kernels", attention);
    json_object *batch = json_object_new_array();
    for (size_t i = 0; i < sb_softmax_batch_kernel_count(); i++) {
        const sb_softmax_batch_kernel *k = sb_softmax_batch_kernel_at(i);
        json_object *e = json_object_new_object();
        json_object_object_add(e, "name", sb_json_new_string(k->name));
        json_object_object_add(e, "isa", sb_json_new_string(k->isa));
        json_object_object_add(e, "algorithm", sb_json_new_string(k->algorithm));
        json_object_object_add(e, "ulp_bound", sb_json_new_number(k->ulp_bound, 0));
        json_object_object_add(e, "supported", json_object_new_boolean(k->supported()));
        json_object_object_add(e, "peer", json_object_new_boolean((k->flags & SB_KERNEL_PEER) != 0));
        json_object_object_add(e, "dispatched", json_object_new_boolean(k == sb_softmax_batch_dispatch()));
        json_object_array_add(batch, e);
    }
    json_object_object_add(doc, "batch_kernels", batch);
    sb_json_print(f, doc);
    json_object_put(doc);
}

static void info_text(FILE *f)
{
    const sb_cpu_info *c = sb_cpu();
    char feats[256];
    sb_cpu_feature_string(c->features, feats, sizeof feats);
    fprintf(f, "sinkbench %s\nbuild:    %s\n\n", sb_version(), sb_build_info());
    char desc[256];
    sb_cli_cpu_description(desc, sizeof desc);
    fprintf(f, "CPU:      %s %s (%s)%s\n          %s\nfeatures: %s\n\n", c->vendor, c->model, c->arch,
            c->emulated ? " -- under emulation: timings are meaningless" : "", desc, feats[0] ? feats : "(none)");
    const char *isa = sb_dispatch_isa();
    fprintf(f, "dispatch: %s (%s)\n", isa ? isa : "none", sb_dispatch_note());
    for (size_t i = 0; i < NPROBES; i++) {
        const sb_softmax_kernel *k = sb_softmax_dispatch(probe_lengths[i]);
        fprintf(f, "  n = %-9zu -> %s\n", probe_lengths[i], k ? k->name : "none");
    }
    fprintf(f, "\n%-34s %-7s %-11s %9s  %-9s %s\n", "softmax kernel", "isa", "algorithm", "ulp bound", "supported",
            "notes");
    for (size_t i = 0; i < sb_softmax_kernel_count(); i++) {
        const sb_softmax_kernel *k = sb_softmax_kernel_at(i);
        char bound[32];
        sb_cli_ulp_text(k->ulp_bound, 0, bound, NULL);
        char notes[64] = "";
        if (k->flags & SB_KERNEL_EMULATED) strcat(notes, "emulated ");
        if (k->flags & SB_KERNEL_PLUGIN) strcat(notes, "plugin ");
        if (k->flags & SB_KERNEL_PEER) strcat(notes, "peer ");
        fprintf(f, "%-34s %-7s %-11s %9s  %-9s %s\n", k->name, k->isa, k->algorithm, bound,
                k->supported() ? "yes" : "no", notes);
    }
    fprintf(f, "\n%-34s %-7s %-12s %-9s %s\n", "attention kernel", "isa", "algorithm", "supported", "error bound");
    for (size_t i = 0; i < sb_attention_kernel_count(); i++) {
        const sb_attention_kernel *k = sb_attention_kernel_at(i);
        fprintf(f, "%-34s %-7s %-12s %-9s %s%s%s\n", k->name, k->isa, k->algorithm, k->supported() ? "yes" : "no",
                k->bound_text, k->flags & SB_KERNEL_EMULATED ? " (emulated)" : "",
                k == sb_attention_dispatch() ? " (dispatched)" : "");
    }
    fprintf(f, "\n%-34s %-7s %-11s %9s  %-9s %s\n", "batched softmax kernel", "isa", "algorithm", "ulp bound",
            "supported", "notes");
    for (size_t i = 0; i < sb_softmax_batch_kernel_count(); i++) {
        const sb_softmax_batch_kernel *k = sb_softmax_batch_kernel_at(i);
        char bound[32];
        sb_cli_ulp_text(k->ulp_bound, 0, bound, NULL);
        fprintf(f, "%-34s %-7s %-11s %9s  %-9s %s%s\n", k->name, k->isa, k->algorithm, bound,
                k->supported() ? "yes" : "no", k->flags & SB_KERNEL_PEER ? "peer " : "",
                k == sb_softmax_batch_dispatch() ? "dispatched" : "");
    }
}

static int run_info(int argc, char **argv)
{
    static const struct option opts[] = {{"json", no_argument, NULL, 'j'}, {NULL, 0, NULL, 0}};
    int json = 0;
    optind = 0; /* a fresh scan: main's getopt_long has read the global options */
    for (int c; (c = getopt_long(argc, argv, SB_TOOL_OPTSTRING, opts, NULL)) != -1;) {
        if (c == 'j')
            json = 1;
        else if (c == 1)
            return sb_tool_usage_error("info", "unexpected argument '%s'", optarg);
        else
            return sb_tool_option_error("info", c, argc, argv, opts);
    }
    if (json)
        sb_cli_info_json(stdout);
    else
        info_text(stdout);
    return sb_dispatch_isa() ? SB_EXIT_OK : SB_EXIT_ERROR;
}

const sb_command sb_cmd_info = {
    "info",
    "show the CPU, the dispatch choice and every registered kernel",
    "usage: sinkbench info [--json]\n\n"
    "Prints the CPU (model, microarchitecture, caches and the ISA extensions found), the kernel that dispatch chooses for a few\n"
    "row lengths, and every registered softmax kernel with its ISA, algorithm, claimed ulp bound and\n"
    "whether this CPU runs it; then every attention kernel with its error bound (docs/attention.md), and every\n"
    "batched softmax kernel (sb_softmax_batch's, one per ISA, and peers' batched entry points).\n\n"
    "options:\n"
    "  --json   the same as a JSON object on stdout\n\n"
    "environment:\n"
    "  SINKBENCH_ISA=scalar|sse2|avx2|avx512|neon   force dispatch to one ISA\n\n"
    "examples:\n"
    "  sinkbench info\n"
    "  SINKBENCH_ISA=sse2 sinkbench info --json\n",
    run_info,
};
