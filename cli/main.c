/* sinkbench: accuracy and speed of softmax/attention kernels on sink-dominated rows. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "sinkbench/sinkbench.h"

static const sb_command *const commands[] = {
    &sb_cmd_info,
    &sb_cmd_check,
    &sb_cmd_report,
    &sb_cmd_stability,
    &sb_cmd_compare,
    &sb_cmd_perturb,
    &sb_cmd_emerge,
    &sb_cmd_sinkmetric,
};
#define NCOMMANDS (sizeof commands / sizeof commands[0])

static void print_help(FILE *f)
{
    fprintf(f, "usage: sinkbench [--version] [--help] [--plugin LIB.so]... <command> [options]\n\n"
               "Accuracy and speed of softmax and attention kernels on sink-dominated rows.\n\n"
               "commands:\n");
    for (size_t i = 0; i < NCOMMANDS; i++)
        fprintf(f, "  %-12s %s\n", commands[i]->name, commands[i]->summary);
    fprintf(f, "\n--plugin LIB.so loads a kernel plugin (also: SINKBENCH_PLUGINS=a.so:b.so); its kernels join\n"
               "every command like built-in ones. See docs/plugins.md.\n"
               "\n'sinkbench <command> --help' shows a command's options and examples.\n"
               "Exit codes: 0 success, 1 a check failed, 2 usage error, 3 runtime error.\n");
}

int sb_cli_is_help(const char *arg) { return strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0; }

int sb_cli_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "sinkbench%s%s: ", cmd ? " " : "", cmd ? cmd : "");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry 'sinkbench %s%s--help'.\n", cmd ? cmd : "", cmd ? " " : "");
    return SB_EXIT_USAGE;
}

int sb_cli_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "sinkbench%s%s: ", cmd ? " " : "", cmd ? cmd : "");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return SB_EXIT_ERROR;
}

int sb_cli_parse_u64(const char *cmd, const char *opt, const char *s, unsigned long long *out)
{
    char *end = NULL;
    if (!s || !*s || *s == '-') {
        sb_cli_usage_error(cmd, "%s needs a non-negative integer", opt);
        return 0;
    }
    *out = strtoull(s, &end, 0);
    if (*end) {
        sb_cli_usage_error(cmd, "%s: '%s' is not a non-negative integer", opt, s);
        return 0;
    }
    return 1;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        print_help(stderr);
        return SB_EXIT_USAGE;
    }
    /* Plugins first, so their kernels are in the registry for every command: SINKBENCH_PLUGINS, then
     * each --plugin PATH before the command. */
    char err[512];
    if (sb_plugin_load_env(err, sizeof err) != SB_OK)
        return sb_cli_error(NULL, "SINKBENCH_PLUGINS: %s", err);
    while (argc >= 2 && strcmp(argv[1], "--plugin") == 0) {
        if (argc < 3)
            return sb_cli_usage_error(NULL, "--plugin needs the path of a shared library");
        if (sb_plugin_load(argv[2], err, sizeof err) != SB_OK)
            return sb_cli_error(NULL, "%s", err);
        argc -= 2;
        argv += 2;
    }
    if (argc < 2) {
        print_help(stderr);
        return SB_EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (sb_cli_is_help(cmd) || strcmp(cmd, "help") == 0) {
        if (argc > 2 && strcmp(cmd, "help") == 0) {
            for (size_t i = 0; i < NCOMMANDS; i++)
                if (strcmp(argv[2], commands[i]->name) == 0) {
                    fputs(commands[i]->usage, stdout);
                    return SB_EXIT_OK;
                }
            return sb_cli_usage_error(NULL, "unknown command '%s'", argv[2]);
        }
        print_help(stdout);
        return SB_EXIT_OK;
    }
    if (strcmp(cmd, "--version") == 0) {
        printf("sinkbench %s (%s)\n", sb_version(), sb_build_info());
        return SB_EXIT_OK;
    }
    if (cmd[0] == '-')
        return sb_cli_usage_error(NULL, "unknown option '%s'", cmd);
    for (size_t i = 0; i < NCOMMANDS; i++) {
        if (strcmp(cmd, commands[i]->name) != 0)
            continue;
        for (int a = 2; a < argc; a++)
            if (sb_cli_is_help(argv[a])) {
                fputs(commands[i]->usage, stdout);
                return SB_EXIT_OK;
            }
        return commands[i]->run(argc - 1, argv + 1);
    }
    return sb_cli_usage_error(NULL, "unknown command '%s'", cmd);
}
