/* The sinkbench command-line tool: one file per command, all listed in main.c's table. */
#ifndef SINKBENCH_CLI_H
#define SINKBENCH_CLI_H

#include <stdint.h>
#include <stdio.h>

#include "check/attention_suite.h"
#include "check/batch_suite.h"
#include "check/suite.h"
#include "io/tool.h"

typedef struct sb_command {
    const char *name;
    const char *summary;
    const char *usage;     /* full help text: synopsis, options, examples */
    int (*run)(int argc, char **argv);   /* argv[0] is the command name */
} sb_command;

/* Shared by commands that write reports. */
void sb_cli_info_json(FILE *f);
/* The CPU's microarchitecture and caches in one line, "Zen 3; L1d 32 KiB, L2 512 KiB, L3 32 MiB
 * (cpuinfo)", with the fallback's reason when cpuinfo did not describe it. */
void sb_cli_cpu_description(char *buf, size_t size);
/* at and bt may be NULL (no attention or batched results). */
void sb_cli_check_json(FILE *f, const sb_suite_stats *st, size_t nk, const sb_attention_suite_stats *at, size_t na,
                       const sb_batch_suite_stats *bt, size_t nb, uint64_t seed, sb_suite_level level);

/* A kernel's ulp bound as text ("2"; "study" for a kernel without one) and, when max_text is not NULL, a
 * suite's largest error ("inf/NaN" when a result was not finite): the cells of the check tables. */
void sb_cli_ulp_text(double bound, uint64_t max_ulp, char bound_text[32], char max_text[32]);

extern const sb_command sb_cmd_info;
extern const sb_command sb_cmd_check;
extern const sb_command sb_cmd_report;
extern const sb_command sb_cmd_stability;
extern const sb_command sb_cmd_compare;
extern const sb_command sb_cmd_perturb;
extern const sb_command sb_cmd_emerge;
extern const sb_command sb_cmd_sinkmetric;

#endif
