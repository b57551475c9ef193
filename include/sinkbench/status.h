/* Status codes returned by every sinkbench API call. */
#ifndef SINKBENCH_STATUS_H
#define SINKBENCH_STATUS_H

#ifdef __cplusplus
extern "C" {
#endif

typedef enum sb_status {
    SB_OK = 0,
    SB_EINVAL = 1,        /* invalid argument: NULL with n > 0, partial overlap, n too large, bad shape */
    SB_ENOMEM = 2,        /* an allocation failed */
    SB_EUNSUPPORTED = 3   /* this CPU or build cannot do what was asked */
} sb_status;

/* Short English description, never NULL ("invalid argument", ...). */
const char *sb_status_str(sb_status s);

#ifdef __cplusplus
}
#endif
#endif
