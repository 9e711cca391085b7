/* seat-hook: the display-manager hook source of the seat follower. A
 * root-only unix socket; each connection carries one line from
 * `thindesk-agent dm-hook` (dm-hook-proto.h). */
#include "agent/system/dm-hook-proto.h"
#include "agent/system/seat-priv.h"

#include <errno.h>
#include <gio/gio.h>
#include <gio/gunixsocketaddress.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>

struct seat_hook {
    struct seat *seat;
    char *path;
    GSocketService *service;
};

struct hook_conn {
    struct seat_hook *hook;
    GSocketConnection *conn;
    GDataInputStream *in;
};

static void conn_free(struct hook_conn *hc)
{
    g_object_unref(hc->in);
    g_object_unref(hc->conn);
    g_free(hc);
}

static void reply(struct hook_conn *hc, const char *text)
{
    GOutputStream *out = g_io_stream_get_output_stream(G_IO_STREAM(hc->conn));
    /* The peer waits for at most a second and may be gone: never block. */
    g_pollable_output_stream_write_nonblocking(G_POLLABLE_OUTPUT_STREAM(out), text,
                                               strlen(text), NULL, NULL);
}

/* Parses one hook line into a candidate; false with *ret_error on garbage. */
static bool parse_line(const char *line, struct seat_candidate *c, const char **ret_error)
{
    g_auto(GStrv) words = g_strsplit(line, " ", 0);
    if (!words[0] || !*words[0]) {
        *ret_error = "empty message";
        return false;
    }
    const char *event = words[0];
    if (strcmp(event, "display-setup") == 0 || strcmp(event, "greeter-setup") == 0)
        c->klass = SEAT_CLASS_GREETER;
    else if (strcmp(event, "session-setup") == 0)
        c->klass = SEAT_CLASS_USER;
    else if (strcmp(event, "session-cleanup") == 0)
        c->ended = true;
    else {
        *ret_error = "unknown event";
        return false;
    }
    for (int i = 1; words[i]; i++) {
        char *eq = strchr(words[i], '=');
        if (!eq)
            continue;
        *eq = '\0';
        char *value = g_uri_unescape_string(eq + 1, NULL);
        if (!value)
            continue;
        char **slot = strcmp(words[i], "DISPLAY") == 0      ? &c->display
                      : strcmp(words[i], "XAUTHORITY") == 0 ? &c->xauthority
                      : strcmp(words[i], "USER") == 0       ? &c->user
                                                            : NULL;
        if (slot && *value) {
            g_free(*slot);
            *slot = value;
        } else {
            g_free(value);
        }
    }
    if (!c->ended && !c->display) {
        *ret_error = "no DISPLAY";
        return false;
    }
    c->type = g_strdup("x11");
    c->session = g_strdup("dm-hook");
    return true;
}

static void on_line(GObject *source, GAsyncResult *res, gpointer data)
{
    struct hook_conn *hc = data;
    g_autoptr(GError) error = NULL;
    gsize len = 0;
    g_autofree char *line =
        g_data_input_stream_read_line_finish(G_DATA_INPUT_STREAM(source), res, &len, &error);
    if (!line) {
        g_message("seat: dm-hook connection closed without a message%s%s",
                  error ? ": " : "", error ? error->message : "");
        conn_free(hc);
        return;
    }
    const char *why = NULL;
    struct seat_candidate c = {.uid = -1};
    if (len > DM_HOOK_MAX_LINE) {
        why = "message too long";
    } else if (!parse_line(line, &c, &why)) {
        seat_candidate_clear(&c);
    } else {
        g_message("seat: dm-hook: %.*s", (int)MIN(len, 200), line);
        seat_offer(hc->hook->seat, "dm-hook", &c);
        reply(hc, "ok\n");
        conn_free(hc);
        return;
    }
    g_message("seat: refused a dm-hook message: %s", why);
    g_autofree char *answer = g_strdup_printf("error: %s\n", why);
    reply(hc, answer);
    conn_free(hc);
}

static gboolean on_incoming(GSocketService *service, GSocketConnection *conn, GObject *source,
                            gpointer data)
{
    struct seat_hook *hook = data;
    g_autoptr(GError) error = NULL;
    g_autoptr(GCredentials) cred = g_socket_get_credentials(g_socket_connection_get_socket(conn),
                                                            &error);
    uid_t uid = cred ? g_credentials_get_unix_user(cred, NULL) : (uid_t)-1;
    if (uid != 0) {
        g_message("seat: refused a dm-hook connection from uid %d: only root may send hooks",
                  (int)uid);
        return TRUE;
    }
    struct hook_conn *hc = g_new0(struct hook_conn, 1);
    hc->hook = hook;
    hc->conn = g_object_ref(conn);
    hc->in = g_data_input_stream_new(g_io_stream_get_input_stream(G_IO_STREAM(conn)));
    g_buffered_input_stream_set_buffer_size(G_BUFFERED_INPUT_STREAM(hc->in), DM_HOOK_MAX_LINE);
    g_data_input_stream_read_line_async(hc->in, G_PRIORITY_DEFAULT, NULL, on_line, hc);
    return TRUE;
}

struct seat_hook *seat_hook_create(struct seat *seat, const char *path, char **ret_error)
{
    g_autofree char *dir = g_path_get_dirname(path);
    if (g_mkdir_with_parents(dir, 0755) != 0) {
        *ret_error = g_strdup_printf("cannot create %s for the dm-hook socket: %s", dir,
                                     g_strerror(errno));
        return NULL;
    }
    /* A socket left by a service that died: nobody can be listening on it
     * while we start (one service per machine). */
    struct stat st;
    if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
        g_unlink(path);
    struct seat_hook *hook = g_new0(struct seat_hook, 1);
    hook->seat = seat;
    hook->path = g_strdup(path);
    hook->service = g_socket_service_new();
    g_autoptr(GSocketAddress) addr = g_unix_socket_address_new(path);
    g_autoptr(GError) error = NULL;
    mode_t old = umask(0177);
    bool ok = g_socket_listener_add_address(G_SOCKET_LISTENER(hook->service), addr,
                                            G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_DEFAULT, NULL,
                                            NULL, &error);
    umask(old);
    if (!ok) {
        *ret_error = g_strdup_printf("cannot listen for display-manager hooks on %s: %s", path,
                                     error->message);
        seat_hook_destroy(hook);
        return NULL;
    }
    g_chmod(path, 0600);
    g_signal_connect(hook->service, "incoming", G_CALLBACK(on_incoming), hook);
    g_socket_service_start(hook->service);
    return hook;
}

void seat_hook_destroy(struct seat_hook *hook)
{
    if (!hook)
        return;
    if (hook->service) {
        g_socket_service_stop(hook->service);
        g_socket_listener_close(G_SOCKET_LISTENER(hook->service));
        g_object_unref(hook->service);
        g_unlink(hook->path);
    }
    g_free(hook->path);
    g_free(hook);
}
