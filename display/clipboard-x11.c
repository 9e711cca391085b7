#include "display/clipboard-x11.h"

#include <glib-unix.h>
#include <glib.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <xcb/xcb.h>
#include <xcb/xfixes.h>

#include "display/image-convert.h"

#define READ_TIMEOUT_S 10
#define INCR_CHUNK_MAX (256 * 1024) /* larger payloads go out with INCR */
#define MAX_INCR_OUT 16

enum atom_id {
    A_CLIPBOARD, A_TARGETS, A_TIMESTAMP, A_MULTIPLE, A_INCR, A_UTF8_STRING, A_TEXT_PLAIN_UTF8,
    A_TEXT, A_IMAGE_PNG, A_IMAGE_BMP, A_IMAGE_JPEG, A_IMAGE_TIFF, A_PROP_CLIPBOARD,
    A_PROP_PRIMARY, N_ATOMS
};

static const char *const atom_names[N_ATOMS] = {
    "CLIPBOARD", "TARGETS", "TIMESTAMP", "MULTIPLE", "INCR", "UTF8_STRING",
    "text/plain;charset=utf-8", "TEXT", "image/png", "image/bmp", "image/jpeg", "image/tiff",
    "THINDESK_CLIPBOARD", "THINDESK_PRIMARY",
};

/* Image targets besides PNG, converted with gdk-pixbuf; preferred first
 * when reading from an owner without image/png (lossless before lossy). */
static const enum atom_id other_images[] = {A_IMAGE_BMP, A_IMAGE_TIFF, A_IMAGE_JPEG};

/* An X client waiting for the peer's data. */
struct waiter {
    xcb_selection_request_event_t req;
    int format;
};

/* An INCR transfer to an X client: the next chunk goes when it deletes the
 * property. */
struct incr_out {
    xcb_window_t win;
    xcb_atom_t prop, type;
    GBytes *data;
    size_t off;
    bool finished; /* the zero-length end marker was written */
};

struct sel {
    struct clipboard_x11 *c;
    int index;
    xcb_atom_t atom, prop;
    /* owned by us for the peer */
    bool owned;
    unsigned offered;
    GBytes *cache[CLIPBOARD_N_FORMATS];
    bool asked[CLIPBOARD_N_FORMATS];
    GQueue waiters;
    /* read from the X owner */
    bool reported;
    xcb_atom_t target_of[CLIPBOARD_N_FORMATS];
    bool reading, reading_targets, incr, overflow;
    int read_format, next_format; /* next_format: queued request or -1 */
    GByteArray *buf;
    guint timeout;
};

struct clipboard_x11 {
    xcb_connection_t *conn;
    xcb_window_t win;
    xcb_atom_t atoms[N_ATOMS];
    uint8_t xfixes_event;
    size_t max_size, chunk;
    struct sel sel[CLIPBOARD_N_SELECTIONS];
    GList *incr_out; /* struct incr_out */
    struct clipboard_listener l;
    guint watch;
};

static void drain(struct clipboard_x11 *c);

static xcb_atom_t intern(xcb_connection_t *conn, const char *name)
{
    xcb_intern_atom_reply_t *r = xcb_intern_atom_reply(
        conn, xcb_intern_atom(conn, 0, (uint16_t)strlen(name), name), NULL);
    xcb_atom_t a = r ? r->atom : XCB_ATOM_NONE;
    free(r);
    return a;
}

static int sel_index(struct clipboard_x11 *c, xcb_atom_t atom)
{
    for (int i = 0; i < CLIPBOARD_N_SELECTIONS; i++)
        if (c->sel[i].atom == atom)
            return i;
    return -1;
}

static int format_of_target(struct clipboard_x11 *c, xcb_atom_t t)
{
    if (t == c->atoms[A_UTF8_STRING] || t == c->atoms[A_TEXT_PLAIN_UTF8] ||
        t == XCB_ATOM_STRING || t == c->atoms[A_TEXT])
        return CLIPBOARD_FMT_TEXT;
    if (t == c->atoms[A_IMAGE_PNG])
        return CLIPBOARD_FMT_PNG;
    for (size_t i = 0; i < G_N_ELEMENTS(other_images); i++)
        if (t == c->atoms[other_images[i]])
            return CLIPBOARD_FMT_PNG;
    return -1;
}

