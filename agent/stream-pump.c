#include "agent/stream-pump.h"

#include <glib.h>
#include <time.h>

#include <spice/enums.h>
#include <string.h>

#include "agent/bitrate-control.h"
#include "agent/options.h"
#include "agent/rate-control.h"
#include "display/h264-encoder.h"
#include "display/h264-pool.h"
#include "display/jpeg-pool.h"
#include "display/thread-cpu.h"

#define MIN_MOTION_QUALITY 30
/* Below this bitrate the frame rate goes down instead (auto). */
#define MIN_AUTO_KBPS 1500

struct stream_pump {
    struct capture *capture;
    struct spice_stream *stream;
    struct stream_pump_config cfg;
    struct jpeg_pool *pool;
    struct h264_pool *h264;
    bool use_h264;    /* this stream's codec */
    bool h264_failed; /* a stream error: MJPEG until the stream stops */
    int h264_stills;  /* still frames still to send after motion */
    struct rate_control *rc;
    struct bitrate_control *bc;
    int budget_quality; /* MJPEG quality that keeps frames within the bitrate budget */
    size_t frame_bytes;  /* the last motion frame's size: paces MJPEG to the bitrate */
    struct damage *damage;
    int width, height;
    bool active;
    bool still_due;   /* motion was sent; a still frame should follow */
    bool force_still; /* the next grab is a still frame (start of a stream) */
    uint64_t next_seq;
    uint64_t newest_sent_seq;
    gint64 last_grab_us;
    gint64 last_motion_us;
    guint source;
    gint64 source_due_us;
    struct stream_pump_stats stats;
};

static void pump_run(struct stream_pump *pump);
static void sample_link(struct stream_pump *pump, gint64 now);

static gboolean on_run(gpointer data)
{
    struct stream_pump *pump = data;
    pump->source = 0;
    pump_run(pump);
    return G_SOURCE_REMOVE;
}

/* Runs the pump after @delay_us, or sooner if a run is due sooner already. */
static void schedule(struct stream_pump *pump, gint64 delay_us)
{
    gint64 due = g_get_monotonic_time() + MAX(delay_us, 0);
    if (pump->source) {
        if (pump->source_due_us <= due)
            return;
        g_source_remove(pump->source); /* a later run (the still timer) */
    }
    pump->source_due_us = due;
    if (delay_us <= 0)
        pump->source = g_idle_add_full(G_PRIORITY_DEFAULT, on_run, pump, NULL);
    else
        pump->source = g_timeout_add_full(G_PRIORITY_DEFAULT, (guint)((delay_us + 999) / 1000),
                                          on_run, pump, NULL);
}

/* Frames waiting on the port or in the encoders: at most two, ever. */
static int frames_pending(const struct stream_pump *pump)
{
    return spice_stream_queued_frames(pump->stream) + jpeg_pool_in_flight(pump->pool) +
           h264_pool_in_flight(pump->h264);
}

/* The codec for the stream that starts now, and the log line saying why. */
static void choose_codec(struct stream_pump *pump)
{
    bool can = spice_stream_client_decodes(pump->stream, SPICE_VIDEO_CODEC_TYPE_H264);
    bool mjpeg = spice_stream_client_decodes(pump->stream, SPICE_VIDEO_CODEC_TYPE_MJPEG);
    const char *why;
    if (pump->cfg.codec == VIDEO_CODEC_MJPEG) {
        pump->use_h264 = !mjpeg; /* a client without MJPEG: H.264 is all it takes */
        why = mjpeg ? "--video-codec=mjpeg"
                    : "--video-codec=mjpeg, but the client decodes only H.264";
    } else if (pump->h264_failed && mjpeg) {
        pump->use_h264 = false;
        why = "its H.264 stream failed (spice-server reported a stream error)";
    } else if (can) {
        pump->use_h264 = true;
        why = "the client announces an H.264 decoder";
    } else {
        pump->use_h264 = false;
        why = "the client announces no H.264 decoder (GStreamer's avdec_h264)";
    }
    if (!pump->use_h264 && pump->cfg.codec == VIDEO_CODEC_H264)
        g_warning("video: --video-codec=h264, but the client gets MJPEG: %s", why);
    g_message("video: the client gets %s: %s", pump->use_h264 ? "H.264" : "MJPEG", why);
    if (pump->use_h264)
        h264_pool_request_keyframe(pump->h264);
}

