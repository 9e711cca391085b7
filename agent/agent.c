#include "agent/agent.h"

#include <errno.h>
#include <glib-unix.h>
#include <glib.h>
#include <stdbool.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "agent/audio.h"
#include "agent/control-proto.h"
#include "agent/control.h"
#include "agent/frame-pump.h"
#include "agent/metrics.h"
#include "agent/password.h"
#include "agent/spice-display.h"
#include "agent/spice-input.h"
#include "agent/spice-server.h"
#include "agent/spice-stream.h"
#include "agent/spice-usb.h"
#include "agent/stream-pump.h"
#include "agent/tls.h"
#include "agent/vdagent.h"
#include "agent/vdagent-clipboard.h"
#include "agent/vdagent-file-xfer.h"
#include "agent/virtual-desktop.h"
#include "display/capture.h"
#include "display/resize-x11.h"


#define GENERATED_PASSWORD_LENGTH 20
/* Monitors a client may enable (the limit; RandR's dummy has 16). */
#define AGENT_MAX_MONITORS 4
/* Room for clipboard headers on top of the clipboard size cap. */
#define AGENT_MESSAGE_SLACK 4096u

struct agent {
    const struct agent_options *opts;
    GMainLoop *loop;
    int exit_code;
    struct virtual_desktop *vdesk;
    char *display_name;
    char *password;          /* the lasting password (file or generated) */
    char *one_time;          /* armed one-time password, until used or expired */
    gint64 one_time_expiry;  /* monotonic usec; 0: none */
    bool one_time_used;      /* a client got in with it: other channels still may */
    bool one_time_kick;      /* disconnect clients when it is retired */
    unsigned one_time_channels; /* bit per SPICE_CHANNEL_* linked since */
    guint one_time_timer;
    guint restore_idle;
    struct tls_identity *tls;
    char *vv_file;
    struct capture *capture;
    SpiceServer *server;
    struct spice_display *display;
    struct spice_input *input;
    struct spice_usb *usb;
    struct frame_pump *pump;      /* --video=desktop */
    struct spice_stream *stream;  /* --video=stream: no QXL display */
    struct stream_pump *vpump;
    struct audio *audio; /* NULL with --audio=off */
    struct vdagent *vdagent;
    struct resize_x11 *resize; /* NULL: --resize=off or no RandR */
    struct vdagent_clipboard *clipboard; /* NULL: --clipboard=off or no X */
    struct vdagent_file_xfer *file_xfer; /* NULL: --file-transfer=off */
    struct resize_rect monitors[AGENT_MAX_MONITORS]; /* as last reported to clients */
    int n_monitors;
    guint sig_int, sig_term, sig_usr1, sig_hup;
    struct control *control;
    struct metrics *metrics;
    struct metrics_histogram *grab_hist;
    int width, height;
    char *client_address;   /* the connected client, or NULL */
    gint64 client_since_us; /* monotonic */
    uint64_t connections;
    bool stopping; /* in agent_destroy: events from modules are ignored */
};

static void agent_quit(struct agent *a, int code)
{
    if (code > a->exit_code)
        a->exit_code = code;
    g_main_loop_quit(a->loop);
}

/* --- capture events --- */

static void on_damage_pending(void *data)
{
    struct agent *a = data;
    if (a->stopping)
        return;
    if (a->pump)
        frame_pump_kick(a->pump);
    if (a->vpump)
        stream_pump_kick(a->vpump);
}

/* Tells clients how the desktop splits into monitors: the active RandR
 * outputs in output order (output i shows the client's monitor i). */
static void report_monitors(struct agent *a)
{
    struct resize_rect rects[RESIZE_X11_MAX_OUTPUTS];
    int n = 0;
    if (!a->display || !a->resize ||
        resize_x11_get_layout(a->resize, rects, AGENT_MAX_MONITORS, &n) < 0)
        return;
    struct spice_display_head heads[AGENT_MAX_MONITORS];
    memcpy(a->monitors, rects, sizeof(*rects) * n);
    a->n_monitors = n;
    for (int i = 0; i < n; i++)
        heads[i] = (struct spice_display_head){rects[i].x, rects[i].y, rects[i].width,
                                               rects[i].height};
    spice_display_set_heads(a->display, heads, n);
}

static void on_resized(int width, int height, void *data)
{
    struct agent *a = data;
    if (a->stopping || (!a->pump && !a->vpump))
        return;
    a->width = width;
    a->height = height;
    g_autofree char *size = g_strdup_printf("%dx%d", width, height);
    g_log_structured(G_LOG_DOMAIN, G_LOG_LEVEL_MESSAGE, "EVENT", "resize", "SESSION_ID",
                     server_session_id(), "MESSAGE", "desktop is now %s", size);
    g_autoptr(JsonObject) ev = json_object_new();
    json_object_set_int_member(ev, "width", width);
    json_object_set_int_member(ev, "height", height);
    control_emit_event(a->control, "resize", ev);
    report_monitors(a);
    spice_input_set_screen_size(a->input, width, height);
    if (a->pump) {
        spice_display_resize(a->display, width, height);
        frame_pump_resized(a->pump, width, height);
    }
    if (a->vpump)
        stream_pump_resized(a->vpump, width, height);
}

