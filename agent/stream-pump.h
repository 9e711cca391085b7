/* stream-pump: moves changed frames from capture through the JPEG encoder
 * pool, or H.264 (display/h264-pool), to the stream device (--video=stream).
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
    int codec;            /* enum video_codec (agent/options.h): --video-codec */
    int bitrate_kbps;     /* --video-bitrate: 0 auto (bitrate control follows the link) */
    int max_bitrate_kbps; /* --video-max-bitrate */
    /* The clients' sockets (client-link): outstanding and acknowledged
     * bytes; NULL, or returning false: only the port is measured. */
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
    uint64_t jpeg_bytes;    /* bytes of frames queued, JPEG or H.264 */
    uint64_t h264_frames;   /* of the frames sent, H.264 ones */
    uint64_t h264_skipped;  /* frames OpenH264's rate control skipped */
    uint64_t h264_fallbacks; /* stream errors that switched a client to MJPEG */
    uint64_t encode_us;     /* wall time of the encodes */
    uint64_t encodes;
    uint64_t send_us; /* queue-to-read time of frames read by the server */
    uint64_t frames_read;
    int quality, fps; /* rate control's current choice */
    int kbps, link_kbps; /* bitrate control's choice and link estimate */
    int64_t queue_delay_us;
    const char *codec; /* "h264", "mjpeg", or "none" while no client streams */
    int bitrate_kbps;  /* H.264 target */
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
/* spice-server reported a stream error (NOTIFY_ERROR) for @codec: a client
 * that fails H.264 gets MJPEG from now until its stream stops. */
void stream_pump_stream_error(struct stream_pump *pump, uint8_t codec, const char *text);
/* The H.264 target from now on (kbit/s; h-vbench's link controller). */
void stream_pump_set_bitrate(struct stream_pump *pump, int bitrate_kbps);

void stream_pump_get_stats(const struct stream_pump *pump, struct stream_pump_stats *ret_stats);