/* The time between motion frames: the slower of rate control (backpressure)
 * and bitrate control. MJPEG at its lowest quality can still be above the
 * bitrate's budget: then the frame rate goes down until the bytes fit. */
static gint64 motion_interval(const struct stream_pump *pump)
{
    gint64 interval =
        MAX(rate_control_interval_us(pump->rc), bitrate_control_interval_us(pump->bc));
    if (pump->use_h264)
        return interval; /* its rate control keeps to the bitrate itself */
    gint64 paced = (gint64)((double)pump->frame_bytes * 8 * 1000 /
                            MAX(bitrate_control_kbps(pump->bc), 1));
    return MAX(interval, MIN(paced, G_USEC_PER_SEC));
}

static void grab_and_encode(struct stream_pump *pump, bool still)
{
    struct damage_rect all = {0, 0, pump->width, pump->height};
    struct frame *frame = capture_grab(pump->capture, &all, 1);
    if (!frame) {
        g_debug("video: grab failed");
        pump->stats.failed++;
        damage_add_all(pump->damage); /* a resize follows, or a buffer comes back */
        schedule(pump, 10 * 1000);
        return;
    }
    if (pump->use_h264) {
        /* the encoder plans for the frame rate and bitrate we send at */
        h264_pool_set_fps(pump->h264, CLAMP((int)(G_USEC_PER_SEC / motion_interval(pump)), 1,
                                            H264_ENCODER_MAX_FPS));
        /* A still frame is sent once after motion, as MJPEG's still frame
         * at still quality: it gets at least the default rate's budget, so
         * that a link estimate cut low during motion (or by a busy machine)
         * does not leave the picture blurred once it stops. */
        int kbps = bitrate_control_kbps(pump->bc);
        if (still)
            kbps = MAX(kbps, H264_ENCODER_DEFAULT_KBPS);
        h264_pool_set_bitrate(pump->h264, CLAMP(kbps, H264_ENCODER_MIN_KBPS, H264_ENCODER_MAX_KBPS));
        h264_pool_submit(pump->h264, frame, pump->width, pump->height, pump->width * 4,
                         still ? H264_FRAME_STILL : H264_FRAME_MOTION, ++pump->next_seq);
        frame_unref(frame);
        pump->stats.grabs++;
        if (still)
            pump->stats.stills++;
        return;
    }
    int quality = still ? pump->cfg.still_quality
                        : MIN(rate_control_quality(pump->rc), pump->budget_quality);
    enum jpeg_subsampling ss = still ? JPEG_SUBSAMPLING_444 : JPEG_SUBSAMPLING_420;
    jpeg_pool_submit(pump->pool, frame, pump->width, pump->height, pump->width * 4, quality, ss,
                     ++pump->next_seq);
    frame_unref(frame);
    pump->stats.grabs++;
    if (still)
        pump->stats.stills++;
}