static void on_cursor_changed(const struct cursor_image *cursor, void *data)
{
    struct agent *a = data;
    if (a->stopping)
        return;
    if (a->display)
        spice_display_set_cursor(a->display, cursor);
    if (a->stream)
        spice_stream_set_cursor(a->stream, cursor);
}

static void on_capture_lost(const char *message, void *data)
{
    struct agent *a = data;
    g_critical("%s; stopping", message);
    agent_quit(a, 1);
}

static const struct capture_listener capture_listener = {
    .damage_pending = on_damage_pending,
    .resized = on_resized,
    .cursor_changed = on_cursor_changed,
    .lost = on_capture_lost,
};

/* --- agent channel events --- */

/* A client's monitors config (its windows' sizes): lay out the X outputs. */
static void on_monitors_config(const struct vdagent_monitor *mons, int n, void *data)
{
    struct agent *a = data;
    if (a->stopping)
        return;
    struct vdagent_proto *proto = vdagent_get_proto(a->vdagent);
    if (!a->resize) {
        g_message("not resizing the desktop for the client: %s",
                  a->opts->resize ? "the X server cannot (see above)" : "--resize=off");
        vdagent_proto_send_reply(proto, VD_AGENT_MONITORS_CONFIG, VD_AGENT_ERROR);
        return;
    }
    struct resize_rect rects[AGENT_MAX_MONITORS];
    int count = 0;
    bool positioned = false;
    for (int i = 0; i < n; i++) {
        if (!mons[i].enabled)
            continue;
        if (count == AGENT_MAX_MONITORS) {
            g_message("the client enabled more than %d monitors; using the first %d",
                      AGENT_MAX_MONITORS, AGENT_MAX_MONITORS);
            break;
        }
        rects[count] = (struct resize_rect){mons[i].x, mons[i].y, mons[i].width, mons[i].height};
        positioned |= count > 0 && (mons[i].x != rects[0].x || mons[i].y != rects[0].y);
        count++;
    }
    /* Without positions, monitors go left to right. */
    for (int i = 1; i < count && !positioned; i++) {
        rects[i].x = rects[i - 1].x + rects[i - 1].width;
        rects[i].y = rects[0].y;
    }
    GString *desc = g_string_new(NULL);
    for (int i = 0; i < count; i++)
        g_string_append_printf(desc, "%s%dx%d+%d+%d", i ? ", " : "", rects[i].width,
                               rects[i].height, rects[i].x, rects[i].y);
    g_autofree char *error = NULL;
    int rc = resize_x11_apply(a->resize, rects, count, &error);
    if (rc < 0) {
        g_warning("cannot set the client's monitors (%s): %s", desc->str, error);
        vdagent_proto_send_reply(proto, VD_AGENT_MONITORS_CONFIG, VD_AGENT_ERROR);
    } else {
        g_message("client monitors: %s", desc->str);
        report_monitors(a);
        vdagent_proto_send_reply(proto, VD_AGENT_MONITORS_CONFIG, VD_AGENT_SUCCESS);
    }
    g_string_free(desc, TRUE);
}

/* Absolute pointer through the agent channel (agent mouse mode), relative
 * to the client's monitor @display_id: add that monitor's origin. */
static void on_agent_mouse(int x, int y, uint32_t buttons, int display_id, void *data)
{
    struct agent *a = data;
    if (a->stopping)
        return;
    if (display_id >= 0 && display_id < a->n_monitors) {
        x += a->monitors[display_id].x;
        y += a->monitors[display_id].y;
    }
    spice_input_agent_mouse(a->input, x, y, buttons);
}

static void on_agent_caps(void *data)
{
    struct agent *a = data;
    g_message("client agent channel ready");
    if (a->clipboard && !a->stopping)
        vdagent_clipboard_client_ready(a->clipboard);
}

static void on_agent_client_gone(void *data)
{
    struct agent *a = data;
    g_debug("agent channel: client gone, state reset");
    if (a->clipboard && !a->stopping)
        vdagent_clipboard_client_gone(a->clipboard);
    if (a->file_xfer && !a->stopping)
        vdagent_file_xfer_reset(a->file_xfer);
}

static void on_xfer_start(uint32_t id, const char *keyfile, void *data)
{
    struct agent *a = data;
    vdagent_file_xfer_start(a->file_xfer, id, keyfile);
}

static void on_xfer_data(uint32_t id, const uint8_t *bytes, size_t len, void *data)
{
    struct agent *a = data;
    if (a->file_xfer)
        vdagent_file_xfer_data(a->file_xfer, id, bytes, len);
}

static void on_xfer_status(uint32_t id, uint32_t result, void *data)
{
    struct agent *a = data;
    if (a->file_xfer)
        vdagent_file_xfer_status(a->file_xfer, id, result);
}

static void on_clip_grab(int sel, const uint32_t *types, int n, void *data)
{
    struct agent *a = data;
    if (a->clipboard)
        vdagent_clipboard_client_grab(a->clipboard, sel, types, n);
}

static void on_clip_request(int sel, uint32_t type, void *data)
{
    struct agent *a = data;
    if (a->clipboard)
        vdagent_clipboard_client_request(a->clipboard, sel, type);
    else
        vdagent_proto_send_clipboard(vdagent_get_proto(a->vdagent), sel,
                                     VD_AGENT_CLIPBOARD_NONE, NULL, 0);
}

