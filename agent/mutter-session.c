#include "agent/mutter-session.h"

#include <gio/gio.h>
#include <errno.h>
#include <glib.h>
#include <linux/input-event-codes.h>

#define RD_NAME      "org.gnome.Mutter.RemoteDesktop"
#define RD_PATH      "/org/gnome/Mutter/RemoteDesktop"
#define RD_SESSION   "org.gnome.Mutter.RemoteDesktop.Session"
#define SC_NAME      "org.gnome.Mutter.ScreenCast"
#define SC_PATH      "/org/gnome/Mutter/ScreenCast"
#define SC_SESSION   "org.gnome.Mutter.ScreenCast.Session"
#define SC_STREAM    "org.gnome.Mutter.ScreenCast.Stream"
#define CALL_TIMEOUT 10000
#define CURSOR_META  2 /* cursor-mode: metadata (SPA_META_Cursor) */

struct mutter_session {
    GDBusConnection *bus;
    guint watch; /* owner of RD_NAME */
    bool present;

    struct capture_stream_source stream_source;
    struct injector_remote_desktop input;
    struct clipboard_remote_desktop clipboard;
    void (*clip_changed)(const char *path, void *user); /* told of Start and the end */
    void *clip_user;

    /* The session, while open. */
    GCancellable *cancel;
    capture_stream_ready_fn ready;
    void *ready_data;
    /* Told when mutter goes away, open or not: capture's last @ready. */
    capture_stream_ready_fn gone;
    void *gone_data;
    char *rd_path, *sc_path, *stream_path;
    guint closed_sub, stream_sub;
    bool started; /* Start answered: Notify* may be called */
    bool virtual_tried;
    bool virtual_last; /* the last session recorded a virtual monitor */
    guint close_idle;
    guint props_sub; /* PropertiesChanged of the session */
    unsigned leds;   /* enum injector_led bits */
    void (*leds_changed)(unsigned leds, void *user);
    void *leds_user;
};

static void session_fail(struct mutter_session *s, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

/* Forgets the session (after telling mutter to stop it, if it got that far). */
static void session_close_now(struct mutter_session *s)
{
    if (s->close_idle)
        g_source_remove(s->close_idle);
    s->close_idle = 0;
    if (s->cancel) {
        g_cancellable_cancel(s->cancel);
        g_clear_object(&s->cancel);
    }
    if (s->closed_sub)
        g_dbus_connection_signal_unsubscribe(s->bus, s->closed_sub);
    if (s->stream_sub)
        g_dbus_connection_signal_unsubscribe(s->bus, s->stream_sub);
    if (s->props_sub)
        g_dbus_connection_signal_unsubscribe(s->bus, s->props_sub);
    s->closed_sub = s->stream_sub = s->props_sub = 0;
    if (s->started && s->clip_changed)
        s->clip_changed(NULL, s->clip_user);
    if (s->rd_path && s->present) {
        /* Stopping the remote-desktop session stops its screen cast too. */
        g_dbus_connection_call(s->bus, RD_NAME, s->rd_path, RD_SESSION, "Stop", NULL, NULL,
                               G_DBUS_CALL_FLAGS_NO_AUTO_START, CALL_TIMEOUT, NULL, NULL, NULL);
        g_dbus_connection_flush(s->bus, NULL, NULL, NULL);
        g_message("GNOME remote-desktop session closed (%s)", s->rd_path);
    }
    g_clear_pointer(&s->rd_path, g_free);
    g_clear_pointer(&s->sc_path, g_free);
    g_clear_pointer(&s->stream_path, g_free);
    s->started = false;
    s->virtual_tried = false;
    s->ready = NULL;
    s->ready_data = NULL;
}

/* The session cannot go on: tell capture (which reports it) and forget it. */
static void session_fail(struct mutter_session *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *why = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    capture_stream_ready_fn ready = s->ready;
    void *ready_data = s->ready_data;
    session_close_now(s);
    if (ready)
        ready(0, why, ready_data);
}

/* Finishes an async call; NULL (after failing the session with @what) on
 * error. Returns NULL quietly when the call was cancelled. */
static GVariant *finish(GObject *source, GAsyncResult *res, struct mutter_session **ret_s,
                        void *data, const char *what)
{
    g_autoptr(GError) error = NULL;
    GVariant *reply = g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), res, &error);
    if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
        *ret_s = NULL;
        return NULL;
    }
    *ret_s = data;
    if (!reply) {
        g_dbus_error_strip_remote_error(error);
        session_fail(data, "mutter refused %s: %s", what, error->message);
    }
    return reply;
}

