#include "client/connection.h"

#include "client/log-filter.h"
#include "client/tls-pin.h"

#include <gst/gst.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>

/* How long the first frame waits for the other channels to open. */
#define LINKING_WAIT_MS 3000

struct connection {
    const struct settings *settings;
    struct connection_callbacks cb;
    void *data;
    SpiceSession *session;
    SpiceMainChannel *main;
    SpiceInputsChannel *inputs;
    GPtrArray *channels; /* SpiceChannel*, with a reference */
    GPtrArray *linking;  /* SpiceChannel* of channels not yet open (no reference) */
    char *address;
    GBytes *pubkey;          /* the pinned key the session requires, or NULL */
    struct tls_pin *explain; /* why the pinned key was refused */
    char *tls_message;       /* the session's own TLS error, meanwhile */
    bool opened, marked, ready, lost;
    guint timeout_source;
    guint linking_source; /* gives up waiting for channels to open */
    guint frame_idle;
    guint64 frames, updates, frames_at_last_stats;
    gint64 last_stats_us;
    /* The codec of the GStreamer decoder spice-gtk plugged for a stream (a
     * static string; set on GStreamer's threads), NULL while none. */
    const char *video_codec;
};

/* The codec a decoder element decodes, from its sink pad template. */
static const char *decoder_codec(GstElementFactory *f)
{
    static const struct {
        const char *caps, *codec;
    } known[] = {{"video/x-h264", "h264"},
                 {"video/x-h265", "h265"},
                 {"video/x-vp8", "vp8"},
                 {"video/x-vp9", "vp9"},
                 {"image/jpeg", "mjpeg"}};
    if (!f || !gst_element_factory_list_is_type(f, GST_ELEMENT_FACTORY_TYPE_DECODER))
        return NULL;
    for (const GList *l = gst_element_factory_get_static_pad_templates(f); l; l = l->next) {
        const GstStaticPadTemplate *t = l->data;
        if (t->direction != GST_PAD_SINK)
            continue;
        g_autoptr(GstCaps) caps = gst_static_caps_get((GstStaticCaps *)&t->static_caps);
        for (guint i = 0; caps && i < gst_caps_get_size(caps); i++)
            for (size_t k = 0; k < G_N_ELEMENTS(known); k++)
                if (gst_structure_has_name(gst_caps_get_structure(caps, i), known[k].caps))
                    return known[k].codec;
    }
    return NULL;
}

/* Runs on GStreamer's threads as decodebin plugs elements. */
static void on_element_added(GstBin *bin, GstBin *sub, GstElement *element, gpointer data)
{
    struct connection *c = data;
    const char *codec = decoder_codec(gst_element_get_factory(element));
    if (codec)
        g_atomic_pointer_set(&c->video_codec, codec);
}

/* spice-gtk made a GStreamer pipeline for a stream: watch which decoder it
 * plugs. Returning FALSE keeps spice-gtk's own rendering (its appsink). */
static gboolean on_gst_pipeline(SpiceChannel *channel, GstPipeline *pipeline, gpointer data)
{
    g_signal_connect(pipeline, "deep-element-added", G_CALLBACK(on_element_added), data);
    return FALSE;
}

static void report_lost(struct connection *c, enum exit_status status, const char *message)
{
    if (c->lost)
        return;
    c->lost = true;
    g_clear_handle_id(&c->timeout_source, g_source_remove);
    g_clear_handle_id(&c->linking_source, g_source_remove);
    if (c->cb.lost)
        c->cb.lost(status, message, c->data);
}

static gboolean on_timeout(gpointer data)
{
    struct connection *c = data;
    c->timeout_source = 0;
    g_autofree char *msg =
        c->opened
            ? g_strdup_printf("%s: connected, but no complete frame arrived within %d seconds",
                              c->address, c->settings->timeout)
            : g_strdup_printf(
                  "%s: no answer within %d seconds (is a SPICE server listening there?)",
                  c->address, c->settings->timeout);
    report_lost(c, c->opened ? EXIT_STATUS_TIMEOUT : EXIT_STATUS_UNREACHABLE, msg);
    return G_SOURCE_REMOVE;
}

static const char *error_text(SpiceChannel *channel)
{
    const GError *err = spice_channel_get_error(channel);
    if (err && err->message)
        return err->message;
    const char *warning = log_filter_last_spice_warning();
    return warning ? warning : "no details";
}

static void on_explained(GBytes *pubkey, enum exit_status status, const char *message, void *data)
{
    struct connection *c = data;
    if (status == EXIT_STATUS_OK)
        report_lost(c, EXIT_STATUS_CERTIFICATE, c->tls_message);
    else
        report_lost(c, status, message);
}