static void on_clip_data(int sel, uint32_t type, const uint8_t *bytes, size_t len, void *data)
{
    struct agent *a = data;
    if (a->clipboard)
        vdagent_clipboard_client_data(a->clipboard, sel, type, bytes, len);
}

static void on_clip_release(int sel, void *data)
{
    struct agent *a = data;
    if (a->clipboard)
        vdagent_clipboard_client_release(a->clipboard, sel);
}

static void on_agent_dropped(uint32_t type, uint32_t size, void *data)
{
    struct agent *a = data;
    if (a->clipboard && type == VD_AGENT_CLIPBOARD)
        vdagent_clipboard_client_data_dropped(a->clipboard);
}

static bool start_agent_channel(struct agent *a, const char *display, char **ret_error)
{
    if (a->opts->resize && strcmp(a->opts->capture, "x11") == 0) {
        g_autofree char *error = NULL;
        a->resize = resize_x11_create(display, &error);
        if (!a->resize)
            g_message("%s", error);
    }
    bool clipboard = a->opts->clipboard != CLIPBOARD_POLICY_OFF &&
                     strcmp(a->opts->capture, "x11") == 0;
    struct vdagent_proto_config pc = {
        .max_message = (uint32_t)a->opts->clipboard_max_size + AGENT_MESSAGE_SLACK,
        .clipboard = clipboard,
        .file_xfer = a->opts->file_transfer,
    };
    struct vdagent_proto_handlers h = {
        .mouse_state = on_agent_mouse,
        .monitors_config = on_monitors_config,
        .clipboard_grab = on_clip_grab,
        .clipboard_request = on_clip_request,
        .clipboard_data = on_clip_data,
        .clipboard_release = on_clip_release,
        .file_xfer_start = a->opts->file_transfer ? on_xfer_start : NULL,
        .file_xfer_data = on_xfer_data,
        .file_xfer_status = on_xfer_status,
        .caps_received = on_agent_caps,
        .client_disconnected = on_agent_client_gone,
        .dropped = on_agent_dropped,
        .user_data = a,
    };
    a->vdagent = vdagent_create(a->server, &pc, &h);
    if (!a->vdagent) {
        *ret_error = g_strdup("cannot create the agent channel");
        return false;
    }
    if (a->opts->file_transfer) {
        const char *dir = a->opts->file_transfer_dir;
        if (!dir)
            dir = g_get_user_special_dir(G_USER_DIRECTORY_DOWNLOAD);
        g_autofree char *fallback = g_build_filename(g_get_home_dir(), "Downloads", NULL);
        a->file_xfer = vdagent_file_xfer_create(vdagent_get_proto(a->vdagent),
                                                dir ? dir : fallback);
    }
    if (clipboard) {
        g_autofree char *error = NULL;
        a->clipboard = vdagent_clipboard_create(vdagent_get_proto(a->vdagent), display,
                                                a->opts->clipboard,
                                                (size_t)a->opts->clipboard_max_size, &error);
        if (!a->clipboard)
            g_message("%s", error);
    }
    report_monitors(a);
    return true;
}

/* --- display and server events --- */

/* A display channel came or went. Capture already follows the main channel
 * (on_client): its full frame reaches spice-server's canvas before the display
 * channel sends that canvas to the client. */
static void on_client_changed(bool present, void *data)
{
    struct agent *a = data;
    if (a->stopping || !a->pump)
        return;
    if (present)
        frame_pump_kick(a->pump);
}

static void on_drained(void *data)
{
    struct agent *a = data;
    if (a->stopping || !a->pump)
        return;
    frame_pump_kick(a->pump);
}

/* A client's main channel connected (after authentication) or went away:
 * capture runs only while someone is connected. */
static void one_time_retire(struct agent *a, const char *why);

static void on_client(bool connected, const char *address, void *data)
{
    struct agent *a = data;
    if (a->stopping)
        return;
    g_autoptr(JsonObject) ev = json_object_new();
    json_object_set_string_member(ev, "address", address);
    json_object_set_string_member(ev, "session_id", server_session_id());
    g_clear_pointer(&a->client_address, g_free);
    if (connected) {
        a->client_address = g_strdup(address);
        a->client_since_us = g_get_monotonic_time();
        a->connections++;
    }
    control_emit_event(a->control, connected ? "client-connected" : "client-disconnected", ev);
    audio_set_client(a->audio, connected);
    if (a->vpump) {
        /* The stream's START/STOP drive capture; a client that went stops
         * it even if the server said nothing. */
        if (connected) {
            spice_stream_set_cursor(a->stream, capture_get_cursor(a->capture));
        } else {
            stream_pump_set_active(a->vpump, false);
            spice_input_client_gone(a->input);
        }
        return;
    }
    if (!a->pump)
        return;
    if (connected && a->one_time && a->one_time_used) {
        /* A second client got in during the first one's grace period: the
         * password is spent, so it may not keep the desktop. */
        g_warning("one-time password used again by %s: disconnecting it", address);
        a->one_time_kick = true;
        one_time_retire(a, "used twice");
        return;
    }
    if (connected && a->one_time) {
        /* spice-server checks the password on every channel's link: keep it
         * until this client's display channel is in (and its other channels
         * had a moment), then retire it. */
        g_message("one-time password used by %s", address);
        a->one_time_used = true;
        a->one_time_channels = 0;
        one_time_retire(a, NULL); /* arms the grace timer */
    }
    frame_pump_set_active(a->pump, connected);
    if (connected) {
        const struct cursor_image *cursor = capture_get_cursor(a->capture);
        if (cursor)
            spice_display_set_cursor(a->display, cursor);
    } else {
        spice_input_client_gone(a->input);
    }
}

