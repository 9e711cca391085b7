/* clipboard-mutter: GNOME's clipboard through the clipboard methods of the
 * agent's Mutter remote-desktop session (org.gnome.Mutter.RemoteDesktop.
 * Session: EnableClipboard, SetSelection, SelectionRead, SelectionWrite,
 * SelectionWriteDone; signals SelectionOwnerChanged, SelectionTransfer).
 *
 * Mutter lets only the session's creator use it, so the composition root
 * hands us its connection and tells us when its session starts and ends; we
 * enable the clipboard on every new session. Mutter shares CLIPBOARD only
 * (no PRIMARY). Reading: SelectionRead returns the read end of a pipe that
 * mutter fills from the owner; one read at a time (mutter refuses parallel
 * reads). Writing: SelectionTransfer asks for a MIME type under a serial,
 * SelectionWrite returns the write end of a pipe for it, and
 * SelectionWriteDone says how it went. Pipes are watched on the GLib loop,
 * non-blocking, reads capped at the size limit. */
#include "display/clipboard-priv.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <gio/gunixfdlist.h>
#include <glib-unix.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

#include "display/clipboard-mime.h"

#define RD_NAME         "org.gnome.Mutter.RemoteDesktop"
#define RD_SESSION      "org.gnome.Mutter.RemoteDesktop.Session"
#define CALL_TIMEOUT_MS 10000
#define READ_TIMEOUT_S  10
#define WRITE_TIMEOUT_S 30
#define READ_CHUNK      65536

/* A read from the desktop's owner, or a write to a desktop client. */
struct transfer {
    struct cmutter *m;
    int format;
    uint32_t serial; /* write: mutter's transfer serial */
    int fd;
    guint watch, timeout;
    GByteArray *buf; /* read */
    bool overflow;
    size_t seen;  /* read: bytes seen when it overflowed */
    GBytes *data; /* write */
    size_t off;
    GCancellable *cancel; /* read: its SelectionRead */
};

struct cmutter {
    struct clipboard *c;
    struct clipboard_remote_desktop rd;
    size_t max_size;
    char *path;           /* the started session, NULL when none */
    GCancellable *cancel; /* calls of this session */
    guint owner_sub, transfer_sub;

    /* The desktop's CLIPBOARD: the best type per format, NULL for none. */
    char *mime_of[CLIPBOARD_N_FORMATS];
    bool reported;
    struct transfer *read; /* also while SelectionRead is under way */
    int next_format;       /* one queued request, or -1 */

    /* Held for the peer. */
    unsigned offered;
    GBytes *cache[CLIPBOARD_N_FORMATS];
    bool asked[CLIPBOARD_N_FORMATS];
    GQueue waiters; /* struct transfer, serial set, no fd yet */
    GList *writes;  /* struct transfer with an fd */
};

static void transfer_free(struct transfer *t)
{
    if (!t)
        return;
    if (t->watch)
        g_source_remove(t->watch);
    if (t->timeout)
        g_source_remove(t->timeout);
    if (t->fd >= 0)
        close(t->fd);
    if (t->buf)
        g_byte_array_unref(t->buf);
    if (t->data)
        g_bytes_unref(t->data);
    if (t->cancel) {
        g_cancellable_cancel(t->cancel);
        g_object_unref(t->cancel);
    }
    g_free(t);
}

static void call(struct cmutter *m, const char *method, GVariant *args, const char *reply_type,
                 GAsyncReadyCallback done, gpointer data)
{
    g_dbus_connection_call(m->rd.bus, RD_NAME, m->path, RD_SESSION, method, args,
                           reply_type ? G_VARIANT_TYPE(reply_type) : NULL,
                           G_DBUS_CALL_FLAGS_NO_AUTO_START, CALL_TIMEOUT_MS, m->cancel, done, data);
}

/* Logs a failed fire-and-forget call. */
static void on_call_done(GObject *source, GAsyncResult *res, gpointer data)
{
    const char *what = data;
    g_autoptr(GError) error = NULL;
    g_autoptr(GVariant) reply =
        g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), res, &error);
    if (!reply && !g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
        g_dbus_error_strip_remote_error(error);
        g_warning("clipboard: mutter refused %s: %s", what, error->message);
    }
}

