/* `sinkbench emerge` as a function, for the command and the report (cli/cmd_emerge.c). */
#ifndef SINKBENCH_CLI_EMERGE_RUN_H
#define SINKBENCH_CLI_EMERGE_RUN_H

#include <stddef.h>

#include "emerge.h"

/* Runs the study into dir, draws the plots (unless plots is 0) and writes emerge.md; summary (may be
 * NULL) receives the Markdown lines saying whether a sink formed; bos_formed (may be NULL) whether
 * every bos run formed one. Returns a CLI exit code (messages on stderr). */
int sb_emerge_cli_run(const sb_emerge_study_options *o, const char *dir, int plots, const char *plot_dir, char *summary,
                      size_t summary_size, int *bos_formed);

#endif