/* --- answering X clients (we own a selection for the peer) --- */

static void notify(struct clipboard_x11 *c, const xcb_selection_request_event_t *req,
                   xcb_atom_t property)
{
    xcb_selection_notify_event_t ev = {
        .response_type = XCB_SELECTION_NOTIFY,
        .time = req->time,
        .requestor = req->requestor,
        .selection = req->selection,
        .target = req->target,
        .property = property,
    };
    xcb_send_event(c->conn, 0, req->requestor, XCB_EVENT_MASK_NO_EVENT, (const char *)&ev);
}

static xcb_atom_t reply_property(const xcb_selection_request_event_t *req)
{
    return req->property != XCB_ATOM_NONE ? req->property : req->target;
}

static void send_data(struct clipboard_x11 *c, const xcb_selection_request_event_t *req,
                      GBytes *bytes)
{
    xcb_atom_t prop = reply_property(req);
    xcb_atom_t type = req->target == c->atoms[A_TEXT] ? c->atoms[A_UTF8_STRING] : req->target;
    g_autoptr(GBytes) data = g_bytes_ref(bytes);
    if (req->target == XCB_ATOM_STRING) { /* ICCCM: Latin-1 */
        gsize n = 0;
        char *latin = g_convert_with_fallback(g_bytes_get_data(bytes, NULL),
                                              (gssize)g_bytes_get_size(bytes), "ISO-8859-1",
                                              "UTF-8", "?", NULL, &n, NULL);
        if (!latin) {
            notify(c, req, XCB_ATOM_NONE);
            return;
        }
        g_bytes_unref(data);
        data = g_bytes_new_take(latin, n);
    } else if (format_of_target(c, req->target) == CLIPBOARD_FMT_PNG &&
               req->target != c->atoms[A_IMAGE_PNG]) {
        g_autofree char *mime = NULL;
        xcb_get_atom_name_reply_t *an = xcb_get_atom_name_reply(
            c->conn, xcb_get_atom_name(c->conn, req->target), NULL);
        if (an)
            mime = g_strndup(xcb_get_atom_name_name(an), xcb_get_atom_name_name_length(an));
        free(an);
        size_t n = 0;
        uint8_t *img = mime ? image_convert(g_bytes_get_data(bytes, NULL),
                                            g_bytes_get_size(bytes), mime, &n)
                            : NULL;
        if (!img) {
            notify(c, req, XCB_ATOM_NONE);
            return;
        }
        g_bytes_unref(data);
        data = g_bytes_new_take(img, n);
    }
    size_t len = g_bytes_get_size(data);
    if (len <= c->chunk) {
        xcb_change_property(c->conn, XCB_PROP_MODE_REPLACE, req->requestor, prop, type, 8,
                            (uint32_t)len, g_bytes_get_data(data, NULL));
        notify(c, req, prop);
        return;
    }
    if (g_list_length(c->incr_out) >= MAX_INCR_OUT) {
        notify(c, req, XCB_ATOM_NONE);
        return;
    }
    uint32_t mask = XCB_EVENT_MASK_PROPERTY_CHANGE;
    xcb_change_window_attributes(c->conn, req->requestor, XCB_CW_EVENT_MASK, &mask);
    uint32_t size = (uint32_t)MIN(len, G_MAXUINT32);
    xcb_change_property(c->conn, XCB_PROP_MODE_REPLACE, req->requestor, prop, c->atoms[A_INCR],
                        32, 1, &size);
    struct incr_out *o = g_new0(struct incr_out, 1);
    o->win = req->requestor;
    o->prop = prop;
    o->type = type;
    o->data = g_steal_pointer(&data);
    c->incr_out = g_list_append(c->incr_out, o);
    notify(c, req, prop);
    g_debug("clipboard: INCR transfer of %zu bytes to window 0x%x", len, req->requestor);
}

static void incr_out_free(struct incr_out *o)
{
    g_bytes_unref(o->data);
    g_free(o);
}

