#define _POSIX_C_SOURCE 200809L
#include "io/plot_script.h"
#include "io/paths.h"

#include <errno.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

#ifndef SB_PLOT_SOURCE_DIR
#define SB_PLOT_SOURCE_DIR ""
#endif
#ifndef SB_PLOT_INSTALL_DIR
#define SB_PLOT_INSTALL_DIR ""
#endif

static int try_dir(const char *dir, const char *name, char *path, size_t size)
{
    if (!dir || !dir[0])
        return 0;
    snprintf(path, size, "%s/%s", dir, name);
    return access(path, R_OK) == 0;
}

static void note_add(char *note, size_t size, const char *dir)
{
    size_t len = strlen(note);
    if (dir && dir[0] && len + 4 < size)
        snprintf(note + len, size - len, "%s%s", len ? ", " : "", dir);
}

int sb_plot_find(const char *name, const char *dir, char *path, size_t path_size, char *note, size_t note_size)
{
    char self[4096], exe_dir[4200] = "";
    if (sb_self_dir(self, sizeof self))
        snprintf(exe_dir, sizeof exe_dir, "%s/../share/sinkbench/plot", self);
    /* An explicit folder is the only place looked at: a wrong one must not silently fall back. */
    const char *const explicit_dir = dir ? dir : getenv("SINKBENCH_PLOT_DIR");
    const char *const places[] = {exe_dir, SB_PLOT_SOURCE_DIR, SB_PLOT_INSTALL_DIR};
    note[0] = '\0';
    if (explicit_dir && explicit_dir[0]) {
        if (try_dir(explicit_dir, name, path, path_size))
            return 1;
        note_add(note, note_size, explicit_dir);
        return 0;
    }
    for (size_t i = 0; i < sizeof places / sizeof places[0]; i++) {
        if (try_dir(places[i], name, path, path_size))
            return 1;
        note_add(note, note_size, places[i]);
    }
    return 0;
}

void sb_plot_run(const char *script, const char *const *args, size_t nargs, sb_plot_run_result *r)
{
    memset(r, 0, sizeof *r);
    const char *python = getenv("SINKBENCH_PYTHON");
    if (!python || !python[0])
        python = "/usr/bin/python3";
    if (access(python, X_OK) != 0) {
        snprintf(r->note, sizeof r->note, "%s not found (install Debian's python3-matplotlib, or set SINKBENCH_PYTHON)",
                 python);
        return;
    }
    const char *argv[32];
    size_t argc = 0;
    argv[argc++] = python;
    argv[argc++] = script;
    for (size_t i = 0; i < nargs && argc < 31; i++)
        argv[argc++] = args[i];
    argv[argc] = NULL;

    int fd[2];
    if (pipe(fd) != 0) {
        snprintf(r->note, sizeof r->note, "cannot run %s: %s", python, strerror(errno));
        return;
    }
    /* posix_spawn rather than fork: it also works under qemu-user, where fork hangs (qemu 7.2). */
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fd[1], STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&fa, fd[0]);
    posix_spawn_file_actions_addclose(&fa, fd[1]);
    fflush(NULL);
    pid_t pid;
    int err = posix_spawn(&pid, python, &fa, NULL, (char *const *)argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (err != 0) {
        close(fd[0]);
        close(fd[1]);
        snprintf(r->note, sizeof r->note, "cannot run %s: %s", python, strerror(err));
        return;
    }
    close(fd[1]);
    FILE *out = fdopen(fd[0], "r");
    char line[4096];
    while (out && fgets(line, sizeof line, out))
        r->files += strncmp(line, "wrote ", 6) == 0;
    if (out)
        fclose(out);
    else
        close(fd[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r->ok = code == 0;
    if (code == 3)
        snprintf(r->note, sizeof r->note, "matplotlib is not available to %s (Debian: apt-get install python3-matplotlib)",
                 python);
    else if (code != 0)
        snprintf(r->note, sizeof r->note, "%s %s failed (exit status %d; its messages are above)", python, script, code);
}
