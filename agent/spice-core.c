#include "agent/spice-core.h"

#include <glib-unix.h>
#include <glib.h>
#include <stdbool.h>
#include <sys/socket.h>


struct SpiceTimer {
    GMutex lock;
    SpiceTimerFunc func;
    void *opaque;
    GSource *source;
};

struct SpiceWatch {
    int fd;
    int mask;
    bool listening; /* a listening socket: accepts go through core_events.accept */
    SpiceWatchFunc func;
    void *opaque;
    GSource *source;
};

static struct spice_core_events core_events;

static SpiceTimer *timer_add(SpiceTimerFunc func, void *opaque)
{
    SpiceTimer *t = g_new0(SpiceTimer, 1);
    g_mutex_init(&t->lock);
    t->func = func;
    t->opaque = opaque;
    return t;
}

static void timer_clear_locked(SpiceTimer *t)
{
    if (t->source) {
        g_source_destroy(t->source);
        g_source_unref(t->source);
        t->source = NULL;
    }
}

static gboolean on_timer(gpointer data)
{
    SpiceTimer *t = data;
    g_mutex_lock(&t->lock);
    /* One shot: spice-server re-arms it if it wants to. */
    timer_clear_locked(t);
    g_mutex_unlock(&t->lock);
    t->func(t->opaque);
    return G_SOURCE_REMOVE;
}

static void timer_start(SpiceTimer *t, uint32_t ms)
{
    g_mutex_lock(&t->lock);
    timer_clear_locked(t);
    t->source = g_timeout_source_new(ms);
    g_source_set_callback(t->source, on_timer, t, NULL);
    g_source_attach(t->source, NULL);
    g_mutex_unlock(&t->lock);
}

static void timer_cancel(SpiceTimer *t)
{
    g_mutex_lock(&t->lock);
    timer_clear_locked(t);
    g_mutex_unlock(&t->lock);
}

static void timer_remove(SpiceTimer *t)
{
    if (!t)
        return;
    timer_cancel(t);
    g_mutex_clear(&t->lock);
    g_free(t);
}

static GIOCondition mask_to_condition(int mask)
{
    GIOCondition cond = 0;
    if (mask & SPICE_WATCH_EVENT_READ)
        cond |= G_IO_IN | G_IO_HUP | G_IO_ERR;
    if (mask & SPICE_WATCH_EVENT_WRITE)
        cond |= G_IO_OUT | G_IO_ERR;
    return cond;
}

static gboolean on_watch(gint fd, GIOCondition cond, gpointer data)
{
    SpiceWatch *w = data;
    /* Errors and hang-ups are reported as whatever the watch waits for, so
     * that spice-server's read or write sees the failure. */
    if (w->listening && core_events.accept && (w->mask & SPICE_WATCH_EVENT_READ)) {
        core_events.accept(fd, core_events.user_data);
        return G_SOURCE_CONTINUE;
    }
    if ((cond & (G_IO_IN | G_IO_HUP | G_IO_ERR)) && (w->mask & SPICE_WATCH_EVENT_READ))
        w->func(fd, SPICE_WATCH_EVENT_READ, w->opaque);
    else if ((cond & (G_IO_OUT | G_IO_ERR)) && (w->mask & SPICE_WATCH_EVENT_WRITE))
        w->func(fd, SPICE_WATCH_EVENT_WRITE, w->opaque);
    return G_SOURCE_CONTINUE;
}

static void watch_attach(SpiceWatch *w)
{
    if (w->source) {
        g_source_destroy(w->source);
        g_source_unref(w->source);
        w->source = NULL;
    }
    if (!w->mask)
        return;
    w->source = g_unix_fd_source_new(w->fd, mask_to_condition(w->mask));
    g_source_set_callback(w->source, (GSourceFunc)(void (*)(void))on_watch, w, NULL);
    g_source_attach(w->source, NULL);
}

static SpiceWatch *watch_add(int fd, int event_mask, SpiceWatchFunc func, void *opaque)
{
    SpiceWatch *w = g_new0(SpiceWatch, 1);
    w->fd = fd;
    w->mask = event_mask;
    w->func = func;
    w->opaque = opaque;
    int listening = 0;
    socklen_t len = sizeof(listening);
    w->listening = getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) == 0 && listening;
    watch_attach(w);
    return w;
}

static void watch_update_mask(SpiceWatch *w, int event_mask)
{
    if (w->mask == event_mask)
        return;
    w->mask = event_mask;
    watch_attach(w);
}

static void watch_remove(SpiceWatch *w)
{
    if (!w)
        return;
    w->mask = 0;
    watch_attach(w);
    g_free(w);
}

static void channel_event(int event, SpiceChannelEventInfo *info)
{
    if (core_events.channel_event)
        core_events.channel_event(event, info, core_events.user_data);
}

static SpiceCoreInterface core = {
    .base =
        {
            .type = SPICE_INTERFACE_CORE,
            .description = "thindesk GLib core",
            .major_version = SPICE_INTERFACE_CORE_MAJOR,
            .minor_version = SPICE_INTERFACE_CORE_MINOR,
        },
    .timer_add = timer_add,
    .timer_start = timer_start,
    .timer_cancel = timer_cancel,
    .timer_remove = timer_remove,
    .watch_add = watch_add,
    .watch_update_mask = watch_update_mask,
    .watch_remove = watch_remove,
    .channel_event = channel_event,
};

SpiceCoreInterface *spice_core_get(const struct spice_core_events *events)
{
    if (events)
        core_events = *events;
    return &core;
}
