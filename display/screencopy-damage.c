#include "display/screencopy-damage.h"

/* Clips [pos, pos + len) to [0, limit) in 64 bits, so huge unsigned values
 * from the wire cannot overflow. */
static bool clip_span(uint32_t pos, uint32_t len, int limit, int *ret_pos, int *ret_len)
{
    int64_t start = pos, end = (int64_t)pos + len;
    if (end > limit)
        end = limit;
    if (start >= end)
        return false;
    *ret_pos = (int)start;
    *ret_len = (int)(end - start);
    return true;
}

int screencopy_damage_to_screen(uint32_t x, uint32_t y, uint32_t w, uint32_t h, int width,
                                int height, bool y_invert, struct damage_rect ret_rects[2])
{
    struct damage_rect r;
    if (width <= 0 || height <= 0 || !clip_span(x, w, width, &r.x, &r.w) ||
        !clip_span(y, h, height, &r.y, &r.h))
        return 0;
    ret_rects[0] = r;
    if (!y_invert)
        return 1;
    struct damage_rect m = r;
    m.y = height - (r.y + r.h);
    if (m.y == r.y)
        return 1;
    ret_rects[1] = m;
    return 2;
}