/* --- one-time passwords --- */

/* After first use: at most this long for the client's other channels, and
 * this long after its display channel linked. */
#define ONE_TIME_GRACE_MS 5000
#define ONE_TIME_AFTER_DISPLAY_MS 1000

static gboolean restore_lasting_password(gpointer data)
{
    struct agent *a = data;
    a->restore_idle = 0;
    if (a->one_time)
        return G_SOURCE_REMOVE; /* a new one-time password came meanwhile */
    if (a->password || !a->opts->disable_ticketing) {
        /* Without a lasting password, nobody may get in with anything they
         * could know. */
        g_autofree char *locked = a->password ? NULL : password_generate(GENERATED_PASSWORD_LENGTH);
        server_set_password(a->server, a->password ? a->password : locked, 0, a->one_time_kick);
    } else {
        server_set_password(a->server, NULL, 0, a->one_time_kick);
    }
    a->one_time_kick = false;
    return G_SOURCE_REMOVE;
}

static gboolean on_one_time_timer(gpointer data)
{
    struct agent *a = data;
    a->one_time_timer = 0;
    one_time_retire(a, a->one_time_used ? "used" : "expired");
    return G_SOURCE_REMOVE;
}

/* With @why NULL after first use: wait for the other channels (grace timer);
 * otherwise forget the one-time password now. */
static void one_time_retire(struct agent *a, const char *why)
{
    if (!a->one_time)
        return;
    if (a->one_time_timer)
        g_source_remove(a->one_time_timer);
    a->one_time_timer = 0;
    if (!why) {
        a->one_time_timer = g_timeout_add(ONE_TIME_GRACE_MS, on_one_time_timer, a);
        return;
    }
    memset(a->one_time, 0, strlen(a->one_time));
    g_clear_pointer(&a->one_time, g_free);
    a->one_time_used = false;
    /* Not from within spice-server's event: from the loop. */
    if (!a->restore_idle)
        a->restore_idle = g_idle_add(restore_lasting_password, a);
    g_message("one-time password %s: no longer valid", why);
}

static void on_channel_linked(int type, void *data)
{
    struct agent *a = data;
    if (a->stopping || !a->one_time || !a->one_time_used || type >= 32)
        return;
    a->one_time_channels |= 1u << type;
    const unsigned needed = (1u << SPICE_CHANNEL_DISPLAY) | (1u << SPICE_CHANNEL_INPUTS) |
                            (1u << SPICE_CHANNEL_CURSOR);
    if ((a->one_time_channels & needed) == needed) {
        one_time_retire(a, "used");
    } else if (type == SPICE_CHANNEL_DISPLAY) {
        if (a->one_time_timer)
            g_source_remove(a->one_time_timer);
        a->one_time_timer = g_timeout_add(ONE_TIME_AFTER_DISPLAY_MS, on_one_time_timer, a);
    }
}

int agent_set_one_time_password(struct agent *a, const char *password, int seconds)
{
    if (!password || !*password || strlen(password) > 60 || seconds <= 0)
        return -EINVAL;
    one_time_retire(a, "replaced");
    int rc = server_set_password(a->server, password, seconds, false);
    if (rc < 0)
        return rc;
    a->one_time = g_strdup(password);
    a->one_time_used = false;
    a->one_time_timer = g_timeout_add_seconds(seconds, on_one_time_timer, a);
    g_message("one-time password set, valid for %d s or one connection", seconds);
    return 0;
}

static void on_auth_failed(const char *address, void *data)
{
    struct agent *a = data;
    (void)a;
}

/* SIGHUP re-reads --password-file: new clients need the new password,
 * connected ones stay. */
static gboolean on_hup_signal(gpointer data)
{
    struct agent *a = data;
    const struct agent_options *o = a->opts;
    if (!o->password_file || strcmp(o->password_file, "-") == 0) {
        g_message("SIGHUP: no password file to re-read");
        return G_SOURCE_CONTINUE;
    }
    char *error = NULL;
    char *pw = password_read(o->password_file, &error);
    if (!pw) {
        g_warning("SIGHUP: %s; keeping the current password", error);
        g_free(error);
        return G_SOURCE_CONTINUE;
    }
    if (a->password)
        memset(a->password, 0, strlen(a->password));
    g_free(a->password);
    a->password = pw;
    if (!a->one_time)
        server_set_password(a->server, a->password, 0, false);
    g_message("SIGHUP: password re-read from %s", o->password_file);
    return G_SOURCE_CONTINUE;
}

/* --- stream device events (--video=stream) --- */

static void on_streaming(bool on, void *data)
{
    struct agent *a = data;
    if (a->stopping || !a->vpump)
        return;
    stream_pump_set_active(a->vpump, on);
}

static void on_frame_sent(size_t bytes, int64_t send_us, void *data)
{
    struct agent *a = data;
    if (a->stopping || !a->vpump)
        return;
    stream_pump_frame_sent(a->vpump, bytes, send_us);
}

static gboolean on_signal(gpointer data)
{
    struct agent *a = data;
    g_message("stopping on signal");
    agent_quit(a, 0);
    return G_SOURCE_CONTINUE;
}

