/* sinkbench-bench: the benchmark driver. Loads the peer plugins, registers every family for the
 * chosen preset, adds the machine context, runs Google Benchmark and writes its JSON atomically
 * under reports/ (or --out). docs/benchmarks.md is its manual. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/atomic_file.h"
#include "bench_buffers.h"
#include "bench_suite.h"
#include "bench_traffic.h"
#include "io/json_helpers.h"
#include "io/paths.h"
#include "io/tool.h"
#include "gbench.h"
#include "sinkbench/sinkbench.h"

#ifndef SB_BENCH_PEER_VERSIONS
#define SB_BENCH_PEER_VERSIONS ""
#endif
#ifndef SB_BENCH_BUILD
#define SB_BENCH_BUILD "unknown"
#endif


/* The benchmark families, in the order they run. */
static int (*const families[])(const sb_bench_config *) = {
    sb_bench_add_bandwidth,
    sb_bench_add_softmax,
    sb_bench_add_attention,
    sb_bench_add_batch,
};

static void usage(FILE *f)
{
    fprintf(f,
            "usage: sinkbench-bench [--quick | --full] [--out FILE | --no-out] [--plugin LIB.so]... [--no-peers]\n"
            "                       [--filter REGEX] [--min-time S] [--repetitions N] [--max-n N] [--seed N]\n"
            "                       [--attention-cap S]\n"
            "                       [--list] [-- --benchmark_OPTION...]\n\n"
            "Runs the softmax and attention benchmarks of every registered kernel this CPU supports, the peers (XNNPACK,\n"
            "oneDNN, SLEEF, Highway, PyTorch: plugins built with the project, loaded by default), sb_softmax_f32 as a\n"
            "user calls it, and read/copy bandwidth at the same working sets for the roofline. Each result\n"
            "carries the kernel's max ulp error on the same inputs. Writes Google Benchmark's JSON (every\n"
            "repetition and the mean/median/stddev/cv aggregates) with the machine context.\n\n"
            "presets:\n");
    for (size_t i = 0; sb_bench_presets[i]; i++)
        fprintf(f, "  --%-6s %s%s\n", sb_bench_presets[i]->name, sb_bench_presets[i]->summary,
                i == 0 ? " (default)" : "");
    fprintf(f,
            "\noptions:\n"
            "  --out FILE       where the JSON goes (default reports/bench-<host>-<preset>-<date>.json);\n"
            "                   written atomically, folders created\n"
            "  --no-out         console only\n"
            "  --plugin LIB.so  load a kernel plugin (also SINKBENCH_PLUGINS=a.so:b.so); its kernels are timed too\n"
            "  --no-peers       do not load the peer plugins built with the project\n"
            "  --filter REGEX   only benchmarks whose name matches (Google Benchmark's --benchmark_filter)\n"
            "  --min-time S     seconds per measurement (a plain number: Google Benchmark 1.7.1)\n"
            "  --repetitions N  measurements per benchmark (medians need >= 3, significance >= 4)\n"
            "  --max-n N        leave out rows (and attention contexts) longer than N\n"
            "  --attention-cap S  skip attention kernels whose single call takes longer than S seconds\n"
            "                   (default: the preset's, 0.25 quick, 3 full)\n"
            "  --seed N         seed of every input row (default 20261129)\n"
            "  --list           list the benchmarks and exit\n"
            "  -- ...           the rest goes to Google Benchmark unchanged (--benchmark_format=..., ...)\n\n"
            "Compare results with 'sinkbench compare FILE.json [FILE.json...]' (docs/benchmarks.md).\n"
            "exit status: 0 done, 2 usage error, 3 runtime error (a plugin, the output file)\n\n"
            "examples:\n"
            "  sinkbench-bench --quick\n"
            "  sinkbench-bench --full --out reports/zen3-full.json\n"
            "  sinkbench-bench --filter 'softmax/.*/n:4096/' --repetitions 10 --no-out\n");
}

