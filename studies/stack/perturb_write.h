/* Writers of the perturbation study's files. */
#ifndef SINKBENCH_CLI_PERTURB_WRITE_H
#define SINKBENCH_CLI_PERTURB_WRITE_H

#include <stdio.h>

#include "studies/stack/perturb_study.h"

/* Every measurement, per weight seed; deterministic for given options and build (no times, no host). */
void sb_perturb_write_json(FILE *f, const sb_perturb_results *r);
/* The human-readable page; dir is where the plots are looked for, plot_note says why they are missing. */
void sb_perturb_write_markdown(FILE *f, const sb_perturb_results *r, const char *dir, const char *plot_note);
/* For an index page: reproductions, sanity checks and observations as lists, then the precision-meets-
 * mixing tables. */
void sb_perturb_summary(const sb_perturb_results *r, char *out, size_t size);
/* "reproduced", "NOT reproduced", "inconclusive", "passed", "FAILED" or "observed". */
const char *sb_perturb_outcome_word(const sb_perturb_verdict *v);

/* The plots reports/plot/perturb.py draws (file names and what they show). */
typedef struct sb_perturb_plot {
    const char *file, *caption;
} sb_perturb_plot;
extern const sb_perturb_plot sb_perturb_plots[];
extern const size_t sb_perturb_plot_count;

#endif
