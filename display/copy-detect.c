#include "display/copy-detect.h"

#include <glib.h>
#include <string.h>

/* Copies shorter than this many rows cost more than they save. */
#define MIN_RUN_ROWS 4
/* Scroll detection looks at rectangles at least this large. */
#define SCROLL_MIN_W 64
#define SCROLL_MIN_H 32
/* Rows of a rectangle looked up in the shadow, offsets kept, and how often a
 * row may occur in the shadow before it is too common to tell anything. */
#define SCROLL_PROBES 24
#define SIG_SAMPLES 64
#define SCROLL_MAX_VOTES 16
#define SCROLL_MAX_MATCHES 4

struct copy_detect {
    int width, height;
    uint32_t *shadow;   /* what the client shows, width * height */
    bool valid;         /* the shadow has been fully written since the reset */
    struct copy_detect_stats stats;
};

struct copy_detect *copy_detect_create(int width, int height)
{
    struct copy_detect *cd = g_new0(struct copy_detect, 1);
    copy_detect_reset(cd, width, height);
    return cd;
}

void copy_detect_destroy(struct copy_detect *cd)
{
    if (!cd)
        return;
    g_free(cd->shadow);
    g_free(cd);
}

void copy_detect_reset(struct copy_detect *cd, int width, int height)
{
    if (width != cd->width || height != cd->height || !cd->shadow) {
        g_free(cd->shadow);
        cd->shadow = g_new0(uint32_t, (size_t)width * height);
    }
    cd->width = width;
    cd->height = height;
    cd->valid = false;
}

/* Where the new pixels of row @y, columns [x0, x1), are in the snapshot, or
 * NULL when no single rectangle holds them. */
static const uint32_t *new_row(const struct damage_rect *rects, int n, const uint8_t *data,
                               int x0, int x1, int y)
{
    size_t offset = 0;
    for (int i = 0; i < n; i++) {
        const struct damage_rect *r = &rects[i];
        if (y >= r->y && y < r->y + r->h && x0 >= r->x && x1 <= r->x + r->w)
            return (const uint32_t *)(data + offset) + (size_t)(y - r->y) * r->w + (x0 - r->x);
        offset += (size_t)r->w * r->h * 4;
    }
    return NULL;
}

static bool rects_overlap(const struct damage_rect *a, const struct damage_rect *b)
{
    return a->x < b->x + b->w && b->x < a->x + a->w && a->y < b->y + b->h && b->y < a->y + a->h;
}

struct op_list {
    struct copy_op *ops;
    int count, max;
};

/* Accepts @op unless it conflicts with the copies taken before it. */
static void add_op(struct copy_detect *cd, struct op_list *list, const struct copy_op *op)
{
    if (list->count >= list->max)
        return;
    struct damage_rect src = {op->src_x, op->src_y, op->dst.w, op->dst.h};
    for (int i = 0; i < list->count; i++) {
        if (rects_overlap(&list->ops[i].dst, &op->dst) || rects_overlap(&list->ops[i].dst, &src))
            return;
    }
    list->ops[list->count++] = *op;
    cd->stats.copies++;
    cd->stats.copied_px += (uint64_t)op->dst.w * op->dst.h;
}

/* Verifies the candidate "@dst shows the shadow shifted by (dx, dy)" row by
 * row and proposes a copy for each run of exactly matching rows. */
static void try_copy(struct copy_detect *cd, const struct damage_rect *rects, int n,
                     const uint8_t *data, struct damage_rect dst, int dx, int dy,
                     struct op_list *list)
{
    if (dx == 0 && dy == 0)
        return;
    /* Clip the destination to the screen and its source to the screen. */
    int x0 = MAX(dst.x, MAX(0, dx)), y0 = MAX(dst.y, MAX(0, dy));
    int x1 = MIN(dst.x + dst.w, MIN(cd->width, cd->width + dx));
    int y1 = MIN(dst.y + dst.h, MIN(cd->height, cd->height + dy));
    if (x1 - x0 < 8 || y1 - y0 < MIN_RUN_ROWS)
        return;
    size_t bytes = (size_t)(x1 - x0) * 4;
    int run_start = -1;
    bool any = false;
    for (int y = y0; y <= y1; y++) {
        bool match = false;
        if (y < y1) {
            const uint32_t *now = new_row(rects, n, data, x0, x1, y);
            const uint32_t *before = cd->shadow + (size_t)(y - dy) * cd->width + (x0 - dx);
            match = now && memcmp(now, before, bytes) == 0;
        }
        if (match && run_start < 0) {
            run_start = y;
        } else if (!match && run_start >= 0) {
            if (y - run_start >= MIN_RUN_ROWS) {
                struct copy_op op = {{x0, run_start, x1 - x0, y - run_start}, x0 - dx,
                                     run_start - dy};
                add_op(cd, list, &op);
                any = true;
            }
            run_start = -1;
        }
    }
    if (!any)
        cd->stats.rejected++;
}

static bool interior_uniform(const uint32_t *row, int w)
{
    for (int x = 2; x < w - 1; x++)
        if (row[x] != row[1])
            return false;
    return true;
}

struct vote {
    int dy, count;
};

static void vote_for(struct vote *votes, int *n_votes, int dy)
{
    for (int i = 0; i < *n_votes; i++) {
        if (votes[i].dy == dy) {
            votes[i].count++;
            return;
        }
    }
    if (*n_votes < SCROLL_MAX_VOTES)
        votes[(*n_votes)++] = (struct vote){dy, 1};
}

