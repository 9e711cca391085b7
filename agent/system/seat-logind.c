/* seat-logind: the logind source of the seat follower. Watches
 * org.freedesktop.login1 on the system bus (GDBus's G_BUS_TYPE_SYSTEM, which
 * honours DBUS_SYSTEM_BUS_ADDRESS), follows seat0's ActiveSession and that
 * session's Class, Type, Display, Name, User and LockedHint. Survives the
 * bus restarting (reconnects) and logind restarting (the name is watched). */
#include "agent/system/seat-priv.h"

#include <gio/gio.h>
#include <string.h>

#define LOGIND_NAME "org.freedesktop.login1"
#define SEAT_PATH "/org/freedesktop/login1/seat/seat0"
#define SEAT_IFACE "org.freedesktop.login1.Seat"
#define SESSION_IFACE "org.freedesktop.login1.Session"
#define BUS_RETRY_S 5

struct seat_logind {
    struct seat *seat;
    guint watch;
    GDBusConnection *conn; /* our own: see on_closed() */
    guint retry;
    bool bus_missing_logged;
    GDBusConnection *bus;
    GDBusProxy *seat0;
    GDBusProxy *session;   /* the active one, owned by @sessions */
    char *session_path;
    GHashTable *sessions;  /* object path -> GDBusProxy, the ones seen lately */
    GCancellable *cancel;
};

static char *get_string(GDBusProxy *p, const char *name)
{
    g_autoptr(GVariant) v = g_dbus_proxy_get_cached_property(p, name);
    if (!v || !g_variant_is_of_type(v, G_VARIANT_TYPE_STRING))
        return NULL;
    return g_variant_dup_string(v, NULL);
}

static bool get_bool(GDBusProxy *p, const char *name)
{
    g_autoptr(GVariant) v = g_dbus_proxy_get_cached_property(p, name);
    return v && g_variant_is_of_type(v, G_VARIANT_TYPE_BOOLEAN) && g_variant_get_boolean(v);
}

/* Reads the active session's properties and offers them to the core. */
static void offer_session(struct seat_logind *l)
{
    struct seat_candidate c = {.klass = SEAT_CLASS_NONE, .uid = -1};
    if (l->session) {
        g_autofree char *klass = get_string(l->session, "Class");
        c.session = get_string(l->session, "Id");
        c.type = get_string(l->session, "Type");
        c.user = get_string(l->session, "Name");
        c.display = get_string(l->session, "Display");
        g_autoptr(GVariant) user = g_dbus_proxy_get_cached_property(l->session, "User");
        if (user && g_variant_is_of_type(user, G_VARIANT_TYPE("(uo)"))) {
            guint32 uid;
            g_variant_get(user, "(u&o)", &uid, NULL);
            c.uid = uid;
        }
        bool locked = get_bool(l->session, "LockedHint");
        if (g_strcmp0(klass, "greeter") == 0)
            c.klass = SEAT_CLASS_GREETER;
        else if (g_strcmp0(klass, "lock-screen") == 0 || (g_strcmp0(klass, "user") == 0 && locked))
            c.klass = SEAT_CLASS_LOCKED;
        else if (g_strcmp0(klass, "user") == 0)
            c.klass = SEAT_CLASS_USER;
        else
            g_message("seat: session %s has class '%s': not shown", c.session ? c.session : "?",
                      klass ? klass : "");
        if (c.klass == SEAT_CLASS_NONE)
            seat_candidate_clear(&c);
    }
    seat_offer(l->seat, "logind", &c);
}

static void on_session_changed(GDBusProxy *p, GVariant *changed, GStrv invalidated,
                               gpointer data)
{
    offer_session(data);
}

static void on_session_signal(GDBusProxy *p, const char *sender, const char *signal,
                              GVariant *params, gpointer data)
{
    /* Lock and Unlock ask the session's locker to act; LockedHint follows
     * when it did. */
    g_debug("seat: session signal %s", signal);
}

static void proxy_free(gpointer p)
{
    g_signal_handlers_disconnect_matched(p, G_SIGNAL_MATCH_FUNC, 0, 0, NULL,
                                         G_CALLBACK(on_session_changed), NULL);
    g_signal_handlers_disconnect_matched(p, G_SIGNAL_MATCH_FUNC, 0, 0, NULL,
                                         G_CALLBACK(on_session_signal), NULL);
    g_object_unref(p);
}

static void follow_active(struct seat_logind *l)
{
    g_autoptr(GVariant) v = g_dbus_proxy_get_cached_property(l->seat0, "ActiveSession");
    const char *path = NULL;
    if (v && g_variant_is_of_type(v, G_VARIANT_TYPE("(so)")))
        g_variant_get(v, "(&s&o)", NULL, &path);
    if (path && strcmp(path, "/") == 0)
        path = NULL; /* the seat is switching, or nobody is on it */
    if (g_strcmp0(path, l->session_path) == 0 && l->session) {
        offer_session(l);
        return;
    }
    l->session = NULL;
    g_free(l->session_path);
    l->session_path = g_strdup(path);
    if (path)
        l->session = g_hash_table_lookup(l->sessions, path);
    if (path && !l->session) {
        /* Fast user switching goes back and forth between a few sessions:
         * keep their proxies (their properties follow by signal), up to a
         * handful. */
        if (g_hash_table_size(l->sessions) >= 8)
            g_hash_table_remove_all(l->sessions);
        g_autoptr(GError) error = NULL;
        l->session = g_dbus_proxy_new_sync(l->bus, G_DBUS_PROXY_FLAGS_NONE, NULL, LOGIND_NAME,
                                           path, SESSION_IFACE, l->cancel, &error);
        if (!l->session) {
            g_message("seat: cannot read logind session %s: %s", path, error->message);
        } else {
            g_signal_connect(l->session, "g-properties-changed", G_CALLBACK(on_session_changed), l);
            g_signal_connect(l->session, "g-signal", G_CALLBACK(on_session_signal), l);
            g_hash_table_insert(l->sessions, g_strdup(path), l->session);
        }
    }
    offer_session(l);
}