/* The requestor deleted the property: the next chunk, or the end marker. */
static void incr_continue(struct clipboard_x11 *c, xcb_window_t win, xcb_atom_t prop)
{
    for (GList *l = c->incr_out; l; l = l->next) {
        struct incr_out *o = l->data;
        if (o->win != win || o->prop != prop)
            continue;
        if (o->finished) {
            c->incr_out = g_list_delete_link(c->incr_out, l);
            incr_out_free(o);
            return;
        }
        size_t len = g_bytes_get_size(o->data), n = MIN(c->chunk, len - o->off);
        xcb_change_property(c->conn, XCB_PROP_MODE_REPLACE, win, prop, o->type, 8, (uint32_t)n,
                            (const uint8_t *)g_bytes_get_data(o->data, NULL) + o->off);
        o->off += n;
        if (n == 0) {
            o->finished = true;
            c->incr_out = g_list_delete_link(c->incr_out, l);
            incr_out_free(o);
        }
        return;
    }
}

static void refuse_waiters(struct clipboard_x11 *c, struct sel *s, int format)
{
    for (GList *l = s->waiters.head; l;) {
        GList *next = l->next;
        struct waiter *w = l->data;
        if (format < 0 || w->format == format) {
            notify(c, &w->req, XCB_ATOM_NONE);
            g_queue_delete_link(&s->waiters, l);
            g_free(w);
        }
        l = next;
    }
}

static void forget_owned(struct clipboard_x11 *c, struct sel *s)
{
    refuse_waiters(c, s, -1);
    for (int f = 0; f < CLIPBOARD_N_FORMATS; f++) {
        g_clear_pointer(&s->cache[f], g_bytes_unref);
        s->asked[f] = false;
    }
    s->owned = false;
    s->offered = 0;
}

static void on_selection_request(struct clipboard_x11 *c, xcb_selection_request_event_t *req)
{
    int i = sel_index(c, req->selection);
    struct sel *s = i >= 0 ? &c->sel[i] : NULL;
    if (!s || !s->owned) {
        notify(c, req, XCB_ATOM_NONE);
        return;
    }
    xcb_atom_t prop = reply_property(req);
    if (req->target == c->atoms[A_TARGETS]) {
        xcb_atom_t t[12];
        int n = 0;
        t[n++] = c->atoms[A_TARGETS];
        t[n++] = c->atoms[A_TIMESTAMP];
        if (s->offered & (1u << CLIPBOARD_FMT_TEXT)) {
            t[n++] = c->atoms[A_UTF8_STRING];
            t[n++] = c->atoms[A_TEXT_PLAIN_UTF8];
            t[n++] = XCB_ATOM_STRING;
            t[n++] = c->atoms[A_TEXT];
        }
        if (s->offered & (1u << CLIPBOARD_FMT_PNG)) {
            t[n++] = c->atoms[A_IMAGE_PNG];
            for (size_t k = 0; k < G_N_ELEMENTS(other_images); k++)
                t[n++] = c->atoms[other_images[k]];
        }
        xcb_change_property(c->conn, XCB_PROP_MODE_REPLACE, req->requestor, prop, XCB_ATOM_ATOM,
                            32, (uint32_t)n, t);
        notify(c, req, prop);
        return;
    }
    if (req->target == c->atoms[A_TIMESTAMP]) {
        uint32_t t = XCB_CURRENT_TIME;
        xcb_change_property(c->conn, XCB_PROP_MODE_REPLACE, req->requestor, prop,
                            XCB_ATOM_INTEGER, 32, 1, &t);
        notify(c, req, prop);
        return;
    }
    int f = format_of_target(c, req->target);
    if (f < 0 || !(s->offered & (1u << f))) {
        notify(c, req, XCB_ATOM_NONE); /* MULTIPLE and unknown targets too */
        return;
    }
    if (s->cache[f]) {
        send_data(c, req, s->cache[f]);
        return;
    }
    struct waiter *w = g_new(struct waiter, 1);
    w->req = *req;
    w->format = f;
    g_queue_push_tail(&s->waiters, w);
    if (!s->asked[f]) {
        s->asked[f] = true;
        if (c->l.request)
            c->l.request(i, f, c->l.user_data);
    }
}

/* --- reading from X owners --- */

static void start_read(struct clipboard_x11 *c, int i, xcb_atom_t target, xcb_timestamp_t t);

