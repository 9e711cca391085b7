#include "agent/pulse-stream.h"

#include <errno.h>
#include <glib.h>
#include <pulse/error.h>
#include <pulse/stream.h>

#define FRAME_BYTES 4

struct pulse_stream {
    pa_stream *stream;
    enum pulse_stream_direction direction;
    pulse_stream_data_fn data_fn;
    void *user_data;
    char *name;
    bool corked;
};

static bool is_ready(struct pulse_stream *s)
{
    return pa_stream_get_state(s->stream) == PA_STREAM_READY;
}

static void on_read(pa_stream *p, size_t nbytes, void *data)
{
    struct pulse_stream *s = data;
    const void *buf;
    size_t len;
    while (pa_stream_readable_size(p) > 0) {
        if (pa_stream_peek(p, &buf, &len) < 0 || len == 0)
            return;
        /* buf NULL is a hole in the record buffer: nothing to deliver. */
        if (buf && s->data_fn && !s->corked)
            s->data_fn(buf, len / FRAME_BYTES, s->user_data);
        pa_stream_drop(p);
    }
}

static void on_state(pa_stream *p, void *data)
{
    struct pulse_stream *s = data;
    if (pa_stream_get_state(p) == PA_STREAM_FAILED)
        g_warning("audio: stream %s failed: %s", s->name,
                  pa_strerror(pa_context_errno(pa_stream_get_context(p))));
    else if (pa_stream_get_state(p) == PA_STREAM_READY) {
        g_debug("audio: stream %s on %s", s->name, pa_stream_get_device_name(p));
        /* Streams start corked; uncork now if that was asked for meanwhile. */
        if (!s->corked) {
            pa_operation *op = pa_stream_cork(p, 0, NULL, NULL);
            if (op)
                pa_operation_unref(op);
        }
    }
}

struct pulse_stream *pulse_stream_create(pa_context *context, enum pulse_stream_direction direction,
                                         const char *device, const char *name, uint32_t rate,
                                         unsigned buffer_ms, pulse_stream_data_fn data_fn,
                                         void *user_data)
{
    pa_sample_spec spec = {.format = PA_SAMPLE_S16LE, .rate = rate, .channels = 2};
    pa_stream *p = pa_stream_new(context, name, &spec, NULL);
    if (!p) {
        g_warning("audio: cannot create stream %s: %s", name,
                  pa_strerror(pa_context_errno(context)));
        return NULL;
    }
    struct pulse_stream *s = g_new0(struct pulse_stream, 1);
    s->stream = p;
    s->direction = direction;
    s->data_fn = data_fn;
    s->user_data = user_data;
    s->name = g_strdup(name);
    s->corked = true;
    pa_stream_set_state_callback(p, on_state, s);

    uint32_t bytes = (uint32_t)pa_usec_to_bytes((pa_usec_t)buffer_ms * 1000, &spec);
    pa_buffer_attr attr = {.maxlength = (uint32_t)-1,
                           .tlength = (uint32_t)-1,
                           .prebuf = (uint32_t)-1,
                           .minreq = (uint32_t)-1,
                           .fragsize = (uint32_t)-1};
    pa_stream_flags_t flags =
        PA_STREAM_ADJUST_LATENCY | PA_STREAM_DONT_MOVE | PA_STREAM_START_CORKED;
    int rc;
    if (direction == PULSE_STREAM_RECORD) {
        attr.fragsize = bytes;
        pa_stream_set_read_callback(p, on_read, s);
        rc = pa_stream_connect_record(p, device, &attr, flags);
    } else {
        /* Start as soon as 10 ms are queued; never hold more than the target. */
        attr.tlength = bytes;
        attr.maxlength = bytes;
        attr.prebuf = (uint32_t)pa_usec_to_bytes(10 * 1000, &spec);
        flags |= PA_STREAM_VARIABLE_RATE;
        rc = pa_stream_connect_playback(p, device, &attr, flags, NULL, NULL);
    }
    if (rc < 0) {
        g_warning("audio: cannot connect stream %s to %s: %s", name, device,
                  pa_strerror(pa_context_errno(context)));
        pulse_stream_destroy(s);
        return NULL;
    }
    return s;
}

void pulse_stream_destroy(struct pulse_stream *s)
{
    if (!s)
        return;
    pa_stream_set_state_callback(s->stream, NULL, NULL);
    pa_stream_set_read_callback(s->stream, NULL, NULL);
    if (pa_stream_get_state(s->stream) == PA_STREAM_READY ||
        pa_stream_get_state(s->stream) == PA_STREAM_CREATING)
        pa_stream_disconnect(s->stream);
    pa_stream_unref(s->stream);
    g_free(s->name);
    g_free(s);
}

void pulse_stream_set_corked(struct pulse_stream *s, bool corked)
{
    if (!s || s->corked == corked)
        return;
    s->corked = corked;
    if (!is_ready(s))
        return; /* applied when the stream becomes ready */
    pa_operation *op = pa_stream_cork(s->stream, corked, NULL, NULL);
    if (op)
        pa_operation_unref(op);
    /* Old data recorded while nobody listened is of no use. */
    if (!corked && s->direction == PULSE_STREAM_RECORD) {
        op = pa_stream_flush(s->stream, NULL, NULL);
        if (op)
            pa_operation_unref(op);
    }
}

size_t pulse_stream_writable(struct pulse_stream *s)
{
    if (!s || !is_ready(s))
        return 0;
    size_t bytes = pa_stream_writable_size(s->stream);
    return bytes == (size_t)-1 ? 0 : bytes / FRAME_BYTES;
}

int pulse_stream_write(struct pulse_stream *s, const uint32_t *frames, size_t n)
{
    if (!s || !is_ready(s))
        return -ENOTCONN;
    if (pa_stream_write(s->stream, frames, n * FRAME_BYTES, NULL, 0, PA_SEEK_RELATIVE) < 0)
        return -EIO;
    return 0;
}

int pulse_stream_set_rate(struct pulse_stream *s, uint32_t rate)
{
    if (!s || !is_ready(s))
        return -ENOTCONN;
    pa_operation *op = pa_stream_update_sample_rate(s->stream, rate, NULL, NULL);
    if (!op)
        return -EINVAL;
    pa_operation_unref(op);
    return 0;
}
