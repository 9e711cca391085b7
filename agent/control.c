#define _GNU_SOURCE /* accept4, struct ucred */
#include "agent/control.h"

#include <errno.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "agent/control-proto.h"

/* A subscriber that does not read its events is dropped past this. */
#define CONTROL_MAX_PENDING_OUT (1024 * 1024)

struct status_entry {
    control_status_fn fn;
    void *user_data;
};

struct command_entry {
    const char *name;
    control_command_fn fn;
    void *user_data;
};

struct conn {
    struct control *control;
    int fd;
    guint watch;
    GIOCondition watching;
    GByteArray *in;
    GString *out;
    bool events;
    bool in_callback; /* freed by its own callback when it fails there */
    bool dead;
    bool close_after_flush;
};

struct control {
    char *path;
    int fd;
    guint watch;
    GList *conns;
    GArray *status;   /* struct status_entry */
    GArray *commands; /* struct command_entry */
};

char *control_default_path(void)
{
    return g_build_filename(g_get_user_runtime_dir(), "thindesk", "control", NULL);
}

static void conn_free(struct conn *c)
{
    c->control->conns = g_list_remove(c->control->conns, c);
    if (c->watch)
        g_source_remove(c->watch);
    close(c->fd);
    g_byte_array_unref(c->in);
    g_string_free(c->out, TRUE);
    g_free(c);
}

/* The connection is broken: free it now, or when its callback returns. */
static void conn_fail(struct conn *c)
{
    c->dead = true;
    if (!c->in_callback)
        conn_free(c);
}

static gboolean on_conn_io(gint fd, GIOCondition cond, gpointer data);

static void conn_watch(struct conn *c, GIOCondition want)
{
    if (c->watch && c->watching == want)
        return;
    if (c->watch)
        g_source_remove(c->watch);
    c->watching = want;
    c->watch = g_unix_fd_add(c->fd, want, on_conn_io, c);
}

