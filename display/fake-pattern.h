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
};

#define FAKE_SCROLL_STEP 8

bool fake_script_parse(const char *name, enum fake_script *ret_script);

/* Renders frame number @n of @script into @pixels (BGRX, @stride bytes a row). */
void fake_pattern_render(enum fake_script script, uint64_t n, int width, int height,
                         uint8_t *pixels, int stride);