/* SIGUSR1 logs the counters, for benchmarks and for a curious admin. */
static gboolean on_stats_signal(gpointer data)
{
    struct agent *a = data;
    if (a->vpump) {
        struct stream_pump_stats vs;
        stream_pump_get_stats(a->vpump, &vs);
        g_message("video stats: grabs=%" G_GUINT64_FORMAT " stills=%" G_GUINT64_FORMAT
                  " sent=%" G_GUINT64_FORMAT " read=%" G_GUINT64_FORMAT
                  " dropped=%" G_GUINT64_FORMAT " failed=%" G_GUINT64_FORMAT
                  " jpeg_bytes=%" G_GUINT64_FORMAT
                  " encode_cpu_us=%" G_GUINT64_FORMAT " grab_cpu_us=%" G_GUINT64_FORMAT
                  " send_us=%" G_GUINT64_FORMAT " quality=%d fps=%d",
                  vs.grabs, vs.stills, vs.sent, vs.frames_read, vs.dropped, vs.failed, vs.jpeg_bytes,
                  vs.encode_cpu_us, vs.grab_cpu_us, vs.send_us, vs.quality, vs.fps);
        return G_SOURCE_CONTINUE;
    }
    struct frame_pump_stats ps;
    struct spice_display_stats ds;
    frame_pump_get_stats(a->pump, &ps);
    spice_display_get_stats(a->display, &ds);
    g_message("stats: grabs=%" G_GUINT64_FORMAT " grab_us=%" G_GUINT64_FORMAT
              " grab_cpu_us=%" G_GUINT64_FORMAT " pixels=%" G_GUINT64_FORMAT
              " drawables=%" G_GUINT64_FORMAT " bytes=%" G_GUINT64_FORMAT
              " failed=%" G_GUINT64_FORMAT " copies=%" G_GUINT64_FORMAT
              " copied_pixels=%" G_GUINT64_FORMAT,
              ps.grabs, ps.grab_usec, ps.grab_cpu_usec, ps.pixels, ds.drawables, ds.bytes,
              ps.failed, ps.copies, ps.copied_pixels);
    return G_SOURCE_CONTINUE;
}

/* --- control socket --- */

static void agent_status(JsonObject *status, void *data)
{
    struct agent *a = data;
    json_object_set_string_member(status, "version", THINDESK_VERSION);
    JsonArray *clients = json_array_new();
    if (a->client_address) {
        JsonObject *c = json_object_new();
        json_object_set_string_member(c, "address", a->client_address);
        json_object_set_string_member(c, "session_id", server_session_id());
        json_object_set_int_member(c, "connected_seconds",
                                   (g_get_monotonic_time() - a->client_since_us) / G_USEC_PER_SEC);
        json_array_add_object_element(clients, c);
    }
    json_object_set_array_member(status, "clients", clients);
    JsonObject *res = json_object_new();
    json_object_set_int_member(res, "width", a->width);
    json_object_set_int_member(res, "height", a->height);
    json_object_set_object_member(status, "resolution", res);
    g_autofree char *listen = g_strdup_printf(strchr(a->opts->listen_host, ':') ? "[%s]:%d" : "%s:%d",
                                              a->opts->listen_host, a->opts->listen_port);
    json_object_set_string_member(status, "listen", listen);
    JsonObject *paths = json_object_new();
    json_object_set_string_member(paths, "display", a->display_name);
    json_object_set_string_member(paths, "capture", a->opts->capture);
    json_object_set_string_member(paths, "control_socket", control_get_path(a->control));
    if (a->vv_file)
        json_object_set_string_member(paths, "vv_file", a->vv_file);
    json_object_set_object_member(status, "paths", paths);
}

static bool cmd_disconnect(JsonObject *args, JsonObject *reply, char **ret_error, void *data)
{
    struct agent *a = data;
    if (!a->client_address) {
        *ret_error = g_strdup("no client is connected");
        return false;
    }
    json_object_set_string_member(reply, "disconnected", a->client_address);
    g_message("disconnecting client %s (control socket)", a->client_address);
    server_disconnect(a->server);
    return true;
}

static char *write_vv_file(struct agent *a);

static bool cmd_set_password(JsonObject *args, JsonObject *reply, char **ret_error, void *data)
{
    struct agent *a = data;
    g_autofree char *password = NULL;
    int64_t expires = 0;
    if (control_parse_set_password(args, &password, &expires, ret_error) < 0)
        return false;
    if (server_set_password(a->server, password, (int)expires, false) < 0) {
        *ret_error = g_strdup("spice-server refused the password");
        memset(password, 0, strlen(password));
        return false;
    }
    if (a->password)
        memset(a->password, 0, strlen(a->password));
    g_free(a->password);
    a->password = g_steal_pointer(&password);
    /* The connection file carries the new password. */
    if (a->vv_file)
        g_free(write_vv_file(a));
    if (expires)
        g_message("password changed through the control socket; it expires in %" G_GINT64_FORMAT " s",
                  expires);
    else
        g_message("password changed through the control socket");
    json_object_set_int_member(reply, "expires", expires);
    return true;
}

/* --- metrics --- */

static void on_grab_timed(uint64_t usec, void *data)
{
    struct agent *a = data;
    metrics_histogram_observe(a->grab_hist, usec / 1e6);
}

