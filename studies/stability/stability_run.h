/* The stability study as one call: runs the sweep (studies/stability/stability.h) and writes its folder:
 * stability.json (every cell), stability.md (the summary) and stability-*.png (plots). `sinkbench
 * stability` is a thin wrapper; `sinkbench report` can call it with its own folder. */
#ifndef SINKBENCH_CLI_STABILITY_H
#define SINKBENCH_CLI_STABILITY_H

#include <stddef.h>
#include <stdint.h>

#include "studies/stability/stability.h"

typedef struct sb_stability_options {
    sb_stability_preset preset;
    uint64_t seed;
    const char *const *kernels;   /* names (NULL: every supported kernel) */
    size_t kernel_count;
    int include_emulated;         /* also SIMDe-emulated ISAs */
    unsigned blocks_mask;         /* 1u << sb_stability_block; 0: every block */
    double value_scale;           /* kappa, the sink token's value scale (0: SB_STABILITY_VALUE_SCALE) */
    int plots;                    /* draw the PNGs (Debian's python3 + matplotlib; skipped with a note if missing) */
    const char *plot_dir;         /* folder holding stability.py (NULL: the search of io/plot_script.h) */
    int progress;                 /* progress line on stderr */
    const char *command;          /* the command line to print in the summary (NULL: rebuilt from the options) */
} sb_stability_options;

typedef struct sb_stability_outcome {
    size_t rows, cells, kernels;
    double seconds;                 /* the sweep alone */
    int failed;                     /* a contract kernel exceeded its bound */
    size_t thresholds, thresholds_agree;  /* contract kernels' threshold observations and how many match theory */
    int plots_written;
    char plots_note[512];           /* why plots are missing, when they are */
    char summary_path[4096];        /* the Markdown summary */
} sb_stability_outcome;

/* Runs the study and writes out_dir (created if needed). Returns an exit code of docs/cli.md:
 * 0 done, 1 a contract kernel exceeded its bound, 2 a named kernel is unknown or unsupported,
 * 3 a file could not be written or memory ran out (message on stderr). */
int sb_stability_run(const sb_stability_options *o, const char *out_dir, sb_stability_outcome *out);

#endif