static void finish_read(struct clipboard_x11 *c, int i, const uint8_t *data, size_t len,
                        xcb_atom_t type)
{
    struct sel *s = &c->sel[i];
    bool targets = s->reading_targets;
    int format = s->read_format;
    s->reading = s->reading_targets = s->incr = s->overflow = false;
    if (s->timeout) {
        g_source_remove(s->timeout);
        s->timeout = 0;
    }
    if (targets) {
        unsigned formats = 0;
        memset(s->target_of, 0, sizeof(s->target_of));
        const xcb_atom_t *a = (const xcb_atom_t *)data;
        size_t n = data && type == XCB_ATOM_ATOM ? len / 4 : 0;
        static const enum atom_id text_pref[] = {A_UTF8_STRING, A_TEXT_PLAIN_UTF8};
        for (size_t p = 0; p < G_N_ELEMENTS(text_pref) && !s->target_of[0]; p++)
            for (size_t k = 0; k < n; k++)
                if (a[k] == c->atoms[text_pref[p]])
                    s->target_of[CLIPBOARD_FMT_TEXT] = a[k];
        for (size_t k = 0; k < n; k++) {
            if (a[k] == XCB_ATOM_STRING && !s->target_of[CLIPBOARD_FMT_TEXT])
                s->target_of[CLIPBOARD_FMT_TEXT] = XCB_ATOM_STRING;
            if (a[k] == c->atoms[A_IMAGE_PNG])
                s->target_of[CLIPBOARD_FMT_PNG] = a[k];
        }
        for (size_t p = 0; p < G_N_ELEMENTS(other_images) && !s->target_of[CLIPBOARD_FMT_PNG]; p++)
            for (size_t k = 0; k < n; k++)
                if (a[k] == c->atoms[other_images[p]])
                    s->target_of[CLIPBOARD_FMT_PNG] = a[k];
        for (int f = 0; f < CLIPBOARD_N_FORMATS; f++)
            if (s->target_of[f])
                formats |= 1u << f;
        if (formats) {
            s->reported = true;
            if (c->l.grabbed)
                c->l.grabbed(i, formats, c->l.user_data);
        } else if (s->reported) {
            s->reported = false;
            if (c->l.released)
                c->l.released(i, c->l.user_data);
        }
    } else if (c->l.data) {
        if (data && format == CLIPBOARD_FMT_TEXT && type == XCB_ATOM_STRING) {
            g_autofree char *utf8 = g_convert((const char *)data, (gssize)len, "UTF-8",
                                              "ISO-8859-1", NULL, NULL, NULL);
            c->l.data(i, format, (const uint8_t *)utf8, utf8 ? strlen(utf8) : 0,
                      c->l.user_data);
        } else if (data && format == CLIPBOARD_FMT_PNG &&
                   s->target_of[CLIPBOARD_FMT_PNG] != c->atoms[A_IMAGE_PNG]) {
            size_t n = 0;
            g_autofree uint8_t *png = image_convert(data, len, "image/png", &n);
            c->l.data(i, format, png, png ? n : 0, c->l.user_data);
        } else {
            c->l.data(i, format, data, len, c->l.user_data);
        }
    }
    if (s->next_format >= 0 && !s->reading) {
        int f = s->next_format;
        s->next_format = -1;
        clipboard_x11_request(c, i, f);
    }
}

static void fail_read(struct clipboard_x11 *c, int i)
{
    finish_read(c, i, NULL, 0, XCB_ATOM_NONE);
}

static gboolean on_read_timeout(gpointer data)
{
    struct sel *s = data;
    s->timeout = 0;
    if (s->reading) {
        g_debug("clipboard: the owner of selection %d did not answer", s->index);
        fail_read(s->c, s->index);
        drain(s->c);
    }
    return G_SOURCE_REMOVE;
}

static void start_read(struct clipboard_x11 *c, int i, xcb_atom_t target, xcb_timestamp_t t)
{
    struct sel *s = &c->sel[i];
    s->reading = true;
    s->incr = s->overflow = false;
    if (s->buf)
        g_byte_array_set_size(s->buf, 0);
    xcb_delete_property(c->conn, c->win, s->prop);
    xcb_convert_selection(c->conn, c->win, s->atom, target, s->prop, t);
    if (s->timeout)
        g_source_remove(s->timeout);
    s->timeout = g_timeout_add_seconds(READ_TIMEOUT_S, on_read_timeout, s);
    xcb_flush(c->conn);
}

