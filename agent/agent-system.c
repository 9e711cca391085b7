/* agent-system: the system service mode (--system) of the composition root.
 *
 * The seat follower (agent/system/seat.h) says which X display is in front
 * of seat0 and who is on it. Here that becomes: the capture torn down and
 * attached to the new display (or to the "waiting for the desktop"
 * placeholder, the fake backend's "waiting" script), the primary surface
 * recreated at the new size, input following the same display, and the
 * features allowed in that state. spice-server and the client's connection
 * stay as they are throughout. */
#include "agent/agent-priv.h"
#include "agent/audio.h"
#include "agent/system/seat.h"
#include "agent/system/session-server.h"
#include "agent/system/session-xfer.h"

#include <gio/gio.h>
#include <pwd.h>
#include <unistd.h>

#define PLACEHOLDER_WIDTH 1024
#define PLACEHOLDER_HEIGHT 768

/* Drops what is bound to the current X display. */
static void detach(struct agent *a)
{
    frame_pump_destroy(a->pump);
    a->pump = NULL;
    vdagent_clipboard_destroy(a->clipboard);
    a->clipboard = NULL;
    resize_x11_destroy(a->resize);
    a->resize = NULL;
    capture_destroy(a->capture);
    a->capture = NULL;
    g_clear_pointer(&a->sys_display, g_free);
    g_clear_pointer(&a->sys_xauthority, g_free);
}

struct capture *agent_system_placeholder(struct agent *a, char **ret_error)
{
    int w = a->width > 0 ? a->width : PLACEHOLDER_WIDTH;
    int h = a->height > 0 ? a->height : PLACEHOLDER_HEIGHT;
    struct capture_config cc = {
        .backend = "fake", .fake_script = "waiting", .fake_width = w, .fake_height = h};
    return capture_create(&cc, &agent_capture_listener, a, ret_error);
}

/* Attaches capture, input and RandR to @display (NULL: the placeholder). */
static void attach(struct agent *a, const char *display, const char *xauthority)
{
    g_autofree char *error = NULL;
    struct capture *cap = NULL;
    if (display) {
        struct capture_config cc = {.backend = "x11", .display = display};
        cap = capture_create(&cc, &agent_capture_listener, a, &error);
        if (!cap) {
            g_warning("cannot capture X display %s: %s; showing the placeholder", display, error);
            g_clear_pointer(&error, g_free);
            display = NULL;
        }
    }
    if (!cap)
        cap = agent_system_placeholder(a, &error);
    if (!cap) {
        g_critical("cannot create the placeholder: %s; stopping", error);
        agent_quit(a, 1);
        return;
    }
    a->capture = cap;
    a->capture_lost = false;
    a->sys_display = g_strdup(display);
    a->sys_xauthority = g_strdup(xauthority);
    int w, h;
    capture_get_size(cap, &w, &h);
    if (w != a->width || h != a->height) {
        /* Destroy and create the primary: the new server's size. */
        g_message("desktop is now %dx%d", w, h);
        spice_display_resize(a->display, w, h);
        a->width = w;
        a->height = h;
    }
    if (spice_input_set_display(a->input, display, w, h, &error) < 0) {
        g_warning("input cannot follow %s: %s", display ? display : "the placeholder", error);
        g_clear_pointer(&error, g_free);
    }
    spice_input_set_screen_size(a->input, w, h);
    if (display && a->opts->resize) {
        a->resize = resize_x11_create(display, &error);
        if (!a->resize) {
            g_message("%s", error);
            g_clear_pointer(&error, g_free);
        }
    }
    a->pump = frame_pump_create(cap, a->display, a->opts->max_fps, a->opts->copy_detection);
    agent_wire_pump(a);
    if (a->resize) {
        agent_report_monitors(a);
    } else {
        /* No RandR here (the placeholder): one monitor, the whole surface,
         * not the last display's layout. */
        struct spice_display_head whole = {0, 0, w, h};
        spice_display_set_heads(a->display, &whole, 1);
        a->n_monitors = 0;
    }
    if (a->client_address) {
        /* The client keeps its connection: it gets the new desktop whole. */
        frame_pump_set_active(a->pump, true);
        const struct cursor_image *cursor = capture_get_cursor(cap);
        if (cursor)
            spice_display_set_cursor(a->display, cursor);
    }
}

/* Least privilege per state: the login and lock screens get display and
 * input only. */
