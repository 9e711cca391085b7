/* h264-encoder: one long-lived OpenH264 encoder for the video stream.
 *
 * Takes 32-bit BGRX frames as capture delivers them, converts them to
 * I420 (BT.709, limited range, signalled in the SPS's VUI) and returns one
 * Annex B access unit (start codes, SPS and PPS before every IDR) a frame.
 * Low-latency settings: Constrained Baseline (no B frames), two slices and
 * two threads, constant-bitrate rate control, no periodic IDR (only the
 * first frame and frames after h264_encoder_request_keyframe), one
 * reference frame. Frames are encoded in order, by one thread at a time.
 *
 * Why OpenH264 and not x264, and the figures: display/VIDEO.md. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct h264_encoder;

/* Limits checked by h264_encoder_create (OpenH264 level 5.2 and our I420
 * conversion, which needs even sizes). */
#define H264_ENCODER_MIN_SIZE   16
#define H264_ENCODER_MAX_WIDTH  4096
#define H264_ENCODER_MAX_HEIGHT 2304
#define H264_ENCODER_MIN_KBPS   100
#define H264_ENCODER_MAX_KBPS   100000
#define H264_ENCODER_MAX_FPS    60
/* The bitrate a 1920x1080 desktop gets when nothing else is said. */
#define H264_ENCODER_DEFAULT_KBPS 6000

/* Returns NULL and sets *ret_error (new string) for a size that is odd,
 * below H264_ENCODER_MIN_SIZE or above the maxima, a bitrate or frame rate
 * out of range, or when OpenH264 refuses to start. @bitrate_kbps is the
 * target in kbit/s, @fps the frame rate the rate control plans for. */
struct h264_encoder *h264_encoder_create(int width, int height, int bitrate_kbps, int fps,
                                         char **ret_error);
void h264_encoder_destroy(struct h264_encoder *enc);

enum h264_frame_kind {
    H264_FRAME_MOTION, /* at the target bitrate */
    /* A frame that may stay on screen: the same picture coded again with a
     * budget of H264_ENCODER_STILL_FACTOR motion frames and never skipped
     * by the rate control, so it converges to a sharp picture (send it
     * once or twice after motion stops). */
    H264_FRAME_STILL,
};
#define H264_ENCODER_STILL_FACTOR 16

/* Encodes @pixels (the encoder's width x height, BGRX, @stride bytes a row).
 * On success returns 0 and points *ret_data at *ret_size bytes of one
 * access unit, owned by the encoder and valid until its next encode or
 * destroy; *ret_keyframe says whether it is an IDR (decodable alone).
 * *ret_size is 0 when the rate control skipped the frame (send nothing).
 * Returns -EINVAL for bad arguments or -EIO with *ret_error (new string). */
int h264_encoder_encode(struct h264_encoder *enc, const uint8_t *pixels, int stride,
                        enum h264_frame_kind kind, const uint8_t **ret_data, size_t *ret_size,
                        bool *ret_keyframe, char **ret_error);

/* The next encoded frame is an IDR with SPS and PPS (a new client, a
 * decoder that reported an error). */
void h264_encoder_request_keyframe(struct h264_encoder *enc);

/* Change the target bitrate (kbit/s) or frame rate from the next frame on.
 * Return 0, or -EINVAL when out of range (the old value stays) or -EIO when
 * OpenH264 refused. Call them on the thread that encodes, or between
 * encodes. */
int h264_encoder_set_bitrate(struct h264_encoder *enc, int bitrate_kbps);
int h264_encoder_set_fps(struct h264_encoder *enc, int fps);

int h264_encoder_bitrate(const struct h264_encoder *enc);
int h264_encoder_fps(const struct h264_encoder *enc);
void h264_encoder_get_size(const struct h264_encoder *enc, int *ret_width, int *ret_height);

/* BGRX (@stride bytes a row) to I420 with BT.709 limited-range
 * coefficients, each chroma sample the average of its 2x2 pixels. @width
 * and @height are even; planes are tightly packed (y: width, u and v:
 * width / 2 a row). Exposed for the tests and the benchmark. */
void h264_bgrx_to_i420(const uint8_t *pixels, int width, int height, int stride, uint8_t *y,
                       uint8_t *u, uint8_t *v);
