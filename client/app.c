#include "client/app.h"

#include <errno.h>
#include <glib-unix.h>
#include <glib/gstdio.h>
#include <gtk/gtk.h>
#include <stdio.h>

#include "client/backoff.h"
#include "client/connection.h"
#include "client/gst-check.h"
#include "client/headless.h"
#include "client/log-filter.h"
#include "client/tls-pin.h"
#include "client/ui.h"
#include "client/usb.h"

struct app {
    struct settings *s;
    GMainLoop *loop;
    enum exit_status status;
    bool quitting;
    struct connection *conn;
    struct connection *dead; /* lost, destroyed from an idle */
    struct headless *headless;
    struct ui *ui;
    struct usb *usb;
    struct tls_pin *pin;
    struct backoff backoff;
    guint retry_source, stats_source, duration_source, reap_source;
    guint sig_int, sig_term;
    gint64 start_us;
    bool actions_done;
    bool ever_ready;             /* a connection reached its first frame before */
    bool playback_ok, record_ok; /* GStreamer has what spice-gtk's audio needs */
};

static void start_connection(struct app *a);

static void quit(struct app *a, enum exit_status status, const char *message)
{
    if (a->quitting)
        return;
    a->quitting = true;
    a->status = status;
    if (message)
        g_printerr("thindesk: %s\n", message);
    g_main_loop_quit(a->loop);
}

static gboolean reap(gpointer data)
{
    struct app *a = data;
    a->reap_source = 0;
    connection_destroy(g_steal_pointer(&a->dead));
    return G_SOURCE_REMOVE;
}

/* Drops the current connection; the object goes in an idle because we may be
 * inside one of its callbacks. */
static void drop_connection(struct app *a)
{
    if (!a->conn)
        return;
    headless_detach(a->headless);
    if (a->ui)
        ui_detach(a->ui);
    usb_destroy(g_steal_pointer(&a->usb));
    connection_destroy(a->dead);
    a->dead = g_steal_pointer(&a->conn);
    if (!a->reap_source)
        a->reap_source = g_idle_add(reap, a);
}

static gboolean on_retry(gpointer data)
{
    struct app *a = data;
    a->retry_source = 0;
    start_connection(a);
    return G_SOURCE_REMOVE;
}

static bool transient(enum exit_status status)
{
    return status == EXIT_STATUS_SERVER_GONE || status == EXIT_STATUS_UNREACHABLE ||
           status == EXIT_STATUS_TIMEOUT;
}

static void on_lost(enum exit_status status, const char *message, void *data)
{
    struct app *a = data;
    drop_connection(a);
    if (a->quitting)
        return;
    if (a->headless && a->actions_done) {
        quit(a, status, message);
        return;
    }
    if (a->ui && !a->s->kiosk && status == EXIT_STATUS_AUTH) {
        g_printerr("thindesk: %s\n", message);
        ui_ask_password(a->ui, message);
        return;
    }
    /* A server that is restarting can accept and then reset a connection in
     * the middle of the link: after it worked once, that is worth a retry. */
    bool worth =
        a->s->kiosk || transient(status) || (status == EXIT_STATUS_PROTOCOL && a->ever_ready);
    unsigned delay = 0;
    bool retry = worth && backoff_next(&a->backoff, &delay);
    if (!retry) {
        if (a->ui && !a->s->kiosk) {
            g_printerr("thindesk: %s\n", message);
            a->status = status;
            ui_fatal(a->ui, status, message);
            return;
        }
        quit(a, status, message);
        return;
    }
    g_printerr("thindesk: %s; reconnecting in %.2f s (attempt %d)\n", message, delay / 1000.0,
               a->backoff.attempts);
    if (a->ui) {
        g_autofree char *headline =
            g_strdup_printf("Reconnecting to %s…", a->s->title ? a->s->title : a->s->host);
        g_autofree char *reason = g_strdup_printf("%s (attempt %d)", message, a->backoff.attempts);
        ui_show_status(a->ui, headline, reason);
    }
    a->retry_source = g_timeout_add(delay, on_retry, a);
}