static int parse_number(const char *opt, const char *s, double *out)
{
    char *end = NULL;
    if (!s || !*s) {
        fprintf(stderr, "sinkbench-bench: %s needs a value\n", opt);
        return 0;
    }
    errno = 0;
    *out = strtod(s, &end);
    if (*end || errno || !(*out >= 0)) {
        fprintf(stderr, "sinkbench-bench: %s: '%s' is not a non-negative number\n", opt, s);
        return 0;
    }
    return 1;
}

static void add_context(const sb_bench_config *cfg, const char *plugins)
{
    const sb_cpu_info *c = sb_cpu();
    char buf[1024];
    sb_gbench_context("sinkbench_version", sb_version());
    sb_gbench_context("sinkbench_library_build", sb_build_info());
    sb_gbench_context("sinkbench_bench_build", SB_BENCH_BUILD);
    sb_gbench_context("google_benchmark_version", sb_gbench_library_version());
    sb_gbench_context("google_benchmark_note", "Debian's libbenchmark is built without NDEBUG (library_build_type) and warns "
                                         "'Library was built as DEBUG'; the timed loop is the header's inline "
                                         "KeepRunningBatch in our -O3 shim, only the bookkeeping between runs is "
                                         "unoptimised");
    sb_gbench_context("cpu_arch", c->arch);
    snprintf(buf, sizeof buf, "%s %s", c->vendor, c->model);
    sb_gbench_context("cpu_model", buf);
    sb_cpu_feature_string(c->features, buf, sizeof buf);
    sb_gbench_context("cpu_features", buf);
    const char *isa = sb_dispatch_isa();
    sb_gbench_context("dispatch_isa", isa ? isa : "none");
    sb_gbench_context("dispatch_note", sb_dispatch_note());
    const sb_bench_caches *k = sb_bench_cache_sizes();
    snprintf(buf, sizeof buf, "L1d %zu KiB, L2 %zu KiB, L3 %zu KiB (%s)", k->l1d >> 10, k->l2 >> 10, k->l3 >> 10,
             k->source);
    sb_gbench_context("cache_sizes", buf);
    sb_gbench_context("cache_policy", "working set x+y per iteration; hot in L1d, L2 or L3/2 when it fits, else from DRAM "
                                "rotating over >= 2 x L3 of buffers");
    sb_gbench_context("preset", cfg->preset->name);
    snprintf(buf, sizeof buf, "%llu", (unsigned long long)cfg->seed);
    sb_gbench_context("input_seed", buf);
    sb_gbench_context("inputs", "check/rowgen: sink token first, gaussian tail (scale 4), gap = sink - max tail");
    sb_gbench_context("time", "cpu_time is the thread's CPU time (Google Benchmark's default); ns_per_row uses it");
    sb_gbench_context("peers", SB_BENCH_PEER_VERSIONS[0] ? SB_BENCH_PEER_VERSIONS : "none built");
    sb_gbench_context("plugins_loaded", plugins[0] ? plugins : "none");
    size_t len = 0;
    buf[0] = 0;
    for (size_t i = 0; sb_bench_traffic_table[i].algorithm && len < sizeof buf; i++)
        len += (size_t)snprintf(buf + len, sizeof buf - len, "%s%s=%u", i ? " " : "", sb_bench_traffic_table[i].algorithm,
                                sb_bench_traffic_bytes(&sb_bench_traffic_table[i]));
    sb_gbench_context("bytes_per_element", buf);
}

/* The plugins loaded, ':'-separated, for the report's context and the line on stderr. */
typedef struct loaded_list {
    char text[4096];
} loaded_list;

static void loaded_add(loaded_list *l, const char *path)
{
    size_t len = strlen(l->text);
    snprintf(l->text + len, sizeof l->text - len, "%s%s", len ? ":" : "", path);
}

/* sb_plugin_load_list's report for the peers: the built-in peers may already be loaded through
 * SINKBENCH_PLUGINS, which makes their registration fail on duplicate names: that is reported and
 * tolerated for them only. */
