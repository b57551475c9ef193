/* Plots are drawn by Python scripts (in reports/plot/, Debian's /usr/bin/python3 + matplotlib). This
 * finds a script and runs it; a missing interpreter or matplotlib skips the plots with a note instead
 * of failing the command that asked for them. */
#ifndef SINKBENCH_PLOT_SCRIPT_H
#define SINKBENCH_PLOT_SCRIPT_H

#include <stddef.h>

/* Where the script <name> is, first match wins:
 *   1. dir (a --plot-dir option), 2. $SINKBENCH_PLOT_DIR,
 *   3. <folder of the executable>/../share/sinkbench/plot (the installed layout),
 *   4. the source tree's reports/plot (compiled in), 5. the configured install folder (compiled in).
 * Returns 1 and the path, or 0 with the places tried in note. */
int sb_plot_find(const char *name, const char *dir, char *path, size_t path_size, char *note, size_t note_size);

typedef struct sb_plot_run_result {
    int ok;               /* the script ran and exited 0 */
    int files;            /* lines "wrote FILE" it printed */
    char note[512];       /* when !ok: why (no python, no matplotlib, the script failed) */
} sb_plot_run_result;

/* Runs `python script args...` ($SINKBENCH_PYTHON, default /usr/bin/python3). The script's stderr goes
 * to ours; each stdout line "wrote FILE" counts one file. A script exit status of 3 means matplotlib is
 * missing. */
void sb_plot_run(const char *script, const char *const *args, size_t nargs, sb_plot_run_result *r);

#endif
