#include "agent/frame-pump.h"

#include <glib.h>
#include <string.h>
#include <time.h>
#include <stdbool.h>
#include "display/thread-cpu.h"


/* More rectangles than this are sent as their bounding box. */
#define PUMP_MAX_RECTS 32
#define PUMP_MAX_HINTS 16
#define PUMP_MAX_COPIES 32
/* Pixel rectangles left of one grabbed rectangle once copies are cut out. */
#define PUMP_MAX_PIECES 64

struct frame_pump {
    struct capture *capture;
    struct spice_display *display;
    struct damage *damage;
    gint64 interval_us;
    gint64 last_grab_us;
    guint source;
    bool active;
    struct copy_detect *copies; /* NULL when copy detection is off */
    struct frame_pump_stats stats;
    void (*grab_observer)(uint64_t usec, void *data);
    void *grab_observer_data;
};

static void pump_run(struct frame_pump *pump);

static gboolean on_run(gpointer data)
{
    struct frame_pump *pump = data;
    pump->source = 0;
    pump_run(pump);
    return G_SOURCE_REMOVE;
}

static void schedule(struct frame_pump *pump, gint64 delay_us)
{
    if (pump->source)
        return;
    if (delay_us <= 0)
        pump->source = g_idle_add_full(G_PRIORITY_DEFAULT, on_run, pump, NULL);
    else
        pump->source = g_timeout_add_full(G_PRIORITY_DEFAULT, (guint)((delay_us + 999) / 1000),
                                          on_run, pump, NULL);
}

/* Hands the snapshot over: the copies first, then the pixels of whatever
 * the copies do not cover, straight out of the frame (no copying). */
static void push_frame(struct frame_pump *pump, struct frame *frame,
                       const struct damage_rect *rects, int n, const struct copy_op *copies,
                       int n_copies)
{
    struct damage_rect cut[PUMP_MAX_COPIES];
    for (int i = 0; i < n_copies; i++) {
        cut[i] = copies[i].dst;
        pump->stats.copies++;
        pump->stats.copied_pixels += (uint64_t)copies[i].dst.w * copies[i].dst.h;
    }
    GArray *draws = g_array_new(FALSE, FALSE, sizeof(struct display_draw));
    size_t offset = 0;
    for (int i = 0; i < n; i++) {
        const struct damage_rect *r = &rects[i];
        const uint8_t *base = frame->data + offset;
        offset += (size_t)r->w * r->h * 4;
        struct damage_rect pieces[PUMP_MAX_PIECES];
        int k = n_copies ? damage_rect_subtract(r, cut, n_copies, pieces, PUMP_MAX_PIECES) : -1;
        if (k < 0) { /* no copies, or too fragmented: the whole rectangle */
            pieces[0] = *r;
            k = 1;
        }
        for (int j = 0; j < k; j++) {
            struct display_draw d = {
                .rect = pieces[j],
                .data = base + ((size_t)(pieces[j].y - r->y) * r->w + (pieces[j].x - r->x)) * 4,
                .stride = r->w * 4,
            };
            g_array_append_val(draws, d);
        }
    }
    /* spice-server keeps a drawable, and so its whole frame, until newer
     * drawables cover it. When copies left only small pieces of a large
     * snapshot, move the pieces into a frame of their own: a scrolled-in strip
     * must not pin the megabytes it was cut from. */
    struct frame *compact = NULL;
    size_t needed = 0;
    for (guint i = 0; i < draws->len; i++) {
        const struct display_draw *d = &g_array_index(draws, struct display_draw, i);
        needed += (size_t)d->rect.w * d->rect.h * 4;
    }
    if (n_copies > 0 && needed * 2 < frame->size) {
        compact = frame_new(needed);
        uint8_t *dst = compact->data;
        for (guint i = 0; i < draws->len; i++) {
            struct display_draw *d = &g_array_index(draws, struct display_draw, i);
            size_t row = (size_t)d->rect.w * 4;
            for (int y = 0; y < d->rect.h; y++)
                memcpy(dst + y * row, d->data + (size_t)y * d->stride, row);
            d->data = dst;
            d->stride = (int)row;
            dst += row * d->rect.h;
        }
    }
    spice_display_push(pump->display, compact ? compact : frame, copies, n_copies,
                       (const struct display_draw *)draws->data, (int)draws->len);
    g_debug("pushed %d copies and %u draws for %d rectangles", n_copies, draws->len, n);
    frame_unref(compact);
    g_array_free(draws, TRUE);
}

