#include "display/wayland-source.h"

#include <errno.h>
#include <glib.h>
#include <stdbool.h>
#include <wayland-client.h>

struct wayland_source {
    GSource base;
    struct wl_display *display;
    gpointer tag;
    bool reading; /* wl_display_prepare_read() succeeded, read or cancel due */
    bool lost;
    GIOCondition events; /* what the fd is polled for */
    wayland_source_lost_fn lost_fn;
    void *user_data;
};

char *wayland_source_describe_error(struct wl_display *display)
{
    int err = wl_display_get_error(display);
    if (!err)
        return NULL;
    if (err == EPROTO) {
        const struct wl_interface *iface = NULL;
        uint32_t id = 0;
        uint32_t code = wl_display_get_protocol_error(display, &iface, &id);
        return g_strdup_printf("protocol error %u on %s@%u from the compositor", code,
                               iface ? iface->name : "?", id);
    }
    return g_strdup_printf("connection to the compositor was lost (%s)", g_strerror(err));
}

static void check_connection(struct wayland_source *s)
{
    if (s->lost)
        return;
    g_autofree char *why = wayland_source_describe_error(s->display);
    if (!why)
        return;
    s->lost = true;
    /* A dead socket stays readable: stop polling it, or the loop spins. */
    if (s->reading)
        wl_display_cancel_read(s->display);
    s->reading = false;
    g_source_remove_unix_fd(&s->base, s->tag);
    s->tag = NULL;
    if (s->lost_fn)
        s->lost_fn(why, s->user_data);
}

static gboolean source_prepare(GSource *base, gint *timeout)
{
    struct wayland_source *s = (struct wayland_source *)base;
    *timeout = -1;
    if (s->lost)
        return FALSE;
    /* A check skipped by GLib (a higher-priority source was ready) leaves the
     * read intent open: give it back before taking a new one. */
    if (s->reading)
        wl_display_cancel_read(s->display);
    s->reading = false;
    if (wl_display_prepare_read(s->display) != 0)
        return TRUE; /* events already queued: dispatch them first */
    s->reading = true;
    GIOCondition events = G_IO_IN | G_IO_ERR | G_IO_HUP;
    if (wl_display_flush(s->display) < 0 && errno == EAGAIN)
        events |= G_IO_OUT; /* the socket is full: flush again once writable */
    if (events != s->events) {
        s->events = events;
        g_source_modify_unix_fd(base, s->tag, events);
    }
    return FALSE;
}

static gboolean source_check(GSource *base)
{
    struct wayland_source *s = (struct wayland_source *)base;
    if (s->lost)
        return FALSE;
    GIOCondition revents = g_source_query_unix_fd(base, s->tag);
    if (!s->reading)
        return !s->lost && revents != 0;
    s->reading = false;
    if (revents & (G_IO_IN | G_IO_ERR | G_IO_HUP)) {
        wl_display_read_events(s->display); /* errors surface in wl_display_get_error */
        return TRUE;
    }
    wl_display_cancel_read(s->display);
    return (revents & G_IO_OUT) != 0;
}

static gboolean source_dispatch(GSource *base, GSourceFunc callback, gpointer user_data)
{
    struct wayland_source *s = (struct wayland_source *)base;
    if (!s->lost) {
        wl_display_dispatch_pending(s->display);
        check_connection(s);
    }
    if (s->lost)
        return G_SOURCE_CONTINUE; /* prepare keeps a lost source quiet */
    wl_display_flush(s->display);
    return G_SOURCE_CONTINUE;
}

static void source_finalize(GSource *base)
{
    struct wayland_source *s = (struct wayland_source *)base;
    if (s->reading)
        wl_display_cancel_read(s->display);
    s->reading = false;
}

static GSourceFuncs source_funcs = {
    .prepare = source_prepare,
    .check = source_check,
    .dispatch = source_dispatch,
    .finalize = source_finalize,
};

struct wayland_source *wayland_source_create(struct wl_display *display,
                                             wayland_source_lost_fn lost, void *user_data)
{
    struct wayland_source *s =
        (struct wayland_source *)g_source_new(&source_funcs, sizeof(struct wayland_source));
    s->display = display;
    s->lost_fn = lost;
    s->user_data = user_data;
    s->events = G_IO_IN | G_IO_ERR | G_IO_HUP;
    s->tag = g_source_add_unix_fd(&s->base, wl_display_get_fd(display), s->events);
    g_source_set_name(&s->base, "thindesk wayland");
    g_source_attach(&s->base, NULL);
    return s;
}

void wayland_source_destroy(struct wayland_source *s)
{
    if (!s)
        return;
    g_source_destroy(&s->base);
    g_source_unref(&s->base);
}

void wayland_source_cancel_read(struct wayland_source *s)
{
    if (s && s->reading) {
        wl_display_cancel_read(s->display);
        s->reading = false;
    }
}

bool wayland_source_is_lost(const struct wayland_source *s)
{
    return s && s->lost;
}

void wayland_source_flush(struct wayland_source *s)
{
    if (s && !s->lost) {
        wl_display_flush(s->display);
        check_connection(s);
    }
}