static void on_main_event(SpiceChannel *channel, SpiceChannelEvent event, gpointer data)
{
    struct connection *c = data;
    g_autofree char *msg = NULL;
    if (c->explain)
        return; /* the TLS failure is being explained */
    switch (event) {
    case SPICE_CHANNEL_OPENED:
        c->opened = true;
        g_debug("%s: main channel open", c->address);
        return;
    case SPICE_CHANNEL_ERROR_CONNECT:
        msg = g_strdup_printf("cannot connect to %s: %s", c->address, error_text(channel));
        report_lost(c, EXIT_STATUS_UNREACHABLE, msg);
        return;
    case SPICE_CHANNEL_ERROR_AUTH:
        msg = g_strdup_printf("%s refused the password (%s)", c->address, error_text(channel));
        report_lost(c, EXIT_STATUS_AUTH, msg);
        return;
    case SPICE_CHANNEL_ERROR_TLS: {
        const char *why = log_filter_tls_detail();
        msg = g_strdup_printf("%s: TLS failed, the server certificate did not verify: %s",
                              c->address, why ? why : error_text(channel));
        if (c->pubkey && !c->lost) {
            /* Only a handshake of our own can say what key the server has
             * now; the session refused it before any password was sent. */
            c->tls_message = g_steal_pointer(&msg);
            c->explain = tls_pin_explain(c->settings, c->pubkey, on_explained, c);
            return;
        }
        report_lost(c, EXIT_STATUS_CERTIFICATE, msg);
        return;
    }
    case SPICE_CHANNEL_ERROR_LINK:
        if (c->opened)
            msg = g_strdup_printf("%s closed the connection (%s)", c->address, error_text(channel));
        else
            msg = g_strdup_printf("%s does not speak SPICE or refused the link: %s", c->address,
                                  error_text(channel));
        report_lost(c, c->opened ? EXIT_STATUS_SERVER_GONE : EXIT_STATUS_PROTOCOL, msg);
        return;
    case SPICE_CHANNEL_ERROR_IO:
    case SPICE_CHANNEL_CLOSED:
        if (c->opened)
            msg = g_strdup_printf("%s closed the connection", c->address);
        else
            msg = g_strdup_printf("%s closed the connection before it was set up: %s", c->address,
                                  error_text(channel));
        report_lost(c, c->opened ? EXIT_STATUS_SERVER_GONE : EXIT_STATUS_PROTOCOL, msg);
        return;
    default:
        return;
    }
}

static gboolean count_frame(gpointer data)
{
    struct connection *c = data;
    c->frame_idle = 0;
    c->frames++;
    return G_SOURCE_REMOVE;
}

/* A frame is the batch of updates the client handles in one go. */
static void on_invalidate(SpiceChannel *channel, gint x, gint y, gint w, gint h, gpointer data)
{
    struct connection *c = data;
    c->updates++;
    if (!c->frame_idle)
        c->frame_idle = g_idle_add_full(G_PRIORITY_HIGH_IDLE, count_frame, c, NULL);
}

static gboolean on_linking_timeout(gpointer data);

/* Ready once the first frame is in and every channel finished its link: a
 * client that leaves right away (a screenshot) then closes no channel in
 * the middle of its link, which the server would count as a failed
 * connection attempt. */
static void maybe_ready(struct connection *c)
{
    if (c->ready || c->lost || !c->marked)
        return;
    if (c->linking->len > 0) {
        if (!c->linking_source)
            c->linking_source = g_timeout_add(LINKING_WAIT_MS, on_linking_timeout, c);
        return;
    }
    c->ready = true;
    g_clear_handle_id(&c->timeout_source, g_source_remove);
    g_clear_handle_id(&c->linking_source, g_source_remove);
    if (c->cb.ready)
        c->cb.ready(c->data);
}

static gboolean on_linking_timeout(gpointer data)
{
    struct connection *c = data;
    c->linking_source = 0;
    g_debug("%s: %u channels still not open, going on without them", c->address, c->linking->len);
    g_ptr_array_set_size(c->linking, 0);
    maybe_ready(c);
    return G_SOURCE_REMOVE;
}

static void on_channel_event(SpiceChannel *channel, SpiceChannelEvent event, gpointer data)
{
    struct connection *c = data;
    /* Open, or failed: either way its link is over. */
    if (g_ptr_array_remove_fast(c->linking, channel))
        maybe_ready(c);
}

