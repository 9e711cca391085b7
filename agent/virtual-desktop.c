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
    GPid xterm;
};

/* Runs in the child before exec: die with the agent. */
static void child_setup(gpointer data)
{
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    /* A terminal's Ctrl+C must reach the agent only. */
    setpgid(0, 0);
}

static void stop_child(GPid *pid)
{
    if (*pid <= 0)
        return;
    kill(*pid, SIGTERM);
    for (int i = 0; i < 50; i++) {
        if (waitpid(*pid, NULL, WNOHANG) == *pid) {
            *pid = 0;
            return;
        }
        g_usleep(20000);
    }
    kill(*pid, SIGKILL);
    waitpid(*pid, NULL, 0);
    *pid = 0;
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

static void start_xterm(struct virtual_desktop *vd)
{
    g_autofree char *xterm_path = g_find_program_in_path("xterm");
    if (xterm_path) {
        char **env = g_environ_setenv(g_get_environ(), "DISPLAY", vd->display, TRUE);
        char *xargv[] = {xterm_path, "-geometry", "100x30+40+40", "-title", "thindesk demo",
                         NULL};
        g_autoptr(GError) xerr = NULL;
        if (!g_spawn_async(NULL, xargv, env,
                           G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDOUT_TO_DEV_NULL |
                               G_SPAWN_STDERR_TO_DEV_NULL,
                           child_setup, NULL, &vd->xterm, &xerr))
            g_warning("cannot start xterm on the virtual desktop: %s", xerr->message);
        g_strfreev(env);
    } else {
        g_warning("xterm is not installed: the virtual desktop stays empty");
    }
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

    start_xterm(vd);
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

void virtual_desktop_stop(struct virtual_desktop *vd)
{
    if (!vd)
        return;
    stop_child(&vd->xterm);
    stop_child(&vd->xvfb);
    g_free(vd->display);
    g_free(vd);
}
