/* fake-pattern: the deterministic pictures of the fake capture backend.
 *
 * Shared with tests, which render the same picture to compare with what a
 * client received. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

enum fake_script {
    FAKE_STATIC, /* one picture, never changes */
    FAKE_FULL,   /* every pixel changes every frame */
    FAKE_SCROLL, /* the picture scrolls up by FAKE_SCROLL_STEP rows a frame */
    FAKE_WAITING, /* "waiting for the desktop": the system service's placeholder */
};

#define FAKE_SCROLL_STEP 8

bool fake_script_parse(const char *name, enum fake_script *ret_script);

/* Renders frame number @n of @script into @pixels (BGRX, @stride bytes a row). */
void fake_pattern_render(enum fake_script script, uint64_t n, int width, int height,
                         uint8_t *pixels, int stride);

/* Renders an office-desktop picture into @pixels: a smooth wallpaper, flat
 * windows with title bars, rows of 1-2 pixel glyph strokes (text), and a
 * photo-like area. Unlike the scripts above, whose "text" is per-pixel noise
 * and whose background is an XOR pattern (worst cases for lossy codecs), it
 * has the statistics of a real screen: for codec quality tests. */
void fake_pattern_render_desktop(int width, int height, uint8_t *pixels, int stride);