/* a{sv} with "mime-types" for @formats (none when 0). */
static GVariant *selection_options(unsigned formats)
{
    GVariantBuilder b;
    g_variant_builder_init(&b, G_VARIANT_TYPE_VARDICT);
    if (formats) {
        GVariantBuilder types;
        g_variant_builder_init(&types, G_VARIANT_TYPE_STRING_ARRAY);
        for (int f = 0; f < CLIPBOARD_N_FORMATS; f++) {
            if (!(formats & (1u << f)))
                continue;
            size_t n;
            const char *const *offered = clipboard_mime_offered(f, &n);
            for (size_t i = 0; i < n; i++)
                g_variant_builder_add(&types, "s", offered[i]);
        }
        g_variant_builder_add(&b, "{sv}", "mime-types", g_variant_builder_end(&types));
    }
    return g_variant_builder_end(&b);
}

/* --- reading from the desktop --- */

static void start_request(struct cmutter *m, int format);

static void finish_read(struct cmutter *m, bool ok)
{
    struct transfer *t = m->read;
    m->read = NULL;
    const struct clipboard_listener *l = &m->c->listener;
    const char *mime = m->mime_of[t->format];
    if (!ok || !mime || !t->buf) {
        l->data(CLIPBOARD_SEL_CLIPBOARD, t->format, NULL, 0, l->user_data);
    } else if (t->overflow) {
        l->data(CLIPBOARD_SEL_CLIPBOARD, t->format, NULL, t->seen, l->user_data);
    } else {
        size_t n = 0;
        g_autofree uint8_t *out =
            clipboard_mime_normalize(t->format, mime, t->buf->data, t->buf->len, &n);
        l->data(CLIPBOARD_SEL_CLIPBOARD, t->format, out, out ? n : 0, l->user_data);
    }
    transfer_free(t);
    if (m->next_format >= 0 && !m->read) {
        int f = m->next_format;
        m->next_format = -1;
        start_request(m, f);
    }
}