/* Reads and deletes our property; returns the reply (caller frees). */
static xcb_get_property_reply_t *take_property(struct clipboard_x11 *c, struct sel *s)
{
    return xcb_get_property_reply(
        c->conn, xcb_get_property(c->conn, 1, c->win, s->prop, XCB_GET_PROPERTY_TYPE_ANY, 0,
                                  (uint32_t)(c->max_size / 4 + 1024)),
        NULL);
}

static void on_selection_notify(struct clipboard_x11 *c, xcb_selection_notify_event_t *ev)
{
    int i = sel_index(c, ev->selection);
    if (i < 0 || !c->sel[i].reading || c->sel[i].incr)
        return;
    struct sel *s = &c->sel[i];
    if (ev->property == XCB_ATOM_NONE) {
        fail_read(c, i);
        return;
    }
    xcb_get_property_reply_t *r = take_property(c, s);
    if (!r) {
        fail_read(c, i);
        return;
    }
    if (r->type == c->atoms[A_INCR]) {
        s->incr = true; /* deleting the property asked the owner to start */
        g_debug("clipboard: INCR read of selection %d", i);
        if (!s->buf)
            s->buf = g_byte_array_new();
        g_byte_array_set_size(s->buf, 0);
        free(r);
        return;
    }
    int len = xcb_get_property_value_length(r);
    if (r->bytes_after || (size_t)len > c->max_size) {
        g_debug("clipboard: selection %d is larger than %zu bytes", i, c->max_size);
        size_t total = (size_t)len + r->bytes_after;
        free(r);
        finish_read(c, i, NULL, MAX(total, c->max_size + 1), XCB_ATOM_NONE);
        return;
    }
    finish_read(c, i, xcb_get_property_value(r), (size_t)len, r->type);
    free(r);
}

static void on_incr_chunk(struct clipboard_x11 *c, int i)
{
    struct sel *s = &c->sel[i];
    xcb_get_property_reply_t *r = take_property(c, s);
    if (!r) {
        fail_read(c, i);
        return;
    }
    int len = xcb_get_property_value_length(r);
    if (s->timeout) { /* progress: restart the clock */
        g_source_remove(s->timeout);
        s->timeout = g_timeout_add_seconds(READ_TIMEOUT_S, on_read_timeout, s);
    }
    if (len == 0) {
        if (s->overflow) {
            g_debug("clipboard: selection %d is larger than %zu bytes", i, c->max_size);
            finish_read(c, i, NULL, c->max_size + 1, XCB_ATOM_NONE);
        } else {
            finish_read(c, i, s->buf->data, s->buf->len, r->type);
        }
    } else if (!s->overflow) {
        if (s->buf->len + (size_t)len > c->max_size) {
            s->overflow = true; /* keep deleting until the owner is done */
            g_byte_array_set_size(s->buf, 0);
        } else {
            g_byte_array_append(s->buf, xcb_get_property_value(r), (guint)len);
        }
    }
    free(r);
}

static void on_owner_change(struct clipboard_x11 *c, xcb_xfixes_selection_notify_event_t *ev)
{
    int i = sel_index(c, ev->selection);
    if (i < 0 || ev->owner == c->win)
        return;
    struct sel *s = &c->sel[i];
    if (s->owned)
        forget_owned(c, s); /* an X client took it from the peer */
    if (s->reading)
        fail_read(c, i);
    if (ev->owner == XCB_WINDOW_NONE) {
        if (s->reported) {
            s->reported = false;
            if (c->l.released)
                c->l.released(i, c->l.user_data);
        }
        return;
    }
    s->reading_targets = true;
    start_read(c, i, c->atoms[A_TARGETS], ev->selection_timestamp);
}

/* --- events --- */

