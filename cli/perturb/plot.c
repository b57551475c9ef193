/* Draws the study's plots with reports/plot/perturb.py (Debian's /usr/bin/python3 + matplotlib).
 * The script is found, in order: --plot-script, $SINKBENCH_PLOT_DIR/perturb.py, the source tree this
 * binary was built from, the installed copy (<datadir>/sinkbench/plot). The interpreter is
 * $SINKBENCH_PYTHON, else /usr/bin/python3. Exit status 3 of the script means matplotlib is missing. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "perturb/write.h"

extern char **environ;

#ifndef SB_PLOT_SOURCE_DIR
#define SB_PLOT_SOURCE_DIR ""
#endif
#ifndef SB_PLOT_INSTALL_DIR
#define SB_PLOT_INSTALL_DIR ""
#endif

static int readable(const char *p) { return p && p[0] && access(p, R_OK) == 0; }

static const char *find_script(const char *override, char *buf, size_t size)
{
    if (override)
        return readable(override) ? override : NULL;
    const char *dirs[3] = {getenv("SINKBENCH_PLOT_DIR"), SB_PLOT_SOURCE_DIR, SB_PLOT_INSTALL_DIR};
    for (int i = 0; i < 3; i++) {
        if (!dirs[i] || !dirs[i][0])
            continue;
        snprintf(buf, size, "%s/perturb.py", dirs[i]);
        if (readable(buf))
            return buf;
    }
    return NULL;
}

int pt_plot(const char *script_override, const char *dir, char *note, size_t note_size)
{
    char buf[4096], json[4096];
    const char *script = find_script(script_override, buf, sizeof buf);
    if (!script) {
        snprintf(note, note_size, "Plots skipped: plot script %s not found (use --plot-script or SINKBENCH_PLOT_DIR).",
                 script_override ? script_override : "perturb.py");
        return 0;
    }
    const char *python = getenv("SINKBENCH_PYTHON");
    if (!python || !python[0])
        python = "/usr/bin/python3";
    snprintf(json, sizeof json, "%s/perturb.json", dir);
    char *argv[] = {(char *)python, (char *)script, json, (char *)dir, NULL};
    pid_t pid;
    int err = posix_spawn(&pid, python, NULL, NULL, argv, environ);
    if (err != 0) {
        snprintf(note, note_size, "Plots skipped: cannot run %s: %s.", python, strerror(err));
        return 0;
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
        note[0] = 0;
        return 1;
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 3)
        snprintf(note, note_size, "Plots skipped: matplotlib is not available to %s (Debian: apt-get install "
                                  "python3-matplotlib).", python);
    else if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
        snprintf(note, note_size, "Plots skipped: %s could not be started.", python);
    else
        snprintf(note, note_size, "Plots skipped: %s %s failed (status %d).", python, script, status);
    return 0;
}
