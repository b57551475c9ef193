/* What the sinkbench programs share when they talk to a user: exit codes (docs/cli.md) and one-line
 * error messages that name the command and the problem. Used by the CLI and by the studies it runs. */
#ifndef SINKBENCH_IO_TOOL_H
#define SINKBENCH_IO_TOOL_H

/* Exit codes, documented in docs/cli.md. */
enum { SB_EXIT_OK = 0, SB_EXIT_FAILED = 1, SB_EXIT_USAGE = 2, SB_EXIT_ERROR = 3 };

/* Prints "sinkbench <cmd>: <message>" and a hint to stderr; returns SB_EXIT_USAGE. cmd may be NULL. */
int sb_tool_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prints "sinkbench <cmd>: <message>" to stderr; returns SB_EXIT_ERROR. cmd may be NULL. */
int sb_tool_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Parses an unsigned integer option value (decimal or 0x hex); 0 on error after printing it. */
int sb_tool_parse_u64(const char *cmd, const char *opt, const char *s, unsigned long long *out);

#endif