static void call(struct mutter_session *s, const char *name, const char *path, const char *iface,
                 const char *method, GVariant *args, const char *reply_type,
                 GAsyncReadyCallback done)
{
    g_dbus_connection_call(s->bus, name, path, iface, method, args,
                           reply_type ? G_VARIANT_TYPE(reply_type) : NULL,
                           G_DBUS_CALL_FLAGS_NO_AUTO_START, CALL_TIMEOUT, s->cancel, done, s);
}

static void on_closed(GDBusConnection *bus, const char *sender, const char *path, const char *iface,
                      const char *signal, GVariant *params, gpointer data)
{
    struct mutter_session *s = data;
    g_free(g_steal_pointer(&s->rd_path)); /* closed already: no Stop */
    session_fail(s, "mutter closed the remote-desktop session");
}

static void on_stream_added(GDBusConnection *bus, const char *sender, const char *path,
                            const char *iface, const char *signal, GVariant *params, gpointer data)
{
    struct mutter_session *s = data;
    if (!g_variant_is_of_type(params, G_VARIANT_TYPE("(u)")))
        return;
    guint32 node = 0;
    g_variant_get(params, "(u)", &node);
    g_debug("Mutter screen-cast stream %s is PipeWire node %u", path, node);
    if (s->ready && node)
        s->ready(node, NULL, s->ready_data);
}

/* Takes CapsLockState and NumLockState from a{sv} @props, if there. */
static void update_leds(struct mutter_session *s, GVariant *props)
{
    unsigned leds = s->leds;
    gboolean on;
    if (g_variant_lookup(props, "CapsLockState", "b", &on))
        leds = on ? leds | INJECTOR_LED_CAPS_LOCK : leds & ~INJECTOR_LED_CAPS_LOCK;
    if (g_variant_lookup(props, "NumLockState", "b", &on))
        leds = on ? leds | INJECTOR_LED_NUM_LOCK : leds & ~INJECTOR_LED_NUM_LOCK;
    if (leds == s->leds)
        return;
    s->leds = leds;
    g_debug("GNOME lock keys: caps %s, num %s", leds & INJECTOR_LED_CAPS_LOCK ? "on" : "off",
            leds & INJECTOR_LED_NUM_LOCK ? "on" : "off");
    if (s->leds_changed)
        s->leds_changed(leds, s->leds_user);
}

static void on_props_changed(GDBusConnection *bus, const char *sender, const char *path,
                             const char *iface, const char *signal, GVariant *params, gpointer data)
{
    if (!g_variant_is_of_type(params, G_VARIANT_TYPE("(sa{sv}as)")))
        return;
    g_autoptr(GVariant) changed = g_variant_get_child_value(params, 1);
    update_leds(data, changed);
}

static void on_props(GObject *source, GAsyncResult *res, gpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GVariant) reply =
        g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), res, &error);
    if (!reply) {
        if (!g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
            g_debug("no lock-key state from mutter: %s", error->message);
        return;
    }
    g_autoptr(GVariant) props = g_variant_get_child_value(reply, 0);
    update_leds(data, props);
}

