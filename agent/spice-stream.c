#include "agent/spice-stream.h"

#include <spice/protocol.h>
#include <spice/stream-device.h>
#include <string.h>

#include "agent/stream-proto.h"

/* One message on its way to the server: a header (or a whole small
 * message) and an optional payload read in place. */
struct out_msg {
    GBytes *head;
    GBytes *payload;
    size_t pos; /* bytes of head + payload already read */
    size_t total;
    bool frame; /* a DATA message */
    int64_t queued_us;
};

struct sent_frame {
    size_t bytes;
    int64_t send_us;
};

struct spice_stream {
    SpiceCharDeviceInstance sin;
    SpiceServer *server;
    struct spice_stream_events events;
    struct stream_parser *parser;
    bool added;
    bool streaming;
    bool format_sent;
    int format_w, format_h;
    uint8_t format_codec;
    bool client_mjpeg, client_h264; /* the codecs of the last START */
    bool error_pending;             /* NOTIFY_ERROR while streaming: report it */
    char *error_text;
    GQueue out; /* struct out_msg * */
    int queued_frames;
    size_t queued_bytes;
    GArray *sent; /* struct sent_frame, reported from the idle callback */
    bool streaming_changed;
    guint notify_source; /* idle: events up, and the server's wakeup */
    bool wakeup_pending;
    struct spice_stream_stats stats;
};

static struct spice_stream *from_sin(SpiceCharDeviceInstance *sin)
{
    return SPICE_CONTAINEROF(sin, struct spice_stream, sin);
}

static void out_msg_free(struct out_msg *m)
{
    g_bytes_unref(m->head);
    if (m->payload)
        g_bytes_unref(m->payload);
    g_free(m);
}

static gboolean on_notify(gpointer data)
{
    struct spice_stream *s = data;
    s->notify_source = 0;
    if (s->wakeup_pending) {
        s->wakeup_pending = false;
        spice_server_char_device_wakeup(&s->sin);
    }
    if (s->streaming_changed) {
        s->streaming_changed = false;
        if (s->events.streaming)
            s->events.streaming(s->streaming, s->events.user_data);
    }
    if (s->error_pending) {
        s->error_pending = false;
        if (s->events.stream_error && s->streaming)
            s->events.stream_error(s->format_codec, s->error_text, s->events.user_data);
    }
    if (s->sent->len) {
        g_autoptr(GArray) sent = s->sent;
        s->sent = g_array_new(FALSE, FALSE, sizeof(struct sent_frame));
        for (guint i = 0; i < sent->len; i++) {
            const struct sent_frame *f = &g_array_index(sent, struct sent_frame, i);
            if (s->events.frame_sent)
                s->events.frame_sent(f->bytes, f->send_us, s->events.user_data);
        }
    }
    return G_SOURCE_REMOVE;
}

static void schedule_notify(struct spice_stream *s)
{
    if (!s->notify_source)
        s->notify_source = g_idle_add_full(G_PRIORITY_HIGH, on_notify, s, NULL);
}

static void queue_msg(struct spice_stream *s, GBytes *head, GBytes *payload, bool frame)
{
    struct out_msg *m = g_new0(struct out_msg, 1);
    m->head = head;
    m->payload = payload;
    m->total = g_bytes_get_size(head) + (payload ? g_bytes_get_size(payload) : 0);
    m->frame = frame;
    m->queued_us = g_get_monotonic_time();
    g_queue_push_tail(&s->out, m);
    s->queued_bytes += m->total;
    if (frame)
        s->queued_frames++;
    s->wakeup_pending = true;
    schedule_notify(s);
}

static void queue_small(struct spice_stream *s, const uint8_t *msg, size_t len)
{
    if (len)
        queue_msg(s, g_bytes_new(msg, len), NULL, false);
}

/* Drops everything not yet started; a message the server is halfway
 * through must be finished or its framing breaks. */
static void drop_unstarted(struct spice_stream *s)
{
    GList *l = s->out.head;
    while (l) {
        GList *next = l->next;
        struct out_msg *m = l->data;
        if (m->pos == 0) {
            s->queued_bytes -= m->total;
            if (m->frame)
                s->queued_frames--;
            out_msg_free(m);
            g_queue_delete_link(&s->out, l);
        }
        l = next;
    }
}