static void agent_metrics(struct metrics_writer *w, void *data)
{
    struct agent *a = data;
    struct frame_pump_stats ps = {0};
    struct spice_display_stats ds = {0};
    if (a->pump) /* the desktop path; --video=stream has its own counters */
        frame_pump_get_stats(a->pump, &ps);
    if (a->display)
        spice_display_get_stats(a->display, &ds);
    metrics_write_counter(w, "thindesk_frames_captured_total",
                          "snapshots of changed pixels taken from the desktop", ps.grabs);
    metrics_write_counter(w, "thindesk_frames_sent_total",
                          "updates handed to spice-server for the client", ds.frames);
    metrics_write_counter(w, "thindesk_drawables_sent_total",
                          "QXL draw commands handed to spice-server", ds.drawables);
    metrics_write_header(w, "thindesk_channel_bytes_total", "counter",
                         "uncompressed bytes handed to spice-server, per channel");
    metrics_write_sample(w, "thindesk_channel_bytes_total", "channel=\"display\"", ds.bytes);
    metrics_write_counter(w, "thindesk_pixels_captured_total", "pixels grabbed", ps.pixels);
    metrics_write_counter(w, "thindesk_copies_sent_total",
                          "window moves and scrolls sent as copy-bits instead of pixels",
                          ps.copies);
    metrics_write_counter(w, "thindesk_pixels_copied_total", "pixels sent as copies",
                          ps.copied_pixels);
    metrics_write_counter(w, "thindesk_capture_failures_total",
                          "grabs that failed (resize races)", ps.failed);
    metrics_write_counter(w, "thindesk_grab_cpu_seconds_total",
                          "main-thread CPU time spent grabbing", ps.grab_cpu_usec / 1e6);
    metrics_write_histogram(w, "thindesk_grab_seconds",
                            "wall time to collect damage, grab and hand over a frame",
                            a->grab_hist);
    metrics_write_gauge(w, "thindesk_clients_connected", "clients connected now",
                        a->client_address ? 1 : 0);
    metrics_write_counter(w, "thindesk_client_connections_total", "client connections so far",
                          a->connections);
}

/* Control socket and metrics endpoint: before anything heavy starts, so a
 * refused path or a port in use stops the agent early. */
static bool start_ops_endpoints(struct agent *a, char **ret_error)
{
    const struct agent_options *o = a->opts;
    if (!o->control_socket || strcmp(o->control_socket, "none") != 0) {
        g_autofree char *path = o->control_socket ? g_strdup(o->control_socket)
                                                  : control_default_path();
        a->control = control_create(path, ret_error);
        if (!a->control)
            return false;
    }
    if (o->metrics_host) {
        a->metrics = metrics_create(o->metrics_host, o->metrics_port, ret_error);
        if (!a->metrics)
            return false;
        static const double grab_bounds[] = {0.0005, 0.001, 0.002, 0.005, 0.01,
                                             0.02,   0.05,  0.1,   0.25};
        a->grab_hist = metrics_histogram_new(grab_bounds, G_N_ELEMENTS(grab_bounds));
    }
    return true;
}

static void wire_ops_endpoints(struct agent *a)
{
    control_add_status(a->control, agent_status, a);
    control_add_command(a->control, "disconnect", cmd_disconnect, a);
    control_add_command(a->control, "set-password", cmd_set_password, a);
    metrics_add_collector(a->metrics, agent_metrics, a);
    if (a->metrics && a->pump)
        frame_pump_set_grab_observer(a->pump, on_grab_timed, a);
}

/* --- start-up --- */

/* Plain listening is for loopback addresses (an SSH tunnel's end) unless
 * the admin says otherwise; TLS is for the network. */
static bool check_listen_addresses(struct agent *a)
{
    const struct agent_options *o = a->opts;
    if (o->listen_port > 0 && !o->allow_plain && !password_address_is_loopback(o->listen_host)) {
        g_printerr("thindesk-agent: refusing unencrypted --listen on %s: passwords and the desktop would cross the network in clear. Use --tls-listen=%s:PORT (clients verify the printed certificate), keep --listen on 127.0.0.1, or add --allow-plain if the network is trusted.\n",
                   o->listen_host, o->listen_host);
        return false;
    }
    return true;
}

static bool choose_password(struct agent *a)
{
    const struct agent_options *o = a->opts;
    if (o->disable_ticketing) {
        const char *host = NULL;
        if (o->listen_port > 0 && !password_address_is_loopback(o->listen_host))
            host = o->listen_host;
        else if (o->tls_listen_port > 0 && !password_address_is_loopback(o->tls_listen_host))
            host = o->tls_listen_host;
        if (host) {
            g_printerr("thindesk-agent: refusing --disable-ticketing on %s: anyone who can reach "
                       "that address would get the desktop. Listen on 127.0.0.1 (for example "
                       "behind an SSH tunnel) or use a password.\n",
                       host);
            return false;
        }
        g_warning("ticketing disabled: any local user can connect");
        return true;
    }
    if (o->password_file) {
        char *error = NULL;
        a->password = password_read(o->password_file, &error);
        if (!a->password) {
            g_printerr("thindesk-agent: %s\n", error);
            g_free(error);
            return false;
        }
        return true;
    }
    a->password = password_generate(GENERATED_PASSWORD_LENGTH);
    if (!a->password) {
        g_printerr("thindesk-agent: cannot generate a password: no system randomness\n");
        return false;
    }
    return true;
}

