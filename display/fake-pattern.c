#include "display/fake-pattern.h"

#include <string.h>

bool fake_script_parse(const char *name, enum fake_script *ret_script)
{
    static const struct {
        const char *name;
        enum fake_script script;
    } names[] = {{"static", FAKE_STATIC}, {"full", FAKE_FULL}, {"scroll", FAKE_SCROLL}};
    for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (name && strcmp(name, names[i].name) == 0) {
            *ret_script = names[i].script;
            return true;
        }
    }
    return false;
}

/* A desktop-like picture: a gradient background, "windows" with stripes of
 * text-like detail, and a sharp-edged grid. Row @y of the picture is a pure
 * function of its absolute row number, so scrolling is a shift. */
static uint32_t picture_pixel(int x, long long y, uint64_t phase)
{
    uint32_t r = (uint32_t)(x * 255 / 2048 + phase) & 0xff;
    uint32_t g = (uint32_t)((y & 1023) * 255 / 1023) & 0xff;
    uint32_t b = (uint32_t)((x ^ y) + phase * 3) & 0xff;
    if ((x % 160) < 120 && (y % 90) < 70) {
        /* a window with text-like runs */
        bool ink = ((x * 7 + y * 13) % 11) < 3 && (y % 14) < 10;
        r = g = b = ink ? 0x20 : 0xf0;
        if ((y % 90) < 12) {
            r = 0x30;
            g = 0x60;
            b = (0xc0 + phase) & 0xff;
        }
    }
    if (x % 64 == 0 || y % 64 == 0)
        r = g = b = 0;
    return (r << 16) | (g << 8) | b;
}

void fake_pattern_render(enum fake_script script, uint64_t n, int width, int height,
                         uint8_t *pixels, int stride)
{
    uint64_t phase = script == FAKE_FULL ? n : 0;
    long long shift = script == FAKE_SCROLL ? (long long)n * FAKE_SCROLL_STEP : 0;
    for (int y = 0; y < height; y++) {
        uint32_t *row = (uint32_t *)(pixels + (size_t)y * stride);
        for (int x = 0; x < width; x++)
            row[x] = picture_pixel(x, y + shift, phase);
    }
}
