/* image-convert: clipboard images between PNG (what SPICE clients exchange)
 * and the formats X applications offer or ask for, through gdk-pixbuf. */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* Decodes @data (any format gdk-pixbuf reads) and encodes it as @mime
 * ("image/png", "image/bmp", "image/jpeg", "image/tiff"). Returns a new
 * buffer (g_free) and sets *ret_len, or NULL when either step fails. */
uint8_t *image_convert(const uint8_t *data, size_t len, const char *mime, size_t *ret_len);