static void on_ready(void *data)
{
    struct app *a = data;
    backoff_reset(&a->backoff);
    a->ever_ready = true;
    if (a->headless)
        headless_ready(a->headless, a->conn);
    if (a->ui)
        ui_ready(a->ui);
    usb_session_ready(a->usb);
}

static bool on_channel_new(SpiceChannel *channel, void *data)
{
    struct app *a = data;
    if (a->headless)
        headless_channel_new(a->headless, channel);
    if (a->ui)
        return ui_channel_new(a->ui, a->conn, channel);
    return false;
}

static void on_pinned(GBytes *pubkey, enum exit_status status, const char *message, void *data)
{
    struct app *a = data;
    if (status != EXIT_STATUS_OK) {
        on_lost(status, message, a);
        return;
    }
    static const struct connection_callbacks cb = {
        .channel_new = on_channel_new,
        .ready = on_ready,
        .lost = on_lost,
    };
    /* Headless, the playback channel feeds --record-audio, without GStreamer. */
    bool audio = a->s->headless ? a->s->record_audio != NULL
                                : a->s->audio && (a->playback_ok || a->record_ok);
    a->conn = connection_create(a->s, pubkey, audio, &cb, a);
    a->usb = usb_create(a->s, connection_get_session(a->conn));
    connection_start(a->conn);
}

static void start_connection(struct app *a)
{
    if (a->quitting)
        return;
    if (a->ui)
        ui_show_status(a->ui, "Connecting…", a->s->title ? a->s->title : a->s->host);
    /* With TLS and no CA, the server's key must match its pin first. */
    if (tls_pin_needed(a->s)) {
        tls_pin_destroy(a->pin);
        a->pin = tls_pin_check(a->s, on_pinned, a);
        return;
    }
    on_pinned(NULL, EXIT_STATUS_OK, NULL, a);
}

static void on_headless_done(enum exit_status status, const char *message, void *data)
{
    struct app *a = data;
    a->actions_done = true;
    if (status != EXIT_STATUS_OK || a->s->duration == 0)
        quit(a, status, message);
}

static void on_ui_quit(enum exit_status status, void *data)
{
    quit(data, status, NULL);
}

static void on_password(const char *password, void *data)
{
    struct app *a = data;
    if (!password) {
        quit(a, EXIT_STATUS_AUTH, "no password given");
        return;
    }
    g_free(a->s->password);
    a->s->password = g_strdup(password);
    start_connection(a);
}

static gboolean on_stats(gpointer data)
{
    struct app *a = data;
    g_autoptr(GString) line = g_string_new(NULL);
    g_string_append_printf(line, "{\"t\":%.1f,", (g_get_monotonic_time() - a->start_us) / 1e6);
    if (a->conn)
        connection_append_stats(a->conn, line);
    else
        g_string_append(line, "\"connected\":false");
    g_string_append(line, "}\n");
    fputs(line->str, stdout);
    fflush(stdout);
    return G_SOURCE_CONTINUE;
}

static gboolean on_duration(gpointer data)
{
    struct app *a = data;
    a->duration_source = 0;
    quit(a, EXIT_STATUS_OK, NULL);
    return G_SOURCE_REMOVE;
}

static gboolean on_signal(gpointer data)
{
    quit(data, EXIT_STATUS_OK, NULL);
    return G_SOURCE_CONTINUE;
}

/* True if GStreamer has what spice-gtk needs for @feature; else says what is
 * missing, on standard error if @tell, else as debug. */
static bool check_audio(enum gst_check_feature feature, bool tell)
{
    g_autofree char *msg = NULL;
    if (gst_check_feature(feature, gst_check_has_element, NULL, &msg))
        return true;
    log_filter_hide_gst_volume_sync();
    if (tell)
        g_printerr("thindesk: %s\n", msg);
    else
        g_debug("%s", msg);
    return false;
}

/* Says once what of spice-gtk's GStreamer audio cannot work here. Only the
 * windows play and record through GStreamer; headless runs keep quiet (their
 * --record-audio takes the stream as it comes), but spice-gtk reads the
 * local volume through GStreamer in both modes. */
