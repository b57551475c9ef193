#include "io/tool.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

int sb_tool_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "sinkbench%s%s: ", cmd ? " " : "", cmd ? cmd : "");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry 'sinkbench %s%s--help'.\n", cmd ? cmd : "", cmd ? " " : "");
    return SB_EXIT_USAGE;
}

int sb_tool_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "sinkbench%s%s: ", cmd ? " " : "", cmd ? cmd : "");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return SB_EXIT_ERROR;
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