static void pump_run(struct stream_pump *pump)
{
    if (!pump->active)
        return;
    uint64_t cpu0 = thread_cpu_us();
    gint64 now = g_get_monotonic_time();
    capture_collect_damage(pump->capture, pump->damage);
    bool changed = !damage_is_empty(pump->damage);

    if (!changed && !pump->force_still) {
        if (!pump->still_due)
            return; /* a static screen sends nothing */
        gint64 wait = pump->last_motion_us + pump->cfg.still_delay_ms * 1000 - now;
        if (wait > 0) {
            schedule(pump, wait);
            return;
        }
        if (frames_pending(pump) > 0) {
            g_debug("video: still frame waits for %d frames", frames_pending(pump));
            return; /* a sent or encoded frame kicks us again */
        }
        /* H.264: the first still frame sharpens the picture a lot, the
         * second brings it to the encoder's best (display/VIDEO.md). */
        if (pump->use_h264 && pump->h264_stills == 0)
            pump->h264_stills = 2;
        if (!pump->use_h264 || --pump->h264_stills == 0)
            pump->still_due = false;
        /* The first one is a key frame: refining P frames from a picture
         * that motion at a low link rate left far off may take more than
         * two frames; a key frame at the still budget does not depend on it. */
        if (pump->use_h264 && pump->h264_stills == 1)
            h264_pool_request_keyframe(pump->h264);
        grab_and_encode(pump, true);
        pump->stats.grab_cpu_us += thread_cpu_us() - cpu0;
        return;
    }

    gint64 interval = motion_interval(pump);
    gint64 wait = pump->last_grab_us + interval - now;
    if (wait > 0) {
        schedule(pump, wait);
        return;
    }
    if (frames_pending(pump) >= SPICE_STREAM_MAX_QUEUED_FRAMES) {
        /* Two frames wait already: this one is dropped (the damage stays,
         * the next grab sends newer pixels); the link is too slow. */
        if (spice_stream_queued_frames(pump->stream) >= SPICE_STREAM_MAX_QUEUED_FRAMES) {
            rate_control_frame_dropped(pump->rc, now);
            bitrate_control_frame_dropped(pump->bc, now);
            pump->stats.dropped++;
        }
        g_debug("video: %d frames pending", frames_pending(pump));
        return; /* frame_sent or an encode result kicks us again */
    }
    sample_link(pump, now);
    bool still = pump->force_still;
    damage_clear(pump->damage);
    pump->force_still = false;
    /* Keep the cadence: timers fire late (millisecond rounding, a busy
     * loop), and counting the next interval from the late run would lose
     * up to a tenth of the frame rate. After a pause start afresh. */
    bool on_time = now - pump->last_grab_us < 2 * interval;
    pump->last_grab_us = on_time ? pump->last_grab_us + interval : now;
    if (!still) {
        pump->last_motion_us = now;
        pump->still_due = true;
    }
    grab_and_encode(pump, still);
    pump->stats.grab_cpu_us += thread_cpu_us() - cpu0;
}

static void on_encoded(const struct jpeg_pool_result *r, void *data)
{
    struct stream_pump *pump = data;
    if (r->error) {
        g_warning("video: %s", r->error);
    } else {
        pump->stats.encode_cpu_us += (uint64_t)r->encode_cpu_us;
        pump->stats.encode_us += (uint64_t)(r->done_us - r->submitted_us);
        pump->stats.encodes++;
        g_debug("video: frame %" G_GUINT64_FORMAT " encoded in %" G_GINT64_FORMAT
                " us (cpu %" G_GINT64_FORMAT " us), delivered %" G_GINT64_FORMAT " us later",
                r->seq, r->done_us - r->submitted_us, r->encode_cpu_us,
                g_get_monotonic_time() - r->done_us);
        if (pump->use_h264 || !pump->active || r->seq < pump->newest_sent_seq ||
            r->width != pump->width || r->height != pump->height) {
            pump->stats.dropped++; /* superseded, or nobody watches */
        } else if (spice_stream_send_frame(pump->stream, r->jpeg, r->width, r->height,
                                           SPICE_VIDEO_CODEC_TYPE_MJPEG)) {
            pump->newest_sent_seq = r->seq;
            pump->stats.sent++;
            pump->stats.jpeg_bytes += g_bytes_get_size(r->jpeg);
            if (r->subsampling != JPEG_SUBSAMPLING_444) /* not a still frame */
                pump->frame_bytes = g_bytes_get_size(r->jpeg);
            if (r->subsampling != JPEG_SUBSAMPLING_444)
                pump->budget_quality = bitrate_control_jpeg_quality(
                    MIN(pump->budget_quality, r->quality), g_bytes_get_size(r->jpeg),
                    bitrate_control_frame_budget(pump->bc), MIN_MOTION_QUALITY,
                    pump->cfg.quality);
        } else {
            pump->stats.dropped++;
            rate_control_frame_dropped(pump->rc, g_get_monotonic_time());
            bitrate_control_frame_dropped(pump->bc, g_get_monotonic_time());
        }
    }
    schedule(pump, 0);
}

/* @au followed by an access unit delimiter (the start of the next access
 * unit). spice-gtk's pipeline starts with h264parse, which emits an access
 * unit only when the next one begins: without the delimiter the last frame
 * (a still frame on a static screen) would wait for the next motion. */