static void on_started(GObject *source, GAsyncResult *res, gpointer data)
{
    struct mutter_session *s;
    g_autoptr(GVariant) reply =
        finish(source, res, &s, data, "to start the remote-desktop session");
    if (!reply)
        return;
    s->started = true;
    /* Mutter drops the first key of a fresh session's keyboard: wake it up
     * with a Shift tap no application acts on. */
    s->input.call(s, "NotifyKeyboardKeycode", g_variant_new("(ub)", KEY_LEFTSHIFT, TRUE));
    s->input.call(s, "NotifyKeyboardKeycode", g_variant_new("(ub)", KEY_LEFTSHIFT, FALSE));
    call(s, RD_NAME, s->rd_path, "org.freedesktop.DBus.Properties", "GetAll",
         g_variant_new("(s)", RD_SESSION), "(a{sv})", on_props);
    g_message("GNOME remote-desktop session started (screen cast %s)", s->stream_path);
    if (s->clip_changed)
        s->clip_changed(s->rd_path, s->clip_user);
}

static void record(struct mutter_session *s);

static void on_recorded(GObject *source, GAsyncResult *res, gpointer data)
{
    struct mutter_session *s = data;
    g_autoptr(GError) error = NULL;
    g_autoptr(GVariant) reply =
        g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), res, &error);
    if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
    if (!reply && !s->virtual_tried) {
        /* Headless mutter without a monitor: record a virtual one. */
        g_dbus_error_strip_remote_error(error);
        g_message("GNOME screen cast: no primary monitor (%s); recording a virtual one",
                  error->message);
        s->virtual_tried = true;
        record(s);
        return;
    }
    if (!reply) {
        g_dbus_error_strip_remote_error(error);
        session_fail(s, "mutter refused to record the screen: %s", error->message);
        return;
    }
    g_variant_get(reply, "(o)", &s->stream_path);
    s->virtual_last = s->virtual_tried;
    s->stream_sub = g_dbus_connection_signal_subscribe(
        s->bus, NULL, SC_STREAM, "PipeWireStreamAdded", s->stream_path, NULL,
        G_DBUS_SIGNAL_FLAGS_NONE, on_stream_added, s, NULL);
    call(s, RD_NAME, s->rd_path, RD_SESSION, "Start", NULL, NULL, on_started);
}

static void record(struct mutter_session *s)
{
    GVariantBuilder b;
    g_variant_builder_init(&b, G_VARIANT_TYPE_VARDICT);
    g_variant_builder_add(&b, "{sv}", "cursor-mode", g_variant_new_uint32(CURSOR_META));
    if (s->virtual_tried) {
        g_variant_builder_add(&b, "{sv}", "is-platform", g_variant_new_boolean(TRUE));
        call(s, SC_NAME, s->sc_path, SC_SESSION, "RecordVirtual", g_variant_new("(a{sv})", &b),
             "(o)", on_recorded);
    } else {
        /* "" is the primary monitor. */
        call(s, SC_NAME, s->sc_path, SC_SESSION, "RecordMonitor", g_variant_new("(sa{sv})", "", &b),
             "(o)", on_recorded);
    }
}

static void on_sc_created(GObject *source, GAsyncResult *res, gpointer data)
{
    struct mutter_session *s;
    g_autoptr(GVariant) reply = finish(source, res, &s, data, "a screen-cast session");
    if (!reply)
        return;
    g_variant_get(reply, "(o)", &s->sc_path);
    record(s);
}

