/* sinkbench: accuracy and speed of softmax/attention kernels on sink-dominated rows. */
#include <getopt.h>
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

static int is_help(const char *arg) { return strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0; }

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

/* The global options come before the command; getopt_long stops at the command ('+'), which keeps
 * its own options for the command's parser. */
enum { OPT_PLUGIN = 256, OPT_VERSION, OPT_HELP };
static const struct option global_options[] = {
    {"plugin", required_argument, NULL, OPT_PLUGIN},
    {"version", no_argument, NULL, OPT_VERSION},
    {"help", no_argument, NULL, OPT_HELP},
    {NULL, 0, NULL, 0},
};

int main(int argc, char **argv)
{
    if (argc < 2) {
        print_help(stderr);
        return SB_EXIT_USAGE;
    }
    /* Plugins first, so their kernels are in the registry for every command: SINKBENCH_PLUGINS, then
     * each --plugin PATH before the command, in order. */
    char err[512];
    if (sb_plugin_load_env(err, sizeof err) != SB_OK)
        return sb_tool_error(NULL, "SINKBENCH_PLUGINS: %s", err);
    optind = 0;
    for (int c; (c = getopt_long(argc, argv, "+:h", global_options, NULL)) != -1;) {
        switch (c) {
        case OPT_PLUGIN:
            if (sb_plugin_load(optarg, err, sizeof err) != SB_OK)
                return sb_tool_error(NULL, "%s", err);
            break;
        case OPT_VERSION:
            printf("sinkbench %s (%s)\n", sb_version(), sb_build_info());
            return SB_EXIT_OK;
        case 'h':
        case OPT_HELP:
            print_help(stdout);
            return SB_EXIT_OK;
        case ':': /* the only global option with a value */
            return sb_tool_usage_error(NULL, "--plugin needs the path of a shared library");
        default:
            return sb_tool_option_error(NULL, c, argc, argv, global_options);
        }
    }
    if (optind >= argc) {
        print_help(stderr);
        return SB_EXIT_USAGE;
    }
    argc -= optind - 1; /* the command's arguments, with its name as argv[0] */
    argv += optind - 1;
    const char *cmd = argv[1];
    if (strcmp(cmd, "help") == 0) {
        if (argc > 2) {
            for (size_t i = 0; i < NCOMMANDS; i++)
                if (strcmp(argv[2], commands[i]->name) == 0) {
                    fputs(commands[i]->usage, stdout);
                    return SB_EXIT_OK;
                }
            return sb_tool_usage_error(NULL, "unknown command '%s'", argv[2]);
        }
        print_help(stdout);
        return SB_EXIT_OK;
    }
    for (size_t i = 0; i < NCOMMANDS; i++) {
        if (strcmp(cmd, commands[i]->name) != 0)
            continue;
        /* --help anywhere among the command's options (before a "--") shows its usage, whatever else
         * is on the line. */
        for (int a = 2; a < argc && strcmp(argv[a], "--") != 0; a++)
            if (is_help(argv[a])) {
                fputs(commands[i]->usage, stdout);
                return SB_EXIT_OK;
            }
        return commands[i]->run(argc - 1, argv + 1);
    }
    return sb_tool_usage_error(NULL, "unknown command '%s'", cmd);
}