static GBytes *with_delimiter(GBytes *au)
{
    static const uint8_t aud[] = {0, 0, 0, 1, 0x09, 0xf0}; /* NAL 9, any slice type */
    size_t n = g_bytes_get_size(au);
    uint8_t *out = g_malloc(n + sizeof(aud));
    memcpy(out, g_bytes_get_data(au, NULL), n);
    memcpy(out + n, aud, sizeof(aud));
    return g_bytes_new_take(out, n + sizeof(aud));
}

static void on_h264_encoded(const struct h264_pool_result *r, void *data)
{
    struct stream_pump *pump = data;
    if (r->error) {
        g_warning("video: %s", r->error);
        pump->stats.failed++;
    } else {
        pump->stats.encode_cpu_us += (uint64_t)r->encode_cpu_us;
        pump->stats.encode_us += (uint64_t)r->encode_us;
        pump->stats.encodes++;
        size_t size = g_bytes_get_size(r->au);
        g_autoptr(GBytes) framed = NULL; /* what goes on the port */
        g_debug("video: H.264 frame %" G_GUINT64_FORMAT " (%s%s) %zu bytes in %" G_GINT64_FORMAT
                " us",
                r->seq, r->kind == H264_FRAME_STILL ? "still" : "motion",
                r->keyframe ? ", IDR" : "", size, r->encode_us);
        if (!pump->active || !pump->use_h264 || r->width != pump->width ||
            r->height != pump->height) {
            pump->stats.dropped++;
        } else if (size == 0) {
            pump->stats.h264_skipped++; /* the rate control pays a big frame back */
        } else if (spice_stream_send_frame(pump->stream, (framed = with_delimiter(r->au)), r->width,
                                           r->height, SPICE_VIDEO_CODEC_TYPE_H264)) {
            pump->newest_sent_seq = r->seq;
            pump->stats.sent++;
            pump->stats.h264_frames++;
            pump->stats.jpeg_bytes += size;
        } else {
            /* A lost frame breaks the references of the next ones. */
            pump->stats.dropped++;
            rate_control_frame_dropped(pump->rc, g_get_monotonic_time());
            bitrate_control_frame_dropped(pump->bc, g_get_monotonic_time());
            h264_pool_request_keyframe(pump->h264);
        }
    }
    schedule(pump, 0);
}

struct stream_pump *stream_pump_create(struct capture *capture, struct spice_stream *stream,
                                       const struct stream_pump_config *config, char **ret_error)
{
    struct stream_pump *pump = g_new0(struct stream_pump, 1);
    pump->capture = capture;
    pump->stream = stream;
    pump->cfg = *config;
    if (pump->cfg.still_delay_ms <= 0)
        pump->cfg.still_delay_ms = 200;
    pump->pool = jpeg_pool_create(config->threads, on_encoded, pump, ret_error);
    if (!pump->pool) {
        g_free(pump);
        return NULL;
    }
    pump->h264 = h264_pool_create(
        config->bitrate_kbps > 0 ? config->bitrate_kbps : H264_ENCODER_DEFAULT_KBPS,
        MAX(1, MIN(config->max_fps > 0 ? config->max_fps : 30, H264_ENCODER_MAX_FPS)),
        on_h264_encoded, pump);
    struct rate_control_config rcc = {
        .max_fps = config->max_fps,
        .max_quality = config->quality,
        .min_quality = MIN(MIN_MOTION_QUALITY, config->quality),
        .min_fps = 2,
    };
    pump->rc = rate_control_create(&rcc);
    struct bitrate_control_config bcc = {
        .fixed_kbps = config->bitrate_kbps,
        .max_kbps = config->max_bitrate_kbps > 0 ? config->max_bitrate_kbps : 100000,
        .min_kbps = MIN_AUTO_KBPS,
        .start_kbps = 20000,
        .max_fps = config->max_fps,
        .min_fps = 2,
    };
    pump->bc = bitrate_control_create(&bcc);
    pump->budget_quality = config->quality;
    capture_get_size(capture, &pump->width, &pump->height);
    pump->damage = damage_create(pump->width, pump->height);
    return pump;
}

