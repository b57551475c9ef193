#include "io/tool.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* "sinkbench <cmd>: <message>" on stderr, without the line end. */
static void vprint(const char *cmd, const char *fmt, va_list ap)
{
    fprintf(stderr, "sinkbench%s%s: ", cmd ? " " : "", cmd ? cmd : "");
    vfprintf(stderr, fmt, ap);
}

int sb_tool_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vprint(cmd, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry 'sinkbench %s%s--help'.\n", cmd ? cmd : "", cmd ? " " : "");
    return SB_EXIT_USAGE;
}

int sb_tool_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vprint(cmd, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return SB_EXIT_ERROR;
}

void sb_tool_say(char *err, size_t size, const char *fmt, ...)
{
    if (!err || !size)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, size, fmt, ap);
    va_end(ap);
}

int sb_tool_parse_u64(const char *cmd, const char *opt, const char *s, unsigned long long *out)
{
    char *end = NULL;
    if (!s || !*s || *s == '-') {
        sb_tool_usage_error(cmd, "%s needs a non-negative integer", opt);
        return 0;
    }
    *out = strtoull(s, &end, 0);
    if (*end) {
        sb_tool_usage_error(cmd, "%s: '%s' is not a non-negative integer", opt, s);
        return 0;
    }
    return 1;
}

void sb_tool_option_problem(int c, int argc, char *const argv[], const struct option *opts, char *msg, size_t size)
{
    /* getopt_long has moved optind past the option it complains about (a missing value: there was none
     * to take), so the option as typed is argv[optind - 1]; only its name, not an =value, is quoted. */
    const char *arg = optind >= 1 && optind - 1 < argc ? argv[optind - 1] : "";
    int len = (int)strcspn(arg, "=");
    if (c == ':') {
        snprintf(msg, size, "%.*s needs a value", len, arg);
        return;
    }
    if (arg[0] != '-' || arg[1] != '-') { /* a short option: getopt names it in optopt */
        if (optopt > 0 && optopt < 128)
            snprintf(msg, size, "unknown option '-%c'", optopt);
        else
            snprintf(msg, size, "unknown option '%s'", arg);
        return;
    }
    /* A long option: unknown, given a value it does not take, or an abbreviation of several. */
    const char *name = arg + 2;
    size_t nlen = (size_t)len - 2;
    const struct option *exact = NULL;
    size_t matches = 0;
    char candidates[256] = "";
    for (const struct option *o = opts; o && o->name; o++) {
        if (strncmp(o->name, name, nlen) != 0)
            continue;
        if (strlen(o->name) == nlen)
            exact = o;
        size_t used = strlen(candidates);
        snprintf(candidates + used, sizeof candidates - used, "%s--%s", matches++ ? ", " : "", o->name);
    }
    if (exact && exact->has_arg == no_argument && arg[len] == '=')
        snprintf(msg, size, "--%s takes no value", exact->name);
    else if (!exact && matches > 1)
        snprintf(msg, size, "option '%.*s' is ambiguous (%s)", len, arg, candidates);
    else
        snprintf(msg, size, "unknown option '%.*s'", len, arg);
}

int sb_tool_option_error(const char *cmd, int c, int argc, char *const argv[], const struct option *opts)
{
    char msg[512];
    sb_tool_option_problem(c, argc, argv, opts, msg, sizeof msg);
    return sb_tool_usage_error(cmd, "%s", msg);
}