static char *connect_host(const char *h)
{
    if (strcmp(h, "0.0.0.0") == 0 || strcmp(h, "::") == 0)
        return g_strdup(g_get_host_name());
    return strchr(h, ':') ? g_strdup_printf("[%s]", h) : g_strdup(h);
}

/* PEM text as one .vv value: GKeyFile turns "\n" back into line breaks. */
static char *vv_escape(const char *text)
{
    GString *s = g_string_new(NULL);
    for (const char *p = text; *p; p++) {
        if (*p == '\n')
            g_string_append(s, "\\n");
        else if (*p == '\\')
            g_string_append(s, "\\\\");
        else if (*p != '\r')
            g_string_append_c(s, *p);
    }
    return g_string_free(s, FALSE);
}

/* Writes a remote-viewer connection file with the password, readable only by
 * this user. With TLS it pins our certificate (ca=, host-subject=) and asks
 * for TLS on every channel. Returns its path or NULL. */
static char *write_vv_file(struct agent *a)
{
    const struct agent_options *o = a->opts;
    g_autofree char *dir = g_build_filename(g_get_user_runtime_dir(), "thindesk", NULL);
    if (g_mkdir_with_parents(dir, 0700) < 0)
        return NULL;
    char *path = g_build_filename(dir, "connect.vv", NULL);
    GString *t = g_string_new("[virt-viewer]\ntype=spice\n");
    if (a->tls) {
        g_autofree char *host = connect_host(o->tls_listen_host);
        g_autofree char *ca = vv_escape(tls_identity_ca_pem(a->tls));
        g_string_append_printf(t, "host=%s\ntls-port=%d\nsecure-channels=all\nca=%s\nhost-subject=%s\n",
                               host, o->tls_listen_port, ca, tls_identity_subject(a->tls));
    } else {
        g_autofree char *host = connect_host(o->listen_host);
        g_string_append_printf(t, "host=%s\nport=%d\n", host, o->listen_port);
    }
    if (a->password)
        g_string_append_printf(t, "password=%s\n", a->password);
    g_string_append_printf(t, "title=thindesk %s\n", a->display_name);
    int fd = g_open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    bool ok = fd >= 0 && fchmod(fd, 0600) == 0 &&
              write(fd, t->str, t->len) == (ssize_t)t->len;
    if (fd >= 0)
        close(fd);
    memset(t->str, 0, t->len);
    g_string_free(t, TRUE);
    if (!ok) {
        g_free(path);
        return NULL;
    }
    return path;
}

static void print_banner(struct agent *a)
{
    const struct agent_options *o = a->opts;
    int w, h;
    capture_get_size(a->capture, &w, &h);
    if (o->listen_port > 0) {
        g_autofree char *host = connect_host(o->listen_host);
        printf("thindesk-agent: serving %s (%dx%d) at spice://%s:%d\n", a->display_name, w, h,
               host, o->listen_port);
    }
    if (a->tls) {
        g_autofree char *host = connect_host(o->tls_listen_host);
        printf("thindesk-agent: serving %s (%dx%d) over TLS at spice://%s?tls-port=%d\n",
               a->display_name, w, h, host, o->tls_listen_port);
        printf("thindesk-agent: certificate SHA-256 fingerprint: %s\n",
               tls_identity_fingerprint(a->tls));
        printf("thindesk-agent: host-subject: %s\n", tls_identity_subject(a->tls));
        printf("thindesk-agent: CA certificate: %s\n", tls_identity_ca_file(a->tls));
    }
    /* A password the admin chose stays out of logs; a generated one is only
     * known from here (and the .vv file). */
    if (!a->password)
        printf("thindesk-agent: no password (ticketing disabled)\n");
    else if (!o->password_file)
        printf("thindesk-agent: password: %s\n", a->password);
    else
        printf("thindesk-agent: password: from %s\n", o->password_file);
    a->vv_file = write_vv_file(a);
    if (a->vv_file)
        printf("thindesk-agent: connect with: remote-viewer %s\n", a->vv_file);
    if (a->control)
        printf("thindesk-agent: control socket: %s\n", control_get_path(a->control));
    if (a->metrics)
        printf("thindesk-agent: metrics: http://%s:%d/metrics\n", o->metrics_host,
               o->metrics_port);
    fflush(stdout);
}

struct agent *agent_create(const struct agent_options *opts)
{
    struct agent *a = g_new0(struct agent, 1);
    a->opts = opts;
    a->loop = g_main_loop_new(NULL, FALSE);
    signal(SIGPIPE, SIG_IGN);
    char *error = NULL;

    if (!choose_password(a) || !check_listen_addresses(a))
        goto err;
    if (!start_ops_endpoints(a, &error))
        goto err_print;
    if (opts->tls_listen_port > 0) {
        g_autofree char *dir = opts->x509_dir ? g_strdup(opts->x509_dir) : tls_default_dir();
        a->tls = tls_identity_load(dir, opts->x509_dir == NULL, &error);
        if (!a->tls)
            goto err_print;
    }

