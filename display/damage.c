#include "display/damage.h"

#include <pixman.h>
#include <stdlib.h>

struct damage {
    pixman_region32_t region;
    int width, height;
};

struct damage *damage_create(int width, int height)
{
    struct damage *damage = calloc(1, sizeof(*damage));
    if (!damage)
        return NULL;
    pixman_region32_init(&damage->region);
    damage->width = width;
    damage->height = height;
    damage_add_all(damage);
    return damage;
}

void damage_destroy(struct damage *damage)
{
    if (!damage)
        return;
    pixman_region32_fini(&damage->region);
    free(damage);
}

void damage_add(struct damage *damage, int x, int y, int w, int h)
{
    if (w <= 0 || h <= 0)
        return;
    /* Clip in 64-bit to stay safe against hostile or huge values. */
    long long x1 = x < 0 ? 0 : x, y1 = y < 0 ? 0 : y;
    long long x2 = (long long)x + w, y2 = (long long)y + h;
    if (x2 > damage->width)
        x2 = damage->width;
    if (y2 > damage->height)
        y2 = damage->height;
    if (x1 >= x2 || y1 >= y2)
        return;
    pixman_region32_union_rect(&damage->region, &damage->region, (int)x1, (int)y1,
                               (unsigned)(x2 - x1), (unsigned)(y2 - y1));
}

void damage_add_all(struct damage *damage)
{
    pixman_region32_fini(&damage->region);
    pixman_region32_init_rect(&damage->region, 0, 0, damage->width, damage->height);
}

void damage_resize(struct damage *damage, int width, int height)
{
    damage->width = width;
    damage->height = height;
    damage_add_all(damage);
}

void damage_clear(struct damage *damage)
{
    pixman_region32_clear(&damage->region);
}

bool damage_is_empty(const struct damage *damage)
{
    return !pixman_region32_not_empty((pixman_region32_t *)&damage->region);
}

long long damage_area(const struct damage *damage)
{
    int n;
    const pixman_box32_t *box =
        pixman_region32_rectangles((pixman_region32_t *)&damage->region, &n);
    long long area = 0;
    for (int i = 0; i < n; i++)
        area += (long long)(box[i].x2 - box[i].x1) * (box[i].y2 - box[i].y1);
    return area;
}

int damage_rect_subtract(const struct damage_rect *r, const struct damage_rect *cut, int n_cut,
                         struct damage_rect *ret_rects, int max)
{
    pixman_region32_t rest, c;
    pixman_region32_init_rect(&rest, r->x, r->y, r->w, r->h);
    for (int i = 0; i < n_cut; i++) {
        pixman_region32_init_rect(&c, cut[i].x, cut[i].y, cut[i].w, cut[i].h);
        pixman_region32_subtract(&rest, &rest, &c);
        pixman_region32_fini(&c);
    }
    int n;
    const pixman_box32_t *box = pixman_region32_rectangles(&rest, &n);
    int count = n <= max ? n : -1;
    for (int i = 0; i < n && count >= 0; i++)
        ret_rects[i] = (struct damage_rect){box[i].x1, box[i].y1, box[i].x2 - box[i].x1,
                                            box[i].y2 - box[i].y1};
    pixman_region32_fini(&rest);
    return count;
}

int damage_take(struct damage *damage, struct damage_rect *ret_rects, int max_rects)
{
    int n;
    const pixman_box32_t *box = pixman_region32_rectangles(&damage->region, &n);
    if (n == 0 || max_rects <= 0)
        return 0;

    const pixman_box32_t *ext = pixman_region32_extents(&damage->region);
    long long ext_area = (long long)(ext->x2 - ext->x1) * (ext->y2 - ext->y1);
    /* Many rectangles cost a grab and a drawable each; when they cover most of
     * their bounding box, one larger grab is cheaper. */
    bool use_extents = n > max_rects || damage_area(damage) * 10 >= ext_area * 9;

    int count = 0;
    if (use_extents) {
        ret_rects[0] = (struct damage_rect){ext->x1, ext->y1, ext->x2 - ext->x1, ext->y2 - ext->y1};
        count = 1;
    } else {
        for (int i = 0; i < n; i++)
            ret_rects[count++] = (struct damage_rect){box[i].x1, box[i].y1, box[i].x2 - box[i].x1,
                                                      box[i].y2 - box[i].y1};
    }
    pixman_region32_clear(&damage->region);
    return count;
}
