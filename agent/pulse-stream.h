/* pulse-stream: one low-latency PCM stream (interleaved stereo S16, one
 * uint32_t per frame) on a libpulse context: either recording from a source
 * (data arrives through a callback as the server delivers it, in about
 * 10 ms pieces) or playing into a sink (the caller writes). No spice headers. */
#pragma once

#include <pulse/context.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum pulse_stream_direction {
    PULSE_STREAM_RECORD,
    PULSE_STREAM_PLAYBACK,
};

/* Called on the main loop with frames recorded from the source. */
typedef void (*pulse_stream_data_fn)(const uint32_t *frames, size_t n, void *user_data);

struct pulse_stream;

/* Connects a stream to @device at @rate Hz (PLAYBACK streams may change it
 * later with pulse_stream_set_rate). @buffer_ms bounds the server-side
 * buffer: the fragment size of a record stream, the target length of a
 * playback stream. The stream starts corked. Returns NULL with a log line
 * on failure. @context must outlive the stream. */
struct pulse_stream *pulse_stream_create(pa_context *context, enum pulse_stream_direction direction,
                                         const char *device, const char *name, uint32_t rate,
                                         unsigned buffer_ms, pulse_stream_data_fn data_fn,
                                         void *user_data);
void pulse_stream_destroy(struct pulse_stream *s);

void pulse_stream_set_corked(struct pulse_stream *s, bool corked);
/* Frames a PLAYBACK stream accepts now without growing past its target. */
size_t pulse_stream_writable(struct pulse_stream *s);
/* Copies @n frames into a PLAYBACK stream: 0 or -errno. */
int pulse_stream_write(struct pulse_stream *s, const uint32_t *frames, size_t n);
/* Lets the sound server resample a PLAYBACK stream whose peer delivers at
 * @rate Hz: 0 or -errno. */
int pulse_stream_set_rate(struct pulse_stream *s, uint32_t rate);
