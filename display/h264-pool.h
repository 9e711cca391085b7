/* h264-pool: H.264 encoding on one worker thread.
 *
 * H.264 frames depend on the frames before them, so they are encoded in
 * order by one thread holding one long-lived h264_encoder (OpenH264 itself
 * runs two slice threads). The encoder is made on the first frame and made
 * again when the frame size changes (its first frame is an IDR). Results
 * come back on the creator's main context in submit order. Bitrate, frame
 * rate and keyframe requests are picked up by the worker before its next
 * encode. Create, submit and destroy run on the main loop. */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "display/frame.h"
#include "display/h264-encoder.h"

struct h264_pool;

struct h264_pool_result {
    uint64_t seq;
    GBytes *au;    /* one access unit; empty when the rate control skipped
                    * the frame; NULL on error. The callback may keep a ref. */
    bool keyframe; /* an IDR */
    char *error;   /* NULL on success; freed after the callback */
    int width, height;
    enum h264_frame_kind kind;
    int64_t submitted_us;
    int64_t encode_cpu_us; /* the worker thread's CPU (OpenH264's own threads not included) */
    int64_t encode_us;     /* wall time of the encode */
    int64_t done_us;
};

typedef void (*h264_pool_done_fn)(const struct h264_pool_result *result, void *user_data);

struct h264_pool *h264_pool_create(int bitrate_kbps, int fps, h264_pool_done_fn done,
                                   void *user_data);
/* Waits for the frames submitted (at most a few); their results are
 * dropped. Accepts NULL. */
void h264_pool_destroy(struct h264_pool *pool);

/* Takes a reference to @frame (BGRX, @stride bytes a row), released on the
 * worker once encoded. */
void h264_pool_submit(struct h264_pool *pool, struct frame *frame, int width, int height,
                      int stride, enum h264_frame_kind kind, uint64_t seq);
void h264_pool_request_keyframe(struct h264_pool *pool);
void h264_pool_set_bitrate(struct h264_pool *pool, int bitrate_kbps);
void h264_pool_set_fps(struct h264_pool *pool, int fps);
int h264_pool_bitrate(const struct h264_pool *pool);
int h264_pool_in_flight(const struct h264_pool *pool);