static void apply_privileges(struct agent *a, const struct seat_state *st)
{
    bool user = st->klass == SEAT_CLASS_USER && a->sys_display;
    if (user && !a->clipboard && a->opts->clipboard != CLIPBOARD_POLICY_OFF) {
        g_autofree char *error = NULL;
        a->clipboard = vdagent_clipboard_create(vdagent_get_proto(a->vdagent), "x11",
                                                a->sys_display, NULL,
                                                a->opts->clipboard,
                                                (size_t)a->opts->clipboard_max_size, &error);
        if (!a->clipboard)
            g_message("%s", error);
        else
            vdagent_clipboard_client_ready(a->clipboard);
    } else if (!user && a->clipboard) {
        vdagent_clipboard_destroy(a->clipboard);
        a->clipboard = NULL;
    }
    spice_usb_set_allowed(a->usb, user && a->opts->usb_channels > 0);
    const char *who = st->user ? st->user : "";
    const char *where = a->sys_display ? a->sys_display : "the placeholder";
    switch (st->klass) {
    case SEAT_CLASS_USER:
        if (a->sys_display) {
            g_message("state: user %s on %s: display, input, clipboard%s and USB on; file transfer and sound %s",
                      who, where, a->clipboard ? "" : " (unavailable)",
                      session_server_connected(a->sessions) ? "through the session helper"
                                                            : "wait for the session helper");
            break;
        }
        /* a user session we cannot show */
        G_GNUC_FALLTHROUGH;
    case SEAT_CLASS_NONE:
        g_message("state: %s%s%s: showing the placeholder; input goes nowhere; clipboard, file transfer, USB and sound off",
                  seat_class_name(st->klass), *who ? " " : "", who);
        break;
    case SEAT_CLASS_GREETER:
    case SEAT_CLASS_LOCKED:
        g_message("state: %s%s%s on %s: display and input only; clipboard, file transfer, USB and sound off",
                  seat_class_name(st->klass), *who ? " " : "", who, where);
        break;
    }
    g_autoptr(JsonObject) ev = json_object_new();
    json_object_set_string_member(ev, "state", seat_class_name(st->klass));
    if (st->user)
        json_object_set_string_member(ev, "user", st->user);
    if (a->sys_display)
        json_object_set_string_member(ev, "display", a->sys_display);
    json_object_set_string_member(ev, "source", st->source);
    control_emit_event(a->control, "session", ev);
}

static void on_seat_changed(const struct seat_state *st, void *data)
{
    struct agent *a = data;
    if (a->stopping)
        return;
    bool same = st->display && g_strcmp0(st->display, a->sys_display) == 0 &&
                g_strcmp0(st->xauthority, a->sys_xauthority) == 0 && !a->capture_lost;
    bool placeholder_still = !st->display && !a->sys_display && a->capture && !a->capture_lost;
    if (!same && !placeholder_still) {
        g_message("seat: %s: %s", st->display ? "attaching to" : "detaching from",
                  st->display ? st->display : (a->sys_display ? a->sys_display : "nothing"));
        detach(a);
        attach(a, st->display, st->xauthority);
        if (!a->capture)
            return;
    }
    a->sys_class = st->klass;
    long uid = st->uid;
    if (uid < 0 && st->user) {
        /* dm-hook says who, not which uid */
        struct passwd *pw = getpwnam(st->user);
        uid = pw ? (long)pw->pw_uid : -1;
    }
    bool user = st->klass == SEAT_CLASS_USER || st->klass == SEAT_CLASS_LOCKED;
    g_free(a->sys_session);
    /* Only logind's sessions can be locked or ended through logind. */
    a->sys_session = g_strcmp0(st->source, "logind") == 0 && user ? g_strdup(st->session) : NULL;
    session_server_set_active(a->sessions, user ? uid : -1, st->user, st->session);
    apply_privileges(a, st);
}

static void on_helper(bool connected, void *data)
{
    struct agent *a = data;
    if (!connected && a->sys_xfer)
        session_xfer_helper_gone(a->sys_xfer);
    g_message("session helper %s: file transfer %s, sound %s", connected ? "connected" : "gone",
              connected ? "lands in the user's Downloads" : "off",
              !a->audio ? "off (--audio=off)" : connected ? "from the user's sound server" : "off");
    if (connected && a->audio)
        session_server_audio(a->sessions, a->sys_audio_on);
}

static void on_logind_done(GObject *source, GAsyncResult *res, gpointer data)
{
    g_autofree char *what = data;
    g_autoptr(GError) error = NULL;
    g_autoptr(GVariant) r = g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), res, &error);
    if (!r)
        g_warning("on disconnect: %s failed: %s", what, error->message);
}

