#include "agent/system/dm-hook.h"
#include "agent/system/dm-hook-proto.h"

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define HOOK_BUDGET_MS 900

static long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* Waits for @events on @fd until @deadline (monotonic ms). */
static bool wait_fd(int fd, short events, long deadline)
{
    for (;;) {
        long left = deadline - now_ms();
        if (left <= 0)
            return false;
        struct pollfd p = {.fd = fd, .events = events};
        int rc = poll(&p, 1, (int)left);
        if (rc > 0)
            return true;
        if (rc == 0 || errno != EINTR)
            return false;
    }
}

static void append(GString *msg, const char *key)
{
    const char *value = g_getenv(key);
    if (!value || !*value)
        return;
    g_autofree char *escaped = g_uri_escape_string(value, "/:", FALSE);
    g_string_append_printf(msg, " %s=%s", key, escaped);
}

/* Sends @msg and waits for the answer; returns a static description. */
static const char *send_message(const char *path, const char *msg, long deadline)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof(sa.sun_path))
        return "socket path too long";
    strcpy(sa.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return "no socket";
    const char *result = NULL;
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 &&
        (errno != EINPROGRESS && errno != EAGAIN)) {
        result = errno == ENOENT || errno == ECONNREFUSED ? "the service is not running"
                                                          : "cannot connect";
        goto out;
    }
    size_t off = 0, len = strlen(msg);
    while (off < len) {
        if (!wait_fd(fd, POLLOUT, deadline)) {
            result = "timed out sending";
            goto out;
        }
        ssize_t n = send(fd, msg + off, len - off, MSG_NOSIGNAL);
        if (n < 0 && errno != EAGAIN && errno != EINTR) {
            result = "send failed";
            goto out;
        }
        if (n > 0)
            off += (size_t)n;
    }
    char answer[256];
    size_t got = 0;
    while (got < sizeof(answer) - 1 && !memchr(answer, '\n', got)) {
        if (!wait_fd(fd, POLLIN, deadline)) {
            result = "no answer in time";
            goto out;
        }
        ssize_t n = recv(fd, answer + got, sizeof(answer) - 1 - got, 0);
        if (n == 0)
            break;
        if (n < 0 && errno != EAGAIN && errno != EINTR) {
            result = "receive failed";
            goto out;
        }
        if (n > 0)
            got += (size_t)n;
    }
    answer[got] = '\0';
    result = strncmp(answer, "ok", 2) == 0 ? NULL : "refused";
out:
    close(fd);
    return result;
}

int dm_hook_main(int argc, char **argv)
{
    long deadline = now_ms() + HOOK_BUDGET_MS;
    const char *event = NULL;
    const char *path = DM_HOOK_DEFAULT_SOCKET;
    for (int i = 1; i < argc; i++) {
        if (g_str_has_prefix(argv[i], "--socket="))
            path = argv[i] + strlen("--socket=");
        else if (!event && argv[i][0] != '-')
            event = argv[i];
    }
    if (!event) {
        fprintf(stderr, "thindesk-agent dm-hook: usage: dm-hook display-setup|greeter-setup|session-setup|session-cleanup [--socket=PATH] (exits 0 regardless)\n");
        return 0;
    }
    GString *msg = g_string_new(event);
    append(msg, "DISPLAY");
    append(msg, "XAUTHORITY");
    append(msg, "USER");
    g_string_append_c(msg, '\n');
    const char *why = send_message(path, msg->str, deadline);
    if (why)
        fprintf(stderr, "thindesk-agent dm-hook: %s not delivered to %s: %s\n", event, path, why);
    g_string_free(msg, TRUE);
    return 0;
}
