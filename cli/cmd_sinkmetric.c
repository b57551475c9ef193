/* sinkbench sinkmetric: Gu et al.'s sink metric, and the perturbation measures that need only attention
 * maps, on probabilities saved by another tool as .npy [layers, heads, T, T] (docs/emerge.md
 * "sinkmetric"). The same code (sb_stack_sink_alpha, sb_stack_sink_rate) measures the study's models. */
#define _POSIX_C_SOURCE 200809L
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "emerge.h"

enum { OPT_WINDOW = 1000, OPT_JSON };

static const struct option long_options[] = {
    {"window", required_argument, NULL, OPT_WINDOW},
    {"json", no_argument, NULL, OPT_JSON},
    {NULL, 0, NULL, 0},
};

static void print_json(const sb_emerge_attn_maps *m, const sb_emerge_map_metrics *mm, const char *path)
{
    size_t L = m->layers, H = m->heads, T = m->tokens;
    printf("{\"file\": \"");
    for (const char *p = path; *p; p++)
        if (*p == '"' || *p == '\\')
            printf("\\%c", *p);
        else if ((unsigned char)*p < 0x20)
            printf("\\u%04x", (unsigned char)*p);
        else
            putchar(*p);
    printf("\", \"dtype\": \"%s\", \"layers\": %zu, \"heads\": %zu, \"tokens\": %zu, \"window\": %zu,\n",
           m->was_float32 ? "float32" : "float64", L, H, T, mm->window);
    for (int row0 = 0; row0 <= 1; row0++) {
        printf(" \"%s\": {\"sink_rate_03\": %.9g, \"sink_rate_08\": %.9g, \"alpha\": [", row0 ? "row0_counted" : "row0_not_counted",
               mm->sink_rate[row0][0], mm->sink_rate[row0][1]);
        for (size_t i = 0; i < L * H; i++)
            printf("%s%.9g", i ? ", " : "", mm->alpha[row0][i]);
        printf("]},\n");
    }
    printf(" \"path_last_row\": [");
    for (size_t j = 0; j < T; j++)
        printf("%s%.9g", j ? ", " : "", mm->path_last[j]);
    printf("], \"path_first_share\": %.9g}\n", mm->path_first_share);
}

static void print_text(const sb_emerge_attn_maps *m, const sb_emerge_map_metrics *mm, const char *path)
{
    size_t L = m->layers, H = m->heads, T = m->tokens;
    printf("%s: %zu layers x %zu heads, T = %zu (%s); window %zu\n\n", path, L, H, T,
           m->was_float32 ? "float32" : "float64", mm->window);
    printf("Sink_1^eps (Gu et al. 2025): share of (layer, head) with alpha_1 > eps\n");
    printf("  query row 0 not counted: eps 0.3: %6.2f %%   eps 0.8: %6.2f %%\n", 100 * mm->sink_rate[0][0],
           100 * mm->sink_rate[0][1]);
    printf("  query row 0 counted:     eps 0.3: %6.2f %%   eps 0.8: %6.2f %%\n\n", 100 * mm->sink_rate[1][0],
           100 * mm->sink_rate[1][1]);
    printf("alpha_1 per layer (rows) and head (columns), query row 0 not counted:\n");
    for (size_t l = 0; l < L; l++) {
        printf("  layer %3zu:", l);
        for (size_t h = 0; h < H; h++)
            printf(" %.3f", mm->alpha[0][l * H + h]);
        printf("\n");
    }
    printf("\nPath product prod_l (mean_h A_l + I) / 2, last row (how the last token's sensitivity spreads over the\n"
           "inputs, equal weights; Barbero et al.): position 0 holds %.4f of it", mm->path_first_share);
    size_t best = 1;
    for (size_t j = 1; j < T; j++)
        if (mm->path_last[j] > mm->path_last[best])
            best = j;
    if (T > 1)
        printf("; the largest other entry is position %zu (%.4f), the last position itself %.4f", best,
               mm->path_last[best], mm->path_last[T - 1]);
    printf(".\n");
}

