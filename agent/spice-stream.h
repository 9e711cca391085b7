/* spice-stream: the guest side of spice-server's stream device.
 *
 * A "port" char device named org.spice-space.stream.0: spice-server gives it
 * its own display channel and cursor channel, and plays its MJPEG frames
 * with no playout margin in spice-gtk. The device answers the server's
 * capabilities, waits for START (a client's display is there, with its
 * codecs), sends FORMAT (again after every start and size change) and then
 * one DATA message per JPEG frame. The server pulls bytes with read(); it
 * stops pulling while the client's pipe is full, which is the backpressure
 * the agent's rate control measures.
 *
 * Main loop only. Events are delivered from idle callbacks, never from
 * inside spice-server's calls. */
#pragma once

#include <glib.h>
#include <spice.h>
#include <stdbool.h>
#include <stdint.h>

#include "display/cursor.h"

#define SPICE_STREAM_PORT_NAME "org.spice-space.stream.0"
/* Frames waiting on the port (queued, not completely read) at most. */
#define SPICE_STREAM_MAX_QUEUED_FRAMES 2

struct spice_stream;

struct spice_stream_events {
    /* A client display wants frames (send a full one now), or went. */
    void (*streaming)(bool on, void *user_data);
    /* The server read the last byte of a frame of @bytes, @send_us after
     * it was queued. */
    void (*frame_sent)(size_t bytes, int64_t send_us, void *user_data);
    /* spice-server refused something while frames of @codec streamed
     * (NOTIFY_ERROR: a client's decoder failed, or the codec). */
    void (*stream_error)(uint8_t codec, const char *text, void *user_data);
    void *user_data;
};

struct spice_stream_stats {
    uint64_t frames;  /* DATA messages queued */
    uint64_t bytes;   /* their JPEG bytes */
    uint64_t refused; /* frames refused: two waiting, or not streaming */
    uint64_t invalid; /* messages from the server refused */
    uint64_t starts;
};

/* Adds the port to @server and opens it. Returns NULL on failure. */
struct spice_stream *spice_stream_create(SpiceServer *server,
                                         const struct spice_stream_events *events);
void spice_stream_destroy(struct spice_stream *stream);

/* True between a START with MJPEG or H.264 and the next STOP. */
bool spice_stream_is_streaming(const struct spice_stream *stream);
int spice_stream_queued_frames(const struct spice_stream *stream);
size_t spice_stream_queued_bytes(const struct spice_stream *stream);

/* Whether the client display of the last START decodes @codec
 * (SPICE_VIDEO_CODEC_TYPE_MJPEG or _H264). */
bool spice_stream_client_decodes(const struct spice_stream *stream, uint8_t codec);
/* Queues one frame of @width x @height in @codec (a JPEG, or an H.264
 * access unit in Annex B), FORMAT first when size or codec changed.
 * Takes a reference to @jpeg. Returns false, queueing nothing, when not
 * streaming or when SPICE_STREAM_MAX_QUEUED_FRAMES already wait: the caller
 * drops the frame rather than delay it. */
bool spice_stream_send_frame(struct spice_stream *stream, GBytes *jpeg, int width, int height,
                             uint8_t codec);

/* Sends a pointer shape through the stream's cursor channel. */
void spice_stream_set_cursor(struct spice_stream *stream, const struct cursor_image *cursor);

void spice_stream_get_stats(const struct spice_stream *stream,
                            struct spice_stream_stats *ret_stats);
