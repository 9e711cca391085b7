#include "display/cursor.h"

#include <glib.h>
#include <string.h>

struct cursor_image *cursor_image_new(uint16_t width, uint16_t height, uint16_t hot_x,
                                      uint16_t hot_y, uint32_t serial, const uint32_t *argb)
{
    struct cursor_image *cursor = g_new0(struct cursor_image, 1);
    size_t n = (size_t)width * height;
    cursor->width = width;
    cursor->height = height;
    cursor->hot_x = hot_x < width ? hot_x : 0;
    cursor->hot_y = hot_y < height ? hot_y : 0;
    cursor->serial = serial;
    cursor->argb = g_new(uint32_t, n ? n : 1);
    if (n)
        memcpy(cursor->argb, argb, n * sizeof(uint32_t));
    return cursor;
}

void cursor_image_free(struct cursor_image *cursor)
{
    if (!cursor)
        return;
    g_free(cursor->argb);
    g_free(cursor);
}
