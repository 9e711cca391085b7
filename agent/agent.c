#include "agent/agent.h"
#include "agent/agent-priv.h"

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
#include "agent/mutter-session.h"
#include "agent/password.h"
#include "agent/spice-client-mouse.h"
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
#include "agent/web/web-pump.h"
#include "display/capture.h"
#include "display/resize-x11.h"




void agent_quit(struct agent *a, int code)
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
    if (a->wpump)
        web_pump_kick(a->wpump);
}

/* Tells clients how the desktop splits into monitors: the active RandR
 * outputs in output order (output i shows the client's monitor i). */
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
    agent_report_monitors(a);
    spice_input_set_screen_size(a->input, width, height);
    if (a->pump) {
        spice_display_resize(a->display, width, height);
        frame_pump_resized(a->pump, width, height);
    }
    if (a->vpump)
        stream_pump_resized(a->vpump, width, height);
    if (a->wpump)
        web_pump_resized(a->wpump, width, height);
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
    if (a->wpump)
        web_pump_set_cursor(a->wpump, cursor);
}

static void on_capture_lost(const char *message, void *data)
{
    struct agent *a = data;
    if (a->seat) {
        agent_system_capture_lost(a, message);
        return;
    }
    g_critical("%s; stopping", message);
    agent_quit(a, 1);
}

const struct capture_listener agent_capture_listener = {
    .damage_pending = on_damage_pending,
    .resized = on_resized,
    .cursor_changed = on_cursor_changed,
    .lost = on_capture_lost,
};

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
    if (connected)
        agent_web_spice_client(a, true); /* before the SPICE pump starts the capture */
    audio_set_client(a->audio, connected);
    if (a->vpump) {
        /* The stream's START/STOP drive capture; a client that went stops
         * it even if the server said nothing. */
        if (connected) {
            spice_stream_set_cursor(a->stream, capture_get_cursor(a->capture));
        } else {
            stream_pump_set_active(a->vpump, false);
            spice_input_client_gone(a->input);
            agent_web_spice_client(a, false);
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
        agent_one_time_retire(a, "used twice");
        return;
    }
    if (connected && a->one_time) {
        /* spice-server checks the password on every channel's link: keep it
         * until this client's display channel is in (and its other channels
         * had a moment), then retire it. */
        g_message("one-time password used by %s", address);
        a->one_time_used = true;
        a->one_time_channels = 0;
        agent_one_time_retire(a, NULL); /* arms the grace timer */
    }
    frame_pump_set_active(a->pump, connected);
    if (connected) {
        const struct cursor_image *cursor = capture_get_cursor(a->capture);
        if (cursor)
            spice_display_set_cursor(a->display, cursor);
    } else {
        spice_input_client_gone(a->input);
        agent_web_spice_client(a, false);
    }
}

/* --- stream device events (--video=stream) --- */

