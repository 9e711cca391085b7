#include "agent/rate-control.h"

#include <glib.h>
#include <stdbool.h>

#define QUALITY_STEP_DOWN 10
#define QUALITY_STEP_UP   5
/* After a change, wait this long for its effect before the next one. */
#define SETTLE_DOWN_US (250 * 1000)
#define SETTLE_UP_US   (1000 * 1000)

struct rate_control {
    struct rate_control_config cfg;
    int quality;
    int fps;
    int64_t last_change_us;
    int good_streak; /* consecutive frames sent well within the budget */
    struct rate_control_stats stats;
};

struct rate_control *rate_control_create(const struct rate_control_config *config)
{
    struct rate_control *rc = g_new0(struct rate_control, 1);
    rc->cfg = *config;
    if (rc->cfg.min_fps < 1)
        rc->cfg.min_fps = 1;
    if (rc->cfg.max_fps < rc->cfg.min_fps)
        rc->cfg.max_fps = rc->cfg.min_fps;
    if (rc->cfg.min_quality < 1)
        rc->cfg.min_quality = 1;
    if (rc->cfg.max_quality < rc->cfg.min_quality)
        rc->cfg.min_quality = rc->cfg.max_quality;
    rc->quality = rc->cfg.max_quality;
    rc->fps = rc->cfg.max_fps;
    rc->last_change_us = G_MININT64 / 2;
    return rc;
}

void rate_control_destroy(struct rate_control *rc)
{
    g_free(rc);
}

static void lower_rate(struct rate_control *rc, int64_t now_us, const char *why)
{
    rc->good_streak = 0;
    if (now_us - rc->last_change_us < SETTLE_DOWN_US)
        return;
    if (rc->quality > rc->cfg.min_quality) {
        rc->quality = MAX(rc->cfg.min_quality, rc->quality - QUALITY_STEP_DOWN);
        rc->stats.lowered_quality++;
    } else if (rc->fps > rc->cfg.min_fps) {
        rc->fps = MAX(rc->cfg.min_fps, rc->fps * 3 / 4);
        rc->stats.lowered_fps++;
    } else {
        return;
    }
    rc->last_change_us = now_us;
    g_debug("video: %s: quality %d, %d fps", why, rc->quality, rc->fps);
}

static void raise_rate(struct rate_control *rc, int64_t now_us)
{
    if (now_us - rc->last_change_us < SETTLE_UP_US)
        return;
    if (rc->fps < rc->cfg.max_fps) {
        rc->fps = MIN(rc->cfg.max_fps, rc->fps * 4 / 3 + 1);
        rc->stats.raised_fps++;
    } else if (rc->quality < rc->cfg.max_quality) {
        rc->quality = MIN(rc->cfg.max_quality, rc->quality + QUALITY_STEP_UP);
        rc->stats.raised_quality++;
    } else {
        return;
    }
    rc->good_streak = 0;
    rc->last_change_us = now_us;
    g_debug("video: the link keeps up: quality %d, %d fps", rc->quality, rc->fps);
}

void rate_control_frame_sent(struct rate_control *rc, size_t bytes, int64_t send_us, int64_t now_us)
{
    int64_t budget = rate_control_interval_us(rc);
    if (send_us > budget) {
        lower_rate(rc, now_us, "frames take longer to send than the frame interval");
        return;
    }
    /* Raising needs headroom: a frame must go in half its budget, for about
     * half a second of frames in a row. */
    if (send_us * 2 > budget) {
        rc->good_streak = 0;
        return;
    }
    if (++rc->good_streak >= MAX(3, rc->fps / 2))
        raise_rate(rc, now_us);
}

void rate_control_frame_dropped(struct rate_control *rc, int64_t now_us)
{
    lower_rate(rc, now_us, "frames dropped, two were waiting");
}

int rate_control_quality(const struct rate_control *rc)
{
    return rc->quality;
}

int rate_control_fps(const struct rate_control *rc)
{
    return rc->fps;
}

int64_t rate_control_interval_us(const struct rate_control *rc)
{
    return G_USEC_PER_SEC / rc->fps;
}

void rate_control_get_stats(const struct rate_control *rc, struct rate_control_stats *ret)
{
    *ret = rc->stats;
}