static int run_sinkmetric(int argc, char **argv)
{
    size_t window = 64;
    int json = 0, window_set = 0, c;
    const char *path = NULL;
    unsigned long long u;
    opterr = 0;
    optind = 0; /* a fresh scan: main's getopt_long has read the global options */
    while ((c = getopt_long(argc, argv, SB_TOOL_OPTSTRING, long_options, NULL)) != -1) {
        switch (c) {
        case OPT_WINDOW:
            if (!sb_tool_parse_u64("sinkmetric", "--window", optarg, &u))
                return SB_EXIT_USAGE;
            if (u < 2)
                return sb_tool_usage_error("sinkmetric", "--window must be at least 2");
            window = (size_t)u;
            window_set = 1;
            break;
        case OPT_JSON: json = 1; break;
        case 1:
            if (path)
                return sb_tool_usage_error("sinkmetric", "unexpected argument '%s' (one file at a time)", optarg);
            path = optarg;
            break;
        default: return sb_tool_option_error("sinkmetric", c, argc, argv, long_options);
        }
    }
    if (!path)
        return sb_tool_usage_error("sinkmetric", "give the .npy file of attention probabilities");
    sb_emerge_attn_maps m;
    char err[512];
    sb_status st = sb_emerge_npy_load_attention(path, &m, err, sizeof err);
    if (st != SB_OK)
        return sb_tool_error("sinkmetric", "%s: %s", path, err);
    if (m.tokens < 2) {
        sb_emerge_attn_maps_free(&m);
        return sb_tool_error("sinkmetric", "%s: T = 1: the sink metric needs at least 2 tokens", path);
    }
    if (window > m.tokens) {
        if (window_set) {
            size_t t = m.tokens;
            sb_emerge_attn_maps_free(&m);
            return sb_tool_usage_error("sinkmetric", "--window %zu is longer than the maps (T = %zu)", window, t);
        }
        window = m.tokens;
    }
    sb_emerge_map_metrics mm;
    st = sb_emerge_map_metrics_compute(&m, window, &mm);
    if (st != SB_OK) {
        sb_emerge_attn_maps_free(&m);
        return sb_tool_error("sinkmetric", "%s: %s", path, sb_status_str(st));
    }
    if (json)
        print_json(&m, &mm, path);
    else
        print_text(&m, &mm, path);
    sb_emerge_map_metrics_free(&mm);
    sb_emerge_attn_maps_free(&m);
    return SB_EXIT_OK;
}

const sb_command sb_cmd_sinkmetric = {
    "sinkmetric",
    "the sink metric of attention maps saved by another tool (.npy)",
    "usage: sinkbench sinkmetric [--window T] [--json] FILE.npy\n\n"
    "Reads attention probabilities saved as a NumPy .npy file - dtype float32 or float64 (little-endian),\n"
    "C order, shape [layers, heads, T, T], causal (zero above the diagonal) - and prints Gu et al.'s sink\n"
    "metric: alpha_1 per layer and head (the mean attention on position 0 over queries 1..window-1, or\n"
    "0..window-1 with query row 0 counted) and Sink_1^eps for eps 0.3 and 0.8, with the same code the\n"
    "emerge and perturb studies use; and the path product prod_l (mean_h A_l + I)/2 of Barbero et al.'s\n"
    "bound with equal weights: how the last token's sensitivity spreads over the inputs. The reader is\n"
    "strict: a malformed header, another dtype or shape, Fortran order, a truncated file, a non-finite\n"
    "value, a value outside [0, 1], a row summing above 1 or a non-zero entry above the diagonal is\n"
    "refused with the first problem found.\n\n"
    "Saving maps from PyTorch: np.save('attn.npy', torch.stack(attentions).squeeze(1).float().numpy())\n"
    "(output_attentions=True gives one [batch, heads, T, T] tensor per layer).\n\n"
    "options:\n"
    "  --window T   the metric's window (default 64, as Gu et al.; T of the file when shorter)\n"
    "  --json       print JSON instead of text\n\n"
    "exit status: 0 done, 2 usage error, 3 the file cannot be read or is refused (the message says why)\n\n"
    "examples:\n"
    "  sinkbench sinkmetric attn.npy\n"
    "  sinkbench sinkmetric --window 128 --json attn.npy\n",
    run_sinkmetric,
};
