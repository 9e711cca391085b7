#include "client/headless.h"

#include <errno.h>
#include <gdk-pixbuf/gdk-pixbuf.h>
#include <string.h>

#include "client/connection.h"
#include "client/keys.h"
#include "client/wav-writer.h"

struct headless {
    const struct settings *settings;
    headless_done_fn done;
    void *data;
    GArray *keys; /* struct key_event, or NULL */
    bool started, finished;
    bool inputs_open;
    bool draining; /* input sent, waiting for the server to close the inputs channel */
    guint drain_timeout;
    SpiceInputsChannel *inputs;
    struct wav_writer *wav;
    unsigned wav_rate, wav_channels;
    GCancellable *cancel;
    GPtrArray *hooked; /* SpiceChannel* we have handlers on, with a reference */
};

static void finish(struct headless *h, enum exit_status status, const char *message)
{
    if (h->finished)
        return;
    h->finished = true;
    h->done(status, message, h->data);
}

struct headless *headless_create(const struct settings *s, headless_done_fn done, void *data,
                                 char **ret_error)
{
    GArray *keys = NULL;
    if (s->send_keys && !(keys = keys_parse(s->send_keys, ret_error)))
        return NULL;
    struct headless *h = g_new0(struct headless, 1);
    h->settings = s;
    h->done = done;
    h->data = data;
    h->keys = keys;
    h->cancel = g_cancellable_new();
    h->hooked = g_ptr_array_new_with_free_func(g_object_unref);
    return h;
}

void headless_detach(struct headless *h)
{
    if (!h)
        return;
    for (guint i = 0; i < h->hooked->len; i++)
        g_signal_handlers_disconnect_by_data(g_ptr_array_index(h->hooked, i), h);
    g_ptr_array_set_size(h->hooked, 0);
    h->inputs = NULL;
    h->inputs_open = false;
}

void headless_destroy(struct headless *h)
{
    if (!h)
        return;
    headless_detach(h);
    g_ptr_array_unref(h->hooked);
    g_cancellable_cancel(h->cancel);
    g_object_unref(h->cancel);
    g_clear_handle_id(&h->drain_timeout, g_source_remove);
    if (h->wav) {
        int r = wav_writer_destroy(h->wav);
        if (r < 0)
            g_printerr("thindesk: cannot finish %s: %s\n", h->settings->record_audio,
                       g_strerror(-r));
    }
    if (h->keys)
        g_array_unref(h->keys);
    g_free(h);
}

bool headless_has_actions(const struct headless *h)
{
    const struct settings *s = h->settings;
    return s->screenshot || s->send_keys || s->have_pointer;
}

int headless_write_png(SpiceChannel *display, const char *path, char **ret_error)
{
    SpiceDisplayPrimary p;
    if (!spice_display_channel_get_primary(display, 0, &p)) {
        *ret_error = g_strdup("no primary surface to save");
        return -ENODATA;
    }
    if (p.format != SPICE_SURFACE_FMT_32_xRGB && p.format != SPICE_SURFACE_FMT_32_ARGB) {
        *ret_error = g_strdup_printf("cannot save surface format %d as PNG", p.format);
        return -ENOTSUP;
    }
    g_autoptr(GdkPixbuf) pb = gdk_pixbuf_new(GDK_COLORSPACE_RGB, FALSE, 8, p.width, p.height);
    if (!pb) {
        *ret_error = g_strdup("out of memory for the screenshot");
        return -ENOMEM;
    }
    guint8 *dst = gdk_pixbuf_get_pixels(pb);
    int dst_stride = gdk_pixbuf_get_rowstride(pb);
    for (int y = 0; y < p.height; y++) {
        const guint8 *s = p.data + (gsize)y * p.stride;
        guint8 *d = dst + (gsize)y * dst_stride;
        for (int x = 0; x < p.width; x++, s += 4, d += 3) {
            d[0] = s[2]; /* xRGB in memory is B, G, R, x */
            d[1] = s[1];
            d[2] = s[0];
        }
    }
    g_autoptr(GError) err = NULL;
    if (!gdk_pixbuf_save(pb, path, "png", &err, NULL)) {
        *ret_error = g_strdup_printf("cannot write %s: %s", path, err->message);
        return -EIO;
    }
    return 0;
}

/* How long the server may take to read the input before we go anyway. */
#define DRAIN_SECONDS 5

static gboolean on_drain_timeout(gpointer data)
{
    struct headless *h = data;
    h->drain_timeout = 0;
    finish(h, EXIT_STATUS_OK, NULL);
    return G_SOURCE_REMOVE;
}

