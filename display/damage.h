/* damage: the region of the screen that changed since the last snapshot.
 *
 * A plain-C module on top of pixman regions. Not thread-safe: owned and used by
 * the main loop only. */
#pragma once

#include <stdbool.h>

struct damage_rect {
    int x, y, w, h;
};

struct damage;

/* Returns a new damage tracker for a width x height screen, fully dirty. */
struct damage *damage_create(int width, int height);
void damage_destroy(struct damage *damage);

/* Adds a rectangle, clipped to the screen; empty or off-screen ones are ignored. */
void damage_add(struct damage *damage, int x, int y, int w, int h);
/* Marks the whole screen dirty. */
void damage_add_all(struct damage *damage);
/* Changes the screen size; the whole new screen becomes dirty. */
void damage_resize(struct damage *damage, int width, int height);
void damage_clear(struct damage *damage);
bool damage_is_empty(const struct damage *damage);
/* Number of dirty pixels. */
long long damage_area(const struct damage *damage);

/* Moves the dirty region into @ret_rects (at most @max_rects, non-overlapping)
 * and clears it. When the region has more rectangles than @max_rects, or when
 * its bounding box is barely larger than its area, the bounding box is taken
 * instead (fewer, larger grabs are cheaper than many small ones).
 * Returns the number of rectangles written. */
int damage_take(struct damage *damage, struct damage_rect *ret_rects, int max_rects);

/* Writes @r minus the rectangles @cut as at most @max non-overlapping
 * rectangles; returns their number, or -1 when more would be needed. */
int damage_rect_subtract(const struct damage_rect *r, const struct damage_rect *cut, int n_cut,
                         struct damage_rect *ret_rects, int max);