/* Writes what can be written now; watches for more room otherwise. */
static void conn_flush(struct conn *c)
{
    while (c->out->len > 0) {
        ssize_t n = send(c->fd, c->out->str, c->out->len, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        if (n <= 0) {
            conn_fail(c);
            return;
        }
        g_string_erase(c->out, 0, n);
    }
    if (c->out->len == 0 && c->close_after_flush) {
        conn_fail(c);
        return;
    }
    conn_watch(c, c->out->len ? G_IO_IN | G_IO_OUT : G_IO_IN);
}

/* Takes ownership of @line. */
static void conn_send(struct conn *c, char *line)
{
    if (c->dead) {
        g_free(line);
        return;
    }
    if (c->out->len + strlen(line) > CONTROL_MAX_PENDING_OUT) {
        g_debug("control: dropping a connection that does not read");
        g_free(line);
        conn_fail(c);
        return;
    }
    g_string_append(c->out, line);
    g_free(line);
    conn_flush(c);
}

static char *status_reply(struct control *ctl, const JsonNode *id)
{
    g_autoptr(JsonObject) status = json_object_new();
    for (guint i = 0; i < ctl->status->len; i++) {
        struct status_entry *e = &g_array_index(ctl->status, struct status_entry, i);
        e->fn(status, e->user_data);
    }
    g_autoptr(JsonObject) reply = json_object_new();
    json_object_set_object_member(reply, "status", json_object_ref(status));
    return control_reply_ok(id, reply);
}

static char *command_names(struct control *ctl)
{
    GString *s = g_string_new("status, events");
    for (guint i = 0; i < ctl->commands->len; i++)
        g_string_append_printf(s, ", %s",
                               g_array_index(ctl->commands, struct command_entry, i).name);
    return g_string_free(s, FALSE);
}

static void handle_line(struct conn *c, const char *line, size_t len)
{
    struct control *ctl = c->control;
    if (len && line[len - 1] == '\r')
        len--;
    if (len == 0)
        return;
    struct control_request req;
    g_autofree char *error = NULL;
    if (control_request_parse(line, len, &req, &error) < 0) {
        conn_send(c, control_reply_error(req.id, error));
        control_request_clear(&req);
        return;
    }
    if (strcmp(req.command, "status") == 0) {
        conn_send(c, status_reply(ctl, req.id));
    } else if (strcmp(req.command, "events") == 0) {
        c->events = true;
        conn_send(c, control_reply_ok(req.id, NULL));
    } else {
        struct command_entry *found = NULL;
        for (guint i = 0; i < ctl->commands->len && !found; i++) {
            struct command_entry *e = &g_array_index(ctl->commands, struct command_entry, i);
            if (strcmp(e->name, req.command) == 0)
                found = e;
        }
        if (!found) {
            g_autofree char *names = command_names(ctl);
            g_autofree char *msg =
                g_strdup_printf("unknown command '%s' (known: %s)", req.command, names);
            conn_send(c, control_reply_error(req.id, msg));
        } else {
            g_autoptr(JsonObject) reply = json_object_new();
            if (found->fn(req.args, reply, &error, found->user_data))
                conn_send(c, control_reply_ok(req.id, reply));
            else
                conn_send(c, control_reply_error(req.id, error ? error : "failed"));
        }
    }
    control_request_clear(&req);
}

static gboolean on_conn_io(gint fd, GIOCondition cond, gpointer data)
{
    struct conn *c = data;
    c->in_callback = true;
    if (cond & G_IO_OUT)
        conn_flush(c);
    if (!c->dead && (cond & (G_IO_IN | G_IO_HUP | G_IO_ERR))) {
        guint8 buf[4096];
        ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
            c->dead = true;
        } else if (n > 0 && !c->close_after_flush) {
            g_byte_array_append(c->in, buf, n);
            guint8 *nl;
            while (!c->dead && !c->close_after_flush &&
                   (nl = memchr(c->in->data, '\n', c->in->len))) {
                size_t len = nl - c->in->data;
                handle_line(c, (const char *)c->in->data, len);
                g_byte_array_remove_range(c->in, 0, len + 1);
            }
            if (!c->dead && c->in->len > CONTROL_MAX_LINE) {
                /* No way to find the next request: say why and hang up. */
                g_autofree char *msg = g_strdup_printf(
                    "request too long (more than %d bytes without a newline)", CONTROL_MAX_LINE);
                g_byte_array_set_size(c->in, 0);
                c->close_after_flush = true;
                conn_send(c, control_reply_error(NULL, msg));
            }
        }
    }
    c->in_callback = false;
    if (c->dead) {
        /* Removes whichever watch is current, this one included. */
        conn_free(c);
        return G_SOURCE_REMOVE;
    }
    return G_SOURCE_CONTINUE;
}