static void on_seat_changed(GDBusProxy *p, GVariant *changed, GStrv invalidated, gpointer data)
{
    follow_active(data);
}

static void on_appeared(GDBusConnection *bus, const char *name, const char *owner, gpointer data)
{
    struct seat_logind *l = data;
    g_autoptr(GError) error = NULL;
    l->bus = g_object_ref(bus);
    l->seat0 = g_dbus_proxy_new_sync(bus, G_DBUS_PROXY_FLAGS_NONE, NULL, LOGIND_NAME, SEAT_PATH,
                                     SEAT_IFACE, l->cancel, &error);
    if (!l->seat0) {
        g_message("seat: logind has no seat0 (%s): following display-manager hooks",
                  error->message);
        return;
    }
    g_signal_connect(l->seat0, "g-properties-changed", G_CALLBACK(on_seat_changed), l);
    seat_logind_present(l->seat, true);
    follow_active(l);
}

static void drop(struct seat_logind *l)
{
    l->session = NULL;
    g_hash_table_remove_all(l->sessions);
    g_clear_object(&l->seat0);
    g_clear_object(&l->bus);
    g_clear_pointer(&l->session_path, g_free);
}

static void on_vanished(GDBusConnection *bus, const char *name, gpointer data)
{
    struct seat_logind *l = data;
    bool was = l->seat0 != NULL;
    drop(l);
    if (was)
        g_message("seat: logind left the system bus (restarting?): following display-manager hooks until it is back");
    seat_logind_present(l->seat, false);
}

static gboolean on_retry(gpointer data);

/* The system bus went away (dbus-daemon restarting): GDBus's shared
 * connection would raise SIGTERM on us (exit-on-close), so the connection is
 * our own, and we reconnect. */
static void on_closed(GDBusConnection *conn, gboolean remote, GError *error, gpointer data)
{
    struct seat_logind *l = data;
    g_message("seat: the system bus closed its connection%s%s; reconnecting",
              error ? ": " : "", error ? error->message : "");
    if (l->watch)
        g_bus_unwatch_name(l->watch);
    l->watch = 0;
    drop(l);
    seat_logind_present(l->seat, false);
    g_signal_handlers_disconnect_by_data(l->conn, l);
    g_clear_object(&l->conn);
    l->retry = g_timeout_add(1000, on_retry, l);
}

static void connect_bus(struct seat_logind *l)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *address = g_dbus_address_get_for_bus_sync(G_BUS_TYPE_SYSTEM, l->cancel,
                                                               &error);
    if (address)
        l->conn = g_dbus_connection_new_for_address_sync(
            address,
            G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
            NULL, l->cancel, &error);
    if (!l->conn) {
        if (!l->bus_missing_logged)
            g_message("seat: no system bus (%s): following display-manager hooks; trying again every %d s",
                      error->message, BUS_RETRY_S);
        l->bus_missing_logged = true;
        l->retry = g_timeout_add_seconds(BUS_RETRY_S, on_retry, l);
        return;
    }
    l->bus_missing_logged = false;
    g_dbus_connection_set_exit_on_close(l->conn, FALSE);
    g_signal_connect(l->conn, "closed", G_CALLBACK(on_closed), l);
    l->watch = g_bus_watch_name_on_connection(l->conn, LOGIND_NAME, G_BUS_NAME_WATCHER_FLAGS_NONE,
                                              on_appeared, on_vanished, l, NULL);
}

static gboolean on_retry(gpointer data)
{
    struct seat_logind *l = data;
    l->retry = 0;
    connect_bus(l);
    return G_SOURCE_REMOVE;
}

struct seat_logind *seat_logind_create(struct seat *seat)
{
    struct seat_logind *l = g_new0(struct seat_logind, 1);
    l->seat = seat;
    l->cancel = g_cancellable_new();
    l->sessions = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, proxy_free);
    connect_bus(l);
    return l;
}

void seat_logind_destroy(struct seat_logind *l)
{
    if (!l)
        return;
    g_cancellable_cancel(l->cancel);
    if (l->retry)
        g_source_remove(l->retry);
    if (l->watch)
        g_bus_unwatch_name(l->watch);
    drop(l);
    if (l->conn) {
        g_signal_handlers_disconnect_by_data(l->conn, l);
        g_object_unref(l->conn);
    }
    g_hash_table_unref(l->sessions);
    g_object_unref(l->cancel);
    g_free(l);
}