static void set_streaming(struct spice_stream *s, bool on)
{
    if (s->streaming == on && !on)
        return;
    s->streaming = on;
    s->format_sent = false; /* FORMAT again after every start */
    if (!on)
        drop_unstarted(s);
    s->streaming_changed = true;
    schedule_notify(s);
}

static void on_proto_event(const struct stream_proto_event *ev, void *data)
{
    struct spice_stream *s = data;
    switch (ev->type) {
    case STREAM_PROTO_CAPABILITIES: {
        uint8_t msg[16];
        queue_small(s, msg, stream_proto_capabilities(msg, sizeof(msg)));
        g_debug("stream: server capabilities (%zu bytes) answered", ev->caps_len);
        break;
    }
    case STREAM_PROTO_START: {
        s->client_mjpeg = memchr(ev->codecs, SPICE_VIDEO_CODEC_TYPE_MJPEG, ev->n_codecs) != NULL;
        s->client_h264 = memchr(ev->codecs, SPICE_VIDEO_CODEC_TYPE_H264, ev->n_codecs) != NULL;
        if (!s->client_mjpeg && !s->client_h264) {
            g_warning(
                "stream: the client accepts none of our codecs (MJPEG, H.264); not streaming");
            set_streaming(s, false);
            break;
        }
        s->stats.starts++;
        g_message("stream: a client display started the video stream (it decodes%s%s)",
                  s->client_h264 ? " H.264" : "", s->client_mjpeg ? " MJPEG" : "");
        set_streaming(s, true);
        break;
    }
    case STREAM_PROTO_STOP:
        if (s->streaming)
            g_message("stream: the video stream stopped");
        set_streaming(s, false);
        break;
    case STREAM_PROTO_NOTIFY_ERROR:
        s->stats.invalid++;
        g_warning("stream: spice-server refused a message of ours (code %u): %s", ev->error_code,
                  ev->text);
        g_free(s->error_text);
        s->error_text = g_strdup(ev->text);
        s->error_pending = true;
        schedule_notify(s);
        break;
    case STREAM_PROTO_INVALID:
        s->stats.invalid++;
        g_warning("stream: ignored a message from spice-server: %s", ev->text);
        break;
    }
}

/* --- SpiceCharDeviceInterface, called by spice-server on the main loop --- */

static void sif_state(SpiceCharDeviceInstance *sin, int connected)
{
    g_debug("stream: device state %d", connected);
}

static int sif_write(SpiceCharDeviceInstance *sin, const uint8_t *buf, int len)
{
    struct spice_stream *s = from_sin(sin);
    if (len > 0)
        stream_parser_feed(s->parser, buf, (size_t)len, on_proto_event, s);
    return len;
}

static int sif_read(SpiceCharDeviceInstance *sin, uint8_t *buf, int len)
{
    struct spice_stream *s = from_sin(sin);
    int done = 0;
    int64_t now = g_get_monotonic_time();
    while (done < len && !g_queue_is_empty(&s->out)) {
        struct out_msg *m = g_queue_peek_head(&s->out);
        size_t head_len = g_bytes_get_size(m->head);
        const uint8_t *src;
        size_t avail;
        if (m->pos < head_len) {
            src = (const uint8_t *)g_bytes_get_data(m->head, NULL) + m->pos;
            avail = head_len - m->pos;
        } else {
            src = (const uint8_t *)g_bytes_get_data(m->payload, NULL) + (m->pos - head_len);
            avail = m->total - m->pos;
        }
        size_t n = MIN(avail, (size_t)(len - done));
        memcpy(buf + done, src, n);
        done += (int)n;
        m->pos += n;
        s->queued_bytes -= n;
        if (m->pos == m->total) {
            g_queue_pop_head(&s->out);
            if (m->frame) {
                s->queued_frames--;
                struct sent_frame f = {m->total, now - m->queued_us};
                g_array_append_val(s->sent, f);
                schedule_notify(s);
            }
            out_msg_free(m);
        }
    }
    return done;
}

static void sif_event(SpiceCharDeviceInstance *sin, uint8_t event)
{
    g_debug("stream: port event %u", event);
}

static const SpiceCharDeviceInterface stream_interface = {
    .base =
        {
            .type = SPICE_INTERFACE_CHAR_DEVICE,
            .description = "thindesk video stream",
            .major_version = SPICE_INTERFACE_CHAR_DEVICE_MAJOR,
            .minor_version = SPICE_INTERFACE_CHAR_DEVICE_MINOR,
        },
    .state = sif_state,
    .write = sif_write,
    .read = sif_read,
    .event = sif_event,
};