static gboolean on_accept(gint fd, GIOCondition cond, gpointer data)
{
    struct control *ctl = data;
    int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (cfd < 0)
        return G_SOURCE_CONTINUE;
    struct ucred cred;
    socklen_t len = sizeof(cred);
    if (getsockopt(cfd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 ||
        (cred.uid != getuid() && cred.uid != 0)) {
        g_warning("control socket: refused a connection from user %d", (int)cred.uid);
        close(cfd);
        return G_SOURCE_CONTINUE;
    }
    struct conn *c = g_new0(struct conn, 1);
    c->control = ctl;
    c->fd = cfd;
    c->in = g_byte_array_new();
    c->out = g_string_new(NULL);
    ctl->conns = g_list_prepend(ctl->conns, c);
    conn_watch(c, G_IO_IN);
    return G_SOURCE_CONTINUE;
}

/* Is something accepting connections on @path? */
static bool socket_alive(const struct sockaddr_un *addr)
{
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return false;
    bool alive = connect(fd, (const struct sockaddr *)addr, sizeof(*addr)) == 0;
    close(fd);
    return alive;
}

static bool prepare_dir(const char *path, char **ret_error)
{
    g_autofree char *dir = g_path_get_dirname(path);
    if (g_mkdir_with_parents(dir, 0700) < 0) {
        *ret_error = g_strdup_printf("cannot create the directory %s for the control socket: %s",
                                     dir, g_strerror(errno));
        return false;
    }
    struct stat st;
    if (lstat(dir, &st) < 0 || !S_ISDIR(st.st_mode) || st.st_uid != getuid()) {
        *ret_error = g_strdup_printf("refusing the control socket %s: its directory %s is not a directory of this user (owner %d); remove it or set control-socket= elsewhere",
                                     path, dir, (int)st.st_uid);
        return false;
    }
    return true;
}

struct control *control_create(const char *path, char **ret_error)
{
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof(addr.sun_path)) {
        *ret_error = g_strdup_printf("control socket path too long (at most %zu bytes): %s",
                                     sizeof(addr.sun_path) - 1, path);
        return NULL;
    }
    g_strlcpy(addr.sun_path, path, sizeof(addr.sun_path));
    if (!prepare_dir(path, ret_error))
        return NULL;

    struct stat st;
    if (lstat(path, &st) == 0) {
        if (st.st_uid != getuid()) {
            *ret_error = g_strdup_printf("refusing the control socket %s: it is owned by user %d, not by this user (%d); remove it or set control-socket= elsewhere",
                                        path, (int)st.st_uid, (int)getuid());
            return NULL;
        }
        if (!S_ISSOCK(st.st_mode)) {
            *ret_error = g_strdup_printf("refusing the control socket %s: something that is not a socket is there; remove it", path);
            return NULL;
        }
        if (socket_alive(&addr)) {
            *ret_error = g_strdup_printf("another thindesk-agent serves the control socket %s; stop it, or give this one --control-socket=FILE (or none)", path);
            return NULL;
        }
        g_unlink(path); /* stale, from an agent that died */
    }

    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        *ret_error = g_strdup_printf("cannot create the control socket: %s", g_strerror(errno));
        return NULL;
    }
    /* Created with mode 0600: no window in which others could connect. */
    mode_t old = umask(0177);
    int rc = bind(fd, (const struct sockaddr *)&addr, sizeof(addr));
    int err = errno;
    umask(old);
    if (rc < 0 || listen(fd, 16) < 0) {
        if (rc == 0)
            err = errno;
        close(fd);
        *ret_error = g_strdup_printf("cannot listen on the control socket %s: %s", path,
                                     g_strerror(err));
        return NULL;
    }
    chmod(path, 0600);

    struct control *ctl = g_new0(struct control, 1);
    ctl->path = g_strdup(path);
    ctl->fd = fd;
    ctl->status = g_array_new(FALSE, FALSE, sizeof(struct status_entry));
    ctl->commands = g_array_new(FALSE, FALSE, sizeof(struct command_entry));
    ctl->watch = g_unix_fd_add(fd, G_IO_IN, on_accept, ctl);
    return ctl;
}

void control_destroy(struct control *ctl)
{
    if (!ctl)
        return;
    while (ctl->conns)
        conn_free(ctl->conns->data);
    g_source_remove(ctl->watch);
    close(ctl->fd);
    g_unlink(ctl->path);
    g_array_unref(ctl->status);
    g_array_unref(ctl->commands);
    g_free(ctl->path);
    g_free(ctl);
}

const char *control_get_path(const struct control *ctl)
{
    return ctl ? ctl->path : NULL;
}

void control_add_status(struct control *ctl, control_status_fn fn, void *user_data)
{
    if (!ctl)
        return;
    struct status_entry e = {fn, user_data};
    g_array_append_val(ctl->status, e);
}

void control_add_command(struct control *ctl, const char *name, control_command_fn fn,
                         void *user_data)
{
    if (!ctl)
        return;
    struct command_entry e = {name, fn, user_data};
    g_array_append_val(ctl->commands, e);
}

void control_emit_event(struct control *ctl, const char *event, JsonObject *fields)
{
    if (!ctl)
        return;
    g_autofree char *line = control_event_line(event, fields);
    /* conn_send may free a connection: walk a copy. */
    GList *conns = g_list_copy(ctl->conns);
    for (GList *l = conns; l; l = l->next) {
        struct conn *c = l->data;
        if (c->events)
            conn_send(c, g_strdup(line));
    }
    g_list_free(conns);
}
