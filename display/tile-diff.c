#include "display/tile-diff.h"

#include <string.h>

static int tile_changed(const uint8_t *shadow, size_t shadow_stride, const uint8_t *src,
                        size_t src_stride, size_t row_bytes, int rows)
{
    for (int y = 0; y < rows; y++)
        if (memcmp(shadow + y * shadow_stride, src + y * src_stride, row_bytes) != 0)
            return y;
    return -1;
}

void tile_diff_copy_rect(uint8_t *shadow, size_t shadow_stride, const uint8_t *src,
                         size_t src_stride, const struct damage_rect *r, struct damage *damage)
{
    size_t row_bytes = (size_t)r->w * 4;
    for (int y = r->y; y < r->y + r->h; y++)
        memcpy(shadow + y * shadow_stride + (size_t)r->x * 4,
               src + y * src_stride + (size_t)r->x * 4, row_bytes);
    if (damage)
        damage_add(damage, r->x, r->y, r->w, r->h);
}

int tile_diff_update(uint8_t *shadow, size_t shadow_stride, const uint8_t *src, size_t src_stride,
                     int width, int height, int tile, struct damage *damage)
{
    if (tile <= 0 || width <= 0 || height <= 0)
        return 0;
    int changed = 0;
    for (int ty = 0; ty < height; ty += tile) {
        int th = height - ty < tile ? height - ty : tile;
        for (int tx = 0; tx < width; tx += tile) {
            int tw = width - tx < tile ? width - tx : tile;
            size_t off_s = (size_t)ty * shadow_stride + (size_t)tx * 4;
            size_t off_n = (size_t)ty * src_stride + (size_t)tx * 4;
            int first = tile_changed(shadow + off_s, shadow_stride, src + off_n, src_stride,
                                     (size_t)tw * 4, th);
            if (first < 0)
                continue;
            /* Rows above @first are equal already. */
            for (int y = first; y < th; y++)
                memcpy(shadow + off_s + y * shadow_stride, src + off_n + y * src_stride,
                       (size_t)tw * 4);
            if (damage)
                damage_add(damage, tx, ty, tw, th);
            changed++;
        }
    }
    return changed;
}
