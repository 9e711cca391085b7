/* clipboard-wlr: the selections of a wlroots compositor's seat (sway)
 * through zwlr_data_control_manager_v1.
 *
 * The compositor announces each new selection as an offer with its MIME
 * types; we report it when it has text or an image we can use. Reading and
 * writing go through pipes watched on the GLib loop: an offer's data is read
 * (non-blocking, capped at the size limit) until the writer closes its end;
 * a desktop client pasting what we hold for the peer gets the peer's data
 * written into its pipe, in chunks as the pipe takes them. Our own sources
 * carry a private marker type, so that the offer the compositor makes of
 * them is not mistaken for a new grab. Own wl_display connection, on the
 * GLib loop through display/wayland-source. */
#define _GNU_SOURCE /* pipe2 */
#include "display/clipboard-priv.h"

#include <errno.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <glib.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>
#include <wayland-client.h>

#include "display/wayland-source.h"
#include "display/clipboard-mime.h"
#include "wlr-data-control-unstable-v1-client-protocol.h"

#define READ_TIMEOUT_S  10
#define WRITE_TIMEOUT_S 30
#define READ_CHUNK      65536
/* Marks our own sources (see above). */
#define OWN_MARKER "application/x-thindesk-clipboard"

struct offer {
    struct zwlr_data_control_offer_v1 *offer;
    bool ours;
    const char *mime_of[CLIPBOARD_N_FORMATS]; /* static strings of clipboard-mime */
    int rank[CLIPBOARD_N_FORMATS];            /* of mime_of in clipboard-mime */
};

/* A read from a desktop owner, or a write to a desktop client. */
struct transfer {
    struct clipboard_wlr *w;
    int sel, format;
    int fd;
    guint watch, timeout;
    GByteArray *buf; /* read */
    bool overflow;
    GBytes *data; /* write */
    size_t off;   /* written so far; read: bytes seen when it overflowed */
};

struct wsel {
    struct offer *current; /* the desktop's selection, NULL when empty or ours */
    bool reported;
    struct transfer *read;
    int next_format; /* one queued request, or -1 */
    /* held for the peer */
    struct zwlr_data_control_source_v1 *source;
    unsigned offered;
    GBytes *cache[CLIPBOARD_N_FORMATS];
    bool asked[CLIPBOARD_N_FORMATS];
    GQueue waiters; /* struct transfer without data yet */
};

struct clipboard_wlr {
    struct clipboard *c;
    char *name;
    size_t max_size;
    struct wl_display *display;
    struct wl_registry *registry;
    struct wl_seat *seat;
    struct zwlr_data_control_manager_v1 *manager;
    uint32_t manager_version;
    struct zwlr_data_control_device_v1 *device;
    struct wayland_source *source;
    struct wsel sel[CLIPBOARD_N_SELECTIONS];
    GList *writes; /* struct transfer */
    bool lost;
};

static const char *const sel_names[] = {"CLIPBOARD", "PRIMARY"};

static void flush(struct clipboard_wlr *w)
{
    wayland_source_flush(w->source);
}

/* --- offers --- */

static void offer_free(struct offer *o)
{
    if (!o)
        return;
    zwlr_data_control_offer_v1_destroy(o->offer);
    g_free(o);
}

static void on_offer_type(void *data, struct zwlr_data_control_offer_v1 *offer, const char *mime)
{
    struct offer *o = data;
    if (strcmp(mime, OWN_MARKER) == 0) {
        o->ours = true;
        return;
    }
    for (int f = 0; f < CLIPBOARD_N_FORMATS; f++) {
        int r = clipboard_mime_rank(f, mime);
        if (r >= 0 && (!o->mime_of[f] || r < o->rank[f])) {
            o->mime_of[f] = clipboard_mime_static(f, mime);
            o->rank[f] = r;
        }
    }
}

static const struct zwlr_data_control_offer_v1_listener offer_listener = {
    .offer = on_offer_type,
};

static void on_data_offer(void *data, struct zwlr_data_control_device_v1 *device,
                          struct zwlr_data_control_offer_v1 *id)
{
    struct offer *o = g_new0(struct offer, 1);
    o->offer = id;
    zwlr_data_control_offer_v1_add_listener(id, &offer_listener, o);
}

/* --- reading from the desktop --- */

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
    g_free(t);
}

static void start_request(struct clipboard_wlr *w, int sel, int format);