void agent_system_client_left(struct agent *a)
{
    int mode = a->opts->on_disconnect;
    if (mode == ON_DISCONNECT_NOTHING || a->sys_class != SEAT_CLASS_USER)
        return; /* nothing asked for, or nothing to lock (greeter, already locked) */
    const char *method = mode == ON_DISCONNECT_LOGOUT ? "TerminateSession" : "LockSession";
    if (!a->sys_session) {
        g_message("on disconnect: cannot %s the session: logind does not manage it",
                  mode == ON_DISCONNECT_LOGOUT ? "end" : "lock");
        return;
    }
    g_autoptr(GError) error = NULL;
    g_autoptr(GDBusConnection) bus = g_bus_get_sync(G_BUS_TYPE_SYSTEM, NULL, &error);
    if (!bus) {
        g_warning("on disconnect: no system bus for %s: %s", method, error->message);
        return;
    }
    g_message("on disconnect: %s %s (logind %s)",
              mode == ON_DISCONNECT_LOGOUT ? "logging out session" : "locking session",
              a->sys_session, method);
    g_dbus_connection_call(bus, "org.freedesktop.login1", "/org/freedesktop/login1",
                           "org.freedesktop.login1.Manager", method,
                           g_variant_new("(s)", a->sys_session), NULL, G_DBUS_CALL_FLAGS_NONE,
                           5000, NULL, on_logind_done,
                           g_strdup_printf("%s(%s)", method, a->sys_session));
}

static void on_helper_pcm(const uint32_t *frames, size_t n, void *data)
{
    struct agent *a = data;
    /* Least privilege per state: no sound from behind the lock screen. */
    if (a->sys_class == SEAT_CLASS_USER)
        audio_relay_feed(a->audio, frames, n);
}

static void on_helper_listening(bool on, void *data)
{
    struct agent *a = data;
    audio_relay_listening(a->audio, on && a->sys_class == SEAT_CLASS_USER);
}

void agent_system_audio_mic(const uint32_t *frames, size_t n, void *data)
{
    struct agent *a = data;
    if (a->sys_class == SEAT_CLASS_USER)
        session_server_mic(a->sessions, frames, n);
}

void agent_system_audio_wanted(bool on, void *data)
{
    struct agent *a = data;
    a->sys_audio_on = on;
    session_server_audio(a->sessions, on);
}

static void on_helper_fd(uint32_t id, int fd, void *data)
{
    struct agent *a = data;
    if (a->sys_xfer)
        session_xfer_file_fd(a->sys_xfer, id, fd);
    else
        close(fd);
}

static void on_helper_kept(uint32_t id, const char *name, void *data)
{
    struct agent *a = data;
    if (a->sys_xfer)
        session_xfer_file_kept(a->sys_xfer, id, name);
}

static void on_helper_error(uint32_t id, int err, void *data)
{
    struct agent *a = data;
    if (a->sys_xfer)
        session_xfer_file_error(a->sys_xfer, id, err);
}

static const struct seat_listener seat_listener = {.changed = on_seat_changed};

bool agent_start_system(struct agent *a, char **ret_error)
{
    const struct agent_options *o = a->opts;
    struct seat_config sc = {
        .logind = o->seat_source != SEAT_SOURCE_DM_HOOK,
        .hook_socket = o->seat_source != SEAT_SOURCE_LOGIND ? o->dm_hook_socket : NULL,
    };
    if (o->session_socket && *o->session_socket) {
        struct session_server_events ev = {
            .helper = on_helper, .file_fd = on_helper_fd, .file_kept = on_helper_kept,
            .file_error = on_helper_error, .pcm = on_helper_pcm,
            .listening = on_helper_listening, .user_data = a};
        a->sessions = session_server_create(o->session_socket, &ev, ret_error);
        if (!a->sessions)
            return false;
        if (a->sys_xfer)
            session_xfer_set_server(a->sys_xfer, a->sessions);
    }
    a->seat = seat_create(&sc, &seat_listener, a, ret_error);
    if (!a->seat)
        return false;
    spice_usb_set_allowed(a->usb, false);
    g_message("system service: following seat0 (%s)",
              o->seat_source == SEAT_SOURCE_LOGIND    ? "logind"
              : o->seat_source == SEAT_SOURCE_DM_HOOK ? "display-manager hooks"
                                                      : "logind, else display-manager hooks");
    return true;
}

void agent_system_capture_lost(struct agent *a, const char *message)
{
    if (a->capture_lost)
        return;
    g_message("%s", message);
    a->capture_lost = true;
    seat_display_lost(a->seat);
}

void agent_stop_system(struct agent *a)
{
    g_clear_pointer(&a->sys_session, g_free);
    seat_destroy(a->seat);
    a->seat = NULL;
    if (a->sys_xfer)
        session_xfer_set_server(a->sys_xfer, NULL);
    session_server_destroy(a->sessions);
    a->sessions = NULL;
    g_clear_pointer(&a->sys_display, g_free);
    g_clear_pointer(&a->sys_xauthority, g_free);
}
