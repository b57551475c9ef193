#include "sinkbench/version.h"

#ifndef SB_BUILD_FLAGS
#define SB_BUILD_FLAGS "unknown"
#endif

const char *sb_version(void) { return SINKBENCH_VERSION_STRING; }

const char *sb_build_info(void)
{
#if defined(__clang__)
    return "clang " __clang_version__ "; " SB_BUILD_FLAGS;
#elif defined(__GNUC__)
    return "gcc " __VERSION__ "; " SB_BUILD_FLAGS;
#else
    return "unknown compiler; " SB_BUILD_FLAGS;
#endif
}