struct spice_stream *spice_stream_create(SpiceServer *server,
                                         const struct spice_stream_events *events)
{
    struct spice_stream *s = g_new0(struct spice_stream, 1);
    s->server = server;
    if (events)
        s->events = *events;
    s->parser = stream_parser_create();
    s->sent = g_array_new(FALSE, FALSE, sizeof(struct sent_frame));
    g_queue_init(&s->out);
    s->sin.base.sif = &stream_interface.base;
    s->sin.subtype = "port";
    s->sin.portname = SPICE_STREAM_PORT_NAME;
    if (spice_server_add_interface(server, &s->sin.base) != 0) {
        g_warning("spice-server refused the stream device");
        spice_stream_destroy(s);
        return NULL;
    }
    s->added = true;
    spice_server_port_event(&s->sin, SPICE_PORT_EVENT_OPENED);
    return s;
}

void spice_stream_destroy(struct spice_stream *s)
{
    if (!s)
        return;
    if (s->added) {
        spice_server_port_event(&s->sin, SPICE_PORT_EVENT_CLOSED);
        spice_server_remove_interface(&s->sin.base);
    }
    if (s->notify_source)
        g_source_remove(s->notify_source);
    g_queue_clear_full(&s->out, (GDestroyNotify)out_msg_free);
    g_array_unref(s->sent);
    stream_parser_destroy(s->parser);
    g_free(s->error_text);
    g_free(s);
}

bool spice_stream_is_streaming(const struct spice_stream *s)
{
    return s->streaming;
}

int spice_stream_queued_frames(const struct spice_stream *s)
{
    return s->queued_frames;
}

size_t spice_stream_queued_bytes(const struct spice_stream *s)
{
    return s->queued_bytes;
}

bool spice_stream_client_decodes(const struct spice_stream *s, uint8_t codec)
{
    return codec == SPICE_VIDEO_CODEC_TYPE_H264    ? s->client_h264
           : codec == SPICE_VIDEO_CODEC_TYPE_MJPEG ? s->client_mjpeg
                                                   : false;
}

bool spice_stream_send_frame(struct spice_stream *s, GBytes *jpeg, int width, int height,
                             uint8_t codec)
{
    if (!s->streaming || s->queued_frames >= SPICE_STREAM_MAX_QUEUED_FRAMES) {
        s->stats.refused++;
        return false;
    }
    if (!s->format_sent || width != s->format_w || height != s->format_h ||
        codec != s->format_codec) {
        uint8_t msg[32];
        queue_small(
            s, msg,
            stream_proto_format(msg, sizeof(msg), (uint32_t)width, (uint32_t)height, codec));
        s->format_sent = true;
        s->format_w = width;
        s->format_h = height;
        s->format_codec = codec;
    }
    size_t size = g_bytes_get_size(jpeg);
    uint8_t *head = g_malloc(STREAM_PROTO_HEADER_SIZE);
    stream_proto_put_header(head, STREAM_TYPE_DATA, (uint32_t)size);
    queue_msg(s, g_bytes_new_take(head, STREAM_PROTO_HEADER_SIZE), g_bytes_ref(jpeg), true);
    s->stats.frames++;
    s->stats.bytes += size;
    return true;
}

void spice_stream_set_cursor(struct spice_stream *s, const struct cursor_image *cursor)
{
    if (!cursor || !cursor->width || !cursor->height ||
        cursor->width > STREAM_MSG_CURSOR_SET_MAX_WIDTH ||
        cursor->height > STREAM_MSG_CURSOR_SET_MAX_HEIGHT)
        return;
    size_t size = stream_proto_cursor_set_size(cursor->width, cursor->height);
    uint8_t *msg = g_malloc(size);
    size_t n = stream_proto_cursor_set(msg, size, cursor->width, cursor->height, cursor->hot_x,
                                       cursor->hot_y, cursor->argb);
    if (n)
        queue_msg(s, g_bytes_new_take(msg, n), NULL, false);
    else
        g_free(msg);
}

void spice_stream_get_stats(const struct spice_stream *s, struct spice_stream_stats *ret_stats)
{
    *ret_stats = s->stats;
}
