#include "display/pipewire-meta.h"

#include <errno.h>
#include <glib.h>
#include <spa/buffer/meta.h>
#include <spa/param/video/raw.h>
#include <string.h>

/* Byte offsets of R, G, B and A in a 4-byte pixel of @format, or false. */
static bool bitmap_layout(uint32_t format, int ret_off[4])
{
    static const struct {
        uint32_t format;
        int r, g, b, a;
    } layouts[] = {
        {SPA_VIDEO_FORMAT_RGBA, 0, 1, 2, 3},
        {SPA_VIDEO_FORMAT_BGRA, 2, 1, 0, 3},
        {SPA_VIDEO_FORMAT_ARGB, 1, 2, 3, 0},
        {SPA_VIDEO_FORMAT_ABGR, 3, 2, 1, 0},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(layouts); i++) {
        if (layouts[i].format == format) {
            ret_off[0] = layouts[i].r;
            ret_off[1] = layouts[i].g;
            ret_off[2] = layouts[i].b;
            ret_off[3] = layouts[i].a;
            return true;
        }
    }
    return false;
}

/* True when [off, off + len) lies inside [0, size). */
static bool inside(uint64_t off, uint64_t len, size_t size)
{
    return off <= size && len <= size - off;
}

int pipewire_meta_parse_cursor(const void *data, size_t size, uint32_t serial,
                               struct pipewire_cursor *ret)
{
    struct spa_meta_cursor c;
    if (!data || size < sizeof(c))
        return -EINVAL;
    memcpy(&c, data, sizeof(c));
    if (c.id == 0)
        return 0;
    struct pipewire_cursor out = {.x = c.position.x, .y = c.position.y};
    if (c.bitmap_offset == 0) {
        *ret = out;
        return 1;
    }
    struct spa_meta_bitmap b;
    if (c.bitmap_offset < sizeof(c) || !inside(c.bitmap_offset, sizeof(b), size))
        return -EINVAL;
    memcpy(&b, (const uint8_t *)data + c.bitmap_offset, sizeof(b));
    if (b.format == 0) {
        /* "no new bitmap information" */
        *ret = out;
        return 1;
    }
    out.new_shape = true;
    if (b.offset == 0 || b.size.width == 0 || b.size.height == 0) {
        out.hidden = true;
        *ret = out;
        return 1;
    }
    int off[4];
    if (!bitmap_layout(b.format, off) || b.size.width > PIPEWIRE_CURSOR_MAX ||
        b.size.height > PIPEWIRE_CURSOR_MAX || b.offset < sizeof(b) || b.stride < 0 ||
        (uint64_t)b.stride < (uint64_t)b.size.width * 4)
        return -EINVAL;
    uint64_t start = (uint64_t)c.bitmap_offset + b.offset;
    uint64_t len = (uint64_t)b.stride * (b.size.height - 1) + (uint64_t)b.size.width * 4;
    if (!inside(start, len, size))
        return -EINVAL;
    /* A hotspot outside the bitmap is clamped by cursor_image_new(). */
    uint16_t hot_x =
        c.hotspot.x > 0 && (uint32_t)c.hotspot.x < b.size.width ? (uint16_t)c.hotspot.x : 0;
    uint16_t hot_y =
        c.hotspot.y > 0 && (uint32_t)c.hotspot.y < b.size.height ? (uint16_t)c.hotspot.y : 0;

    const uint8_t *pixels = (const uint8_t *)data + start;
    uint32_t *argb = g_new(uint32_t, (size_t)b.size.width * b.size.height);
    bool visible = false;
    for (uint32_t y = 0; y < b.size.height; y++) {
        const uint8_t *row = pixels + (size_t)y * (size_t)b.stride;
        for (uint32_t x = 0; x < b.size.width; x++) {
            const uint8_t *p = row + x * 4;
            uint32_t a = p[off[3]];
            /* Mutter reads the sprite premultiplied; clamp in case a
             * producer sends straight alpha with brighter colours. */
            uint32_t r = MIN(p[off[0]], a), g = MIN(p[off[1]], a), bl = MIN(p[off[2]], a);
            argb[(size_t)y * b.size.width + x] = a << 24 | r << 16 | g << 8 | bl;
            visible |= a != 0;
        }
    }
    if (!visible) {
        g_free(argb);
        out.hidden = true;
        *ret = out;
        return 1;
    }
    out.image = cursor_image_new((uint16_t)b.size.width, (uint16_t)b.size.height, hot_x, hot_y,
                                 serial, argb);
    g_free(argb);
    *ret = out;
    return 1;
}

int pipewire_meta_parse_damage(const void *data, size_t size, int width, int height,
                               struct damage_rect *ret_rects, int max)
{
    if (!data || width <= 0 || height <= 0)
        return 0;
    int n = 0;
    for (size_t off = 0; off + sizeof(struct spa_meta_region) <= size;
         off += sizeof(struct spa_meta_region)) {
        struct spa_meta_region m;
        memcpy(&m, (const uint8_t *)data + off, sizeof(m));
        if (!spa_meta_region_is_valid(&m))
            break;
        int64_t x0 = MAX((int64_t)m.region.position.x, 0);
        int64_t y0 = MAX((int64_t)m.region.position.y, 0);
        int64_t x1 = MIN((int64_t)m.region.position.x + m.region.size.width, (int64_t)width);
        int64_t y1 = MIN((int64_t)m.region.position.y + m.region.size.height, (int64_t)height);
        if (x0 >= x1 || y0 >= y1)
            continue;
        if (n == max)
            return -E2BIG;
        ret_rects[n++] = (struct damage_rect){(int)x0, (int)y0, (int)(x1 - x0), (int)(y1 - y0)};
    }
    return n;
}
