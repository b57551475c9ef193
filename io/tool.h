/* What the sinkbench programs share when they talk to a user: exit codes (docs/cli.md) and one-line
 * error messages that name the command and the problem. Used by the CLI and by the studies it runs. */
#ifndef SINKBENCH_IO_TOOL_H
#define SINKBENCH_IO_TOOL_H

#include <stddef.h>

/* Exit codes, documented in docs/cli.md. */
enum { SB_EXIT_OK = 0, SB_EXIT_FAILED = 1, SB_EXIT_USAGE = 2, SB_EXIT_ERROR = 3 };

/* Prints "sinkbench <cmd>: <message>" and a hint to stderr; returns SB_EXIT_USAGE. cmd may be NULL. */
int sb_tool_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prints "sinkbench <cmd>: <message>" to stderr; returns SB_EXIT_ERROR. cmd may be NULL. */
int sb_tool_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Formats a one-line reason into err[0..size) for functions that report failures to their caller;
 * nothing when err is NULL or size is 0. */
void sb_tool_say(char *err, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Parses an unsigned integer option value (decimal or 0x hex); 0 on error after printing it. */
int sb_tool_parse_u64(const char *cmd, const char *opt, const char *s, unsigned long long *out);

/* Options are read with getopt_long (glibc), which also takes --opt=value. Every program passes this
 * option string: '-' returns each positional argument in its place as 1 (in optarg), so files keep their
 * order and POSIXLY_CORRECT changes nothing; ':' silences getopt's own messages and reports a missing
 * value as ':'. The options themselves are long ones only (-h/--help is looked for before parsing). */
#define SB_TOOL_OPTSTRING "-:"

struct option;
/* The problem getopt_long just reported ('?' or ':' for the option before argv[optind]) as a message
 * naming the option: "unknown option '--x'", "--out needs a value", "--json takes no value", "option
 * '--qu' is ambiguous (--quick, --quiet)". For programs with their own message style. */
void sb_tool_option_problem(int c, int argc, char *const argv[], const struct option *opts, char *msg, size_t size);
/* The same as a usage error of command cmd; returns SB_EXIT_USAGE. */
int sb_tool_option_error(const char *cmd, int c, int argc, char *const argv[], const struct option *opts);

#endif