static void check_gstreamer(struct app *a)
{
    bool tell = !a->s->headless && a->s->audio;
    const char *init_error = gst_check_init_error();
    if (init_error) {
        /* spice-gtk then has no audio at all, nor volume sync. */
        if (tell)
            g_printerr("thindesk: audio unavailable: GStreamer does not start: %s\n", init_error);
        return;
    }
    gst_check_skip_openal();
    a->playback_ok = check_audio(GST_CHECK_PLAYBACK, tell);
    a->record_ok = check_audio(GST_CHECK_RECORD, tell);
    /* spice-gtk offers the server only the codecs it can decode, and decodes
     * MJPEG (all the agent streams) itself: a missing decoder is no fault. */
    for (int f = GST_CHECK_VIDEO_VP8; f <= GST_CHECK_VIDEO_H265; f++) {
        g_autofree char *msg = NULL;
        if (!gst_check_feature(f, gst_check_has_element, NULL, &msg))
            g_debug("%s", msg);
    }
}

struct app *app_create(struct settings *s, enum exit_status *ret_status, char **ret_error)
{
    struct app *a = g_new0(struct app, 1);
    a->s = s;
    a->loop = g_main_loop_new(NULL, FALSE);
    backoff_init(&a->backoff, s->reconnect);
    if (s->headless) {
        a->headless = headless_create(s, on_headless_done, a, ret_error);
        if (!a->headless) {
            *ret_status = EXIT_STATUS_USAGE;
            g_main_loop_unref(a->loop);
            g_free(a);
            return NULL;
        }
    } else {
        if (!gtk_init_check(NULL, NULL)) {
            *ret_error =
                g_strdup("cannot open the display (is $DISPLAY set? use --headless without one)");
            *ret_status = EXIT_STATUS_ERROR;
            g_main_loop_unref(a->loop);
            g_free(a);
            return NULL;
        }
        static const struct ui_callbacks cb = {.quit = on_ui_quit, .password = on_password};
        a->ui = ui_create(s, &cb, a);
    }
    check_gstreamer(a);
    if (a->ui)
        ui_set_audio(a->ui, a->playback_ok, a->record_ok);
    return a;
}

enum exit_status app_run(struct app *a)
{
    a->start_us = g_get_monotonic_time();
    a->sig_int = g_unix_signal_add(SIGINT, on_signal, a);
    a->sig_term = g_unix_signal_add(SIGTERM, on_signal, a);
    if (a->s->stats)
        a->stats_source = g_timeout_add(1000, on_stats, a);
    if (a->s->duration > 0)
        a->duration_source = g_timeout_add_seconds((guint)a->s->duration, on_duration, a);
    start_connection(a);
    if (!a->quitting)
        g_main_loop_run(a->loop);
    return a->status;
}

void app_destroy(struct app *a)
{
    if (!a)
        return;
    g_clear_handle_id(&a->retry_source, g_source_remove);
    g_clear_handle_id(&a->stats_source, g_source_remove);
    g_clear_handle_id(&a->duration_source, g_source_remove);
    g_clear_handle_id(&a->reap_source, g_source_remove);
    g_clear_handle_id(&a->sig_int, g_source_remove);
    g_clear_handle_id(&a->sig_term, g_source_remove);
    tls_pin_destroy(a->pin);
    /* Closing the connection makes its channels emit events, now and from
     * the iterations below: first take every handler of ours off them. */
    headless_detach(a->headless);
    if (a->ui)
        ui_detach(a->ui);
    usb_destroy(a->usb);
    connection_destroy(a->conn);
    connection_destroy(a->dead);
    ui_destroy(a->ui);
    /* Let spice-gtk finish closing its sockets. What its sources may still
     * call back into (a cancelled flush of the key script, the pin check's
     * socket) stays alive until they have run. */
    for (int i = 0; i < 100 && g_main_context_iteration(NULL, FALSE); i++)
        ;
    headless_destroy(a->headless);
    g_main_loop_unref(a->loop);
    settings_finish(a->s);
    g_free(a);
}
