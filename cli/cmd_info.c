/* sinkbench info: the CPU, what dispatch chooses, and every registered kernel. */
#include <string.h>

#include "cli.h"
#include "io/json.h"
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
    sb_json j;
    sb_json_init(&j, f);
    sb_json_object_begin(&j);
    sb_json_kv_string(&j, "sinkbench_version", sb_version());
    sb_json_kv_string(&j, "build", sb_build_info());
    sb_json_key(&j, "cpu");
    sb_json_object_begin(&j);
    sb_json_kv_string(&j, "arch", c->arch);
    sb_json_kv_string(&j, "vendor", c->vendor);
    sb_json_kv_string(&j, "model", c->model);
    sb_json_kv_string(&j, "features", feats);
    sb_json_kv_bool(&j, "emulated", c->emulated);
    sb_json_kv_string(&j, "microarchitecture", c->microarchitecture);
    sb_json_kv_uint(&j, "l1d_bytes", c->l1d);
    sb_json_kv_uint(&j, "l2_bytes", c->l2);
    sb_json_kv_uint(&j, "l3_bytes", c->l3);
    char caches[128];
    caches_line(c, caches, sizeof caches);
    sb_json_kv_string(&j, "caches", caches);
    sb_json_kv_string(&j, "description_source", c->source);
    sb_json_kv_string(&j, "fallback_reason", c->fallback_reason);
    sb_json_object_end(&j);
    sb_json_key(&j, "dispatch");
    sb_json_object_begin(&j);
    const char *isa = sb_softmax_dispatch_isa();
    if (isa)
        sb_json_kv_string(&j, "isa", isa);
    else
        sb_json_kv_string(&j, "isa", "none");
    sb_json_kv_string(&j, "note", sb_softmax_dispatch_note());
    sb_json_key(&j, "by_length");
    sb_json_array_begin(&j);
    for (size_t i = 0; i < NPROBES; i++) {
        const sb_softmax_kernel *k = sb_softmax_dispatch(probe_lengths[i]);
        sb_json_object_begin(&j);
        sb_json_kv_uint(&j, "n", probe_lengths[i]);
        sb_json_kv_string(&j, "kernel", k ? k->name : "none");
        sb_json_object_end(&j);
    }
    sb_json_array_end(&j);
    sb_json_object_end(&j);
    sb_json_key(&j, "softmax_kernels");
    sb_json_array_begin(&j);
    for (size_t i = 0; i < sb_softmax_kernel_count(); i++) {
        const sb_softmax_kernel *k = sb_softmax_kernel_at(i);
        sb_json_object_begin(&j);
        sb_json_kv_string(&j, "name", k->name);
        sb_json_kv_string(&j, "isa", k->isa);
        sb_json_kv_string(&j, "algorithm", k->algorithm);
        sb_json_kv_number(&j, "ulp_bound", k->ulp_bound);
        sb_json_kv_bool(&j, "contract", k->ulp_bound >= 0);
        sb_json_kv_bool(&j, "supported", k->supported());
        sb_json_kv_bool(&j, "emulated", (k->flags & SB_KERNEL_EMULATED) != 0);
        sb_json_kv_bool(&j, "plugin", (k->flags & SB_KERNEL_PLUGIN) != 0);
        sb_json_kv_bool(&j, "peer", (k->flags & SB_KERNEL_PEER) != 0);
        sb_json_object_end(&j);
    }
    sb_json_array_end(&j);
    sb_json_key(&j, "attention_kernels");
    sb_json_array_begin(&j);
    for (size_t i = 0; i < sb_attention_kernel_count(); i++) {
        const sb_attention_kernel *k = sb_attention_kernel_at(i);
        sb_json_object_begin(&j);
        sb_json_kv_string(&j, "name", k->name);
        sb_json_kv_string(&j, "isa", k->isa);
        sb_json_kv_string(&j, "algorithm", k->algorithm);
        sb_json_kv_string(&j, "bound", k->bound_text);
        sb_json_kv_bool(&j, "supported", k->supported());
        sb_json_kv_bool(&j, "emulated", (k->flags & SB_KERNEL_EMULATED) != 0);
        sb_json_kv_bool(&j, "dispatched", k == sb_attention_dispatch());
        sb_json_object_end(&j);
    }
    sb_json_array_end(&j);
    sb_json_object_end(&j);
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
    const char *isa = sb_softmax_dispatch_isa();
    fprintf(f, "dispatch: %s (%s)\n", isa ? isa : "none", sb_softmax_dispatch_note());
    for (size_t i = 0; i < NPROBES; i++) {
        const sb_softmax_kernel *k = sb_softmax_dispatch(probe_lengths[i]);
        fprintf(f, "  n = %-9zu -> %s\n", probe_lengths[i], k ? k->name : "none");
    }
    fprintf(f, "\n%-34s %-7s %-11s %9s  %-9s %s\n", "softmax kernel", "isa", "algorithm", "ulp bound", "supported",
            "notes");
    for (size_t i = 0; i < sb_softmax_kernel_count(); i++) {
        const sb_softmax_kernel *k = sb_softmax_kernel_at(i);
        char bound[32];
        if (k->ulp_bound >= 0)
            snprintf(bound, sizeof bound, "%g", k->ulp_bound);
        else
            snprintf(bound, sizeof bound, "study");
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
}

static int run_info(int argc, char **argv)
{
    int json = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0)
            json = 1;
        else
            return sb_tool_usage_error("info", "unknown option '%s'", argv[i]);
    }
    if (json)
        sb_cli_info_json(stdout);
    else
        info_text(stdout);
    return sb_softmax_dispatch_isa() ? SB_EXIT_OK : SB_EXIT_ERROR;
}

const sb_command sb_cmd_info = {
    "info",
    "show the CPU, the dispatch choice and every registered kernel",
    "usage: sinkbench info [--json]\n\n"
    "Prints the CPU (model, microarchitecture, caches and the ISA extensions found), the kernel that dispatch chooses for a few\n"
    "row lengths, and every registered softmax kernel with its ISA, algorithm, claimed ulp bound and\n"
    "whether this CPU runs it; then every attention kernel with its error bound (docs/attention.md).\n\n"
    "options:\n"
    "  --json   the same as a JSON object on stdout\n\n"
    "environment:\n"
    "  SINKBENCH_ISA=scalar|sse2|avx2|avx512|neon   force dispatch to one ISA\n\n"
    "examples:\n"
    "  sinkbench info\n"
    "  SINKBENCH_ISA=sse2 sinkbench info --json\n",
    run_info,
};
