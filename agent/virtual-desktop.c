#include "agent/virtual-desktop.h"

#include <errno.h>
#include <glib.h>
#include <stdbool.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>


struct virtual_desktop {
    char *display;
    GPid xvfb;
    GPid window_manager;
    GPid xterm;
};

/* Runs in the child before exec: die with the agent. */
static void child_setup(gpointer data)
{
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    /* A terminal's Ctrl+C must reach the agent only. Each child leads a
     * process group of its own, which also holds what it starts (the
     * terminals opened from the window manager's menu). */
    setpgid(0, 0);
}

/* Stops the process group @pid leads: SIGTERM, SIGKILL after a second. */
static void stop_child(GPid *pid)
{
    if (*pid <= 0)
        return;
    kill(-*pid, SIGTERM);
    for (int i = 0; i < 50; i++) {
        if (waitpid(*pid, NULL, WNOHANG) == *pid) {
            *pid = 0;
            return;
        }
        g_usleep(20000);
    }
    kill(-*pid, SIGKILL);
    waitpid(*pid, NULL, 0);
    *pid = 0;
}

/* Starts @argv on the virtual display, output discarded. */
static bool spawn_on_display(struct virtual_desktop *vd, char **argv, GPid *ret_pid, GError **error)
{
    char **env = g_environ_setenv(g_get_environ(), "DISPLAY", vd->display, TRUE);
    /* A desktop session's manager is not the virtual desktop's. */
    env = g_environ_unsetenv(env, "SESSION_MANAGER");
    bool ok = g_spawn_async(NULL, argv, env,
                            G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDOUT_TO_DEV_NULL |
                                G_SPAWN_STDERR_TO_DEV_NULL,
                            child_setup, NULL, ret_pid, error);
    g_strfreev(env);
    return ok;
}

/* Reads the display number Xvfb writes to -displayfd, with a timeout. */
static bool read_display_number(int fd, char *buf, size_t len)
{
    size_t got = 0;
    gint64 deadline = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;
    while (got < len - 1 && g_get_monotonic_time() < deadline) {
        GPollFD pfd = {.fd = fd, .events = G_IO_IN};
        if (g_poll(&pfd, 1, 200) <= 0)
            continue;
        ssize_t n = read(fd, buf + got, len - 1 - got);
        if (n <= 0)
            break;
        got += n;
        if (memchr(buf, '\n', got))
            break;
    }
    buf[got] = '\0';
    return got > 0 && strchr(buf, '\n');
}

/* openbox with Debian's configuration (or the user's own): windows get a
 * frame to move and resize them by, and a right click on the background
 * opens a menu whose first entry starts x-terminal-emulator. openbox starts
 * @terminal itself once it manages windows: a window mapped while it is
 * still starting can stay unmapped for good. */
static bool start_window_manager(struct virtual_desktop *vd, char **terminal)
{
    g_autofree char *path = g_find_program_in_path("openbox");
    if (!path) {
        g_warning("openbox is not installed: windows on the virtual desktop cannot be moved "
                  "or resized (install the openbox package)");
        return false;
    }
    g_autoptr(GString) cmd = g_string_new(NULL);
    for (char **arg = terminal; arg && *arg; arg++) {
        g_autofree char *quoted = g_shell_quote(*arg);
        g_string_append_printf(cmd, "%s%s", cmd->len ? " " : "", quoted);
    }
    char *argv[] = {path, "--sm-disable", cmd->len ? "--startup" : NULL, cmd->str, NULL};
    g_autoptr(GError) err = NULL;
    if (!spawn_on_display(vd, argv, &vd->window_manager, &err)) {
        g_warning("cannot start openbox on the virtual desktop: %s", err->message);
        return false;
    }
    return true;
}

/* The window manager and a terminal, each if installed. */
static void start_session(struct virtual_desktop *vd)
{
    g_autofree char *xterm_path = g_find_program_in_path("xterm");
    char *xargv[] = {xterm_path, "-geometry", "100x30+40+40", "-title", "thindesk demo", NULL};
    if (!xterm_path)
        g_warning("xterm is not installed: the virtual desktop stays empty");
    if (start_window_manager(vd, xterm_path ? xargv : NULL) || !xterm_path)
        return;
    g_autoptr(GError) xerr = NULL;
    if (!spawn_on_display(vd, xargv, &vd->xterm, &xerr))
        g_warning("cannot start xterm on the virtual desktop: %s", xerr->message);
}

struct virtual_desktop *virtual_desktop_start(int width, int height, char **ret_error)
{
    g_autofree char *xvfb_path = g_find_program_in_path("Xvfb");
    if (!xvfb_path) {
        *ret_error = g_strdup("no X display and no Xvfb to start a virtual one: install the "
                              "xvfb package, or pass --display=:N");
        return NULL;
    }
    int pipefd[2];
    if (pipe(pipefd) < 0) {
        *ret_error = g_strdup_printf("pipe: %s", g_strerror(errno));
        return NULL;
    }
    struct virtual_desktop *vd = g_new0(struct virtual_desktop, 1);
    g_autofree char *fdstr = g_strdup_printf("%d", pipefd[1]);
    g_autofree char *screen = g_strdup_printf("%dx%dx24", width, height);
    char *argv[] = {xvfb_path, "-displayfd", fdstr, "-screen", "0", screen, "-nolisten", "tcp",
                    "-noreset", NULL};
    g_autoptr(GError) err = NULL;
    bool ok = g_spawn_async(NULL, argv, NULL,
                            G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_LEAVE_DESCRIPTORS_OPEN |
                                G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL,
                            child_setup, NULL, &vd->xvfb, &err);
    close(pipefd[1]);
    char num[32];
    if (!ok) {
        *ret_error = g_strdup_printf("cannot start Xvfb: %s", err->message);
        goto err_close;
    }
    if (!read_display_number(pipefd[0], num, sizeof(num))) {
        *ret_error = g_strdup("Xvfb did not start (no display number within 10 s)");
        goto err_close;
    }
    close(pipefd[0]);
    num[strcspn(num, "\n")] = '\0';
    vd->display = g_strdup_printf(":%s", num);

    start_session(vd);
    return vd;

err_close:
    close(pipefd[0]);
    virtual_desktop_stop(vd);
    return NULL;
}

const char *virtual_desktop_display(const struct virtual_desktop *vd)
{
    return vd->display;
}

bool virtual_desktop_has_window_manager(const struct virtual_desktop *vd)
{
    return vd->window_manager > 0;
}

void virtual_desktop_stop(struct virtual_desktop *vd)
{
    if (!vd)
        return;
    stop_child(&vd->xterm);
    stop_child(&vd->window_manager);
    stop_child(&vd->xvfb);
    g_free(vd->display);
    g_free(vd);
}