static void on_mark(SpiceChannel *channel, gboolean mark, gpointer data)
{
    struct connection *c = data;
    int id = 0;
    g_object_get(channel, "channel-id", &id, NULL);
    if (!mark || id != 0 || c->marked || c->lost)
        return;
    SpiceDisplayPrimary primary;
    if (!spice_display_channel_get_primary(channel, 0, &primary))
        return;
    c->marked = true;
    g_debug("%s: first frame %dx%d", c->address, primary.width, primary.height);
    maybe_ready(c);
}

static void on_channel_new(SpiceSession *session, SpiceChannel *channel, gpointer data)
{
    struct connection *c = data;
    g_ptr_array_add(c->channels, g_object_ref(channel));
    if (SPICE_IS_MAIN_CHANNEL(channel)) {
        c->main = SPICE_MAIN_CHANNEL(channel);
        g_signal_connect(channel, "channel-event", G_CALLBACK(on_main_event), c);
    } else if (SPICE_IS_DISPLAY_CHANNEL(channel)) {
        g_signal_connect(channel, "display-invalidate", G_CALLBACK(on_invalidate), c);
        g_signal_connect(channel, "display-mark", G_CALLBACK(on_mark), c);
        g_signal_connect(channel, "gst-video-overlay", G_CALLBACK(on_gst_pipeline), c);
    } else if (SPICE_IS_INPUTS_CHANNEL(channel)) {
        c->inputs = SPICE_INPUTS_CHANNEL(channel);
    }
    if (!SPICE_IS_MAIN_CHANNEL(channel)) {
        g_ptr_array_add(c->linking, channel);
        g_signal_connect(channel, "channel-event", G_CALLBACK(on_channel_event), c);
    }
    /* A channel the callback takes is connected by whoever took it. */
    bool taken = c->cb.channel_new && c->cb.channel_new(channel, c->data);
    if (!taken && !SPICE_IS_MAIN_CHANNEL(channel))
        spice_channel_connect(channel);
}

struct connection *connection_create(const struct settings *s, GBytes *pubkey, bool audio,
                                     const struct connection_callbacks *cb, void *data)
{
    struct connection *c = g_new0(struct connection, 1);
    c->settings = s;
    c->cb = *cb;
    c->data = data;
    c->channels = g_ptr_array_new_with_free_func(g_object_unref);
    c->linking = g_ptr_array_new();
    c->address = strchr(s->host, ':')
                     ? g_strdup_printf("[%s]:%d", s->host, s->port ? s->port : s->tls_port)
                     : g_strdup_printf("%s:%d", s->host, s->port ? s->port : s->tls_port);
    c->session = spice_session_new();
    g_autofree char *port = s->port ? g_strdup_printf("%d", s->port) : NULL;
    g_autofree char *tls_port = s->tls_port ? g_strdup_printf("%d", s->tls_port) : NULL;
    g_object_set(c->session, "host", s->host, "port", port, "tls-port", tls_port, "enable-audio",
                 audio, "enable-usbredir", s->usbredir && (!s->headless || s->share_cd),
                 "enable-smartcard", FALSE, NULL);
    if (s->password)
        g_object_set(c->session, "password", s->password, NULL);
    if (s->tls_port) {
        guint verify = 0;
        if (s->ca_file)
            g_object_set(c->session, "ca-file", s->ca_file, NULL);
        if (s->ca) {
            g_autoptr(GByteArray) ca = g_byte_array_new();
            g_byte_array_append(ca, (const guint8 *)s->ca, strlen(s->ca) + 1);
            g_object_set(c->session, "ca", ca, NULL);
        }
        if (s->host_subject) {
            g_object_set(c->session, "cert-subject", s->host_subject, NULL);
            verify |= SPICE_SESSION_VERIFY_SUBJECT;
        } else if (s->ca_file || s->ca) {
            verify |= SPICE_SESSION_VERIFY_HOSTNAME;
        }
        if (pubkey) {
            c->pubkey = g_bytes_ref(pubkey);
            g_autoptr(GByteArray) key = g_byte_array_new();
            g_byte_array_append(key, g_bytes_get_data(pubkey, NULL), g_bytes_get_size(pubkey));
            g_object_set(c->session, "pubkey", key, NULL);
            verify = SPICE_SESSION_VERIFY_PUBKEY;
        }
        if (verify)
            g_object_set(c->session, "verify", verify, NULL);
        if (s->secure_channels) {
            g_auto(GStrv) list = g_strsplit_set(s->secure_channels, ";,", -1);
            g_object_set(c->session, "secure-channels", list, NULL);
        }
    }
    g_signal_connect(c->session, "channel-new", G_CALLBACK(on_channel_new), c);
    return c;
}

