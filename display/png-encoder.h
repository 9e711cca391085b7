/* png-encoder: lossless tiles for browsers, with zlib.
 *
 * Encodes 32-bit BGRX pixels as they come from capture either as a PNG
 * (RGB, 8 bits, the Sub filter; browsers decode it natively with
 * createImageBitmap) or as a bare zlib stream of the BGRX rows (for
 * DecompressionStream('deflate')). The output buffer is owned by the encoder
 * and reused. One thread at a time. */
#pragma once

#include <stddef.h>
#include <stdint.h>

enum png_encoder_format {
    PNG_ENCODER_PNG,
    PNG_ENCODER_DEFLATE_BGRX,
};

struct png_encoder;

/* @level: zlib level 1 (fastest) to 9. */
struct png_encoder *png_encoder_create(int level);
void png_encoder_destroy(struct png_encoder *enc);

/* Encodes @width x @height pixels (@stride bytes a row). Returns 0 and points
 * *ret_data at *ret_size bytes owned by the encoder (valid until its next
 * call), or -EINVAL (bad size) / -ENOMEM / -EIO (zlib). */
int png_encoder_encode(struct png_encoder *enc, enum png_encoder_format format,
                       const uint8_t *pixels, int width, int height, int stride,
                       const uint8_t **ret_data, size_t *ret_size);