static void on_streaming(bool on, void *data)
{
    struct agent *a = data;
    if (a->stopping || !a->vpump)
        return;
    stream_pump_set_active(a->vpump, on);
    if (a->opts->video_audio_clock)
        audio_set_video_clock(a->audio, on);
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

static void print_banner(struct agent *a)
{
    const struct agent_options *o = a->opts;
    int w, h;
    capture_get_size(a->capture, &w, &h);
    if (o->listen_port > 0) {
        g_autofree char *host = agent_connect_host(o->listen_host);
        printf("thindesk-agent: serving %s (%dx%d) at spice://%s:%d\n", a->display_name, w, h,
               host, o->listen_port);
    }
    if (a->tls && o->tls_listen_port > 0) {
        g_autofree char *host = agent_connect_host(o->tls_listen_host);
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
    a->vv_file = agent_write_vv_file(a);
    if (a->vv_file)
        printf("thindesk-agent: connect with: remote-viewer %s\n", a->vv_file);
    if (a->control)
        printf("thindesk-agent: control socket: %s\n", control_get_path(a->control));
    agent_print_web_banner(a);
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

    if (!agent_choose_password(a) || !check_listen_addresses(a))
        goto err;
    if (!agent_start_ops(a, &error))
        goto err_print;
    if (opts->tls_listen_port > 0 || opts->web_listen_port > 0) {
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
        g_message("started a virtual desktop on %s (%dx%d)%s", display, opts->virtual_width,
                  opts->virtual_height,
                  virtual_desktop_has_window_manager(a->vdesk)
                      ? "; right-click its background for a menu with a terminal"
                      : "");
    }
    if (opts->system_mode)
        a->display_name = g_strdup("the active session on seat0");
    else if (strcmp(opts->capture, "fake") == 0)
        a->display_name = g_strdup_printf("fake desktop '%s'", opts->fake_script);
    else if (strcmp(opts->capture, "wlr") == 0)
        a->display_name = g_strdup_printf("Wayland display %s", g_getenv("WAYLAND_DISPLAY"));
    else if (strcmp(opts->capture, "mutter") == 0)
        a->display_name = g_strdup_printf("GNOME desktop on Wayland display %s",
                                          g_getenv("WAYLAND_DISPLAY"));
    else
        a->display_name =
            g_strdup_printf("X display %s", display ? display : g_getenv("DISPLAY"));

    if (strcmp(opts->capture, "mutter") == 0 || strcmp(opts->input, "mutter") == 0) {
        a->mutter = mutter_session_create(&error);
        if (!a->mutter)
            goto err_print;
    }
    struct capture_config cc = {
        .backend = opts->capture,
        .display = display,
        .fake_script = opts->fake_script,
        .fake_width = opts->fake_width,
        .fake_height = opts->fake_height,
        .fake_fps = opts->fake_fps,
        .stream_source = a->mutter ? mutter_session_stream_source(a->mutter) : NULL,
        .max_fps = opts->max_fps,
    };
    /* --system starts on its placeholder; the seat follower attaches. */
    a->capture = opts->system_mode ? agent_system_placeholder(a, &error)
                                   : capture_create(&cc, &agent_capture_listener, a, &error);
    if (!a->capture)
        goto err_print;
    int w, h;
    capture_get_size(a->capture, &w, &h);
    a->width = w;
    a->height = h;

    struct server_events se = {.client = on_client,
                               .auth_failed = agent_on_auth_failed,
                               .channel = agent_on_channel_linked,
                               .user_data = a};
    a->server = server_create(opts, a->password, opts->tls_listen_port > 0 ? a->tls : NULL, &se,
                              &error);
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
        /* Without a QXL instance spice-server never allows client mouse
         * mode: a surface-less one does, next to the stream's channel 0. */
        a->client_mouse = spice_client_mouse_create(a->server, 1);
        if (!a->client_mouse) {
            error = g_strdup("cannot set up client mouse mode for the video stream");
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
    a->input = spice_input_create(a->server, opts,
                                  a->mutter ? mutter_session_input(a->mutter) : NULL, display,
                                  w, h, &error);
    if (!a->input)
        goto err_print;
    a->usb = spice_usb_create(a->server, opts, &error);
    if (!a->usb)
        goto err_print;
    if (a->display)
        a->pump = frame_pump_create(a->capture, a->display, opts->max_fps, opts->copy_detection);
    agent_wire_ops(a);
    if (opts->audio && opts->system_mode)
        g_message("sound: off in the system service until the session helper exists");
    if (opts->audio && !opts->system_mode) {
        a->audio = audio_create(a->server, opts, &error);
        if (!a->audio)
            goto err_print;
    }
    if (!agent_start_channel(a, display, &error))
        goto err_print;
    if (!agent_start_web(a, &error))
        goto err_print;
    agent_start_web_io(a, display);
    if (opts->system_mode && !agent_start_system(a, &error))
        goto err_print;

    server_start(a->server);
    a->sig_int = g_unix_signal_add(SIGINT, on_signal, a);
    a->sig_term = g_unix_signal_add(SIGTERM, on_signal, a);
    a->sig_usr1 = g_unix_signal_add(SIGUSR1, on_stats_signal, a);
    a->sig_hup = g_unix_signal_add(SIGHUP, agent_on_hup_signal, a);
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
    /* The pumps go first: a scheduled grab reads the capture, the display
     * and the metrics, and audio_destroy() below runs the main context
     * while the sound server unloads our modules. */
    g_clear_pointer(&a->pump, frame_pump_destroy);
    g_clear_pointer(&a->vpump, stream_pump_destroy);
    agent_stop_web_io(a);
    agent_stop_web(a);
    g_clear_pointer(&a->control, control_destroy);
    g_clear_pointer(&a->metrics, metrics_destroy);
    g_clear_pointer(&a->grab_hist, metrics_histogram_free);
    if (a->sig_hup)
        g_source_remove(a->sig_hup);
    if (a->one_time_timer)
        g_source_remove(a->one_time_timer);
    if (a->restore_idle)
        g_source_remove(a->restore_idle);
    if (a->one_time)
        memset(a->one_time, 0, strlen(a->one_time));
    g_free(a->one_time);
    agent_stop_system(a);
    audio_destroy(a->audio);
    vdagent_clipboard_destroy(a->clipboard);
    vdagent_file_xfer_destroy(a->file_xfer);
    vdagent_destroy(a->vdagent);
    resize_x11_destroy(a->resize);
    resize_sway_destroy(a->resize_sway);
    spice_input_destroy(a->input);
    spice_display_destroy(a->display);
    spice_stream_destroy(a->stream);
    spice_client_mouse_destroy(a->client_mouse);
    server_destroy(a->server);
    /* After the server: it closes the usbredir devices of a connected client. */
    spice_usb_destroy(a->usb);
    capture_destroy(a->capture);
    /* After capture and input: both used it. */
    mutter_session_destroy(a->mutter);
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