static void note_peer(void *ctx, const char *path, sb_status status, const char *reason)
{
    if (status == SB_OK)
        loaded_add(ctx, path);
    else
        fprintf(stderr, "sinkbench-bench: %s (peer left out)\n", reason);
}

/* Checks that Google Benchmark wrote a complete report: it must parse and hold a benchmarks array. */
static int report_complete(const char *path)
{
    char err[512];
    json_object *doc = NULL;
    if (!sb_json_read_file(path, &doc, err, sizeof err)) {
        fprintf(stderr, "sinkbench-bench: the report is not valid JSON: %s\n", err);
        return 0;
    }
    int ok = json_object_is_type(json_object_object_get(doc, "benchmarks"), json_type_array);
    if (!ok)
        fprintf(stderr, "sinkbench-bench: the report has no \"benchmarks\" array\n");
    json_object_put(doc);
    return ok;
}

static int usage_error(const char *msg)
{
    fprintf(stderr, "sinkbench-bench: %s\nTry 'sinkbench-bench --help'.\n", msg);
    return SB_EXIT_USAGE;
}

enum {
    OPT_OUT = 256, OPT_NO_OUT, OPT_PLUGIN, OPT_NO_PEERS, OPT_FILTER, OPT_MIN_TIME, OPT_REPETITIONS, OPT_MAX_N,
    OPT_ATTENTION_CAP, OPT_SEED, OPT_LIST,
    OPT_PRESET = 512, /* + the preset's index: --quick, --full, ... from sb_bench_presets */
};
static const struct option fixed_options[] = {
    {"out", required_argument, NULL, OPT_OUT},
    {"no-out", no_argument, NULL, OPT_NO_OUT},
    {"plugin", required_argument, NULL, OPT_PLUGIN},
    {"no-peers", no_argument, NULL, OPT_NO_PEERS},
    {"filter", required_argument, NULL, OPT_FILTER},
    {"min-time", required_argument, NULL, OPT_MIN_TIME},
    {"repetitions", required_argument, NULL, OPT_REPETITIONS},
    {"max-n", required_argument, NULL, OPT_MAX_N},
    {"attention-cap", required_argument, NULL, OPT_ATTENTION_CAP},
    {"seed", required_argument, NULL, OPT_SEED},
    {"list", no_argument, NULL, OPT_LIST},
};
#define NFIXED (sizeof fixed_options / sizeof fixed_options[0])
#define MAX_PRESETS 16