void stream_pump_destroy(struct stream_pump *pump)
{
    if (!pump)
        return;
    if (pump->source)
        g_source_remove(pump->source);
    pump->active = false;
    jpeg_pool_destroy(pump->pool);
    h264_pool_destroy(pump->h264);
    rate_control_destroy(pump->rc);
    bitrate_control_destroy(pump->bc);
    damage_destroy(pump->damage);
    g_free(pump);
}

void stream_pump_kick(struct stream_pump *pump)
{
    if (pump->active)
        schedule(pump, 0);
}

void stream_pump_set_active(struct stream_pump *pump, bool active)
{
    if (active) {
        /* A (re)started stream needs a whole frame: a sharp one, since it
         * may stay on screen. */
        damage_add_all(pump->damage);
        pump->force_still = true;
        pump->h264_stills = 0;
        choose_codec(pump);
        if (pump->use_h264) {
            /* Still frames follow the first one as after motion: spice-gtk's
             * GStreamer pipeline shows a frame only once more data follows
             * it (seen with remote-viewer on a static screen). */
            pump->still_due = true;
            pump->last_motion_us = g_get_monotonic_time();
        }
        if (!pump->active)
            capture_start(pump->capture);
        pump->active = true;
        schedule(pump, 0);
    } else if (pump->active) {
        pump->active = false;
        capture_stop(pump->capture);
        damage_clear(pump->damage);
        pump->still_due = false;
        pump->h264_failed = false; /* the next client gets its own chance */
    }
}

void stream_pump_stream_error(struct stream_pump *pump, uint8_t codec, const char *text)
{
    if (codec != SPICE_VIDEO_CODEC_TYPE_H264 || !pump->use_h264 || !pump->active)
        return;
    if (!spice_stream_client_decodes(pump->stream, SPICE_VIDEO_CODEC_TYPE_MJPEG)) {
        const char *t = text ? text : "";
        g_warning("video: H.264 stream error (%s); no MJPEG there, a keyframe follows", t);
        h264_pool_request_keyframe(pump->h264);
        return;
    }
    const char *t = text ? text : "";
    g_warning("video: H.264 stream error (%s); falling back to MJPEG for this client", t);
    pump->h264_failed = true;
    pump->stats.h264_fallbacks++;
    stream_pump_set_active(pump, true); /* a full, sharp MJPEG frame */
}

void stream_pump_set_bitrate(struct stream_pump *pump, int bitrate_kbps)
{
    h264_pool_set_bitrate(pump->h264, bitrate_kbps);
}

void stream_pump_resized(struct stream_pump *pump, int width, int height)
{
    pump->width = width;
    pump->height = height;
    damage_resize(pump->damage, width, height);
    damage_add_all(pump->damage);
    stream_pump_kick(pump);
}

static void sample_link(struct stream_pump *pump, gint64 now)
{
    size_t unsent;
    uint64_t acked;
    if (pump->cfg.link_sample && pump->cfg.link_sample(&unsent, &acked))
        bitrate_control_socket(pump->bc, now, unsent, acked);
}

void stream_pump_frame_sent(struct stream_pump *pump, size_t bytes, int64_t send_us)
{
    gint64 now = g_get_monotonic_time();
    rate_control_frame_sent(pump->rc, bytes, send_us, now);
    bitrate_control_frame_sent(pump->bc, bytes, now - send_us, now);
    sample_link(pump, now);
    pump->stats.send_us += (uint64_t)send_us;
    pump->stats.frames_read++;
    stream_pump_kick(pump);
}

void stream_pump_get_stats(const struct stream_pump *pump, struct stream_pump_stats *ret_stats)
{
    *ret_stats = pump->stats;
    ret_stats->quality = MIN(rate_control_quality(pump->rc), pump->budget_quality);
    ret_stats->fps = (int)(G_USEC_PER_SEC / motion_interval(pump));
    ret_stats->kbps = bitrate_control_kbps(pump->bc);
    ret_stats->link_kbps = bitrate_control_link_kbps(pump->bc);
    ret_stats->queue_delay_us = bitrate_control_queue_delay_us(pump->bc);
    ret_stats->codec = !pump->active ? "none" : pump->use_h264 ? "h264" : "mjpeg";
    ret_stats->bitrate_kbps = h264_pool_bitrate(pump->h264);
}
