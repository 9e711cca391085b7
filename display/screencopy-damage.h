/* screencopy-damage: where a damage box a wlroots compositor reports lands on
 * the screen.
 *
 * Pure functions, no state. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "display/damage.h"

/* Writes the screen rectangles that a damage box (@x, @y, @w, @h, as the
 * compositor sent it) may cover on a @width x @height output into @ret_rects,
 * clipped to the output. With @y_invert the protocol leaves open whether the
 * box counts rows from the top or from the bottom, so both the box and its
 * mirror image are written (a superset is always safe). Returns their number:
 * 0 (empty or outside), 1 or 2. */
int screencopy_damage_to_screen(uint32_t x, uint32_t y, uint32_t w, uint32_t h, int width,
                                int height, bool y_invert, struct damage_rect ret_rects[2]);