void connection_start(struct connection *c)
{
    log_filter_forget();
    c->timeout_source = g_timeout_add_seconds((guint)c->settings->timeout, on_timeout, c);
    if (!spice_session_connect(c->session)) {
        g_autofree char *msg = g_strdup_printf("cannot connect to %s", c->address);
        report_lost(c, EXIT_STATUS_UNREACHABLE, msg);
    }
}

void connection_destroy(struct connection *c)
{
    if (!c)
        return;
    g_clear_handle_id(&c->timeout_source, g_source_remove);
    g_clear_handle_id(&c->frame_idle, g_source_remove);
    g_clear_handle_id(&c->linking_source, g_source_remove);
    tls_pin_destroy(c->explain);
    g_signal_handlers_disconnect_by_data(c->session, c);
    for (guint i = 0; i < c->channels->len; i++)
        g_signal_handlers_disconnect_by_data(g_ptr_array_index(c->channels, i), c);
    spice_session_disconnect(c->session);
    g_ptr_array_unref(c->linking);
    g_ptr_array_unref(c->channels);
    g_object_unref(c->session);
    g_clear_pointer(&c->pubkey, g_bytes_unref);
    g_free(c->tls_message);
    g_free(c->address);
    g_free(c);
}

SpiceSession *connection_get_session(struct connection *c)
{
    return c->session;
}

SpiceChannel *connection_get_display(struct connection *c, int id)
{
    for (guint i = 0; i < c->channels->len; i++) {
        SpiceChannel *ch = g_ptr_array_index(c->channels, i);
        int ch_id = -1;
        if (!SPICE_IS_DISPLAY_CHANNEL(ch))
            continue;
        g_object_get(ch, "channel-id", &ch_id, NULL);
        if (ch_id == id)
            return ch;
    }
    return NULL;
}

SpiceInputsChannel *connection_get_inputs(struct connection *c)
{
    return c->inputs;
}

SpiceMainChannel *connection_get_main(struct connection *c)
{
    return c->main;
}

bool connection_is_ready(const struct connection *c)
{
    return c->ready;
}

const char *connection_get_address(const struct connection *c)
{
    return c->address;
}

static const char *channel_name(SpiceChannel *ch)
{
    int type = 0;
    g_object_get(ch, "channel-type", &type, NULL);
    return spice_channel_type_to_string(type);
}

/* Smoothed round-trip time of the main channel's TCP connection, in ms. */
static double main_rtt_ms(struct connection *c)
{
    if (!c->main)
        return -1;
    g_autoptr(GSocket) sock = NULL;
    g_object_get(c->main, "socket", &sock, NULL);
    if (!sock)
        return -1;
    struct tcp_info info;
    socklen_t len = sizeof(info);
    if (getsockopt(g_socket_get_fd(sock), IPPROTO_TCP, TCP_INFO, &info, &len) < 0)
        return -1;
    return info.tcpi_rtt / 1000.0;
}

void connection_append_stats(struct connection *c, GString *out)
{
    gint64 now = g_get_monotonic_time();
    double secs = c->last_stats_us ? (now - c->last_stats_us) / 1e6 : 0;
    double fps = secs > 0 ? (c->frames - c->frames_at_last_stats) / secs : 0;
    c->last_stats_us = now;
    c->frames_at_last_stats = c->frames;
    g_string_append_printf(out,
                           "\"connected\":%s,\"frames\":%" G_GUINT64_FORMAT
                           ",\"updates\":%" G_GUINT64_FORMAT ",\"fps\":%.1f,\"bytes\":{",
                           c->ready ? "true" : "false", c->frames, c->updates, fps);
    for (guint i = 0; i < c->channels->len; i++) {
        SpiceChannel *ch = g_ptr_array_index(c->channels, i);
        gulong bytes = 0;
        int id = 0;
        g_object_get(ch, "total-read-bytes", &bytes, "channel-id", &id, NULL);
        g_string_append_printf(out, "%s\"%s%s%.0d\":%lu", i ? "," : "", channel_name(ch),
                               id ? "-" : "", id, bytes);
    }
    const char *codec = g_atomic_pointer_get(&c->video_codec);
    if (codec)
        g_string_append_printf(out, "},\"video_codec\":\"%s\"", codec);
    else
        g_string_append(out, "},\"video_codec\":null");
    double rtt = main_rtt_ms(c);
    if (rtt >= 0)
        g_string_append_printf(out, ",\"rtt_ms\":%.2f", rtt);
    else
        g_string_append(out, ",\"rtt_ms\":null");
}