/* A cheap signature of a row: a hash of SIG_SAMPLES pixels spread over it.
 * Equal rows have equal signatures; a full comparison confirms a match. */
static uint64_t row_signature(const uint32_t *row, int w)
{
    uint64_t h = 1469598103934665603ull;
    int samples = w < SIG_SAMPLES ? w : SIG_SAMPLES;
    for (int i = 0; i < samples; i++)
        h = (h ^ row[(size_t)i * (w - 1) / (samples > 1 ? samples - 1 : 1)]) *
            1099511628211ull;
    return h;
}

/* Vertical scrolling inside one snapshot rectangle. Probe rows with some
 * detail, from the middle outwards, are looked up among the shadow's rows of
 * the same rectangle by signature, then compared in full; the offsets they
 * agree on are verified exactly, row by row. */
static void find_scroll(struct copy_detect *cd, const struct damage_rect *r,
                        const uint32_t *pixels, const struct damage_rect *rects, int n,
                        const uint8_t *data, struct op_list *list)
{
    if (r->w < SCROLL_MIN_W || r->h < SCROLL_MIN_H)
        return;
    size_t bytes = (size_t)r->w * 4;
    const uint32_t *old = cd->shadow + (size_t)r->y * cd->width + r->x;
    uint64_t *old_sig = g_new(uint64_t, r->h);
    for (int y = 0; y < r->h; y++)
        old_sig[y] = row_signature(old + (size_t)y * cd->width, r->w);

    struct vote votes[SCROLL_MAX_VOTES];
    int n_votes = 0, probes = 0;
    for (int k = 0; k < r->h && probes < SCROLL_PROBES; k++) {
        int y = r->h / 2 + (k % 2 ? (k + 1) / 2 : -(k / 2));
        if (y < 0 || y >= r->h)
            continue;
        const uint32_t *row = pixels + (size_t)y * r->w;
        if (interior_uniform(row, r->w))
            continue;
        probes++;
        uint64_t sig = row_signature(row, r->w);
        int found[SCROLL_MAX_MATCHES], matches = 0;
        for (int yo = 0; yo < r->h && matches <= SCROLL_MAX_MATCHES; yo++) {
            if (yo == y || old_sig[yo] != sig ||
                memcmp(row, old + (size_t)yo * cd->width, bytes) != 0)
                continue;
            if (matches < SCROLL_MAX_MATCHES)
                found[matches] = y - yo;
            matches++;
        }
        /* A row found in many places (repeated text) says little. */
        if (matches > SCROLL_MAX_MATCHES)
            continue;
        for (int i = 0; i < matches; i++)
            vote_for(votes, &n_votes, found[i]);
    }
    g_free(old_sig);

    for (int tries = 0; tries < 2; tries++) {
        int best = -1;
        for (int i = 0; i < n_votes; i++)
            if (votes[i].count >= 2 && (best < 0 || votes[i].count > votes[best].count))
                best = i;
        if (best < 0)
            return;
        int dy = votes[best].dy;
        votes[best].count = 0;
        /* Rows of @r whose source row lies inside @r too. */
        struct damage_rect dst = *r;
        if (dy > 0) {
            dst.y += dy;
            dst.h -= dy;
        } else {
            dst.h += dy;
        }
        if (dst.h > 0)
            try_copy(cd, rects, n, data, dst, 0, dy, list);
    }
}

int copy_detect_find(struct copy_detect *cd, const struct damage_rect *rects, int n,
                     const uint8_t *data, const struct copy_hint *hints, int n_hints,
                     struct copy_op *ret_ops, int max_ops)
{
    if (!cd->valid)
        return 0;
    struct op_list list = {ret_ops, 0, max_ops};
    for (int i = 0; i < n_hints; i++) {
        const struct copy_hint *h = &hints[i];
        if (h->from.w != h->to.w || h->from.h != h->to.h)
            continue;
        try_copy(cd, rects, n, data, h->to, h->to.x - h->from.x, h->to.y - h->from.y, &list);
    }
    size_t offset = 0;
    for (int i = 0; i < n; i++) {
        find_scroll(cd, &rects[i], (const uint32_t *)(data + offset), rects, n, data, &list);
        offset += (size_t)rects[i].w * rects[i].h * 4;
    }
    return list.count;
}

void copy_detect_commit(struct copy_detect *cd, const struct damage_rect *rects, int n,
                        const uint8_t *data)
{
    size_t offset = 0;
    for (int i = 0; i < n; i++) {
        const struct damage_rect *r = &rects[i];
        const uint8_t *src = data + offset;
        offset += (size_t)r->w * r->h * 4;
        if (r->x < 0 || r->y < 0 || r->x + r->w > cd->width || r->y + r->h > cd->height)
            continue;
        for (int y = 0; y < r->h; y++)
            memcpy(cd->shadow + (size_t)(r->y + y) * cd->width + r->x, src + (size_t)y * r->w * 4,
                   (size_t)r->w * 4);
        if (r->x == 0 && r->y == 0 && r->w == cd->width && r->h == cd->height)
            cd->valid = true;
    }
}

void copy_detect_get_stats(const struct copy_detect *cd, struct copy_detect_stats *ret_stats)
{
    *ret_stats = cd->stats;
}