/* Ends the read of @sel: hands its data (or NULL) to the listener. */
static void finish_read(struct clipboard_wlr *w, int sel, bool ok)
{
    struct wsel *s = &w->sel[sel];
    struct transfer *t = s->read;
    s->read = NULL;
    const struct clipboard_listener *l = &w->c->listener;
    const char *mime = s->current ? s->current->mime_of[t->format] : NULL;
    if (!ok || !mime) {
        l->data(sel, t->format, NULL, 0, l->user_data);
    } else if (t->overflow) {
        l->data(sel, t->format, NULL, t->off, l->user_data);
    } else {
        size_t n = 0;
        g_autofree uint8_t *out =
            clipboard_mime_normalize(t->format, mime, t->buf->data, t->buf->len, &n);
        l->data(sel, t->format, out, out ? n : 0, l->user_data);
    }
    transfer_free(t);
    if (s->next_format >= 0 && !s->read) {
        int f = s->next_format;
        s->next_format = -1;
        start_request(w, sel, f);
    }
}

static gboolean on_read_ready(gint fd, GIOCondition cond, gpointer data)
{
    struct transfer *t = data;
    struct clipboard_wlr *w = t->w;
    uint8_t chunk[READ_CHUNK];
    for (;;) {
        ssize_t n = read(fd, chunk, sizeof chunk);
        if (n > 0) {
            if (t->buf->len + (size_t)n > w->max_size) {
                /* Too large: stop here, and say how much there was at least. */
                t->overflow = true;
                t->off = t->buf->len + (size_t)n;
                t->watch = 0;
                finish_read(w, t->sel, true);
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
            g_debug("clipboard: reading %s failed: %s", sel_names[t->sel], g_strerror(errno));
        finish_read(w, t->sel, n == 0);
        return G_SOURCE_REMOVE;
    }
}

static gboolean on_read_timeout(gpointer data)
{
    struct transfer *t = data;
    t->timeout = 0;
    g_debug("clipboard: the owner of %s did not finish within %d s", sel_names[t->sel],
            READ_TIMEOUT_S);
    finish_read(t->w, t->sel, false);
    return G_SOURCE_REMOVE;
}

static void start_request(struct clipboard_wlr *w, int sel, int format)
{
    struct wsel *s = &w->sel[sel];
    const struct clipboard_listener *l = &w->c->listener;
    const char *mime = s->current ? s->current->mime_of[format] : NULL;
    int fds[2];
    if (!mime || w->lost || pipe2(fds, O_CLOEXEC | O_NONBLOCK) < 0) {
        l->data(sel, format, NULL, 0, l->user_data);
        return;
    }
    zwlr_data_control_offer_v1_receive(s->current->offer, mime, fds[1]);
    flush(w);
    close(fds[1]);
    struct transfer *t = g_new0(struct transfer, 1);
    t->w = w;
    t->sel = sel;
    t->format = format;
    t->fd = fds[0];
    t->buf = g_byte_array_new();
    t->watch = g_unix_fd_add(t->fd, G_IO_IN | G_IO_HUP | G_IO_ERR, on_read_ready, t);
    t->timeout = g_timeout_add_seconds(READ_TIMEOUT_S, on_read_timeout, t);
    s->read = t;
}

/* --- what the desktop holds --- */

static void set_current(struct clipboard_wlr *w, int sel, struct zwlr_data_control_offer_v1 *id)
{
    struct wsel *s = &w->sel[sel];
    const struct clipboard_listener *l = &w->c->listener;
    struct offer *o = id ? zwlr_data_control_offer_v1_get_user_data(id) : NULL;
    if (s->read)
        finish_read(w, sel, false);
    offer_free(s->current);
    s->current = NULL;
    if (o && o->ours) {
        /* Our own source, held for the peer: nothing new to report. */
        offer_free(o);
        return;
    }
    s->current = o;
    unsigned formats = 0;
    for (int f = 0; o && f < CLIPBOARD_N_FORMATS; f++)
        if (o->mime_of[f])
            formats |= 1u << f;
    if (formats) {
        s->reported = true;
        l->grabbed(sel, formats, l->user_data);
    } else if (s->reported) {
        s->reported = false;
        l->released(sel, l->user_data);
    }
}

static void on_selection(void *data, struct zwlr_data_control_device_v1 *device,
                         struct zwlr_data_control_offer_v1 *id)
{
    set_current(data, CLIPBOARD_SEL_CLIPBOARD, id);
}

static void on_primary_selection(void *data, struct zwlr_data_control_device_v1 *device,
                                 struct zwlr_data_control_offer_v1 *id)
{
    set_current(data, CLIPBOARD_SEL_PRIMARY, id);
}

static void forget_owned(struct clipboard_wlr *w, struct wsel *s);

static void on_finished(void *data, struct zwlr_data_control_device_v1 *device)
{
    struct clipboard_wlr *w = data;
    g_warning("clipboard: the compositor ended clipboard access (the seat went away)");
    for (int i = 0; i < CLIPBOARD_N_SELECTIONS; i++) {
        forget_owned(w, &w->sel[i]);
        set_current(w, i, NULL);
    }
    zwlr_data_control_device_v1_destroy(w->device);
    w->device = NULL;
}

static const struct zwlr_data_control_device_v1_listener device_listener = {
    .data_offer = on_data_offer,
    .selection = on_selection,
    .finished = on_finished,
    .primary_selection = on_primary_selection,
};

/* --- writing to desktop clients (we hold a selection for the peer) --- */

static void write_done(struct transfer *t)
{
    t->w->writes = g_list_remove(t->w->writes, t);
    t->watch = 0;
    transfer_free(t);
}

static gboolean on_write_ready(gint fd, GIOCondition cond, gpointer data)
{
    struct transfer *t = data;
    size_t len;
    const uint8_t *bytes = g_bytes_get_data(t->data, &len);
    while (t->off < len) {
        ssize_t n = write(fd, bytes + t->off, len - t->off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            return G_SOURCE_CONTINUE;
        if (n < 0) {
            g_debug("clipboard: a client stopped reading %s: %s", sel_names[t->sel],
                    g_strerror(errno));
            break;
        }
        t->off += (size_t)n;
    }
    write_done(t);
    return G_SOURCE_REMOVE;
}

static gboolean on_write_timeout(gpointer data)
{
    struct transfer *t = data;
    t->timeout = 0;
    g_debug("clipboard: a client did not read %s within %d s", sel_names[t->sel], WRITE_TIMEOUT_S);
    if (t->watch)
        g_source_remove(t->watch);
    write_done(t);
    return G_SOURCE_REMOVE;
}

/* Takes @t (a waiter, with its fd) and starts writing @data into it. */
static void start_write(struct clipboard_wlr *w, struct transfer *t, GBytes *data)
{
    t->data = g_bytes_ref(data);
    int flags = fcntl(t->fd, F_GETFL);
    if (flags >= 0)
        fcntl(t->fd, F_SETFL, flags | O_NONBLOCK);
    w->writes = g_list_prepend(w->writes, t);
    t->watch = g_unix_fd_add(t->fd, G_IO_OUT | G_IO_ERR | G_IO_HUP, on_write_ready, t);
    t->timeout = g_timeout_add_seconds(WRITE_TIMEOUT_S, on_write_timeout, t);
}

static void refuse_waiters(struct wsel *s, int format)
{
    for (GList *l = s->waiters.head; l;) {
        GList *next = l->next;
        struct transfer *t = l->data;
        if (format < 0 || t->format == format) {
            g_queue_delete_link(&s->waiters, l);
            transfer_free(t); /* closing the pipe ends the paste empty */
        }
        l = next;
    }
}

static void forget_owned(struct clipboard_wlr *w, struct wsel *s)
{
    refuse_waiters(s, -1);
    for (int f = 0; f < CLIPBOARD_N_FORMATS; f++) {
        g_clear_pointer(&s->cache[f], g_bytes_unref);
        s->asked[f] = false;
    }
    if (s->source)
        zwlr_data_control_source_v1_destroy(s->source);
    s->source = NULL;
    s->offered = 0;
}

static int sel_of_source(struct clipboard_wlr *w, struct zwlr_data_control_source_v1 *source)
{
    for (int i = 0; i < CLIPBOARD_N_SELECTIONS; i++)
        if (w->sel[i].source == source)
            return i;
    return -1;
}

static void on_source_send(void *data, struct zwlr_data_control_source_v1 *source, const char *mime,
                           int32_t fd)
{
    struct clipboard_wlr *w = data;
    int sel = sel_of_source(w, source);
    int format = clipboard_mime_format_of_offered(mime);
    if (sel < 0 || format < 0 || !(w->sel[sel].offered & (1u << format))) {
        close(fd);
        return;
    }
    struct wsel *s = &w->sel[sel];
    struct transfer *t = g_new0(struct transfer, 1);
    t->w = w;
    t->sel = sel;
    t->format = format;
    t->fd = fd;
    if (s->cache[format]) {
        start_write(w, t, s->cache[format]);
        return;
    }
    g_queue_push_tail(&s->waiters, t);
    if (!s->asked[format]) {
        s->asked[format] = true;
        const struct clipboard_listener *l = &w->c->listener;
        l->request(sel, format, l->user_data);
    }
}

static void on_source_cancelled(void *data, struct zwlr_data_control_source_v1 *source)
{
    struct clipboard_wlr *w = data;
    int sel = sel_of_source(w, source);
    if (sel >= 0) {
        /* A desktop client took the selection from the peer. */
        forget_owned(w, &w->sel[sel]);
        return;
    }
    zwlr_data_control_source_v1_destroy(source);
}

static const struct zwlr_data_control_source_v1_listener source_listener = {
    .send = on_source_send,
    .cancelled = on_source_cancelled,
};

/* --- globals and connection --- */

static void on_global(void *data, struct wl_registry *registry, uint32_t name,
                      const char *interface, uint32_t version)
{
    struct clipboard_wlr *w = data;
    if (strcmp(interface, wl_seat_interface.name) == 0 && !w->seat) {
        w->seat = wl_registry_bind(registry, name, &wl_seat_interface, 1);
    } else if (strcmp(interface, zwlr_data_control_manager_v1_interface.name) == 0 && !w->manager) {
        w->manager_version = MIN(version, 2);
        w->manager = wl_registry_bind(registry, name, &zwlr_data_control_manager_v1_interface,
                                      w->manager_version);
    }
}

static void on_global_remove(void *data, struct wl_registry *registry, uint32_t name)
{
}

static const struct wl_registry_listener registry_listener = {
    .global = on_global,
    .global_remove = on_global_remove,
};

static void on_lost(const char *why, void *data)
{
    struct clipboard_wlr *w = data;
    w->lost = true;
    g_warning("clipboard: Wayland compositor %s: %s; clipboard sharing stops", w->name, why);
}

static void wlr_free(struct clipboard_wlr *w)
{
    for (int i = 0; i < CLIPBOARD_N_SELECTIONS; i++) {
        struct wsel *s = &w->sel[i];
        transfer_free(s->read);
        s->read = NULL;
        forget_owned(w, s);
        offer_free(s->current);
    }
    g_list_free_full(w->writes, (GDestroyNotify)transfer_free);
    wayland_source_destroy(w->source);
    if (w->device)
        zwlr_data_control_device_v1_destroy(w->device);
    if (w->manager)
        zwlr_data_control_manager_v1_destroy(w->manager);
    if (w->seat)
        wl_seat_destroy(w->seat);
    if (w->registry)
        wl_registry_destroy(w->registry);
    if (w->display)
        wl_display_disconnect(w->display);
    g_free(w->name);
    g_free(w);
}

static int cwlr_create(struct clipboard *c, const struct clipboard_config *config, char **ret_error)
{
    const char *name = config->display ? config->display : g_getenv("WAYLAND_DISPLAY");
    if (!name || !*name) {
        *ret_error = g_strdup("clipboard: no Wayland display (WAYLAND_DISPLAY is not set)");
        return -EINVAL;
    }
    struct clipboard_wlr *w = g_new0(struct clipboard_wlr, 1);
    w->c = c;
    w->name = g_strdup(name);
    w->max_size = config->max_size;
    for (int i = 0; i < CLIPBOARD_N_SELECTIONS; i++)
        w->sel[i].next_format = -1;
    int rc = -ENODEV;
    w->display = wl_display_connect(name);
    if (!w->display) {
        *ret_error = g_strdup_printf("clipboard: cannot connect to Wayland display %s: %s", name,
                                     g_strerror(errno));
        goto err_free;
    }
    w->registry = wl_display_get_registry(w->display);
    wl_registry_add_listener(w->registry, &registry_listener, w);
    if (wl_display_roundtrip(w->display) < 0) {
        *ret_error = g_strdup_printf("clipboard: Wayland display %s hung up", name);
        goto err_free;
    }
    if (!w->manager || !w->seat) {
        *ret_error = g_strdup_printf(
            "clipboard: the compositor on Wayland display %s offers no %s: clipboard sharing is off",
            name, !w->seat ? "seat" : "data control (zwlr_data_control_manager_v1)");
        goto err_free;
    }
    w->device = zwlr_data_control_manager_v1_get_data_device(w->manager, w->seat);
    zwlr_data_control_device_v1_add_listener(w->device, &device_listener, w);
    c->priv = w;
    /* The current selections arrive with the first events. */
    if (wl_display_roundtrip(w->display) < 0) {
        g_autofree char *why = wayland_source_describe_error(w->display);
        *ret_error =
            g_strdup_printf("clipboard: Wayland display %s: %s", name, why ? why : "hung up");
        c->priv = NULL;
        goto err_free;
    }
    if (w->manager_version < 2)
        g_message("clipboard: the compositor's data control is version 1: PRIMARY is not shared");
    w->source = wayland_source_create(w->display, on_lost, w);
    return 0;

err_free:
    wlr_free(w);
    return rc;
}

static void cwlr_destroy(struct clipboard *c)
{
    wlr_free(c->priv);
}

static void cwlr_own(struct clipboard *c, int sel, unsigned formats)
{
    struct clipboard_wlr *w = c->priv;
    struct wsel *s = &w->sel[sel];
    /* The previous source goes only after the new one holds the selection:
     * clipboard managers never see it empty in between. */
    struct zwlr_data_control_source_v1 *old = s->source;
    s->source = NULL;
    forget_owned(w, s);
    if (s->read)
        finish_read(w, sel, false);
    s->reported = false; /* the peer's grab supersedes what the desktop offered */
    if (w->lost || !w->device || (sel == CLIPBOARD_SEL_PRIMARY && w->manager_version < 2)) {
        if (old)
            zwlr_data_control_source_v1_destroy(old);
        return;
    }
    s->source = zwlr_data_control_manager_v1_create_data_source(w->manager);
    zwlr_data_control_source_v1_add_listener(s->source, &source_listener, w);
    for (int f = 0; f < CLIPBOARD_N_FORMATS; f++) {
        if (!(formats & (1u << f)))
            continue;
        size_t n;
        const char *const *offered = clipboard_mime_offered(f, &n);
        for (size_t i = 0; i < n; i++)
            zwlr_data_control_source_v1_offer(s->source, offered[i]);
    }
    zwlr_data_control_source_v1_offer(s->source, OWN_MARKER);
    s->offered = formats;
    if (sel == CLIPBOARD_SEL_PRIMARY)
        zwlr_data_control_device_v1_set_primary_selection(w->device, s->source);
    else
        zwlr_data_control_device_v1_set_selection(w->device, s->source);
    if (old)
        zwlr_data_control_source_v1_destroy(old);
    flush(w);
}

static void cwlr_disown(struct clipboard *c, int sel)
{
    struct clipboard_wlr *w = c->priv;
    struct wsel *s = &w->sel[sel];
    if (!s->source)
        return;
    forget_owned(w, s);
    if (w->lost || !w->device)
        return;
    if (sel == CLIPBOARD_SEL_PRIMARY)
        zwlr_data_control_device_v1_set_primary_selection(w->device, NULL);
    else
        zwlr_data_control_device_v1_set_selection(w->device, NULL);
    flush(w);
}

static void cwlr_request(struct clipboard *c, int sel, int format)
{
    struct clipboard_wlr *w = c->priv;
    struct wsel *s = &w->sel[sel];
    if (s->read) {
        const struct clipboard_listener *l = &c->listener;
        if (s->next_format >= 0) /* one queued request at a time */
            l->data(sel, s->next_format, NULL, 0, l->user_data);
        s->next_format = format;
        return;
    }
    start_request(w, sel, format);
}

static void cwlr_provide(struct clipboard *c, int sel, int format, const uint8_t *data, size_t len)
{
    struct clipboard_wlr *w = c->priv;
    struct wsel *s = &w->sel[sel];
    s->asked[format] = false;
    if (!s->source)
        return;
    if (!data) {
        refuse_waiters(s, format);
        return;
    }
    g_clear_pointer(&s->cache[format], g_bytes_unref);
    s->cache[format] = g_bytes_new(data, len);
    for (GList *l = s->waiters.head; l;) {
        GList *next = l->next;
        struct transfer *t = l->data;
        if (t->format == format) {
            g_queue_delete_link(&s->waiters, l);
            start_write(w, t, s->cache[format]);
        }
        l = next;
    }
}

const struct clipboard_ops clipboard_wlr_ops = {
    .name = "wlr",
    .create = cwlr_create,
    .destroy = cwlr_destroy,
    .own = cwlr_own,
    .disown = cwlr_disown,
    .request = cwlr_request,
    .provide = cwlr_provide,
};
