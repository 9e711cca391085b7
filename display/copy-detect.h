/* copy-detect: finds parts of a new snapshot that are copies of what the
 * client already shows (a window moved, a page scrolled), so they can be sent
 * as "copy this rectangle" instead of pixels.
 *
 * It keeps its own copy of what the client shows (the shadow) and proposes a
 * copy only when every pixel of it equals the captured pixels exactly: the
 * client's frame stays pixel-exact. Main loop only. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "display/damage.h"

/* Copy the client's pixels at (src_x, src_y) to @dst. */
struct copy_op {
    struct damage_rect dst;
    int src_x, src_y;
};

/* A window that was at @from and is now at @to (same size). */
struct copy_hint {
    struct damage_rect from, to;
};

struct copy_detect_stats {
    uint64_t copies;       /* copy operations proposed */
    uint64_t copied_px;    /* pixels they cover */
    uint64_t rejected;     /* candidates that failed exact verification */
};

struct copy_detect;

struct copy_detect *copy_detect_create(int width, int height);
void copy_detect_destroy(struct copy_detect *cd);
/* A new screen size: the shadow is unknown until a full-screen commit. */
void copy_detect_reset(struct copy_detect *cd, int width, int height);

/* Looks for copies inside the snapshot @rects (packed pixels at @data, as
 * capture_grab returns them), from window @hints and from vertical scrolling.
 * Writes at most @max_ops non-conflicting copies: no copy reads what an earlier
 * one wrote, and destinations do not overlap. Returns their number. */
int copy_detect_find(struct copy_detect *cd, const struct damage_rect *rects, int n,
                     const uint8_t *data, const struct copy_hint *hints, int n_hints,
                     struct copy_op *ret_ops, int max_ops);

/* The client now shows the snapshot: copy its pixels into the shadow. */
void copy_detect_commit(struct copy_detect *cd, const struct damage_rect *rects, int n,
                        const uint8_t *data);

void copy_detect_get_stats(const struct copy_detect *cd, struct copy_detect_stats *ret_stats);
