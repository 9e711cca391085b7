#include "agent/frame-pump.h"

#include <glib.h>
#include <time.h>
#include <stdbool.h>


/* More rectangles than this are sent as their bounding box. */
#define PUMP_MAX_RECTS 32

struct frame_pump {
    struct capture *capture;
    struct spice_display *display;
    struct damage *damage;
    gint64 interval_us;
    gint64 last_grab_us;
    guint source;
    bool active;
    struct frame_pump_stats stats;
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

static uint64_t thread_cpu_usec(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
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

    uint64_t cpu0 = thread_cpu_usec();
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
    spice_display_push(pump->display, frame, rects, n);
    frame_unref(frame);
    g_debug("pushed %d rectangles, first %d,%d %dx%d", n, rects[0].x, rects[0].y, rects[0].w,
            rects[0].h);

    gint64 done = g_get_monotonic_time();
    pump->last_grab_us = now;
    pump->stats.grabs++;
    pump->stats.grab_usec += done - now;
    pump->stats.grab_cpu_usec += thread_cpu_usec() - cpu0;
    for (int i = 0; i < n; i++)
        pump->stats.pixels += (uint64_t)rects[i].w * rects[i].h;
}

struct frame_pump *frame_pump_create(struct capture *capture, struct spice_display *display,
                                     int max_fps)
{
    struct frame_pump *pump = g_new0(struct frame_pump, 1);
    pump->capture = capture;
    pump->display = display;
    int w, h;
    capture_get_size(capture, &w, &h);
    pump->damage = damage_create(w, h);
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
    frame_pump_kick(pump);
}

void frame_pump_get_stats(const struct frame_pump *pump, struct frame_pump_stats *ret_stats)
{
    *ret_stats = pump->stats;
}
