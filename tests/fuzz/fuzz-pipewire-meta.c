/* libFuzzer target: the metadata a PipeWire producer (the compositor, another
 * process) attaches to screen-cast buffers: SPA_META_Cursor with its bitmap
 * and SPA_META_VideoDamage regions, with every size and offset untrusted.
 * Byte 0 picks the metadata type, bytes 1-4 the frame size; the rest is the
 * metadata block, copied to its own allocation so ASan sees its end. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "display/pipewire-meta.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 5)
        return 0;
    int width = (data[1] | data[2] << 8) % 5000;
    int height = (data[3] | data[4] << 8) % 5000;
    size_t n = size - 5;
    uint8_t *meta = malloc(n ? n : 1);
    memcpy(meta, data + 5, n);
    if (data[0] & 1) {
        struct pipewire_cursor c;
        memset(&c, 0xa5, sizeof(c));
        int rc = pipewire_meta_parse_cursor(meta, n, 7, &c);
        if (rc < -1000 || rc > 1)
            abort();
        if (rc == 1 && c.image) {
            if (!c.new_shape || c.hidden || c.image->width == 0 ||
                c.image->width > PIPEWIRE_CURSOR_MAX || c.image->height > PIPEWIRE_CURSOR_MAX ||
                c.image->hot_x >= c.image->width || c.image->hot_y >= c.image->height ||
                c.image->serial != 7)
                abort();
            uint32_t sum = 0;
            for (size_t i = 0; i < (size_t)c.image->width * c.image->height; i++) {
                uint32_t p = c.image->argb[i], a = p >> 24;
                if (((p >> 16) & 0xff) > a || ((p >> 8) & 0xff) > a || (p & 0xff) > a)
                    abort(); /* not premultiplied */
                sum += p;
            }
            (void)sum;
            cursor_image_free(c.image);
        }
    } else {
        struct damage_rect rects[16];
        int got = pipewire_meta_parse_damage(meta, n, width, height, rects, 16);
        if (got > 16)
            abort();
        for (int i = 0; i < got; i++) {
            const struct damage_rect *r = &rects[i];
            if (r->x < 0 || r->y < 0 || r->w <= 0 || r->h <= 0 || r->x + r->w > width ||
                r->y + r->h > height)
                abort();
        }
    }
    free(meta);
    return 0;
}