static void on_flushed(GObject *source, GAsyncResult *res, gpointer data)
{
    g_autoptr(GError) err = NULL;
    gboolean ok = spice_channel_flush_finish(SPICE_CHANNEL(source), res, &err);
    if (g_error_matches(err, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
    struct headless *h = data;
    if (!ok) {
        g_autofree char *msg =
            g_strdup_printf("could not send input: %s", err ? err->message : "channel closed");
        finish(h, EXIT_STATUS_SERVER_GONE, msg);
        return;
    }
    /* Written is not read: a server that sees the main channel close first
     * drops what is still unread on the others. Half-close the inputs
     * socket; the server closes it once it has read everything before the
     * end, and then the input is in. */
    g_autoptr(GSocket) sock = NULL;
    g_object_get(source, "socket", &sock, NULL);
    if (!sock || !g_socket_shutdown(sock, FALSE, TRUE, NULL)) {
        finish(h, EXIT_STATUS_OK, NULL);
        return;
    }
    h->draining = true;
    h->drain_timeout = g_timeout_add_seconds(DRAIN_SECONDS, on_drain_timeout, h);
}

/* Pointer and keys need the inputs channel open; then flush and finish.
 * Without either there is nothing to send and nothing to finish: the inputs
 * channel may well open after the first frame (the connection is ready
 * once every channel linked, and its handler runs before ours), and
 * flushing nothing there would half-close the channel and end a --stats
 * run with exit 0. */
static void run_input(struct headless *h)
{
    const struct settings *s = h->settings;
    if (!s->send_keys && !s->have_pointer)
        return;
    if (!h->started || h->finished || !h->inputs_open || !h->inputs)
        return;
    if (s->have_pointer)
        spice_inputs_channel_position(h->inputs, s->pointer_x, s->pointer_y, 0, 0);
    for (guint i = 0; h->keys && i < h->keys->len; i++) {
        struct key_event *e = &g_array_index(h->keys, struct key_event, i);
        if (e->press)
            spice_inputs_channel_key_press(h->inputs, e->scancode);
        else
            spice_inputs_channel_key_release(h->inputs, e->scancode);
    }
    spice_channel_flush_async(SPICE_CHANNEL(h->inputs), h->cancel, on_flushed, h);
}

static void on_inputs_event(SpiceChannel *channel, SpiceChannelEvent event, gpointer data)
{
    struct headless *h = data;
    if (event == SPICE_CHANNEL_OPENED) {
        h->inputs_open = true;
        run_input(h);
        return;
    }
    if (h->draining && event != SPICE_CHANNEL_NONE) {
        /* The server closed the inputs channel after reading it all. */
        h->draining = false;
        g_clear_handle_id(&h->drain_timeout, g_source_remove);
        finish(h, EXIT_STATUS_OK, NULL);
    }
}

static void on_playback_start(SpicePlaybackChannel *channel, gint format, gint channels, gint rate,
                              gpointer data)
{
    struct headless *h = data;
    if (h->wav && (h->wav_rate != (unsigned)rate || h->wav_channels != (unsigned)channels)) {
        g_printerr("thindesk: the playback format changed to %d Hz, %d channels; keeping the first "
                   "in %s\n",
                   rate, channels, h->settings->record_audio);
        return;
    }
    if (h->wav)
        return;
    if (format != SPICE_AUDIO_FMT_S16) {
        g_autofree char *msg =
            g_strdup_printf("cannot record audio format %d (expected 16-bit PCM)", format);
        finish(h, EXIT_STATUS_ERROR, msg);
        return;
    }
    h->wav = wav_writer_create(h->settings->record_audio, (unsigned)rate, (unsigned)channels);
    if (!h->wav) {
        g_autofree char *msg =
            g_strdup_printf("cannot write %s: %s", h->settings->record_audio, g_strerror(errno));
        finish(h, EXIT_STATUS_ERROR, msg);
        return;
    }
    h->wav_rate = (unsigned)rate;
    h->wav_channels = (unsigned)channels;
}

static void on_playback_data(SpicePlaybackChannel *channel, gpointer audio, gint size,
                             gpointer data)
{
    struct headless *h = data;
    if (h->wav && size > 0 && wav_writer_write(h->wav, audio, (size_t)size) < 0) {
        g_autofree char *msg =
            g_strdup_printf("cannot write %s: %s", h->settings->record_audio, g_strerror(errno));
        finish(h, EXIT_STATUS_ERROR, msg);
    }
}

void headless_channel_new(struct headless *h, SpiceChannel *channel)
{
    if (SPICE_IS_INPUTS_CHANNEL(channel)) {
        h->inputs = SPICE_INPUTS_CHANNEL(channel);
        h->inputs_open = false;
        g_signal_connect(channel, "channel-event", G_CALLBACK(on_inputs_event), h);
        g_ptr_array_add(h->hooked, g_object_ref(channel));
    } else if (SPICE_IS_PLAYBACK_CHANNEL(channel) && h->settings->record_audio) {
        g_signal_connect(channel, "playback-start", G_CALLBACK(on_playback_start), h);
        g_signal_connect(channel, "playback-data", G_CALLBACK(on_playback_data), h);
        g_ptr_array_add(h->hooked, g_object_ref(channel));
    }
}

void headless_ready(struct headless *h, struct connection *c)
{
    const struct settings *s = h->settings;
    if (h->started || h->finished)
        return;
    h->started = true;
    if (s->screenshot) {
        g_autofree char *err = NULL;
        if (headless_write_png(connection_get_display(c, 0), s->screenshot, &err) < 0) {
            finish(h, EXIT_STATUS_ERROR, err);
            return;
        }
    }
    if (s->send_keys || s->have_pointer) {
        run_input(h);
        return;
    }
    if (s->screenshot)
        finish(h, EXIT_STATUS_OK, NULL);
}
