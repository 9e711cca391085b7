/* cursor: a pointer image as captured from the desktop. */
#pragma once

#include <stdint.h>

struct cursor_image {
    uint16_t width, height;
    uint16_t hot_x, hot_y;
    uint32_t serial;  /* changes whenever the shape changes */
    uint32_t *argb;   /* width * height premultiplied ARGB32 pixels */
};

/* Returns a new copy of @argb (width * height pixels). */
struct cursor_image *cursor_image_new(uint16_t width, uint16_t height, uint16_t hot_x,
                                      uint16_t hot_y, uint32_t serial, const uint32_t *argb);
void cursor_image_free(struct cursor_image *cursor);
