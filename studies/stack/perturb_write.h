/* Writers of the perturbation study's files. */
#ifndef SINKBENCH_CLI_PERTURB_WRITE_H
#define SINKBENCH_CLI_PERTURB_WRITE_H

#include <stdio.h>

#include "studies/stack/perturb_study.h"

/* Every measurement; deterministic for a given seed and build (no times, no host names). */
void sb_perturb_write_json(FILE *f, const sb_perturb_results *r);
/* The human-readable page; dir is where the plots are looked for, plot_note says why they are missing. */
void sb_perturb_write_markdown(FILE *f, const sb_perturb_results *r, const char *dir, const char *plot_note);
/* The trends as a Markdown list. */
void sb_perturb_summary(const sb_perturb_results *r, char *out, size_t size);

#endif