static void on_session_id(GObject *source, GAsyncResult *res, gpointer data)
{
    struct mutter_session *s;
    g_autoptr(GVariant) reply = finish(source, res, &s, data, "the remote-desktop session id");
    if (!reply)
        return;
    g_autoptr(GVariant) value = NULL;
    g_variant_get(reply, "(v)", &value);
    if (!g_variant_is_of_type(value, G_VARIANT_TYPE_STRING)) {
        session_fail(s, "mutter's remote-desktop SessionId is not a string");
        return;
    }
    GVariantBuilder b;
    g_variant_builder_init(&b, G_VARIANT_TYPE_VARDICT);
    g_variant_builder_add(&b, "{sv}", "remote-desktop-session-id", value);
    /* No window animations while someone watches (as gnome-remote-desktop
     * asks): they cost frames, and mutter 43 can leave out the last frame of
     * one (a throttled frame it never sends later), which left the client a
     * stale mid-animation picture on a screen that then stood still. */
    g_variant_builder_add(&b, "{sv}", "disable-animations", g_variant_new_boolean(TRUE));
    call(s, SC_NAME, SC_PATH, "org.gnome.Mutter.ScreenCast", "CreateSession",
         g_variant_new("(a{sv})", &b), "(o)", on_sc_created);
}

static void on_rd_created(GObject *source, GAsyncResult *res, gpointer data)
{
    struct mutter_session *s;
    g_autoptr(GVariant) reply = finish(source, res, &s, data, "a remote-desktop session");
    if (!reply)
        return;
    g_variant_get(reply, "(o)", &s->rd_path);
    s->closed_sub =
        g_dbus_connection_signal_subscribe(s->bus, NULL, RD_SESSION, "Closed", s->rd_path, NULL,
                                           G_DBUS_SIGNAL_FLAGS_NONE, on_closed, s, NULL);
    s->props_sub = g_dbus_connection_signal_subscribe(
        s->bus, NULL, "org.freedesktop.DBus.Properties", "PropertiesChanged", s->rd_path,
        RD_SESSION, G_DBUS_SIGNAL_FLAGS_NONE, on_props_changed, s, NULL);
    call(s, RD_NAME, s->rd_path, "org.freedesktop.DBus.Properties", "Get",
         g_variant_new("(ss)", RD_SESSION, "SessionId"), "(v)", on_session_id);
}

/* --- capture's view --- */

static void stream_open(void *data, capture_stream_ready_fn ready, void *ready_data)
{
    struct mutter_session *s = data;
    /* A close still waiting for its idle goes first. */
    session_close_now(s);
    s->ready = ready;
    s->ready_data = ready_data;
    s->gone = ready;
    s->gone_data = ready_data;
    if (!s->present) {
        session_fail(s, "mutter is not on the session bus (did GNOME Shell quit?)");
        return;
    }
    s->cancel = g_cancellable_new();
    call(s, RD_NAME, RD_PATH, RD_NAME, "CreateSession", NULL, "(o)", on_rd_created);
}

static gboolean on_close_idle(gpointer data)
{
    struct mutter_session *s = data;
    s->close_idle = 0;
    session_close_now(s);
    return G_SOURCE_REMOVE;
}

static void stream_close(void *data)
{
    struct mutter_session *s = data;
    /* No more frames for capture; input may still release keys. */
    s->ready = NULL;
    s->ready_data = NULL;
    if (!s->close_idle && (s->rd_path || s->cancel))
        s->close_idle = g_idle_add(on_close_idle, s);
}

