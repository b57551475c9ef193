/* The sinkbench command-line tool: one file per command, all listed in main.c's table. */
#ifndef SINKBENCH_CLI_H
#define SINKBENCH_CLI_H

#include <stdint.h>
#include <stdio.h>

#include "attention/attention_suite.h"
#include "oracle/suite.h"

/* Exit codes, documented in docs/cli.md. */
enum { SB_EXIT_OK = 0, SB_EXIT_FAILED = 1, SB_EXIT_USAGE = 2, SB_EXIT_ERROR = 3 };

typedef struct sb_command {
    const char *name;
    const char *summary;
    const char *usage;     /* full help text: synopsis, options, examples */
    int (*run)(int argc, char **argv);   /* argv[0] is the command name */
} sb_command;

/* Prints "sinkbench <cmd>: <message>" and a hint to stderr; returns SB_EXIT_USAGE. */
int sb_cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prints "sinkbench <cmd>: <message>" to stderr; returns SB_EXIT_ERROR. */
int sb_cli_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Parses an unsigned integer option value (decimal or 0x hex); 0 on error after printing it. */
int sb_cli_parse_u64(const char *cmd, const char *opt, const char *s, unsigned long long *out);

/* True when arg is -h or --help. */
int sb_cli_is_help(const char *arg);

/* Shared by commands that write reports. */
void sb_cli_info_json(FILE *f);
/* at may be NULL (no attention results). */
void sb_cli_check_json(FILE *f, const sb_suite_stats *st, size_t nk, const sb_attention_suite_stats *at, size_t na,
                       uint64_t seed, sb_suite_level level);

extern const sb_command sb_cmd_info;
extern const sb_command sb_cmd_check;
extern const sb_command sb_cmd_report;
extern const sb_command sb_cmd_stability;
extern const sb_command sb_cmd_compare;
extern const sb_command sb_cmd_perturb;
extern const sb_command sb_cmd_emerge;
extern const sb_command sb_cmd_sinkmetric;

#endif