    const char *display = opts->display;
    if (opts->virtual_desktop && strcmp(opts->capture, "x11") == 0) {
        a->vdesk = virtual_desktop_start(opts->virtual_width, opts->virtual_height, &error);
        if (!a->vdesk)
            goto err_print;
        display = virtual_desktop_display(a->vdesk);
        g_message("started a virtual desktop on %s (%dx%d)", display, opts->virtual_width,
                  opts->virtual_height);
    }
    if (strcmp(opts->capture, "fake") == 0)
        a->display_name = g_strdup_printf("fake desktop '%s'", opts->fake_script);
    else
        a->display_name =
            g_strdup_printf("X display %s", display ? display : g_getenv("DISPLAY"));

    struct capture_config cc = {
        .backend = opts->capture,
        .display = display,
        .fake_script = opts->fake_script,
        .fake_width = opts->fake_width,
        .fake_height = opts->fake_height,
        .fake_fps = opts->fake_fps,
    };
    a->capture = capture_create(&cc, &capture_listener, a, &error);
    if (!a->capture)
        goto err_print;
    int w, h;
    capture_get_size(a->capture, &w, &h);
    a->width = w;
    a->height = h;

    struct server_events se = {.client = on_client,
                               .auth_failed = on_auth_failed,
                               .channel = on_channel_linked,
                               .user_data = a};
    a->server = server_create(opts, a->password, a->tls, &se, &error);
    if (!a->server)
        goto err_print;

    if (opts->video == VIDEO_STREAM) {
        /* The stream device brings its own display channel: a QXL display
         * next to it would make clients open a second window. */
        struct spice_stream_events ve = {
            .streaming = on_streaming, .frame_sent = on_frame_sent, .user_data = a};
        a->stream = spice_stream_create(a->server, &ve);
        if (!a->stream) {
            error = g_strdup("cannot create the SPICE stream device");
            goto err_print;
        }
        struct stream_pump_config vc = {
            .max_fps = opts->video_max_fps,
            .quality = opts->video_quality,
            .still_quality = opts->video_still_quality,
        };
        a->vpump = stream_pump_create(a->capture, a->stream, &vc, &error);
        if (!a->vpump)
            goto err_print;
    } else {
        struct spice_display_events de = {
            .client_changed = on_client_changed, .drained = on_drained, .user_data = a};
        a->display = spice_display_create(a->server, w, h, &de);
        if (!a->display) {
            error = g_strdup("cannot create the SPICE display");
            goto err_print;
        }
    }
    a->input = spice_input_create(a->server, opts, display, w, h, &error);
    if (!a->input)
        goto err_print;
    a->usb = spice_usb_create(a->server, opts, &error);
    if (!a->usb)
        goto err_print;
    if (a->display)
        a->pump = frame_pump_create(a->capture, a->display, opts->max_fps, opts->copy_detection);
    wire_ops_endpoints(a);
    if (opts->audio) {
        a->audio = audio_create(a->server, opts, &error);
        if (!a->audio)
            goto err_print;
    }
    if (!start_agent_channel(a, display, &error))
        goto err_print;

    server_start(a->server);
    a->sig_int = g_unix_signal_add(SIGINT, on_signal, a);
    a->sig_term = g_unix_signal_add(SIGTERM, on_signal, a);
    a->sig_usr1 = g_unix_signal_add(SIGUSR1, on_stats_signal, a);
    a->sig_hup = g_unix_signal_add(SIGHUP, on_hup_signal, a);
    print_banner(a);
    return a;

err_print:
    g_printerr("thindesk-agent: %s\n", error);
    g_free(error);
err:
    agent_destroy(a);
    return NULL;
}

int agent_run(struct agent *a)
{
    g_main_loop_run(a->loop);
    return a->exit_code;
}

void agent_destroy(struct agent *a)
{
    if (!a)
        return;
    /* Tearing down spice-server reports the client's disconnection: the
     * modules that would react are gone by then. */
    a->stopping = true;
    if (a->sig_int)
        g_source_remove(a->sig_int);
    if (a->sig_term)
        g_source_remove(a->sig_term);
    if (a->sig_usr1)
        g_source_remove(a->sig_usr1);
    control_destroy(a->control);
    metrics_destroy(a->metrics);
    metrics_histogram_free(a->grab_hist);
    if (a->sig_hup)
        g_source_remove(a->sig_hup);
    if (a->one_time_timer)
        g_source_remove(a->one_time_timer);
    if (a->restore_idle)
        g_source_remove(a->restore_idle);
    if (a->one_time)
        memset(a->one_time, 0, strlen(a->one_time));
    g_free(a->one_time);
    audio_destroy(a->audio);
    frame_pump_destroy(a->pump);
    vdagent_clipboard_destroy(a->clipboard);
    vdagent_file_xfer_destroy(a->file_xfer);
    vdagent_destroy(a->vdagent);
    resize_x11_destroy(a->resize);
    stream_pump_destroy(a->vpump);
    spice_input_destroy(a->input);
    spice_display_destroy(a->display);
    spice_stream_destroy(a->stream);
    server_destroy(a->server);
    /* After the server: it closes the usbredir devices of a connected client. */
    spice_usb_destroy(a->usb);
    capture_destroy(a->capture);
    tls_identity_destroy(a->tls);
    virtual_desktop_stop(a->vdesk);
    if (a->vv_file)
        g_unlink(a->vv_file);
    g_free(a->vv_file);
    g_free(a->display_name);
    g_free(a->client_address);
    if (a->password)
        memset(a->password, 0, strlen(a->password));
    g_free(a->password);
    g_main_loop_unref(a->loop);
    g_free(a);
}