static void handle_event(struct clipboard_x11 *c, xcb_generic_event_t *ev)
{
    uint8_t type = ev->response_type & 0x7f;
    if (type == c->xfixes_event + XCB_XFIXES_SELECTION_NOTIFY) {
        on_owner_change(c, (xcb_xfixes_selection_notify_event_t *)ev);
    } else if (type == XCB_SELECTION_REQUEST) {
        on_selection_request(c, (xcb_selection_request_event_t *)ev);
    } else if (type == XCB_SELECTION_NOTIFY) {
        on_selection_notify(c, (xcb_selection_notify_event_t *)ev);
    } else if (type == XCB_SELECTION_CLEAR) {
        xcb_selection_clear_event_t *sc = (xcb_selection_clear_event_t *)ev;
        int i = sel_index(c, sc->selection);
        if (i >= 0 && c->sel[i].owned)
            forget_owned(c, &c->sel[i]);
    } else if (type == XCB_PROPERTY_NOTIFY) {
        xcb_property_notify_event_t *pn = (xcb_property_notify_event_t *)ev;
        if (pn->window == c->win && pn->state == XCB_PROPERTY_NEW_VALUE) {
            for (int i = 0; i < CLIPBOARD_N_SELECTIONS; i++)
                if (pn->atom == c->sel[i].prop && c->sel[i].reading && c->sel[i].incr)
                    on_incr_chunk(c, i);
        } else if (pn->window != c->win && pn->state == XCB_PROPERTY_DELETE) {
            incr_continue(c, pn->window, pn->atom);
        }
    }
}

static void drain(struct clipboard_x11 *c)
{
    xcb_generic_event_t *ev;
    while ((ev = xcb_poll_for_event(c->conn))) {
        handle_event(c, ev);
        free(ev);
    }
    xcb_flush(c->conn);
}

static gboolean on_x_readable(gint fd, GIOCondition cond, gpointer data)
{
    struct clipboard_x11 *c = data;
    drain(c);
    if (xcb_connection_has_error(c->conn)) {
        g_warning("clipboard: lost the X connection; clipboard sharing stops");
        c->watch = 0;
        return G_SOURCE_REMOVE;
    }
    return G_SOURCE_CONTINUE;
}

/* --- API --- */

struct clipboard_x11 *clipboard_x11_create(const char *display, size_t max_size,
                                           const struct clipboard_listener *listener,
                                           char **ret_error)
{
    int screen_num = 0;
    xcb_connection_t *conn = xcb_connect(display, &screen_num);
    if (xcb_connection_has_error(conn)) {
        xcb_disconnect(conn);
        *ret_error = g_strdup("cannot open the X display for the clipboard");
        return NULL;
    }
    const xcb_query_extension_reply_t *ext = xcb_get_extension_data(conn, &xcb_xfixes_id);
    xcb_xfixes_query_version_reply_t *ver =
        ext && ext->present
            ? xcb_xfixes_query_version_reply(conn, xcb_xfixes_query_version(conn, 5, 0), NULL)
            : NULL;
    if (!ver) {
        xcb_disconnect(conn);
        *ret_error = g_strdup("the X server has no XFixes: clipboard sharing is off");
        return NULL;
    }
    free(ver);
    struct clipboard_x11 *c = g_new0(struct clipboard_x11, 1);
    c->conn = conn;
    c->l = *listener;
    c->max_size = max_size;
    c->xfixes_event = ext->first_event;
    size_t max_req = (size_t)xcb_get_maximum_request_length(conn) * 4;
    c->chunk = MIN(INCR_CHUNK_MAX, max_req > 1024 ? max_req - 1024 : 1024);
    for (int i = 0; i < N_ATOMS; i++)
        c->atoms[i] = intern(conn, atom_names[i]);

    xcb_screen_iterator_t it = xcb_setup_roots_iterator(xcb_get_setup(conn));
    for (int i = 0; i < screen_num && it.rem; i++)
        xcb_screen_next(&it);
    c->win = xcb_generate_id(conn);
    uint32_t values[] = {1, XCB_EVENT_MASK_PROPERTY_CHANGE};
    xcb_create_window(conn, XCB_COPY_FROM_PARENT, c->win, it.data->root, -1, -1, 1, 1, 0,
                      XCB_WINDOW_CLASS_INPUT_ONLY, XCB_COPY_FROM_PARENT,
                      XCB_CW_OVERRIDE_REDIRECT | XCB_CW_EVENT_MASK, values);
    c->sel[0].atom = c->atoms[A_CLIPBOARD];
    c->sel[0].prop = c->atoms[A_PROP_CLIPBOARD];
    c->sel[1].atom = XCB_ATOM_PRIMARY;
    c->sel[1].prop = c->atoms[A_PROP_PRIMARY];
    for (int i = 0; i < CLIPBOARD_N_SELECTIONS; i++) {
        c->sel[i].c = c;
        c->sel[i].index = i;
        g_queue_init(&c->sel[i].waiters);
        c->sel[i].next_format = -1;
        xcb_xfixes_select_selection_input(
            conn, c->win, c->sel[i].atom,
            XCB_XFIXES_SELECTION_EVENT_MASK_SET_SELECTION_OWNER |
                XCB_XFIXES_SELECTION_EVENT_MASK_SELECTION_WINDOW_DESTROY |
                XCB_XFIXES_SELECTION_EVENT_MASK_SELECTION_CLIENT_CLOSE);
    }
    xcb_flush(conn);
    c->watch = g_unix_fd_add(xcb_get_file_descriptor(conn), G_IO_IN, on_x_readable, c);
    return c;
}