static gboolean on_read_ready(gint fd, GIOCondition cond, gpointer data)
{
    struct transfer *t = data;
    struct cmutter *m = t->m;
    uint8_t chunk[READ_CHUNK];
    for (;;) {
        ssize_t n = read(fd, chunk, sizeof chunk);
        if (n > 0) {
            if (t->buf->len + (size_t)n > m->max_size) {
                t->overflow = true;
                t->seen = t->buf->len + (size_t)n;
                t->watch = 0;
                finish_read(m, true);
                return G_SOURCE_REMOVE;
            }
            g_byte_array_append(t->buf, chunk, (guint)n);
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            return G_SOURCE_CONTINUE;
        t->watch = 0;
        if (n < 0)
            g_debug("clipboard: reading GNOME's clipboard failed: %s", g_strerror(errno));
        finish_read(m, n == 0);
        return G_SOURCE_REMOVE;
    }
}

static gboolean on_read_timeout(gpointer data)
{
    struct transfer *t = data;
    t->timeout = 0;
    g_debug("clipboard: GNOME's clipboard owner did not finish within %d s", READ_TIMEOUT_S);
    finish_read(t->m, false);
    return G_SOURCE_REMOVE;
}

/* The fd of an (h) reply with its fd list; -1 when there is none. */
static int reply_fd(GVariant *reply, GUnixFDList *fds)
{
    gint32 handle = -1;
    g_variant_get(reply, "(h)", &handle);
    if (!fds || handle < 0 || handle >= g_unix_fd_list_get_length(fds))
        return -1;
    return g_unix_fd_list_get(fds, handle, NULL);
}

static void on_read_opened(GObject *source, GAsyncResult *res, gpointer data)
{
    struct transfer *t = data;
    g_autoptr(GError) error = NULL;
    g_autoptr(GUnixFDList) fds = NULL;
    g_autoptr(GVariant) reply = g_dbus_connection_call_with_unix_fd_list_finish(
        G_DBUS_CONNECTION(source), &fds, res, &error);
    if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return; /* @t is gone: its read ended (timeout, new owner, session end) */
    struct cmutter *m = t->m;
    if (!reply) {
        g_dbus_error_strip_remote_error(error);
        g_debug("clipboard: mutter refused to read its clipboard: %s", error->message);
        finish_read(m, false);
        return;
    }
    t->fd = reply_fd(reply, fds);
    if (t->fd < 0 || !g_unix_set_fd_nonblocking(t->fd, TRUE, NULL)) {
        finish_read(m, false);
        return;
    }
    t->buf = g_byte_array_new();
    t->watch = g_unix_fd_add(t->fd, G_IO_IN | G_IO_HUP | G_IO_ERR, on_read_ready, t);
}

static void start_request(struct cmutter *m, int format)
{
    const struct clipboard_listener *l = &m->c->listener;
    const char *mime = m->mime_of[format];
    if (!mime || !m->path) {
        l->data(CLIPBOARD_SEL_CLIPBOARD, format, NULL, 0, l->user_data);
        return;
    }
    struct transfer *t = g_new0(struct transfer, 1);
    t->m = m;
    t->format = format;
    t->fd = -1;
    t->timeout = g_timeout_add_seconds(READ_TIMEOUT_S, on_read_timeout, t);
    t->cancel = g_cancellable_new();
    m->read = t;
    g_dbus_connection_call_with_unix_fd_list(m->rd.bus, RD_NAME, m->path, RD_SESSION,
                                             "SelectionRead", g_variant_new("(s)", mime),
                                             G_VARIANT_TYPE("(h)"), G_DBUS_CALL_FLAGS_NO_AUTO_START,
                                             CALL_TIMEOUT_MS, NULL, t->cancel, on_read_opened, t);
}

/* --- what the desktop holds --- */

static void forget_desktop(struct cmutter *m)
{
    for (int f = 0; f < CLIPBOARD_N_FORMATS; f++)
        g_clear_pointer(&m->mime_of[f], g_free);
}

static void forget_owned(struct cmutter *m);

static void on_owner_changed(GDBusConnection *bus, const char *sender, const char *path,
                             const char *iface, const char *signal, GVariant *params, gpointer data)
{
    struct cmutter *m = data;
    if (!g_variant_is_of_type(params, G_VARIANT_TYPE("(a{sv})")) || g_strcmp0(path, m->path))
        return;
    g_autoptr(GVariant) options = g_variant_get_child_value(params, 0);
    gboolean ours = FALSE;
    g_variant_lookup(options, "session-is-owner", "b", &ours);
    if (ours)
        return; /* our own SetSelection, held for the peer */
    if (m->read)
        finish_read(m, false);
    forget_desktop(m);
    /* mutter 43 to 48 send the types as a tuple holding the array; take a
     * bare array too. */
    g_autoptr(GVariant) types = g_variant_lookup_value(options, "mime-types", NULL);
    if (types && g_variant_is_of_type(types, G_VARIANT_TYPE("(as)"))) {
        GVariant *inner = g_variant_get_child_value(types, 0);
        g_variant_unref(types);
        types = inner;
    }
    int rank[CLIPBOARD_N_FORMATS] = {0};
    if (types && g_variant_is_of_type(types, G_VARIANT_TYPE_STRING_ARRAY)) {
        GVariantIter it;
        const char *mime;
        g_variant_iter_init(&it, types);
        while (g_variant_iter_next(&it, "&s", &mime)) {
            for (int f = 0; f < CLIPBOARD_N_FORMATS; f++) {
                int r = clipboard_mime_rank(f, mime);
                if (r >= 0 && (!m->mime_of[f] || r < rank[f])) {
                    g_free(m->mime_of[f]);
                    m->mime_of[f] = g_strdup(mime);
                    rank[f] = r;
                }
            }
        }
    }
    unsigned formats = 0;
    for (int f = 0; f < CLIPBOARD_N_FORMATS; f++)
        if (m->mime_of[f])
            formats |= 1u << f;
    const struct clipboard_listener *l = &m->c->listener;
    if (formats) {
        /* The desktop took the clipboard from the peer. */
        forget_owned(m);
        m->reported = true;
        l->grabbed(CLIPBOARD_SEL_CLIPBOARD, formats, l->user_data);
    } else if (m->reported) {
        m->reported = false;
        l->released(CLIPBOARD_SEL_CLIPBOARD, l->user_data);
    }
}

/* --- writing to desktop clients --- */

static void write_done(struct transfer *t, bool ok)
{
    struct cmutter *m = t->m;
    m->writes = g_list_remove(m->writes, t);
    t->watch = 0;
    if (m->path)
        call(m, "SelectionWriteDone", g_variant_new("(ub)", t->serial, ok), NULL, on_call_done,
             (gpointer) "SelectionWriteDone");
    transfer_free(t);
}

static gboolean on_write_ready(gint fd, GIOCondition cond, gpointer data)
{
    struct transfer *t = data;
    size_t len = 0;
    const uint8_t *bytes = t->data ? g_bytes_get_data(t->data, &len) : NULL;
    while (t->off < len) {
        ssize_t n = write(fd, bytes + t->off, len - t->off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            return G_SOURCE_CONTINUE;
        if (n < 0) {
            g_debug("clipboard: a GNOME client stopped reading: %s", g_strerror(errno));
            write_done(t, false);
            return G_SOURCE_REMOVE;
        }
        t->off += (size_t)n;
    }
    write_done(t, bytes != NULL);
    return G_SOURCE_REMOVE;
}

static gboolean on_write_timeout(gpointer data)
{
    struct transfer *t = data;
    t->timeout = 0;
    g_debug("clipboard: a GNOME client did not read within %d s", WRITE_TIMEOUT_S);
    if (t->watch)
        g_source_remove(t->watch);
    write_done(t, false);
    return G_SOURCE_REMOVE;
}

static void on_write_opened(GObject *source, GAsyncResult *res, gpointer data)
{
    struct transfer *t = data;
    g_autoptr(GError) error = NULL;
    g_autoptr(GUnixFDList) fds = NULL;
    g_autoptr(GVariant) reply = g_dbus_connection_call_with_unix_fd_list_finish(
        G_DBUS_CONNECTION(source), &fds, res, &error);
    if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
        transfer_free(t); /* the session ended; not in any list */
        return;
    }
    struct cmutter *m = t->m;
    if (reply)
        t->fd = reply_fd(reply, fds);
    if (t->fd < 0 || !g_unix_set_fd_nonblocking(t->fd, TRUE, NULL)) {
        if (!reply) {
            g_dbus_error_strip_remote_error(error);
            g_debug("clipboard: mutter refused SelectionWrite: %s", error->message);
        }
        if (m->path)
            call(m, "SelectionWriteDone", g_variant_new("(ub)", t->serial, FALSE), NULL,
                 on_call_done, (gpointer) "SelectionWriteDone");
        transfer_free(t);
        return;
    }
    /* No data (the peer refused): closing the pipe pastes nothing. */
    m->writes = g_list_prepend(m->writes, t);
    t->watch = g_unix_fd_add(t->fd, G_IO_OUT | G_IO_ERR | G_IO_HUP, on_write_ready, t);
    t->timeout = g_timeout_add_seconds(WRITE_TIMEOUT_S, on_write_timeout, t);
}

/* Answers the transfer @t with @data (NULL: refuse). Takes @t. */
static void start_write(struct cmutter *m, struct transfer *t, GBytes *data)
{
    t->data = data ? g_bytes_ref(data) : NULL;
    g_dbus_connection_call_with_unix_fd_list(m->rd.bus, RD_NAME, m->path, RD_SESSION,
                                             "SelectionWrite", g_variant_new("(u)", t->serial),
                                             G_VARIANT_TYPE("(h)"), G_DBUS_CALL_FLAGS_NO_AUTO_START,
                                             CALL_TIMEOUT_MS, NULL, m->cancel, on_write_opened, t);
}

static void refuse_waiters(struct cmutter *m, int format)
{
    for (GList *l = m->waiters.head; l;) {
        GList *next = l->next;
        struct transfer *t = l->data;
        if (format < 0 || t->format == format) {
            g_queue_delete_link(&m->waiters, l);
            if (m->path)
                start_write(m, t, NULL);
            else
                transfer_free(t);
        }
        l = next;
    }
}

static void forget_owned(struct cmutter *m)
{
    refuse_waiters(m, -1);
    for (int f = 0; f < CLIPBOARD_N_FORMATS; f++) {
        g_clear_pointer(&m->cache[f], g_bytes_unref);
        m->asked[f] = false;
    }
    m->offered = 0;
}

static void on_transfer(GDBusConnection *bus, const char *sender, const char *path,
                        const char *iface, const char *signal, GVariant *params, gpointer data)
{
    struct cmutter *m = data;
    if (!g_variant_is_of_type(params, G_VARIANT_TYPE("(su)")) || g_strcmp0(path, m->path))
        return;
    const char *mime;
    guint32 serial;
    g_variant_get(params, "(&su)", &mime, &serial);
    struct transfer *t = g_new0(struct transfer, 1);
    t->m = m;
    t->fd = -1;
    t->serial = serial;
    t->format = clipboard_mime_format_of_offered(mime);
    if (t->format < 0 || !(m->offered & (1u << t->format))) {
        g_debug("clipboard: a GNOME client asked for %s, which the peer does not offer", mime);
        start_write(m, t, NULL);
        return;
    }
    if (m->cache[t->format]) {
        start_write(m, t, m->cache[t->format]);
        return;
    }
    g_queue_push_tail(&m->waiters, t);
    if (!m->asked[t->format]) {
        m->asked[t->format] = true;
        const struct clipboard_listener *l = &m->c->listener;
        l->request(CLIPBOARD_SEL_CLIPBOARD, t->format, l->user_data);
    }
}

/* --- the session coming and going --- */

static void session_end(struct cmutter *m)
{
    if (m->cancel) {
        g_cancellable_cancel(m->cancel);
        g_clear_object(&m->cancel);
    }
    if (m->owner_sub)
        g_dbus_connection_signal_unsubscribe(m->rd.bus, m->owner_sub);
    if (m->transfer_sub)
        g_dbus_connection_signal_unsubscribe(m->rd.bus, m->transfer_sub);
    m->owner_sub = m->transfer_sub = 0;
    g_clear_pointer(&m->path, g_free);
    if (m->read)
        finish_read(m, false);
    /* Waiting desktop clients went with the session. */
    g_queue_clear_full(&m->waiters, (GDestroyNotify)transfer_free);
    g_list_free_full(g_steal_pointer(&m->writes), (GDestroyNotify)transfer_free);
    for (int f = 0; f < CLIPBOARD_N_FORMATS; f++)
        m->asked[f] = false;
    forget_desktop(m);
    if (m->reported) {
        m->reported = false;
        const struct clipboard_listener *l = &m->c->listener;
        l->released(CLIPBOARD_SEL_CLIPBOARD, l->user_data);
    }
}

static void on_session(const char *path, void *data)
{
    struct cmutter *m = data;
    session_end(m);
    if (!path)
        return;
    m->path = g_strdup(path);
    m->cancel = g_cancellable_new();
    m->owner_sub = g_dbus_connection_signal_subscribe(
        m->rd.bus, NULL, RD_SESSION, "SelectionOwnerChanged", m->path, NULL,
        G_DBUS_SIGNAL_FLAGS_NONE, on_owner_changed, m, NULL);
    m->transfer_sub = g_dbus_connection_signal_subscribe(
        m->rd.bus, NULL, RD_SESSION, "SelectionTransfer", m->path, NULL, G_DBUS_SIGNAL_FLAGS_NONE,
        on_transfer, m, NULL);
    /* With the peer's types, enabling also takes the selection for it;
     * without, mutter tells us who holds it now. */
    call(m, "EnableClipboard", g_variant_new("(@a{sv})", selection_options(m->offered)), NULL,
         on_call_done, (gpointer) "to share its clipboard");
    g_debug("clipboard: sharing GNOME's clipboard through %s", path);
}

/* --- ops --- */

static int cm_create(struct clipboard *c, const struct clipboard_config *config, char **ret_error)
{
    const struct clipboard_remote_desktop *rd = config->remote_desktop;
    if (!rd || !rd->bus || !rd->watch) {
        *ret_error = g_strdup("clipboard: GNOME's clipboard needs the agent's Mutter "
                              "remote-desktop session (--capture=mutter)");
        return -EINVAL;
    }
    struct cmutter *m = g_new0(struct cmutter, 1);
    m->c = c;
    m->rd = *rd;
    g_object_ref(m->rd.bus);
    m->max_size = config->max_size;
    m->next_format = -1;
    g_queue_init(&m->waiters);
    c->priv = m;
    m->rd.watch(m->rd.data, on_session, m);
    return 0;
}

static void cm_destroy(struct clipboard *c)
{
    struct cmutter *m = c->priv;
    m->rd.watch(m->rd.data, NULL, NULL);
    /* No listener calls from here on. */
    m->reported = false;
    m->next_format = -1;
    if (m->read) {
        transfer_free(m->read);
        m->read = NULL;
    }
    session_end(m);
    forget_owned(m);
    g_object_unref(m->rd.bus);
    g_free(m);
}

static void cm_own(struct clipboard *c, int sel, unsigned formats)
{
    struct cmutter *m = c->priv;
    if (sel != CLIPBOARD_SEL_CLIPBOARD)
        return; /* mutter shares no PRIMARY */
    forget_owned(m);
    if (m->read)
        finish_read(m, false);
    forget_desktop(m);
    m->reported = false; /* the peer's grab supersedes what the desktop offered */
    m->offered = formats;
    if (m->path)
        call(m, "SetSelection", g_variant_new("(@a{sv})", selection_options(formats)), NULL,
             on_call_done, (gpointer) "to take the clipboard for the client");
}

static void cm_disown(struct clipboard *c, int sel)
{
    struct cmutter *m = c->priv;
    if (sel != CLIPBOARD_SEL_CLIPBOARD || !m->offered)
        return;
    forget_owned(m);
    if (m->path)
        call(m, "SetSelection", g_variant_new("(@a{sv})", selection_options(0)), NULL, on_call_done,
             (gpointer) "to give the clipboard back");
}

static void cm_request(struct clipboard *c, int sel, int format)
{
    struct cmutter *m = c->priv;
    const struct clipboard_listener *l = &c->listener;
    if (sel != CLIPBOARD_SEL_CLIPBOARD) {
        l->data(sel, format, NULL, 0, l->user_data);
        return;
    }
    if (m->read) {
        if (m->next_format >= 0) /* one queued request at a time */
            l->data(sel, m->next_format, NULL, 0, l->user_data);
        m->next_format = format;
        return;
    }
    start_request(m, format);
}

static void cm_provide(struct clipboard *c, int sel, int format, const uint8_t *data, size_t len)
{
    struct cmutter *m = c->priv;
    if (sel != CLIPBOARD_SEL_CLIPBOARD)
        return;
    m->asked[format] = false;
    if (!m->offered)
        return;
    if (!data) {
        refuse_waiters(m, format);
        return;
    }
    g_clear_pointer(&m->cache[format], g_bytes_unref);
    m->cache[format] = g_bytes_new(data, len);
    for (GList *l = m->waiters.head; l;) {
        GList *next = l->next;
        struct transfer *t = l->data;
        if (t->format == format) {
            g_queue_delete_link(&m->waiters, l);
            start_write(m, t, m->cache[format]);
        }
        l = next;
    }
}

const struct clipboard_ops clipboard_mutter_ops = {
    .name = "mutter",
    .create = cm_create,
    .destroy = cm_destroy,
    .own = cm_own,
    .disown = cm_disown,
    .request = cm_request,
    .provide = cm_provide,
};