static void pump_run(struct frame_pump *pump)
{
    if (!pump->active || spice_display_busy(pump->display))
        return; /* the drained event kicks us again */

    gint64 now = g_get_monotonic_time();
    gint64 wait = pump->last_grab_us + pump->interval_us - now;
    if (wait > 0) {
        schedule(pump, wait);
        return;
    }

    uint64_t cpu0 = thread_cpu_us();
    capture_collect_damage(pump->capture, pump->damage);
    if (damage_is_empty(pump->damage))
        return;

    struct damage_rect rects[PUMP_MAX_RECTS];
    int n = damage_take(pump->damage, rects, PUMP_MAX_RECTS);
    struct frame *frame = capture_grab(pump->capture, rects, n);
    if (!frame) {
        /* The screen is being resized (resized resets the damage) or the
         * source is lost: keep what we took. */
        for (int i = 0; i < n; i++)
            damage_add(pump->damage, rects[i].x, rects[i].y, rects[i].w, rects[i].h);
        pump->stats.failed++;
        return;
    }
    struct copy_hint hints[PUMP_MAX_HINTS];
    int n_hints = capture_take_moves(pump->capture, hints, PUMP_MAX_HINTS);
    struct copy_op copies[PUMP_MAX_COPIES];
    int n_copies = 0;
    if (pump->copies)
        n_copies = copy_detect_find(pump->copies, rects, n, frame->data, hints, n_hints, copies,
                                    PUMP_MAX_COPIES);
    push_frame(pump, frame, rects, n, copies, n_copies);
    if (pump->copies)
        copy_detect_commit(pump->copies, rects, n, frame->data);
    frame_unref(frame);

    gint64 done = g_get_monotonic_time();
    pump->last_grab_us = now;
    pump->stats.grabs++;
    pump->stats.grab_usec += done - now;
    if (pump->grab_observer)
        pump->grab_observer((uint64_t)(done - now), pump->grab_observer_data);
    pump->stats.grab_cpu_usec += thread_cpu_us() - cpu0;
    for (int i = 0; i < n; i++)
        pump->stats.pixels += (uint64_t)rects[i].w * rects[i].h;
}

struct frame_pump *frame_pump_create(struct capture *capture, struct spice_display *display,
                                     int max_fps, bool copy_detection)
{
    struct frame_pump *pump = g_new0(struct frame_pump, 1);
    pump->capture = capture;
    pump->display = display;
    int w, h;
    capture_get_size(capture, &w, &h);
    pump->damage = damage_create(w, h);
    if (copy_detection)
        pump->copies = copy_detect_create(w, h);
    pump->interval_us = max_fps > 0 ? G_USEC_PER_SEC / max_fps : 0;
    return pump;
}

void frame_pump_destroy(struct frame_pump *pump)
{
    if (!pump)
        return;
    if (pump->source)
        g_source_remove(pump->source);
    damage_destroy(pump->damage);
    copy_detect_destroy(pump->copies);
    g_free(pump);
}

void frame_pump_kick(struct frame_pump *pump)
{
    if (pump->active)
        schedule(pump, 0);
}

void frame_pump_set_active(struct frame_pump *pump, bool active)
{
    if (active == pump->active)
        return;
    pump->active = active;
    if (active) {
        /* The client's canvas may be stale: send everything again. */
        damage_add_all(pump->damage);
        if (pump->copies) {
            int w, h;
            capture_get_size(pump->capture, &w, &h);
            copy_detect_reset(pump->copies, w, h);
        }
        capture_start(pump->capture);
        schedule(pump, 0);
    } else {
        capture_stop(pump->capture);
        damage_clear(pump->damage);
    }
}

void frame_pump_resized(struct frame_pump *pump, int width, int height)
{
    damage_resize(pump->damage, width, height);
    if (pump->copies)
        copy_detect_reset(pump->copies, width, height);
    frame_pump_kick(pump);
}

void frame_pump_set_grab_observer(struct frame_pump *pump, void (*fn)(uint64_t usec, void *data),
                                  void *data)
{
    pump->grab_observer = fn;
    pump->grab_observer_data = data;
}

void frame_pump_get_stats(const struct frame_pump *pump, struct frame_pump_stats *ret_stats)
{
    *ret_stats = pump->stats;
}
