/* Where the sinkbench programs write and what they load when the user does not say: the default output
 * of each command, the folder of the running program, and the peer plugins (the installed copies for an
 * installed program, the build tree's for a program run from the build tree). One place for each, so
 * the CLI, the studies and sinkbench-bench name and find things the same way. */
#ifndef SINKBENCH_IO_PATHS_H
#define SINKBENCH_IO_PATHS_H

#include <stddef.h>

typedef enum sb_output_kind {
    SB_OUTPUT_REPORT,    /* reports/<host>-<detail: dispatch ISA>-<YYYYMMDD>          (sinkbench report) */
    SB_OUTPUT_STABILITY, /* reports/stability-<host>-<YYYYMMDD>                       (sinkbench stability) */
    SB_OUTPUT_PERTURB,   /* reports/perturb-<host>-<YYYYMMDD>                         (sinkbench perturb) */
    SB_OUTPUT_BENCH,     /* reports/bench-<host>-<detail: preset>-<YYYYMMDD-HHMMSS>.json (sinkbench-bench) */
    SB_OUTPUT_EMERGE,    /* reports/emerge-<host>-<YYYYMMDD>, with detail "full": emerge-full-...  (sinkbench emerge) */
} sb_output_kind;

/* The default output of a command, relative to the current folder, at the local time of the call.
 * detail is the ISA or preset named above (NULL: "none"); ignored by the other kinds. Returns 0 when the
 * path does not fit in size (buf then holds a truncated path). */
int sb_output_path_default(sb_output_kind kind, const char *detail, char *buf, size_t size);

/* The folder of the running program (/proc/self/exe without its last component). 0 when it cannot be
 * read (no /proc) or does not fit; buf is then "". */
int sb_self_dir(char *buf, size_t size);

/* The peer plugins this program loads by default, ':'-separated, for sb_plugin_load_list: the installed
 * copies when the program runs from an install (the folder <program folder>/<bin to peers> of the
 * install layout exists), else the ones built in the build tree (both compiled in). An installed
 * program never falls back to the build tree, and a program in the build tree never loads an install's
 * peers. "" when no peer was built. Returns 0 when the list does not fit in size. */
int sb_peer_plugins_default(char *list, size_t size);

#endif