/* The current mode of the primary monitor, from DisplayConfig. */
static int stream_get_size(void *data, int *ret_width, int *ret_height)
{
    struct mutter_session *s = data;
    g_autoptr(GError) error = NULL;
    g_autoptr(GVariant) reply = g_dbus_connection_call_sync(
        s->bus, "org.gnome.Mutter.DisplayConfig", "/org/gnome/Mutter/DisplayConfig",
        "org.gnome.Mutter.DisplayConfig", "GetCurrentState", NULL,
        G_VARIANT_TYPE("(ua((ssss)a(siiddada{sv})a{sv})a(iiduba(ssss)a{sv})a{sv})"),
        G_DBUS_CALL_FLAGS_NO_AUTO_START, CALL_TIMEOUT, NULL, &error);
    if (!reply) {
        g_debug("no monitor configuration from mutter: %s", error->message);
        return -EIO;
    }
    g_autoptr(GVariant) monitors = g_variant_get_child_value(reply, 1);
    g_autoptr(GVariant) logical = g_variant_get_child_value(reply, 2);
    /* The primary logical monitor's first monitor, and its rotation. */
    g_autofree char *connector = NULL;
    guint32 transform = 0;
    for (gsize i = 0; !connector && i < g_variant_n_children(logical); i++) {
        g_autoptr(GVariant) lm = g_variant_get_child_value(logical, i);
        gboolean primary = FALSE;
        g_variant_get_child(lm, 3, "u", &transform);
        g_variant_get_child(lm, 4, "b", &primary);
        g_autoptr(GVariant) specs = g_variant_get_child_value(lm, 5);
        if (primary && g_variant_n_children(specs) > 0) {
            g_autoptr(GVariant) spec = g_variant_get_child_value(specs, 0);
            g_variant_get_child(spec, 0, "s", &connector);
        }
    }
    if (!connector)
        return -ENODEV;
    for (gsize i = 0; i < g_variant_n_children(monitors); i++) {
        g_autoptr(GVariant) mon = g_variant_get_child_value(monitors, i);
        g_autoptr(GVariant) spec = g_variant_get_child_value(mon, 0);
        g_autofree char *name = NULL;
        g_variant_get_child(spec, 0, "s", &name);
        if (g_strcmp0(name, connector) != 0)
            continue;
        g_autoptr(GVariant) modes = g_variant_get_child_value(mon, 1);
        for (gsize j = 0; j < g_variant_n_children(modes); j++) {
            g_autoptr(GVariant) mode = g_variant_get_child_value(modes, j);
            gint32 w = 0, h = 0;
            gboolean current = FALSE;
            g_variant_get_child(mode, 1, "i", &w);
            g_variant_get_child(mode, 2, "i", &h);
            g_autoptr(GVariant) props = g_variant_get_child_value(mode, 6);
            if (!g_variant_lookup(props, "is-current", "b", &current) || !current || w <= 0 ||
                h <= 0)
                continue;
            bool turned = transform % 2 == 1; /* 90 or 270 degrees, flipped or not */
            *ret_width = turned ? h : w;
            *ret_height = turned ? w : h;
            return 0;
        }
    }
    return -ENODEV;
}

static bool stream_is_virtual(void *data)
{
    struct mutter_session *s = data;
    return s->virtual_tried || s->virtual_last;
}

static void stream_watch(void *data, capture_stream_ready_fn gone, void *gone_data)
{
    struct mutter_session *s = data;
    s->gone = gone;
    s->gone_data = gone_data;
}

/* --- input's view --- */

static void on_notify_done(GObject *source, GAsyncResult *res, gpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GVariant) reply =
        g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), res, &error);
    if (!reply) {
        /* Once at warning level (a broken session shows), then quietly:
         * a client can send thousands of events a second. */
        static gboolean warned;
        g_dbus_error_strip_remote_error(error);
        if (!warned)
            g_warning(
                "mutter refused an input event: %s (further refusals are logged at debug level)",
                error->message);
        else
            g_debug("mutter refused an input event: %s", error->message);
        warned = TRUE;
    }
}

static bool input_call(void *data, const char *method, GVariant *args)
{
    struct mutter_session *s = data;
    g_variant_ref_sink(args);
    bool ok = s->started && s->rd_path;
    if (ok)
        g_dbus_connection_call(s->bus, RD_NAME, s->rd_path, RD_SESSION, method, args, NULL,
                               G_DBUS_CALL_FLAGS_NO_AUTO_START, CALL_TIMEOUT, NULL, on_notify_done,
                               NULL);
    g_variant_unref(args);
    return ok;
}

static unsigned input_get_leds(void *data)
{
    struct mutter_session *s = data;
    return s->leds;
}

static void input_watch_leds(void *data, void (*changed)(unsigned leds, void *user), void *user)
{
    struct mutter_session *s = data;
    s->leds_changed = changed;
    s->leds_user = user;
}

