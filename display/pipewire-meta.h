/* pipewire-meta: reads the metadata a PipeWire video producer attaches to a
 * buffer (SPA_META_Cursor, SPA_META_VideoDamage).
 *
 * The producer is another process: every offset, size and stride inside the
 * metadata is checked against the size of the metadata block before it is
 * read. Pure functions, no PipeWire connection needed. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "display/cursor.h"
#include "display/damage.h"

/* Largest cursor bitmap accepted (and asked for), per side. */
#define PIPEWIRE_CURSOR_MAX 384

struct pipewire_cursor {
    int x, y;                   /* pointer position on the screen */
    bool new_shape;             /* @image (or hidden) is a new shape */
    bool hidden;                /* the new shape is invisible */
    struct cursor_image *image; /* new shape, premultiplied ARGB; caller frees */
};

/* Parses a SPA_META_Cursor block of @size bytes at @data. Returns 1 when it
 * carries a cursor (id != 0), with @ret filled; 0 when it says nothing new;
 * -EINVAL when it is malformed (@ret untouched). A new shape gets @serial. */
int pipewire_meta_parse_cursor(const void *data, size_t size, uint32_t serial,
                               struct pipewire_cursor *ret);

/* Parses a SPA_META_VideoDamage block of @size bytes at @data (an array of
 * spa_meta_region ending at the first empty one or the block's end) into at
 * most @max rectangles clipped to a @width x @height frame. Returns their
 * number (regions outside the frame are dropped), or -E2BIG when there were
 * more than @max (treat the frame as damaged everywhere). */
int pipewire_meta_parse_damage(const void *data, size_t size, int width, int height,
                               struct damage_rect *ret_rects, int max);
