#include "sinkbench/status.h"

const char *sb_status_str(sb_status s)
{
    switch (s) {
    case SB_OK: return "ok";
    case SB_EINVAL: return "invalid argument";
    case SB_ENOMEM: return "out of memory";
    case SB_EUNSUPPORTED: return "not supported on this CPU or build";
    }
    return "unknown status";
}
