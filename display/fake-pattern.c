#include "display/fake-pattern.h"

#include <math.h>
#include <string.h>

bool fake_script_parse(const char *name, enum fake_script *ret_script)
{
    static const struct {
        const char *name;
        enum fake_script script;
    } names[] = {{"static", FAKE_STATIC}, {"full", FAKE_FULL}, {"scroll", FAKE_SCROLL},
                 {"waiting", FAKE_WAITING}};
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

/* 5x7 glyphs (bit 4 = left column) of the placeholder's message. */
static const struct {
    char c;
    uint8_t rows[7];
} glyphs[] = {
    {'A', {0x0e, 0x11, 0x11, 0x1f, 0x11, 0x11, 0x11}},
    {'D', {0x1e, 0x11, 0x11, 0x11, 0x11, 0x11, 0x1e}},
    {'E', {0x1f, 0x10, 0x10, 0x1e, 0x10, 0x10, 0x1f}},
    {'F', {0x1f, 0x10, 0x10, 0x1e, 0x10, 0x10, 0x10}},
    {'G', {0x0e, 0x11, 0x10, 0x17, 0x11, 0x11, 0x0f}},
    {'H', {0x11, 0x11, 0x11, 0x1f, 0x11, 0x11, 0x11}},
    {'I', {0x0e, 0x04, 0x04, 0x04, 0x04, 0x04, 0x0e}},
    {'K', {0x11, 0x12, 0x14, 0x18, 0x14, 0x12, 0x11}},
    {'N', {0x11, 0x19, 0x15, 0x13, 0x11, 0x11, 0x11}},
    {'O', {0x0e, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0e}},
    {'P', {0x1e, 0x11, 0x11, 0x1e, 0x10, 0x10, 0x10}},
    {'R', {0x1e, 0x11, 0x11, 0x1e, 0x14, 0x12, 0x11}},
    {'S', {0x0f, 0x10, 0x10, 0x0e, 0x01, 0x01, 0x1e}},
    {'T', {0x1f, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04}},
    {'W', {0x11, 0x11, 0x11, 0x15, 0x15, 0x15, 0x0a}},
};

static const uint8_t *glyph_rows(char c)
{
    for (unsigned i = 0; i < sizeof(glyphs) / sizeof(glyphs[0]); i++)
        if (glyphs[i].c == c)
            return glyphs[i].rows;
    return NULL; /* a space */
}

/* A calm grey-blue screen with WAITING FOR THE DESKTOP in the middle. */
static void render_waiting(int width, int height, uint8_t *pixels, int stride)
{
    static const char text[] = "WAITING FOR THE DESKTOP";
    const int cells = (int)sizeof(text) - 1;
    int scale = width / (cells * 6 + 24);
    scale = scale < 1 ? 1 : scale > 8 ? 8 : scale;
    int tw = (cells * 6 - 1) * scale, th = 7 * scale;
    int x0 = (width - tw) / 2, y0 = (height - th) / 2;
    for (int y = 0; y < height; y++) {
        uint32_t *row = (uint32_t *)(pixels + (size_t)y * stride);
        for (int x = 0; x < width; x++) {
            uint32_t px = 0x2b3a4a;
            int gx = x - x0, gy = y - y0;
            if (gx >= 0 && gy >= 0 && gx < tw && gy < th) {
                int cell = gx / (6 * scale), col = (gx / scale) % 6, line = gy / scale;
                const uint8_t *rows = glyph_rows(text[cell]);
                if (rows && col < 5 && (rows[line] >> (4 - col)) & 1)
                    px = 0xe8eef4;
            }
            row[x] = px;
        }
    }
}

void fake_pattern_render(enum fake_script script, uint64_t n, int width, int height,
                         uint8_t *pixels, int stride)
{
    if (script == FAKE_WAITING) {
        render_waiting(width, height, pixels, stride);
        return;
    }
    uint64_t phase = script == FAKE_FULL ? n : 0;
    long long shift = script == FAKE_SCROLL ? (long long)n * FAKE_SCROLL_STEP : 0;
    for (int y = 0; y < height; y++) {
        uint32_t *row = (uint32_t *)(pixels + (size_t)y * stride);
        for (int x = 0; x < width; x++)
            row[x] = picture_pixel(x, y + shift, phase);
    }
}

static uint32_t hash32(uint32_t v)
{
    v ^= v >> 16;
    v *= 0x7feb352dU;
    v ^= v >> 15;
    v *= 0x846ca68bU;
    v ^= v >> 16;
    return v;
}

/* One 6x9 glyph cell of a text line: strokes chosen by a hash of the cell. */
static bool glyph_ink(int cx, int cy, int gx, int gy)
{
    uint32_t h = hash32((uint32_t)cx * 7919u + (uint32_t)cy * 104729u);
    if ((h & 7) == 0)
        return false; /* a space */
    if ((h >> 3 & 1) && gx == 1 && gy >= 1 && gy <= 7)
        return true; /* left stem */
    if ((h >> 4 & 1) && gx == 4 && gy >= 3 && gy <= 7)
        return true; /* right stem */
    if ((h >> 5 & 1) && gy == 3 && gx >= 1 && gx <= 4)
        return true; /* bar */
    if ((h >> 6 & 1) && gy == 7 && gx >= 1 && gx <= 4)
        return true; /* base */
    return false;
}

static uint32_t desktop_pixel(int x, int y, int width, int height)
{
    /* wallpaper: a smooth blue-to-teal gradient */
    uint32_t r = 20 + 40 * (uint32_t)x / (uint32_t)width;
    uint32_t g = 60 + 90 * (uint32_t)y / (uint32_t)height;
    uint32_t b = 140 + 60 * (uint32_t)(x + y) / (uint32_t)(width + height);
    /* a photo-like area in the lower right */
    if (x > width * 6 / 10 && y > height * 6 / 10) {
        double fx = x * 0.021, fy = y * 0.017;
        r = (uint32_t)(128 + 90 * sin(fx) * cos(fy * 0.7));
        g = (uint32_t)(110 + 70 * sin(fx * 0.5 + fy));
        b = (uint32_t)(90 + 60 * cos(fx * 0.3 - fy * 0.4));
    }
    /* two windows: title bar, light body, text lines */
    static const int win[2][4] = {{40, 30, 700, 420}, {520, 300, 640, 360}};
    for (int i = 1; i >= 0; i--) {
        int wx = win[i][0] * width / 1280, wy = win[i][1] * height / 720;
        int ww = win[i][2] * width / 1280, wh = win[i][3] * height / 720;
        if (x < wx || y < wy || x >= wx + ww || y >= wy + wh)
            continue;
        int lx = x - wx, ly = y - wy;
        if (lx == 0 || ly == 0 || lx == ww - 1 || ly == wh - 1)
            return 0x505050;
        if (ly < 24)
            return i ? 0x3465a4 : 0x2e3436;
        if (lx > 8 && lx < ww - 8 && ly > 32) {
            int line = (ly - 32) / 14, gy = (ly - 32) % 14;
            int cell = (lx - 8) / 6, gx = (lx - 8) % 6;
            if (gy < 9 && (line % 7) != 6 && glyph_ink(cell, line + i * 100, gx, gy))
                return 0x1e1e1e;
        }
        return 0xf6f5f4;
    }
    return (r << 16) | (g << 8) | b;
}

void fake_pattern_render_desktop(int width, int height, uint8_t *pixels, int stride)
{
    for (int y = 0; y < height; y++) {
        uint32_t *row = (uint32_t *)(pixels + (size_t)y * stride);
        for (int x = 0; x < width; x++)
            row[x] = desktop_pixel(x, y, width, height);
    }
}
