/* stream-pump: moves changed frames from capture through the JPEG encoder
 * pool to the stream device (--video=stream).
 *
 * Damage-driven like frame-pump: only frames that changed are encoded, at
 * most at the frame rate rate control allows, and only while a client's
 * display streams (capture pauses otherwise). A frame is never delayed:
 * when two frames already wait on the port, or every encoder is busy, the
 * damage stays pending and the next grab takes the newest pixels. When
 * motion stops, one last frame goes at still quality in 4:4:4 so that text
 * is sharp; a static screen sends nothing. Main thread only. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/spice-stream.h"
#include "display/capture.h"

struct stream_pump_config {
    int max_fps;        /* --video-max-fps */
    int quality;        /* --video-quality: the top of the motion quality */
    int still_quality;  /* --video-still-quality */
    int threads;        /* encoder threads; 0: one per CPU */
    int still_delay_ms; /* no damage for this long: motion stopped */
    int bitrate_kbps;     /* --video-bitrate: 0 auto */
    int max_bitrate_kbps; /* --video-max-bitrate */
    /* The clients' sockets (client-link): unsent and acknowledged bytes;
     * NULL, or returning false: only the port is measured. */
    bool (*link_sample)(size_t *ret_unsent, uint64_t *ret_acked);
};

struct stream_pump_stats {
    uint64_t grabs;         /* frames grabbed and submitted */
    uint64_t stills;        /* of those, still frames */
    uint64_t sent;          /* frames queued on the port */
    uint64_t dropped;       /* frames dropped: port full or superseded */
    uint64_t failed;        /* grabs that failed (resize races) */
    uint64_t encode_cpu_us; /* CPU time of the encodes, on the workers */
    uint64_t grab_cpu_us;   /* CPU time collecting damage and grabbing, main thread */
    uint64_t jpeg_bytes;
    uint64_t send_us; /* queue-to-read time of frames read by the server */
    uint64_t frames_read;
    int quality, fps; /* rate control's current choice */
    int kbps, link_kbps; /* bitrate control's choice and link estimate */
    int64_t queue_delay_us;
};

struct stream_pump;

/* Returns NULL and sets *ret_error when the encoders cannot start. */
struct stream_pump *stream_pump_create(struct capture *capture, struct spice_stream *stream,
                                       const struct stream_pump_config *config, char **ret_error);
void stream_pump_destroy(struct stream_pump *pump);

/* Damage is waiting. */
void stream_pump_kick(struct stream_pump *pump);
/* A client display started (a full frame goes at once) or stopped streaming. */
void stream_pump_set_active(struct stream_pump *pump, bool active);
void stream_pump_resized(struct stream_pump *pump, int width, int height);
/* The server read a whole frame: feeds rate control. */
void stream_pump_frame_sent(struct stream_pump *pump, size_t bytes, int64_t send_us);

void stream_pump_get_stats(const struct stream_pump *pump, struct stream_pump_stats *ret_stats);