static const char *input_stream_path(void *data)
{
    struct mutter_session *s = data;
    return s->started ? s->stream_path : NULL;
}

/* --- the clipboard's view --- */

static void clipboard_watch(void *data, void (*changed)(const char *path, void *user), void *user)
{
    struct mutter_session *s = data;
    s->clip_changed = changed;
    s->clip_user = user;
    if (changed && s->started && s->rd_path)
        changed(s->rd_path, user);
}

/* --- lifecycle --- */

static void on_name_appeared(GDBusConnection *bus, const char *name, const char *owner,
                             gpointer data)
{
    struct mutter_session *s = data;
    s->present = true;
}

static void on_name_vanished(GDBusConnection *bus, const char *name, gpointer data)
{
    struct mutter_session *s = data;
    bool was = s->present;
    s->present = false;
    if (!was)
        return;
    const char *why = "mutter left the session bus (the compositor quit?)";
    if (s->rd_path || s->cancel) {
        g_clear_pointer(&s->rd_path, g_free);
        session_fail(s, "%s", why);
    } else if (s->gone) {
        s->gone(0, why, s->gone_data);
    }
}

struct mutter_session *mutter_session_create(char **ret_error)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GDBusConnection) bus = g_bus_get_sync(G_BUS_TYPE_SESSION, NULL, &error);
    if (!bus) {
        *ret_error = g_strdup_printf("GNOME remote desktop needs the D-Bus session bus: %s (is "
                                     "DBUS_SESSION_BUS_ADDRESS set?)",
                                     error->message);
        return NULL;
    }
    g_autoptr(GVariant) reply = g_dbus_connection_call_sync(
        bus, RD_NAME, RD_PATH, "org.freedesktop.DBus.Properties", "Get",
        g_variant_new("(ss)", RD_NAME, "Version"), G_VARIANT_TYPE("(v)"),
        G_DBUS_CALL_FLAGS_NO_AUTO_START, CALL_TIMEOUT, NULL, &error);
    if (!reply) {
        g_dbus_error_strip_remote_error(error);
        *ret_error = g_strdup_printf("mutter's remote desktop (%s) is not on the session bus: %s; "
                                     "run the agent inside the GNOME session",
                                     RD_NAME, error->message);
        return NULL;
    }
    struct mutter_session *s = g_new0(struct mutter_session, 1);
    s->bus = g_steal_pointer(&bus);
    s->present = true;
    s->watch = g_bus_watch_name_on_connection(s->bus, RD_NAME, G_BUS_NAME_WATCHER_FLAGS_NONE,
                                              on_name_appeared, on_name_vanished, s, NULL);
    s->stream_source = (struct capture_stream_source){.open = stream_open,
                                                      .close = stream_close,
                                                      .get_size = stream_get_size,
                                                      .watch = stream_watch,
                                                      .is_virtual = stream_is_virtual,
                                                      .data = s};
    s->input = (struct injector_remote_desktop){
        .call = input_call,
        .stream_path = input_stream_path,
        .get_leds = input_get_leds,
        .watch_leds = input_watch_leds,
        .data = s,
    };
    s->clipboard = (struct clipboard_remote_desktop){
        .bus = s->bus, .watch = clipboard_watch, .data = s};
    return s;
}

void mutter_session_destroy(struct mutter_session *s)
{
    if (!s)
        return;
    session_close_now(s);
    if (s->watch)
        g_bus_unwatch_name(s->watch);
    g_dbus_connection_flush_sync(s->bus, NULL, NULL);
    g_object_unref(s->bus);
    g_free(s);
}

const struct capture_stream_source *mutter_session_stream_source(struct mutter_session *s)
{
    return &s->stream_source;
}

const struct injector_remote_desktop *mutter_session_input(struct mutter_session *s)
{
    return &s->input;
}

const struct clipboard_remote_desktop *mutter_session_clipboard(struct mutter_session *s)
{
    return &s->clipboard;
}