void clipboard_x11_destroy(struct clipboard_x11 *c)
{
    if (!c)
        return;
    if (c->watch)
        g_source_remove(c->watch);
    for (int i = 0; i < CLIPBOARD_N_SELECTIONS; i++) {
        struct sel *s = &c->sel[i];
        forget_owned(c, s);
        if (s->timeout)
            g_source_remove(s->timeout);
        if (s->buf)
            g_byte_array_unref(s->buf);
    }
    g_list_free_full(c->incr_out, (GDestroyNotify)incr_out_free);
    xcb_disconnect(c->conn);
    g_free(c);
}

void clipboard_x11_own(struct clipboard_x11 *c, int sel, unsigned formats)
{
    struct sel *s = &c->sel[sel];
    forget_owned(c, s);
    s->owned = true;
    s->offered = formats;
    s->reported = false; /* the peer's grab supersedes what X offered */
    if (s->reading)
        fail_read(c, sel);
    xcb_set_selection_owner(c->conn, c->win, s->atom, XCB_CURRENT_TIME);
    drain(c);
}

void clipboard_x11_disown(struct clipboard_x11 *c, int sel)
{
    struct sel *s = &c->sel[sel];
    if (!s->owned)
        return;
    forget_owned(c, s);
    xcb_set_selection_owner(c->conn, XCB_WINDOW_NONE, s->atom, XCB_CURRENT_TIME);
    drain(c);
}

void clipboard_x11_request(struct clipboard_x11 *c, int sel, int format)
{
    struct sel *s = &c->sel[sel];
    if (s->reading) {
        if (s->next_format >= 0 && c->l.data) /* one queued request at a time */
            c->l.data(sel, s->next_format, NULL, 0, c->l.user_data);
        s->next_format = format;
        return;
    }
    if (!s->reported || !s->target_of[format]) {
        if (c->l.data)
            c->l.data(sel, format, NULL, 0, c->l.user_data);
        return;
    }
    s->reading_targets = false;
    s->read_format = format;
    start_read(c, sel, s->target_of[format], XCB_CURRENT_TIME);
    drain(c);
}

void clipboard_x11_provide(struct clipboard_x11 *c, int sel, int format, const uint8_t *data,
                           size_t len)
{
    struct sel *s = &c->sel[sel];
    s->asked[format] = false;
    if (!s->owned)
        return;
    if (!data) {
        refuse_waiters(c, s, format);
        drain(c);
        return;
    }
    g_clear_pointer(&s->cache[format], g_bytes_unref);
    s->cache[format] = g_bytes_new(data, len);
    for (GList *l = s->waiters.head; l;) {
        GList *next = l->next;
        struct waiter *w = l->data;
        if (w->format == format) {
            send_data(c, &w->req, s->cache[format]);
            g_queue_delete_link(&s->waiters, l);
            g_free(w);
        }
        l = next;
    }
    drain(c);
}
