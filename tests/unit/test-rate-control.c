/* rate-control: decisions on scripted backpressure (a simulated link). */
#include <glib.h>

#include "agent/rate-control.h"

#define MAX_FPS 60
#define MAX_Q   85
#define MIN_Q   30

struct sim {
    struct rate_control *rc;
    int64_t now;
    /* the first moments the controller lowered fps / raised quality, and
     * the quality / fps it had then */
    int q_when_fps_lowered;
    int fps_when_q_raised;
    uint64_t sent, dropped;
};

/* Runs @seconds of full motion over a link of @bytes_per_sec. A frame of
 * quality q is 2000 * q bytes; it takes size / bandwidth to send; when that
 * is more than two frame intervals, two frames are waiting: dropped. */
static void run_link(struct sim *s, double bytes_per_sec, double seconds)
{
    int64_t end = s->now + (int64_t)(seconds * G_USEC_PER_SEC);
    while (s->now < end) {
        struct rate_control_stats before;
        rate_control_get_stats(s->rc, &before);
        int q = rate_control_quality(s->rc), fps = rate_control_fps(s->rc);
        int64_t interval = rate_control_interval_us(s->rc);
        size_t size = 2000 * (size_t)q;
        int64_t send = (int64_t)(size / bytes_per_sec * G_USEC_PER_SEC);
        if (send > 2 * interval) {
            rate_control_frame_dropped(s->rc, s->now);
            s->dropped++;
        } else {
            rate_control_frame_sent(s->rc, size, send, s->now);
            s->sent++;
        }
        s->now += MAX(interval, send);
        struct rate_control_stats after;
        rate_control_get_stats(s->rc, &after);
        if (after.lowered_fps > before.lowered_fps && s->q_when_fps_lowered < 0)
            s->q_when_fps_lowered = q;
        if (after.raised_quality > before.raised_quality && s->fps_when_q_raised < 0)
            s->fps_when_q_raised = fps;
    }
}

static void test_scripted_link(void)
{
    struct rate_control_config cfg = {MAX_FPS, MAX_Q, MIN_Q, 5};
    struct sim s = {rate_control_create(&cfg), 0, -1, -1, 0, 0};
    g_assert_cmpint(rate_control_quality(s.rc), ==, MAX_Q);
    g_assert_cmpint(rate_control_fps(s.rc), ==, MAX_FPS);

    /* A fast link: nothing changes. */
    run_link(&s, 40e6, 3);
    g_assert_cmpint(rate_control_quality(s.rc), ==, MAX_Q);
    g_assert_cmpint(rate_control_fps(s.rc), ==, MAX_FPS);

    /* 2 MB/s: not even the lowest quality fits 60 fps. Quality goes down to
     * its floor first, then the frame rate, until frames fit. */
    run_link(&s, 2e6, 10);
    g_test_message("slow link: quality %d, %d fps", rate_control_quality(s.rc),
                   rate_control_fps(s.rc));
    g_assert_cmpint(rate_control_quality(s.rc), ==, MIN_Q);
    g_assert_cmpint(s.q_when_fps_lowered, ==, MIN_Q);
    int slow_fps = rate_control_fps(s.rc);
    g_assert_cmpint(slow_fps, <, MAX_FPS);
    /* what remains fits: 60 KB frames at 2 MB/s take 30 ms */
    g_assert_cmpint(rate_control_interval_us(s.rc), >=, 30000);
    /* and it settled: another stretch on the same link changes nothing */
    uint64_t dropped = s.dropped;
    run_link(&s, 2e6, 5);
    g_assert_cmpint(rate_control_fps(s.rc), ==, slow_fps);
    g_assert_cmpuint(s.dropped, ==, dropped);

    /* The link recovers: the frame rate comes back first, then quality. */
    run_link(&s, 40e6, 30);
    g_assert_cmpint(rate_control_fps(s.rc), ==, MAX_FPS);
    g_assert_cmpint(rate_control_quality(s.rc), ==, MAX_Q);
    g_assert_cmpint(s.fps_when_q_raised, ==, MAX_FPS);
    rate_control_destroy(s.rc);
    rate_control_destroy(NULL);
}

static void test_drops_lower(void)
{
    struct rate_control_config cfg = {30, 80, 40, 5};
    struct rate_control *rc = rate_control_create(&cfg);
    int64_t t = 0;
    /* Drops lower quality, at most once per settling period. */
    rate_control_frame_dropped(rc, t);
    g_assert_cmpint(rate_control_quality(rc), ==, 70);
    rate_control_frame_dropped(rc, t + 1000);
    g_assert_cmpint(rate_control_quality(rc), ==, 70);
    for (int i = 1; i <= 10; i++)
        rate_control_frame_dropped(rc, t + i * 300000);
    g_assert_cmpint(rate_control_quality(rc), ==, 40);
    g_assert_cmpint(rate_control_fps(rc), <, 30);
    g_assert_cmpint(rate_control_fps(rc), >=, 5);
    rate_control_destroy(rc);
}

static void test_bounds(void)
{
    /* Nonsense bounds are clamped: never 0 fps, never a floor above the top. */
    struct rate_control_config cfg = {0, 20, 50, 0};
    struct rate_control *rc = rate_control_create(&cfg);
    g_assert_cmpint(rate_control_fps(rc), ==, 1);
    g_assert_cmpint(rate_control_quality(rc), ==, 20);
    for (int i = 0; i < 20; i++)
        rate_control_frame_dropped(rc, i * 1000000);
    g_assert_cmpint(rate_control_fps(rc), ==, 1);
    g_assert_cmpint(rate_control_quality(rc), ==, 20);
    rate_control_destroy(rc);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/rate-control/scripted-link", test_scripted_link);
    g_test_add_func("/rate-control/drops-lower", test_drops_lower);
    g_test_add_func("/rate-control/bounds", test_bounds);
    return g_test_run();
}