int main(int argc, char **argv)
{
    sb_bench_config cfg = {sb_bench_presets[0], 20261129, 0, 0};
    const char *out = NULL, *filter = NULL;
    int no_out = 0, peers = 1, list = 0, repetitions = -1;
    double min_time = -1;
    loaded_list loaded = {""};
    const char *user_plugins[32];
    size_t nuser = 0;

    /* --help anywhere before "--" (what follows belongs to Google Benchmark) shows the usage. */
    for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            usage(stdout);
            return SB_EXIT_OK;
        }
    struct option opts[NFIXED + MAX_PRESETS + 1];
    memcpy(opts, fixed_options, sizeof fixed_options);
    size_t nopts = NFIXED;
    for (size_t i = 0; sb_bench_presets[i]; i++) {
        if (i == MAX_PRESETS) {
            fprintf(stderr, "sinkbench-bench: more presets than MAX_PRESETS (%d): raise it\n", MAX_PRESETS);
            return SB_EXIT_ERROR;
        }
        opts[nopts++] = (struct option){sb_bench_presets[i]->name, no_argument, NULL, OPT_PRESET + (int)i};
    }
    opts[nopts] = (struct option){NULL, 0, NULL, 0};

    char msg[512];
    double d;
    optind = 0;
    for (int c; (c = getopt_long(argc, argv, SB_TOOL_OPTSTRING, opts, NULL)) != -1;) {
        const char *v = optarg;
        switch (c) {
        case OPT_OUT:
            out = v;
            break;
        case OPT_FILTER:
            filter = v;
            break;
        case OPT_PLUGIN:
            if (nuser == sizeof user_plugins / sizeof user_plugins[0]) {
                fprintf(stderr, "sinkbench-bench: at most %zu --plugin options\n", nuser);
                return SB_EXIT_USAGE;
            }
            user_plugins[nuser++] = v;
            break;
        case OPT_NO_OUT:
            no_out = 1;
            break;
        case OPT_NO_PEERS:
            peers = 0;
            break;
        case OPT_LIST:
            list = 1;
            break;
        case OPT_SEED: {
            char *end = NULL;
            if (!*v || *v == '-' || (cfg.seed = strtoull(v, &end, 0), *end)) {
                fprintf(stderr, "sinkbench-bench: --seed needs a non-negative integer\n");
                return SB_EXIT_USAGE;
            }
            break;
        }
        case OPT_ATTENTION_CAP:
            if (!parse_number("--attention-cap", v, &cfg.attention_cap))
                return SB_EXIT_USAGE;
            if (!(cfg.attention_cap > 0)) {
                fprintf(stderr, "sinkbench-bench: --attention-cap must be above 0 seconds\n");
                return SB_EXIT_USAGE;
            }
            break;
        case OPT_MIN_TIME:
            if (!parse_number("--min-time", v, &d))
                return SB_EXIT_USAGE;
            if (!(d > 0)) {
                fprintf(stderr, "sinkbench-bench: --min-time must be above 0 seconds\n");
                return SB_EXIT_USAGE;
            }
            min_time = d;
            break;
        case OPT_REPETITIONS:
            if (!parse_number("--repetitions", v, &d))
                return SB_EXIT_USAGE;
            if (!(d >= 1 && d <= 1000)) {
                fprintf(stderr, "sinkbench-bench: --repetitions must be 1..1000\n");
                return SB_EXIT_USAGE;
            }
            repetitions = (int)d;
            break;
        case OPT_MAX_N:
            if (!parse_number("--max-n", v, &d))
                return SB_EXIT_USAGE;
            cfg.max_n = (size_t)d;
            break;
        case 1:
            snprintf(msg, sizeof msg, "unexpected argument '%s' (Google Benchmark's options go after '--')", v);
            return usage_error(msg);
        default:
            if (c >= OPT_PRESET && c < OPT_PRESET + MAX_PRESETS) {
                cfg.preset = sb_bench_presets[c - OPT_PRESET];
                break;
            }
            sb_tool_option_problem(c, argc, argv, opts, msg, sizeof msg);
            return usage_error(msg);
        }
    }
    int passthrough = optind; /* after "--", or argc */

    /* Plugins: SINKBENCH_PLUGINS, --plugin, then the peers built with the project (the installed
     * copies when this program is installed, io/paths.h). */
    char err[512];
    if (!sb_bench_preset_covers_report(&cfg, err, sizeof err)) { /* a preset edit that would break the report */
        fprintf(stderr, "sinkbench-bench: %s\n", err);
        return SB_EXIT_ERROR;
    }
    const char *env = getenv("SINKBENCH_PLUGINS");
    if (sb_plugin_load_env(err, sizeof err) != SB_OK) {
        fprintf(stderr, "sinkbench-bench: SINKBENCH_PLUGINS: %s\n", err);
        return SB_EXIT_ERROR;
    }
    if (env && *env)
        snprintf(loaded.text, sizeof loaded.text, "%s", env);
    for (size_t i = 0; i < nuser; i++) {
        if (sb_plugin_load(user_plugins[i], err, sizeof err) != SB_OK) {
            fprintf(stderr, "sinkbench-bench: %s\n", err);
            return SB_EXIT_ERROR;
        }
        loaded_add(&loaded, user_plugins[i]);
    }
    if (peers) {
        char peer_list[8192];
        if (!sb_peer_plugins_default(peer_list, sizeof peer_list))
            fprintf(stderr, "sinkbench-bench: the list of peer plugins is too long; peers left out\n");
        else
            sb_plugin_load_list(peer_list, SB_PLUGIN_SKIP_MISSING | SB_PLUGIN_KEEP_GOING, note_peer, &loaded, NULL, 0);
    }
    /* Which copies were loaded (an installed program loads the installed peers). */
    fprintf(stderr, "sinkbench-bench: plugins loaded: %s\n", loaded.text[0] ? loaded.text : "none");

    for (size_t i = 0; i < sizeof families / sizeof families[0]; i++)
        if (!families[i](&cfg)) {
            fprintf(stderr, "sinkbench-bench: out of memory while registering the benchmarks\n");
            return SB_EXIT_ERROR;
        }
    add_context(&cfg, loaded.text);

    /* Google Benchmark's own options: ours first, then the pass-through ones (which win). */
    char opt_min[64], opt_rep[64], opt_filter[1024], opt_out[4200], path[4096];
    int gargc = 0;
    char **gargv = calloc((size_t)(argc - passthrough) + 10, sizeof *gargv);
    if (!gargv)
        return SB_EXIT_ERROR;
    gargv[gargc++] = argv[0];
    snprintf(opt_min, sizeof opt_min, "--benchmark_min_time=%g", min_time >= 0 ? min_time : cfg.preset->min_time);
    gargv[gargc++] = opt_min;
    snprintf(opt_rep, sizeof opt_rep, "--benchmark_repetitions=%d",
             repetitions > 0 ? repetitions : cfg.preset->repetitions);
    gargv[gargc++] = opt_rep;
    gargv[gargc++] = "--benchmark_display_aggregates_only=true";
    gargv[gargc++] = "--benchmark_counters_tabular=false";
    if (filter) {
        snprintf(opt_filter, sizeof opt_filter, "--benchmark_filter=%s", filter);
        gargv[gargc++] = opt_filter;
    }
    if (list)
        gargv[gargc++] = "--benchmark_list_tests=true";
    sb_atomic_file af;
    int writing = !no_out && !list;
    if (writing) {
        if (!out) {
            if (!sb_output_path_default(SB_OUTPUT_BENCH, cfg.preset->name, path, sizeof path)) {
                fprintf(stderr, "sinkbench-bench: the default output file is too long: %s\n", path);
                free(gargv);
                return SB_EXIT_ERROR;
            }
            out = path;
        }
        char dir[4096];
        snprintf(dir, sizeof dir, "%s", out);
        char *slash = strrchr(dir, '/');
        if (slash && slash != dir) {
            *slash = 0;
            if (!sb_mkdir_p(dir)) {
                fprintf(stderr, "sinkbench-bench: cannot create %s: %s\n", dir, strerror(errno));
                free(gargv);
                return SB_EXIT_ERROR;
            }
        }
        if (!sb_atomic_open(&af, out)) {
            fprintf(stderr, "sinkbench-bench: cannot write %s: %s\n", out, strerror(errno));
            free(gargv);
            return SB_EXIT_ERROR;
        }
        /* Google Benchmark writes the temporary file (same inode); it is synced and renamed below. */
        snprintf(opt_out, sizeof opt_out, "--benchmark_out=%s", af.tmp);
        gargv[gargc++] = opt_out;
        gargv[gargc++] = "--benchmark_out_format=json";
    }
    for (int i = passthrough; i < argc; i++)
        gargv[gargc++] = argv[i];
    gargv[gargc] = NULL;

    long ran = sb_gbench_main(&gargc, gargv);
    free(gargv);
    if (ran < 0) {
        if (writing)
            sb_atomic_abort(&af);
        return SB_EXIT_USAGE;
    }
    if (writing) {
        if (!report_complete(af.tmp)) {
            sb_atomic_abort(&af);
            return SB_EXIT_ERROR;
        }
        if (!sb_atomic_commit(&af)) {
            fprintf(stderr, "sinkbench-bench: cannot finish %s: %s\n", out, strerror(errno));
            return SB_EXIT_ERROR;
        }
        fprintf(stderr, "sinkbench-bench: %ld benchmarks, results in %s\n", ran, out);
    }
    return SB_EXIT_OK;
}
