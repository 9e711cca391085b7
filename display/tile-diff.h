/* tile-diff: which parts of a new frame differ from the previous one.
 *
 * For compositors that send whole frames without saying what changed
 * (mutter 43 sends no SPA_META_VideoDamage): the new frame is compared with a
 * shadow copy of the previous one in square tiles, changed tiles are copied
 * into the shadow and reported. Pure C, no state beyond the buffers given. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "display/damage.h"

#define TILE_DIFF_SIZE 64

/* Compares @src (@width x @height pixels of 4 bytes, rows @src_stride bytes
 * apart) with @shadow (rows @shadow_stride bytes apart, same size) in
 * @tile x @tile squares (edge tiles are smaller). Every tile that differs is
 * copied into @shadow and added to @damage (which may be NULL). Returns the
 * number of changed tiles. */
int tile_diff_update(uint8_t *shadow, size_t shadow_stride, const uint8_t *src, size_t src_stride,
                     int width, int height, int tile, struct damage *damage);

/* Copies the rectangle @r of @src into @shadow without comparing (for
 * damage the compositor reported) and adds it to @damage. @r must lie
 * inside the frame. */
void tile_diff_copy_rect(uint8_t *shadow, size_t shadow_stride, const uint8_t *src,
                         size_t src_stride, const struct damage_rect *r, struct damage *damage);
