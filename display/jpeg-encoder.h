/* jpeg-encoder: one long-lived TurboJPEG compressor (libjpeg-turbo).
 *
 * Encodes 32-bit BGRX pixels as they come from capture, without conversion,
 * at a quality and chroma subsampling chosen per frame. The output buffer is
 * owned by the encoder and reused from frame to frame. An encoder is used by
 * one thread at a time (the encoder pool keeps one per worker thread). */
#pragma once

#include <stddef.h>
#include <stdint.h>

enum jpeg_subsampling {
    JPEG_SUBSAMPLING_420, /* full motion: smallest */
    JPEG_SUBSAMPLING_422,
    JPEG_SUBSAMPLING_444, /* still frames: sharp coloured text */
};

struct jpeg_encoder;

/* Returns NULL and sets *ret_error (new string) when TurboJPEG cannot start. */
struct jpeg_encoder *jpeg_encoder_create(char **ret_error);
void jpeg_encoder_destroy(struct jpeg_encoder *enc);

/* Encodes @width x @height BGRX pixels (@stride bytes a row) at @quality
 * (1..100). On success returns 0 and points *ret_data at *ret_size bytes
 * owned by the encoder, valid until its next encode or destroy. On failure
 * returns -EINVAL (bad arguments) or -EIO and sets *ret_error (new string,
 * with TurboJPEG's own message). */
int jpeg_encoder_encode(struct jpeg_encoder *enc, const uint8_t *pixels, int width, int height,
                        int stride, int quality, enum jpeg_subsampling subsampling,
                        const uint8_t **ret_data, size_t *ret_size, char **ret_error);

const char *jpeg_subsampling_name(enum jpeg_subsampling subsampling);
