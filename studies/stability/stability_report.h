/* What the stability study's writers share (internal to the CLI). */
#ifndef SINKBENCH_STABILITY_REPORT_H
#define SINKBENCH_STABILITY_REPORT_H

#include <stdio.h>

#include "studies/stability/stability_run.h"

typedef struct sb_stability_report {
    const sb_stability_options *options;
    sb_stability_result result;
    sb_stability_threshold *thresholds;
    size_t threshold_count;
    char started[64], host[256], command[512];
    double seconds;
    int plots_written;
    char plots_note[512];
} sb_stability_report;

/* The plots reports/plot/stability.py draws (file names and what they show). */
typedef struct sb_stability_plot {
    const char *file, *caption;
} sb_stability_plot;
extern const sb_stability_plot sb_stability_plots[];
extern const size_t sb_stability_plot_count;

/* stability.json: run (the only part that changes between identical runs), machine, study, kernels,
 * verdicts, thresholds, cells (one record per line). */
void sb_stability_write_json(FILE *f, const sb_stability_report *r);
/* stability.md: the summary tables. */
void sb_stability_write_md(FILE *f, const sb_stability_report *r);


#endif
