#include "agent/agent.h"

#include <errno.h>
#include <glib-unix.h>
#include <glib.h>
#include <stdbool.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "agent/audio.h"
#include "agent/frame-pump.h"
#include "agent/password.h"
#include "agent/spice-display.h"
#include "agent/spice-input.h"
#include "agent/spice-server.h"
#include "agent/spice-stream.h"
#include "agent/spice-usb.h"
#include "agent/stream-pump.h"
#include "agent/virtual-desktop.h"
#include "display/capture.h"


#define GENERATED_PASSWORD_LENGTH 20

struct agent {
    const struct agent_options *opts;
    GMainLoop *loop;
    int exit_code;
    struct virtual_desktop *vdesk;
    char *display_name;
    char *password;
    char *vv_file;
    struct capture *capture;
    SpiceServer *server;
    struct spice_display *display;
    struct spice_input *input;
    struct spice_usb *usb;
    struct frame_pump *pump;      /* --video=desktop */
    struct spice_stream *stream;  /* --video=stream: no QXL display */
    struct stream_pump *vpump;
    struct audio *audio;          /* NULL with --audio=off */
    guint sig_int, sig_term, sig_usr1;
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

static void on_resized(int width, int height, void *data)
{
    struct agent *a = data;
    if (a->stopping || (!a->pump && !a->vpump))
        return;
    g_message("desktop is now %dx%d", width, height);
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
    frame_pump_set_active(a->pump, connected);
    if (connected) {
        const struct cursor_image *cursor = capture_get_cursor(a->capture);
        if (cursor)
            spice_display_set_cursor(a->display, cursor);
    } else {
        spice_input_client_gone(a->input);
    }
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

/* --- start-up --- */

static bool choose_password(struct agent *a)
{
    const struct agent_options *o = a->opts;
    if (o->disable_ticketing) {
        if (!password_address_is_loopback(o->listen_host)) {
            g_printerr("thindesk-agent: refusing --disable-ticketing on %s: anyone who can reach "
                       "that address would get the desktop. Listen on 127.0.0.1 (for example "
                       "behind an SSH tunnel) or use a password.\n",
                       o->listen_host);
            return false;
        }
        g_warning("ticketing disabled: any local user can connect to %s:%d", o->listen_host,
                  o->listen_port);
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

static char *connect_host(const struct agent_options *o)
{
    const char *h = o->listen_host;
    if (strcmp(h, "0.0.0.0") == 0 || strcmp(h, "::") == 0)
        return g_strdup(g_get_host_name());
    return strchr(h, ':') ? g_strdup_printf("[%s]", h) : g_strdup(h);
}

/* Writes a remote-viewer connection file with the password, readable only by
 * this user. Returns its path or NULL. */
static char *write_vv_file(struct agent *a, const char *host)
{
    g_autofree char *dir = g_build_filename(g_get_user_runtime_dir(), "thindesk", NULL);
    if (g_mkdir_with_parents(dir, 0700) < 0)
        return NULL;
    char *path = g_build_filename(dir, "connect.vv", NULL);
    g_autofree char *text = g_strdup_printf("[virt-viewer]\ntype=spice\nhost=%s\nport=%d\n%s%s%s"
                                            "title=thindesk %s\n",
                                            host, a->opts->listen_port,
                                            a->password ? "password=" : "",
                                            a->password ? a->password : "",
                                            a->password ? "\n" : "", a->display_name);
    int fd = g_open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text)) {
        if (fd >= 0)
            close(fd);
        g_free(path);
        return NULL;
    }
    fchmod(fd, 0600);
    close(fd);
    return path;
}

static void print_banner(struct agent *a)
{
    const struct agent_options *o = a->opts;
    int w, h;
    capture_get_size(a->capture, &w, &h);
    g_autofree char *host = connect_host(o);
    printf("thindesk-agent: serving %s (%dx%d) at spice://%s:%d\n", a->display_name, w, h, host,
           o->listen_port);
    /* A password the admin chose stays out of logs; a generated one is only
     * known from here (and the .vv file). */
    if (!a->password)
        printf("thindesk-agent: no password (ticketing disabled)\n");
    else if (!o->password_file)
        printf("thindesk-agent: password: %s\n", a->password);
    else
        printf("thindesk-agent: password: from %s\n", o->password_file);
    a->vv_file = write_vv_file(a, host);
    if (a->vv_file)
        printf("thindesk-agent: connect with: remote-viewer %s\n", a->vv_file);
    printf("thindesk-agent: or: remote-viewer spice://%s:%d%s\n", host, o->listen_port,
           a->password ? "  (and type the password)" : "");
    fflush(stdout);
}

struct agent *agent_create(const struct agent_options *opts)
{
    struct agent *a = g_new0(struct agent, 1);
    a->opts = opts;
    a->loop = g_main_loop_new(NULL, FALSE);
    signal(SIGPIPE, SIG_IGN);
    char *error = NULL;

    if (!choose_password(a))
        goto err;

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

    struct server_events se = {.client = on_client, .user_data = a};
    a->server = server_create(opts, a->password, &se, &error);
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
    if (opts->audio) {
        a->audio = audio_create(a->server, opts, &error);
        if (!a->audio)
            goto err_print;
    }

    server_start(a->server);
    a->sig_int = g_unix_signal_add(SIGINT, on_signal, a);
    a->sig_term = g_unix_signal_add(SIGTERM, on_signal, a);
    a->sig_usr1 = g_unix_signal_add(SIGUSR1, on_stats_signal, a);
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
    audio_destroy(a->audio);
    frame_pump_destroy(a->pump);
    stream_pump_destroy(a->vpump);
    spice_input_destroy(a->input);
    spice_display_destroy(a->display);
    spice_stream_destroy(a->stream);
    server_destroy(a->server);
    /* After the server: it closes the usbredir devices of a connected client. */
    spice_usb_destroy(a->usb);
    capture_destroy(a->capture);
    virtual_desktop_stop(a->vdesk);
    if (a->vv_file)
        g_unlink(a->vv_file);
    g_free(a->vv_file);
    g_free(a->display_name);
    if (a->password)
        memset(a->password, 0, strlen(a->password));
    g_free(a->password);
    g_main_loop_unref(a->loop);
    g_free(a);
}
